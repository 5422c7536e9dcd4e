"""The filter bar above the lead table: the lead list's filter, as the owner says it.

The bar holds one :class:`crm.book.filters.LeadFilter` and turns it into the table's
``LeadQuery``. Its quick controls (search as you type, status, step, tag, source) edit their
parts of it; "More filters…" edits the whole of it (:mod:`ui.leads.filter_dialog`). Below
them a line says the active filter in words, with "Save as segment…"; a filter opened from
a segment is named so, and a part that names something the book no longer has (a removed
tag, step, offer or field) gets a banner saying which.

A chart's click-through with a period ("reached Downloaded, with the yes dated in the last
30 days") is the one thing a ``LeadFilter`` cannot say: it shows as a removable chip, and
stays out of a segment. Without a period a chart's filter is a plain ``LeadFilter``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

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

from crm.asking.ladder import get_ladder
from crm.book.filters import LeadFilter
from crm.book.leads import STATUS_LABELS, LeadQuery, LeadStatus, all_sources, all_tags
from crm.timefmt import utc_now
from ui.elided import ElidedLabel
from ui.leads.labels import SOURCE_LABELS
from ui.style import styled

SEARCH_DEBOUNCE_MS = 150
CHIP_TEXT_WIDTH = 480  # pixels
SEVERAL_TAGS = -1  # the tag combo's entry for a filter of more than one tag

BANNER_SHEET = """
    QLabel#filterBanner { background: palette(alternate-base); border: 1px solid palette(mid);
                          border-left: 4px solid palette(highlight); border-radius: 3px;
                          padding: 4px 8px; }
