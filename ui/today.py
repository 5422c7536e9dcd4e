"""The Today page: the leads with a suggested ask due today or overdue, best first.

The list is computed off the GUI thread (over 100,000 leads it takes seconds), then shown
in a table model. Each row offers: copy the message, open it in the mail client, mark it
as asked (records the ask; the row leaves), snooze to a date, or skip.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QDesktopServices,
    QFont,
    QGuiApplication,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCalendarWidget,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crm.asking.asks import record_ask
from crm.asking.due import AsksPage, TodayItem, skip, snooze, todays_asks_page
from crm.asking.suggest import Warmth
from crm.book.leads import count_leads
from crm.changes import LEAD_TABLES, Change
from crm.errors import SmallyesError
from crm.jobs import CancelToken, Progress
from crm.timefmt import local, to_utc, utc_now
from ui import errors
from ui.events import AppEvents
from ui.style import styled
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from ui.pages import Host

log = logging.getLogger(__name__)

TODAY = "today"


class TodayColumn(IntEnum):
    LEAD = 0
    ENGAGEMENT = 1
    ASK = 2
    DUE = 3
    SCORE = 4
    WHY = 5


COLUMNS = {
    TodayColumn.LEAD: "Lead",
    TodayColumn.ENGAGEMENT: "Engagement",
    TodayColumn.ASK: "Suggested ask",
    TodayColumn.DUE: "Due",
    TodayColumn.SCORE: "Score",
    TodayColumn.WHY: "Why",
}
ItemRole = Qt.ItemDataRole.UserRole + 1
RELOAD_DELAY_MS = 1500
# The list shows the best of the due asks; the count covers them all.
SHOWN_LIMIT = 500
_ROOT = QModelIndex()
EMPTY_TEXT = (
    "Every lead is either waiting for an answer, resting between asks, or has opted out.\n"
    "Log the yeses you get (Ctrl+L on a lead) and set the outcome of your asks: new "
    "suggestions appear here when they are due."
)
NO_LEADS_TEXT = (
    "There are no leads yet. Import a newsletter export (Ctrl+I) or load the demo data "
    "from the File menu:\nthe next small ask for each lead appears here when it is due."
)


def mailto_url(email: str, subject: str, body: str) -> str:
    """A ``mailto:`` link with the subject and body URL-encoded (spaces as %20)."""
    return (
        f"mailto:{quote(email, safe='@')}?subject={quote(subject, safe='')}"
        f"&body={quote(body, safe='')}"
    )


def due_text(due: dt.datetime, now: dt.datetime) -> str:
    """'today', 'since yesterday', 'since 3 Nov', 'since Jun 2026'.

    A calm date rather than a count of days "overdue": an ask that could have been made
    long ago is no more urgent today, and the list should not nag.
    """
    due_day, today = local(due).date(), local(now).date()
    days = (today - due_day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "since yesterday"
    if days < 180:
        return f"since {due_day.day} {due_day:%b}"
    return f"since {due_day:%b %Y}"


def ask_text(item: TodayItem) -> str:
    """'Downloaded — Pricing guide'; a customer's ask after a sale by what it is for:
    'How it went — Launch workbook', 'Referral', 'Next product — Pricing course'."""
    s = item.suggestion
    label = s.ask_label
    shown = s.offer if s.offer and s.offer.casefold() != label.casefold() else None
    return label + (f" — {shown}" if shown else "")


def engagement_text(item: TodayItem) -> str:
    """The engagement that ranked the row, marked so a glance tells warm from cold:
    '▲ Clicked 2 days ago', '▼ Cold: asked last' ("" when it has none to show)."""
    s = item.suggestion
    words = s.engagement
    if not words:
        return ""
    return f"{'▼' if s.warmth == Warmth.COLD else '▲'} {words}"


# --- dialogs, kept in functions so tests can replace them -------------------------------


def ask_snooze_date(parent: QWidget, default: dt.date) -> dt.date | None:
    """Pick the day the lead comes back to Today's asks."""
    dialog, calendar = snooze_dialog(parent, default)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    day = calendar.selectedDate().toPython()
    assert isinstance(day, dt.date)
    return day


