"""The Today page: the due asks grouped by what they ask, the warmest leads of each first.

The list is computed off the GUI thread (over 100,000 leads it takes seconds), then shown
in a tree model (``ui.today_model``): one row per ask ("312 leads are ready for: Invite to
download the Focus workbook"), collapsible, with the best of its leads below. Groups come
in the order the domain gives them, the likeliest yeses first (``crm.asking.due``).

Each lead's row keeps the personal actions: copy the message, open it in the mail client,
mark it as asked (records the ask; the row leaves), edit the step's message with a
preview for that lead, snooze to a date, or skip. The owner's daily limit of personal asks
counts the asks recorded today; once it is reached the page says so and suggests nothing
more to ask personally (copy, mail and mark as asked wait until tomorrow). Each group's
row has "Ask them through my newsletter", which emits ``sig_group_newsletter_requested``
with the group's step, offer and every due lead's id, for the campaign dialog to take up.

The tree takes several lead rows at once (Shift or Ctrl click; Ctrl+A selects the leads of
the current group, pressed again every listed lead). With two or more selected, the bar of
``ui.today_bulk`` marks them as asked (each at its own group's ask), snoozes them or marks
them do not contact, and the per-row actions step aside; the page reloads when it is done.

With no offer set up, the page says so above the list and offers to add the first one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QCoreApplication,
    QDate,
    QItemSelection,
    QItemSelectionModel,
    QMetaMethod,
    QModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCalendarWidget,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from crm.asking.asks import record_ask
from crm.asking.due import AsksPage, TodayItem, daily_limit_text, skip, snooze, todays_asks_page
from crm.asking.rows import CUSTOMER_ASKS, Rule
from crm.book.leads import count_leads
from crm.changes import LEAD_TABLES, Change
from crm.errors import SmallyesError
from crm.jobs import CancelToken, Progress
from crm.timefmt import local, to_utc, utc_now
from ui import errors
from ui.events import AppEvents
from ui.style import styled
from ui.today_bulk import AskBatch, TodayBulkBar
from ui.today_dialogs import FirstOfferDialog, MessageDialog
from ui.today_model import (
    TodayColumn,
    TodayGroup,
    TodayModel,
    due_text,
    engagement_text,
    mailto_url,
)
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from ui.pages import Host

log = logging.getLogger(__name__)

__all__ = [
    "TODAY",
    "TodayColumn",
    "TodayPage",
    "due_text",
    "engagement_text",
    "mailto_url",
    "register_today_page",
]

TODAY = "today"
RELOAD_DELAY_MS = 1500
# Each group lists its best leads; its count covers them all.
SHOWN_PER_GROUP = 200
NEWSLETTER_BUTTON = "Ask them through my newsletter"
NEWSLETTER_UNAVAILABLE = (
    "The campaign dialog that asks a group through your newsletter is not available yet: "
    "ask these leads one by one, or export them from Leads."
)
NO_OFFER_TEXT = (
    "No free offer (a guide, a checklist) is set up yet, so your asks cannot name one or link "
    "to it. Add your first offer: its name, its link and its topic."
)
EMPTY_TEXT = (
    "Every lead is either waiting for an answer, resting between asks, or has opted out.\n"
    "Log the yeses you get (Ctrl+L on a lead) and set the outcome of your asks: new "
    "suggestions appear here when they are due."
)
NO_LEADS_TEXT = (
    "There are no leads yet. Import a newsletter export (Ctrl+I) or load the demo data "
    "from the File menu:\nthe next small ask for each lead appears here when it is due."
)
# asks whose message Smallyes writes (a customer's, the reminder to confirm), not the step's
# template
_FIXED_MESSAGE_RULES = frozenset({*CUSTOMER_ASKS, Rule.CONFIRM})


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


def add_first_offer(parent: QWidget, events: AppEvents, clock: Callable[[], dt.datetime]) -> bool:
    """The first offer's dialog; whether an offer was added."""
    return FirstOfferDialog(events, clock, parent).exec() == QDialog.DialogCode.Accepted


