"""Getting data out, and erasing a person.

- ``export_leads_csv``: the lead list (all, or what a ``LeadQuery`` shows) as CSV that a
  spreadsheet cannot mistake for formulas, with a header the generic importer maps by name,
  so an exported file imports back unchanged.
- ``lead_data``: everything stored about one person, as JSON (a data-access request).
- ``forget_lead``: "Forget this person". The lead's row stays, anonymised and marked
  ``erased``, with its yeses and asks, so the funnel's past counts do not change; every
  personal field, note, tag and import record is removed, and the file is rewritten so no
  copy of the old values is left in the database or its journal. Their address goes on the
  list of forgotten people (``crm.safety.suppression``, keyed hashes only), so an import or a
  restore does not bring them back, and a forget stopped after the erase (a reader, a full
  disk, a read-only backup) is finished by forgetting the same address again.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peewee import DatabaseError

from crm.book.leads import LeadQuery, LeadRow, LeadStatus, count_leads, get_lead, list_leads
from crm.book.timeline import get_timeline
from crm.errors import ForgetUnfinishedError, NotFoundError, SmallyesError
from crm.jobs import CancelToken, Progress, no_progress
from crm.safety.output_files import atomic_output
from crm.safety.suppression import (
    address_key,
    ensure_key,
    is_forgotten,
    mark_scrubbed,
    remember,
    unfinished_forgets,
)
from crm.store.db import database_path, known_storage_problem
from crm.store.models import database_proxy
from crm.timefmt import iso, local, utc_now

log = logging.getLogger(__name__)

# Cells a spreadsheet would read as a formula (or, for TAB and CR, mangle on paste).
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
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
ERASED_DOMAIN = "erased.invalid"


def escape_cell(text: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (phones with + too),
    and put one after a ';' or line break inside it that a formula would follow."""
    if ";" in text or "\n" in text or "\r" in text:
        text = _INNER_CELL_START.sub(r"\1'", text)
    return "'" + text if text.startswith(DANGEROUS_PREFIXES) else text


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


# --- forget this person ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForgetReport:
    lead_id: int
    placeholder: str  # the erased row's email: random, never a real address


Execute = Callable[[str, Sequence[Any]], Any]


def erase_lead_rows(execute: Execute, lead_id: int, placeholder: str) -> None:
    """The erase itself, as SQL on any connection (the live database or a backup copy).

    Keeps the row, its yeses and asks (steps, offers, times, outcomes: the funnel's
    counts), and blanks or deletes everything that says who the person was.
    """
    execute(
        "UPDATE lead SET email = ?, email_key = ?, first_name = '', last_name = '', "
        "company = '', phone = '', notes = '', custom = '{}', search_text = '', "
        "status = 'erased', do_not_contact = 1, batch_id = NULL WHERE id = ?",
        [placeholder, placeholder, lead_id],
    )
    # Tags only this person carried are removed too: a tag can be a name.
    execute(
        "DELETE FROM tag WHERE id IN (SELECT tag_id FROM lead_tag WHERE lead_id = ?) "
        "AND NOT EXISTS (SELECT 1 FROM lead_tag o WHERE o.tag_id = tag.id AND o.lead_id != ?)",
        [lead_id, lead_id],
    )
    execute("DELETE FROM lead_tag WHERE lead_id = ?", [lead_id])
    # Their other addresses; a backup made before the book had them has no such table.
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'lead_other_email'", []).fetchone():
        execute("DELETE FROM lead_other_email WHERE lead_id = ?", [lead_id])
    execute("DELETE FROM import_change WHERE lead_id = ?", [lead_id])
    execute("UPDATE commitment SET note = '' WHERE lead_id = ?", [lead_id])
    execute("UPDATE ask SET note = '' WHERE lead_id = ?", [lead_id])
    # Status changes keep their from/to (funnel history); notes and imports go.
    execute(
        "UPDATE lead_event SET summary = '', data = CASE WHEN kind = 'status' THEN "
        "json_object('from', json_extract(data, '$.from'), 'to', json_extract(data, '$.to')) "
        "ELSE '{}' END WHERE lead_id = ?",
        [lead_id],
    )
    execute("DELETE FROM lead_event WHERE lead_id = ? AND kind = 'note'", [lead_id])


