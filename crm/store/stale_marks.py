"""Marks the stored next asks a commit may have changed, inside that commit.

Each lead's next ask is stored (``next_ask``, owned by ``crm.asking.stored``) and must never
be read stale. Every writer already notes what it touched (:mod:`crm.changes`), and the
change log writes those notes with the commit that made them: :func:`mark` runs there too,
so a write and the marks it calls for are saved together or not at all. A note naming its
leads marks those rows stale; one naming none, or too many to list (an import, a ladder
change, a setting), moves the book's generation on, which makes every row stale. A write
to what the evidence is computed from (yeses, asks, the ladder, engagement) also marks
the stored evidence stale: the next reader recomputes it and, only if it moved materially
(``crm.asking.stored.evidence_moved``), re-scores every lead; else it keeps the stored
evidence and scores just the stale leads with it.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Protocol

from crm.changes import ALL, Change

# Tables no suggestion is made from: writing them changes nobody's next ask.
IGNORED = frozenset(
    {"segment", "change_note", "forgotten_address", "import_change", "import_batch",
     "bulk_change", "bulk_deleted", "campaign", "tag_rule_yes", "next_ask", "next_ask_book"}
)  # fmt: skip
# What the evidence (acceptance rates, medians, offers used, the newest e-mail) is read
# from: a lead's delete notes its yeses and asks too, so a status or a name is no reason.
EVIDENCE_TABLES = frozenset({ALL, "commitment", "ask", "step", "activity_event"})


class _Connection(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


def mark(conn: _Connection, change: Change) -> None:
    """Mark stale what ``change`` may have changed, on ``conn`` inside its transaction."""
    tables = change.tables - IGNORED
    if not tables and not change.settings:
        return
    try:
        if not tables.isdisjoint(EVIDENCE_TABLES):
            conn.execute("UPDATE next_ask_book SET evidence_stale = 1 WHERE evidence_stale = 0")
        if change.leads is None or not change.leads or change.settings:
            conn.execute("UPDATE next_ask_book SET gen = gen + 1")
        else:
            conn.execute(
                "UPDATE next_ask SET stale = 1 "
                "WHERE lead_id IN (SELECT value FROM json_each(?)) AND stale = 0",
                (json.dumps(sorted(change.leads)),),
            )
    except sqlite3.OperationalError as exc:
        # a book opened without its migrations (a test of an older schema) stores none
        if "no such table: next_ask" not in str(exc):
            raise
