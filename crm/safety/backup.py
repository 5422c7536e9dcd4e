"""Online backups of the database file with SQLite's backup API (consistent in WAL mode).

Backups live in ``backups/`` beside the database, named ``<stem>-<YYYYmmdd-HHMMSS>-<reason>.db``:

- ``daily``: made after the day's first change (and when the app closes after more), never
  of an empty book. The newest seven days are kept, plus the newest copy of each of the
  four weeks before them.
- ``before-restore``, ``migration-...``, ``manual``, ``before-purge``: safety copies made
  before something rewrites the file; the newest :data:`KEEP_SAFETY` are kept.

A copy of a damaged database is named ``...-damaged.db`` and kept apart: it never counts
in the rotation, so backing up a damaged file never pushes a good copy out.

A restore takes the database's lock exclusively (no other Smallyes process has it open),
checks that the file is a Smallyes database this app can open (its schema, column by
column, not only its table names), keeps a copy of the current file (raw bytes when it is
too damaged for the backup API), then swaps the new file in with one ``os.replace``.

A job killed half-way leaves a hidden copy (``backups/*.db.part``, ``.NAME.db.restore-*``);
:func:`clean_leftovers` removes those when nobody has the database open, at every open.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import stat
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from peewee import SqliteDatabase

from crm.changes import ALL, note
from crm.errors import DatabaseDamagedError, DatabaseTooNewError, StorageError, ValidationError
from crm.jobs import CancelToken, Progress, no_progress
from crm.store.health import is_busy, quick_check, read_only_uri
from crm.store.lock import BookLock
from crm.store.migrations import MIGRATIONS
from crm.store.models import database_proxy
from crm.store.paths import backups_dir, check_output_file, database_path
from crm.store.problems import explain_sqlite_error
from crm.timefmt import local, utc_now

log = logging.getLogger(__name__)

KEEP_DAILY = 7
KEEP_WEEKLY = 4
KEEP_SAFETY = 5
DAILY = "daily"
DAMAGED = "damaged"

_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})-(?P<reason>[A-Za-z0-9-]+)\.db$")
# Tables every Smallyes database has since schema version 1.
REQUIRED_TABLES = frozenset({"schema_version", "lead", "step", "commitment", "ask", "tag"})
SQLITE_MAGIC = b"SQLite format 3\x00"
# Pages copied per backup step: small enough to report progress and honour a cancel.
_PAGES_PER_STEP = 2048


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """One backup file in ``backups/``."""

    path: Path
    created_at: dt.datetime
    reason: str
    size: int

    @property
    def label(self) -> str:
        kind = {DAILY: "daily backup", "manual": "backup made by hand"}.get(
            self.reason, f"safety copy ({self.reason.replace('-', ' ')})"
        )
        return f"{local(self.created_at):%Y-%m-%d %H:%M}, {kind}"


def _owner_only_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    os.close(fd)


def _copy_with_backup_api(
    source: sqlite3.Connection, target: Path, progress: Progress, cancel: CancelToken | None
) -> Path:
    """Copy ``source`` into ``target`` through ``target.part``, a few pages at a time.

    ``source`` must be a connection of its own, outside any transaction: the copy reads
    one snapshot of it in a read transaction held from the first page to the last. Without
    it, SQLite restarts a step-wise backup each time another connection writes, and a
    backup with a writer every few milliseconds never finishes.
    """
    tmp = target.with_name(target.name + ".part")
    _owner_only_file(tmp)
    dest = sqlite3.connect(tmp)

    def step(status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)
        if cancel is not None and cancel.cancelled:
            # Raising inside the callback aborts the copy; the .part file is removed below.
            cancel.raise_if_cancelled()

    snapshot = not source.in_transaction
    try:
        if snapshot:
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        source.backup(dest, pages=_PAGES_PER_STEP, progress=step)
    except BaseException:
        dest.close()
        for path in (tmp, *_side_files(tmp)):
            path.unlink(missing_ok=True)
        raise
    finally:
        if snapshot and source.in_transaction:
            source.execute("ROLLBACK")
    dest.close()
    os.replace(tmp, target)
    return target


def _source_connection(db_path: Path) -> sqlite3.Connection:
    # isolation_level None: the BEGIN above is the only transaction, never an implicit one.
    return sqlite3.connect(db_path, timeout=10, isolation_level=None)


def backup_to(
    db: SqliteDatabase,
    target: Path,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> Path:
    """Copy the open database to ``target`` (owner-only permissions) and return it."""
    try:
        source = _source_connection(Path(db.database))
        try:
            return _copy_with_backup_api(source, target, progress, cancel)
        finally:
            source.close()
    except OSError as exc:
        raise StorageError(
            f"Smallyes could not write the backup {target} ({exc.strerror}): "
            "choose a folder you can write to with enough free space."
        ) from exc
    except sqlite3.DatabaseError as exc:
        raise StorageError(explain_sqlite_error(exc, target)) from exc


def _damaged_name(path: Path) -> Path:
    return path.with_name(f"{path.stem}-{DAMAGED}.db")


def _set_apart_if_damaged(db_path: Path, copy: Path, *, in_backups: bool) -> Path:
    """Check a fresh copy; a damaged one in ``backups/`` is renamed ``...-damaged.db`` (kept,
    never counted in the rotation) and ``DatabaseDamagedError`` says so. Returns ``copy``."""
    problems = quick_check(copy)
    if not problems or is_busy(problems):
        return copy
    log.error("the backup %s of %s is damaged: %s", copy, db_path, "; ".join(problems))
    if in_backups:
        kept = _damaged_name(copy)
        os.replace(copy, kept)
        where = f"the copy was kept apart as {kept.name} and no good backup was removed; "
    else:
        where = f"the copy at {copy} holds the damage too; "
    raise DatabaseDamagedError(
        f"The database {db_path} is damaged ({problems[0]}): {where}check it with "
        "smallyes-cli check, then restore a good backup."
    )


def backup_file_name(db_path: Path, reason: str, now: dt.datetime) -> str:
    return f"{db_path.stem}-{now:%Y%m%d-%H%M%S}-{reason}.db"


def backup_before(db: SqliteDatabase, db_path: Path, *, reason: str) -> Path:
    """A safety copy in ``backups/`` before something that rewrites the file."""
    target = backups_dir(db_path) / backup_file_name(db_path, reason, utc_now())
    log.info("backing up %s to %s before %s", db_path, target, reason)
    path = backup_to(db, target)
    _set_apart_if_damaged(db_path, path, in_backups=True)
    prune_backups(db_path)
    return path


def backup_now(
    target: Path | None = None,
    *,
    now: dt.datetime,
    db: SqliteDatabase | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> Path:
    """ "Back up now": the open database (``db``, else the one the models use) to
    ``target``, or to a ``manual`` copy in ``backups/``.

    The copy is checked: a damaged one raises ``DatabaseDamagedError`` after it is kept
    (apart, as ``...-damaged.db``, when in ``backups/``), and prunes nothing."""
    db = db if db is not None else database_proxy.obj
    db_path = database_path(db)
    in_backups = target is None
    if target is None:
        target = backups_dir(db_path) / backup_file_name(db_path, "manual", now)
    target = Path(target).expanduser()
    check_output_file(target, db_path, "backup")
    path = backup_to(db, target, progress=progress, cancel=cancel)
    _set_apart_if_damaged(db_path, path, in_backups=in_backups)
    prune_backups(db_path)
    return path


def list_backups(db_path: Path) -> list[BackupInfo]:
    """The backups in ``backups/`` beside ``db_path``, newest first."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return []
    out = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if not match or match["stem"] != db_path.stem or not path.is_file():
            continue
        created = dt.datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S")
        out.append(BackupInfo(path, created, match["reason"], path.stat().st_size))
    out.sort(key=lambda b: (b.created_at, b.path.name), reverse=True)
    return out