"""


def _problems_of(flt: LeadFilter) -> list[str]:
    """What the filter names that the book no longer has (read only when it names any:
    a search typed letter by letter asks nothing)."""
    names = (flt.tags_all, flt.tags_any, flt.tags_none, flt.step, flt.min_step, flt.max_step)
    if not any(names) and not flt.offer and not flt.fields:
        return []
    return flt.problems()


class FilterBar(QWidget):
    """Holds the lead list's ``LeadFilter`` and announces its ``LeadQuery``."""

    sig_query_changed = Signal(object)  # LeadQuery (filters only; the table owns the sort)
    sig_save_segment_requested = Signal()
    sig_campaign_requested = Signal()  # "Ask them…": a campaign to the leads shown

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], dt.datetime] = utc_now
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._filter = LeadFilter()
        # A chart's filter with a period (min_level, offer, yes_since, yes_until), or None.
        self._chart: LeadQuery | None = None
        # The segment the filter was opened from, and its filter then.
        self._segment: tuple[str, LeadFilter] | None = None
        self._problems: list[str] = []
        self._step_keys: set[str] = set()
        self._step_labels: dict[int, str] = {}

        self.search = QLineEdit(placeholderText="Search name, email or company")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search leads")
        self.search.setMinimumWidth(200)
        self._debounce = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._on_debounce_timeout)
        self.search.textEdited.connect(self._on_search_edited)
        self.search.returnPressed.connect(self._on_search_return_pressed)

        self.status = self._combo("Status filter", self._on_status_activated)
        self.step = self._combo("Current ladder step filter", self._on_step_activated)
        self.tag = self._combo("Tag filter", self._on_tag_activated)
        self.source = self._combo("Source filter", self._on_source_activated)

        self.more = QPushButton("More filters…")
        self.more.setToolTip(
            "Several tags, steps reached, last yes, last ask, engagement and custom fields"
        )
        self.more.clicked.connect(self.open_more_filters)
        self.clear = QPushButton("Clear filters")
        self.clear.setToolTip("Show every lead")
        self.clear.clicked.connect(self.clear_filters)
        self.ask = QPushButton("Ask them…")
        self.ask.setToolTip(
            "Ask the leads this filter shows through your newsletter tool: a campaign"
        )
        self.ask.clicked.connect(self.sig_campaign_requested)

        self.words = ElidedLabel()
        self.words.setAccessibleName("Active filter")
        self.chip = styled(QLabel(), "filterChip")
        self.chip_clear = QToolButton()
        self.chip_clear.setText("✕")
        self.chip_clear.setToolTip("Remove the funnel's filter")
        self.chip_clear.setAutoRaise(True)
        self.chip_clear.clicked.connect(self._on_chip_clear_clicked)
        self.save_segment = QPushButton("Save as segment…")
        self.save_segment.setToolTip(
            "Keep this filter under a name in the sidebar, with its live count"
        )
        self.save_segment.clicked.connect(self.sig_save_segment_requested)

        self.banner = QLabel(wordWrap=True)
        self.banner.setObjectName("filterBanner")
        self.banner.setStyleSheet(BANNER_SHEET)
        self.banner.setAccessibleName("Filter problems")
        self.banner_edit = QPushButton("Edit filters…")
        self.banner_edit.clicked.connect(self.open_more_filters)

        row = QHBoxLayout()
        row.addWidget(self.search, 3)
        for combo in (self.status, self.step, self.tag, self.source):
            row.addWidget(combo, 1)
        row.addWidget(self.more)
        row.addWidget(self.clear)
        # The filter in words, and a chart's chip, on a line of their own: in the row above
        # they pushed the window wider than a 1024-pixel screen.
        self.words_row = QWidget()
        words_layout = QHBoxLayout(self.words_row)
        words_layout.setContentsMargins(0, 0, 0, 0)
        words_layout.addWidget(self.words, 1)
        words_layout.addWidget(self.chip)
        words_layout.addWidget(self.chip_clear)
        words_layout.addWidget(self.save_segment)
        # beside the filter in words: a campaign to the leads it names (every lead: the
        # Campaigns page's New campaign)
        words_layout.addWidget(self.ask)
        self.words_row.hide()
        self.banner_row = QWidget()
        banner_layout = QHBoxLayout(self.banner_row)
        banner_layout.setContentsMargins(0, 0, 0, 0)
        banner_layout.addWidget(self.banner, 1)
        banner_layout.addWidget(self.banner_edit, 0, Qt.AlignmentFlag.AlignTop)
        self.banner_row.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.words_row)
        layout.addWidget(self.banner_row)
        self.reload_choices()
        self._update_words()

    def _combo(self, name: str, slot: Callable[[int], None]) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setMinimumContentsLength(8)
        combo.activated.connect(slot)
        return combo

    # --- choices ----------------------------------------------------------------------

    def reload_choices(self) -> None:
        """Refill the combos from the database. A step the ladder just lost leaves the
        filter (its list falls back to "Any step"); a segment's step that was already gone
        stays, and its banner says so."""
        ladder = get_ladder()
        keys = {s.key for s in ladder}
        lost = self._step_keys - keys
        self._step_keys = keys
        self._step_labels = {s.level: s.label for s in ladder}
        self._fill(self.status, "All statuses", [(STATUS_LABELS[s], s.value) for s in LeadStatus])
        self._fill(self.step, "Any step", [(s.label, s.key) for s in ladder])
        self._fill(self.tag, "Any tag", [(t, t) for t in all_tags()])
        self._fill(
            self.source,
            "Any source",
            [(SOURCE_LABELS.get(s, s.capitalize()), s) for s in all_sources()],
        )
        flt = self._filter
        if lost & {flt.step, flt.min_step, flt.max_step}:
            self._filter = dataclasses.replace(
                flt,
                step=None if flt.step in lost else flt.step,
                min_step=None if flt.min_step in lost else flt.min_step,
                max_step=None if flt.max_step in lost else flt.max_step,
            )
        self._show_filter()
        self._problems = _problems_of(self._filter)
        self._update_words()

    @staticmethod
    def _fill(combo: QComboBox, everything: str, items: list[tuple[str, str]]) -> None:
        with QSignalBlocker(combo):
            combo.clear()
            combo.addItem(everything, None)
            for label, value in items:
                combo.addItem(label, value)

    # --- the filter -------------------------------------------------------------------

    def lead_filter(self) -> LeadFilter:
        """The owner's filter (without a chart's period)."""
        return self._filter

    @property
    def chart_active(self) -> bool:
        """Whether a chart's filter with a period is on (a segment cannot keep it)."""
        return self._chart is not None

    @property
    def segment_name(self) -> str | None:
        """The segment shown, while the filter is still the one it was opened with."""
        if self._segment is None or self._chart is not None:
            return None
        name, flt = self._segment
        return name if flt == self._filter else None

    @property
    def origin_segment(self) -> str | None:
        """The segment the filter was last opened from, changed since or not."""
        return self._segment[0] if self._segment is not None else None

    @property
    def problems(self) -> list[str]:
        """The parts of the filter that name something the book no longer has."""
        return list(self._problems)

    def query(self) -> LeadQuery:
        query = self._filter.query(now=self._clock())
        chart = self._chart
        if chart is None:
            return query
        levels = [v for v in (query.min_level, chart.min_level) if v is not None]
        return dataclasses.replace(
            query,
            min_level=max(levels) if levels else None,
            offer=chart.offer or query.offer,
            yes_since=chart.yes_since,
            yes_until=chart.yes_until,
        )

    def set_filter(self, flt: LeadFilter, *, segment: str | None = None) -> None:
        """Show ``flt`` (opened from the segment named ``segment``) and announce it once."""
        self._chart = None
        self._segment = (segment, flt) if segment is not None else None
        self._set(flt)

    def set_query(self, query: LeadQuery) -> None:
        """Show the filters of a query from elsewhere (a chart, Today) and announce it once.
        Its parts become the bar's filter; a period stays beside it, on the chip."""
        self._segment = None
        has_period = query.yes_since is not None or query.yes_until is not None
        flt = self._filter_of(query, with_chart=not has_period)
        self._chart = (
            LeadQuery(
                min_level=query.min_level,
                offer=query.offer,
                yes_since=query.yes_since,
                yes_until=query.yes_until,
            )
            if has_period
            else None
        )
        self._set(flt)

    def mark_segment(self, name: str) -> None:
        """The filter shown was just saved as the segment ``name``."""
        self._segment = (name, self._filter)
        self._update_words()

    def segment_renamed(self, old: str, new: str) -> None:
        if self._segment is not None and self._segment[0].casefold() == old.casefold():
            self._segment = (new, self._segment[1])
            self._update_words()

    def segment_deleted(self, name: str) -> None:
        """The segment is gone: the filter stays, no longer named after it."""
        if self._segment is not None and self._segment[0].casefold() == name.casefold():
            self._segment = None
            self._update_words()

    def clear_filters(self) -> None:
        self._chart = None
        self._segment = None
        self._set(LeadFilter())

    def has_filters(self) -> bool:
        return not self._filter.empty or self._chart is not None

    def _filter_of(self, q: LeadQuery, *, with_chart: bool) -> LeadFilter:
        """A query's filters as the owner's words (``with_chart``: its step reached and
        offer too)."""
        ladder = sorted(get_ladder(), key=lambda s: s.level)
        min_step = max_step = None
        if with_chart and q.min_level is not None:
            # the lowest step at or above the level: the same leads (levels are the steps')
            min_step = next((s.key for s in ladder if s.level >= q.min_level), None)
        if q.max_level is not None:
            max_step = next((s.key for s in reversed(ladder) if s.level <= q.max_level), None)
        engaged = None
        if q.engaged_since is not None:
            engaged = max((self._clock() - q.engaged_since).days, 0)
        return LeadFilter(
            search=q.search,
            status=q.status,
            tags_all=tuple(dict.fromkeys((*((q.tag,) if q.tag else ()), *q.tags_all))),
            tags_any=q.tags_any,
            tags_none=q.tags_none,
            step=q.step,
            min_step=min_step,
            max_step=max_step,
            offer=q.offer if with_chart else None,
            yes_after=q.last_yes_after,
            yes_before=q.last_yes_before,
            never_asked=q.never_asked,
            asked_before=q.asked_before,
            engaged_within=engaged,
            source=q.source,
            fields=q.fields,
        )

    def _set(self, flt: LeadFilter) -> None:
        self._debounce.stop()
        self._filter = flt
        self._problems = _problems_of(flt)
        self._show_filter()
        self._announce()

    def _change(self, **parts: Any) -> None:
        """The owner changed a quick control: that part of the filter, announced."""
        flt = dataclasses.replace(self._filter, **parts)
        if flt != self._filter:
            self._filter = flt
            self._problems = _problems_of(flt)
        self._show_filter()
        self._announce()

    def _show_filter(self) -> None:
        """Put the filter's quick parts in their controls."""
        flt = self._filter
        if self.search.text().strip() != flt.search:
            self.search.setText(flt.search)
        self._select(self.status, flt.status)
        self._select(self.step, flt.step, missing=" (no longer on the ladder)")
        self._select(self.source, flt.source)
        several = self.tag.findData(SEVERAL_TAGS)
        if len(flt.tags_all) > 1:
            if several < 0:
                self.tag.addItem(f"{len(flt.tags_all)} tags", SEVERAL_TAGS)
                several = self.tag.count() - 1
            self.tag.setItemText(several, f"{len(flt.tags_all)} tags")
            self.tag.setCurrentIndex(several)
        else:
            if several >= 0:
                self.tag.removeItem(several)
            self._select(self.tag, flt.tags_all[0] if flt.tags_all else None)

    @staticmethod
    def _select(combo: QComboBox, value: str | None, missing: str = "") -> None:
        if value is None:
            combo.setCurrentIndex(0)
            return
        index = combo.findData(value)
        if index < 0:  # a value the combo does not list (a new tag, a removed step): add it
            combo.addItem(f"{value}{missing}", value)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def _announce(self) -> None:
        self._update_words()
        self.sig_query_changed.emit(self.query())

    # --- words, chip and banner -------------------------------------------------------

    def describe(self) -> str:
        """The active filter in one line of words."""
        words = self._filter.describe() if not self._filter.empty else ""
        if (name := self.segment_name) is not None:
            return f"Segment “{name}”: {words or 'every lead'}"
        return f"Showing: {words}" if words else ""

    def _update_words(self) -> None:
        text = self.describe()
        self.words.set_full_text(text)
        self._update_chip()
        has = self.has_filters()
        self.words_row.setVisible(bool(text) or self._chart is not None)
        self.save_segment.setEnabled(has)
        self.clear.setEnabled(has)
        if self._problems:
            name = self.segment_name or self.origin_segment
            whose = f"the segment “{name}”" if name else "this filter"
            self.banner.setText(
                f"⚠ Part of {whose} no longer matches: {'; '.join(self._problems)}. "
                "Edit the filter to change that part."
            )
        self.banner_row.setVisible(bool(self._problems))

    def _update_chip(self) -> None:
        chart = self._chart
        parts = []
        if chart is not None and chart.min_level is not None:
            label = self._step_labels.get(chart.min_level, f"level {chart.min_level}")
            parts.append(f"Reached {label} or higher")
        if chart is not None and chart.offer:
            parts.append(f"Took “{chart.offer}”")
        if chart is not None and (chart.yes_since or chart.yes_until):
            from crm.analytics.funnel import FunnelFilter  # the funnel's words, when needed

            period = FunnelFilter(since=chart.yes_since, until=chart.yes_until).period_text()
            parts.append(f"yes dated {period}")
        text = " · ".join(parts)
        # A long offer name is cut short (whole in the tooltip), so the line stays on screen.
        metrics = self.chip.fontMetrics()
        self.chip.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, CHIP_TEXT_WIDTH))
        self.chip.setToolTip(text)
        self.chip.setVisible(bool(parts))
        self.chip_clear.setVisible(bool(parts))

    def chart_words(self) -> str:
        """The chart's filter in words ('' without one)."""
        return self.chip.toolTip() if self._chart is not None else ""

    # --- more filters -----------------------------------------------------------------

    def open_more_filters(self) -> None:
        """Edit the whole filter in the dialog; a chart's step and offer come along, its
        period is left out (the dialog says so)."""
        base, note = self._filter, ""
        if self._chart is not None:
            base = self.filter_without_period()
            note = (
                f"The funnel's filter ({self.chart_words()}) becomes the filters below; its "
                "period is left out when you apply them."
            )
        from ui.leads.filter_dialog import FilterDialog  # loaded when first opened

        chosen = FilterDialog.run(self, base, note=note, clock=self._clock)
        if chosen is not None:
            self._chart = None
            self._set(chosen)

    def filter_without_period(self) -> LeadFilter:
        """The filter with a chart's step reached and offer as its own parts, its period
        left out: what a segment or the dialog can hold."""
        chart = self._chart
        if chart is None:
            return self._filter
        merged = self._filter_of(
            dataclasses.replace(chart, yes_since=None, yes_until=None), with_chart=True
        )
        return dataclasses.replace(
            self._filter,
            min_step=merged.min_step or self._filter.min_step,
            offer=merged.offer or self._filter.offer,
        )

    # --- the owner's controls ---------------------------------------------------------

    def _on_chip_clear_clicked(self) -> None:
        self._chart = None
        self._announce()

    def _on_search_edited(self, _text: str) -> None:
        self._debounce.start()

    def _on_search_return_pressed(self) -> None:
        self._debounce.stop()
        self._change(search=self.search.text().strip())

    def _on_debounce_timeout(self) -> None:
        self._change(search=self.search.text().strip())

    def _on_status_activated(self, _index: int) -> None:
        self._change(status=self.status.currentData())

    def _on_step_activated(self, _index: int) -> None:
        self._change(step=self.step.currentData())

    def _on_tag_activated(self, _index: int) -> None:
        tag = self.tag.currentData()
        if tag == SEVERAL_TAGS:
            return  # the tags the filter already has
        self._change(tags_all=(tag,) if tag else ())

    def _on_source_activated(self, _index: int) -> None:
        self._change(source=self.source.currentData())

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
