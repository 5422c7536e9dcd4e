"""Pacing settings: how long to wait between asks, when to pause, how much to trust data.

Each setting reads as a sentence with its box where the number goes, in days, asks or
percent, and the settings about evidence show what they do with an example (the stall
example uses the owner's own data once it is worked out, off the GUI thread). The stored
values keep their meaning: rates and margins are stored as fractions and shown as percent.
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm.asking.due import load_evidence
from crm.asking.ladder import get_ladder
from crm.asking.pacing import DEFAULTS, FIELDS, Pacing, get_pacing, set_pacing
from crm.errors import SmallyesError
from crm.jobs import CancelToken, Progress
from ui.events import AppEvents
from ui.style import styled
from ui.workers import TaskRunner

_BY_NAME = {spec.name: spec for spec in FIELDS}


@dataclass(frozen=True, slots=True)
class _Box:
    """How one setting's box shows its value."""

    unit: str  # "days" and "asks" read in the singular at one
    spoken: str  # what a screen reader says for the box
    percent: bool = False  # stored as a fraction, shown as percent


BOXES: dict[str, _Box] = {
    "cooldown_days": _Box("days", "Days to wait after an ask before the next one"),
    "weekly_cap": _Box("asks", "Most asks to one lead in any 7 days, campaigns included"),
    "follow_up_days": _Box("days", "Days without a reply before an ask counts as unanswered"),
    "unanswered_limit": _Box("asks", "Unanswered asks in a row before asking stops"),
    "unanswered_pause_days": _Box("days", "Days to stop asking after unanswered asks"),
    "decline_backoff_days": _Box("days", "Days to wait after a not now"),
    "warm_min_days": _Box("days", "Days to wait after a new yes before the next ask"),
    "warm_max_days": _Box("days", "Days a new yes stays fresh"),
    "prior": _Box("%", "Percent of asks expected to get a yes", percent=True),
    "trust_count": _Box("asks", "Answered asks before your own yes rate counts fully"),
    "stall_factor": _Box("times", "How many times the usual time makes a lead stalled"),
    "close_scores": _Box(
        "%", "Percent below the best at which the smaller step is still asked", percent=True
    ),
    "customer_cooling_days": _Box("days", "Days after a purchase before asking to buy again"),
    "daily_ask_limit": _Box("asks", "Personal asks suggested a day at most"),
}

# Sections of sentences; {name} is where that setting's box goes, and a sentence may have
# a note below it that says what it leaves unsaid.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Each day",
        (
            (
                "Suggest at most {daily_ask_limit} to make personally each day.",
                "The asks you record today count against it. Past it, Today suggests none "
                "until tomorrow; a group can still be asked through your newsletter.",
            ),
        ),
    ),
    (
        "Between asks",
        (
            ("Wait at least {cooldown_days} after an ask before the next one.", ""),
            (
                "Ask one lead at most {weekly_cap} in any 7 days.",
                "Personal asks and campaigns count alike.",
            ),
            ("Count an ask as unanswered after {follow_up_days} without a reply.", ""),
            (
                "Stop asking for {unanswered_pause_days} after {unanswered_limit} in a row "
                "go unanswered.",
                "",
            ),
            (
                "After a “not now”, wait {decline_backoff_days} before asking that lead anything "
                "again.",
                "After a second “not now” to the same step, that step is never suggested again.",
            ),
        ),
    ),
    (
        "After a yes",
        (
            ("After a new yes, wait {warm_min_days} before the ask that builds on it.", ""),
            (
                "For {warm_max_days} after a yes, ask for the very next step while it is fresh.",
                "Later, the step your own results say works best.",
            ),
        ),
    ),
    (
        "After a sale",
        (
            (
                "For {customer_cooling_days} after a purchase, ask a customer to buy nothing more.",
                "Meanwhile ask how it went, then for a referral; after that, the next product.",
            ),
        ),
    ),
    (
        "Choosing the step to ask for",
        (
            ("Until your own asks show otherwise, expect {prior} of asks to get a yes.", ""),
            (
                "Rely fully on your own yes rate for a step once {trust_count} for it "
                "have been answered.",
                "",
            ),
            (
                "Ask for the smaller step when its yes rate is at most {close_scores} below "
                "the best one.",
                "",
            ),
            (
                "Call a lead stalled when it stays at a step {stall_factor} as long as "
                "your leads usually take to move on.",
                "",
            ),
        ),
    ),
)
EXAMPLES = ("trust_count", "close_scores", "stall_factor")  # a live example line below


