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

import errno
import logging
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import platformdirs
from peewee import DatabaseError, OperationalError, SqliteDatabase

from crm.errors import DatabaseDamagedError, DatabaseTooNewError, StorageError, ValidationError
from crm.store.lock import BookLock
from crm.store.migrations import MIGRATIONS, Migration
from crm.store.models import database_proxy

log = logging.getLogger(__name__)

APP_NAME = "smallyes"
DB_FILE_NAME = "smallyes.db"
ENV_VAR = "SMALLYES_DB"

PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    "cache_size": -32_000,  # 32 MB page cache: the lead list sorts over 100k rows
    "temp_store": "memory",
}


def data_dir() -> Path:
    """The user data folder Smallyes uses by default."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """Where the rotating log file lives."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    """``SMALLYES_DB`` when set, else ``smallyes.db`` in the user data folder."""
    env = os.environ.get(ENV_VAR, "")
    if env.strip():  # set to nothing or to spaces: not set, as shells treat it
        return Path(env).expanduser()
    return data_dir() / DB_FILE_NAME


def resolve_db_path(path: str | os.PathLike[str] | None) -> Path:
    """The database path the user asked for, or the default one."""
    return Path(path).expanduser() if path else default_db_path()


def backups_dir(db_path: Path) -> Path:
    """Backups live in ``backups/`` beside the database they copy."""
    return db_path.parent / "backups"


def database_files(db_path: Path) -> list[Path]:
    """The database file and the ones kept beside it: SQLite's journals, the two locks."""
    suffixes = ("-wal", "-shm", "-journal", ".lock", ".inuse")
    return [db_path, *(db_path.with_name(db_path.name + suffix) for suffix in suffixes)]


def is_database_file(path: str | os.PathLike[str], db_path: Path) -> bool:
    """Whether writing ``path`` would overwrite the database or a file that belongs to it:
    by name, through symlinks (of the target or of the database), or as the same file
    under another name (a hard link, another case on a case-insensitive disk)."""
    target = Path(path).expanduser()
    resolved = target.resolve()
    # SQLite names its journals after the database's real path when it is a symlink.
    own = {*database_files(db_path), *database_files(db_path.resolve())}
    for file in own:
        if resolved == file.resolve():
            return True
        try:
            if os.path.samefile(resolved, file):
                return True
        except OSError:
            continue  # one of the two does not exist: not the same file
    return False


