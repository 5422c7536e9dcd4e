"""The campaign dialog: ask many leads at once through the owner's newsletter tool.

The owner picks the step and offer to ask for, whom (the leads the list's filter shows, a
Today group, a segment, every lead), the tool and the file. The dialog shows at once how
many may be asked and how many are held back by each guardrail (worked out off the GUI
thread: ``crm.asking.eligibility``), and **Create** records the pending asks and writes the
audience file in one go (``crm.asking.campaigns``). Opened with
:func:`open_campaign_dialog`, which returns the dialog without waiting on it.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm.asking.audience import PLATFORMS
from crm.asking.campaigns import CampaignResult, create_campaign, describe_who
from crm.asking.eligibility import REASON_WORDS, CampaignPlan, Who, plan_campaign
from crm.asking.ladder import get_ladder
from crm.book.filters import LeadFilter
from crm.book.leads import LeadQuery
from crm.book.offers import list_offers
from crm.book.segments import list_segments
from crm.jobs import CancelToken, Progress
from crm.timefmt import local, utc_now
from ui.events import AppEvents
from ui.style import styled
from ui.workers import JobFailure, TaskRunner

log = logging.getLogger(__name__)

PLAN_DELAY_MS = 150  # choices change in bursts (typing, scrolling a list): plan once after
NO_OFFER = "No offer"


def ask_audience_path(parent: QWidget, suggested: str) -> Path | None:
    """Ask where to write the audience file (a function, so tests can replace it)."""
    name, _ = QFileDialog.getSaveFileName(
        parent, "Save the audience file", suggested, "CSV file (*.csv)"
    )
    if not name:
        return None
    path = Path(name)
    return path if path.suffix else path.with_suffix(".csv")


def held_back_html(plan: CampaignPlan) -> str:
    """The leads held back, one reason a row, the counts lined up ("" when none is)."""
    rows = "".join(
        f"<tr><td align='right'>{count:,}</td><td>&nbsp;&nbsp;{html.escape(REASON_WORDS[r])}</td>"
        "</tr>"
        for r, count in plan.held_back.items()
        if count
    )
    if not rows:
        return ""
    return f"Held back ({plan.held_back_total:,}):<table cellspacing='0'>{rows}</table>"


class CampaignDialog(QDialog):
    """Choose the ask and the leads, see who may be asked, write the file, record the asks."""

    sig_created = Signal(object)  # CampaignResult
    sig_planned = Signal(object)  # CampaignPlan, each time the numbers are shown

    def __init__(
        self,
        events: AppEvents,
        parent: QWidget | None = None,
        *,
        step_key: str | None = None,
        offer: str | None = None,
        who: Who | None = None,
        who_words: str | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Ask through your newsletter tool")
        self.setMinimumWidth(560)
        self._clock = clock
        self.plan: CampaignPlan | None = None
        self.made: CampaignResult | None = None
        self._stale = False
        self._plan_runner = TaskRunner(self)
        self._plan_runner.sig_finished.connect(self._on_plan_runner_finished)
        self._plan_runner.sig_failed.connect(self._on_plan_runner_failed)
        self._create_runner = TaskRunner(self, writes=True, events=events)
        self._create_runner.sig_finished.connect(self._on_create_runner_finished)
        self._create_runner.sig_failed.connect(self._on_create_runner_failed)
        self._timer = QTimer(self, singleShot=True, interval=PLAN_DELAY_MS)
        self._timer.timeout.connect(self._start_plan)

        self.step = QComboBox()
        self.step.setAccessibleName("Step to ask for")
        for s in get_ladder():
            self.step.addItem(s.label, s.key)
        self.offer = QComboBox()
        self.offer.setAccessibleName("Offer the ask is about")
        self.offer.addItem(NO_OFFER, None)
        for o in list_offers():
            self.offer.addItem(o.name, o.name)
        self.who = QComboBox()
        self.who.setAccessibleName("Leads to ask")
        self._whos: list[Who] = []
        if who is not None:
            self._add_who(who_words or self._words_for(who), who)
        self._add_who("Every lead", LeadFilter())
        for seg in list_segments():
            self._add_who(f"Segment: {seg.name}", seg.filter)

        self.eligible = styled(QLabel(), "sectionTitle")
        self.eligible.setAccessibleName("Leads who may be asked")
        self.held = QLabel()
        self.held.setWordWrap(True)
        self.held.setTextFormat(Qt.TextFormat.RichText)
        self.held.setAccessibleName("Leads held back, by reason")

        self.platform = QComboBox()
        self.platform.setAccessibleName("Newsletter tool")
        for p in PLATFORMS.values():
            self.platform.addItem(p.label, p.key)
        self.file = QLineEdit()
        self.file.setAccessibleName("Audience file")
        self.file.setPlaceholderText("Where to save the file your tool imports")
        self.choose = QPushButton("Choose…")
        self.choose.clicked.connect(self._on_choose_clicked)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file, 1)
        file_row.addWidget(self.choose)
        self.hint = styled(QLabel(), "emptyText")
        self.hint.setWordWrap(True)
        self.error = styled(QLabel(), "inlineError")
        self.error.setWordWrap(True)
        self.error.hide()

        form = QFormLayout()
        form.addRow("Ask for", self.step)
        form.addRow("About", self.offer)
        form.addRow("Who", self.who)
        form.addRow("", self.eligible)
        form.addRow("", self.held)
        form.addRow("Tool", self.platform)
        form.addRow("File", file_row)
        self.buttons = QDialogButtonBox()
        self.create_button = self.buttons.addButton(
            "Create", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setToolTip(
            "Record a pending ask for each lead who may be asked, and write the audience file"
        )
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.create_button.clicked.connect(self._on_create_clicked)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        if step_key is not None and (i := self.step.findData(step_key)) >= 0:
            self.step.setCurrentIndex(i)
        if offer and (i := self.offer.findData(offer, flags=Qt.MatchFlag.MatchFixedString)) >= 0:
            self.offer.setCurrentIndex(i)
        for combo in (self.step, self.offer, self.who):
            combo.currentIndexChanged.connect(self._schedule_plan)
        self.platform.currentIndexChanged.connect(self._update_hint)
        self.file.textChanged.connect(self._update_buttons)
        self._update_hint()
        self._update_buttons()
        self._start_plan()

    # --- choices ------------------------------------------------------------------------

    def _add_who(self, words: str, who: Who) -> None:
        self._whos.append(who)
        self.who.addItem(words, len(self._whos) - 1)

    @staticmethod
    def _words_for(who: Who) -> str:
        if not isinstance(who, LeadFilter | LeadQuery):
            return f"The {len(who):,} leads chosen"
        return f"The leads the list shows: {describe_who(who)}"

    def chosen(self) -> tuple[str, str | None, Who]:
        """The step key, the offer name (None: no offer) and the leads chosen now."""
        return self.step.currentData(), self.offer.currentData(), self._whos[self.who.currentData()]

    def _suggested_name(self) -> str:
        step, offer, _ = self.chosen()
        tool = self.platform.currentData()
        slug = "-".join(x for x in (step, (offer or "").lower().replace(" ", "-")) if x)
        return f"{tool}-ask-{slug}-{local(self._clock()):%Y-%m-%d}.csv"

    # --- the plan -----------------------------------------------------------------------

    def _schedule_plan(self, *_args: object) -> None:
        self.plan = None
        self._update_buttons()
        self._timer.start()

    def _start_plan(self) -> None:
        if self._plan_runner.busy:
            self._stale = True
            return
        step, offer, who = self.chosen()
        now = self._clock()
        self.eligible.setText("Working out who may be asked…")

        def job(_progress: Progress, _cancel: CancelToken) -> CampaignPlan:
            return plan_campaign(step, offer, who, now=now)

        self._plan_runner.start(job)

    def _on_plan_runner_finished(self, plan: CampaignPlan) -> None:
        if self._stale:
            self._stale = False
            self._start_plan()
            return
        self.plan = plan
        self.error.hide()
        self.eligible.setText(
            f"{plan.eligible:,} of {plan.matched:,} leads may be asked now"
            if plan.matched
            else "No lead matches this choice"
        )
        self.held.setText(held_back_html(plan))
        self._update_buttons()
        self.sig_planned.emit(plan)

    def _on_plan_runner_failed(self, failure: JobFailure) -> None:
        self._stale = False
        self.eligible.setText("")
        self._show_error(failure.message)

    # --- creating -----------------------------------------------------------------------

    def _update_hint(self, *_args: object) -> None:
        tool = PLATFORMS[self.platform.currentData()]
        where = "a tag" if tool.tag else "a group" if tool.key == "mailerlite" else "a list"
        self.hint.setText(
            f"The file holds exactly the columns {tool.label} imports, and no blank cell. "
            f"Import it there into {where} named after the campaign, then send your ask to "
            "it. Each lead in it gets a pending ask here, answered by the yeses you import "
            "later; Campaigns lists them, and can undo one."
        )

    def _update_buttons(self, *_args: object) -> None:
        busy = self._create_runner.busy
        ready = self.plan is not None and self.plan.eligible > 0 and bool(self.file.text().strip())
        self.create_button.setEnabled(ready and not busy)

    def _on_choose_clicked(self) -> None:
        path = ask_audience_path(self, self.file.text().strip() or self._suggested_name())
        if path is not None:
            self.file.setText(str(path))

    def _on_create_clicked(self) -> None:
        if self.plan is None or self._create_runner.busy:
            return
        step, offer, who = self.chosen()
        platform, target, now = self.platform.currentData(), self.file.text().strip(), self._clock()
        self.error.hide()

        def job(_progress: Progress, _cancel: CancelToken) -> CampaignResult:
            return create_campaign(step, offer, who, platform=platform, target=target, now=now)

        self._create_runner.start(job)
        self._update_buttons()

    def _on_create_runner_finished(self, result: CampaignResult) -> None:
        self.made = result
        self.sig_created.emit(result)
        self.accept()

    def _on_create_runner_failed(self, failure: JobFailure) -> None:
        self._show_error(failure.message)
        self._update_buttons()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def reject(self) -> None:
        if self._create_runner.busy:
            return  # the asks are being recorded: the dialog closes when they are
        super().reject()

    def done(self, result: int) -> None:
        self._timer.stop()
        self._plan_runner.shutdown()
        if not self._create_runner.busy:
            self._create_runner.shutdown()
        super().done(result)


def _events_of(parent: QWidget | None) -> AppEvents:
    """The window's events, through the dialog's parent (a page of the main window)."""
    window: Any = parent.window() if parent is not None else None
    events = getattr(window, "events", None)
    return events if isinstance(events, AppEvents) else AppEvents()


def open_campaign_dialog(
    parent: QWidget | None,
    step_key: str | None,
    offer: str | None,
    flt_or_ids: Who | None,
    *,
    events: AppEvents | None = None,
    clock: Callable[[], dt.datetime] | None = None,
    who_words: str | None = None,
) -> CampaignDialog:
    """Open the campaign dialog for ``step_key`` and ``offer`` (None: the owner picks),
    aimed at ``flt_or_ids`` (a filter, the list's query, or lead ids such as a Today
    group's; None: every lead). Returns the dialog, shown and not waited on."""
    window: Any = parent.window() if parent is not None else None
    dialog = CampaignDialog(
        events or _events_of(parent),
        parent,
        step_key=step_key,
        offer=offer,
        who=flt_or_ids,
        who_words=who_words,
        clock=clock or getattr(window, "clock", None) or utc_now,
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
