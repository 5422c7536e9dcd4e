"""Data safety in the window: back up, restore, export, a lead's data, forget, start-up.

Everything slow (a backup, a restore's checks and copy, an export, the erase's rewrite of
the file) runs through one :class:`~ui.workers.TaskRunner`; a progress dialog appears only
when a job takes longer than a moment, and its Cancel button cancels the job. Closing the
window cancels the running job and waits for it.

Start-up: :func:`startup_checks` takes the one-window lock (a second window asks the first
to come to the front and says so), probes the file, and starts ``quick_check`` on a
thread; :func:`settle_health_check` takes its answer just before the window reads any
data, so the check overlaps the window's imports. A damaged file gets the offer of the
newest good backup. The daily backup runs a moment after the window is up. Dialogs are
opened through the module-level functions so tests can replace them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from crm.book.exporting import export_leads_csv, write_lead_data
from crm.book.leads import LeadQuery, LeadRow, count_leads
from crm.errors import (
    AlreadyRunningError,
    DatabaseDamagedError,
    ForgetUnfinishedError,
    SmallyesError,
    StorageError,
)
from crm.logsetup import log_file, user_error_text
from crm.safety.backup import (
    BackupInfo,
    PreparedRestore,
    automatic_backup,
    backup_now,
    daily_backups_on,
    list_backups,
    newest_good_backup,
    prepare_restore,
    restore,
    swap_in,
)
from crm.safety.damage import check_database, damaged_error
from crm.safety.forget import (
    ReapplyReport,
    finish_forget,
    finish_unfinished_forgets,
    forget_lead,
    purge_backups,
    reapply_suppression,
)
from crm.safety.suppression import unreadable_warning
from crm.store.db import close_database, close_thread_connection, open_database
from crm.store.health import quick_check
from crm.store.lock import InstanceLock, acquire_instance_lock
from crm.store.problems import known_storage_problem
from crm.timefmt import local, utc_now
from ui import errors
from ui.events import AppEvents
from ui.workers import TaskRunner

log = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 600
# The daily backup waits this long after a change: a burst of edits makes one backup.
DAILY_BACKUP_DELAY_MS = 1500
DB_FILTER = "Smallyes backups (*.db);;All files (*)"
CSV_FILTER = "CSV files (*.csv)"
JSON_FILTER = "JSON files (*.json)"


# --- dialog openers: the only places that block on a modal dialog ------------------------


def choose_save_path(parent: QWidget | None, title: str, suggested: Path, filt: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), filt)
    return Path(name) if name else None


def choose_open_path(parent: QWidget | None, title: str, filt: str) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, title, "", filt)
    return Path(name) if name else None


def confirm(parent: QWidget | None, title: str, text: str, informative: str, ok: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setInformativeText(informative)
    yes = box.addButton(ok, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


@dataclass(frozen=True, slots=True)
class ExportChoice:
    only_shown: bool
    excel: bool


class ExportDialog(QDialog):
    """All leads or only what the list shows, and whether the file is for Excel."""

    def __init__(self, parent: QWidget | None, shown: int, total: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export leads")
        self.all_leads = QRadioButton(f"All leads ({total:,})")
        self.shown_leads = QRadioButton(f"Only the leads the list shows ({shown:,})")
        self.all_leads.setChecked(True)
        self.shown_leads.setEnabled(shown != total)
        self.excel = QCheckBox("For Excel (adds the marker Excel needs to read accents)")
        note = QLabel(
            "Cells that start with =, +, -, @ get a leading ' so a spreadsheet shows them as "
            "text instead of running them (phone numbers with + too).",
            wordWrap=True,
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.all_leads, self.shown_leads, self.excel, note, buttons):
            layout.addWidget(widget)

    def choice(self) -> ExportChoice:
        return ExportChoice(only_shown=self.shown_leads.isChecked(), excel=self.excel.isChecked())


def ask_export_options(parent: QWidget | None, shown: int, total: int) -> ExportChoice | None:
    dialog = ExportDialog(parent, shown, total)
    return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None


class RestoreDialog(QDialog):
    """Pick one of the kept backups, or another file."""

    def __init__(self, parent: QWidget | None, backups: list[BackupInfo]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore from backup")
        self.chosen: Path | None = None
        self.list = QListWidget()
        for b in backups:
            item = QListWidgetItem(f"{b.label} — {b.size / 1_000_000:.1f} MB")
            item.setData(Qt.ItemDataRole.UserRole, str(b.path))
            item.setToolTip(str(b.path))
            self.list.addItem(item)
        if backups:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept_selected())
        self.other = QPushButton("Other file…")
        self.other.clicked.connect(self._on_other_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(bool(backups))
        buttons.accepted.connect(self.accept_selected)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.other, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        text = (
            "Choose the copy to go back to. The database as it is now is kept as a backup "
            "first, so a restore can itself be undone."
        )
        layout.addWidget(QLabel(text, wordWrap=True))
        if not backups:
            layout.addWidget(QLabel("No backups are kept beside this database yet."))
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(520, 360)

    def accept_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen = Path(item.data(Qt.ItemDataRole.UserRole))
            self.accept()

    def _on_other_clicked(self) -> None:
        path = choose_open_path(self, "Restore from a backup file", DB_FILTER)
        if path is not None:
            self.chosen = path
            self.accept()


def choose_restore_source(parent: QWidget | None, backups: list[BackupInfo]) -> Path | None:
    dialog = RestoreDialog(parent, backups)
    return dialog.chosen if dialog.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True, slots=True)
class ForgetChoice:
    purge_backups: bool


def confirm_forget(parent: QWidget | None, lead: LeadRow) -> ForgetChoice | None:
    box = QMessageBox(QMessageBox.Icon.Warning, "Forget this person", "", parent=parent)
    box.setText(forget_question(lead))
    box.setInformativeText(FORGET_DETAILS)
    purge = QCheckBox("Also erase them from the backups Smallyes keeps")
    box.setCheckBox(purge)
    forget = box.addButton("Forget for good", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    if box.clickedButton() is not forget:
        return None
    return ForgetChoice(purge_backups=purge.isChecked())


def forget_question(lead: LeadRow) -> str:
    who = f"{lead.name} <{lead.email}>" if lead.name else lead.email
    return f"Forget {who}? This cannot be undone."


FORGET_DETAILS = (
    "Their name, email, company, phone, notes, tags and import history are erased from the "
    "database file. Their yeses and asks stay as anonymous counts, so the funnel's past "
    "figures do not change. Backups made before now still hold them until they are rotated "
    "out, unless you tick the box below."
)


def ask_finish_forget(parent: QWidget | None, text: str, informative: str) -> bool:
    """After a forget that erased the person but could not clean up: True for Try again."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Forget this person", text, parent=parent)
    box.setInformativeText(informative)
    again = box.addButton("Try again", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(again)
    box.exec()
    return box.clickedButton() is again


def unfinished_forget_text(who: str, exc: ForgetUnfinishedError) -> tuple[str, str]:
    """The question after an unfinished forget, and its informative text."""
    text = f"{who} was erased from the book, but {exc.what}: {exc.fix}, then click Try again."
    if exc.reason == "backup":
        later = "Until then that backup still holds them."
    else:
        later = "If you choose Later, Smallyes finishes it when it next starts."
    return text, later


RESTORE, CHOOSE_FILE, QUIT = "restore", "file", "quit"


def ask_damaged_action(message: str, newest: BackupInfo | None) -> str:
    """The start-up question for a damaged database: RESTORE, CHOOSE_FILE or QUIT."""
    box = QMessageBox(QMessageBox.Icon.Critical, "The database is damaged", message)
    restore_button = None
    if newest is not None:
        box.setInformativeText(
            f"The newest good backup is from {local(newest.created_at):%Y-%m-%d %H:%M}. "
            "Restoring it keeps the damaged file beside it."
        )
        restore_button = box.addButton("Restore that backup", QMessageBox.ButtonRole.AcceptRole)
    file_button = box.addButton("Choose a backup file…", QMessageBox.ButtonRole.ActionRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    if restore_button is not None and clicked is restore_button:
        return RESTORE
    return CHOOSE_FILE if clicked is file_button else QUIT


# --- one window per database ------------------------------------------------------------


def server_name(db_path: Path) -> str:
    digest = hashlib.sha1(str(db_path.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"smallyes-{digest}"


def ask_first_instance_to_show(db_path: Path, timeout_ms: int = 500) -> bool:
    """Ask the window that holds the lock to come to the front; True when it answered."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(db_path))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(b"show\n")
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for a second start on the same database and asks to be shown."""

    sig_show_requested = Signal()

    def __init__(self, db_path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        name = server_name(db_path)
        # Only the lock holder gets here, so a socket left by a crash is stale: remove it.
        QLocalServer.removeServer(name)
        if not self._server.listen(name):
            log.warning("cannot listen for a second window: %s", self._server.errorString())
        self._server.newConnection.connect(self._on_server_new_connection)

    def _on_server_new_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.disconnected.connect(socket.deleteLater)
            self.sig_show_requested.emit()

    def close(self) -> None:
        self._server.close()


def bring_to_front(window: QWidget) -> None:
    if window.isMinimized():
        window.showNormal()
    window.show()
    window.raise_()
    window.activateWindow()


# --- start-up -----------------------------------------------------------------------------


def choose_damage_remedy(
    parent: QWidget | None, db_path: Path, damaged: DatabaseDamagedError
) -> Path | None:
    """Ask what to do about a damaged database: the backup file to restore, or None."""
    newest = newest_good_backup(db_path)
    choice = ask_damaged_action(damaged.user_message, newest)
    if choice == RESTORE and newest is not None:
        return newest.path
    if choice == CHOOSE_FILE:
        return choose_open_path(parent, "Restore from a backup file", DB_FILTER)
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


class HealthCheck:
    """``quick_check`` on a thread (SQLite releases the GIL while it reads the file)."""

    def __init__(self, db_path: Path) -> None:
        self._problems: list[str] = []
        self._thread = threading.Thread(
            target=self._run, args=(db_path,), name="smallyes-health", daemon=True
        )
        self._thread.start()

    def _run(self, db_path: Path) -> None:
        self._problems = quick_check(db_path)

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def problems(self) -> list[str]:
        self._thread.join()
        return self._problems


@dataclass(frozen=True, slots=True)
class Startup:
    """What the start-up checks decided: open the window or not, the lock held, and the
    full check still running."""

    go: bool
    lock: InstanceLock | None = None
    check: HealthCheck | None = None


def startup_checks(db_path: Path, *, now: dt.datetime, check: HealthCheck | None = None) -> Startup:
    """The one-window lock, the probe (with the restore offer), and the full check:
    ``check`` when the caller started it earlier, so it overlaps more of the start-up."""
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
        # The cheap probe now; the full check runs while the window's code is imported.
        check_database(db_path, full=False)
    except DatabaseDamagedError as exc:
        if not recover_damaged(db_path, exc, now=now):
            if lock is not None:
                lock.release()
            return Startup(go=False)
        # The restored file passed its own quick_check; an earlier check saw the old file.
        return Startup(go=True, lock=lock)
    return Startup(go=True, lock=lock, check=check or HealthCheck(db_path))


def settle_health_check(startup: Startup, db: Any, db_path: Path, *, now: dt.datetime) -> Any:
    """Wait for the start-up ``quick_check``. Healthy: return ``db``. Damaged: close it,
    offer a backup, and return the restored database, or None to quit."""
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


# --- the actions ------------------------------------------------------------------------


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
        self.runner = TaskRunner(self)
        self.runner.sig_progress.connect(self._on_runner_progress)
        self.runner.sig_finished.connect(self._on_runner_finished)
        self.runner.sig_failed.connect(self._on_runner_failed)
        self.runner.sig_crashed.connect(self._on_runner_crashed)
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
        events.connect_data_changed(self._on_events_changed)

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

    def _on_runner_failed(self, exc: SmallyesError) -> None:
        quiet, failed = self._quiet, self._failed
        self._end_job()
        if failed is not None and failed(exc):
            return
        if quiet:
            self.sig_status.emit(exc.user_message)
        else:
            errors.show_error(self._parent, exc)

    def _on_runner_crashed(self, exc: BaseException) -> None:
        self._end_job()
        known = known_storage_problem(exc, self.db_path)
        if known is not None:
            errors.show_error(self._parent, known)
        else:
            errors.show_message(
                self._parent, "Something went wrong", errors.crash_text(log_file()),
                critical=True,
            )  # fmt: skip

    def _on_runner_cancelled(self) -> None:
        self._end_job()
        self.sig_status.emit("Cancelled: nothing was changed.")

    # --- the actions --------------------------------------------------------------------

    def back_up_now(self) -> None:
        now = self._clock()
        suggested = Path.home() / f"smallyes-backup-{now:%Y-%m-%d}.db"
        target = choose_save_path(self._parent, "Back up the database to", suggested, DB_FILTER)
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
        source = choose_restore_source(self._parent, list_backups(self.db_path))
        if source is None:
            return
        if not confirm(
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
        swap_in(prepared)
        open_database(self.db_path)
        self._reopened = True
        # People forgotten since the backup was made are forgotten again, before any view
        # reads the restored book.
        again = reapply_suppression(prepared.kept, now=self._clock())
        self._events.database_swapped.emit()
        self._events.data_replaced.emit()
        kept = f"; the replaced database was kept as {prepared.kept.name}" if prepared.kept else ""
        self.sig_status.emit(f"Restored from {prepared.source.name}{kept}{_forgot_again(again)}")
        if again.unreadable:
            errors.show_message(
                self._parent, "Smallyes", unreadable_warning(again.unreadable, self.db_path) + "."
            )

    def export_leads(self) -> None:
        shown, total = self._counts()
        choice = ask_export_options(self._parent, shown, total)
        if choice is None:
            return
        suggested = Path.home() / f"leads-{self._clock():%Y-%m-%d}.csv"
        target = choose_save_path(self._parent, "Export leads to", suggested, CSV_FILTER)
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
        lead = self._current_lead()
        if lead is None:
            return
        suggested = Path.home() / f"{lead.email.replace('@', '_at_')}.json"
        target = choose_save_path(
            self._parent, f"Export everything about {lead.display_name}", suggested, JSON_FILTER
        )
        if target is None:
            return

        def job(_progress: Callable[[int, int], None], _cancel: Any) -> Path:
            return write_lead_data(lead.id, target)

        self._start(
            "Exporting…", job, lambda path: self.sig_status.emit(f"Saved their data to {path}")
        )

    def forget_person(self) -> None:
        lead = self._current_lead()
        if lead is None:
            return
        choice = confirm_forget(self._parent, lead)
        if choice is None:
            return
        lead_id, email, who = lead.id, lead.email, lead.display_name
        self._erase(f"Erasing {who}…", lambda: forget_lead(lead_id), email, who, choice)

    def _erase(
        self, label: str, erase: Callable[[], None], email: str, who: str, choice: ForgetChoice
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
        self._events.leads_changed.emit()
        self.sig_status.emit(f"{who} was forgotten")

    def _forget_unfinished(
        self, exc: SmallyesError, email: str, who: str, choice: ForgetChoice
    ) -> bool:
        """The person is erased but the file or a backup is not clean yet: say so, and
        offer to finish (the same address, known from the list of forgotten people)."""
        if not isinstance(exc, ForgetUnfinishedError):
            return False
        self._clear_lead()
        self._events.leads_changed.emit()
        text, informative = unfinished_forget_text(who, exc)
        if not ask_finish_forget(self._parent, text, informative):
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
    window: QMainWindow,
    lock: InstanceLock | None,
    *,
    daily_backup: bool = True,
    clock: Callable[[], dt.datetime] = utc_now,
) -> SafetyActions:
    """Wire the data-safety actions into the main window: File menu, the lead panel, the
    second-window signal, and the daily backup after changes (``daily_backup``: from the
    start; otherwise once the caller calls ``allow_daily_backups``)."""
    page = window.leads_page  # type: ignore[attr-defined]
    safety = SafetyActions(
        window,
        window.db_path,  # type: ignore[attr-defined]
        window.events,  # type: ignore[attr-defined]
        current_lead=lambda: page.detail.lead or page.selected_lead(),
        shown_query=lambda: page.model.query,
        counts=lambda: (count_leads(page.model.query), page.total),
        clear_lead=lambda: page.detail.show_lead(None),
        clock=clock,
        lock=lock,
    )
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    file_menu = menus["File"]
    separators = [a for a in file_menu.actions() if a.isSeparator()]
    before = separators[-1] if separators else None
    file_menu.insertSeparator(before) if before is not None else file_menu.addSeparator()
    for action in safety.file_actions:
        file_menu.insertAction(before, action)
    edit_menu = menus["Edit"]
    edit_menu.addSeparator()
    for action in safety.lead_actions:
        edit_menu.addAction(action)
    for action in safety.lead_actions:
        page.detail.add_lead_action(action)
    page.sig_selection_changed.connect(safety.update_actions)
    safety.sig_status.connect(window.show_status)  # type: ignore[attr-defined]
    server = InstanceServer(window.db_path, safety)  # type: ignore[attr-defined]
    server.sig_show_requested.connect(lambda: bring_to_front(window))
    if daily_backup:
        safety.allow_daily_backups()
    return safety
