"""The bar above Today's tree that handles several selected leads at once.

It shows when two or more lead rows are selected and offers what makes sense for leads
with an ask due: mark them as asked (each at its own group's step and offer, one
``crm.asking.campaigns.mark_asked`` batch per group, under the domain's guardrails), snooze
them until a date, or mark them do not contact (``crm.book.bulk``). Each runs on its own
``TaskRunner`` thread, which publishes what it changed, so Today and every other page
follow; the result is one line with an Undo button. Dialogs open through
``ui.leads.bulk_bar``'s module functions, which tests replace.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm.asking.campaigns import get_campaign, mark_asked, undo_campaign
from crm.asking.eligibility import REASON_WORDS
from crm.book.bulk import (
    BulkReport,
    ChangeUndoReport,
    Selection,
    bulk_do_not_contact,
    bulk_snooze,
    get_change,
    undo_change,
)
from crm.changes import Change
from crm.errors import NotFoundError
from crm.jobs import CancelToken, Progress
from crm.timefmt import local, to_utc
from ui import errors
from ui.events import AppEvents
from ui.leads import bulk_bar
from ui.leads.bulk_bar import ResultLine
from ui.style import styled
from ui.workers import JobFailure, TaskRunner


def _leads(n: int) -> str:
    return f"{n:,} lead{'s' if n != 1 else ''}"


@dataclass(frozen=True, slots=True)
class AskBatch:
    """The selected leads of one Today group: the ask they are due for."""

    step: str
    offer: str | None
    lead_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class MarkedAsked:
    """What marking a selection as asked did: one campaign (without a file) per group."""

    campaigns: tuple[int, ...]
    asked: int
    held_back: dict[str, int]

    @property
    def message(self) -> str:
        if not self.asked:
            text = "Nothing recorded: none of the selected leads may be asked for that now."
        else:
            text = f"Recorded the ask to {_leads(self.asked)}."
        held = [(n, reason) for reason, n in self.held_back.items() if n]
        if held:
            words = "; ".join(f"{n:,} {REASON_WORDS.get(r, r)}" for n, r in held)
            text += f" Held back: {words}."
        return text


@dataclass(frozen=True, slots=True)
class UnmarkedAsked:
    """What undoing a selection's asks did."""

    removed: int
    kept: int

    @property
    def message(self) -> str:
        text = f"Undone: {self.removed:,} pending ask{'s' if self.removed != 1 else ''} removed."
        if self.kept:
            text += f" {self.kept:,} answered since stay on the leads' timelines."
        return text


def mark_selection_asked(
    batches: Sequence[AskBatch],
    *,
    now: dt.datetime,
    progress: Progress,
    cancel: CancelToken,
) -> MarkedAsked:
    """Record each group's ask for its selected leads, group by group; a cancel or a
    failure part way undoes the groups already recorded, so the selection is asked whole
    or not at all."""
    done: list[int] = []
    asked = 0
    held: Counter[str] = Counter()
    try:
        for i, batch in enumerate(batches):
            cancel.raise_if_cancelled()
            result = mark_asked(batch.lead_ids, batch.step, batch.offer, now)
            if result.batch is not None:
                done.append(result.batch)
            asked += result.changed
            held.update(result.held_back)
            progress(i + 1, len(batches))
    except BaseException:
        for campaign in done:
            undo_campaign(campaign, now=now)
        raise
    return MarkedAsked(tuple(done), asked, dict(held))


def unmark_selection_asked(campaigns: Sequence[int], *, now: dt.datetime) -> UnmarkedAsked:
    """Undo every campaign a selection's "mark as asked" recorded."""
    removed = kept = 0
    for campaign in campaigns:
        undone = undo_campaign(campaign, now=now)
        removed, kept = removed + undone.removed, kept + undone.kept
    return UnmarkedAsked(removed, kept)


