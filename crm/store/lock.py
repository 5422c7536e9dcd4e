"""Who has a database open: the window's lock, and the lock every opener shares.

Two lock files sit beside the database, both OS file locks (``flock``), so they end with
the process, even one that crashed: a lock file left behind never blocks anything.

- ``NAME.db.lock``: one Smallyes window per database, holding the window's pid. The CLI
  does not take it: SQLite's WAL journal and ``busy_timeout`` let a script write beside
  the window without losing anything.
- ``NAME.db.inuse``: every process that opens the database (window or command) holds it
  shared while it is open (:class:`BookLock`). Whatever replaces the file (a restore) or
  removes files that belong to it (leftovers of a killed job) takes it exclusively first,
  so it never pulls the file from under a process that would go on writing into a
  deleted file and report success.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

    def _window_holds(fd: int) -> bool:
        if not _try_lock(fd):
            return True
        _unlock(fd)
        return False

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

    def _window_holds(fd: int) -> bool:
        # A shared probe: two restores probing at once do not see each other as a window.
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False


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
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:  # no lock file: no window has ever opened this database
        return
    try:
        if not _window_holds(fd):
            return
    finally:
        os.close(fd)
    pid = _read_pid(path)
    raise AlreadyRunningError(
        f"Smallyes is open on {db_path}"
        + (f" (process {pid})" if pid else "")
        + f": close the window first, then {doing}.",
        pid,
    )


# --- the lock every opener shares -----------------------------------------------------------

# How long a command waits for a restore that is swapping the file in, before giving up.
OPEN_WAIT_S = 60.0
# How long a restore waits for other processes to close the database before refusing.
RESTORE_WAIT_S = 3.0
_POLL_S = 0.05


def in_use_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".inuse")


if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
    # msvcrt has no shared locks. Windows cannot rename over, nor delete, a file another
    # process has open (SQLite opens it without FILE_SHARE_DELETE), so a restore there
    # fails with an error instead of pulling the file from under a writer; the locks
    # below only order this process's own threads.
    def _flock(fd: int, exclusive: bool, wait: bool) -> bool:
        return True

    def _funlock(fd: int) -> None:
        pass

else:

    def _flock(fd: int, exclusive: bool, wait: bool) -> bool:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _funlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class _Held:
    """This process's one lock file descriptor for one database (flock locks belong to an
    open file, so two descriptors of one process would conflict with each other)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.users = 0  # open databases (shared holds) in this process
        self.exclusive = False


_held: dict[str, _Held] = {}
_guard = threading.Condition()


def _key(db_path: Path) -> str:
    return str(db_path.expanduser().resolve())


def _open_lock_file(db_path: Path) -> int:
    path = in_use_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StorageError(
            f"Smallyes cannot create its lock file {path} ({exc.strerror}): check that the "
            "folder is writable."
        ) from exc


def _poll(attempt: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if attempt():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_S)


def _in_use_message(db_path: Path, doing: str) -> str:
    return (
        f"Another Smallyes process has {db_path} open (a command such as an import, a "
        f"restore, or a window): let it finish or close it, then {doing}; nothing was changed."
    )


class BookLock:
    """A hold on ``NAME.db.inuse``: shared while a database is open, exclusive while it is
    replaced. :meth:`release` is idempotent; a crash releases it with the process."""

    def __init__(self, key: str, exclusive: bool) -> None:
        self._key: str | None = key
        self._exclusive = exclusive

    @property
    def held(self) -> bool:
        return self._key is not None

    @classmethod
    def shared(cls, db_path: Path, *, wait: float | None = None) -> BookLock:
        """Held while the database is open. Waits (``OPEN_WAIT_S``) for a restore that is
        swapping the file in, then raises ``StorageError``."""
        key = _key(db_path)
        with _guard:
            held = _held.get(key)
            if held is not None:
                held.users += 1
                return cls(key, exclusive=False)
        fd = _open_lock_file(db_path)
        if not _poll(lambda: _flock(fd, False, False), OPEN_WAIT_S if wait is None else wait):
            os.close(fd)
            raise StorageError(
                f"Another Smallyes process is replacing {db_path} (a restore): wait for it "
                "to finish, then try again; nothing was changed."
            )
        with _guard:
            held = _held.get(key)
            if held is None:
                held = _held[key] = _Held(fd)
            else:  # another thread of this process got there first: share its descriptor
                os.close(fd)
            held.users += 1
        return cls(key, exclusive=False)

    @classmethod
    def exclusive(cls, db_path: Path, doing: str, *, wait: float | None = None) -> BookLock:
        """No other process has the database open until :meth:`release`. This process's own
        shared holds stay (its caller closes its connections). Waits ``RESTORE_WAIT_S``,
        then raises ``StorageError`` naming what to do (``doing``: "restore")."""
        key = _key(db_path)
        deadline = time.monotonic() + (RESTORE_WAIT_S if wait is None else wait)
        with _guard:
            # Another thread of this process replacing the same file: wait for it first.
            while (held := _held.get(key)) is not None and held.exclusive:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StorageError(_in_use_message(db_path, doing))
                _guard.wait(left)
            if held is None:
                held = _held[key] = _Held(_open_lock_file(db_path))
                fresh = True
            else:
                fresh = False
            held.exclusive = True  # claimed: this process's other threads wait above
        fd = held.fd
        got = _poll(
            (lambda: _flock(fd, True, False)) if fresh else (lambda: _upgrade(fd)),
            max(0.0, deadline - time.monotonic()),
        )
        if not got:
            with _guard:
                held.exclusive = False
                _guard.notify_all()
                if not held.users:
                    del _held[key]
                    os.close(fd)
                elif fresh:  # a thread opened the database meanwhile: it needs the shared lock
                    _flock(fd, False, True)
            raise StorageError(_in_use_message(db_path, doing))
        return cls(key, exclusive=True)

    @classmethod
    @contextmanager
    def exclusive_if_free(cls, db_path: Path) -> Iterator[bool]:
        """Exclusive at once or not at all: yields whether no other process has it open."""
        try:
            lock = cls.exclusive(db_path, "try again", wait=0)
        except StorageError:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()

    def release(self) -> None:
        key, self._key = self._key, None
        if key is None:
            return
        with _guard:
            held = _held[key]
            if self._exclusive:
                held.exclusive = False
                _guard.notify_all()
                if held.users:
                    # Back to this process's shared hold. The conversion is not atomic:
                    # an opener waiting for the exclusive lock to end may come first.
                    _flock(held.fd, False, True)
                    return
            else:
                held.users -= 1
                if held.users or held.exclusive:
                    return
            del _held[key]
            _funlock(held.fd)
            os.close(held.fd)

    def __enter__(self) -> BookLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _upgrade(fd: int) -> bool:
    if _flock(fd, True, False):
        return True
    # A refused conversion drops the shared lock (flock removes it before it tries the
    # new one): take it back so this process stays visible to others while it waits.
    _flock(fd, False, True)
    return False
