"""Errors at the UI boundary: expected ones get their sentence, bugs get the log.

A :class:`~crm.errors.SmallyesError` is shown with its ``user_message``. Anything else is a
bug: ``sys.excepthook`` logs the traceback and tells the user where the log is and that
their data is safe (every change runs in a transaction, so a crash leaves no half-write).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from crm.errors import SmallyesError
from crm.logsetup import user_error_text

if TYPE_CHECKING:
    from ui.workers import JobFailure

log = logging.getLogger(__name__)

_log_path: Path | None = None
_showing_crash = False


def show_message(parent: QWidget | None, title: str, text: str, *, critical: bool = False) -> None:
    """The one place that opens a message box; tests replace it to collect messages."""
    box = QMessageBox.critical if critical else QMessageBox.warning
    box(parent, title, text)


def show_error(parent: QWidget | None, exc: SmallyesError) -> None:
    """Show an expected error's one-sentence message."""
    # Logged without personal data: the message may name the lead (an address, a name).
    log.info("user error: %s", user_error_text(exc))
    show_message(parent, "Smallyes", exc.user_message)


def show_failure(parent: QWidget | None, failure: JobFailure) -> None:
    """Show how a background job failed: its sentence, or for a bug the crash text."""
    if failure.bug:
        show_message(parent, "Something went wrong", crash_text(_log_path), critical=True)
    elif isinstance(failure.error, SmallyesError):
        show_error(parent, failure.error)
    else:
        show_message(parent, "Smallyes", failure.message)


def crash_text(log_path: Path | None) -> str:
    where = (
        f"The details are in the log file:\n{log_path}"
        if log_path is not None
        else "The log folder could not be written, so the details are only on the console."
    )
    return (
        "Something went wrong inside Smallyes.\n\n"
        f"{where}\n\n"
        "Your data is safe: every change is saved whole or not at all. "
        "You can keep working, or restart Smallyes if something looks off."
    )


def excepthook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """Log an unexpected exception with its traceback and tell the user calmly."""
    global _showing_crash
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.critical("unexpected error", exc_info=(exc_type, exc, tb))
    if _log_path is None:
        sys.__excepthook__(exc_type, exc, tb)
    if QApplication.instance() is None or _showing_crash:
        return
    _showing_crash = True  # one dialog at a time, even if painting keeps failing
    try:
        show_message(
            QApplication.activeWindow(),
            "Something went wrong",
            crash_text(_log_path),
            critical=True,
        )
    finally:
        _showing_crash = False


def install_excepthook(log_path: Path | None) -> None:
    global _log_path
    _log_path = log_path
    sys.excepthook = excepthook


def log_path() -> Path | None:
    """The log file the excepthook points users to (None before start-up or if unwritable)."""
    return _log_path
