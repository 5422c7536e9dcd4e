"""Changing many leads at once, and the Changes history that undoes each change.

A bulk change (add or remove a tag, set the status, do not contact on or off, snooze,
delete) is for the leads of a :class:`Selection`: those a filter matches, the window's
selected rows, or a file of addresses (narrowed by a filter if one is given too). An
erased (forgotten) lead is never part of one.

Each change is one batch: an ``import_batch`` of kind ``change`` with its ``bulk_change``
row (what it did, how many leads matched and how many it changed). It is written in one
transaction with set-based SQL, a few statements whatever the number of leads (the
selection is put in a temporary table first), so a change to 100,000 leads takes seconds,
and a change cut short (a cancel, a crash, kill -9) leaves nothing behind. What it adds
carries its batch (the tags it put on, the timeline rows saying what happened, the yeses a
tag rule gives those tags); what it changes has a before-image in ``import_change``; the
rows of deleted leads are kept whole (``crm.book.bulk_delete``).

The undo (:func:`undo_change`) works like an import's, field by field: only what still
holds the value the change wrote goes back, so a lead the owner edited since keeps that
edit. Setting a status keeps the suppression rules: a lead who unsubscribed, bounced or
complained is never turned back into a subscriber in bulk (that takes a change by hand, one
lead at a time), and is counted as kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from crm.asking.due import put_back_snoozes, snooze_many
from crm.book import lead_cache
from crm.book.bulk_delete import SELECTED, delete_selected, keep_rows, restore_rows
from crm.book.leads import (
    STATUS_LABELS,
    SUPPRESSED,
    LeadQuery,
    LeadStatus,
    clean_tag,
    lead_where,
    parse_status,
)
from crm.book.tag_rules import apply_tag_rules, undo_tag_rule_yeses
from crm.changes import LEAD_TABLES, note
from crm.errors import NotFoundError, ValidationError
from crm.importing.activity.store import undo_activity
from crm.jobs import CancelToken, Progress, no_progress
from crm.store.models import database_proxy
from crm.store.paths import database_path
from crm.timefmt import from_stored, from_stored_required, iso

_SELECTION = "temp.bulk_selection"
_EMAILS = "temp.bulk_emails"
# Up to this many changed leads are named in the change note (the window updates their
# rows one by one); more, and every view reloads.
_LISTED = 1000
_TABLES = (*LEAD_TABLES, "import_batch", "import_change", "bulk_change")
_DELETE_TABLES = (
    *_TABLES, "sale", "refund", "booking", "activity_event", "commitment_answer",
    "tag_rule_yes", "bulk_deleted",
)  # fmt: skip


class BulkVerb(StrEnum):
    TAG = "tag"
    UNTAG = "untag"
    SET_STATUS = "set-status"
    DNC = "dnc"
    SNOOZE = "snooze"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class Selection:
    """Which leads a bulk change is for. ``query``: the leads it matches; ``lead_ids``:
    these (the window's selection); ``emails``: the leads with these address keys (their
    own or another of theirs). Given together, a lead must be in each. ``words`` names it in
    the Changes history ("segment Warm", "12 selected leads")."""

    query: LeadQuery | None = None
    lead_ids: tuple[int, ...] | None = None
    emails: tuple[str, ...] | None = None
    words: str = ""

    @classmethod
    def every_lead(cls) -> Selection:
        return cls(query=LeadQuery(), words="every lead")

    @property
    def named(self) -> bool:
        return self.query is not None or self.lead_ids is not None or self.emails is not None


@dataclass(frozen=True, slots=True)
class BulkReport:
    """What a bulk change did (or, on a dry run, would do)."""

    verb: BulkVerb
    value: str  # the tag, the status, on/off, the until time
    what: str
    matched: int
    changed: int
    batch: int | None  # None: a dry run, or nothing needed changing
    dry_run: bool = False
    kept: int = 0  # set-status: suppressed leads that keep their status
    not_found: int = 0  # addresses of the list that no lead has

    @property
    def message(self) -> str:
        if self.dry_run:
            text = (
                f"Dry run, nothing changed: {self.changed:,} of the {self.matched:,} matching "
                f"leads would change ({self.what})."
            )
        elif not self.changed:
            text = f"Nothing to change: none of the {self.matched:,} matching leads needed it."
        else:
            text = f"{_done_words(self.verb, self.value, self.changed)}."
            if self.changed < self.matched - self.kept:
                rest = self.matched - self.kept - self.changed
                text += f" The other {rest:,} matching needed no change."
        if self.kept:
            text += (
                f" {self.kept:,} unsubscribed, bounced or complained "
                f"lead{'s keep their' if self.kept != 1 else ' keeps its'} status: change "
                "those one at a time if they asked you to."
            )
        if self.not_found:
            text += (
                f" {self.not_found:,} address{'es' if self.not_found != 1 else ''} of the "
                f"list match{'' if self.not_found != 1 else 'es'} no lead."
            )
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(self.verb),
            "value": self.value,
            "what": self.what,
            "matched": self.matched,
            "changed": self.changed,
            "batch": self.batch,
            "dry_run": self.dry_run,
            "kept": self.kept,
            "not_found": self.not_found,
            "message": self.message,
        }


def _done_words(verb: BulkVerb, value: str, n: int) -> str:
    leads = f"{n:,} lead{'s' if n != 1 else ''}"
    if verb is BulkVerb.TAG:
        return f"Added the tag {value} to {leads}"
    if verb is BulkVerb.UNTAG:
        return f"Removed the tag {value} from {leads}"
    if verb is BulkVerb.SET_STATUS:
        return f"Set {leads} to {STATUS_LABELS[LeadStatus(value)]}"
    if verb is BulkVerb.DNC:
        return (
            f"Marked {leads} do not contact"
            if value == "on"
            else (f"Cleared do not contact on {leads}")
        )
    if verb is BulkVerb.SNOOZE:
        return f"Snoozed {leads} until {value[:10]}"
    return f"Deleted {leads}"


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """One bulk change of the history."""

    id: int
    verb: str
    value: str
    what: str
    at: dt.datetime
    matched: int
    changed: int
    undone_at: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.verb,
            "what": self.what,
            "when": iso(self.at),
            "matched": self.matched,
            "changed": self.changed,
            "undone_at": iso(self.undone_at),
        }


@dataclass(frozen=True, slots=True)
class ChangeUndoReport:
    batch: int
    verb: str
    restored: int  # leads whose change went back
    kept: int  # leads changed again since (or gone, or whose address is taken): left so

    @property
    def message(self) -> str:
        leads = f"{self.restored:,} lead{'s' if self.restored != 1 else ''}"
        text = f"Undid change {self.batch}: {leads} back as they were."
        if self.verb == BulkVerb.DELETE:
            text = f"Undid change {self.batch}: {leads} came back."
        if self.kept:
            if self.verb == BulkVerb.DELETE:
                text += (
                    f" {self.kept:,} stay deleted: another lead has their address now, or "
                    "they were forgotten at their request."
                )
            else:
                text += f" {self.kept:,} changed since keep those later changes."
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "kind": self.verb,
            "restored": self.restored,
            "kept": self.kept,
            "message": self.message,
        }


# --- the selection ------------------------------------------------------------------------


def query_words(query: LeadQuery) -> str:
    """The lead list's filters in a few words, for the Changes history ("every lead")."""
    parts: list[str] = []
    if query.search.strip():
        parts.append(f"search '{query.search.strip()}'")
    if query.status:
        parts.append(f"status {query.status}")
    if query.step:
        parts.append(f"step {query.step}")
    tags = (*((query.tag,) if query.tag else ()), *query.tags_all)
    parts += [f"tag {t}" for t in tags]
    if query.tags_any:
        parts.append("any tag of " + ", ".join(query.tags_any))
    parts += [f"no tag {t}" for t in query.tags_none]
    if query.min_level is not None:
        parts.append(f"level at least {query.min_level}")
    if query.max_level is not None:
        parts.append(f"level at most {query.max_level}")
    if query.offer:
        parts.append(f"took {query.offer}")
    if query.source:
        parts.append(f"source {query.source}")
    if query.yes_since or query.yes_until or query.last_yes_after or query.last_yes_before:
        parts.append("yeses in a period")
    if query.never_asked:
        parts.append("never asked")
    if query.asked_before:
        parts.append(f"not asked since {query.asked_before.date()}")
    if query.engaged_since:
        parts.append(f"engaged since {query.engaged_since.date()}")
    parts += [f.words() for f in query.fields]
    return " · ".join(parts) or "every lead"