def backups_to_keep(backups: list[BackupInfo]) -> set[Path]:
    """The retention rule: 7 newest daily copies, then the newest copy of 4 older weeks,
    and the newest :data:`KEEP_SAFETY` copies of every other kind."""
    keep: set[Path] = set()
    daily = [b for b in backups if b.reason == DAILY]  # newest first
    days: set[dt.date] = set()
    for b in daily:
        if len(days) == KEEP_DAILY and b.created_at.date() not in days:
            break
        days.add(b.created_at.date())
        keep.add(b.path)
    weeks: set[tuple[int, int]] = set()
    oldest_day = min(days) if days else None
    for b in daily:
        if oldest_day is not None and b.created_at.date() >= oldest_day:
            continue
        week = b.created_at.isocalendar()[:2]
        if week in weeks:
            continue
        if len(weeks) == KEEP_WEEKLY:
            break
        weeks.add(week)
        keep.add(b.path)
    others = [b for b in backups if b.reason != DAILY and not b.reason.endswith(DAMAGED)]
    keep.update(b.path for b in others[:KEEP_SAFETY])
    # A damaged file kept before a restore is the owner's to delete: it may be all they have.
    keep.update(b.path for b in backups if b.reason.endswith(DAMAGED))
    return keep


def prune_backups(db_path: Path) -> list[Path]:
    """Remove the backups the retention rule no longer keeps; return them."""
    backups = list_backups(db_path)
    keep = backups_to_keep(backups)
    removed = []
    for b in backups:
        if b.path not in keep:
            try:
                b.path.unlink()
            except OSError as exc:
                log.warning("could not remove old backup %s: %s", b.path, exc)
                continue
            removed.append(b.path)
    return removed


