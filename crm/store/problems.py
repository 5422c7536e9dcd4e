"""Known storage failures in one sentence: a damaged or locked file, a full or read-only disk.

The UI and the CLI show these sentences; anything not recognised here is a bug, logged
with its traceback.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from peewee import DatabaseError

from crm.errors import StorageError
from crm.store.models import database_proxy
from crm.store.paths import database_path, default_db_path

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


def is_disk_full(exc: BaseException, path: Path) -> bool:
    """Whether a full disk is among ``exc``'s causes: the write could not be saved."""
    return _known_problem_message(exc, path) == DISK_FULL


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
