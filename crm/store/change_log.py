"""The book's own record of what each commit changed, for the other processes on it.

A window learns of its own edits from :mod:`crm.changes` directly; a command run beside it,
or a second window, is another process. So every note a writer makes also goes here: each
thread's notes gather in one pending :class:`~crm.changes.Collector`, and the transaction
that commits them writes one ``change_note`` row (its tables, up to :data:`MAX_LEADS` lead
ids or "many", its settings), inside that transaction: a reader never sees the note
before the change. Notes made outside a transaction are written when the operation ends
(the outermost :func:`crm.changes.collecting` block, or the connection closing), after
the writes they describe. Rows older than :data:`KEEP_S` are pruned as new ones are
written; the newest always stays, so ids only grow and a reader can tell when it missed
some.

:func:`notes_after` reads the rows a reader has not seen (``crm.store.change_feed`` turns
them into a :class:`~crm.changes.Change`). The table and its writing know nothing of how a
reader learns that rows are waiting: SQLite's ``data_version`` today, a server's
notification for another store.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from crm.changes import EVERYTHING, NOTHING, Change, Collector
from crm.store import stale_marks
from crm.store.models import database_proxy

log = logging.getLogger(__name__)

# The lead ids one row lists; past this many it says "many" (a page reloads its list).
MAX_LEADS = 500
# The leads the stale marks list (``crm.store.stale_marks``); past this many every stored
# next ask is marked stale.
MARK_LEADS = 20_000
# How long rows are kept: a reader asleep for longer than this reloads everything.
KEEP_S = 24 * 3600

# This process's token in ``change_note.origin``: a window skips the rows its own process
# wrote (it showed those changes already). Random, so a later process with the same pid
# is another origin.
ORIGIN = int.from_bytes(os.urandom(7), "big")


class _Connection(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


class _Database(Protocol):
    def is_closed(self) -> bool: ...

    def connection(self) -> Any: ...


@dataclass
class _Pending:
    notes: Collector
    # What was pending when the open transaction began, put back if it rolls back.
    at_begin: Change | None = None
    # the same notes with more leads listed, for the stale marks
    marks: Collector = field(default_factory=lambda: Collector(cap=MARK_LEADS))
    marks_at_begin: Change | None = None


class ChangeLog:
    """The pending notes of one database object, one set per thread (each thread has its
    own connection and transactions). The database calls :meth:`began`,
    :meth:`before_commit` and :meth:`rolled_back` from its transaction methods, and
    :meth:`flush` before a connection closes."""

    def __init__(self, db: _Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._local = threading.local()

    def _pending(self) -> _Pending | None:
        return getattr(self._local, "pending", None)

    def add(
        self, tables: tuple[str, ...], leads: tuple[int, ...] | None, settings: tuple[str, ...]
    ) -> None:
        pending = self._pending()
        if pending is None:
            pending = self._local.pending = _Pending(Collector(cap=MAX_LEADS))
        pending.notes.add(tables, leads, settings)
        pending.marks.add(tables, leads, settings)

    def began(self) -> None:
        pending = self._pending()
        if pending is not None:
            pending.at_begin = pending.notes.change
            pending.marks_at_begin = pending.marks.change

    def rolled_back(self) -> None:
        """Forget the notes made inside the transaction (those from before it stay)."""
        pending = self._pending()
        if pending is None:
            return
        if pending.at_begin is None:
            self._local.pending = None
            return
        notes = Collector(cap=MAX_LEADS)
        notes.add(pending.at_begin.tables, pending.at_begin.leads, pending.at_begin.settings)
        marks = Collector(cap=MARK_LEADS)
        if (before := pending.marks_at_begin) is not None:
            marks.add(before.tables, before.leads, before.settings)
        self._local.pending = _Pending(notes, marks=marks)

    def before_commit(self) -> None:
        """Inside the committing transaction: write what is pending."""
        self._write()

    def flush(self) -> None:
        """Outside a transaction: write what writes without one noted (a closed connection
        writes nothing: it flushed as it closed, or the file under it was replaced).

        The writes it describes are already saved: a failure to note them (a full disk)
        costs the other windows a refresh, and is logged rather than raised over them.
        """
        if self._db.is_closed():
            return
        try:
            self._write()
        except sqlite3.Error as exc:
            log.warning("could not note a change for other windows: %s", exc)

    def discard(self) -> None:
        """Forget what is pending: the operation was refused, having written nothing."""
        self._local.pending = None

    def _write(self) -> None:
        pending = self._pending()
        if pending is None:
            return
        self._local.pending = None
        change = pending.notes.change
        if change.empty:
            return
        stale_marks.mark(self._db.connection(), pending.marks.change)
        try:
            write_note(self._db.connection(), change, at=int(self._clock()))
        except sqlite3.OperationalError as exc:
            if "no such table: change_note" not in str(exc):
                raise
            # A book opened without its migrations (a test of an older schema): nobody
            # else can read notes from it either.
            log.debug("no change_note table in %s", getattr(self._db, "database", "?"))


def write_note(conn: _Connection, change: Change, *, at: int, origin: int = ORIGIN) -> None:
    """One ``change_note`` row for ``change``, and the rows older than :data:`KEEP_S` pruned."""
    leads = None if change.leads is None else json.dumps(sorted(change.leads))
    conn.execute(
        "INSERT INTO change_note (at, origin, table_names, lead_ids, setting_keys) "
        "VALUES (?, ?, ?, ?, ?)",
        (at, origin, json.dumps(sorted(change.tables)), leads, json.dumps(sorted(change.settings))),
    )
    # Rows are appended in time order: the old ones are the first few by id, and the row
    # just written is never among them.
    conn.execute(
        "DELETE FROM change_note WHERE id < "
        "(SELECT id FROM change_note WHERE at >= ? ORDER BY id LIMIT 1)",
        (at - KEEP_S,),
    )


@dataclass(frozen=True, slots=True)
class NotesRead:
    """What the rows after a reader's last one say: the change other processes made, and
    the id to read after next time."""

    change: Change
    last_id: int


def last_note_id(conn: _Connection) -> int:
    """The newest row's id (0 for none): where a new reader starts."""
    return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM change_note").fetchone()[0])


