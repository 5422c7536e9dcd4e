"""Segments in the sidebar: each saved filter of the lead list with its live count.

"Save as segment…" on the lead list's filter bar saves the filter shown under a name
(:mod:`crm.book.segments`; a name taken asks whether to replace that segment). The
sidebar lists every segment under the pages with how many leads it holds now; clicking one
opens the lead list with its filter, exactly as saved, and its context menu edits the
filter, renames or deletes it. A segment whose filter names a tag, step, offer or field the
book no longer has is marked here, and the lead list's banner says which part.

The counts are recounted off the GUI thread after every change to lead data (the window's
:class:`~ui.events.AppEvents`), a burst of changes giving one recount. The dialogs are
module functions that tests replace.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.asking.ladder import get_ladder
from crm.book.filters import LeadFilter
from crm.book.segments import (
    SegmentRow,
    delete_segment,
    get_segment,
    list_segments,
    rename_segment,
    save_segment,
)
from crm.changes import LEAD_TABLES, Change
from crm.errors import DuplicateError, NotFoundError, SmallyesError
from crm.jobs import CancelToken, Progress
from crm.timefmt import utc_now
from ui import errors
from ui.events import AppEvents
from ui.leads.page import LeadsPage
from ui.workers import JobFailure, TaskRunner

log = logging.getLogger(__name__)

RECOUNT_DELAY_MS = 250
# What a segment's count depends on besides the leads themselves.
COUNTED_TABLES = frozenset({*LEAD_TABLES, "segment", "step", "offer", "activity_event"})
NameRole = Qt.ItemDataRole.UserRole + 1

SECTION_SHEET = """
    QFrame#segmentSection { background: palette(window); border: none;
                            border-right: 1px solid palette(mid); }
    QTreeWidget { border: none; background: palette(window); }
    QTreeWidget::item { padding: 5px 2px; }
    QTreeWidget::item:first { padding-left: 12px; }
    QTreeWidget::item:selected { background: palette(highlight);
                                 color: palette(highlighted-text); }
