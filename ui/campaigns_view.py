"""The Campaigns page: every ask sent through the newsletter tool, with its numbers.

One row per campaign (``crm.asking.campaigns``): what it asked for, whom, through which
tool, and so far how many said yes (answered by the yeses imported since), not now, no
answer, still pending, the conversion and the median time to a yes. A chart of asked
against yes sits below. **New campaign…** opens the campaign dialog; **Undo campaign**
removes a campaign's asks that are still pending (those answered stay). The list reloads
when asks or campaigns change, wherever they changed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from crm.asking.campaigns import CampaignRow, UndoneCampaign, list_campaigns, undo_campaign
from crm.changes import Change
from crm.jobs import CancelToken, Progress
from crm.timefmt import local, utc_now
from ui import errors
from ui.events import AppEvents
from ui.style import styled
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

    from ui.pages import Host

log = logging.getLogger(__name__)

CAMPAIGNS = "campaigns"
EMPTY_TEXT = (
    "No campaign yet. A campaign asks many leads at once through your newsletter tool: "
    "pick a step and the leads (a filter, a segment or a Today group), and Smallyes writes "
    "the file your tool imports and remembers who was asked. New campaign… starts one."
)


class Column(IntEnum):
    CAMPAIGN = 0
    MADE = 1
    TOOL = 2
    WHO = 3
    ASKED = 4
    YES = 5
    NOT_NOW = 6
    NO_ANSWER = 7
    PENDING = 8
    CONVERSION = 9
    DAYS = 10


HEADERS = {
    Column.CAMPAIGN: "Campaign",
    Column.MADE: "Made",
    Column.TOOL: "Tool",
    Column.WHO: "Who",
    Column.ASKED: "Asked",
    Column.YES: "Yes",
    Column.NOT_NOW: "Not now",
    Column.NO_ANSWER: "No answer",
    Column.PENDING: "Pending",
    Column.CONVERSION: "Conversion",
    Column.DAYS: "Days to yes",
}
NUMBERS = frozenset(set(Column) - {Column.CAMPAIGN, Column.MADE, Column.TOOL, Column.WHO})
RowRole = Qt.ItemDataRole.UserRole + 1
_ROOT = QModelIndex()


def cell_text(row: CampaignRow, column: Column) -> str:
    if column is Column.CAMPAIGN:
        return f"{row.id} · {row.name}" + ("  (undone)" if row.undone_at else "")
    if column is Column.MADE:
        return f"{local(row.created_at):%Y-%m-%d}"
    if column is Column.TOOL:
        return row.platform_label
    if column is Column.WHO:
        return row.audience
    if column is Column.CONVERSION:
        return "–" if row.conversion is None else f"{row.conversion:.0%}"
    if column is Column.DAYS:
        return "–" if row.median_days_to_yes is None else f"{row.median_days_to_yes:.1f}"
    value = {
        Column.ASKED: row.asked,
        Column.YES: row.accepted,
        Column.NOT_NOW: row.declined,
        Column.NO_ANSWER: row.no_response,
        Column.PENDING: row.pending,
    }[column]
    return f"{value:,}"


class CampaignsModel(QAbstractTableModel):
    """The campaigns, newest first (a short list: loaded whole)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[CampaignRow] = []

    def set_rows(self, rows: list[CampaignRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[Column(section)]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBERS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column is Column.NO_ANSWER:
                return "Marked no answer, or still pending past the follow-up time"
            if column is Column.CAMPAIGN and row.tag:
                return f"Tagged '{row.tag}' in the file for {row.platform_label}: {row.file_name}"
            if column is Column.CAMPAIGN and row.undone_at:
                return (
                    f"Undone {local(row.undone_at):%Y-%m-%d}: {row.removed:,} pending asks "
                    f"removed, {row.kept:,} answered kept"
                )
        if role == RowRole:
            return row
        return None


def confirm_undo(parent: QWidget, row: CampaignRow) -> bool:
    """Ask before undoing a campaign (a function, so tests can replace it)."""
    answer = QMessageBox.question(
        parent,
        "Undo campaign",
        f"Remove the {row.pending + row.no_response:,} asks of campaign {row.id} "
        f"({row.name}) that are still unanswered? The {row.accepted + row.declined:,} "
        "answered stay on the leads' timelines. The file you imported into your tool is not "
        "touched there.",
    )
    return answer == QMessageBox.StandardButton.Yes


class CampaignsPage(QWidget):
    """The campaigns with their numbers, a chart, and New campaign… / Undo campaign."""

    sig_status_message = Signal(str)

    def __init__(
        self,
        events: AppEvents,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        new_campaign: Callable[[QWidget], object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        from crm.analytics.charts import REPORT_SIZE

        self._events = events
        self._clock = clock
        self._new_campaign = new_campaign
        self._runner = TaskRunner(self)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(self._on_runner_failed)
        self._undo_runner = TaskRunner(self, writes=True, events=events)
        self._undo_runner.sig_finished.connect(self._on_undo_runner_finished)
        self._undo_runner.sig_failed.connect(self._on_undo_runner_failed)
        self._stale = False

        title = styled(QLabel("Campaigns"), "detailTitle")
        self.new_button = QPushButton("New campaign…")
        self.new_button.setToolTip("Ask many leads at once through your newsletter tool")
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.undo_button = QPushButton("Undo campaign")
        self.undo_button.setToolTip(
            "Remove the selected campaign's asks still unanswered; answered ones stay"
        )
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.new_button)
        top.addWidget(self.undo_button)

        self.model = CampaignsModel(self)
        self.table = QTableView()
        self.table.setAccessibleName("Campaigns")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.WHO, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self.empty = styled(QLabel(EMPTY_TEXT), "emptyText")
        self.empty.setWordWrap(True)

        self.figure: Figure = Figure(figsize=REPORT_SIZE, layout="constrained")
        self.canvas: FigureCanvasQTAgg = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(260)
        self.canvas.setAccessibleName("Campaigns chart")
        self.canvas.setAccessibleDescription("Asked and said yes per campaign; the table has them.")

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.empty)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(self.canvas)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([300, 340])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)

        events.changed.connect(self._on_events_changed)
        events.database_swapped.connect(self.reload)
        self._update_buttons()
        self.reload()

    # --- loading ------------------------------------------------------------------------

    def reload(self) -> None:
        if self._runner.busy:
            self._stale = True
            return
        now = self._clock()

        def job(_progress: Progress, _cancel: CancelToken) -> list[CampaignRow]:
            return list_campaigns(now)

        self._runner.start(job)

    def _on_runner_finished(self, rows: list[CampaignRow]) -> None:
        if self._stale:
            self._stale = False
            self.reload()
            return
        chosen = self.selected()
        self.model.set_rows(rows)
        self.table.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        if chosen is not None:
            for i, row in enumerate(rows):
                if row.id == chosen.id:
                    self.table.selectRow(i)
        self._draw()
        self._update_buttons()

    def _on_runner_failed(self, failure: JobFailure) -> None:
        self._stale = False
        errors.show_failure(self, failure)

    def _on_events_changed(self, change: Change, _origin: object) -> None:
        if change.everything or change.touches("campaign", "ask"):
            self.reload()

    def _draw(self) -> None:
        from crm.analytics.charts import draw_campaigns
        from ui.funnel_view import theme_for

        self.figure.clear()
        draw_campaigns(self.figure, self.model.rows, theme_for(self.palette()))
        self.canvas.draw_idle()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._draw()
        super().changeEvent(event)

    # --- actions ------------------------------------------------------------------------

    def selected(self) -> CampaignRow | None:
        index = self.table.currentIndex()
        return self.model.data(index, RowRole) if index.isValid() else None

    def _update_buttons(self) -> None:
        row = self.selected()
        self.undo_button.setEnabled(
            row is not None and row.undone_at is None and not self._undo_runner.busy
        )
        self.new_button.setEnabled(self._new_campaign is not None)

    def _on_table_current_row_changed(self, *_args: object) -> None:
        self._update_buttons()

    def _on_new_button_clicked(self) -> None:
        if self._new_campaign is not None:
            self._new_campaign(self)

    def _on_undo_button_clicked(self) -> None:
        row = self.selected()
        if row is None or row.undone_at is not None or not confirm_undo(self, row):
            return
        now = self._clock()

        def job(_progress: Progress, _cancel: CancelToken) -> UndoneCampaign:
            return undo_campaign(row.id, now=now)

        self._undo_runner.start(job)
        self._update_buttons()

    def _on_undo_runner_finished(self, done: UndoneCampaign) -> None:
        self.sig_status_message.emit(done.words)
        self._update_buttons()

    def _on_undo_runner_failed(self, failure: JobFailure) -> None:
        errors.show_failure(self, failure)
        self._update_buttons()

    def shutdown(self) -> None:
        self._runner.shutdown()
        self._undo_runner.shutdown()


def register_campaigns_page(host: Host) -> None:
    """Add the Campaigns page (Ctrl+6); it is built when first opened. New campaign…
    starts from the leads the Leads page's filter shows, when it has filters."""

    def new_campaign(parent: QWidget) -> object:
        from ui.campaign_dialog import open_campaign_dialog

        bar = host.leads_page.filter_bar
        who = bar.query() if bar.has_filters() else None
        return open_campaign_dialog(parent, None, None, who, events=host.events, clock=host.clock)

    def build() -> CampaignsPage:
        page = CampaignsPage(host.events, clock=host.clock, new_campaign=new_campaign)
        page.sig_status_message.connect(host.show_status)
        host.on_shutdown(page.shutdown)
        return page

    host.add_page(CAMPAIGNS, "Campaigns", build, "Ctrl+6")
