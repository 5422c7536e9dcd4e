"""Writing the files a user asks for: exports, charts, reports.

They hold personal data, and they are written where the user points, so each one is

- checked first: never a folder, a device, or the database and the files beside it
  (through a symlink too);
- written to a temporary file in the target's folder, created readable by the owner only,
  and renamed over the target once complete: a full disk or a cancel leaves the old file
  as it was and nothing half-written behind;
- reported in one sentence when the disk refuses it (full, read-only, gone).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from crm.errors import SmallyesError, StorageError
from crm.store.models import database_proxy
from crm.store.paths import check_output_file, database_path
from crm.store.problems import disk_problem_message

log = logging.getLogger(__name__)


class _RecordingFile(io.RawIOBase):
    """The temporary file, remembering the OS error a write met: matplotlib's PDF writer
    goes on after one and then fails in its own way (a zlib error), hiding the cause."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._file = io.FileIO(fd, "wb")
        self.error: OSError | None = None

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._file.fileno()

    def write(self, data: Any) -> int | None:
        try:
            return self._file.write(data)
        except OSError as exc:
            self.error = self.error or exc
            raise

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def close(self) -> None:
        if not self.closed:
            try:
                self._file.close()
            finally:
                super().close()


# Cells a spreadsheet would read as a formula (or, for TAB and CR, mangle on paste).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(cell: str) -> str:
    """A cell a spreadsheet shows as the text it is: a leading apostrophe before a formula."""
    return "'" + cell if cell.startswith(FORMULA_PREFIXES) else cell


def _current_db_path() -> Path | None:
    db = database_proxy.obj
    return database_path(db) if db is not None else None


def check_target(target: str | Path, what: str) -> Path:
    """``target`` as a path, refused (``ValidationError``) when writing ``what`` there
    would wreck a folder, a device or the database in use; call before any slow work."""
    path = Path(target).expanduser()
    check_output_file(path, _current_db_path(), what)
    return path


@contextlib.contextmanager
def atomic_output(
    target: str | Path, what: str, *, text_encoding: str | None = None
) -> Iterator[IO[Any]]:
    """A file to write ``what`` (an export, a chart, a report) into; it replaces
    ``target`` only when the block ends without an error.

    Binary unless ``text_encoding`` is given (then text with untranslated newlines: the
    CSV writer picks its own). A failure that the disk caused becomes a ``StorageError``.
    """
    path = check_target(target, what)
    tmp: Path | None = None
    raw: _RecordingFile | None = None
    handle: IO[Any] | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # mkstemp creates the file 0600 whatever the umask: the data is personal.
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        tmp = Path(name)
        raw = _RecordingFile(fd)
        buffered = io.BufferedWriter(raw)
        handle = (
            io.TextIOWrapper(buffered, encoding=text_encoding, newline="")
            if text_encoding
            else buffered
        )
        yield handle
        handle.flush()
        os.fsync(raw.fileno())
        handle.close()
        os.replace(tmp, path)
        tmp = None
    except SmallyesError:
        raise
    except OSError as exc:
        raise _write_error(path, what, exc) from exc
    except Exception as exc:
        if raw is not None and raw.error is not None:
            raise _write_error(path, what, raw.error) from exc
        raise
    finally:
        if tmp is not None:
            _close_quietly(handle if handle is not None else raw)
            tmp.unlink(missing_ok=True)


def _close_quietly(handle: IO[Any] | _RecordingFile | None) -> None:
    if handle is None:
        return
    # Closing flushes what is buffered, which on a full disk fails again: the first
    # failure already says why, and the file is removed next.
    with contextlib.suppress(OSError):
        handle.close()


def _write_error(path: Path, what: str, exc: OSError) -> StorageError:
    log.warning("could not write %s %s: %s", what, path, exc)
    known = disk_problem_message(exc, path)
    if known is not None:
        return StorageError(known)
    reason = exc.strerror or str(exc)
    return StorageError(
        f"Smallyes could not write the {what} {path} ({reason}): choose a folder you can write to."
    )
