"""The import history and undoing an import.

A batch records the leads it created (``lead.batch_id``), the timeline items and tags it
added (their ``batch_id``) and a before-image of every field it changed
(``import_change``). Undo removes what it created and restores what it changed, in one
transaction. A lead the owner changed after the import keeps those later changes: only
the fields still holding the imported value are restored, and the undo says so.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from crm.book import lead_cache
from crm.book.leads import make_search_text
from crm.book.tag_rules import undo_tag_rule_yeses
from crm.changes import ALL, note
from crm.errors import NotFoundError, ValidationError
from crm.importing.activity.store import undo_activity, undo_offers
from crm.importing.labels import PLATFORM_LABELS
from crm.importing.values import fmt
from crm.store.models import database_proxy
from crm.timefmt import from_stored, from_stored_required, iso

_RESTORABLE = ("first_name", "last_name", "company", "phone", "notes", "status", "custom")


@dataclass(frozen=True, slots=True)
class BatchRow:
    id: int
    file_name: str
    platform: str
    on_duplicate: str
    tag: str
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    duplicates_in_file: int
    warnings: int
    started_at: dt.datetime
    undone_at: dt.datetime | None

    @property
    def platform_label(self) -> str:
        return " + ".join(PLATFORM_LABELS.get(p, p) for p in self.platform.split("+"))

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.id,
            "file": self.file_name,
            "platform": self.platform,
            "on_duplicate": self.on_duplicate,
            "tag": self.tag,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "duplicates_in_file": self.duplicates_in_file,
            "warnings": self.warnings,
            "imported_at": iso(self.started_at),
            "undone_at": iso(self.undone_at),
        }


@dataclass(frozen=True, slots=True)
class UndoReport:
    batch_id: int
    removed: int  # leads the import created, now deleted
    restored: int  # leads whose changed fields went back
    kept_changes: int  # leads the owner changed since: their later changes stay
    kept_created: int  # created leads the owner worked on since: kept, import items removed

    @property
    def message(self) -> str:
        text = (
            f"Undid import {self.batch_id}: removed {self.removed} new leads and restored "
            f"{self.restored} changed ones."
        )
        kept = self.kept_changes + self.kept_created
        if kept:
            text += (
                f" {kept} lead{'s' if kept != 1 else ''} you changed after the import "
                "kept those later changes."
            )
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "removed": self.removed,
            "restored": self.restored,
            "kept_changes": self.kept_changes,
            "kept_created": self.kept_created,
            "message": self.message,
        }


_BATCH_COLUMNS = (
    "id, file_name, platform, on_duplicate, tag, rows, created, updated, unchanged, rejected, "
    "duplicates_in_file, warnings, started_at, undone_at"
)


def _batch_row(r: tuple[Any, ...]) -> BatchRow:
    (id_, file_name, platform, on_duplicate, tag, rows, created, updated, unchanged,
     rejected, duplicates, warnings, started_at, undone_at) = r  # fmt: skip
    return BatchRow(
        id_, file_name, platform, on_duplicate, tag, rows, created, updated, unchanged,
        rejected, duplicates, warnings, from_stored_required(started_at), from_stored(undone_at),
    )  # fmt: skip


def _restore_custom(before: Any, after: Any, current: Any) -> Any:
    """Custom fields changed since the import (another import added or took back some):
    put back, field by field, those that still hold what this import wrote."""
    try:
        was, wrote, now = (json.loads(t or "{}") for t in (before, after, current))
    except json.JSONDecodeError:
        return current
    if not all(isinstance(d, dict) for d in (was, wrote, now)):
        return current
    for key in set(was) | set(wrote):
        if was.get(key) != wrote.get(key) and now.get(key) == wrote.get(key):
            if key in was:
                now[key] = was[key]
            else:
                now.pop(key, None)
    return json.dumps(now, ensure_ascii=False)


def list_imports() -> list[BatchRow]:
    """Every finished import, newest first (bulk changes are batches too: not listed)."""
    rows = database_proxy.execute_sql(
        f"SELECT {_BATCH_COLUMNS} FROM import_batch WHERE finished_at IS NOT NULL "
        "AND kind != 'change' ORDER BY id DESC"
    ).fetchall()
    return [_batch_row(r) for r in rows]


def get_import(batch_id: int) -> BatchRow:
    row = database_proxy.execute_sql(
        f"SELECT {_BATCH_COLUMNS} FROM import_batch WHERE id = ? AND finished_at IS NOT NULL "
        "AND kind != 'change'",
        [batch_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"There is no import {batch_id}: run 'smallyes-cli imports' to see the list."
        )
    return _batch_row(row)


def undo_import(batch_id: int, *, now: dt.datetime) -> UndoReport:
    """Remove what an import created and restore what it changed; see the module docstring."""
    note(tables=[ALL], leads=None)
    batch = get_import(batch_id)
    if batch.undone_at is not None:
        raise ValidationError(f"Import {batch_id} was already undone: there is nothing to undo.")
    db = database_proxy
    with db.atomic("IMMEDIATE"):
        finished = db.execute_sql(
            "SELECT finished_at FROM import_batch WHERE id = ?", [batch_id]
        ).fetchone()[0]
        imported_at = str(finished)
        # Its opens, clicks and answers, and the asks its yeses answered.
        activity_leads = undo_activity(batch_id)
        undo_tag_rule_yeses(batch_id)
        # Created leads: delete, unless the owner worked on them since.
        created = db.execute_sql(
            "SELECT id, updated_at > ? OR EXISTS (SELECT 1 FROM commitment c WHERE c.lead_id "
            "= lead.id AND c.batch_id IS NOT ?) OR EXISTS (SELECT 1 FROM lead_event e WHERE "
            "e.lead_id = lead.id AND e.batch_id IS NOT ?) OR EXISTS (SELECT 1 FROM ask a "
            "WHERE a.lead_id = lead.id) FROM lead WHERE batch_id = ?",
            [imported_at, batch_id, batch_id, batch_id],
        ).fetchall()
        kept_created = [lead_id for lead_id, touched in created if touched]
        removed = len(created) - len(kept_created)
        db.execute_sql(
            "DELETE FROM lead WHERE batch_id = ? AND NOT (updated_at > ? OR EXISTS (SELECT 1 "
            "FROM commitment c WHERE c.lead_id = lead.id AND c.batch_id IS NOT ?) OR EXISTS "
            "(SELECT 1 FROM lead_event e WHERE e.lead_id = lead.id AND e.batch_id IS NOT ?) "
            "OR EXISTS (SELECT 1 FROM ask a WHERE a.lead_id = lead.id))",
            [batch_id, imported_at, batch_id, batch_id],
        )
        # Changed leads: put back each field that still holds what the import wrote.
        changes: dict[int, dict[str, tuple[Any, Any]]] = {}
        for lead_id, name, before, after in db.execute_sql(
            "SELECT lead_id, field, before, after FROM import_change WHERE batch_id = ? "
            "ORDER BY id",
            [batch_id],
        ):
            changes.setdefault(lead_id, {}).setdefault(name, (before, after))
        restored = kept_changes = 0
        for lead_id, fields in changes.items():
            row = db.execute_sql(
                "SELECT email, first_name, last_name, company, phone, notes, status, custom, "
                "updated_at FROM lead WHERE id = ?",
                [lead_id],
            ).fetchone()
            if row is None:
                continue
            current = dict(zip(("email", *_RESTORABLE, "updated_at"), row, strict=True))
            touched = str(current["updated_at"]) > imported_at
            values = dict(current)
            for name in _RESTORABLE:
                if name in fields:
                    before, after = fields[name]
                    if name == "custom" and current[name] != after:
                        # changed since, by the owner or another import (or its undo)
                        values[name] = _restore_custom(before, after, current[name])
                    elif not touched or current[name] == after:
                        values[name] = before
            if not touched and "updated_at" in fields:
                values["updated_at"] = fields["updated_at"][0]
            db.execute_sql(
                "UPDATE lead SET first_name = ?, last_name = ?, company = ?, phone = ?, "
                "notes = ?, status = ?, custom = ?, search_text = ?, updated_at = ? "
                "WHERE id = ?",
                [
                    *(values[n] for n in _RESTORABLE),
                    make_search_text(
                        values["email"],
                        values["first_name"],
                        values["last_name"],
                        values["company"],
                    ),
                    values["updated_at"],
                    lead_id,
                ],
            )
            if touched:
                kept_changes += 1
            else:
                restored += 1
        for table in ("commitment", "lead_event", "lead_tag", "lead_other_email", "import_change"):
            db.execute_sql(f"DELETE FROM {table} WHERE batch_id = ?", [batch_id])
        undo_offers(batch_id)
        db.execute_sql(
            "DELETE FROM tag WHERE batch_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM lead_tag lt WHERE lt.tag_id = tag.id)",
            [batch_id],
        )
        lead_cache.recompute([*changes, *kept_created, *activity_leads])
        db.execute_sql("UPDATE import_batch SET undone_at = ? WHERE id = ?", [fmt(now), batch_id])
    return UndoReport(batch_id, removed, restored, kept_changes, len(kept_created))