def daily_backups_on(db_path: Path, day: dt.date) -> list[BackupInfo]:
    """The daily copies made on ``day``, oldest first."""
    found = [b for b in list_backups(db_path) if b.reason == DAILY and b.created_at.date() == day]
    return found[::-1]


def _last_write(db_path: Path) -> float:
    """When the book was last written: a commit appends to the WAL file, a checkpoint
    writes the database file (the later of the two modification times)."""
    times = [db_path.stat().st_mtime]
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        times.append(wal.stat().st_mtime)
    return max(times)


def automatic_backup(
    *,
    now: dt.datetime,
    db: SqliteDatabase | None = None,
    cancel: CancelToken | None = None,
    at_quit: bool = False,
) -> Path | None:
    """The daily backup; returns the new file, or None when none is due.

    It is taken once the book holds something worth keeping, so the newest copy is never
    one made before the day's work (an empty book, or the book as it was at start-up):

    - after a change (the app a moment after a write, the CLI after a write command): the
      day's first change makes the day's copy;
    - ``at_quit`` (the app closing after changes): when the book was written since the
      newest daily copy, a copy of the day's last state. A day keeps its first copy and
      its latest; copies in between are replaced.

    A book without leads is never copied automatically. Call it only after the health
    check passed, so a damaged file never pushes a good copy out of the rotation.
    """
    db = db if db is not None else database_proxy.obj
    db_path = database_path(db)
    if not db.execute_sql("SELECT EXISTS (SELECT 1 FROM lead)").fetchone()[0]:
        return None
    today = daily_backups_on(db_path, now.date())
    if at_quit:
        newest = next((b for b in list_backups(db_path) if b.reason == DAILY), None)
        if newest is not None and _last_write(db_path) <= newest.path.stat().st_mtime:
            return None
    elif today:
        return None
    target = backups_dir(db_path) / backup_file_name(db_path, DAILY, now)
    path = backup_to(db, target, cancel=cancel)
    for between in today[1:]:
        if between.path != path:
            try:
                between.path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove the replaced backup %s: %s", between.path, exc)
    prune_backups(db_path)
    log.info("daily backup written to %s", path)
    return path


# --- checking and restoring ---------------------------------------------------------------