"""


# --- the dialogs (tests replace them) ---------------------------------------------------


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    """A line of text from the owner, or None when they cancelled."""
    dialog = QInputDialog(parent)
    dialog.setWindowTitle(title)
    dialog.setLabelText(label)
    dialog.setTextValue(text)
    for child in dialog.findChildren(QLabel):  # a long explanation wraps
        child.setWordWrap(True)
    dialog.setMinimumWidth(420)
    return dialog.textValue() if dialog.exec() == QInputDialog.DialogCode.Accepted else None


def confirm(parent: QWidget | None, title: str, text: str, ok_text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    ok = box.addButton(ok_text, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(ok)
    box.exec()
    return box.clickedButton() is ok


def edit_filter(parent: QWidget | None, segment: SegmentRow) -> LeadFilter | None:
    from ui.leads.filter_dialog import FilterDialog  # loaded when first opened

    return FilterDialog.run(
        parent, segment.filter, title=f"Edit the segment “{segment.name}”", ok_text="Save segment"
    )


# --- counting -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentCount:
    name: str
    count: int
    words: str
    problems: tuple[str, ...]


def count_segments() -> list[SegmentCount]:
    """Every segment with its count and what no longer matches (run off the GUI thread)."""
    return [
        SegmentCount(s.name, s.count(), s.filter.describe(), tuple(s.problems))
        for s in list_segments()
    ]


def _count_job(_progress: Progress, _cancel: CancelToken) -> list[SegmentCount]:
    return count_segments()


def stale_step(flt: LeadFilter) -> str | None:
    """A step of the filter the ladder no longer has, in words, or None."""
    keys = {s.key for s in get_ladder()}
    for key in (flt.step, flt.min_step, flt.max_step):
        if key is not None and key not in keys:
            return (
                f"The step '{key}' is no longer on the ladder: change it in More filters "
                "first, then save the segment."
            )
    return None


class SegmentSection(QFrame):
    """The sidebar's list of segments, under the pages."""

    sig_status_message = Signal(str)
    sig_counted = Signal()  # the counts shown are current

    def __init__(
        self,
        events: AppEvents,
        leads_page: LeadsPage,
        show_leads: Callable[[], object],
        clock: Callable[[], dt.datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("segmentSection")
        self.setStyleSheet(SECTION_SHEET)
        self._events = events
        self._page = leads_page
        self._show_leads = show_leads
        self._clock = clock
        self._counts: dict[str, SegmentCount] = {}
        self._again = False
        self._runner = TaskRunner(self)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(self._on_runner_failed)
        self._recount = QTimer(self, singleShot=True, interval=RECOUNT_DELAY_MS)
        self._recount.timeout.connect(self._on_recount_timeout)

        title = QLabel("Segments")
        title.setStyleSheet("font-weight: 600; padding: 10px 12px 2px 12px;")
        self.list = QTreeWidget()
        self.list.setColumnCount(2)
        self.list.setHeaderHidden(True)
        self.list.setRootIsDecorated(False)
        self.list.setIndentation(0)
        self.list.setUniformRowHeights(True)
        self.list.setAccessibleName("Segments")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.itemClicked.connect(self._on_list_item_clicked)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_list_context_menu_requested)
        self.hint = QLabel(
            "Save a filter of the lead list with “Save as segment…”: it shows here with its count.",
            wordWrap=True,
        )
        self.hint.setStyleSheet("color: palette(placeholder-text); padding: 2px 12px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 6)
        layout.setSpacing(2)
        layout.addWidget(title)
        # Whichever of the two shows takes the height left, from the top.
        layout.addWidget(self.hint, 1, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.list, 1)

        events.changed.connect(self._on_events_changed)
        events.database_swapped.connect(self.reload)
        bar = leads_page.filter_bar
        bar.sig_save_segment_requested.connect(self.save_current)
        bar.sig_query_changed.connect(self._on_filter_bar_query_changed)
        self.reload()

    # --- the list -----------------------------------------------------------------------

    def items(self) -> list[QTreeWidgetItem]:
        found = (self.list.topLevelItem(i) for i in range(self.list.topLevelItemCount()))
        return [item for item in found if item is not None]

    def names(self) -> list[str]:
        return [str(item.data(0, NameRole)) for item in self.items()]

    def item(self, name: str) -> QTreeWidgetItem | None:
        folded = name.casefold()
        return next(
            (i for i in self.items() if str(i.data(0, NameRole)).casefold() == folded), None
        )

    def count_text(self, name: str) -> str:
        """What the sidebar shows as the segment's count."""
        item = self.item(name)
        return item.text(1) if item is not None else ""

    @property
    def counting(self) -> bool:
        return self._runner.busy or self._recount.isActive()

    def reload(self) -> None:
        """List the segments again (a cheap read) and recount them in the background."""
        segments = list_segments()
        self.list.clear()
        for segment in segments:
            item = QTreeWidgetItem([segment.name, "…"])
            item.setData(0, NameRole, segment.name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.list.addTopLevelItem(item)
            if (known := self._counts.get(segment.name)) is not None:
                self._show_count(item, known)
        self.hint.setVisible(not segments)
        self.list.setVisible(bool(segments))
        self._highlight()
        if segments:
            self._recount.start()

    def _show_count(self, item: QTreeWidgetItem, counted: SegmentCount) -> None:
        stale = bool(counted.problems)
        item.setText(1, f"⚠ {counted.count:,}" if stale else f"{counted.count:,}")
        noun = "lead" if counted.count == 1 else "leads"
        tip = f"{counted.name}: {counted.words} ({counted.count:,} {noun})"
        if stale:
            tip += "\nNo longer matches: " + "; ".join(counted.problems)
        item.setToolTip(0, tip)
        item.setToolTip(1, tip)

    def _highlight(self) -> None:
        """Select the segment the lead list shows, if it shows one."""
        name = self._page.filter_bar.segment_name
        item = self.item(name) if name is not None else None
        self.list.blockSignals(True)
        self.list.clearSelection()
        if item is not None:
            item.setSelected(True)
        self.list.blockSignals(False)

    # --- counting -----------------------------------------------------------------------

    def _on_recount_timeout(self) -> None:
        if self._runner.busy:
            self._again = True
            return
        self._runner.start(_count_job)

    def _on_runner_finished(self, counts: list[SegmentCount]) -> None:
        self._counts = {c.name: c for c in counts}
        for counted in counts:
            if (item := self.item(counted.name)) is not None:
                self._show_count(item, counted)
        if self._again:
            self._again = False
            self._recount.start()
        else:
            self.sig_counted.emit()

    def _on_runner_failed(self, failure: JobFailure) -> None:
        # A count that cannot be made now (a locked file) is made again after the next
        # change; the list stays usable.
        log.warning("segment counts failed: %s", failure.message)
        if failure.bug:
            errors.show_failure(self, failure)

    def _on_events_changed(self, change: Change, _origin: object) -> None:
        if change.touches("segment"):
            self.reload()
        elif change.touches(*COUNTED_TABLES) or change.touches_setting("ladder"):
            self._recount.start()

    def shutdown(self) -> None:
        self._recount.stop()
        self._runner.shutdown()

    # --- opening and saving -----------------------------------------------------------

    def open_segment(self, name: str) -> bool:
        """Show the lead list with the segment's filter; False if it is gone."""
        try:
            segment = get_segment(name)
        except NotFoundError as exc:
            errors.show_error(self, exc)
            self.reload()
            return False
        self._show_leads()
        self._page.show_filter(segment.filter, segment=segment.name)
        self._highlight()
        return True

    def save_current(self) -> None:
        """Save the lead list's filter as a segment, under a name the owner gives."""
        bar = self._page.filter_bar
        flt = bar.filter_without_period()
        if flt.empty:
            self.sig_status_message.emit(
                "Pick a filter first (a status, a tag, More filters…), then save it as a segment."
            )
            return
        if (problem := stale_step(flt)) is not None:
            errors.show_message(self, "Save as segment", problem)
            return
        label = "Name of the segment:"
        if bar.chart_active:
            label = (
                f"The funnel's filter ({bar.chart_words()}) has a period, which a segment "
                "does not keep: the segment keeps the step and offer without it, and the "
                "other filters.\n\n" + label
            )
        name = ask_text(self, "Save as segment", label, bar.origin_segment or "")
        if name is None:
            return
        saved = self._save(name, flt)
        if saved is None:
            return
        if not bar.chart_active:
            bar.mark_segment(saved.name)
        self._highlight()
        self.sig_status_message.emit(f"Saved the segment “{saved.name}”: {flt.describe()}")

    def _save(self, name: str, flt: LeadFilter) -> SegmentRow | None:
        """Save, asking before a segment of that name is replaced; None when not saved."""
        with self._events.publishing(self):
            try:
                return save_segment(name, flt, now=self._clock())
            except DuplicateError:
                pass
            except SmallyesError as exc:
                errors.show_error(self, exc)
                return None
        cleaned = " ".join(name.split())
        if not confirm(
            self,
            "Replace the segment?",
            f"There is already a segment “{cleaned}”. Replace its filter with this one?",
            "Replace",
        ):
            return None
        with self._events.publishing(self):
            try:
                return save_segment(name, flt, now=self._clock(), replace=True)
            except SmallyesError as exc:
                errors.show_error(self, exc)
                return None

    # --- the context menu -------------------------------------------------------------

    def menu_for(self, name: str) -> QMenu:
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_segment(name))
        menu.addAction("Edit filter…", lambda: self.edit_segment(name))
        menu.addAction("Rename…", lambda: self.rename(name))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.delete(name))
        return menu

    def edit_segment(self, name: str) -> None:
        try:
            segment = get_segment(name)
        except NotFoundError as exc:
            errors.show_error(self, exc)
            self.reload()
            return
        chosen = edit_filter(self, segment)
        if chosen is None:
            return
        with self._events.publishing(self):
            try:
                saved = save_segment(segment.name, chosen, now=self._clock(), replace=True)
            except SmallyesError as exc:
                errors.show_error(self, exc)
                return
        bar = self._page.filter_bar
        if bar.origin_segment is not None and bar.origin_segment.casefold() == name.casefold():
            self._page.show_filter(saved.filter, segment=saved.name)
        self.sig_status_message.emit(f"Saved the segment “{saved.name}”: {chosen.describe()}")

    def rename(self, name: str) -> None:
        new = ask_text(self, "Rename the segment", "New name:", name)
        if new is None or " ".join(new.split()) == name:
            return
        with self._events.publishing(self):
            try:
                renamed = rename_segment(name, new, now=self._clock())
            except SmallyesError as exc:
                errors.show_error(self, exc)
                return
        self._counts.pop(name, None)
        self._page.filter_bar.segment_renamed(name, renamed.name)
        self._highlight()
        self.sig_status_message.emit(f"Renamed the segment “{name}” to “{renamed.name}”")

    def delete(self, name: str) -> None:
        if not confirm(
            self,
            "Delete the segment?",
            f"Delete the segment “{name}”? Its leads stay as they are: only the saved filter goes.",
            "Delete",
        ):
            return
        with self._events.publishing(self):
            try:
                delete_segment(name)
            except SmallyesError as exc:
                errors.show_error(self, exc)
                return
        self._counts.pop(name, None)
        self._page.filter_bar.segment_deleted(name)
        self.sig_status_message.emit(f"Deleted the segment “{name}”")

    # --- slots ------------------------------------------------------------------------

    def _on_list_item_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        self.open_segment(item.data(0, NameRole))

    def _on_list_context_menu_requested(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is not None:
            self.menu_for(item.data(0, NameRole)).exec(self.list.viewport().mapToGlobal(pos))

    def _on_filter_bar_query_changed(self, _query: object) -> None:
        self._highlight()
