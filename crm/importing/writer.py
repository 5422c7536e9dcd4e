"""The database side of an import: the one place that knows the tables' columns and SQL.

A chunk's stored leads, and what is attached to them, are read with a few ``IN`` queries;
its writes are queued and go out together through ``executemany`` on the raw
connection, in one transaction the caller holds. A dry run queues the same and writes
nothing: the counts come out as they would.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from crm.asking.ladder import step_by_key
from crm.book.lead_cache import fold_yes
from crm.book.leads import STATUS_LABELS, SUPPRESSED, make_search_text
from crm.importing.merge import (
    FIELD_WORDS,
    Patch,
    StoredLead,
    applied,
    custom_json,
    first_signup,
)
from crm.importing.normalise import OtherAddress, Record
from crm.importing.plain import PlainRow
from crm.store.db import MAX_SQL_VARIABLES

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_SUPPRESSED_VALUES = tuple(sorted(s.value for s in SUPPRESSED))


def tag_key(name: str) -> str:
    """Tag names compare like SQLite's NOCASE: ASCII letters only."""
    return name.translate(_ASCII_LOWER)


def _parts(values: Sequence[Any]) -> Iterable[tuple[Sequence[Any], str]]:
    """``values`` in statements' worth, each with its ``?`` marks."""
    for start in range(0, len(values), MAX_SQL_VARIABLES):
        part = values[start : start + MAX_SQL_VARIABLES]
        yield part, ",".join("?" * len(part))


