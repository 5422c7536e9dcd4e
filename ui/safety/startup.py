"""Before the window opens: the one-window lock, the probe and the full check, recovery.

:func:`startup_checks` takes the one-window lock (a second window asks the first to come
to the front and says so), probes the file (a few pages), and hands back the full check as
a :class:`~crm.safety.write_gate.WriteGate`, not yet started: the window opens on the probe
alone, holding every write until the full check, started once the first rows are shown,
has passed. :func:`settle_health_check` takes its answer; a damaged file gets the offer of
the newest good backup.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QWidget,
)

from crm.errors import (
    AlreadyRunningError,
    DatabaseDamagedError,
    SmallyesError,
    StorageError,
)
from crm.logsetup import user_error_text
from crm.safety.backup import (
    newest_good_backup,
    restore,
)
from crm.safety.damage import check_database, damaged_error
from crm.safety.forget import (
    reapply_suppression,
)
from crm.safety.write_gate import WriteGate
from crm.store.db import close_database, open_database
from crm.store.lock import InstanceLock, acquire_instance_lock
from crm.store.problems import known_storage_problem
from ui import errors
from ui.safety.instance import ask_first_instance_to_show

log = logging.getLogger(__name__)


def choose_damage_remedy(
    parent: QWidget | None, db_path: Path, damaged: DatabaseDamagedError
) -> Path | None:
    """Ask what to do about a damaged database: the backup file to restore, or None."""
    from ui.safety import dialogs  # only a damaged book needs them

    newest = newest_good_backup(db_path)
    choice = dialogs.ask_damaged_action(damaged.user_message, newest)
    if choice == dialogs.RESTORE and newest is not None:
        return newest.path
    if choice == dialogs.CHOOSE_FILE:
        return dialogs.choose_open_path(parent, "Restore from a backup file", dialogs.DB_FILTER)
    return None


def recover_damaged(db_path: Path, damaged: DatabaseDamagedError, *, now: dt.datetime) -> bool:
    """Before the window opens: offer a backup for a damaged database; True if restored."""
    source = choose_damage_remedy(None, db_path, damaged)
    if source is None:
        return False
    try:
        done = restore(source, db_path, now=now)
    except SmallyesError as exc:
        errors.show_error(None, exc)
        return False
    log.warning("restored damaged %s from %s; damaged file kept as %s", db_path, source, done.kept)
    db = open_database(db_path)
    try:
        again = reapply_suppression(done.kept, now=now)
    finally:
        close_database(db)
    if again.forgotten_again:
        log.info("forgot %d people again after restoring", again.forgotten_again)
    return True


@dataclass(frozen=True, slots=True)
class Startup:
    """What the start-up checks decided: open the window or not, the lock held, and the
    full check still to come (None when a restored file was checked already)."""

    go: bool
    lock: InstanceLock | None = None
    check: WriteGate | None = None


def startup_checks(db_path: Path, *, now: dt.datetime, check: WriteGate | None = None) -> Startup:
    """The one-window lock, the probe (with the restore offer), and the full check to run:
    ``check`` when the caller made it already."""
    try:
        lock: InstanceLock | None = acquire_instance_lock(db_path)
    except AlreadyRunningError as exc:
        ask_first_instance_to_show(db_path)
        errors.show_message(None, "Smallyes is already open", exc.user_message)
        return Startup(go=False)
    except StorageError as exc:
        # The folder is unusable: opening the database says so in its own words.
        log.warning("no instance lock: %s", user_error_text(exc))
        lock = None
    try:
        # The cheap probe now; the full check runs once the window shows, writes held.
        check_database(db_path, full=False)
    except DatabaseDamagedError as exc:
        if not recover_damaged(db_path, exc, now=now):
            if lock is not None:
                lock.release()
            return Startup(go=False)
        # The restored file passed its own quick_check; an earlier check saw the old file.
        return Startup(go=True, lock=lock)
    return Startup(go=True, lock=lock, check=check or WriteGate(db_path))


def settle_health_check(startup: Startup, db: Any, db_path: Path, *, now: dt.datetime) -> Any:
    """Wait for the start-up ``quick_check`` (starting it if need be). Healthy: return
    ``db``. Damaged: close it, offer a backup, and return the restored database, or None
    to quit."""
    problems = startup.check.problems() if startup.check is not None else []
    if not problems:
        return db
    close_database(db)
    if not recover_damaged(db_path, damaged_error(db_path, problems), now=now):
        if startup.lock is not None:
            startup.lock.release()
        return None
    return open_database(db_path)


def install_known_problem_hook() -> None:
    """Known storage problems that escape to the event loop (disk full, locked, read-only)
    get their plain sentence instead of the crash dialog; the rest go on to the crash hook."""
    inner = sys.excepthook

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        known = known_storage_problem(exc)
        if known is None:
            inner(exc_type, exc, tb)
            return
        log.warning("storage problem: %s", exc, exc_info=(exc_type, exc, tb))
        if QApplication.instance() is not None:
            errors.show_message(QApplication.activeWindow(), "Smallyes", known.user_message)

    sys.excepthook = hook