def edit_message(parent: QWidget, events: AppEvents, item: TodayItem) -> bool:
    """The step's message with a preview for ``item``'s lead; whether it was saved."""
    s = item.suggestion
    dialog = MessageDialog(events, s.step, s.ask_name, item.name, s.fields, parent)
    return dialog.exec() == QDialog.DialogCode.Accepted


def open_url(url: str) -> bool:
    return QDesktopServices.openUrl(QUrl(url))


def ask_text(item: TodayItem) -> str:
    """The ask a row is for: 'Invite to download the Pricing guide'."""
    return item.suggestion.ask_name


# --- the tree -----------------------------------------------------------------------------


class TodayTree(QTreeView):
    """Today's tree, whose Ctrl+A selects lead rows only: those of the current group, or
    every listed lead of the unfolded groups when the group's are all selected already."""

    def selectAll(self) -> None:
        model = self.model()
        if not isinstance(model, TodayModel):
            return
        current = model.group(self.currentIndex())
        selected = self.selectionModel()
        groups = model.groups()
        if current is not None:
            row = groups.index(current)
            parent = model.index(row, 0)
            whole = all(selected.isRowSelected(r, parent) for r in range(len(current.items)))
            if not whole and current.items and self.isExpanded(parent):
                groups = [current]
        chosen = QItemSelection()
        last = model.columnCount() - 1
        for group in groups:
            parent = model.group_index(group.key)
            if group.items and self.isExpanded(parent):
                end = len(group.items) - 1
                chosen.select(model.index(0, 0, parent), model.index(end, last, parent))
        selected.select(chosen, QItemSelectionModel.SelectionFlag.ClearAndSelect)


# --- the page -----------------------------------------------------------------------------


