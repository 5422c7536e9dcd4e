"""The lead's own next ask, above its timeline: the suggestion and why, or why there is none.

Worked out off the GUI thread (the evidence behind it reads every ask), and shown when it
arrives, unless another lead was selected meanwhile. While an ask waits for its answer,
the box asks for it: they said yes, not now, or nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, SignalInstance
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from crm.asking.asks import AskRow, list_asks, record_ask, set_outcome
from crm.asking.due import suggest_for_lead
from crm.asking.suggest import NoSuggestion, Result, Suggestion
from crm.changes import LEAD_TABLES, Change
from crm.errors import SmallyesError
from crm.jobs import CancelToken, Progress
from crm.timefmt import local, relative, utc_now
from ui import errors
from ui.events import AppEvents
from ui.leads.timeline_view import ANSWER_WORDS
from ui.style import styled
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from ui.leads.detail import LeadDetail


class SuggestionBox(QFrame):
    """Shows ``suggest_for_lead`` for one lead; ``show_lead`` switches the lead."""

    sig_shown = Signal()
    sig_status_message = Signal(str)
    sig_log_ask_requested = Signal()  # an ask other than the one suggested

    def __init__(self, events: AppEvents, *, clock: Callable[[], dt.datetime] = utc_now) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._events = events
        self._clock = clock
        self._lead_id: int | None = None
        self._pending: int | None = None  # a lead to work out once the running job ends
        self.result: Result | None = None
        self._shut_down = False
        self.runner = TaskRunner(self)
        self.runner.sig_finished.connect(self._on_runner_finished)
        self.runner.sig_failed.connect(self._on_runner_failed)

        self.title = styled(QLabel("Next ask"), "sectionTitle")
        self.headline = QLabel(wordWrap=True)
        self.headline.setTextFormat(Qt.TextFormat.PlainText)
        self.reason = styled(QLabel(wordWrap=True), "detailSubtitle")
        self.reason.setTextFormat(Qt.TextFormat.PlainText)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy message")
        self.copy_button.clicked.connect(self.copy_message)
        self.asked_button = QPushButton("Mark as asked")
        self.asked_button.clicked.connect(self.mark_asked)
        self.other_ask_button = QPushButton("Log an ask…")
        self.other_ask_button.setToolTip(
            "Record an ask you made yourself: any step, offer and time (Ctrl+Shift+L)"
        )
        self.other_ask_button.clicked.connect(self.sig_log_ask_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.other_ask_button)
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.asked_button)

        # the answer to the ask still waiting, if any
        self.waiting: AskRow | None = None
        self.answer_label = QLabel(wordWrap=True)
        self.answer_label.setTextFormat(Qt.TextFormat.PlainText)
        self.answer_buttons: dict[str, QPushButton] = {}
        answers = QHBoxLayout()
        answers.addStretch(1)
        for outcome, words in (
            ("accepted", "They said yes"),
            ("declined", "Not now"),
            ("no_response", "No answer"),
        ):
            button = self.answer_buttons[outcome] = QPushButton(words)
            button.clicked.connect(lambda _checked=False, o=outcome: self.answer(o))
            answers.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.headline)
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        layout.addWidget(self.answer_label)
        layout.addLayout(answers)
        events.changed.connect(self._on_events_changed)
        self._show(None)

    @property
    def lead_id(self) -> int | None:
        return self._lead_id

    def show_lead(self, lead_id: int | None) -> None:
        if lead_id == self._lead_id and self.result is not None:
            return
        self._lead_id = lead_id
        self.refresh()

    def refresh(self) -> None:
        if self._lead_id is None:
            self._show(None)
            self.hide()
            return
        self.show()
        if self._shut_down:
            return
        if self.runner.busy:
            self._pending = self._lead_id
            return
        self.headline.setText("Working out the next ask…")
        lead_id, now = self._lead_id, self._clock()

        def job(_progress: Progress, _cancel: CancelToken) -> tuple[int, Result, AskRow | None]:
            waiting = list_asks(lead_id, outcome="pending")
            return lead_id, suggest_for_lead(lead_id, now), (waiting[0] if waiting else None)

        self.runner.start(job)

    def shutdown(self) -> None:
        self._shut_down = True
        self.runner.shutdown()

    def _on_events_changed(self, change: Change, _origin: object) -> None:
        # The next ask depends on the lead's history, the ladder, the offers and the pacing.
        if self._lead_id is None:
            return
        if (
            change.touches("step", "offer", "setting")
            or change.touches_setting("ladder", "pacing")
            or (change.touches(*LEAD_TABLES) and change.touches_lead(self._lead_id))
        ):
            self.refresh()

    def _on_runner_finished(self, outcome: tuple[int, Result, AskRow | None]) -> None:
        lead_id, result, waiting = outcome
        if self._pending is not None:
            self._pending = None
            self.refresh()
            return
        if lead_id == self._lead_id:
            self._show(result, waiting)

    def _on_runner_failed(self, failure: JobFailure) -> None:
        self._pending = None
        self.result = None
        self.headline.setText(failure.message)
        self.reason.setText("")
        self._set_buttons(False)
        self._show_waiting(None)

    def _show(self, result: Result | None, waiting: AskRow | None = None) -> None:
        self.result = result
        self._show_waiting(waiting)
        if isinstance(result, Suggestion):
            due = local(result.due)
            when = (
                "today" if due.date() <= local(self._clock()).date() else due.strftime("%Y-%m-%d")
            )
            # named as the ask it is ("Invite to download the Focus workbook")
            self.headline.setText(f"{result.ask_name} (due {when})")
            self.reason.setText(result.reason)
            self.copy_button.setToolTip(result.message)
            self._set_buttons(True)
        elif isinstance(result, NoSuggestion):
            self.headline.setText("Nothing to ask right now.")
            self.reason.setText(result.reason)
            self._set_buttons(False)
        else:
            self.headline.setText("")
            self.reason.setText("")
            self._set_buttons(False)
        self.sig_shown.emit()

    def _show_waiting(self, ask: AskRow | None) -> None:
        self.waiting = ask
        self.answer_label.setVisible(ask is not None)
        for button in self.answer_buttons.values():
            button.setVisible(ask is not None)
        if ask is not None:
            what = ask.step_label + (f" — {ask.offer}" if ask.offer else "")
            when = relative(ask.asked_at, self._clock())
            self.answer_label.setText(f'Did they answer your ask "{what}", made {when}?')

    def answer(self, outcome: str) -> None:
        """Record the answer to the ask waiting for one, as given now."""
        if self.waiting is None or self._lead_id is None:
            return
        now = self._clock()
        waiting = self.waiting
        try:
            with self._events.publishing(self):  # the timeline and this box refresh
                set_outcome(waiting.id, outcome, at=now, now=now)
        except SmallyesError as exc:
            errors.show_error(self, exc)
            return
        self.sig_status_message.emit(
            f'Recorded for your ask "{waiting.step_label}": {ANSWER_WORDS[outcome].lower()}.'
        )

    def _set_buttons(self, enabled: bool) -> None:
        self.copy_button.setVisible(enabled)
        self.asked_button.setVisible(enabled)

    def copy_message(self) -> None:
        if isinstance(self.result, Suggestion):
            QGuiApplication.clipboard().setText(self.result.message)
            self.sig_status_message.emit("Copied the message.")

    def mark_asked(self) -> None:
        """Record the suggested ask as made now, then show what comes next."""
        if not isinstance(self.result, Suggestion) or self._lead_id is None:
            return
        now = self._clock()
        result = self.result
        try:
            with self._events.publishing(self):  # the timeline and this box refresh
                record_ask(self._lead_id, result.step, at=now, now=now, offer=result.offer)
        except SmallyesError as exc:
            errors.show_error(self, exc)
            return
        self.sig_status_message.emit(f"Recorded the ask: {result.step_label}.")


def attach_suggestion_box(
    detail: LeadDetail,
    selection_changed: SignalInstance,
    events: AppEvents,
    clock: Callable[[], dt.datetime],
) -> SuggestionBox:
    """Put a suggestion box above the lead detail's timeline and follow its lead.

    ``detail`` is the ``LeadDetail`` (``insert_above_timeline``, ``lead_id``);
    ``selection_changed`` is a signal that fires after it shows another lead.
    """
    box = SuggestionBox(events, clock=clock)
    detail.insert_above_timeline(box)
    selection_changed.connect(lambda *_: box.show_lead(detail.lead_id))
    box.show_lead(detail.lead_id)
    return box