def _names(sentence: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(sentence) if name]


def _set_unit(box: QSpinBox, unit: str, value: int) -> None:
    box.setSuffix(f" {unit[:-1] if value == 1 else unit}")


def _make_box(name: str) -> QSpinBox | QDoubleSpinBox:
    spec, shown = _BY_NAME[name], BOXES[name]
    box: QSpinBox | QDoubleSpinBox
    if shown.percent:
        box = QSpinBox()
        box.setRange(round(spec.minimum * 100), round(spec.maximum * 100))
        box.setSuffix("%")
    elif isinstance(getattr(DEFAULTS, name), int):
        box = QSpinBox()
        box.setRange(int(spec.minimum), int(spec.maximum))
        # "1 day", "1 ask": a whole-number count reads in the singular at one.
        box.valueChanged.connect(lambda value, b=box, u=shown.unit: _set_unit(b, u, value))
        _set_unit(box, shown.unit, box.value())
    else:
        box = QDoubleSpinBox()
        box.setDecimals(1)
        box.setSingleStep(0.5)
        box.setRange(spec.minimum, spec.maximum)
        box.setSuffix(f" {shown.unit}")
    box.setAccessibleName(shown.spoken)
    box.setToolTip(spec.help)
    return box


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.0f}%"


class PacingDialog(QDialog):
    def __init__(self, events: AppEvents, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pacing")
        self._events = events
        self._usual: tuple[str, float] | None = None  # (step, usual days to move on)
        self._asked_for_usual = False
        self._restored = False
        self.fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        self.sentences: dict[str, QLabel] = {}  # the text before each box
        self.examples: dict[str, QLabel] = {}

        intro = styled(
            QLabel("Smallyes never suggests an ask sooner than these allow.", wordWrap=True),
            "detailSubtitle",
        )
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        for title, sentences in SECTIONS:
            layout.addWidget(styled(QLabel(title), "sectionTitle"))
            for sentence, note in sentences:
                layout.addLayout(self._sentence_row(sentence))
                if note:
                    layout.addWidget(self._note(note))
                for name in _names(sentence):
                    if name in EXAMPLES:
                        self.examples[name] = self._note("")
                        layout.addWidget(self.examples[name])
        for name in ("prior", "trust_count", "close_scores", "stall_factor"):
            self.fields[name].valueChanged.connect(self._update_examples)

        self.error = styled(QLabel(wordWrap=True), "inlineError")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        restore = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(self._on_restore_clicked)
        layout.addSpacing(6)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self._runner = TaskRunner(self)
        self._runner.sig_finished.connect(self._on_runner_finished)
        # Without the owner's numbers the example uses round ones (a crash is logged).
        self._runner.sig_failed.connect(lambda _failure: self._on_runner_finished(None))
        self._closed = False
        self.fill(get_pacing())
        self._opened = {name: box.value() for name, box in self.fields.items()}

    # --- building ---------------------------------------------------------------------

    def _sentence_row(self, sentence: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        for text, name, _, _ in string.Formatter().parse(sentence):
            if text.strip():
                label = QLabel(text.strip())
                row.addWidget(label)
            if name:
                box = self.fields[name] = _make_box(name)
                if text.strip():
                    label.setBuddy(box)
                    self.sentences[name] = label
                row.addWidget(box)
        row.addStretch(1)
        return row

    def _note(self, text: str) -> QLabel:
        label = styled(QLabel(text, wordWrap=True), "detailSubtitle")
        label.setContentsMargins(16, 0, 0, 4)
        return label

    # --- values -----------------------------------------------------------------------

    def fill(self, pacing: Pacing) -> None:
        for name, value in dataclasses.asdict(pacing).items():
            box = self.fields[name]
            box.setValue(round(value * 100) if BOXES[name].percent else value)
        self._update_examples()

    def values(self) -> dict[str, float]:
        """The values as stored: fractions for the boxes in percent."""
        return {
            name: box.value() / 100 if BOXES[name].percent else box.value()
            for name, box in self.fields.items()
        }

    def changed_values(self) -> dict[str, float]:
        """The values the owner changed. A box that still shows what it showed on opening
        keeps its stored value exactly: 0.333 set from the command line shows as 33% and
        stays 0.333."""
        if self._restored:
            return self.values()
        return {
            name: value
            for name, value in self.values().items()
            if self.fields[name].value() != self._opened[name]
        }

    def _on_restore_clicked(self) -> None:
        self.fill(DEFAULTS)
        self._restored = True

    def save(self) -> None:
        try:
            with self._events.publishing(self):
                set_pacing(**self.changed_values())
        except SmallyesError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            return
        self.accept()

    # --- examples ---------------------------------------------------------------------

    def _update_examples(self) -> None:
        values = self.values()
        prior = _percent(values["prior"])
        trust = int(values["trust_count"])
        if trust >= 2:
            self.examples["trust_count"].setText(
                f"For example, once {trust // 2} asks for a step are answered, your own "
                f"rate and the expected {prior} count half each."
            )
        else:
            self.examples["trust_count"].setText(
                "Your own rate counts fully from the first answered ask."
            )
        margin = round(values["close_scores"] * 100)
        if margin == 0:
            close = "The step with the best yes rate is always the one asked for."
        else:
            smaller = 60 - max(margin - 1, 0)
            close = (
                f"For example, a smaller step at {smaller}% is asked for rather than a "
                f"bigger one at 60%."
            )
        self.examples["close_scores"].setText(close)
        factor = values["stall_factor"]
        if self._usual is not None:
            step, days = self._usual
            stall = (
                f"With your data, leads usually move on from “{step}” after "
                f"{days:.0f} days: one still there after {days * factor:.0f} days is "
                f"stalled and gets a different ask at the same step."
            )
        elif self._asked_for_usual:
            stall = (
                f"For example, if leads usually move on after 10 days, one still there after "
                f"{10 * factor:.0f} days is stalled and gets a different ask at the same step."
            )
        else:
            stall = "Working out an example from your data…"
        self.examples["stall_factor"].setText(stall)
        if self.isVisible():
            # A longer example wraps onto another line: grow rather than cut it off.
            needed = self.heightForWidth(self.width())
            if needed > self.height():
                self.resize(self.width(), needed)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not (self._asked_for_usual or self._closed or self._runner.busy):
            self._runner.start(_usual_time_to_move_on)

    def _on_runner_finished(self, usual: tuple[str, float] | None) -> None:
        self._asked_for_usual = True
        self._usual = usual
        self._update_examples()

    def done(self, result: int) -> None:
        self._closed = True
        self._runner.shutdown()
        super().done(result)


def _usual_time_to_move_on(_progress: Progress, _cancel: CancelToken) -> tuple[str, float] | None:
    """The lowest step leads have moved on from, and the usual days they took to."""
    medians = load_evidence().median_days
    labels: dict[int, str] = {}
    for step in get_ladder():
        labels.setdefault(step.level, step.label)
    for level in sorted(medians):
        if medians[level] >= 1 and level in labels:
            return labels[level], medians[level]
    return None


def open_pacing_dialog(parent: QWidget, events: AppEvents) -> None:
    PacingDialog(events, parent).exec()