class BatchWriter:
    """Reads and writes one import batch through ``conn`` (a raw sqlite3 connection)."""

    def __init__(self, conn: Any, *, now_text: str, dry_run: bool) -> None:
        self.conn = conn
        self.now_text = now_text
        self.dry_run = dry_run
        self.batch_id = 0
        self.next_id = 0  # the id the next new lead gets
        self.book_was_empty = False
        self.step_id = 0  # the subscribe step
        self.step_level = 0
        self.file_name = ""
        self.source = self.label = ""  # the current file's platform: lead.source, its name
        self.tag_ids: dict[str, int] = {}  # by tag_key
        self.tag_ids_by_name: dict[str, int] = {}  # by the exact spelling seen in the file
        self.dropped_indexes: list[tuple[str, str]] = []
        self._new_leads: list[tuple[Any, ...]] = []
        self._updates: list[tuple[Any, ...]] = []
        self._remembered: list[tuple[int, int]] = []  # (fingerprint, lead id)
        self._changes: list[tuple[Any, ...]] = []
        self._commitments: list[tuple[Any, ...]] = []
        self._events: list[tuple[Any, ...]] = []
        self._tag_rows: list[tuple[int, int, int]] = []
        self._others: list[tuple[Any, ...]] = []

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, args)

    # -- the batch

    def start(
        self,
        file_name: str,
        platform: str,
        encoding: str,
        delimiter: str,
        on_duplicate: str,
        tag: str,
    ) -> None:
        conn = self.conn
        self.file_name = file_name
        cur = conn.execute(
            "INSERT INTO import_batch (file_name, platform, encoding, delimiter, on_duplicate,"
            " tag, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (file_name, platform, encoding, delimiter, on_duplicate, tag, self.now_text),
        )
        self.batch_id = cur.lastrowid
        last_id = conn.execute("SELECT max(id) FROM lead").fetchone()[0]
        self.next_id = (last_id or 0) + 1
        # Into an empty lead book, a first occurrence can only be new: no lookups needed.
        self.book_was_empty = last_id is None
        step = step_by_key("subscribed")
        self.step_id, self.step_level = step.id, step.level
        for tag_id, name in conn.execute("SELECT id, name FROM tag"):
            self.tag_ids[tag_key(name)] = tag_id

    def finish(self, counts: Sequence[int]) -> None:
        """Store the batch's counts: rows, created, updated, unchanged, rejected,
        duplicates in the file, warnings."""
        self.conn.execute(
            "UPDATE import_batch SET rows = ?, created = ?, updated = ?, unchanged = ?, "
            "rejected = ?, duplicates_in_file = ?, warnings = ?, finished_at = ? "
            "WHERE id = ?",
            (*counts, self.now_text, self.batch_id),
        )

    # -- reading

    def lead_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM lead").fetchone()[0])

    def fingerprints(self) -> dict[int, tuple[str, int, str]]:
        """fingerprint -> (email key, lead id, status) of every lead that reflects a record."""
        return {
            fp: (key, lead_id, status)
            for fp, key, lead_id, status in self.conn.execute(
                "SELECT import_fp, email_key, id, status FROM lead WHERE import_fp IS NOT NULL"
            )
        }

    def stored_leads(self, keys: Sequence[str]) -> dict[str, StoredLead]:
        found: dict[str, StoredLead] = {}
        make = StoredLead._make
        for part, marks in _parts(keys):
            cursor = self.conn.execute(
                "SELECT email_key, id, email, first_name, last_name, company, phone, notes, "
                "status, custom, level, last_commitment_at, updated_at, import_fp FROM lead "
                f"WHERE email_key IN ({marks})",
                part,
            )
            found.update({row[0]: make(row) for row in cursor})
        return found

    def attached(
        self, leads: Iterable[StoredLead]
    ) -> tuple[dict[int, set[int]], dict[int, set[str]], dict[int, str]]:
        """For these leads: their tag ids, their subscribe times, and when the suppressed
        ones last changed status."""
        tags: dict[int, set[int]] = {}
        signups: dict[int, set[str]] = {}
        since: dict[int, str] = {}
        leads = list(leads)
        ids = [lead.id for lead in leads]
        for part, marks in _parts(ids):
            for lead_id, tag_id in self.conn.execute(
                f"SELECT lead_id, tag_id FROM lead_tag WHERE lead_id IN ({marks})", part
            ):
                tags.setdefault(lead_id, set()).add(tag_id)
            # '+step_id' keeps SQLite on the lead index: the step index would walk every
            # subscribe in the book for each chunk.
            for lead_id, at in self.conn.execute(
                f"SELECT lead_id, at FROM commitment WHERE +step_id = ? AND lead_id IN ({marks})",
                [self.step_id, *part],
            ):
                signups.setdefault(lead_id, set()).add(str(at))
        suppressed = [lead.id for lead in leads if lead.status in _SUPPRESSED_VALUES]
        for part, marks in _parts(suppressed):
            for lead_id, at in self.conn.execute(
                "SELECT lead_id, max(at) FROM lead_event WHERE kind = 'status' AND lead_id IN "
                f"({marks}) GROUP BY lead_id",
                part,
            ):
                if at is not None:
                    since[lead_id] = str(at)
        return tags, signups, since

    def lead_keys(self, keys: Sequence[str]) -> set[str]:
        """The keys among ``keys`` that are a stored lead's own email."""
        found: set[str] = set()
        for part, marks in _parts(keys):
            found.update(
                k for (k,) in self.conn.execute(
                    f"SELECT email_key FROM lead WHERE email_key IN ({marks})", part
                )
            )  # fmt: skip
        return found

    def tag_id(self, name: str) -> int:
        """The tag's id, the tag created if it is new (a dry run makes one up)."""
        found = self.tag_ids_by_name.get(name)
        if found is not None:
            return found
        key = tag_key(name)
        found = self.tag_ids.get(key)
        if found is None:
            if self.dry_run:
                found = -1 - len(self.tag_ids)  # no stored lead has a tag that is not stored
            else:
                found = self.conn.execute(
                    "INSERT INTO tag (name, batch_id) VALUES (?, ?)", (name, self.batch_id)
                ).lastrowid
            self.tag_ids[key] = found
        self.tag_ids_by_name[name] = found
        return found

    # -- queuing a chunk's writes

    @property
    def new_leads(self) -> int:
        """How many new leads are queued."""
        return len(self._new_leads)

    def create(self, r: Record) -> int:
        """Queue a new lead made from the record; its id."""
        lead_id = self.next_id
        self.next_id += 1
        batch, now = self.batch_id, self.now_text
        v = r.values
        first, last, company = v.get("first_name", ""), v.get("last_name", ""), v.get("company", "")
        level, last_yes = 0, None
        status = r.status
        signup = first_signup(r)
        if signup is not None:
            self._commitments.append((lead_id, self.step_id, signup, self.source, batch))
            level, last_yes = fold_yes(level, last_yes, self.step_level, signup)
        if status in SUPPRESSED:
            # Without its own date the suppression happened at some time up to the export:
            # the import's time, never the sign-up's, which would let any later-dated
            # subscribe in another file lift it (rule 8).
            self._events.append(
                (
                    lead_id,
                    r.status_at or now,
                    "status",
                    f"{STATUS_LABELS[status]} (from {self.label})",
                    json.dumps({"to": status.value, "raw": r.status_raw}, ensure_ascii=False),
                    batch,
                )
            )
        self._new_leads.append(
            (
                lead_id,
                r.email,
                r.key,
                first,
                last,
                company,
                v.get("phone", ""),
                self.source,
                status.value,
                v.get("notes", ""),
                custom_json(r.custom),
                make_search_text(r.email, first, last, company),
                now,
                now,
                batch,
                level,
                last_yes,
                r.fp,
            )
        )
        for tag in r.tags:
            self._tag_rows.append((lead_id, self.tag_id(tag), batch))
        return lead_id

    def create_plain(self, r: PlainRow) -> int:
        """Queue a new lead made from a record the fast path settled (crm.importing.plain):
        the same rows ``create`` queues for it; its id."""
        lead_id = self.next_id
        self.next_id += 1
        batch, now, source = self.batch_id, self.now_text, self.source
        signup = r.signup_at
        if signup is not None:
            self._commitments.append((lead_id, self.step_id, signup, source, batch))
            level, last_yes = fold_yes(0, None, self.step_level, signup)
        else:
            level, last_yes = 0, None
        email, first, last, company = r.email, r.first_name, r.last_name, r.company
        self._new_leads.append(
            (
                lead_id,
                email,
                r.key,
                first,
                last,
                company,
                r.phone,
                source,
                r.status.value,
                r.notes,
                r.custom,
                make_search_text(email, first, last, company),
                now,
                now,
                batch,
                level,
                last_yes,
                r.fp,
            )
        )
        if r.tags:
            tag_rows, tag_id = self._tag_rows, self.tag_id
            for tag in r.tags:
                tag_rows.append((lead_id, tag_id(tag), batch))
        return lead_id

    def update(self, lead: StoredLead, patch: Patch) -> None:
        """Queue the patch of a stored lead, with its change records and timeline rows."""
        batch, now, lead_id = self.batch_id, self.now_text, lead.id
        changes = self._changes
        for name, text in patch.fields.items():
            changes.append((batch, lead_id, name, getattr(lead, name), text))
        if patch.custom is not None:
            changes.append((batch, lead_id, "custom", lead.custom, patch.custom))
        if patch.status is not None:
            old, new = patch.status
            changes.append((batch, lead_id, "status", old.value, new.value))
            self._events.append(
                (
                    lead_id,
                    patch.status_at or now,
                    "status",
                    f"Status changed from {STATUS_LABELS[old]} to {STATUS_LABELS[new]} "
                    f"(from {self.label})",
                    json.dumps(
                        {"from": old.value, "to": new.value, "raw": patch.status_raw},
                        ensure_ascii=False,
                    ),
                    batch,
                )
            )
        if patch.signup_at is not None:
            self._commitments.append((lead_id, self.step_id, patch.signup_at, self.source, batch))
        for tag_id in patch.tags:
            self._tag_rows.append((lead_id, tag_id, batch))
        after = applied(lead, patch, now)
        changes.append((batch, lead_id, "updated_at", str(lead.updated_at), now))
        if after.level != lead.level:
            changes.append((batch, lead_id, "level", str(lead.level), str(after.level)))
        self._updates.append(
            (
                after.first_name,
                after.last_name,
                after.company,
                after.phone,
                after.notes,
                after.status,
                after.custom,
                make_search_text(after.email, after.first_name, after.last_name, after.company),
                now,
                after.level,
                after.last_commitment_at,
                after.import_fp,
                lead_id,
            )
        )
        words = ", ".join(dict.fromkeys(FIELD_WORDS[f] for f in patch.changed))
        self._events.append(
            (
                lead_id,
                now,
                "import",
                f"Updated from {self.label}: {words}",
                json.dumps(
                    {"batch_id": batch, "file": self.file_name, "fields": patch.changed},
                    ensure_ascii=False,
                ),
                batch,
            )
        )

    def remember(self, fp: int, lead_id: int) -> None:
        """The unchanged lead reflects the record with this fingerprint."""
        self._remembered.append((fp, lead_id))

    def add_other_emails(self, lead_id: int, others: Sequence[OtherAddress]) -> None:
        for address, key, _, _ in others:
            self._others.append((lead_id, address, key, self.now_text, self.batch_id))

    def flush(self) -> None:
        """Write what is queued (a dry run drops it)."""
        conn = self.conn
        queued = (
            self._new_leads,
            self._updates,
            self._remembered,
            self._changes,
            self._commitments,
            self._events,
            self._tag_rows,
            self._others,
        )
        self._new_leads, self._updates, self._remembered, self._changes = [], [], [], []
        self._commitments, self._events, self._tag_rows, self._others = [], [], [], []
        if self.dry_run:
            return
        for sql, rows in zip(_WRITES, queued, strict=True):
            if rows:
                conn.executemany(sql, rows)

    # -- indexes

    def drop_indexes(self) -> None:
        """Drop the secondary indexes, to build them once at the end: sorted builds beat
        scattered inserts on a large load. In the batch's transaction, so a rollback
        brings them back untouched."""
        self.dropped_indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('lead', 'commitment', 'lead_event') AND name NOT IN "
            "('commitment_lead', 'lead_event_lead')"
        ).fetchall()
        for name, _ in self.dropped_indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    def restore_indexes(self) -> None:
        for _, sql in self.dropped_indexes:
            self.conn.execute(sql)
        self.dropped_indexes = []