def check_output_file(target: Path, db_path: Path | None, what: str) -> None:
    """Refuse a target that writing ``what`` (an export, a backup, a chart, a report) would
    wreck: the finished file is renamed over it, which would replace a folder's name, a
    device or pipe itself (/dev/null, /dev/stdout), or the database or a file SQLite keeps
    beside it (also when ``target`` is a symlink to one of them)."""
    if target.is_dir():
        raise ValidationError(f"{target} is a folder: give a file name for the {what}.")
    if target.exists() and not target.is_file():
        raise ValidationError(
            f"{target} is not a regular file (a device, pipe or socket): give a file name for "
            f"the {what}."
        )
    if db_path is not None and is_database_file(target, db_path):
        raise ValidationError(
            f"{target} belongs to the Smallyes database in use: give the {what} another file name."
        )


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
    from crm.store.health import read_only_uri

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
    """

    def __init__(self, database: str, **kwargs: Any) -> None:
        super().__init__(database, **kwargs)
        self.hold: BookLock | None = None
        self.identity: tuple[int, int] | None = None

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()  # type: ignore[misc]  # peewee's stubs leave out _connect
        if self.identity is None:
            self.identity = _identity(Path(self.database))
        return conn

    def ensure_same_file(self) -> None:
        """Raise ``StorageError`` when the file at the path is no longer the one opened."""
        if self.identity is not None and _identity(Path(self.database)) != self.identity:
            raise StorageError(
                f"{self.database} was replaced by another file while Smallyes was using it "
                "(a restore by another program): nothing from this job was saved; run it "
                "again on the database as it is now."
            )

    def begin(self, lock_type: str | None = None) -> None:
        self.ensure_same_file()
        super().begin(lock_type)

    def commit(self) -> None:
        # Raising here makes peewee's transaction roll back instead of committing.
        self.ensure_same_file()
        super().commit()


def connect(path: Path) -> BookDatabase:
    """A configured peewee database for ``path``; every thread gets its own connection."""
    # BEGIN IMMEDIATE: a transaction takes the write lock up front and waits busy_timeout
    # for it. A deferred one that reads, then writes fails at once with "database is
    # locked" when another process (the CLI beside the window) wrote in between.
    return BookDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False, lock_type="IMMEDIATE")


def schema_version(db: SqliteDatabase) -> int:
    """The schema version stored in the file (0 for a new, empty file)."""
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
        from crm.safety.backup import backup_before

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
) -> BookDatabase:
    """Open (creating if needed) the Smallyes database and bind the models to it.

    ``check``: run ``quick_check`` first and raise ``DatabaseDamagedError`` (changing
    nothing, not even a migration) when the file is damaged; for commands that write.
    """
    db_path = resolve_db_path(path)
    _prepare_file(db_path)
    refuse_other_program_database(db_path)
    hold = BookLock.shared(db_path)
    db = connect(db_path)
    db.hold = hold
    try:
        from crm.safety.backup import clean_leftovers

        clean_leftovers(db_path)
        db.connect(reuse_if_open=True)
        if check:
            problems = _quick_check(db)
            if problems:
                from crm.store.health import writes_refused_error

                raise writes_refused_error(db_path, problems)
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


def database_path(db: SqliteDatabase) -> Path:
    """The file behind an open database."""
    return Path(db.database)


def close_database(db: SqliteDatabase) -> None:
    """Close this thread's connection (other threads close their own) and give up the
    shared lock :func:`open_database` took."""
    if not db.is_closed():
        db.close()
    hold = getattr(db, "hold", None)
    if hold is not None:
        db.hold = None  # type: ignore[attr-defined]
        hold.release()


_NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)
DISK_FULL = "The disk is full: free some space and try again; nothing was lost."
# SQLite's primary result codes (the low byte of an extended code such as IOERR_SHMSIZE).
_SQLITE_IOERR, _SQLITE_FULL = 10, 13
# Less room than this on the database's disk: an I/O error there is the disk being full.
# SQLite reports a full disk as an I/O error when it cannot grow the -shm file (which even
# a read needs in WAL mode), not as SQLITE_FULL.
_NEARLY_FULL_BYTES = 1 << 20


def explain_sqlite_error(exc: BaseException, path: Path) -> str:
    """A one-sentence message for the known SQLite and file-system failures (damaged file,
    locked, disk full, read-only, I/O error); a general one otherwise."""
    known = _known_problem_message(exc, path)
    if known is not None:
        return known
    return f"The database at {path} could not be used ({exc}): restore a backup or try again."


def disk_problem_message(exc: BaseException, path: Path) -> str | None:
    """The message for a file-system failure while writing ``path`` (full, read-only),
    or None when it is not one of those."""
    return _known_problem_message(exc, path)


def _chain(exc: BaseException) -> list[BaseException]:
    # SQLite rolls a transaction back by itself on some failures (a full disk, an I/O
    # error); the rollback a ``with atomic()`` then attempts fails with "no transaction is
    # active", hiding the real cause a few links down the exception's context. A library
    # can also fail in its own way after a write failed (matplotlib's zlib error).
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(out) < 8 and seen not in out:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def _is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, (DatabaseError, sqlite3.Error, OSError))


def _known_problem_message(exc: BaseException, path: Path) -> str | None:
    chain = [e for e in _chain(exc) if _is_storage_error(e)]
    # A full disk anywhere in the chain is the cause, whatever failed after it.
    if any(_says_disk_full(e, path) for e in chain):
        return DISK_FULL
    for link in chain:
        message = _message_for(link, path)
        if message is not None:
            return message
    return None


def _says_disk_full(exc: BaseException, path: Path) -> bool:
    if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF == _SQLITE_FULL:
        return True
    text = str(exc).lower()
    if "database or disk is full" in text or "no space left" in text or "disk is full" in text:
        return True
    io_error = (isinstance(code, int) and code & 0xFF == _SQLITE_IOERR) or "disk i/o error" in text
    if io_error or (isinstance(exc, OSError) and exc.errno == errno.EIO):
        return _nearly_full(path)
    return False


def _nearly_full(path: Path) -> bool:
    """Whether the disk that holds ``path`` has (almost) no room left."""
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):  # no statvfs on Windows
        return False
    return stats.f_bavail * stats.f_frsize < _NEARLY_FULL_BYTES


def _message_for(exc: BaseException, path: Path) -> str | None:
    if isinstance(exc, OSError) and exc.errno in _READ_ONLY:
        return f"{path} is read-only: check its permissions or choose another file."
    text = str(exc).lower()
    if "not a database" in text or "malformed" in text or "file is encrypted" in text:
        return (
            f"{path} is not a readable Smallyes database (it may be damaged or another kind "
            "of file): restore a backup or choose another file."
        )
    if "locked" in text or "busy" in text:
        return (
            "The database is busy in another program (another Smallyes window or a script): "
            "let it finish or close it, then try again; nothing was lost."
        )
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only: check its permissions or choose another file."
    if "disk i/o error" in text:
        return (
            f"The disk reported an error while Smallyes used {path}: check the disk, then "
            "try again; the last saved change is intact."
        )
    if "unable to open" in text:
        return f"Smallyes cannot open {path}: check that the folder exists and is writable."
    return None


def known_storage_problem(exc: BaseException, path: Path | None = None) -> StorageError | None:
    """A ``StorageError`` for a known database or disk failure, or None for anything else
    (a bug): the UI and CLI show the first plainly and log the second with its traceback.

    Any exception is looked through: a database or disk error among its causes (a full
    disk under a library's own error) is the problem the user meets."""
    if path is None:
        obj = database_proxy.obj
        path = database_path(obj) if obj is not None else default_db_path()
    message = _known_problem_message(exc, path)
    return StorageError(message) if message is not None else None


def close_thread_connection() -> None:
    """Close the calling thread's connection; worker threads call this when a job ends."""
    if database_proxy.obj is not None and not database_proxy.is_closed():
        database_proxy.close()
