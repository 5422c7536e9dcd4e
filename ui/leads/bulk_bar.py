"""The bar above the lead table that changes many leads at once.

It shows when several rows are selected (Shift or Ctrl click, Ctrl+A), says how many, and
offers every lead the filter matches ("Select all 3,421 matching") without loading them:
the change then runs on the filter's query, in SQL. Its actions (add or remove a tag,
set the status, do not contact, snooze, delete) run ``crm.book.bulk`` on the window's
``TaskRunner`` thread with a progress bar and a Cancel button; a change to many leads (and
every delete) asks first. The result is one line with an Undo button. Dialogs open
through module functions tests replace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.asking.ladder import get_ladder
from crm.book.leads import STATUS_LABELS, LeadQuery, LeadStatus, all_tags
from crm.book.offers import list_offers
from crm.changes import Change
from crm.errors import NotFoundError
from crm.jobs import CancelToken, Progress
from crm.timefmt import local, to_utc
from ui import errors
from ui.events import AppEvents
from ui.style import styled
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from crm.asking.campaigns import MarkAsked
    from crm.book.bulk import BulkReport, Selection

# crm.book.bulk and crm.asking.campaigns (with the guardrails they load) are imported by the
# actions that use them: the bar is built with the lead list, before its first paint.

# A change to this many leads or more asks first (a delete always does).
CONFIRM_AT = 100
BulkJob = Callable[["Selection", Progress, CancelToken], "BulkReport | MarkAsked"]


# --- dialogs, kept in functions so tests can replace them ---------------------------------


def ask_tag(parent: QWidget, title: str, tags: list[str]) -> str | None:
    """A tag to add or remove: one of the book's, or a new one typed."""
    text, ok = QInputDialog.getItem(parent, title, "Tag:", tags, 0, True)
    return text.strip() if ok and text.strip() else None


def ask_until(parent: QWidget, today: dt.date) -> dt.date | None:
    """The day the snoozed leads come back to Today."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Snooze leads")
    week, tomorrow = today + dt.timedelta(days=7), today + dt.timedelta(days=1)
    edit = QDateEdit(QDate(week.year, week.month, week.day))
    edit.setCalendarPopup(True)
    edit.setMinimumDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
    edit.setAccessibleName("Snooze until")
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    form.addRow("Back in Today on:", edit)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    picked = edit.date()
    return dt.date(picked.year(), picked.month(), picked.day())


def confirm_bulk(parent: QWidget, title: str, text: str, action: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel)
    box.setParent(parent, box.windowFlags())
    box.setInformativeText("You can undo it from the result line or the Changes page.")
    go = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
    return box.clickedButton() is go


# --- the bar ------------------------------------------------------------------------------


def ask_step_and_offer(parent: QWidget) -> tuple[str, str | None] | None:
    """The step (and offer) of the ask to record, chosen in a small dialog; None: cancelled."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Mark as asked")
    steps = QComboBox()
    for step in get_ladder():
        steps.addItem(step.label, step.key)
    offers = QComboBox()
    offers.addItem("No offer in particular", None)
    for offer in list_offers():
        offers.addItem(offer.name, offer.name)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    form = QFormLayout(dialog)
    form.addRow(QLabel("Record that you asked the selected leads for:"))
    form.addRow("Step:", steps)
    form.addRow("Offer:", offers)
    form.addRow(buttons)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return str(steps.currentData()), offers.currentData()


def marked_words(result: MarkAsked) -> str:
    """What marking many leads asked did, with who was held back and why."""
    from crm.asking.eligibility import REASON_WORDS

    if not result.changed:
        text = "Nothing recorded: none of these leads may be asked for that now."
    else:
        text = f"Recorded the ask to {_leads(result.changed)}."
    held = [(n, r) for r, n in result.held_back.items() if n]
    if held:
        text += " Held back: " + "; ".join(f"{n:,} {REASON_WORDS.get(r, r)}" for n, r in held) + "."
    return text


def _leads(n: int) -> str:
    return f"{n:,} lead{'s' if n != 1 else ''}"