# In the order BatchWriter.flush queues them: leads first, for the rows that point at them.
_WRITES = (
    "INSERT INTO lead (id, email, email_key, first_name, last_name, company, phone, source,"
    " status, notes, custom, search_text, created_at, updated_at, batch_id, level,"
    " last_commitment_at, import_fp) VALUES "
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "UPDATE lead SET first_name = ?, last_name = ?, company = ?, phone = ?, notes = ?, "
    "status = ?, custom = ?, search_text = ?, updated_at = ?, level = ?, "
    "last_commitment_at = ?, import_fp = ? WHERE id = ?",
    "UPDATE lead SET import_fp = ? WHERE id = ?",
    "INSERT INTO import_change (batch_id, lead_id, field, before, after) VALUES (?, ?, ?, ?, ?)",
    "INSERT INTO commitment (lead_id, step_id, at, source, note, batch_id) "
    "VALUES (?, ?, ?, ?, '', ?)",
    "INSERT INTO lead_event (lead_id, at, kind, summary, data, batch_id) VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT OR IGNORE INTO lead_tag (lead_id, tag_id, batch_id) VALUES (?, ?, ?)",
    "INSERT OR IGNORE INTO lead_other_email (lead_id, email, email_key, created_at, batch_id) "
    "VALUES (?, ?, ?, ?, ?)",
)
