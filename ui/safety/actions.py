"""The data-safety actions of the window: back up, restore, export, a lead's data, forget.

Everything slow (a backup, a restore's checks and copy, an export, the erase's rewrite of
the file) runs through one :class:`~ui.workers.TaskRunner`; a progress dialog appears only
when a job takes longer than a moment, and its Cancel button cancels the job. Closing the
window cancels the running job and waits for it. The daily backup runs a moment after the
window is up and after changes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QProgressDialog,
    QWidget,
)

from crm.book.exporting import export_leads_csv, write_lead_data
from crm.book.leads import LeadQuery, LeadRow, count_leads
from crm.errors import (
    ForgetUnfinishedError,
    SmallyesError,
)
from crm.logsetup import user_error_text
from crm.safety.backup import (
    PreparedRestore,
    automatic_backup,
    backup_now,
    daily_backups_on,
    list_backups,
    prepare_restore,
    swap_in,
)
from crm.safety.forget import (
    ReapplyReport,
    finish_forget,
    finish_unfinished_forgets,
    forget_lead,
    purge_backups,
    reapply_suppression,
)
from crm.safety.suppression import unreadable_warning
from crm.store.db import close_thread_connection, open_database
from crm.store.lock import InstanceLock
from crm.timefmt import utc_now
from ui import errors
from ui.events import AppEvents
from ui.pages import Host, MenuPlace
from ui.safety.instance import InstanceServer, bring_to_front
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from ui.safety.dialogs import ForgetChoice

LISTEN_AT_THE_LATEST_MS = 1000

log = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 600
# The daily backup waits this long after a change: a burst of edits makes one backup.
DAILY_BACKUP_DELAY_MS = 1500


class SafetyActions(QObject):
    """The data-safety actions of one window, and the jobs behind them."""

    sig_status = Signal(str)
    sig_job_done = Signal()  # after any job ended, however it ended (tests wait on it)

    def __init__(
        self,
        parent: QWidget,
        db_path: Path,
        events: AppEvents,
        *,
        current_lead: Callable[[], LeadRow | None],
        shown_query: Callable[[], LeadQuery],
        counts: Callable[[], tuple[int, int]],
        clear_lead: Callable[[], None],
        clock: Callable[[], dt.datetime] = utc_now,
        lock: InstanceLock | None = None,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self.db_path = db_path
        self._events = events
        self._current_lead = current_lead
        self._shown_query = shown_query
        self._counts = counts
        self._clear_lead = clear_lead
        self._clock = clock
        self._lock = lock
        self._then: Callable[[Any], None] | None = None
        self._failed: Callable[[SmallyesError], bool] | None = None
        self._quiet = False
        self._progress: QProgressDialog | None = None
        self._closed = False
        self._reopened = False
        self.runner = TaskRunner(self, events=events)
        self.runner.sig_progress.connect(self._on_runner_progress)
        self.runner.sig_finished.connect(self._on_runner_finished)
        self.runner.sig_failed.connect(self._on_runner_failed)
        self.runner.sig_cancelled.connect(self._on_runner_cancelled)

        self.backup_action = self._action("&Back up now…", self.back_up_now)
        self.restore_action = self._action("&Restore from backup…", self.restore_from_backup)
        self.export_action = self._action("&Export leads…", self.export_leads, "Ctrl+E")
        self.export_lead_action = self._action("Export this lead's &data…", self.export_lead)
        self.forget_action = self._action("&Forget this person…", self.forget_person)
        parent.installEventFilter(self)
        self.update_actions()

        # The daily backup follows the day's first change (and the quit after more), once
        # the start-up check has passed: a copy made at start-up could hold nothing yet.
        self._daily_allowed = False
        self._changes = 0  # change events seen in this session
        self._changes_backed_up = 0  # how many of them the newest daily copy holds
        self._daily_made_on: dt.date | None = None
        self._daily_timer = QTimer(self)
        self._daily_timer.setSingleShot(True)
        self._daily_timer.timeout.connect(self.start_daily_backup)
        events.changed.connect(self._on_events_changed)

    def _action(self, text: str, slot: Callable[[], None], shortcut: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _=False: slot())
        return action

    @property
    def file_actions(self) -> list[QAction]:
        return [self.backup_action, self.restore_action, self.export_action]

    @property
    def lead_actions(self) -> list[QAction]:
        return [self.export_lead_action, self.forget_action]

    def update_actions(self) -> None:
        has_lead = self._current_lead() is not None
        idle = not self.runner.busy and not self._closed
        for action in self.file_actions:
            action.setEnabled(idle)
        for action in self.lead_actions:
            action.setEnabled(idle and has_lead)

    # --- running jobs -------------------------------------------------------------------

    def _start(
        self,
        label: str,
        job: Callable[..., Any],
        then: Callable[[Any], None],
        *,
        quiet: bool = False,
        failed: Callable[[SmallyesError], bool] | None = None,
    ) -> None:
        """Run ``job``; ``then`` its result. ``failed`` may take an expected error over
        (returning True) instead of the usual message."""
        if self.runner.busy or self._closed:
            self.sig_status.emit("Another data job is still running: wait for it to finish.")
            return
        self._then = then
        self._failed = failed
        self._quiet = quiet
        if not quiet:
            progress = QProgressDialog(label, "Cancel", 0, 0, self._parent)
            progress.setWindowTitle("Smallyes")
            progress.setWindowModality(Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(PROGRESS_DELAY_MS)
            progress.setAutoClose(False)
            progress.setAutoReset(False)
            progress.canceled.connect(self.runner.cancel)
            self._progress = progress
        self.runner.start(job)
        self.update_actions()

    def _end_job(self) -> None:
        if self._progress is not None:
            self._progress.canceled.disconnect(self.runner.cancel)
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        self._then = None
        self._failed = None
        self.update_actions()
        self.sig_job_done.emit()

    def _on_runner_progress(self, done: int, total: int) -> None:
        if self._progress is not None and total > 0:
            self._progress.setMaximum(total)
            self._progress.setValue(min(done, total))

    def _on_runner_finished(self, result: object) -> None:
        then = self._then
        if self._progress is not None:
            self._progress.hide()
        try:
            if then is not None:
                then(result)
        except SmallyesError as exc:
            errors.show_error(self._parent, exc)
        finally:
            self._end_job()

    def _on_runner_failed(self, failure: JobFailure) -> None:
        quiet, failed = self._quiet, self._failed
        self._end_job()
        error = failure.error
        if failed is not None and isinstance(error, SmallyesError) and failed(error):
            return
        if quiet:
            self.sig_status.emit(failure.message)
        else:
            errors.show_failure(self._parent, failure)

    def _on_runner_cancelled(self) -> None:
        self._end_job()
        self.sig_status.emit("Cancelled: nothing was changed.")

    # --- the actions --------------------------------------------------------------------

    def back_up_now(self) -> None:
        from ui.safety import dialogs  # loaded when a dialog first opens

        now = self._clock()
        suggested = Path.home() / f"smallyes-backup-{now:%Y-%m-%d}.db"
        target = dialogs.choose_save_path(
            self._parent, "Back up the database to", suggested, dialogs.DB_FILTER
        )
        if target is None:
            return

        def job(progress: Callable[[int, int], None], cancel: Any) -> Path:
            return backup_now(target, now=now, progress=progress, cancel=cancel)

        self._start("Backing up…", job, lambda path: self.sig_status.emit(f"Backed up to {path}"))

    def allow_daily_backups(self) -> None:
        """The start-up check passed: changes are backed up from now on, including any
        made while it ran."""
        self._daily_allowed = True
        if self._changes > self._changes_backed_up:
            self._daily_timer.start(DAILY_BACKUP_DELAY_MS)

    def _on_events_changed(self, *_args: object) -> None:
        self._changes += 1
        if self._daily_allowed and self._daily_made_on != self._clock().date():
            self._daily_timer.start(DAILY_BACKUP_DELAY_MS)  # restarted by each change

    def start_daily_backup(self) -> None:
        """The day's backup after its first change, quietly in the background."""
        if self._closed:
            return
        if self.runner.busy:
            self._daily_timer.start(DAILY_BACKUP_DELAY_MS)  # once the running job ends
            return
        now = self._clock()
        changes = self._changes

        def job(_progress: Callable[[int, int], None], cancel: Any) -> tuple[Path | None, bool]:
            try:
                # A forget the file was not rewritten after: finish it before a copy is
                # made, or the backup would carry the old pages along.
                finish_unfinished_forgets()
            except ForgetUnfinishedError as exc:
                log.warning("daily backup skipped: %s", user_error_text(exc))
                return None, False
            path = automatic_backup(now=now, cancel=cancel)
            return path, bool(daily_backups_on(self.db_path, now.date()))

        def done(result: object) -> None:
            path, made_today = cast(tuple[Path | None, bool], result)
            if made_today:
                self._daily_made_on = now.date()
            if path is not None:
                self._changes_backed_up = changes
                log.info("daily backup: %s", path)

        self._start("", job, done, quiet=True)

    def _backup_at_quit(self) -> None:
        """Changes since the newest daily copy: one more, with the day's last state."""
        if not self._daily_allowed or self._changes == self._changes_backed_up:
            return
        try:
            path = automatic_backup(now=self._clock(), at_quit=True)
        except SmallyesError as exc:  # a full disk at quit: the book itself is saved
            log.warning("no backup at quit: %s", exc.user_message)
            return
        if path is not None:
            self._changes_backed_up = self._changes
            log.info("backup at quit: %s", path)

    def restore_from_backup(self) -> None:
        from ui.safety import dialogs  # loaded when a dialog first opens

        source = dialogs.choose_restore_source(self._parent, list_backups(self.db_path))
        if source is None:
            return
        if not dialogs.confirm(
            self._parent,
            "Restore from backup",
            f"Replace the database with {source.name}?",
            "Everything changed since that backup will be replaced. The database as it is "
            "now is kept as a backup first, so you can go back to it.",
            "Restore",
        ):
            return
        self._restore_from(source)

    def _restore_from(self, source: Path) -> None:
        if TaskRunner.writing():
            errors.show_message(
                self._parent,
                "Smallyes",
                "An import is still running: let it finish or cancel it, then restore; "
                "nothing was changed.",
            )
            return
        now = self._clock()

        def job(progress: Callable[[int, int], None], cancel: Any) -> PreparedRestore:
            return prepare_restore(source, self.db_path, now=now, progress=progress, cancel=cancel)

        self._start("Checking and copying the backup…", job, self._swap_in)

    def _swap_in(self, prepared: object) -> None:
        assert isinstance(prepared, PreparedRestore)
        # The worker closed its connection when the job ended; close this thread's, swap
        # the file, and open the restored one (migrating it if it is older).
        self._clear_lead()
        close_thread_connection()
        with self._events.publishing():  # every view reloads, after the swap is announced
            swap_in(prepared)
            open_database(self.db_path)
            self._reopened = True
            # People forgotten since the backup was made are forgotten again, before any
            # view reads the restored book.
            again = reapply_suppression(prepared.kept, now=self._clock())
            self._events.database_swapped.emit()
        kept = f"; the replaced database was kept as {prepared.kept.name}" if prepared.kept else ""
        self.sig_status.emit(f"Restored from {prepared.source.name}{kept}{_forgot_again(again)}")
        if again.unreadable:
            errors.show_message(
                self._parent, "Smallyes", unreadable_warning(again.unreadable, self.db_path) + "."
            )

    def export_leads(self) -> None:
        from ui.safety import dialogs  # loaded when a dialog first opens

        shown, total = self._counts()
        choice = dialogs.ask_export_options(self._parent, shown, total)
        if choice is None:
            return
        suggested = Path.home() / f"leads-{self._clock():%Y-%m-%d}.csv"
        target = dialogs.choose_save_path(
            self._parent, "Export leads to", suggested, dialogs.CSV_FILTER
        )
        if target is None:
            return
        query = self._shown_query() if choice.only_shown else LeadQuery()

        def job(progress: Callable[[int, int], None], cancel: Any) -> int:
            return export_leads_csv(
                target, query, excel=choice.excel, progress=progress, cancel=cancel
            )

        def done(count: object) -> None:
            self.sig_status.emit(f"Exported {count:,} leads to {target}")

        self._start("Exporting leads…", job, done)

    def export_lead(self) -> None:
        from ui.safety import dialogs  # loaded when a dialog first opens

        lead = self._current_lead()
        if lead is None:
            return
        suggested = Path.home() / f"{lead.email.replace('@', '_at_')}.json"
        target = dialogs.choose_save_path(
            self._parent,
            f"Export everything about {lead.display_name}",
            suggested,
            dialogs.JSON_FILTER,
        )
        if target is None:
            return

        def job(_progress: Callable[[int, int], None], _cancel: Any) -> Path:
            return write_lead_data(lead.id, target)

        self._start(
            "Exporting…", job, lambda path: self.sig_status.emit(f"Saved their data to {path}")
        )

    def forget_person(self) -> None:
        from ui.safety import dialogs  # loaded when a dialog first opens

        lead = self._current_lead()
        if lead is None:
            return
        choice = dialogs.confirm_forget(self._parent, lead)
        if choice is None:
            return
        lead_id, email, who = lead.id, lead.email, lead.display_name
        self._erase(f"Erasing {who}…", lambda: forget_lead(lead_id), email, who, choice)

    def _erase(
        self, label: str, erase: Callable[[], object], email: str, who: str, choice: ForgetChoice
    ) -> None:
        """Run ``erase`` then the chosen purge of the backups; a clean-up left unfinished
        is offered again, as many times as it takes."""

        def job(_progress: Callable[[int, int], None], _cancel: Any) -> None:
            # Not cancellable: the erase is one transaction, then one rewrite of the file.
            erase()
            if choice.purge_backups:
                purge_backups(email, self.db_path)

        self._start(
            label,
            job,
            lambda _result: self._forgotten(who),
            failed=lambda exc: self._forget_unfinished(exc, email, who, choice),
        )

    def _forgotten(self, who: str) -> None:
        self._clear_lead()
        self.sig_status.emit(f"{who} was forgotten")

    def _forget_unfinished(
        self, exc: SmallyesError, email: str, who: str, choice: ForgetChoice
    ) -> bool:
        """The person is erased but the file or a backup is not clean yet: say so, and
        offer to finish (the same address, known from the list of forgotten people)."""
        from ui.safety import dialogs  # loaded when a dialog first opens

        if not isinstance(exc, ForgetUnfinishedError):
            return False
        self._clear_lead()
        text, informative = dialogs.unfinished_forget_text(who, exc)
        if not dialogs.ask_finish_forget(self._parent, text, informative):
            self.sig_status.emit(f"{who} was erased; the clean-up is not finished yet")
            return True
        self._erase(
            f"Finishing the erase of {who}…", lambda: finish_forget(email), email, who, choice
        )
        return True

    # --- closing ------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._parent and event.type() == QEvent.Type.Close:
            self.stop_jobs()
        return False

    def stop_jobs(self) -> None:
        """Cancel the running job and wait for it: nothing is left half-written."""
        if self._closed:
            return
        self._closed = True
        self.runner.shutdown()
        self.update_actions()

    def shutdown(self) -> None:
        """At exit: stop jobs, back up changes not yet in a daily copy, close the database
        opened by a restore, release the lock."""
        self.stop_jobs()
        self._daily_timer.stop()
        self._backup_at_quit()
        if self._reopened:
            close_thread_connection()
        if self._lock is not None:
            self._lock.release()


