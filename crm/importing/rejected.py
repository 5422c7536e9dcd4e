"""The rejected rows of an import, kept on disk instead of in memory.

A file can reject millions of rows; holding each whole would make memory follow the
file's size, not its people. Each rejected row goes to an anonymous temporary file as it
is rejected. That file is readable by its owner only (it holds names and addresses), has
no name another process could open or swap, and the system removes it when it is closed
or the program ends, however it ends. The first rows (row number and reason only) are
also kept in memory for the summary.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

MAX_SHOWN = 1000  # rejected rows listed in the summary (all of them go to the file)
_BATCH = 512  # rows held before they are written: a few, whatever the file's size


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    reason: str
    fields: tuple[str, ...] = ()
    file: str = ""
    header: tuple[str, ...] = ()  # the header of the file the fields come from

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "reason": self.reason}


class RejectedRows:
    """Rejected rows in the order they came: ``add`` while importing, ``rows`` after."""

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._lock = threading.Lock()
        self._last: tuple[tuple[str, ...], int] | None = None
        self._pending: list[tuple[Any, ...]] = []  # written a batch at a time
        self.shown: list[RowError] = []
        self.headers: list[tuple[str, ...]] = []  # distinct, in the order first seen
        self.count = 0

    def add(self, error: RowError) -> None:
        with self._lock:
            header = error.header
            if self._last is not None and self._last[0] is header:
                at = self._last[1]
            else:
                if header not in self.headers:
                    self.headers.append(header)
                at = self.headers.index(header)
                self._last = (header, at)
            self._pending.append((error.row, error.reason, error.fields, error.file, at))
            if len(self._pending) >= _BATCH:
                self._write_pending()
            self.count += 1
            if len(self.shown) < MAX_SHOWN:
                self.shown.append(RowError(error.row, error.reason, file=error.file))

    def _write_pending(self) -> None:
        if self._file is None:
            # Kept open past this call: closed by close(), or when the report that holds
            # this object is dropped (the finalizer, without a ResourceWarning).
            self._file = tempfile.TemporaryFile(prefix="smallyes-rejected-")  # noqa: SIM115
            weakref.finalize(self, self._file.close)
        # pickle, not a text format: the file is this process's own (anonymous,
        # owner-only), written and read back by it alone.
        pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._pending = []

    def rows(self) -> Iterator[RowError]:
        """Every rejected row, whole, read back from the file."""
        with self._lock:
            if self._pending:
                self._write_pending()
            handle = self._file
            if handle is None:
                return
            handle.flush()
            handle.seek(0)
            headers = self.headers
            try:
                while True:
                    try:
                        batch = pickle.load(handle)
                    except EOFError:
                        return
                    for row, reason, fields, file, at in batch:
                        yield RowError(row, reason, fields, file, headers[at])
            finally:
                handle.seek(0, os.SEEK_END)  # a later add appends

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def fileno(self) -> int | None:
        """The temporary file's descriptor (None before the rows are written), for checks."""
        with self._lock:
            if self._pending:
                self._write_pending()
            return self._file.fileno() if self._file is not None else None