@cache
def schema_columns(version: int) -> dict[str, frozenset[str]]:
    """Each table's columns at schema ``version``: the migrations up to it, run on an empty
    database in memory, so the answer is whatever those migrations really create."""
    db = SqliteDatabase(":memory:")
    db.connect()
    try:
        for migration in MIGRATIONS[:version]:
            migration(db)
        return _table_columns(db.connection())
    finally:
        db.close()


def _table_columns(con: sqlite3.Connection) -> dict[str, frozenset[str]]:
    tables = [
        str(r[0])
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        t: frozenset(str(r[1]) for r in con.execute("SELECT * FROM pragma_table_info(?)", (t,)))
        for t in tables
    }


def _schema_problem(con: sqlite3.Connection, path: Path) -> int | str:
    """The file's schema version, or why its schema is not one Smallyes made (raises
    ``DatabaseTooNewError`` for a newer one)."""
    tables = _table_columns(con)
    if not set(tables).issuperset(REQUIRED_TABLES):
        return "it lacks Smallyes's tables"
    rows = con.execute("SELECT typeof(version), version FROM schema_version").fetchall()
    if len(rows) != 1 or rows[0][0] != "integer":
        shown = "none" if not rows else ", ".join(repr(r[1]) for r in rows[:3])
        return f"its schema version is {shown}"
    version = int(rows[0][1])
    if version > len(MIGRATIONS):
        raise DatabaseTooNewError(
            f"{path} was made by a newer version of Smallyes (schema {version}, this app "
            f"knows {len(MIGRATIONS)}): update Smallyes to use it."
        )
    if version < 1:
        return f"its schema version is {version}"
    for table, columns in schema_columns(version).items():
        found = tables.get(table)
        if found is None:
            return f"it has no {table} table"
        if found != columns:
            odd = sorted(found ^ columns)
            return f"its {table} table has other columns ({', '.join(odd[:3])})"
    return version


