"""Writes wait for the full check of the book: a damaged file is never written to.

``quick_check`` reads the whole file, so the window does not wait for it: it opens after the
cheap probe (:func:`crm.store.health.probe`) and the full check runs on a thread once the
first rows are shown. Until the check has answered, every write on a connection the gate
guards (:meth:`crm.store.db.BookDatabase.guard_writes`) waits for it, through SQLite's
authorizer, so no code path can slip a write past it (raw cursors and ``executemany``
included); a write that comes first starts the check itself. Reads go on meanwhile. A
damaged file refuses every write from then on.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from crm.errors import DatabaseDamagedError
from crm.safety.damage import writes_refused_error
from crm.store.health import quick_check

# Authorizer actions that change the file (sqlite3.h); CREATE/DROP TEMP ones do not.
_WRITES = frozenset(
    {
        sqlite3.SQLITE_INSERT,
        sqlite3.SQLITE_UPDATE,
        sqlite3.SQLITE_DELETE,
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_CREATE_TRIGGER,
        sqlite3.SQLITE_CREATE_VIEW,
        sqlite3.SQLITE_CREATE_VTABLE,
        sqlite3.SQLITE_DROP_INDEX,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_DROP_TRIGGER,
        sqlite3.SQLITE_DROP_VIEW,
        sqlite3.SQLITE_DROP_VTABLE,
        sqlite3.SQLITE_ALTER_TABLE,
        sqlite3.SQLITE_REINDEX,
        sqlite3.SQLITE_ANALYZE,
        sqlite3.SQLITE_ATTACH,
    }
)
# Pragmas that only read, or only set this connection up, even with an argument.
_HARMLESS_PRAGMAS = frozenset(
    {
        "busy_timeout",
        "cache_size",
        "defer_foreign_keys",
        "foreign_key_check",
        "foreign_key_list",
        "foreign_keys",
        "index_info",
        "index_list",
        "index_xinfo",
        "integrity_check",
        "query_only",
        "quick_check",
        "recursive_triggers",
        "synchronous",
        "table_info",
        "table_xinfo",
        "temp_store",
    }
)
# Pragmas that write the file even without an argument.
_WRITING_PRAGMAS = frozenset({"wal_checkpoint", "optimize", "incremental_vacuum"})


def is_write(action: int, arg1: str | None, arg2: str | None, dbname: str | None) -> bool:
    """Whether an authorizer request would change the database file."""
    if action == sqlite3.SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        return name in _WRITING_PRAGMAS or (arg2 is not None and name not in _HARMLESS_PRAGMAS)
    return action in _WRITES and dbname != "temp"


class WriteGate:
    """The full check of one book, and the writes held until it has answered."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._problems: list[str] = []
        self._passed = False
        self._done = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin the check on a thread (SQLite releases the GIL while it reads); idempotent."""
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="smallyes-health", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._problems = quick_check(self.db_path)
        except Exception as exc:  # noqa: BLE001 - any failure to check counts as damage
            self._problems = [str(exc) or type(exc).__name__]
        finally:
            self._passed = not self._problems
            self._done.set()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def passed(self) -> bool:
        """True once the check found the file healthy."""
        return self._passed

    def problems(self) -> list[str]:
        """What the check found (empty: healthy), starting it and waiting if need be."""
        self.start()
        self._done.wait()
        return list(self._problems)

    def wait(self) -> None:
        """Return once the file passed; raise ``DatabaseDamagedError`` if it is damaged."""
        if self._passed:
            return
        problems = self.problems()
        if problems:
            raise self.refused(problems)

    def refused(self, problems: list[str] | None = None) -> DatabaseDamagedError:
        """The error a refused write raises."""
        return writes_refused_error(self.db_path, problems or self._problems or ["damaged"])

    def authorize(
        self,
        action: int,
        arg1: str | None,
        arg2: str | None,
        dbname: str | None,
        _source: str | None,
    ) -> int:
        """SQLite's authorizer: a write waits for the check, and is denied if it failed."""
        if self._passed or not is_write(action, arg1, arg2, dbname):
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_OK if not self.problems() else sqlite3.SQLITE_DENY
