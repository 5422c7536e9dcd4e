"""Opening the database: where it lives, how it is configured, and its schema version.

One SQLite file per owner. ``open_database`` resolves the path (``--db``, ``SMALLYES_DB``,
or the platform's user data folder), holds the lock every opener shares while the file is
open (``crm.store.lock.BookLock``, so a restore never replaces it under this process), removes
what a killed backup or restore left behind, applies the pragmas on every connection (WAL,
foreign keys, busy timeout), refuses a file written by a newer Smallyes, and runs the
migrations it has not seen yet inside one transaction, after a backup.

A transaction that finds the file replaced under it anyway (by a program that knows
nothing of the lock) is refused before it begins or commits, so it never reports success
for writes that went into a deleted file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peewee import DatabaseError, OperationalError, SqliteDatabase

from crm.changes import keep_journal
from crm.errors import DatabaseDamagedError, DatabaseTooNewError, StorageError
from crm.safety.backup import backup_before, clean_leftovers
from crm.safety.damage import writes_refused_error
from crm.store.change_log import OPEN_BOOK, ChangeLog
from crm.store.health import read_only_uri
from crm.store.lock import BookLock
from crm.store.migrations import MIGRATIONS, Migration
from crm.store.models import database_proxy
from crm.store.paths import (
    resolve_db_path,
)
from crm.store.problems import explain_sqlite_error

if TYPE_CHECKING:
    from crm.safety.write_gate import WriteGate

log = logging.getLogger(__name__)

# The most variables one statement binds (an IN list of ids or keys): SQLite allows 32,766
# since 3.32; staying well under it leaves room for a statement's other parameters.
MAX_SQL_VARIABLES = 30_000

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    "cache_size": -32_000,  # 32 MB page cache: the lead list sorts over 100k rows
    "temp_store": "memory",
}
# The page size of a new book: a lead row with its custom fields is about 1 KB, so 16 KB
# pages need fewer page splits and B-tree levels than SQLite's 4 KB when thousands are
# imported at once. It can only be set while the file is still empty, before WAL mode:
# an existing book keeps the size it was made with.
NEW_BOOK_PAGE_SIZE = 16_384


def _prepare_file(path: Path) -> None:
    """Create the folder and an owner-only file, or explain why that is impossible."""
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(parents=True, mode=0o700)
        if not path.exists():
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise StorageError(
            f"Smallyes cannot create its database at {path} ({exc.strerror}): "
            "choose a folder you can write to with --db or SMALLYES_DB."
        ) from exc
    if path.is_dir():
        raise StorageError(f"{path} is a folder, not a database file: give a file path.")
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(folder, os.W_OK):
        raise StorageError(
            f"Smallyes cannot write to {path}: check its permissions or choose another "
            "file with --db."
        )


def _other_program_tables(path: Path) -> list[str]:
    """The tables of an SQLite file that holds no Smallyes schema: another program's
    database, which opening would change (WAL mode, Smallyes's tables). Read-only."""
    if not path.is_file() or path.stat().st_size == 0:
        return []
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
        try:
            rows = con.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return []  # not SQLite, or damaged: opening it explains that
    names = sorted(str(r[0]) for r in rows if not str(r[0]).startswith("sqlite_"))
    return [] if "schema_version" in names else names


def refuse_other_program_database(path: Path) -> None:
    """Raise ``StorageError`` when ``path`` is another program's SQLite database."""
    tables = _other_program_tables(path)
    if tables:
        shown = ", ".join(tables[:3]) + (", ..." if len(tables) > 3 else "")
        raise StorageError(
            f"{path} is another program's database (its tables: {shown}): Smallyes leaves "
            "it alone; choose a Smallyes database, or a new file."
        )


# Every note a writer makes goes to the open book too, for the other processes on it.
keep_journal(OPEN_BOOK)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class BookDatabase(SqliteDatabase):
    """peewee's SQLite database, tied to the file it first opened.

    ``hold`` is the shared lock :func:`open_database` took; :func:`close_database` releases
    it. Before a transaction begins and before it commits, the file at the path must
    still be the one first opened: a file replaced under this process (renamed over, or
    removed) would take the writes into a deleted file and lose them silently.

    ``change_log`` keeps each thread's notes (:mod:`crm.changes`) and writes them into the
    book with the commit that made them, and as a connection closes.

    ``write_gate`` (:meth:`guard_writes`): every write waits until the full check of the
    file has passed, and is refused when it failed.
    """

    def __init__(self, database: str, **kwargs: Any) -> None:
        super().__init__(database, **kwargs)
        self.hold: BookLock | None = None
        self.identity: tuple[int, int] | None = None
        self.change_log = ChangeLog(self)
        self.write_gate: WriteGate | None = None
        # quick_check passed on this connection's file in this process: a write that a
        # read may make (a stored next ask) is safe
        self.checked = False

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()  # type: ignore[misc]  # peewee's stubs leave out _connect
        if self.identity is None:
            self.identity = _identity(Path(self.database))
        gate = self.write_gate
        if gate is not None and not gate.passed:
            # After peewee's own pragmas: they set this connection up, they write nothing.
            conn.set_authorizer(gate.authorize)
        return conn

    def _set_pragmas(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
            conn.execute(f"PRAGMA page_size = {NEW_BOOK_PAGE_SIZE}")
        super()._set_pragmas(conn)  # type: ignore[misc]  # peewee's stubs leave it out

    def guard_writes(self, gate: WriteGate) -> None:
        """Hold every write on this book until ``gate`` has passed (this thread's open
        connection included; connections opened later get it as they open)."""
        self.write_gate = gate
        if not self.is_closed():
            self.connection().set_authorizer(gate.authorize)

    def _wait_for_check(self) -> None:
        gate = self.write_gate
        if gate is not None and not gate.passed:
            gate.wait()

    def execute_sql(self, sql: str, params: Any = None) -> Any:
        try:
            return super().execute_sql(sql, params)
        except DatabaseError as exc:
            # SQLite's words for a write the gate denied: say why, in the owner's words.
            gate = self.write_gate
            if gate is not None and gate.done and not gate.passed and "not authorized" in str(exc):
                raise gate.refused() from exc
            raise

    def replaced(self) -> bool:
        """Whether another file now stands at the path (a missing one is not another)."""
        now = _identity(Path(self.database))
        return self.identity is not None and now is not None and now != self.identity

    def ensure_same_file(self) -> None:
        """Raise ``StorageError`` when the file at the path is no longer the one opened."""
        if self.identity is not None and _identity(Path(self.database)) != self.identity:
            raise StorageError(
                f"{self.database} was replaced by another file while Smallyes was using it "
                "(a restore by another program): nothing from this job was saved; run it "
                "again on the database as it is now."
            )

    def begin(self, lock_type: str | None = None) -> None:
        # A transaction takes the write lock (BEGIN IMMEDIATE): it waits for the check.
        self._wait_for_check()
        self.ensure_same_file()
        super().begin(lock_type)
        self.change_log.began()

    def commit(self) -> None:
        # Raising here makes peewee's transaction roll back instead of committing.
        self.change_log.before_commit()
        self.ensure_same_file()
        super().commit()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.change_log.rolled_back()

    def close(self) -> bool:
        if not self.is_closed() and not self.in_transaction():
            self.change_log.flush()
        return bool(super().close())


def connect(path: Path) -> BookDatabase:
    """A configured peewee database for ``path``; every thread gets its own connection."""
    # BEGIN IMMEDIATE: a transaction takes the write lock up front and waits busy_timeout
    # for it. A deferred one that reads, then writes fails at once with "database is
    # locked" when another process (the CLI beside the window) wrote in between.
    return BookDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False, lock_type="IMMEDIATE")


def schema_version(db: SqliteDatabase) -> int:
    """The schema version stored in the file (0 for a new, empty file)."""
    # Looked up first: even CREATE TABLE IF NOT EXISTS counts as a write to the write gate.
    known = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    if db.execute_sql(known).fetchone() is None:
        db.execute_sql("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = db.execute_sql("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(
    db: SqliteDatabase, migrations: Sequence[Migration] = MIGRATIONS, *, path: Path | None = None
) -> int:
    """Bring the schema up to date; return the version reached.

    All pending migrations run in one transaction: a failure leaves the file exactly as it
    was. A file that already had a schema is backed up first.
    """
    current = schema_version(db)
    target = len(migrations)
    if current > target:
        raise DatabaseTooNewError(
            f"This database was made by a newer version of Smallyes (schema {current}, this "
            f"app knows {target}): update Smallyes to open it."
        )
    if current == target:
        return current
    if current > 0 and path is not None:
        backup_before(db, path, reason=f"migration-v{current}-to-v{target}")
    with db.atomic():
        for version in range(current, target):
            log.info("migrating schema to version %d", version + 1)
            migrations[version](db)
        db.execute_sql("DELETE FROM schema_version")
        db.execute_sql("INSERT INTO schema_version (version) VALUES (?)", (target,))
    return target


def open_database(
    path: str | os.PathLike[str] | None = None,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    check: bool = False,
    gate: WriteGate | None = None,
) -> BookDatabase:
    """Open (creating if needed) the Smallyes database and bind the models to it.

    ``check``: run ``quick_check`` first and raise ``DatabaseDamagedError`` (changing
    nothing, not even a migration) when the file is damaged; for commands that write.
    ``gate``: open without waiting for the full check, holding every write (a pending
    migration included) until ``gate`` has passed; for the window.
    """
    db_path = resolve_db_path(path)
    _prepare_file(db_path)
    refuse_other_program_database(db_path)
    hold = BookLock.shared(db_path)
    db = connect(db_path)
    db.hold = hold
    if gate is not None:
        db.guard_writes(gate)
    try:
        clean_leftovers(db_path)
        db.connect(reuse_if_open=True)
        if check:
            problems = _quick_check(db)
            if problems:
                raise writes_refused_error(db_path, problems)
            db.checked = True
        migrate(db, migrations, path=db_path)
    except (DatabaseTooNewError, DatabaseDamagedError):
        close_database(db)
        raise
    except (DatabaseError, OperationalError, sqlite3.DatabaseError) as exc:
        close_database(db)
        raise StorageError(explain_sqlite_error(exc, db_path)) from exc
    except BaseException:
        close_database(db)
        raise
    database_proxy.initialize(db)
    return db


def _quick_check(db: SqliteDatabase) -> list[str]:
    """``quick_check`` through the open connection: it reads the snapshot other Smallyes
    processes see, even while one of them writes (a read-only, immutable open would not)."""
    rows = [str(r[0]) for r in db.execute_sql("PRAGMA quick_check(5)").fetchall()]
    if rows == ["ok"]:
        return []
    lines = [line.strip() for row in rows for line in row.splitlines()]
    return [line for line in lines if line and not line.startswith("***")]


def writes_known_safe() -> bool:
    """Whether the open book is known healthy in this process, without checking now: its
    write gate passed (the window), or ``quick_check`` passed here (a command that writes,
    or :func:`checked_for_writes`)."""
    db = database_proxy.obj
    if not isinstance(db, BookDatabase):
        return True  # not a book opened by open_database: nothing promised about it
    gate = db.write_gate
    return gate.passed if gate is not None else db.checked


def checked_for_writes() -> bool:
    """Whether the open book may take a write that a read makes (the stored next asks):
    it passed ``quick_check`` in this process, which runs now if it has not; with a write
    gate (the window), only once the gate's own check passed, never waiting for it. A
    damaged book is never written to; its readers compute what they show instead."""
    db = database_proxy.obj
    if not isinstance(db, BookDatabase):
        return True
    if db.write_gate is not None:
        return db.write_gate.passed
    if not db.checked:
        db.checked = not _quick_check(db)
    return db.checked


def close_database(db: SqliteDatabase) -> None:
    """Close this thread's connection (other threads close their own) and give up the
    shared lock :func:`open_database` took."""
    if not db.is_closed():
        db.close()
    hold = getattr(db, "hold", None)
    if hold is not None:
        db.hold = None  # type: ignore[attr-defined]  # set by open_database beside peewee's own
        hold.release()


def close_thread_connection() -> None:
    """Close the calling thread's connection; worker threads call this when a job ends."""
    if database_proxy.obj is not None and not database_proxy.is_closed():
        database_proxy.close()


def current_book() -> BookDatabase | None:
    """The book the models are bound to now (a restore binds another), or None."""
    db = database_proxy.obj
    return db if isinstance(db, BookDatabase) else None
