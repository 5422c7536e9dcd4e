"""The Leads page: the filter bar, the lead table and the selected lead's detail.

With an empty database the page shows what to do next instead: import a newsletter CSV
or load the demo data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crm.asking.ladder import get_ladder
from crm.book.filters import LeadFilter
from crm.book.leads import (
    DeletedLead,
    LeadQuery,
    LeadRow,
    LeadStatus,
    count_leads,
    delete_lead,
    get_lead,
    restore_deleted,
)
from crm.book.offers import list_offers
from crm.changes import EVERYTHING, LEAD_TABLES, Change
from crm.errors import NotFoundError, SmallyesError
from crm.jobs import CancelToken, Progress
from crm.safety.suppression import add_unless_forgotten
from crm.timefmt import utc_now
from ui import errors
from ui.empty_state import lay_out_empty_state
from ui.events import AppEvents
from ui.leads.bulk_bar import BulkBar
from ui.leads.custom_columns import CustomColumns
from ui.leads.detail import LeadDetail
from ui.leads.filter_bar import FilterBar
from ui.leads.table_model import (
    HEADERS,
    PAGE_SIZE,
    Columns,
    LeadIdRole,
    LeadTableModel,
    column_for_sort,
)
from ui.settings import Settings
from ui.style import styled
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from ui.leads import dialogs  # the add, log and delete dialogs load when first opened

log = logging.getLogger(__name__)

DEMO_LEADS = 400
# Up to this many changed leads are updated row by row; more reload the list.
FEW_LEADS = 50
# Columns whose every value must fit at the default width, by their widest usual value.
WIDEST_TEXT = {Columns.LAST_YES: "11 months ago", Columns.STATUS: "Unsubscribed"}


class LeadTable(QTableView):
    """The lead table; tells once when it has painted its first rows."""

    sig_first_rows_painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._painted_rows = False
        self.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            not self._painted_rows
            and watched is self.viewport()
            and event.type() == QEvent.Type.Paint
            and self.model() is not None
            and self.model().rowCount() > 0
        ):
            self._painted_rows = True
            self.viewport().removeEventFilter(self)
            # Announce after this paint event has been handled, i.e. the rows are drawn.
            QTimer.singleShot(0, self.sig_first_rows_painted.emit)
        return super().eventFilter(watched, event)


class EmptyState(QWidget):
    """What a new user sees: what Smallyes is for and the two ways to start."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.import_button = QPushButton("Import a newsletter CSV…")
        self.import_button.setEnabled(False)
        self.import_button.setToolTip("CSV import is not available in this build yet.")
        self.demo_button = QPushButton("Load demo data")
        self.demo_button.setDefault(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # busy indicator: the demo job does not report steps
        self.busy.setTextVisible(False)
        self.busy.setMaximumWidth(320)
        self.busy.hide()
        self.busy_label = QLabel("Loading the demo data…", alignment=Qt.AlignmentFlag.AlignCenter)
        self.busy_label.hide()
        buttons = QWidget()
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.import_button)
        row.addWidget(self.demo_button)
        busy = QWidget()
        column = QVBoxLayout(busy)
        column.setContentsMargins(0, 12, 0, 0)
        column.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(self.busy_label)
        lay_out_empty_state(
            self,
            "No leads yet",
            "Bring in the subscribers your newsletter platform exported as a CSV file, or look "
            "around with a realistic sample of 400 leads first. You can also add a lead by hand "
            "with Ctrl+N.",
            buttons,
            busy,
        )

    def set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.busy_label.setVisible(busy)
        self.demo_button.setEnabled(not busy)


