"""Getting data out: the lead list as CSV, and everything about one person as JSON.

Forgetting a person is ``crm.safety.forget``.

- ``export_leads_csv``: the lead list (all, or what a ``LeadQuery`` shows) as CSV that a
  spreadsheet cannot mistake for formulas, with a header the generic importer maps by name,
  so an exported file imports back unchanged.
- ``lead_data``: everything stored about one person, as JSON (a data-access request).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from crm.book.leads import LeadQuery, LeadRow, count_leads, get_lead, list_leads
from crm.jobs import CancelToken, Progress, no_progress
from crm.safety.output_files import as_text_cell, atomic_output
from crm.store.models import database_proxy
from crm.timefmt import iso, local

log = logging.getLogger(__name__)

# A spreadsheet that splits on ';' (Excel in much of Europe) reads a file of commas as one
# column and starts a new cell at every ';', quoted or not, and a new row at a line break:
# what follows one of them is a cell start too.
_INNER_CELL_START = re.compile(r'([;\n\r])(?="*[=+\-@\t\r])')
# The columns, in order: what a mailing needs first. Each is a name the generic importer
# maps by itself, or one Smallyes works out and does not read back (step to last_ask,
# source), so an exported file imports back unchanged.
EXPORT_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "status",
    "step",
    "level",
    "last_yes",
    "last_ask",
    "tags",
    "company",
    "phone",
    "source",
    "created_at",
    "notes",
)
# The columns an import restores: a custom field of the same name (the raw status or date
# text an import keeps) says nothing more, and is left out.
_RESTORED_COLUMNS = frozenset(
    {
        "email",
        "first_name",
        "last_name",
        "status",
        "tags",
        "company",
        "phone",
        "created_at",
        "notes",
    }
)
TAG_SEPARATOR = "; "
PAGE_ROWS = 2000


def escape_cell(text: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (phones with + too),
    and put one after a ';' or line break inside it that a formula would follow."""
    if ";" in text or "\n" in text or "\r" in text:
        text = _INNER_CELL_START.sub(r"\1'", text)
    return as_text_cell(text)


def tags_cell(tags: Sequence[str]) -> str:
    """Tags separated by ``; ``; a tag holding ';' or '"' is quoted, so it stays whole."""
    return TAG_SEPARATOR.join(
        '"' + tag.replace('"', '""') + '"' if ";" in tag or '"' in tag else tag for tag in tags
    )


def _day(value: dt.datetime | None) -> str:
    return local(value).date().isoformat() if value is not None else ""


def _custom_keys() -> list[str]:
    """The custom-field names leads use, alphabetically: one column each."""
    rows = database_proxy.execute_sql(
        "SELECT DISTINCT j.key FROM lead l, json_each(l.custom) j "
        "WHERE l.status != 'erased' AND l.custom != '{}' ORDER BY j.key COLLATE NOCASE"
    ).fetchall()
    names = [str(r[0]) for r in rows]
    return [n for n in names if n.casefold() not in _RESTORED_COLUMNS]


def _cells(lead: LeadRow, custom_keys: Sequence[str]) -> list[str]:
    values = [
        lead.email,
        lead.first_name,
        lead.last_name,
        lead.status,
        lead.step_label or "",
        str(lead.level),
        _day(lead.last_commitment_at),
        _day(lead.last_ask_at),
        tags_cell(lead.tags),
        lead.company,
        lead.phone,
        lead.source,
        iso(lead.created_at) or "",
        lead.notes,
    ]
    for key in custom_keys:
        value = lead.custom.get(key, "")
        values.append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return [escape_cell(v) for v in values]


def iter_export_rows(query: LeadQuery | None = None) -> Iterator[list[str]]:
    """The header, then one escaped row per lead, paged from SQL."""
    query = query or LeadQuery()
    keys = _custom_keys()
    yield [escape_cell(c) for c in (*EXPORT_COLUMNS, *keys)]
    after: int | None = None
    while True:
        page = list_leads(query, limit=PAGE_ROWS, after=after)
        for lead in page:
            yield _cells(lead, keys)
        if len(page) < PAGE_ROWS:
            return
        after = page[-1].id


def _write_atomically(target: Path, write: Callable[[Any], None], *, encoding: str) -> None:
    """Write to an owner-only temporary file beside ``target`` and rename it: no
    half-written export, and never over the database."""
    with atomic_output(target, "export", text_encoding=encoding) as handle:
        write(handle)


def export_leads_csv(
    target: Path,
    query: LeadQuery | None = None,
    *,
    excel: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> int:
    """Write the leads ``query`` selects to ``target``; return how many were written.

    UTF-8; ``excel`` adds the byte-order mark Excel needs to read UTF-8.
    """
    query = query or LeadQuery()
    total = count_leads(query)
    written = [0]

    def write(handle: Any) -> None:
        # Every cell quoted: a ';' or ',' inside one never starts another cell in a
        # spreadsheet that honours quotes, whichever of the two it splits on.
        out = csv.writer(handle, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        for index, row in enumerate(iter_export_rows(query)):
            out.writerow(row)
            if index and index % 500 == 0:
                progress(index, total)
                if cancel is not None:
                    cancel.raise_if_cancelled()
            written[0] = index
        progress(total, total)

    _write_atomically(target, write, encoding="utf-8-sig" if excel else "utf-8")
    return written[0]


# --- per-lead data export -------------------------------------------------------------


def _rows_as_dicts(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = database_proxy.execute_sql(sql, params)
    names = [d[0] for d in cursor.description]
    out = []
    for row in cursor.fetchall():
        item = {}
        for name, value in zip(names, row, strict=True):
            item[name] = iso(value) if isinstance(value, dt.datetime) else value
        out.append(item)
    return out


def lead_data(lead_id: int) -> dict[str, Any]:
    """Everything stored about one person: fields, tags, timeline, asks, import history."""
    from crm.book.timeline import get_timeline  # not loaded with the window's menus

    lead = get_lead(lead_id)
    imports = _rows_as_dicts(
        "SELECT b.file_name, b.platform, b.started_at, c.field, c.before, c.after "
        "FROM import_change c JOIN import_batch b ON b.id = c.batch_id "
        "WHERE c.lead_id = ? ORDER BY c.id",
        [lead_id],
    )
    batch = _rows_as_dicts(
        "SELECT b.file_name, b.platform, b.started_at FROM import_batch b "
        "JOIN lead l ON l.batch_id = b.id WHERE l.id = ?",
        [lead_id],
    )
    return {
        "exported_by": "Smallyes",
        "lead": lead.to_json(),
        "created_by_import": batch[0] if batch else None,
        "timeline": [item.to_json() for item in get_timeline(lead_id)],
        "import_changes": imports,
    }


def write_lead_data(lead_id: int, target: Path) -> Path:
    """Write :func:`lead_data` to ``target`` as UTF-8 JSON."""
    data = lead_data(lead_id)

    def write(handle: Any) -> None:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")

    _write_atomically(target, write, encoding="utf-8")
    return Path(target)
