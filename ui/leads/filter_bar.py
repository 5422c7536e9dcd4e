"""The filter bar above the lead table: search as you type, and status/step/tag/source combos."""

from __future__ import annotations

import dataclasses
import datetime as dt

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.analytics.funnel import FunnelFilter
from crm.asking.ladder import get_ladder
from crm.book.leads import STATUS_LABELS, LeadQuery, LeadStatus, all_sources, all_tags
from ui.style import styled

SEARCH_DEBOUNCE_MS = 150
CHIP_TEXT_WIDTH = 480  # pixels

SOURCE_LABELS = {"manual": "Added by hand", "demo": "Demo"}


class FilterBar(QWidget):
    """Builds a ``LeadQuery`` from what the user types and picks."""

    sig_query_changed = Signal(object)  # LeadQuery (filters only; the table owns the sort)
    sig_campaign_requested = Signal()  # "Ask them…": a campaign to the leads shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Filters that come from elsewhere (a chart click), shown as a removable chip.
        self._min_level: int | None = None
        self._offer: str | None = None
        self._yes_since: dt.datetime | None = None
        self._yes_until: dt.datetime | None = None
        self._step_labels: dict[int, str] = {}

        self.search = QLineEdit(placeholderText="Search name, email or company")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search leads")
        self.search.setMinimumWidth(240)
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)
        self.search.textEdited.connect(self._on_search_edited)
        self.search.returnPressed.connect(self._emit_now)

        self.status = self._combo("Status filter")
        self.step = self._combo("Current ladder step filter")
        self.tag = self._combo("Tag filter")
        self.source = self._combo("Source filter")

        self.chip = styled(QLabel(), "filterChip")
        self.chip_clear = QToolButton()
        self.chip_clear.setText("✕")
        self.chip_clear.setToolTip("Remove this filter")
        self.chip_clear.setAutoRaise(True)
        self.chip_clear.clicked.connect(self._on_chip_clear_clicked)
        self.chip.hide()
        self.chip_clear.hide()

        self.clear = QPushButton("Clear filters")
        self.clear.setToolTip("Show every lead")
        self.clear.clicked.connect(self.clear_filters)
        self.ask = QPushButton("Ask them…")
        self.ask.setToolTip(
            "Ask the leads this filter shows through your newsletter tool: a campaign"
        )
        self.ask.clicked.connect(self.sig_campaign_requested)

        row = QHBoxLayout()
        row.addWidget(self.search, 3)
        for combo in (self.status, self.step, self.tag, self.source):
            row.addWidget(combo, 1)
        row.addWidget(self.clear)
        row.addWidget(self.ask)
        # A chart's filter goes on a line of its own: in the row above it pushed the window
        # wider than a 1024-pixel screen.
        self.chip_row = QWidget()
        chip_layout = QHBoxLayout(self.chip_row)
        chip_layout.setContentsMargins(0, 0, 0, 0)
        chip_layout.addWidget(self.chip)
        chip_layout.addWidget(self.chip_clear)
        chip_layout.addStretch(1)
        self.chip_row.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.chip_row)
        self.reload_choices()
        self._update_clear()

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setMinimumContentsLength(8)
        combo.activated.connect(self._emit_now)
        return combo

    # --- choices ----------------------------------------------------------------------

    def reload_choices(self) -> None:
        """Refill the combos from the database, keeping what is picked when it still exists."""
        ladder = get_ladder()
        self._step_labels = {s.level: s.label for s in ladder}
        self._fill(self.status, "All statuses", [(STATUS_LABELS[s], s.value) for s in LeadStatus])
        self._fill(self.step, "Any step", [(s.label, s.key) for s in ladder])
        self._fill(self.tag, "Any tag", [(t, t) for t in all_tags()])
        self._fill(
            self.source,
            "Any source",
            [(SOURCE_LABELS.get(s, s.capitalize()), s) for s in all_sources()],
        )

    @staticmethod
    def _fill(combo: QComboBox, everything: str, items: list[tuple[str, str]]) -> None:
        current = combo.currentData()
        with QSignalBlocker(combo):
            combo.clear()
            combo.addItem(everything, None)
            for label, value in items:
                combo.addItem(label, value)
            index = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(index, 0))

    # --- the query --------------------------------------------------------------------

    def query(self) -> LeadQuery:
        return LeadQuery(
            search=self.search.text().strip(),
            status=self.status.currentData(),
            step=self.step.currentData(),
            tag=self.tag.currentData(),
            source=self.source.currentData(),
            min_level=self._min_level,
            offer=self._offer,
            yes_since=self._yes_since,
            yes_until=self._yes_until,
        )

    def set_query(self, query: LeadQuery) -> None:
        """Show the filters of ``query`` and announce it once."""
        self._debounce.stop()
        self.search.setText(query.search)
        for combo, value in (
            (self.status, query.status),
            (self.step, query.step),
            (self.tag, query.tag),
            (self.source, query.source),
        ):
            index = combo.findData(value) if value is not None else 0
            if index < 0:  # a value the combo does not list yet (a new tag): add it
                combo.addItem(str(value), value)
                index = combo.count() - 1
            combo.setCurrentIndex(index)
        self._min_level, self._offer = query.min_level, query.offer
        self._yes_since, self._yes_until = query.yes_since, query.yes_until
        self._update_chip()
        self._emit_now()

    def clear_filters(self) -> None:
        self.set_query(LeadQuery())

    def has_filters(self) -> bool:
        q = self.query()
        return q != dataclasses.replace(LeadQuery(), sort=q.sort, descending=q.descending)

    def _update_chip(self) -> None:
        parts = []
        if self._min_level is not None:
            label = self._step_labels.get(self._min_level, f"level {self._min_level}")
            parts.append(f"Reached {label} or higher")
        if self._offer:
            parts.append(f"Took “{self._offer}”")
        if self._yes_since or self._yes_until:
            period = FunnelFilter(since=self._yes_since, until=self._yes_until).period_text()
            parts.append(f"yes dated {period}")
        text = " · ".join(parts)
        # A long offer name is cut short (whole in the tooltip), so the line stays on screen.
        metrics = self.chip.fontMetrics()
        self.chip.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, CHIP_TEXT_WIDTH))
        self.chip.setToolTip(text)
        self.chip.setVisible(bool(parts))
        self.chip_clear.setVisible(bool(parts))
        self.chip_row.setVisible(bool(parts))

    def _update_clear(self) -> None:
        self.clear.setEnabled(self.has_filters())

    def _on_chip_clear_clicked(self) -> None:
        self._min_level, self._offer = None, None
        self._yes_since = self._yes_until = None
        self._update_chip()
        self._emit_now()

    def _on_search_edited(self, _text: str) -> None:
        self._debounce.start()

    def _emit_now(self, *_args: object) -> None:
        self._debounce.stop()
        self._emit()

    def _emit(self) -> None:
        self._update_clear()
        self.sig_query_changed.emit(self.query())

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