def notes_after(conn: _Connection, last_id: int, *, origin: int = ORIGIN) -> NotesRead:
    """The union of the rows after ``last_id`` that another process wrote.

    Rows that are missing (pruned while the reader slept, or ids that went back: another
    file) make it everything.
    """
    rows = conn.execute(
        "SELECT id, origin, table_names, lead_ids, setting_keys FROM change_note "
        "WHERE id > ? ORDER BY id",
        (last_id,),
    ).fetchall()
    if not rows:
        newest = last_note_id(conn)
        return NotesRead(EVERYTHING, newest) if newest < last_id else NotesRead(NOTHING, last_id)
    if rows[0][0] != last_id + 1:
        return NotesRead(EVERYTHING, rows[-1][0])
    seen = Collector(cap=MAX_LEADS)
    for _id, writer, tables, leads, settings in rows:
        if writer == origin:
            continue
        seen.add(
            json.loads(tables), None if leads is None else json.loads(leads), json.loads(settings)
        )
    return NotesRead(seen.change, rows[-1][0])


class _OpenBook:
    """The journal :mod:`crm.changes` sends notes to: the change log of the book the models
    are bound to (none when no book is open)."""

    @staticmethod
    def _log() -> ChangeLog | None:
        log_ = getattr(database_proxy.obj, "change_log", None)
        return log_ if isinstance(log_, ChangeLog) else None

    def add(
        self, tables: tuple[str, ...], leads: tuple[int, ...] | None, settings: tuple[str, ...]
    ) -> None:
        if (book := self._log()) is not None:
            book.add(tables, leads, settings)

    def flush(self) -> None:
        if (book := self._log()) is not None:
            book.flush()

    def discard(self) -> None:
        if (book := self._log()) is not None:
            book.discard()


OPEN_BOOK = _OpenBook()