class ResultLine(QWidget):
    """What the last change did, in one line, with its Undo and a button that hides it."""

    sig_closed = Signal()  # the owner hid it with its button

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Bulk change result")
        self.undo_button = QPushButton("Undo")
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide this line")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.undo_button)
        row.addWidget(self.close_button)
        self.close_button.clicked.connect(self._on_close_button_clicked)
        self.hide()

    def show_result(self, text: str, undo: bool) -> None:
        """Show ``text``, with the Undo button when the change can be undone."""
        self.label.setText(text)
        self.undo_button.setVisible(undo)
        self.undo_button.setEnabled(undo)
        self.show()

    def _on_close_button_clicked(self) -> None:
        self.hide()
        self.sig_closed.emit()


class BulkBar(QWidget):
    """Which leads the bulk actions are for, the actions, their progress and result."""

    sig_select_all_loaded = Signal()  # the page selects every loaded row, to show it
    sig_finished = Signal(object)  # a BulkReport or a ChangeUndoReport

    def __init__(
        self,
        events: AppEvents,
        clock: Callable[[], dt.datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._ids: tuple[int, ...] = ()
        self._loaded = 0
        self._matching = 0
        self._query = LeadQuery()
        self._all_matching = False
        self._last_batch: int | None = None
        self._last_is_campaign = False  # the last change was asks (undone as a campaign)
        self._runner = TaskRunner(self, writes=True, events=events)
        self._runner.sig_progress.connect(self._on_runner_progress)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(self._on_runner_failed)
        self._runner.sig_cancelled.connect(self._on_runner_cancelled)
        events.changed.connect(self._on_events_changed)

        self.count_label = styled(QLabel(), "sectionTitle")
        self.count_label.setAccessibleName("Selected leads")
        self.all_button = QPushButton()
        self.all_button.setFlat(True)
        self.all_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.all_button.setStyleSheet(
            "QPushButton { color: palette(link); text-decoration: underline; border: none; }"
        )
        self.all_button.clicked.connect(self._on_all_button_clicked)
        self.tag_button = QPushButton("Add tag…")
        self.tag_button.clicked.connect(self.add_tag)
        self.untag_button = QPushButton("Remove tag…")
        self.untag_button.clicked.connect(self.remove_tag)
        self.status_button = QToolButton()
        self.status_button.setText("Set status")
        self.status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        status_menu = QMenu(self.status_button)
        self.status_actions: dict[LeadStatus, QAction] = {}
        for status in LeadStatus:
            if status is LeadStatus.ERASED:
                continue
            action = status_menu.addAction(STATUS_LABELS[status])
            action.triggered.connect(lambda _=False, s=status: self.set_status(s))
            self.status_actions[status] = action
        self.status_button.setMenu(status_menu)
        self.dnc_button = QToolButton()
        self.dnc_button.setText("Do not contact")
        self.dnc_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        dnc_menu = QMenu(self.dnc_button)
        self.dnc_on_action = dnc_menu.addAction("Mark do not contact")
        self.dnc_on_action.triggered.connect(lambda: self.do_not_contact(True))
        self.dnc_off_action = dnc_menu.addAction("Clear do not contact")
        self.dnc_off_action.triggered.connect(lambda: self.do_not_contact(False))
        self.dnc_button.setMenu(dnc_menu)
        self.snooze_button = QPushButton("Snooze…")
        self.snooze_button.setToolTip("Keep them off Today's asks until a date")
        self.snooze_button.clicked.connect(self.snooze)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete)
        self.asked_button = QPushButton("Mark as asked…")
        self.asked_button.setToolTip(
            "Record that you asked them (in person, or through a tool outside Smallyes); "
            "leads who may not be asked now are held back"
        )
        self.asked_button.clicked.connect(self.mark_asked)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._runner.cancel)
        self.cancel_button.hide()

        self.actions_row = QWidget()
        row = QHBoxLayout(self.actions_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.count_label)
        row.addWidget(self.all_button)
        row.addStretch(1)
        self._action_widgets: list[QWidget] = [
            self.tag_button,
            self.untag_button,
            self.status_button,
            self.dnc_button,
            self.snooze_button,
            self.asked_button,
            self.delete_button,
        ]
        for widget in self._action_widgets:
            row.addWidget(widget)
        row.addWidget(self.progress)
        row.addWidget(self.cancel_button)

        self.result_row = ResultLine()
        self.result_label = self.result_row.label
        self.undo_button = self.result_row.undo_button
        self.undo_button.clicked.connect(self.undo_last)
        self.result_row.sig_closed.connect(self._update)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(self.actions_row)
        layout.addWidget(self.result_row)
        self._update()

    # --- what the actions are for ---------------------------------------------------

    @property
    def all_matching(self) -> bool:
        return self._all_matching

    @property
    def runner(self) -> TaskRunner:
        return self._runner

    def target_count(self) -> int:
        return self._matching if self._all_matching else len(self._ids)

    def update_selection(
        self, ids: tuple[int, ...], loaded: int, matching: int, query: LeadQuery
    ) -> None:
        """The table's selected leads, its loaded rows and how many the filter matches."""
        if self._all_matching and (len(ids) < len(self._ids) or query != self._query):
            self._all_matching = False  # the owner picked rows again, or another filter
        self._ids, self._loaded, self._matching, self._query = ids, loaded, matching, query
        self._update()

    def select_all_matching(self) -> None:
        self._all_matching = True
        self.sig_select_all_loaded.emit()
        self._update()

    def selection(self) -> Selection | None:
        """The crm selection the actions run on, or None when it names fewer than two."""
        from crm.book.bulk import Selection, query_words

        if self._all_matching:
            return Selection(query=self._query, words=query_words(self._query))
        if len(self._ids) >= 2:
            return Selection(lead_ids=self._ids, words=f"{len(self._ids):,} selected leads")
        return None

    def _update(self) -> None:
        busy = self._runner.busy
        n = self.target_count()
        targets = self._all_matching or len(self._ids) >= 2
        if self._all_matching:
            self.count_label.setText(f"All {_leads(n)} matching the filter")
        else:
            self.count_label.setText(f"{_leads(n)} selected")
        more = self._matching > len(self._ids) and not self._all_matching
        self.all_button.setText(f"Select all {self._matching:,} matching")
        self.all_button.setVisible(targets and more)
        for widget in self._action_widgets:
            widget.setEnabled(targets and not busy)
        self.actions_row.setVisible(targets or busy)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.setVisible(targets or busy or self.result_row.isVisibleTo(self))

    # --- the actions ----------------------------------------------------------------

    def add_tag(self) -> None:
        from crm.book.bulk import bulk_tag

        tag = ask_tag(self, "Add a tag", all_tags())
        if tag:
            self._start(f"Add the tag “{tag}”", "Add tag", lambda s, p, c: bulk_tag(
                s, tag, now=self._clock(), progress=p, cancel=c
            ))  # fmt: skip

    def remove_tag(self) -> None:
        from crm.book.bulk import bulk_untag

        tag = ask_tag(self, "Remove a tag", all_tags())
        if tag:
            self._start(f"Remove the tag “{tag}” from", "Remove tag", lambda s, p, c: bulk_untag(
                s, tag, now=self._clock(), progress=p, cancel=c
            ))  # fmt: skip

    def set_status(self, status: LeadStatus) -> None:
        from crm.book.bulk import bulk_set_status

        label = STATUS_LABELS[status]
        self._start(f"Set to {label}", "Set status", lambda s, p, c: bulk_set_status(
            s, status, now=self._clock(), progress=p, cancel=c
        ))  # fmt: skip

    def do_not_contact(self, flag: bool) -> None:
        from crm.book.bulk import bulk_do_not_contact

        words = "Mark do not contact:" if flag else "Clear do not contact on"
        self._start(words, "Do not contact", lambda s, p, c: bulk_do_not_contact(
            s, flag, now=self._clock(), progress=p, cancel=c
        ))  # fmt: skip

    def snooze(self) -> None:
        from crm.book.bulk import bulk_snooze

        today = local(self._clock()).date()
        day = ask_until(self, today)
        if day is None:
            return
        # The start of that day where the owner is, stored in UTC like every time.
        until = to_utc(dt.datetime.combine(day, dt.time()))
        self._start(f"Snooze until {day.isoformat()}:", "Snooze", lambda s, p, c: bulk_snooze(
            s, until, now=self._clock(), progress=p, cancel=c
        ))  # fmt: skip

    def mark_asked(self) -> None:
        """Record one ask for a step (and offer) to every selected lead the guardrails let
        through: a campaign without a file, undone with the campaign's undo."""
        from crm.asking.campaigns import mark_asked

        chosen = ask_step_and_offer(self)
        if chosen is None:
            return
        step, offer = chosen
        clock = self._clock

        def job(selection: Selection, _p: Progress, _c: CancelToken) -> MarkAsked:
            who = selection.query if selection.query is not None else selection.lead_ids
            return mark_asked(who if who is not None else LeadQuery(), step, offer, clock())

        self._start("Mark as asked:", "Mark as asked", job)

    def delete(self) -> None:
        from crm.book.bulk import bulk_delete

        self._start("Delete", "Delete", lambda s, p, c: bulk_delete(
            s, now=self._clock(), progress=p, cancel=c
        ), always_ask=True)  # fmt: skip

    def _start(self, words: str, action: str, job: BulkJob, *, always_ask: bool = False) -> None:
        selection = self.selection()
        if selection is None or self._runner.busy:
            return
        n = self.target_count()
        if (always_ask or n >= CONFIRM_AT) and not confirm_bulk(
            self, action, f"{words} {_leads(n)}?", action
        ):
            return
        self.result_row.hide()
        self.progress.setRange(0, 0)
        self._runner.start(lambda progress, cancel: job(selection, progress, cancel))
        self._update()

    def undo_last(self) -> None:
        from crm.asking.campaigns import undo_campaign
        from crm.book.bulk import undo_change

        batch = self._last_batch
        if batch is None or self._runner.busy:
            return
        clock = self._clock
        self.undo_button.setEnabled(False)
        if self._last_is_campaign:
            self._runner.start(lambda _p, _c: undo_campaign(batch, now=clock()))
        else:
            self._runner.start(lambda _p, _c: undo_change(batch, now=clock()))
        self._update()

    # --- outcomes -------------------------------------------------------------------

    def _on_runner_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _on_runner_finished(self, result: object) -> None:
        from crm.asking.campaigns import MarkAsked, UndoneCampaign
        from crm.book.bulk import BulkReport, ChangeUndoReport

        if isinstance(result, BulkReport):
            self._last_batch, self._last_is_campaign = result.batch, False
            self._all_matching = False  # the leads it named may match no longer
            self.result_row.show_result(result.message, result.batch is not None)
        elif isinstance(result, MarkAsked):
            self._last_batch, self._last_is_campaign = result.batch, True
            self._all_matching = False
            self.result_row.show_result(marked_words(result), result.batch is not None)
        elif isinstance(result, ChangeUndoReport):
            self._last_batch = None
            self.result_row.show_result(result.message, False)
        elif isinstance(result, UndoneCampaign):
            self._last_batch = None
            self.result_row.show_result(result.words + ".", False)
        self._update()
        self.sig_finished.emit(result)

    def _on_runner_failed(self, failure: JobFailure) -> None:
        self._update()
        errors.show_failure(self, failure)

    def _on_runner_cancelled(self) -> None:
        self.result_row.show_result("Cancelled: nothing was changed.", False)
        self._update()

    def _on_all_button_clicked(self) -> None:
        self.select_all_matching()

    def _on_events_changed(self, change: Change, origin: object) -> None:
        # The change shown may have been undone elsewhere (the Changes page).
        if origin is self or self._last_batch is None or not change.touches("bulk_change"):
            return
        from crm.book.bulk import get_change

        try:
            undone = get_change(self._last_batch).undone_at is not None
        except NotFoundError:  # another book was restored in its place
            undone = True
        if undone:
            self._last_batch = None
            self.undo_button.hide()