def new_placeholder() -> str:
    return f"erased-{secrets.token_hex(12)}@{ERASED_DOMAIN}"


# How long the rewrite waits for another program's read of the database to end: the
# journal cannot be emptied while a reader may still need the pages from before the erase.
READER_WAIT_S = 5.0


def _reader_busy() -> ForgetUnfinishedError:
    return ForgetUnfinishedError(
        "reader",
        "another program kept reading the database, so the file still holds old copies of "
        "their details",
        "close that program (or the other Smallyes window)",
    )


def scrub_file(execute: Execute) -> None:
    """Rewrite the whole file and empty the journal: old values left in free space by
    earlier edits are gone, and the WAL no longer holds page images from before.

    Waits up to :data:`READER_WAIT_S` for other programs' reads to end; raises
    ``ForgetUnfinishedError`` when one is still reading.
    """
    # Index samples (SQLITE_ENABLE_STAT4 builds) can hold emails: sample afresh.
    if execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat4'", []).fetchone():
        execute("ANALYZE", [])
    execute("VACUUM", [])
    # The TRUNCATE checkpoint waits for readers through the busy handler: bound that wait.
    timeout = execute("PRAGMA busy_timeout", []).fetchone()[0]
    execute(f"PRAGMA busy_timeout = {int(READER_WAIT_S * 1000)}", [])
    try:
        busy, _, _ = execute("PRAGMA wal_checkpoint(TRUNCATE)", []).fetchone()
    finally:
        execute(f"PRAGMA busy_timeout = {int(timeout)}", [])
    if busy:
        raise _reader_busy()


def finish_scrub(execute: Execute) -> None:
    """:func:`scrub_file` after an erase, with its failures told as what they are: the
    person is already erased, and running forget again finishes the job."""
    try:
        scrub_file(execute)
    except (sqlite3.Error, DatabaseError) as exc:
        if is_busy_error(exc):
            raise _reader_busy() from exc
        known = known_storage_problem(exc)
        if known is None:
            raise
        if "disk is full" in known.user_message:
            raise ForgetUnfinishedError(
                "disk_full",
                "the disk filled up before the file could be cleaned",
                "free some space",
            ) from exc
        raise ForgetUnfinishedError(
            "storage",
            f"the file could not be cleaned ({exc})",
            "check the disk and the file's permissions",
        ) from exc
    try:
        mark_scrubbed(execute)
    except (sqlite3.Error, DatabaseError) as exc:
        # The file is clean; the flag only makes the next forget rewrite it once more.
        log.warning("could not record the finished rewrite: %s", exc)


def is_busy_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def forget_lead(lead_id: int, *, now: dt.datetime | None = None) -> ForgetReport:
    """Irreversibly erase one person; see the module text for what is kept.

    Their address goes on the list of forgotten people (crm.safety.suppression) in the erase's own
    transaction: if the rewrite of the file fails afterwards (``ForgetUnfinishedError``),
    :func:`finish_forget` by their address finishes it.
    """
    lead = get_lead(lead_id)
    if lead.status == LeadStatus.ERASED:
        raise NotFoundError("That person was already forgotten.")
    placeholder = new_placeholder()
    db = database_proxy
    key = ensure_key(database_path(db.obj))
    db.execute_sql("PRAGMA secure_delete = ON")
    try:
        with db.atomic():
            row = db.execute_sql("SELECT email_key FROM lead WHERE id = ?", [lead_id]).fetchone()
            remember(db.execute_sql, key, row[0], now or utc_now())
            # their other addresses name them too: an import keyed on one must not bring
            # them back
            for (other,) in db.execute_sql(
                "SELECT email_key FROM lead_other_email WHERE lead_id = ?", [lead_id]
            ).fetchall():
                remember(db.execute_sql, key, other, now or utc_now())
            erase_lead_rows(db.execute_sql, lead_id, placeholder)
        log.info("lead %d erased", lead_id)
        finish_scrub(db.execute_sql)
    finally:
        db.execute_sql("PRAGMA secure_delete = OFF")
    return ForgetReport(lead_id=lead_id, placeholder=placeholder)