def inspect_database_file(path: Path) -> int:
    """Check that ``path`` is a healthy Smallyes database this app can open.

    Returns its schema version. Raises ``ValidationError`` for another kind of file (one
    that is not a regular file, not SQLite, or whose tables, columns or schema version
    are not what a Smallyes schema has), ``DatabaseTooNewError`` for a newer Smallyes's
    file and ``DatabaseDamagedError`` when it fails ``quick_check``. Opens the file
    read-only and changes nothing.
    """

    def not_ours(why: str = "") -> ValidationError:
        return ValidationError(
            f"{path} is not a Smallyes database{f' ({why})' if why else ''}: choose a backup "
            "file made by Smallyes."
        )

    try:
        # Before anything reads it: opening a pipe waits for a writer, forever.
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ValidationError(f"There is no file at {path}: check the name.") from None
    except OSError as exc:
        raise StorageError(f"Smallyes cannot read {path} ({exc.strerror}).") from exc
    if stat.S_ISDIR(mode):
        raise ValidationError(f"{path} is a folder: choose a backup file.")
    if not stat.S_ISREG(mode):
        raise ValidationError(
            f"{path} is not a regular file (a device, pipe or socket): choose a backup file."
        )
    try:
        with open(path, "rb") as handle:
            if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
                raise not_ours()
    except OSError as exc:
        raise StorageError(f"Smallyes cannot read {path} ({exc.strerror}).") from exc
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise StorageError(f"Smallyes cannot open {path} ({exc}).") from exc
    try:
        found = _schema_problem(con, path)
        if isinstance(found, str):
            raise not_ours(found)
        problems = [r[0] for r in con.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            raise DatabaseDamagedError(f"{path} is damaged ({problems[0]}): choose another backup.")
        return found
    except sqlite3.DatabaseError as exc:
        if "malformed" in str(exc) or "not a database" in str(exc):
            raise DatabaseDamagedError(
                f"{path} is damaged ({exc}): choose another backup."
            ) from exc
        raise not_ours() from exc
    finally:
        con.close()


def newest_good_backup(db_path: Path) -> BackupInfo | None:
    """The newest backup that passes :func:`inspect_database_file`, or None."""
    for b in list_backups(db_path):
        try:
            inspect_database_file(b.path)
        except (ValidationError, StorageError) as exc:
            log.warning("skipping backup %s: %s", b.path, exc)
            continue
        return b
    return None


def keep_current_file(db_path: Path, *, reason: str, now: dt.datetime) -> Path | None:
    """Keep a copy of the file at ``db_path`` in ``backups/`` before it is replaced.

    A healthy file is copied with the backup API; a damaged one byte for byte (with its
    ``-wal``), so nothing is ever overwritten without a copy. Returns None when there is no
    file to keep.
    """
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    target = backups_dir(db_path) / backup_file_name(db_path, reason, now)
    problems = quick_check(db_path)
    # Locked is not damaged: copying it as "damaged" would leave a wrongly named file.
    if is_busy(problems):
        raise StorageError(
            "Another program is using the database right now (a script or another window): "
            "let it finish, then try again; nothing was changed."
        )
    healthy = problems == []
    if healthy:
        con = _source_connection(db_path)
        try:
            return _copy_with_backup_api(con, target, no_progress, None)
        finally:
            con.close()
    target = _damaged_name(target)
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        _raw_copy(wal, target.with_name(target.name + "-wal"))
    _raw_copy(db_path, target)
    log.warning("kept the damaged database %s as %s", db_path, target)
    return target


def _raw_copy(source: Path, target: Path) -> None:
    # Through ``.part``: a copy cut short by a kill never looks like a whole one.
    tmp = target.with_name(target.name + ".part")
    _owner_only_file(tmp)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class PreparedRestore:
    """A checked copy of the backup, in the database's folder, ready to be swapped in.

    Holds the database's lock exclusively until :func:`swap_in` (or the process ends): no
    other process opens the database in between, so nothing it writes is lost."""

    staged: Path
    db_path: Path
    source: Path
    kept: Path | None  # the copy of the database it replaces
    lock: BookLock | None = None


def _side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _staging_prefix(db_path: Path) -> str:
    return f".{db_path.name}.restore"


def _unique_staging_file(db_path: Path) -> Path:
    # A name of its own: two restores never share (and delete) each other's copy.
    fd, name = tempfile.mkstemp(prefix=_staging_prefix(db_path) + "-", dir=db_path.parent)
    os.close(fd)
    return Path(name)


def prepare_restore(
    source: Path,
    db_path: Path,
    *,
    now: dt.datetime,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> PreparedRestore:
    """Check ``source``, copy it beside the database and keep a copy of the current file.

    Slow, safe work (it changes nothing the user sees): run it off the GUI thread, then
    call :func:`swap_in` with every connection to the database closed. Refuses with
    ``StorageError`` while another Smallyes process has the database open.
    """
    source = Path(source).expanduser()
    inspect_database_file(source)
    if source.resolve() == db_path.resolve():
        raise ValidationError("That is the database in use: choose a backup file.")
    lock = BookLock.exclusive(db_path, "restore")
    staged: Path | None = None
    try:
        staged = _unique_staging_file(db_path)
        src = sqlite3.connect(read_only_uri(source), uri=True, isolation_level=None)
        try:
            _copy_with_backup_api(src, staged, progress, cancel)
        finally:
            src.close()
        # The staged copy is the file the app will open: make it WAL and fully checkpointed.
        con = sqlite3.connect(staged)
        try:
            con.execute("PRAGMA journal_mode=wal")
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()
        inspect_database_file(staged)
        if cancel is not None:
            cancel.raise_if_cancelled()
        kept = keep_current_file(db_path, reason="before-restore", now=now)
    except BaseException:
        if staged is not None:
            _remove_staged(staged)
        lock.release()
        raise
    return PreparedRestore(staged=staged, db_path=db_path, source=source, kept=kept, lock=lock)


def _remove_staged(staged: Path) -> None:
    for path in (staged, *_side_files(staged)):
        path.unlink(missing_ok=True)


def swap_in(prepared: PreparedRestore) -> None:
    """Replace the database with the prepared copy in one step, then release the lock.

    Every connection to the database must be closed: a connection left open would keep
    reading the old file and could write its journal beside the new one.
    """
    note(tables=[ALL], leads=None, settings=[ALL])
    try:
        _swap(prepared)
    finally:
        if prepared.lock is not None:
            prepared.lock.release()


def _swap(prepared: PreparedRestore) -> None:
    db_path = prepared.db_path
    if db_path.exists():
        # Fold the old journal into the old file first, so removing it loses nothing that
        # the kept copy does not already hold.
        con = sqlite3.connect(db_path, timeout=1)
        try:
            busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy:
                log.warning("could not checkpoint %s before the swap: %s", db_path, exc)
        except sqlite3.DatabaseError as exc:  # a damaged file: its copy is already kept
            busy = False
            log.warning("could not checkpoint %s before the swap: %s", db_path, exc)
        finally:
            con.close()
        if busy:
            _remove_staged(prepared.staged)
            raise StorageError(
                "Another program is using the database right now (a script or another "
                "window): let it finish, then restore again; nothing was changed."
            )
    for stale in _side_files(db_path):
        stale.unlink(missing_ok=True)
    os.replace(prepared.staged, db_path)
    for stale in (*_side_files(db_path), *_side_files(prepared.staged)):
        stale.unlink(missing_ok=True)
    log.info(
        "restored %s from %s (previous file kept as %s)", db_path, prepared.source, prepared.kept
    )
    prune_backups(db_path)


def restore(source: Path, db_path: Path, *, now: dt.datetime) -> PreparedRestore:
    """Check, keep the current file, swap: the whole restore, with no connection open."""
    prepared = prepare_restore(source, db_path, now=now)
    swap_in(prepared)
    return prepared


# --- what a killed job leaves behind -------------------------------------------------------

# ``backups/NAME-...db.part`` and its journals: a backup, a kept copy or a migration's
# safety copy cut short.
_PART = re.compile(r"^(?P<name>.+\.db)\.part(-wal|-shm|-journal)?$")


def clean_leftovers(db_path: Path) -> list[Path]:
    """Remove the hidden copies a killed backup, restore or migration left beside
    ``db_path`` and in its ``backups/``; return them.

    Only while no other process has the database open (it may be writing one of them
    right now): then nothing is removed and the next open tries again. Never touches a
    listed backup, the database or its journals.
    """

    with BookLock.exclusive_if_free(db_path) as free:
        if not free:
            log.info("leftovers of %s left for later: another process has it open", db_path)
            return []
        removed = []
        for path in find_leftovers(db_path):
            try:
                path.unlink()
            except OSError as exc:
                log.warning("could not remove the leftover %s: %s", path, exc)
                continue
            removed.append(path)
        if removed:
            log.warning("removed %d leftovers of killed jobs: %s", len(removed), removed)
        return removed


def find_leftovers(db_path: Path) -> list[Path]:
    """The hidden copies of the book that killed jobs left behind (see clean_leftovers)."""
    found = [p for p in _leftovers(db_path.parent, db_path) if p.is_file()]
    folder = backups_dir(db_path)
    if folder.is_dir():
        found += [p for p in _backup_leftovers(folder, db_path) if p.is_file()]
    return sorted(found)


def _leftovers(folder: Path, db_path: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    prefix = _staging_prefix(db_path)
    return [p for p in folder.iterdir() if p.name.startswith(prefix)]


def _backup_leftovers(folder: Path, db_path: Path) -> list[Path]:
    out = []
    for path in folder.iterdir():
        part = _PART.match(path.name)
        if part is None:
            continue
        name = _NAME.match(part["name"])
        if name is not None and name["stem"] == db_path.stem:
            out.append(path)
    return out