def _stamp(at: dt.datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _select(selection: Selection) -> tuple[int, int]:
    """Put the selection's lead ids in ``temp.bulk_selection``: (how many, addresses of the
    list that no lead has)."""
    if not selection.named:
        raise ValidationError(
            "Name the leads to change: a filter, a segment, a list of addresses, or every lead."
        )
    db = database_proxy
    db.execute_sql("CREATE TEMP TABLE IF NOT EXISTS bulk_selection (lead_id INTEGER PRIMARY KEY)")
    db.execute_sql(f"DELETE FROM {_SELECTION}")
    clauses = ["l.status != 'erased'"]
    params: list[Any] = []
    if selection.query is not None:
        where, more = lead_where(selection.query)
        if where:
            clauses.append(f"({where.removeprefix(' WHERE ')})")
            params += more
    if selection.lead_ids is not None:
        clauses.append("l.id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(list(selection.lead_ids)))
    not_found = 0
    if selection.emails is not None:
        db.execute_sql("CREATE TEMP TABLE IF NOT EXISTS bulk_emails (key TEXT PRIMARY KEY)")
        db.execute_sql(f"DELETE FROM {_EMAILS}")
        db.connection().executemany(
            f"INSERT OR IGNORE INTO {_EMAILS} (key) VALUES (?)",
            ((key,) for key in selection.emails),
        )
        listed = (
            f"SELECT x.id FROM lead x JOIN {_EMAILS} e ON e.key = x.email_key "
            f"UNION SELECT o.lead_id FROM lead_other_email o JOIN {_EMAILS} e "
            "ON e.key = o.email_key"
        )
        clauses.append(f"l.id IN ({listed})")
        (not_found,) = db.execute_sql(
            f"SELECT count(*) FROM {_EMAILS} e WHERE NOT EXISTS (SELECT 1 FROM lead x WHERE "
            "x.email_key = e.key AND x.status != 'erased') AND NOT EXISTS (SELECT 1 FROM "
            "lead_other_email o WHERE o.email_key = e.key)"
        ).fetchone()
    cursor = db.execute_sql(
        f"INSERT INTO {_SELECTION} (lead_id) SELECT l.id FROM lead l WHERE "
        + " AND ".join(clauses),
        params,
    )
    return int(cursor.rowcount), int(not_found)


def lead_ids_for(selection: Selection) -> list[int]:
    """Every lead the selection names, by id (for a change made elsewhere, like an ask)."""
    with database_proxy.atomic():
        _select(selection)
        return [
            int(r[0])
            for r in database_proxy.execute_sql(f"SELECT lead_id FROM {_SELECTION}").fetchall()
        ]


def _selected_ids() -> list[int] | None:
    rows = database_proxy.execute_sql(
        f"SELECT lead_id FROM {_SELECTION} LIMIT {_LISTED + 1}"
    ).fetchall()
    return None if len(rows) > _LISTED else [int(r[0]) for r in rows]


# --- running one change -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Applied:
    changed: int
    kept: int = 0


def _run(
    verb: BulkVerb,
    value: str,
    what: str,
    selection: Selection,
    apply: Callable[[int], _Applied],
    *,
    now: dt.datetime,
    dry_run: bool,
    progress: Progress,
    cancel: CancelToken | None,
) -> BulkReport:
    """Select, open the batch, ``apply(batch)``, close it; all in one transaction (a dry
    run, or a change that changed nothing, is rolled back)."""
    what = what[:1].upper() + what[1:]
    words = f"{what} · {selection.words}" if selection.words else what
    steps, done = 3, 0

    def tick() -> None:
        nonlocal done
        if cancel is not None:
            cancel.raise_if_cancelled()
        done += 1
        progress(done, steps)

    db = database_proxy
    with db.atomic("IMMEDIATE") as txn:
        matched, not_found = _select(selection)
        tick()
        cursor = db.execute_sql(
            "INSERT INTO import_batch (file_name, platform, kind, started_at) "
            "VALUES (?, 'bulk', 'change', ?)",
            [words, _stamp(now)],
        )
        batch = int(cursor.lastrowid)
        applied = apply(batch)
        tick()
        leads = _selected_ids()
        report = BulkReport(
            verb, value, words, matched, applied.changed, batch, dry_run, applied.kept, not_found
        )
        if dry_run or not applied.changed:
            txn.rollback()
            done = steps - 1
            tick()
            return dataclasses.replace(report, batch=None)
        db.execute_sql(
            "INSERT INTO bulk_change (batch_id, verb, value, what, matched, changed) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [batch, str(verb), value, words, matched, applied.changed],
        )
        db.execute_sql(
            "UPDATE import_batch SET rows = ?, updated = ?, finished_at = ? WHERE id = ?",
            [matched, applied.changed, _stamp(now), batch],
        )
        tick()
    note(tables=_noted(verb), leads=leads)
    return report


def _noted(verb: BulkVerb) -> tuple[str, ...]:
    """The tables a change notes: a delete (and its undo) reaches every table of a lead's
    rows (sales, bookings, activity: the funnel's), the others the lead list's."""
    return _DELETE_TABLES if verb is BulkVerb.DELETE else _TABLES


def _tag_id(name: str, batch: int | None) -> int:
    """The tag's id, created (with ``batch``, so the undo can drop it) if it is new."""
    db = database_proxy
    row = db.execute_sql("SELECT id FROM tag WHERE name = ? COLLATE NOCASE", [name]).fetchone()
    if row is not None:
        return int(row[0])
    cursor = db.execute_sql("INSERT INTO tag (name, batch_id) VALUES (?, ?)", [name, batch])
    return int(cursor.lastrowid)


def bulk_tag(
    selection: Selection,
    tag: str,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> BulkReport:
    """Put ``tag`` on every selected lead; a tag rule gives those leads its yes, as a tag
    typed on one lead does (the undo takes the yeses back)."""
    name = clean_tag(tag)

    def apply(batch: int) -> _Applied:
        tag_id = _tag_id(name, batch)
        cursor = database_proxy.execute_sql(
            "INSERT OR IGNORE INTO lead_tag (lead_id, tag_id, batch_id) "
            f"SELECT lead_id, ?, ? FROM {_SELECTION}",
            [tag_id, batch],
        )
        changed = int(cursor.rowcount)
        if changed:
            apply_tag_rules(now=now, batch_id=batch)
        return _Applied(changed)

    return _run(
        BulkVerb.TAG, name, f"add tag {name}", selection, apply,
        now=now, dry_run=dry_run, progress=progress, cancel=cancel,
    )  # fmt: skip


def bulk_untag(
    selection: Selection,
    tag: str,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> BulkReport:
    """Take ``tag`` off every selected lead (the yeses it gave stay: they happened)."""
    name = clean_tag(tag)

    def apply(batch: int) -> _Applied:
        db = database_proxy
        row = db.execute_sql("SELECT id FROM tag WHERE name = ? COLLATE NOCASE", [name]).fetchone()
        if row is None:
            return _Applied(0)
        # The batch the tag came with goes in the before-image: the undo puts it back, so
        # undoing that import later still takes the tag away.
        db.execute_sql(
            "INSERT INTO import_change (batch_id, lead_id, field, before, after) "
            "SELECT ?, lt.lead_id, 'tag', lt.batch_id, NULL FROM lead_tag lt "
            f"WHERE lt.tag_id = ? AND lt.lead_id IN ({SELECTED})",
            [batch, row[0]],
        )
        cursor = db.execute_sql(
            f"DELETE FROM lead_tag WHERE tag_id = ? AND lead_id IN ({SELECTED})", [row[0]]
        )
        return _Applied(int(cursor.rowcount))

    return _run(
        BulkVerb.UNTAG, name, f"remove tag {name}", selection, apply,
        now=now, dry_run=dry_run, progress=progress, cancel=cancel,
    )  # fmt: skip


_SUPPRESSED_SQL = ", ".join(f"'{s.value}'" for s in sorted(SUPPRESSED) if s != LeadStatus.ERASED)
_LABEL_SQL = (
    "CASE {col} "
    + " ".join(f"WHEN '{s.value}' THEN '{label}'" for s, label in STATUS_LABELS.items())
    + " ELSE {col} END"
)


def _set_field(batch: int, field: str, value: str, condition: str, now: dt.datetime) -> int:
    """Write ``value`` to the lead column ``field`` of the selected leads that
    ``condition`` (over ``l``) picks, with its before-image and the updated time's; how many."""
    db = database_proxy
    stamp = _stamp(now)
    db.execute_sql(
        "INSERT INTO import_change (batch_id, lead_id, field, before, after) "
        f"SELECT ?, l.id, ?, l.{field}, ? FROM lead l WHERE l.id IN ({SELECTED}) AND {condition}",
        [batch, field, value],
    )
    changed = f"SELECT lead_id FROM import_change WHERE batch_id = {batch} AND field = '{field}'"
    db.execute_sql(
        "INSERT INTO import_change (batch_id, lead_id, field, before, after) "
        f"SELECT ?, l.id, 'updated_at', l.updated_at, ? FROM lead l WHERE l.id IN ({changed})",
        [batch, stamp],
    )
    cursor = db.execute_sql(
        f"UPDATE lead SET {field} = ?, updated_at = ? WHERE id IN ({changed})", [value, stamp]
    )
    return int(cursor.rowcount)


def bulk_set_status(
    selection: Selection,
    status: LeadStatus | str,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> BulkReport:
    """Set the status of every selected lead, keeping the suppression rules (see the
    module docstring); each change goes on the lead's timeline."""
    new = parse_status(str(status))
    if new is LeadStatus.ERASED:
        raise ValidationError("A lead is erased with Forget this person, not by its status.")
    lifts = new not in SUPPRESSED

    def apply(batch: int) -> _Applied:
        db = database_proxy
        kept = 0
        condition = f"l.status != '{new.value}'"
        if lifts:
            (kept,) = db.execute_sql(
                f"SELECT count(*) FROM lead l WHERE l.id IN ({SELECTED}) "
                f"AND l.status IN ({_SUPPRESSED_SQL})"
            ).fetchone()
            condition += f" AND l.status NOT IN ({_SUPPRESSED_SQL})"
        db.execute_sql(
            "INSERT INTO lead_event (lead_id, at, kind, summary, data, batch_id) "
            "SELECT l.id, ?, 'status', 'Status changed from ' || "
            f"{_LABEL_SQL.format(col='l.status')} || ' to {STATUS_LABELS[new]}', "
            "json_object('from', l.status, 'to', ?), ? FROM lead l "
            f"WHERE l.id IN ({SELECTED}) AND {condition}",
            [_stamp(now), new.value, batch],
        )
        changed = _set_field(batch, "status", new.value, condition, now)
        return _Applied(changed, int(kept))

    return _run(
        BulkVerb.SET_STATUS, new.value, f"set status to {STATUS_LABELS[new]}", selection, apply,
        now=now, dry_run=dry_run, progress=progress, cancel=cancel,
    )  # fmt: skip


def bulk_do_not_contact(
    selection: Selection,
    flag: bool,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> BulkReport:
    """Mark every selected lead do not contact (``flag``), or clear the mark."""
    value = "1" if flag else "0"

    def apply(batch: int) -> _Applied:
        summary = "Marked do not contact" if flag else "Do not contact removed"
        condition = f"l.do_not_contact != {value}"
        database_proxy.execute_sql(
            "INSERT INTO lead_event (lead_id, at, kind, summary, data, batch_id) "
            f"SELECT l.id, ?, 'status', ?, json_object('do_not_contact', json(?)), ? "
            f"FROM lead l WHERE l.id IN ({SELECTED}) AND {condition}",
            [_stamp(now), summary, "true" if flag else "false", batch],
        )
        return _Applied(_set_field(batch, "do_not_contact", value, condition, now))

    what = "mark do not contact" if flag else "clear do not contact"
    return _run(
        BulkVerb.DNC, "on" if flag else "off", what, selection, apply,
        now=now, dry_run=dry_run, progress=progress, cancel=cancel,
    )  # fmt: skip


def bulk_snooze(
    selection: Selection,
    until: dt.datetime,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> BulkReport:
    """Keep every selected lead off Today's asks until ``until``."""
    if until <= now:
        raise ValidationError("Pick a date after today to snooze until.")
    written = _stamp(until)

    def apply(batch: int) -> _Applied:
        cursor = database_proxy.execute_sql(
            "INSERT INTO import_change (batch_id, lead_id, field, before, after) "
            "SELECT ?, s.lead_id, 'snooze', CASE WHEN z.lead_id IS NULL THEN NULL ELSE "
            f"json_array(z.until, z.kind) END, ? FROM {_SELECTION} s "
            "LEFT JOIN suggestion_snooze z ON z.lead_id = s.lead_id "
            "WHERE z.lead_id IS NULL OR z.until IS NOT ? OR z.kind IS NOT 'snooze'",
            [batch, written, written],
        )
        changed = int(cursor.rowcount)
        snooze_many(
            "SELECT lead_id FROM import_change WHERE batch_id = ? AND field = 'snooze'",
            [batch],
            written,
        )
        return _Applied(changed)

    return _run(
        BulkVerb.SNOOZE, written, f"snooze until {until.date().isoformat()}", selection, apply,
        now=now, dry_run=dry_run, progress=progress, cancel=cancel,
    )  # fmt: skip


def bulk_delete(
    selection: Selection,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> BulkReport:
    """Delete every selected lead with everything it has; the undo brings them back."""

    def apply(batch: int) -> _Applied:
        if dry_run:
            (n,) = database_proxy.execute_sql(f"SELECT count(*) FROM {_SELECTION}").fetchone()
            return _Applied(int(n))
        keep_rows(batch)
        if cancel is not None:
            cancel.raise_if_cancelled()
        return _Applied(delete_selected())

    return _run(
        BulkVerb.DELETE, "", "delete", selection, apply,
        now=now, dry_run=dry_run, progress=progress, cancel=cancel,
    )  # fmt: skip


# --- the history and its undo -------------------------------------------------------------

_CHANGE_SQL = (
    "SELECT b.id, c.verb, c.value, c.what, b.started_at, c.matched, c.changed, b.undone_at "
    "FROM bulk_change c JOIN import_batch b ON b.id = c.batch_id"
)


def _change_row(r: tuple[Any, ...]) -> ChangeRow:
    return ChangeRow(
        int(r[0]), str(r[1]), str(r[2]), str(r[3]), from_stored_required(r[4]),
        int(r[5]), int(r[6]), from_stored(r[7]),
    )  # fmt: skip


def list_changes() -> list[ChangeRow]:
    """Every bulk change, newest first."""
    rows = database_proxy.execute_sql(f"{_CHANGE_SQL} ORDER BY b.id DESC").fetchall()
    return [_change_row(r) for r in rows]


def get_change(batch_id: int) -> ChangeRow:
    row = database_proxy.execute_sql(f"{_CHANGE_SQL} WHERE b.id = ?", [batch_id]).fetchone()
    if row is None:
        raise NotFoundError(
            f"There is no change {batch_id}: run 'smallyes-cli changes' to see the list."
        )
    return _change_row(row)


def undo_change(batch_id: int, *, now: dt.datetime) -> ChangeUndoReport:
    """Undo one bulk change, field by field (see the module docstring)."""
    change = get_change(batch_id)
    if change.undone_at is not None:
        raise ValidationError(f"Change {batch_id} was already undone: there is nothing to undo.")
    db = database_proxy
    with db.atomic("IMMEDIATE"):
        verb = BulkVerb(change.verb)
        restored: int
        leads: list[int] | None = None
        if verb is BulkVerb.TAG:
            restored = _undo_tag(batch_id, change.value)
        elif verb is BulkVerb.UNTAG:
            restored = _undo_untag(batch_id, change.value)
        elif verb is BulkVerb.SET_STATUS:
            restored = _undo_field(batch_id, "status", "c.before", "c.after")
        elif verb is BulkVerb.DNC:
            restored = _undo_field(
                batch_id, "do_not_contact", "CAST(c.before AS INTEGER)", "CAST(c.after AS INTEGER)"
            )
        elif verb is BulkVerb.SNOOZE:
            restored = put_back_snoozes(
                "SELECT lead_id, before, after AS written FROM import_change "
                "WHERE batch_id = ? AND field = 'snooze'",
                [batch_id],
            )
        else:
            back = restore_rows(batch_id, database_path(db.obj))
            restored, leads = len(back.leads), back.leads
        db.execute_sql("DELETE FROM import_change WHERE batch_id = ?", [batch_id])
        db.execute_sql(
            "UPDATE import_batch SET undone_at = ? WHERE id = ?", [_stamp(now), batch_id]
        )
    listed = leads if leads is not None and len(leads) <= _LISTED else None
    note(tables=_noted(verb), leads=listed)
    return ChangeUndoReport(batch_id, change.verb, restored, change.changed - restored)


def _undo_tag(batch_id: int, name: str) -> int:
    db = database_proxy
    # The yeses tag rules gave the tag with this change, and the asks they answered.
    yes_leads = undo_activity(batch_id)
    undo_tag_rule_yeses(batch_id)
    db.execute_sql("DELETE FROM commitment WHERE batch_id = ?", [batch_id])
    if yes_leads:
        lead_cache.recompute(yes_leads)
    row = db.execute_sql("SELECT id FROM tag WHERE name = ? COLLATE NOCASE", [name]).fetchone()
    restored = 0
    if row is not None:
        cursor = db.execute_sql(
            "DELETE FROM lead_tag WHERE tag_id = ? AND batch_id = ?", [row[0], batch_id]
        )
        restored = int(cursor.rowcount)
    db.execute_sql(
        "DELETE FROM tag WHERE batch_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM lead_tag lt WHERE lt.tag_id = tag.id)",
        [batch_id],
    )
    return restored


def _undo_untag(batch_id: int, name: str) -> int:
    tag_id = _tag_id(name, None)  # gone since (an undone import took it): made again
    cursor = database_proxy.execute_sql(
        "INSERT OR IGNORE INTO lead_tag (lead_id, tag_id, batch_id) "
        "SELECT c.lead_id, ?, (SELECT b.id FROM import_batch b WHERE b.id = "
        "CAST(c.before AS INTEGER)) FROM import_change c WHERE c.batch_id = ? AND c.field = 'tag'",
        [tag_id, batch_id],
    )
    return int(cursor.rowcount)


def _undo_field(batch_id: int, field: str, before: str, after: str) -> int:
    """Put ``field`` back on the leads where it still holds what the change wrote (and
    their updated time, unless something else changed them since)."""
    db = database_proxy
    still = (
        f"SELECT c.lead_id FROM import_change c JOIN lead l ON l.id = c.lead_id "
        f"WHERE c.batch_id = ? AND c.field = '{field}' AND l.{field} = {after}"
    )
    # Their timeline no longer says it happened; a lead changed since keeps the line.
    db.execute_sql(
        f"DELETE FROM lead_event WHERE batch_id = ? AND lead_id IN ({still})", [batch_id, batch_id]
    )
    cursor = db.execute_sql(
        f"UPDATE lead SET {field} = {before}, updated_at = coalesce((SELECT u.before FROM "
        "import_change u WHERE u.lead_id = lead.id AND u.batch_id = c.batch_id AND "
        "u.field = 'updated_at' AND u.after = lead.updated_at), lead.updated_at) "
        f"FROM import_change c WHERE c.batch_id = ? AND c.field = '{field}' "
        f"AND lead.id = c.lead_id AND lead.{field} = {after}",
        [batch_id],
    )
    return int(cursor.rowcount)
