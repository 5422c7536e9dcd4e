"""How an open window learns, cheaply and while idle, that another process changed the book.

The window asks its :class:`ChangeFeed` on a timer (:meth:`ChangeFeed.check`) and gets back
what it heard: the :class:`~crm.changes.Change` other processes committed since the last
check, the same value its own edits produce, or that the book's file was replaced.

For SQLite (:class:`SqliteChangeFeed`) an idle check is one ``stat`` of the path and one
``PRAGMA data_version`` on the window's own connection, which reads no table and changes
only when another connection committed. Only then are the new ``change_note`` rows read
(:mod:`crm.store.change_log`). Another file at the path (a restore by a program that
ignores the book's lock) is heard as a replacement: the book must be opened again.

A shared server store plugs in another way of hearing with its own feed (PostgreSQL: a
``LISTEN`` on the connection, whose check reads the notifications already received) and
reads the same ``change_note`` rows; :func:`watch_open_book` picks the feed for the book.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from crm.changes import EVERYTHING, NOTHING, Change
from crm.errors import StorageError
from crm.store.change_log import last_note_id, notes_after
from crm.store.db import BookDatabase, current_book
from crm.store.problems import explain_sqlite_error


@dataclass(frozen=True, slots=True)
class Heard:
    """What one check heard: ``change`` (``NOTHING`` when idle), and ``replaced`` when
    another file now stands at the book's path (then ``change`` is everything)."""

    change: Change = NOTHING
    replaced: bool = False


class ChangeFeed(Protocol):
    """A store's way of telling an open window what other processes changed."""

    def check(self) -> Heard:
        """What changed since the last check; cheap when nothing did. Raises
        ``StorageError`` when the book cannot be read."""
        ...


class SqliteChangeFeed:
    """``PRAGMA data_version`` on the connection of the thread that checks (the window's),
    then the ``change_note`` rows after the last one read."""

    def __init__(self, db: BookDatabase) -> None:
        self.db = db
        conn = db.connection()
        self._version = _data_version(conn)
        self._last_id = last_note_id(conn)

    def check(self) -> Heard:
        db = self.db
        # Closed: a restore is swapping the file. In a transaction: this thread is writing
        # (a nested event loop), and reads its own snapshot.
        if db.is_closed() or db.in_transaction():
            return Heard()
        if db.replaced():
            return Heard(EVERYTHING, replaced=True)
        try:
            conn = db.connection()
            version = _data_version(conn)
            if version == self._version:
                return Heard()
            read = notes_after(conn, self._last_id)
        except sqlite3.DatabaseError as exc:
            raise StorageError(explain_sqlite_error(exc, Path(db.database))) from exc
        self._version, self._last_id = version, read.last_id
        return Heard(read.change)


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def watch_open_book() -> ChangeFeed | None:
    """A feed on the book the models are bound to, starting from now (None: no book)."""
    db = current_book()
    return SqliteChangeFeed(db) if db is not None and not db.is_closed() else None
