"""Logging is configured once, at the entry points: a rotating file in the user log dir.

The log holds no personal data: it is kept for weeks, is not covered by Forget, and gets
attached to bug reports. Every line goes through :func:`redact_emails` (messages and
tracebacks alike), code that logs a message shown to the user logs :func:`redact` of it
(quoted values too: a name, a typed address), and the file and its folder are owner-only.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any

from crm.store.paths import log_dir

LOG_FILE_NAME = "smallyes.log"

# Anything shaped like an address, valid or not: a user@host word.
_EMAIL = re.compile(r"[^\s'\"<>()\[\]{},;]+@[^\s'\"<>()\[\]{},;]+")
# A value quoted in a user message ('Ada', "x"): the quote opens after no letter, so the
# apostrophe of "can't" does not start one.
_QUOTED = re.compile(r"(?<!\w)'[^'\n]*'(?!\w)|(?<!\w)\"[^\"\n]*\"(?!\w)")


def redact_emails(text: str) -> str:
    return _EMAIL.sub("<email>", text)


def redact(text: str) -> str:
    """A user-facing message without personal data: addresses and quoted values go."""
    return _QUOTED.sub("'…'", redact_emails(text))


def user_error_text(exc: BaseException) -> str:
    """How a shown error is logged: its class and its redacted sentence."""
    message = getattr(exc, "user_message", str(exc))
    return f"{type(exc).__name__}: {redact(message)}"


class RedactingFormatter(logging.Formatter):
    """The file's formatter: no address reaches the file, not even inside a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_emails(super().format(record))


class OwnerOnlyFileHandler(logging.FileHandler):
    """A log file rotated by size (``NAME.1`` … ``NAME.<backup_count>``, oldest dropped),
    readable by its owner only, each new file after a rollover too.

    It rolls over as ``logging.handlers.RotatingFileHandler`` does, without importing
    ``logging.handlers``: that module brings socket, pickle and queue, which every start of
    the window would load for nothing.
    """

    def __init__(self, filename: Path, max_bytes: int, backup_count: int) -> None:
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        super().__init__(filename, mode="a", encoding="utf-8")

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # a log an older Smallyes made with the umask's permissions
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.should_roll_over(record):
                self.do_rollover()
        except Exception:  # noqa: BLE001 - logging never raises into the caller
            self.handleError(record)
            return
        super().emit(record)

    def should_roll_over(self, record: logging.LogRecord) -> bool:
        """Whether ``record`` would take a non-empty file past ``max_bytes``."""
        if self.stream is None:
            self.stream = self._open()
        if self.max_bytes <= 0:
            return False
        position = self.stream.tell()
        return bool(position) and position + len(self.format(record)) + 1 >= self.max_bytes

    def do_rollover(self) -> None:
        """Shift ``NAME.i`` to ``NAME.i+1`` (dropping the last), the file to ``NAME.1``."""
        if self.stream is not None:
            self.stream.close()
            self.stream = None
        base = self.baseFilename
        if self.backup_count > 0:
            for i in range(self.backup_count - 1, 0, -1):
                if os.path.exists(f"{base}.{i}"):
                    os.replace(f"{base}.{i}", f"{base}.{i + 1}")
            if os.path.exists(base):
                os.replace(base, f"{base}.1")
        else:
            open(base, "w", encoding="utf-8").close()  # no copies kept: start the file again
        self.stream = self._open()


def log_file() -> Path:
    return log_dir() / LOG_FILE_NAME


def configure_logging(level: int = logging.INFO) -> Path | None:
    """Log to a rotating file; return its path, or None when the folder is not writable."""
    path = log_file()
    root = logging.getLogger()
    root.setLevel(level)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)  # Smallyes's own folder: an older one was made 0755
        handler: logging.Handler = OwnerOnlyFileHandler(path, max_bytes=2_000_000, backup_count=3)
    except OSError:
        return None
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path