class TodayBulkBar(QWidget):
    """How many leads are selected, the actions for them, their progress and result."""

    sig_finished = Signal(object)  # MarkedAsked, UnmarkedAsked, BulkReport, ChangeUndoReport

    def __init__(
        self,
        events: AppEvents,
        clock: Callable[[], dt.datetime],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._batches: tuple[AskBatch, ...] = ()
        self._campaigns: tuple[int, ...] = ()  # the last "mark as asked", to undo
        self._change: int | None = None  # the last snooze or do not contact, to undo
        self._runner = TaskRunner(self, writes=True, events=events)
        self._runner.sig_progress.connect(self._on_runner_progress)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(self._on_runner_failed)
        self._runner.sig_cancelled.connect(self._on_runner_cancelled)
        events.changed.connect(self._on_events_changed)

        self.count_label = styled(QLabel(), "sectionTitle")
        self.count_label.setAccessibleName("Selected leads")
        self.asked_button = QPushButton("Mark as asked")
        self.asked_button.setToolTip(
            "Record that you asked each selected lead for its group's ask (Ctrl+Enter)"
        )
        self.asked_button.clicked.connect(self.mark_asked)
        self.snooze_button = QPushButton("Snooze…")
        self.snooze_button.setToolTip("Keep them off Today's asks until a date")
        self.snooze_button.clicked.connect(self.snooze)
        self.dnc_button = QPushButton("Do not contact")
        self.dnc_button.setToolTip("Never suggest an ask to them again (undoable)")
        self.dnc_button.clicked.connect(self.do_not_contact)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._runner.cancel)
        self._actions = (self.asked_button, self.snooze_button, self.dnc_button)

        self.actions_row = QWidget()
        row = QHBoxLayout(self.actions_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.count_label)
        row.addStretch(1)
        for widget in (*self._actions, self.progress, self.cancel_button):
            row.addWidget(widget)

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

    @property
    def runner(self) -> TaskRunner:
        return self._runner

    def lead_ids(self) -> tuple[int, ...]:
        return tuple(i for batch in self._batches for i in batch.lead_ids)

    def set_selection(self, batches: Sequence[AskBatch]) -> None:
        """The selected leads, grouped by the Today group they are in."""
        self._batches = tuple(b for b in batches if b.lead_ids)
        self._update()

    def _update(self) -> None:
        busy = self._runner.busy
        ids = self.lead_ids()
        targets = len(ids) >= 2
        asks = len(self._batches)
        self.count_label.setText(
            f"{_leads(len(ids))} selected" + (f", in {asks:,} asks" if asks > 1 else "")
        )
        for button in self._actions:
            button.setEnabled(targets and not busy)
        self.actions_row.setVisible(targets or busy)
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.setVisible(targets or busy or self.result_row.isVisibleTo(self))

    # --- the actions ----------------------------------------------------------------

    def _confirmed(self, words: str, action: str) -> bool:
        n = len(self.lead_ids())
        return n < bulk_bar.CONFIRM_AT or bulk_bar.confirm_bulk(
            self, action, f"{words} {_leads(n)}?", action
        )

    def mark_asked(self) -> None:
        batches = self._batches
        if len(self.lead_ids()) < 2 or self._runner.busy:
            return
        if not self._confirmed("Record an ask to", "Mark as asked"):
            return
        now = self._clock()
        self._begin(lambda p, c: mark_selection_asked(batches, now=now, progress=p, cancel=c))

    def snooze(self) -> None:
        selection = self._selection()
        if selection is None or self._runner.busy:
            return
        day = bulk_bar.ask_until(self, local(self._clock()).date())
        if day is None or not self._confirmed(f"Snooze until {day.isoformat()}:", "Snooze"):
            return
        # The start of that day where the owner is, stored in UTC like every time.
        until = to_utc(dt.datetime.combine(day, dt.time()))
        now = self._clock()
        self._begin(lambda p, c: bulk_snooze(selection, until, now=now, progress=p, cancel=c))

    def do_not_contact(self) -> None:
        selection = self._selection()
        if selection is None or self._runner.busy:
            return
        if not self._confirmed("Mark do not contact:", "Do not contact"):
            return
        now = self._clock()
        self._begin(
            lambda p, c: bulk_do_not_contact(selection, True, now=now, progress=p, cancel=c)
        )

    def undo_last(self) -> None:
        if self._runner.busy:
            return
        now = self._clock()
        campaigns, change = self._campaigns, self._change
        if campaigns:
            self._begin(lambda _p, _c: unmark_selection_asked(campaigns, now=now))
        elif change is not None:
            self._begin(lambda _p, _c: undo_change(change, now=now))

    def _selection(self) -> Selection | None:
        ids = self.lead_ids()
        if len(ids) < 2:
            return None
        return Selection(lead_ids=ids, words=f"{len(ids):,} selected leads in Today")

    def _begin(self, job: Callable[[Progress, CancelToken], object]) -> None:
        self.result_row.hide()
        self.progress.setRange(0, 0)
        self._runner.start(job)
        self._update()

    # --- outcomes -------------------------------------------------------------------

    def _on_runner_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_runner_finished(self, result: object) -> None:
        self._campaigns, self._change = (), None
        if isinstance(result, MarkedAsked):
            self._campaigns = result.campaigns
            self.result_row.show_result(result.message, bool(result.campaigns))
        elif isinstance(result, BulkReport):
            self._change = result.batch
            self.result_row.show_result(result.message, result.batch is not None)
        elif isinstance(result, UnmarkedAsked | ChangeUndoReport):
            self.result_row.show_result(result.message, False)
        self._update()
        self.sig_finished.emit(result)

    def _on_runner_failed(self, failure: JobFailure) -> None:
        self._update()
        errors.show_failure(self, failure)

    def _on_runner_cancelled(self) -> None:
        self.result_row.show_result("Cancelled: nothing was changed.", False)
        self._update()

    def _on_events_changed(self, change: Change, origin: object) -> None:
        # The change shown may have been undone elsewhere (the Changes or Campaigns page).
        if origin is self or not (self._campaigns or self._change is not None):
            return
        if not change.touches("bulk_change", "campaign"):
            return
        try:
            if self._campaigns:
                now = self._clock()
                undone = any(get_campaign(c, now).undone_at for c in self._campaigns)
            else:
                assert self._change is not None
                undone = get_change(self._change).undone_at is not None
        except NotFoundError:  # another book was restored in its place
            undone = True
        if undone:
            self._campaigns, self._change = (), None
            self.undo_button.hide()