def _forgot_again(again: ReapplyReport) -> str:
    if not again.forgotten_again:
        return ""
    n = again.forgotten_again
    people = "person" if n == 1 else "people"
    return f"; forgot again {n} {people} forgotten at their request since that backup"


def install_safety(
    host: Host,
    lock: InstanceLock | None,
    *,
    daily_backup: bool = True,
    clock: Callable[[], dt.datetime] | None = None,
) -> SafetyActions:
    """Wire the data-safety actions into the main window: File menu, the lead panel, the
    second-window signal, and the daily backup after changes (``daily_backup``: from the
    start; otherwise once the caller calls ``allow_daily_backups``)."""
    page, window = host.leads_page, host.as_widget()
    safety = SafetyActions(
        window,
        host.db_path,
        host.events,
        current_lead=lambda: page.detail.lead or page.selected_lead(),
        shown_query=lambda: page.model.query,
        counts=lambda: (count_leads(page.model.query), page.total),
        clear_lead=lambda: page.detail.show_lead(None),
        clock=clock or host.clock,
        lock=lock,
    )
    host.add_menu_actions(MenuPlace.FILE_DATA, safety.file_actions)
    host.add_menu_actions(MenuPlace.EDIT_LEAD, safety.lead_actions)
    for action in safety.lead_actions:
        page.detail.add_lead_action(action)
    page.sig_selection_changed.connect(safety.update_actions)
    safety.sig_status.connect(host.show_status)
    servers: list[InstanceServer] = []

    def listen() -> None:
        if not servers:
            servers.append(InstanceServer(host.db_path, safety))
            servers[0].sig_show_requested.connect(lambda: bring_to_front(window))

    # A second start is answered from the first paint of the lead list on (or a second
    # after start-up, whichever comes first): QtNetwork loads after the window shows.
    page.sig_first_rows_painted.connect(lambda: QTimer.singleShot(0, safety, listen))
    QTimer.singleShot(0 if page.is_empty else LISTEN_AT_THE_LATEST_MS, safety, listen)
    if daily_backup:
        safety.allow_daily_backups()
    return safety