def finish_forget(email: str) -> None:
    """Finish forgetting someone already erased from the book (known by their address on
    the list of forgotten people): rewrite the file that a reader or a full disk kept
    from being cleaned. Their backups are :func:`purge_backups`'s."""
    if not is_forgotten(email):
        raise NotFoundError(f"No lead has the email '{email.strip()}': check the address.")
    finish_scrub(database_proxy.execute_sql)


def finish_unfinished_forgets() -> int:
    """Rewrite the file when an earlier forget could not (the app does this at start-up,
    before its daily backup copies the file); return how many forgets were unfinished."""
    pending = unfinished_forgets(database_proxy.execute_sql)
    if pending:
        finish_scrub(database_proxy.execute_sql)
    return pending


def _lead_in_backup(path: Path, key: str) -> int | None:
    """The id of the lead with this dedupe key in a backup, read without writing anything."""
    from crm.store.health import read_only_uri

    con = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        row = con.execute(
            "SELECT id FROM lead WHERE email_key = ? AND status != 'erased'", [key]
        ).fetchone()
    finally:
        con.close()
    return None if row is None else int(row[0])


def _erase_in_backup(path: Path, lead_id: int) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA secure_delete = ON")
        con.execute("BEGIN IMMEDIATE")
        try:
            erase_lead_rows(con.execute, lead_id, new_placeholder())
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        scrub_file(con.execute)
    finally:
        con.close()


def purge_backups(email: str, db_path: Path) -> tuple[list[Path], list[Path]]:
    """Erase the person with this email from every backup in ``backups/``.

    A backup that holds them is rewritten with the same erase; one that cannot be
    rewritten (damaged, read-only) is removed. Returns (rewritten, removed). A backup that
    holds them and can be neither rewritten nor removed raises ``ForgetUnfinishedError``
    naming it, after every other backup was dealt with: running the purge again finishes.
    """
    from crm.safety.backup import clean_leftovers, find_leftovers, list_backups

    key = address_key(email)
    rewritten: list[Path] = []
    # Hidden copies a killed backup or restore left hold everyone: they go first.
    removed: list[Path] = clean_leftovers(db_path)
    stuck: list[tuple[Path, OSError]] = []
    for backup in list_backups(db_path):
        try:
            lead_id = _lead_in_backup(backup.path, key)
            if lead_id is None:
                continue
        except sqlite3.Error as exc:
            log.warning("could not read backup %s (%s): removing it", backup.path, exc)
        else:
            try:
                _erase_in_backup(backup.path, lead_id)
                rewritten.append(backup.path)
                continue
            except (sqlite3.Error, SmallyesError) as exc:
                log.warning(
                    "could not erase a lead from backup %s (%s): removing it", backup.path, exc
                )
        try:
            for path in (
                backup.path,
                *(backup.path.with_name(backup.path.name + s) for s in ("-wal", "-shm")),
            ):
                path.unlink(missing_ok=True)
            removed.append(backup.path)
        except OSError as exc:
            stuck.append((backup.path, exc))
    busy = find_leftovers(db_path)
    if busy:
        raise ForgetUnfinishedError(
            "backup",
            f"another Smallyes process is writing a copy of the book ({busy[0].name})",
            "wait for it to finish",
            "run forget --purge-backups again",
        )
    if stuck:
        path, failure = stuck[0]
        more = f" (and {len(stuck) - 1} more)" if len(stuck) > 1 else ""
        raise ForgetUnfinishedError(
            "backup",
            f"the backup {path}{more} still holds them and could be neither rewritten nor "
            f"removed ({failure.strerror})",
            f"make {path.parent} writable",
            "run forget --purge-backups again",
        )
    return rewritten, removed