def snooze_dialog(parent: QWidget | None, default: dt.date) -> tuple[QDialog, QCalendarWidget]:
    """The snooze window, not yet shown: a calendar from tomorrow on, Snooze and Cancel."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Snooze until")
    calendar = QCalendarWidget()
    calendar.setMinimumDate(QDate.currentDate().addDays(1))
    calendar.setSelectedDate(QDate(default.year, default.month, default.day))
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Snooze")
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(QLabel("Show this lead in Today's asks again on:"))
    layout.addWidget(calendar)
    layout.addWidget(buttons)
    return dialog, calendar


def open_url(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


# --- the model ----------------------------------------------------------------------------


class TodayModel(QAbstractTableModel):
    """Today's items, in rank order; rows are removed one at a time as they are handled."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        super().__init__()
        self._items: list[TodayItem] = []
        self._clock = clock

    def set_items(self, items: list[TodayItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def has_engagement(self) -> bool:
        """Whether any row was ranked by its newsletter engagement (else its column is
        empty, as in a book with no activity imported)."""
        return any(it.suggestion.warmth != Warmth.NONE for it in self._items)

    def item(self, row: int) -> TodayItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def row_of(self, lead_id: int) -> int | None:
        return next((i for i, it in enumerate(self._items) if it.lead_id == lead_id), None)

    def remove_lead(self, lead_id: int) -> bool:
        row = self.row_of(lead_id)
        if row is None:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._items[row]
        self.endRemoveRows()
        return True

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[TodayColumn(section)]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        item = self._items[index.row()]
        col = TodayColumn(index.column())
        s = item.suggestion
        if role == Qt.ItemDataRole.DisplayRole:
            if col is TodayColumn.LEAD:
                return item.name
            if col is TodayColumn.ENGAGEMENT:
                return engagement_text(item)
            if col is TodayColumn.ASK:
                return ask_text(item)
            if col is TodayColumn.DUE:
                return due_text(s.due, self._clock())
            if col is TodayColumn.SCORE:
                return f"{round(s.score * 100)}%"
            return s.summary or s.reason
        if role == Qt.ItemDataRole.ToolTipRole:
            if col is TodayColumn.LEAD:
                return item.email
            return s.reason if col in (TodayColumn.WHY, TodayColumn.ENGAGEMENT) else None
        if col is TodayColumn.ENGAGEMENT and s.warmth != Warmth.NONE:
            # a click (the strongest evidence) in bold, cold in the muted text colour
            if role == Qt.ItemDataRole.FontRole and s.warmth == Warmth.CLICKED:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.ForegroundRole and s.warmth == Warmth.COLD:
                return QGuiApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.TextAlignmentRole and col is TodayColumn.SCORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ItemRole:
            return item
        return None


# --- the page -----------------------------------------------------------------------------


class TodayPage(QWidget):
    sig_count_changed = Signal(int)
    sig_status_message = Signal(str)
    sig_loaded = Signal()

    # Long: it lays out the list, the selected ask's panel and its actions, in reading order.
    def __init__(
        self,
        events: AppEvents,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        open_lead: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self._events = events
        self._clock = clock
        self._open_lead = open_lead
        self._stale = True
        self._reload_queued = False
        self.count: int | None = None  # every lead with an ask due, listed or not
        self._shut_down = False
        self._debounce = QTimer(self, singleShot=True, interval=RELOAD_DELAY_MS)
        self._debounce.timeout.connect(self._on_debounce_timeout)
        self.runner = TaskRunner(self)
        self.runner.sig_finished.connect(self._on_runner_finished)
        self.runner.sig_failed.connect(self._on_runner_failed)
        self.runner.sig_cancelled.connect(self._on_runner_cancelled)
        self.runner.sig_progress.connect(self._on_runner_progress)

        self.title = styled(QLabel("Today's asks"), "detailTitle")
        self.subtitle = styled(QLabel(""), "detailSubtitle")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Recompute the suggestions (F5)")
        self.refresh_button.clicked.connect(self.reload)
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        head.addWidget(self.refresh_button)

        self.model = TodayModel(clock)
        self.table = QTableView()
        self.table.setAccessibleName("Today's asks")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        widths = {
            TodayColumn.LEAD: 260,
            TodayColumn.ENGAGEMENT: 190,
            TodayColumn.ASK: 230,
            TodayColumn.DUE: 130,
            TodayColumn.SCORE: 60,
        }
        for col, width in widths.items():
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self.table.setColumnHidden(TodayColumn.ENGAGEMENT, True)

        # the selected row: the reason, the message, the actions
        self.lead_label = styled(QLabel(), "sectionTitle")
        # the engagement that ranked the selected lead, as a chip beside its name
        self.engagement_label = styled(QLabel(), "filterChip")
        self.engagement_label.setAccessibleName("Engagement")
        self.engagement_label.hide()
        self.reason = QLabel(wordWrap=True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QPlainTextEdit(readOnly=True)
        self.message.setAccessibleName("Suggested message")
        self.message.setMinimumHeight(90)
        self.copy_button = QPushButton("Copy message")
        self.mail_button = QPushButton("Open in mail…")
        self.asked_button = QPushButton("Mark as asked")
        self.asked_button.setToolTip("Record that you made this ask today (Ctrl+Enter)")
        self.snooze_button = QPushButton("Snooze…")
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Not this one: the lead comes back after the cooldown")
        self.copy_button.clicked.connect(self.copy_message)
        self.mail_button.clicked.connect(self.open_in_mail)
        self.asked_button.clicked.connect(self.mark_asked)
        self.snooze_button.clicked.connect(self.snooze_selected)
        self.skip_button.clicked.connect(self.skip_selected)
        actions = QHBoxLayout()
        for button in (self.copy_button, self.mail_button):
            actions.addWidget(button)
        actions.addStretch(1)
        for button in (self.snooze_button, self.skip_button, self.asked_button):
            actions.addWidget(button)
        self.asked_button.setDefault(True)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 6, 0, 0)
        who = QHBoxLayout()
        who.addWidget(self.lead_label)
        who.addWidget(self.engagement_label, 0, Qt.AlignmentFlag.AlignBottom)
        who.addStretch(1)
        dl.addLayout(who)
        dl.addWidget(self.reason)
        dl.addWidget(self.message, 1)
        dl.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 240])

        # loading and empty states
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(360)
        loading = QWidget()
        ll = QVBoxLayout(loading)
        ll.addStretch(1)
        ll.addWidget(
            styled(QLabel("Working out today's asks…"), "emptyText"),
            0,
            Qt.AlignmentFlag.AlignHCenter,
        )
        ll.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignHCenter)
        ll.addStretch(2)
        empty = QWidget()
        el = QVBoxLayout(empty)
        el.addStretch(1)
        self.empty_title = styled(QLabel("Nothing to ask today"), "emptyTitle")
        self.empty_text = styled(QLabel(EMPTY_TEXT), "emptyText")
        self.empty_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        el.addWidget(self.empty_title, 0, Qt.AlignmentFlag.AlignHCenter)
        el.addWidget(self.empty_text, 0, Qt.AlignmentFlag.AlignHCenter)
        el.addStretch(2)

        self.stack = QStackedWidget()
        self.stack.addWidget(loading)
        self.stack.addWidget(empty)
        self.stack.addWidget(splitter)
        self._loading, self._empty, self._list = loading, empty, splitter

        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)

        refresh = QAction("Refresh", self, shortcut=QKeySequence(QKeySequence.StandardKey.Refresh))
        refresh.triggered.connect(self.reload)
        asked = QAction("Mark as asked", self, shortcut=QKeySequence("Ctrl+Return"))
        asked.triggered.connect(self.mark_asked)
        self.addAction(refresh)
        self.addAction(asked)

        events.changed.connect(self._on_events_changed)
        self._show_selected()

    # --- loading ----------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        return self.runner.busy

    def reload(self) -> None:
        """Recompute the list off the GUI thread (queued if a computation is running)."""
        if self._shut_down:
            return
        if self.runner.busy:
            self._reload_queued = True
            return
        self._stale = False
        if self.model.rowCount() == 0:
            self.stack.setCurrentWidget(self._loading)
        self.subtitle.setText("Working out today's asks…")
        self.refresh_button.setEnabled(False)
        self.progress.setRange(0, 0)
        now = self._clock()

        def job(progress: Progress, cancel: CancelToken) -> AsksPage:
            return todays_asks_page(now, SHOWN_LIMIT, progress=progress, cancel=cancel)

        self.runner.start(job)

    def shutdown(self) -> None:
        """Stop for good: cancel a running computation and wait for it."""
        self._shut_down = True
        self._debounce.stop()
        self.runner.shutdown()

    def load_count_once(self) -> None:
        """Work out the list if it never was (for the sidebar count at start-up)."""
        if self.count is None and not self.runner.busy:
            self.reload()

    def _on_runner_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_runner_finished(self, page: AsksPage) -> None:
        selected = self.selected_item()
        self.model.set_items(page.items)
        self.table.setColumnHidden(TodayColumn.ENGAGEMENT, not self.model.has_engagement())
        self.refresh_button.setEnabled(True)
        self._set_count(page.total_due)
        if selected is not None and (row := self.model.row_of(selected.lead_id)) is not None:
            self.table.selectRow(row)
        elif page.items:
            self.table.selectRow(0)
        self._show_selected()
        self.sig_loaded.emit()
        if self._reload_queued:
            self._reload_queued = False
            self.reload()

    def _on_runner_failed(self, failure: JobFailure) -> None:
        self.refresh_button.setEnabled(True)
        self.subtitle.setText(failure.message)
        self.sig_status_message.emit(failure.message)
        if self.model.rowCount() == 0:
            self.stack.setCurrentWidget(self._empty)

    def _on_runner_cancelled(self) -> None:
        self.refresh_button.setEnabled(True)

    def _set_count(self, count: int) -> None:
        self.count = count
        shown = self.model.rowCount()
        if count == 0:
            self.subtitle.setText("Nothing due today.")
            # An empty book has no lead to be waiting or resting: say how to start instead.
            self.empty_text.setText(EMPTY_TEXT if count_leads() else NO_LEADS_TEXT)
            self.stack.setCurrentWidget(self._empty)
        elif shown < count:
            self.subtitle.setText(
                f"Showing the best {shown:,} of {count:,} leads with an ask due today or overdue."
            )
            self.stack.setCurrentWidget(self._list)
        else:
            noun = "lead has" if count == 1 else "leads have"
            self.subtitle.setText(f"{count:,} {noun} an ask due today or overdue, best first.")
            self.stack.setCurrentWidget(self._list)
        self.sig_count_changed.emit(count)

    def _on_data_changed(self, *_args: object) -> None:
        # Several edits in a row cost one recomputation, shortly after the last.
        self._stale = True
        self._debounce.start()

    def _on_events_changed(self, change: Change, origin: object) -> None:
        # This page's own asks, snoozes and skips already left its list.
        if origin is self:
            return
        if change.touches(*LEAD_TABLES, "step", "offer", "setting") or change.touches_setting(
            "ladder", "pacing"
        ):
            self._on_data_changed()

    def _on_debounce_timeout(self) -> None:
        if self._stale:
            self.reload()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            # still stale when the timer fires: a direct reload() meanwhile clears it
            QTimer.singleShot(0, self._on_debounce_timeout)

    # --- the selected row -------------------------------------------------------------

    def selected_item(self) -> TodayItem | None:
        index = self.table.currentIndex()
        return self.model.item(index.row()) if index.isValid() else None

    def select_lead(self, lead_id: int) -> bool:
        row = self.model.row_of(lead_id)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def _on_table_current_row_changed(self, *_args: object) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        item = self.selected_item()
        for button in (
            self.copy_button,
            self.mail_button,
            self.asked_button,
            self.snooze_button,
            self.skip_button,
        ):
            button.setEnabled(item is not None)
        if item is None:
            self.lead_label.setText("")
            self.engagement_label.hide()
            self.reason.setText("Select a lead to see the suggested ask and why.")
            self.message.setPlainText("")
            return
        due = local(item.suggestion.due).strftime("%Y-%m-%d")
        self.lead_label.setText(f"{item.name} · {ask_text(item)} · due {due}")
        badge = engagement_text(item)
        self.engagement_label.setText(badge)
        self.engagement_label.setVisible(bool(badge))
        self.reason.setText(item.suggestion.reason)
        self.message.setPlainText(item.suggestion.message)

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        item = self.model.item(index.row())
        if item is not None and self._open_lead is not None:
            self._open_lead(item.lead_id)

    def _on_table_context_menu(self, pos: Any) -> None:
        if self.selected_item() is None:
            return
        menu = QMenu(self)
        menu.addAction("Copy message", self.copy_message)
        menu.addAction("Open in mail…", self.open_in_mail)
        menu.addSeparator()
        menu.addAction("Mark as asked", self.mark_asked)
        menu.addAction("Snooze…", self.snooze_selected)
        menu.addAction("Skip", self.skip_selected)
        item = self.selected_item()
        if self._open_lead is not None and item is not None:
            menu.addSeparator()
            open_lead, lead_id = self._open_lead, item.lead_id
            menu.addAction("Show lead", lambda: open_lead(lead_id))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # --- actions ----------------------------------------------------------------------

    def copy_message(self) -> None:
        item = self.selected_item()
        if item is None:
            return
        QGuiApplication.clipboard().setText(item.suggestion.message)
        self.sig_status_message.emit(f"Copied the message for {item.name}.")

    def open_in_mail(self) -> None:
        item = self.selected_item()
        if item is None:
            return
        s = item.suggestion
        if not open_url(mailto_url(item.email, s.subject, s.body)):
            self.sig_status_message.emit(
                "No mail program answered: copy the message and paste it instead."
            )

    def mark_asked(self) -> None:
        """Record the suggested ask as made now; the row leaves the list."""
        item = self.selected_item()
        if item is None:
            return
        now = self._clock()
        s = item.suggestion
        try:
            with self._events.publishing(self):
                record_ask(item.lead_id, s.step, at=now, now=now, offer=s.offer)
        except SmallyesError as exc:
            errors.show_error(self, exc)
            return
        self._leave(item, f"Recorded the ask to {item.name}: {ask_text(item)}.")
        self._shut_down = False

    def snooze_selected(self) -> None:
        item = self.selected_item()
        if item is None:
            return
        now = self._clock()
        default = local(now).date() + dt.timedelta(days=7)
        day = ask_snooze_date(self, default)
        if day is None:
            return
        until = to_utc(dt.datetime.combine(day, dt.time()))
        try:
            with self._events.publishing(self):
                snooze(item.lead_id, until, now=now)
        except SmallyesError as exc:
            errors.show_error(self, exc)
            return
        self._leave(item, f"Snoozed {item.name} until {day.isoformat()}.")

    def skip_selected(self) -> None:
        item = self.selected_item()
        if item is None:
            return
        try:
            with self._events.publishing(self):
                until = skip(item.lead_id, now=self._clock())
        except SmallyesError as exc:
            errors.show_error(self, exc)
            return
        self._leave(item, f"Skipped {item.name} until {local(until).date().isoformat()}.")

    def _leave(self, item: TodayItem, message: str) -> None:
        row = self.model.row_of(item.lead_id)
        if self.model.remove_lead(item.lead_id):
            self._set_count(max((self.count or 0) - 1, self.model.rowCount()))
        if row is not None and self.model.rowCount():
            self.table.selectRow(min(row, self.model.rowCount() - 1))
        self._show_selected()
        self.sig_status_message.emit(message)
        if self.model.rowCount() == 0 and self.count:
            # every listed lead was handled: bring in the next best
            self.reload()


def register_today_page(host: Host, initial_delay_ms: int = 1500) -> TodayPage:
    """Add the Today page (Ctrl+2) and keep its count in the sidebar.

    The page is built now (it is cheap) and works out the count in the background shortly
    after start-up, so the sidebar shows how many asks are due before the page is opened.
    """

    def open_lead(lead_id: int) -> None:
        from crm.book.leads import LeadQuery, get_lead

        try:
            lead = get_lead(lead_id)
        except SmallyesError as exc:
            errors.show_error(page, exc)
            return
        host.show_leads(LeadQuery(search=lead.email))

    page = TodayPage(host.events, clock=host.clock, open_lead=open_lead)
    page.sig_status_message.connect(host.show_status)
    host.add_page(TODAY, "Today", lambda: page, "Ctrl+2")

    def show_count(count: int) -> None:
        text = f"Today  ({count:,})" if count else "Today"
        host.set_page_label(TODAY, text, f"{count:,} asks due today (Ctrl+2)")

    page.sig_count_changed.connect(show_count)
    if (app := QCoreApplication.instance()) is not None:
        app.aboutToQuit.connect(page.shutdown)
    if initial_delay_ms >= 0:
        QTimer.singleShot(initial_delay_ms, page, page.load_count_once)
    return page
