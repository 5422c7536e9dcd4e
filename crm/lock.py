"""One Smallyes window per database: a lock file beside it, holding the owner's pid.

The lock is an OS file lock (``flock`` / ``msvcrt.locking``), so it ends with the process,
even one that crashed: a lock file left behind never blocks the next start. The CLI does
not take it: SQLite's WAL journal and ``busy_timeout`` let a script write beside the
window without losing anything; only commands that replace the file (restore) refuse to
run while a window holds the lock.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from crm.errors import AlreadyRunningError, StorageError

log = logging.getLogger(__name__)

if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


class InstanceLock:
    """Held while the window is open; :meth:`release` when it closes."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _running_message(db_path: Path, pid: int | None) -> str:
    who = f" (process {pid})" if pid else ""
    return f"Smallyes is already open on {db_path}{who}: switch to that window, or close it first."


def acquire_instance_lock(db_path: Path) -> InstanceLock:
    """Take the lock for ``db_path`` or raise ``AlreadyRunningError`` naming the holder."""
    path = lock_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StorageError(
            f"Smallyes cannot create its lock file {path} ({exc.strerror}): check that the "
            "folder is writable."
        ) from exc
    if not _try_lock(fd):
        os.close(fd)
        pid = _read_pid(path)
        raise AlreadyRunningError(_running_message(db_path, pid), pid)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))
    log.info("instance lock taken: %s", path)
    return InstanceLock(path, fd)


def ensure_not_running(db_path: Path, doing: str) -> None:
    """Refuse ``doing`` (e.g. "restore") while a window holds the database's lock."""
    path = lock_path(db_path)
    if not path.exists():
        return
    try:
        lock = acquire_instance_lock(db_path)
    except AlreadyRunningError as exc:
        raise AlreadyRunningError(
            f"Smallyes is open on {db_path}"
            + (f" (process {exc.pid})" if exc.pid else "")
            + f": close the window first, then {doing}.",
            exc.pid,
        ) from None
    lock.release()