class NoMatch(QWidget):
    """Shown instead of an empty table when the filters match nobody."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = styled(
            QLabel(
                "No lead matches these filters.",
                alignment=Qt.AlignmentFlag.AlignCenter,
            ),
            "emptyText",
        )
        self.clear_button = QPushButton("Clear filters")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(label)
        layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)


class LeadsPage(QWidget):
    sig_first_rows_painted = Signal()
    sig_counts_changed = Signal(int, int)  # leads matching the filters, all leads
    sig_status_message = Signal(str)
    sig_undo_changed = Signal()
    sig_selection_changed = Signal()

    def __init__(
        self,
        events: AppEvents,
        settings: Settings,
        parent: QWidget | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        super().__init__(parent)
        self._events = events
        self._settings = settings
        self._clock = clock
        self._deleted: list[DeletedLead] = []
        self._total: int | None = None  # counted once the first rows are on screen
        self._counts: tuple[int, int] | None = None
        self._runner = TaskRunner(self, writes=True, events=events)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(self._on_runner_failed)

        self.empty = EmptyState()
        self.empty.demo_button.clicked.connect(self.load_demo)

        self.filter_bar = FilterBar(clock=clock)
        self.filter_bar.sig_query_changed.connect(self._on_filter_bar_query_changed)
        self.filter_bar.sig_campaign_requested.connect(self._on_filter_bar_campaign_requested)

        self.model = LeadTableModel(self, clock=clock)
        # before the header's saved state is restored: it holds these columns too
        self.model.set_custom_columns(settings.leads_custom_columns)
        self.table = LeadTable()
        self.table.setAccessibleName("Leads")
        self.table.sig_first_rows_painted.connect(self.sig_first_rows_painted)
        self._setup_table()
        self.custom_columns = CustomColumns(self.table, self.model, settings)

        # Several rows selected: the actions on all of them (or on all the filter matches).
        self.bulk_bar = BulkBar(events, clock)
        self.bulk_bar.sig_select_all_loaded.connect(self.table.selectAll)
        self.table.selectionModel().selectionChanged.connect(self._on_table_selection_changed)

        self.no_match = NoMatch()
        self.no_match.clear_button.clicked.connect(self.filter_bar.clear_filters)
        self._table_stack = QStackedWidget()
        self._table_stack.addWidget(self.table)
        self._table_stack.addWidget(self.no_match)

        self.detail = LeadDetail(events, clock=clock)
        self.detail.sig_log_yes_requested.connect(self.log_yes)
        self.detail.sig_status_message.connect(self.sig_status_message)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self._table_stack)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        if (state := settings.leads_splitter) is not None:
            self.splitter.restoreState(state)
        else:
            self.splitter.setSizes([920, 400])

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(8, 8, 8, 0)
        content_layout.addWidget(self.filter_bar)
        content_layout.addWidget(self.bulk_bar)
        content_layout.addWidget(self.splitter, 1)

        self._stack = QStackedWidget()
        self._stack.addWidget(self.empty)
        self._stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._stack)

        events.changed.connect(self._on_events_changed)

        # No filters yet, so a first page with no rows means an empty lead book.
        self._stack.setCurrentIndex(1 if self.model.rowCount() else 0)
        if self.model.rowCount():
            # Counting walks an index over every lead: done after the first rows are shown.
            self.table.sig_first_rows_painted.connect(self._update_counts)
        else:
            self._update_counts()

    def _setup_table(self) -> None:
        table = self.table
        sort = self._settings.leads_sort
        # By default the leads who said yes most recently come first.
        default = (Columns.LAST_YES, Qt.SortOrder.DescendingOrder)
        column, order = sort if sort is not None else default
        if not 0 <= column < len(Columns) or HEADERS[Columns(column)][1] is None:
            column, order = default
        key = HEADERS[Columns(column)][1]
        assert key is not None
        descending = order == Qt.SortOrder.DescendingOrder
        self.model.set_query(LeadQuery(sort=key, descending=descending))

        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Shift and Ctrl click, Ctrl+A: several leads for the bulk bar.
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = table.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never measures rows, so 100,000 of them stay cheap.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(table.fontMetrics().height() + 10)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        metrics = table.fontMetrics()
        for col, (_, _, width) in HEADERS.items():
            if (widest := WIDEST_TEXT.get(col)) is not None:  # whatever the font size
                width = max(width, metrics.horizontalAdvance(widest) + 24)
            header.resizeSection(col, width)
        if (state := self._settings.leads_header) is not None:
            header.restoreState(state)
        header.setSortIndicator(column, order)
        table.setSortingEnabled(True)  # calls model.sort with the same order: a no-op
        header.sortIndicatorChanged.connect(self._on_header_sort_indicator_changed)
        table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        table.setAccessibleName("Leads")

    # --- state ------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """How many leads the book holds (counted on first use)."""
        if self._total is None:
            self._update_total()
        assert self._total is not None
        return self._total

    @property
    def is_empty(self) -> bool:
        return self._stack.currentWidget() is self.empty

    @property
    def counts(self) -> tuple[int, int] | None:
        """(matching the filters, all leads) as last announced, or None before counting."""
        return self._counts

    def selected_lead_id(self) -> int | None:
        index = self.table.selectionModel().currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row()):
            return None
        return index.data(LeadIdRole)

    def selected_lead(self) -> LeadRow | None:
        lead_id = self.selected_lead_id()
        row = self.model.row_for_id(lead_id) if lead_id is not None else None
        return self.model.lead_at(row) if row is not None else None

    def select_lead(self, lead_id: int, *, scroll: bool = True) -> bool:
        """Select the lead's row if it is shown (and scroll to it); True when it was."""
        row = self.model.row_for_id(lead_id)
        if row is None:
            return False
        index = self.model.index(row, 0)
        selection = self.table.selectionModel()
        if selection.currentIndex().row() != row or not selection.isRowSelected(row):
            selection.setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        if scroll:
            self.table.scrollTo(index)
        return True

    def save_state(self) -> None:
        self._settings.leads_splitter = self.splitter.saveState()
        self._settings.leads_header = self.table.horizontalHeader().saveState()
        query = self.model.query
        column = column_for_sort(query.sort)
        if column is not None:
            order = (
                Qt.SortOrder.DescendingOrder if query.descending else Qt.SortOrder.AscendingOrder
            )
            self._settings.leads_sort = (column, order)

    def shutdown(self) -> None:
        self.detail.show_lead(None)  # saves valid unsaved edits
        self._runner.shutdown()
        self.bulk_bar.runner.shutdown()

    # --- queries ----------------------------------------------------------------------

    def show_query(self, query: LeadQuery) -> None:
        """Show the leads matching ``query``'s filters, keeping the table's sort order."""
        self.filter_bar.set_query(query)

    def show_filter(self, flt: LeadFilter, segment: str | None = None) -> None:
        """Show the leads ``flt`` finds (opened from the segment named ``segment``),
        keeping the table's sort order."""
        self.filter_bar.set_filter(flt, segment=segment)

    @property
    def lead_filter(self) -> LeadFilter:
        """The filter the list shows, in the owner's words."""
        return self.filter_bar.lead_filter()

    def _apply_query(self, filters: LeadQuery) -> None:
        selected = self.selected_lead_id()
        current = self.model.query
        query = dataclasses.replace(filters, sort=current.sort, descending=current.descending)
        try:
            self.model.set_query(query)
        except SmallyesError as exc:  # e.g. a step key that a ladder edit removed
            errors.show_error(self, exc)
            return
        if selected is not None and not self.select_lead(selected):
            self.detail.show_lead(None)
        self._update_counts()

    def _on_filter_bar_query_changed(self, filters: LeadQuery) -> None:
        self._apply_query(filters)

    def _on_filter_bar_campaign_requested(self) -> None:
        from ui.campaign_dialog import open_campaign_dialog  # a dialog: loaded when first opened

        bar = self.filter_bar
        who = bar.query() if bar.has_filters() else None
        open_campaign_dialog(self, None, None, who, events=self._events, clock=self._clock)

    def _on_header_sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if column >= len(Columns) or HEADERS[Columns(column)][1] is None:
            # Tags and custom fields cannot be sorted: put the indicator back on the column
            # that is.
            current = column_for_sort(self.model.query.sort)
            order = (
                Qt.SortOrder.DescendingOrder
                if self.model.query.descending
                else Qt.SortOrder.AscendingOrder
            )
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(current if current is not None else 0, order)
            header.blockSignals(False)
            return
        self.save_state()
        lead_id = self.detail.lead_id
        if lead_id is not None:
            self.select_lead(lead_id)

    def _update_total(self) -> None:
        self._total = count_leads(LeadQuery())
        self._stack.setCurrentIndex(0 if self._total == 0 else 1)

    def _update_counts(self) -> None:
        total = self.total
        shown = count_leads(self.model.query) if self.filter_bar.has_filters() else total
        self._table_stack.setCurrentIndex(1 if shown == 0 and total else 0)
        self._counts = (shown, total)
        self.sig_counts_changed.emit(shown, total)
        self._on_table_selection_changed()

    # --- reacting to changes ----------------------------------------------------------

    def _on_events_changed(self, change: Change, _origin: object) -> None:
        if change.everything:
            self._reload_everything()
        elif change.touches("step") or change.touches_setting("ladder"):
            self._reload_ladder()
        elif change.touches(*LEAD_TABLES):
            leads = change.leads
            if leads is not None and len(leads) <= FEW_LEADS and self.model.shows_all(leads):
                gone = [lead_id for lead_id in sorted(leads) if not self._reload_lead(lead_id)]
                if gone:  # deleted or forgotten: the counts change
                    self._after_data_change(change)
            else:  # leads came or went, or too many changed to update one by one
                self._reload_list(change)
        elif change.touches("offer"):
            self.detail.reload()  # its timeline names offers

    def _reload_list(self, change: Change) -> None:
        self.model.refresh(keep=self._rows_to_keep())
        self._after_data_change(change)

    def _rows_to_keep(self) -> int:
        """The rows down to the last one on screen or selected, and a page more."""
        view = self.table
        last = view.rowAt(view.viewport().height() - 1)
        if last < 0:
            last = self.model.rowCount() - 1
        selected = [index.row() for index in view.selectionModel().selectedRows()]
        return max([last, *selected]) + 1 + PAGE_SIZE

    def _reload_lead(self, lead_id: int) -> bool:
        """Update one lead's row and panel; False if the lead is gone."""
        try:
            lead = get_lead(lead_id)
        except NotFoundError:
            lead = None
        found = lead is not None and lead.status != LeadStatus.ERASED  # forgotten: not listed
        if lead is not None and found:
            self.model.update_lead(lead)
        else:
            self.model.remove_lead(lead_id)
        if self.detail.lead_id == lead_id:
            self.detail.reload()
        self.filter_bar.reload_choices()
        return found

    def _reload_everything(self) -> None:
        # A delete from the data that was replaced must not come back into the new data.
        if self._deleted:
            self._deleted.clear()
            self.sig_undo_changed.emit()
        self.filter_bar.reload_choices()
        self.model.set_query(self.model.query)
        self._after_data_change()

    def _reload_ladder(self) -> None:
        self.filter_bar.reload_choices()
        filters, query = self.filter_bar.query(), self.model.query
        if dataclasses.replace(filters, sort=query.sort, descending=query.descending) != query:
            # a step filtered on was removed (its combo fell back to "Any step"), or the
            # levels the filter's steps stand for moved
            self._apply_query(filters)
        else:
            self.model.refresh()
        self.detail.reload()

    def _after_data_change(self, change: Change = EVERYTHING) -> None:
        """Counts and choices again; the open lead stays selected, and its panel is read
        again only when ``change`` may have touched it."""
        self.filter_bar.reload_choices()
        self._update_total()
        self._update_counts()
        lead_id = self.detail.lead_id
        if lead_id is not None:
            if self.model.row_for_id(lead_id) is not None:
                # A refresh keeps the scroll where the owner left it; a new list shows the lead.
                self.select_lead(lead_id, scroll=change.everything)
            if change.touches_lead(lead_id):
                self.detail.reload()

    def selected_lead_ids(self) -> tuple[int, ...]:
        """Every selected row's lead, in the table's order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return tuple(lead.id for r in rows if (lead := self.model.lead_at(r)) is not None)

    def _on_table_selection_changed(self, *_args: object) -> None:
        loaded = self.model.rowCount()
        matching = self._counts[0] if self._counts is not None else loaded
        self.bulk_bar.update_selection(self.selected_lead_ids(), loaded, matching, self.model.query)

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        lead_id = current.data(LeadIdRole) if current.isValid() else None
        if lead_id != self.detail.lead_id:
            self.detail.show_lead(lead_id)
        self.sig_selection_changed.emit()

    # --- actions ----------------------------------------------------------------------

    def add_lead(self) -> None:
        from ui.leads import dialogs

        def submit(entry: dialogs.NewLead) -> LeadRow:
            return add_unless_forgotten(
                entry.email,
                again=entry.again,
                first_name=entry.first_name,
                last_name=entry.last_name,
                company=entry.company,
                phone=entry.phone,
                tags=entry.tags,
                now=self._clock(),
            )

        with self._events.publishing(self):
            lead = dialogs.AddLeadDialog.run(self, submit)
        if lead is None:
            return
        if not self.select_lead(lead.id):
            # Outside the loaded pages or the filters: show it anyway in the detail.
            self.table.clearSelection()
            self.detail.show_lead(lead.id)
        self.sig_status_message.emit(f"Added {lead.display_name}")

    def log_yes(self) -> None:
        from crm.book.timeline import record_commitment  # loaded by the first yes logged
        from ui.leads import dialogs

        self._log(dialogs.LogYesDialog, record_commitment, "their yes", "Logged a yes for")

    def log_ask(self) -> None:
        """Record an ask the owner made (any step, offer and time); it waits for an answer."""
        from crm.asking.asks import record_ask
        from ui.leads import dialogs

        self._log(dialogs.LogAskDialog, record_ask, "your ask", "Logged an ask to")

    def _log(
        self,
        dialog: type[dialogs.LogYesDialog],
        record: Callable[..., int],
        what: str,
        done: str,
    ) -> None:
        """Log a yes or an ask on the shown lead through ``dialog``, stored by ``record``."""
        lead = self.detail.lead or self.selected_lead()
        if lead is None:
            self.sig_status_message.emit(f"Select a lead first, then log {what}.")
            return

        def submit(entry: dialogs.NewYes) -> int:
            return record(
                lead.id,
                entry.step,
                at=entry.at,
                now=self._clock(),
                offer=entry.offer,
                note=entry.note,
            )

        offers = [o.name for o in list_offers()]
        with self._events.publishing(self):
            logged = dialog.run(self, lead, get_ladder(), offers, submit)
        if not logged:
            return
        self.sig_status_message.emit(f"{done} {lead.display_name}")

    def delete_selected(self) -> None:
        if self.bulk_bar.selection() is not None:  # several leads: one undoable change
            self.bulk_bar.delete()
            return
        lead = self.selected_lead()
        if lead is None:
            self.sig_status_message.emit("Select a lead to delete.")
            return
        from ui.leads import dialogs

        if not dialogs.confirm_delete(self, lead):
            return
        row = self.model.row_for_id(lead.id)
        with self._events.publishing(self):
            try:
                deleted = delete_lead(lead.id)
            except SmallyesError as exc:
                errors.show_error(self, exc)
                return
            self._deleted.append(deleted)
            self.model.remove_lead(lead.id)
            if row is not None and self.model.rowCount():
                nxt = self.model.lead_at(min(row, self.model.rowCount() - 1))
                if nxt is not None:
                    self.select_lead(nxt.id)
            else:
                self.detail.show_lead(None)
        self.sig_undo_changed.emit()
        self.sig_status_message.emit(f"Deleted {lead.display_name} — Ctrl+Z to undo")

    def can_undo(self) -> bool:
        return bool(self._deleted)

    def undo_text(self) -> str:
        if not self._deleted:
            return "Undo"
        lead = self._deleted[-1].lead
        name = " ".join(p for p in (lead.get("first_name"), lead.get("last_name")) if p)
        return f"Undo delete of {name or self._deleted[-1].email}"

    def undo(self) -> None:
        if not self._deleted:
            return
        deleted = self._deleted[-1]
        with self._events.publishing(self):
            try:
                lead = restore_deleted(deleted)
            except SmallyesError as exc:
                errors.show_error(self, exc)
                return
            self._deleted.pop()
        self.select_lead(lead.id)
        self.sig_undo_changed.emit()
        self.sig_status_message.emit(f"Restored {lead.display_name}")

    def set_import_handler(self, handler: Callable[[], object]) -> None:
        self.empty.import_button.setEnabled(True)
        self.empty.import_button.setToolTip("Bring in subscribers from a newsletter export")
        self.empty.import_button.clicked.connect(handler)

    def focus_search(self) -> None:
        self.filter_bar.focus_search()

    # --- demo data --------------------------------------------------------------------

    def load_demo(self) -> None:
        if self._runner.busy:
            return
        from crm.demo import load_demo  # only needed on demand: kept off the start-up path

        now = self._clock()

        def job(_progress: Progress, _cancel: CancelToken) -> dict[str, int]:
            return load_demo(leads=DEMO_LEADS, now=now)

        self.empty.set_busy(True)
        self.sig_status_message.emit("Loading the demo data…")
        self._runner.start(job)

    @property
    def runner(self) -> TaskRunner:
        return self._runner

    def _on_runner_finished(self, report: object) -> None:
        self.empty.set_busy(False)
        leads = report.get("leads", 0) if isinstance(report, dict) else 0
        self.sig_status_message.emit(f"Loaded {leads:,} demo leads")

    def _on_runner_failed(self, failure: JobFailure) -> None:
        self.empty.set_busy(False)
        errors.show_failure(self, failure)