class TodayPage(QWidget):
    sig_count_changed = Signal(int)
    sig_status_message = Signal(str)
    sig_loaded = Signal()
    # "Ask them through my newsletter" on a group: its step key, its offer's name (None for
    # an ask about no offer) and the ids of every due lead in it, best first
    sig_group_newsletter_requested = Signal(str, object, list)

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
        self.asked_today = 0  # personal asks recorded today
        self.daily_limit = 0
        self.free_offers: int | None = None  # None: not worked out yet
        self._collapsed: set[str] = set()  # groups the owner folded, by key
        self._rebuilding = False
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

        # where the day's personal asks stand
        self.limit_label = QLabel(wordWrap=True)
        self.limit_label.setAccessibleName("Personal asks today")
        self.limit_label.hide()

        # no offer yet: say so, and help add the first
        self.offer_notice = styled(QFrame(), "notice")
        self.offer_text = QLabel(NO_OFFER_TEXT, wordWrap=True)
        self.add_offer_button = QPushButton("Add my first offer…")
        self.add_offer_button.clicked.connect(self.add_first_offer)
        nl = QHBoxLayout(self.offer_notice)
        nl.addWidget(self.offer_text, 1)
        nl.addWidget(self.add_offer_button)
        self.offer_notice.hide()

        self.model = TodayModel(clock)
        self.table = TodayTree()
        self.table.setAccessibleName("Today's asks")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setUniformRowHeights(True)
        self.table.setAllColumnsShowFocus(True)
        self.table.setExpandsOnDoubleClick(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_context_menu)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.collapsed.connect(self._on_table_collapsed)
        self.table.expanded.connect(self._on_table_expanded)
        header = self.table.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        widths = {
            TodayColumn.LEAD: 280,
            TodayColumn.ENGAGEMENT: 190,
            TodayColumn.DUE: 130,
            TodayColumn.SCORE: 60,
        }
        for col, width in widths.items():
            self.table.setColumnWidth(col, width)
        self.table.selectionModel().currentChanged.connect(self._on_table_current_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)
        self.bulk_bar = TodayBulkBar(events, clock, self)
        self.bulk_bar.sig_finished.connect(self._on_bulk_bar_finished)
        self.table.setColumnHidden(TodayColumn.ENGAGEMENT, True)

        # the selected row: the reason, the message, the actions
        self.lead_label = styled(QLabel(wordWrap=True), "sectionTitle")
        # the engagement that ranked the selected lead, as a chip beside its name
        self.engagement_label = styled(QLabel(), "filterChip")
        self.engagement_label.setAccessibleName("Engagement")
        self.engagement_label.hide()
        self.reason = QLabel(wordWrap=True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QPlainTextEdit(readOnly=True)
        self.message.setAccessibleName("Suggested message")
        self.message.setMinimumHeight(90)
        self.unfilled_label = styled(QLabel(wordWrap=True), "inlineError")
        self.unfilled_label.hide()
        self.copy_button = QPushButton("Copy message")
        self.mail_button = QPushButton("Open in mail…")
        self.edit_button = QPushButton("Edit message…")
        self.edit_button.setToolTip("Change this step's message, with a preview for this lead")
        self.asked_button = QPushButton("Mark as asked")
        self.snooze_button = QPushButton("Snooze…")
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("Not this one: the lead comes back after the cooldown")
        self.copy_button.clicked.connect(self.copy_message)
        self.mail_button.clicked.connect(self.open_in_mail)
        self.edit_button.clicked.connect(self.edit_message)
        self.asked_button.clicked.connect(self.mark_asked)
        self.snooze_button.clicked.connect(self.snooze_selected)
        self.skip_button.clicked.connect(self.skip_selected)
        actions = QHBoxLayout()
        for button in (self.copy_button, self.mail_button, self.edit_button):
            actions.addWidget(button)
        actions.addStretch(1)
        for button in (self.snooze_button, self.skip_button, self.asked_button):
            actions.addWidget(button)
        self.asked_button.setDefault(True)
        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 6, 0, 0)
        who = QHBoxLayout()
        who.addWidget(self.lead_label, 1)
        who.addWidget(self.engagement_label, 0, Qt.AlignmentFlag.AlignBottom)
        dl.addLayout(who)
        dl.addWidget(self.reason)
        dl.addWidget(self.message, 1)
        dl.addWidget(self.unfilled_label)
        dl.addLayout(actions)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 260])

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
        layout.addWidget(self.limit_label)
        layout.addWidget(self.offer_notice)
        layout.addWidget(self.bulk_bar)
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

    @property
    def personal_left(self) -> int:
        """How many more personal asks are suggested today."""
        return max(self.daily_limit - self.asked_today, 0)

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
        per_group = SHOWN_PER_GROUP

        def job(progress: Progress, cancel: CancelToken) -> AsksPage:
            return todays_asks_page(now, per_group=per_group, progress=progress, cancel=cancel)

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
        group = self.selected_group()
        self._set_groups(page)
        self.table.setColumnHidden(TodayColumn.ENGAGEMENT, not self.model.has_engagement())
        self.refresh_button.setEnabled(True)
        self.asked_today, self.daily_limit = page.asked_today, page.daily_limit
        self.free_offers = page.free_offers
        self.offer_notice.setVisible(page.free_offers == 0 and page.total_due > 0)
        self._set_count(page.total_due)
        self._restore_selection(selected, group)
        # a model reset drops the selection without a selectionChanged
        self._on_table_selection_changed()
        self.sig_loaded.emit()
        if self._reload_queued:
            self._reload_queued = False
            self.reload()

    def _set_groups(self, page: AsksPage) -> None:
        """Show the groups: each row spans the table, with its newsletter button, folded as
        the owner left it."""
        self._rebuilding = True
        try:
            self.model.set_groups(page.groups)
            root = QModelIndex()
            for row, group in enumerate(self.model.groups()):
                self.table.setFirstColumnSpanned(row, root, True)
                index = self.model.index(row, 0)
                self.table.setIndexWidget(index, self._group_bar(group))
                self.table.setExpanded(index, group.key not in self._collapsed)
        finally:
            self._rebuilding = False

    def _restore_selection(self, item: TodayItem | None, group: TodayGroup | None) -> None:
        """Select again what was selected (its group's row if the owner folded it), else the
        first lead of the first unfolded group."""
        if item is not None:
            index = self.model.lead_index(item.lead_id)
            shown = self.model.group(index)
            if shown is not None and shown.key not in self._collapsed:
                self._make_current(index)
                return
            if shown is not None:
                self.select_group(shown.key)
                return
        if group is not None and self.select_group(group.key):
            return
        for shown in self.model.groups():
            if shown.key not in self._collapsed and shown.items:
                self.select_lead(shown.items[0].lead_id)
                return
        if self.model.rowCount():
            self._make_current(self.model.index(0, 0))

    def _group_bar(self, group: TodayGroup) -> QWidget:
        """The newsletter button at the right end of a group's row (the rest of the row
        shows the model's header text and takes the clicks that select and fold it)."""
        bar = QWidget()
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.addStretch(1)
        button = QToolButton()
        button.setText(NEWSLETTER_BUTTON)
        button.setToolTip("Plan one ask to every lead of this group through your newsletter tool")
        button.setAccessibleName(f"{NEWSLETTER_BUTTON}: {group.group.label}")
        key = group.key
        button.clicked.connect(lambda: self.ask_group_by_newsletter(key))
        layout.addWidget(button)
        return bar

    def group_button(self, key: str) -> QToolButton | None:
        """The newsletter button of a group's row."""
        index = self.model.group_index(key)
        bar = self.table.indexWidget(index) if index.isValid() else None
        return bar.findChild(QToolButton) if bar is not None else None

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
        groups = self.model.rowCount()
        if count == 0:
            self.subtitle.setText("Nothing due today.")
            # An empty book has no lead to be waiting or resting: say how to start instead.
            self.empty_text.setText(EMPTY_TEXT if count_leads() else NO_LEADS_TEXT)
            self.stack.setCurrentWidget(self._empty)
        else:
            noun = "lead has" if count == 1 else "leads have"
            asks = f"{groups:,} ask{'s' if groups != 1 else ''}"
            self.subtitle.setText(
                f"{count:,} {noun} an ask due today or overdue, in {asks}: the likeliest "
                "yeses first, the warmest leads first in each."
            )
            self.stack.setCurrentWidget(self._list)
        self._show_limit()
        self.sig_count_changed.emit(count)

    def _show_limit(self) -> None:
        self.limit_label.setText(daily_limit_text(self.asked_today, self.daily_limit))
        self.limit_label.setVisible(bool(self.count))
        reached = self.personal_left == 0
        font = self.limit_label.font()
        font.setBold(reached)
        self.limit_label.setFont(font)

    def _on_data_changed(self, *_args: object) -> None:
        # Several edits in a row cost one recomputation, shortly after the last.
        self._stale = True
        self._debounce.start()

    def _on_events_changed(self, change: Change, origin: object) -> None:
        # This page's own asks, snoozes and skips already left its list.
        if origin is self:
            return
        if change.touches(
            *LEAD_TABLES, "step", "offer", "offer_link", "setting"
        ) or change.touches_setting("ladder", "pacing"):
            self._on_data_changed()

    def _on_debounce_timeout(self) -> None:
        if self._stale:
            self.reload()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            # still stale when the timer fires: a direct reload() meanwhile clears it
            QTimer.singleShot(0, self._on_debounce_timeout)

    # --- groups -----------------------------------------------------------------------

    def _on_table_collapsed(self, index: QModelIndex) -> None:
        group = self.model.group(index)
        if group is not None and not self._rebuilding:
            self._collapsed.add(group.key)

    def _on_table_expanded(self, index: QModelIndex) -> None:
        group = self.model.group(index)
        if group is not None and not self._rebuilding:
            self._collapsed.discard(group.key)

    def ask_group_by_newsletter(self, key: str) -> None:
        """Hand a group to the campaign dialog: its step, offer and every due lead."""
        index = self.model.group_index(key)
        group = self.model.group(index)
        if group is None:
            return
        signal = QMetaMethod.fromSignal(self.sig_group_newsletter_requested)
        if not self.isSignalConnected(signal):
            self.sig_status_message.emit(NEWSLETTER_UNAVAILABLE)
        self.sig_group_newsletter_requested.emit(
            group.group.step, group.group.offer, list(group.lead_ids)
        )

    # --- the selected row -------------------------------------------------------------

    def selected_item(self) -> TodayItem | None:
        return self.model.item(self.table.currentIndex())

    def selected_group(self) -> TodayGroup | None:
        return self.model.group(self.table.currentIndex())

    def _make_current(self, index: QModelIndex) -> None:
        """Select ``index`` alone and make it current. ``setCurrentIndex`` would read the
        keys held at the time (Ctrl or Shift add to the selection), and a row chosen by
        the page, not by a click, must not grow a selection."""
        flags = QItemSelectionModel.SelectionFlag
        self.table.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)

    def select_lead(self, lead_id: int) -> bool:
        index = self.model.lead_index(lead_id)
        if not index.isValid():
            return False
        self._make_current(index)
        return True

    def select_group(self, key: str) -> bool:
        index = self.model.group_index(key)
        if not index.isValid():
            return False
        self._make_current(index)
        return True

    def selected_batches(self) -> list[AskBatch]:
        """The selected lead rows, group by group in the order shown (group rows aside)."""
        chosen = self.table.selectionModel()
        batches = []
        for row, group in enumerate(self.model.groups()):
            parent = self.model.index(row, 0)
            ids = tuple(
                item.lead_id
                for r, item in enumerate(group.items)
                if chosen.isRowSelected(r, parent)
            )
            if ids:
                batches.append(AskBatch(group.group.step, group.group.offer, ids))
        return batches

    def several_selected(self) -> bool:
        return len(self.bulk_bar.lead_ids()) >= 2

    def _on_table_current_changed(self, *_args: object) -> None:
        self._show_selected()

    def _on_table_selection_changed(self, *_args: object) -> None:
        self.bulk_bar.set_selection(self.selected_batches())
        self._show_selected()

    def _on_bulk_bar_finished(self, result: object) -> None:
        message = getattr(result, "message", "")
        if message:
            self.sig_status_message.emit(message)
        # the leads handled leave at once (the change events would bring it a little later)
        self.reload()

    def _show_selected(self) -> None:
        item = self.selected_item()
        # several rows selected: the bar above the list acts for them, not these buttons
        single = item is not None and not self.several_selected()
        personal = single and self.personal_left > 0
        for button in (self.copy_button, self.mail_button, self.asked_button):
            button.setEnabled(personal)
        for button in (self.snooze_button, self.skip_button):
            button.setEnabled(single)
        editable = item is not None and item.suggestion.rule not in _FIXED_MESSAGE_RULES
        self.edit_button.setEnabled(editable)
        limit = "" if self.personal_left else daily_limit_text(self.asked_today, self.daily_limit)
        self.asked_button.setToolTip(limit or "Record that you made this ask today (Ctrl+Enter)")
        self.copy_button.setToolTip(limit)
        self.mail_button.setToolTip(limit)
        if item is None:
            group = self.selected_group()
            self.engagement_label.hide()
            self.message.setPlainText("")
            self.unfilled_label.hide()
            if group is not None:
                self.lead_label.setText(group.header())
                self.reason.setText(
                    "Select a lead below to see its message, or ask them all at once through "
                    f"your newsletter ({NEWSLETTER_BUTTON.lower()}, on the group's row)."
                )
            else:
                self.lead_label.setText("")
                self.reason.setText("Select a lead to see the suggested ask and why.")
            return
        s = item.suggestion
        due = local(s.due).strftime("%Y-%m-%d")
        self.lead_label.setText(f"{item.name} · {s.ask_name} · due {due}")
        badge = engagement_text(item)
        self.engagement_label.setText(badge)
        self.engagement_label.setVisible(bool(badge))
        self.reason.setText(s.reason)
        self.message.setPlainText(s.message)
        left = ", ".join("{" + name + "}" for name in s.unfilled)
        self.unfilled_label.setText(
            f"Shown as written, with no value for this lead: {left}. Fill it in before you send."
        )
        self.unfilled_label.setVisible(bool(s.unfilled))

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        item = self.model.item(index)
        if item is None:
            group_row = self.model.index(index.row(), 0, index.parent())
            self.table.setExpanded(group_row, not self.table.isExpanded(group_row))
            return
        if self._open_lead is not None:
            self._open_lead(item.lead_id)

    def _on_table_context_menu(self, pos: Any) -> None:
        item = self.selected_item()
        if item is None:
            return
        personal = self.personal_left > 0
        menu = QMenu(self)
        if self.several_selected():
            bar = self.bulk_bar
            menu.addAction(bar.count_label.text()).setEnabled(False)
            menu.addAction("Mark as asked", bar.mark_asked)
            menu.addAction("Snooze…", bar.snooze)
            menu.addAction("Do not contact", bar.do_not_contact)
            menu.exec(self.table.viewport().mapToGlobal(pos))
            return
        for text, slot in (
            ("Copy message", self.copy_message),
            ("Open in mail…", self.open_in_mail),
        ):
            menu.addAction(text, slot).setEnabled(personal)
        menu.addSeparator()
        menu.addAction("Mark as asked", self.mark_asked).setEnabled(personal)
        menu.addAction("Snooze…", self.snooze_selected)
        menu.addAction("Skip", self.skip_selected)
        if self._open_lead is not None:
            menu.addSeparator()
            open_lead, lead_id = self._open_lead, item.lead_id
            menu.addAction("Show lead", lambda: open_lead(lead_id))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # --- actions ----------------------------------------------------------------------

    def _personal_item(self) -> TodayItem | None:
        """The selected lead, if the day's personal asks leave room to ask it."""
        item = self.selected_item()
        if item is None:
            return None
        if self.personal_left == 0:
            self.sig_status_message.emit(daily_limit_text(self.asked_today, self.daily_limit))
            return None
        return item

    def copy_message(self) -> None:
        item = self._personal_item()
        if item is None:
            return
        QGuiApplication.clipboard().setText(item.suggestion.message)
        self.sig_status_message.emit(f"Copied the message for {item.name}.")

    def open_in_mail(self) -> None:
        item = self._personal_item()
        if item is None:
            return
        s = item.suggestion
        if not open_url(mailto_url(item.email, s.subject, s.body)):
            self.sig_status_message.emit(
                "No mail program answered: copy the message and paste it instead."
            )

    def mark_asked(self) -> None:
        """Record the suggested ask as made now; the row leaves the list. With several rows
        selected, the bar records each one's ask."""
        if self.several_selected():
            self.bulk_bar.mark_asked()
            return
        item = self._personal_item()
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
        self.asked_today += 1
        self._leave(item, f"Recorded the ask to {item.name}: {s.ask_name}.")

    def edit_message(self) -> None:
        item = self.selected_item()
        if item is None or item.suggestion.rule in _FIXED_MESSAGE_RULES:
            return
        if edit_message(self, self._events, item):
            self.sig_status_message.emit(f"Saved the message for: {item.suggestion.ask_name}.")

    def add_first_offer(self) -> None:
        if add_first_offer(self, self._events, self._clock):
            self.sig_status_message.emit("Added your first offer: the asks now name it.")
            self.reload()

    def snooze_selected(self) -> None:
        if self.several_selected():
            self.bulk_bar.snooze()
            return
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
        if item is None or self.several_selected():
            return
        try:
            with self._events.publishing(self):
                until = skip(item.lead_id, now=self._clock())
        except SmallyesError as exc:
            errors.show_error(self, exc)
            return
        self._leave(item, f"Skipped {item.name} until {local(until).date().isoformat()}.")

    def _leave(self, item: TodayItem, message: str) -> None:
        """The handled lead leaves its row: the next lead of its group is selected, or the
        group's row when none is listed."""
        index = self.model.lead_index(item.lead_id)
        row, group_row = index.row(), index.parent().row()
        group = self.model.remove_lead(item.lead_id)
        if group is not None:
            self._set_count(max((self.count or 0) - 1, 0))
        self._select_after(group, row, group_row)
        self._on_table_selection_changed()
        self.sig_status_message.emit(message)
        if group is not None and group.count and not group.items:
            # every listed lead of the group was handled: bring in the next best
            self.reload()

    def _select_after(self, group: TodayGroup | None, row: int, group_row: int) -> None:
        if group is not None and group.items:
            parent = self.model.group_index(group.key)
            self._make_current(self.model.index(min(row, len(group.items) - 1), 0, parent))
        elif group is not None and group.count:
            self.select_group(group.key)
        elif self.model.rowCount():
            nxt = self.model.index(min(max(group_row, 0), self.model.rowCount() - 1), 0)
            shown = self.model.groups()[nxt.row()]
            if shown.items:
                self.select_lead(shown.items[0].lead_id)
            else:
                self._make_current(nxt)


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
