"""The window follows the book: what another process changes shows within a second or two.

A timer asks the book's change feed (:mod:`crm.store.change_feed`) every
:data:`INTERVAL_MS` whether another process (a command, a second window) committed. What it
heard is published through :class:`~ui.events.AppEvents` as the same
:class:`~crm.changes.Change` the window's own edits make, so every page refreshes exactly
as it does for those; an idle check reads no table and publishes nothing. Another file put
at the book's path is opened in its place, and every page reloads, as after the window's
own restore (``database_swapped``, then everything changed).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from crm.changes import EVERYTHING
from crm.errors import SmallyesError
from crm.store.change_feed import ChangeFeed, watch_open_book
from crm.store.db import close_database, close_thread_connection, current_book, open_database
from ui.events import AppEvents
from ui.workers import TaskRunner

log = logging.getLogger(__name__)

INTERVAL_MS = 1000


class LiveRefresh(QObject):
    """Owns the timer and the feed of one window's book."""

    sig_status = Signal(str)  # a passing note: the file was opened again
    sig_stopped = Signal(str)  # it cannot follow the book any more, and why

    def __init__(
        self,
        events: AppEvents,
        db_path: Path,
        parent: QObject | None = None,
        *,
        interval_ms: int = INTERVAL_MS,
    ) -> None:
        super().__init__(parent)
        self._events = events
        self._db_path = db_path
        self._feed: ChangeFeed | None = watch_open_book()
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.check)
        events.database_swapped.connect(self._on_events_database_swapped)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def check(self) -> None:
        """Publish what other processes changed since the last check (nothing if idle)."""
        if self._feed is None:
            # No book was open when the window was built (a test): follow it from now.
            self._feed = watch_open_book()
            return
        try:
            heard = self._feed.check()
        except SmallyesError as exc:
            self._give_up(exc)
            return
        if heard.replaced:
            self._reopen()
        else:
            self._events.publish(heard.change, self)

    def _reopen(self) -> None:
        """Open the file now at the path, and reload every page from it."""
        if TaskRunner.writing():
            return  # the job's commit is refused (the file changed): next check, once it ends
        old = current_book()
        close_thread_connection()
        try:
            open_database(self._db_path)
        except SmallyesError as exc:
            self._give_up(exc)
            return
        if old is not None:
            close_database(old)  # its other threads closed theirs when their jobs ended
        log.info("%s was replaced by another file: opened it again", self._db_path)
        self._events.database_swapped.emit()
        self._events.publish(EVERYTHING, self)
        self.sig_status.emit(
            "The database file was replaced by another program (a restore): showing it now."
        )

    def _give_up(self, exc: SmallyesError) -> None:
        self.stop()
        log.warning("live refresh stopped: %s", exc.user_message)
        self.sig_stopped.emit(
            f"Changes made outside this window no longer show here: {exc.user_message}"
        )

    def _on_events_database_swapped(self) -> None:
        # Another book object is open (a restore): follow it from its current state.
        self._feed = watch_open_book()
