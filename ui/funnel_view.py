"""The Funnel page: the charts, their numbers beside them, filters, exports.

matplotlib (and its Qt canvas) is imported when the page is first built, never at start-up;
the app imports most of it on a side thread a few seconds after the window settles.
The numbers are computed off the GUI thread, so opening the page over 100,000 leads keeps
the window responsive; the charts are then drawn from the small result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crm.analytics.charts import DARK, LIGHT, REPORT_SIZE, Theme
from crm.analytics.funnel import (
    CHART_KINDS,
    NOT_TRACKED,
    Funnel,
    FunnelFilter,
    NumbersTable,
    compute_funnel,
)
from crm.analytics.revenue import REVENUE_CHARTS, revenue_tables, summary_lines
from crm.asking.ladder import step_by_key
from crm.book.leads import LeadQuery, all_sources, all_tags
from crm.changes import LEAD_TABLES, Change
from crm.jobs import CancelToken, Progress
from crm.timefmt import utc_now
from ui import errors
from ui.empty_state import lay_out_empty_state
from ui.events import AppEvents
from ui.style import styled
from ui.workers import JobFailure, TaskRunner

if TYPE_CHECKING:
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

    from ui.pages import Host

log = logging.getLogger(__name__)

FUNNEL = "funnel"
REVENUE = "revenue"  # the tab with the revenue charts, after one tab per chart kind
TAB_TITLES = {
    "funnel": "Funnel",
    "asks": "Asks",
    "offers": "Offers",
    "cohorts": "Cohorts",
    "velocity": "Velocity",
    REVENUE: "Revenue",
}
CHART_TITLES = {
    **TAB_TITLES,
    "revenue-by-offer": "Revenue by first free offer",
    "time-to-purchase": "Time to first purchase",
}
NO_SALE_TEXT = (
    "No sale in view yet. Import a sales export (Stripe, Gumroad, Shopify, PayPal) and "
    "each sale's amount shows here, per currency: which free offer and which source the "
    "buyers came by, and how long they took."
)
PERIODS = (
    ("All time", None),
    ("Last 30 days", 30),
    ("Last 90 days", 90),
    ("Last 12 months", 365),
    ("Custom…", -1),
)
PNG_DPI_CHOICES = ("100", "150", "200", "300")
_ROOT = QModelIndex()  # the parent of a flat table's rows
REFRESH_DELAY_MS = 400  # data changes come in bursts (an import): recompute once after
FILTER_CHARS = 20  # the widest a closed source or tag filter grows, in characters


def register_funnel_page(host: Host) -> None:
    """Add the Funnel page (Ctrl+3) to the main window; it is built when first opened."""

    def build() -> FunnelPage:
        page = FunnelPage(host.events, show_leads=host.show_leads, clock=host.clock)
        page.sig_status_message.connect(host.show_status)
        return page

    host.add_page(FUNNEL, "Funnel", build, "Ctrl+3")


# --- dialogs, kept in functions so tests can replace them ----------------------------------


@dataclass(frozen=True, slots=True)
class ChartTarget:
    path: Path
    dpi: int


def ask_chart_target(parent: QWidget, kind: str) -> ChartTarget | None:
    """Ask where to save a chart and, for a PNG, at which resolution."""
    name, chosen = QFileDialog.getSaveFileName(
        parent,
        "Export chart",
        f"{kind}-chart.png",
        "PNG image (*.png);;SVG vector image (*.svg);;PDF document (*.pdf)",
    )
    if not name:
        return None
    path = Path(name)
    if not path.suffix:
        path = path.with_suffix("." + chosen.split("*.")[-1].rstrip(")"))
    dpi = 150
    if path.suffix.lower() == ".png":
        choice, ok = QInputDialog.getItem(
            parent,
            "PNG resolution",
            "Dots per inch (150 suits a document, 300 a printed page):",
            PNG_DPI_CHOICES,
            1,
            False,
        )
        if not ok:
            return None
        dpi = int(choice)
    return ChartTarget(path, dpi)


def ask_report_path(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(
        parent, "Export report", "funnel-report.pdf", "PDF document (*.pdf)"
    )
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".pdf" else path.with_suffix(".pdf")


# --- the numbers table -------------------------------------------------------------------


class NumbersModel(QAbstractTableModel):
    """A chart's numbers: a handful of rows, replaced whole when the funnel changes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = NumbersTable("", (), (), ())
        self.name_tips = False  # the first cell as its tip, where a view cuts names short

    def set_table(self, table: NumbersTable) -> None:
        self.beginResetModel()
        self.table = table
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.table.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.table.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.table.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if self.table.rows[index.row()][index.column()] == NOT_TRACKED:
                return (
                    "No yes at this step is recorded for these leads and dates, "
                    "so how many reached it is not known."
                )
            if self.table.links[index.row()]:
                return "Double-click to list these leads"
            if self.name_tips and index.column() == 0:
                return self.table.rows[index.row()][0]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.table.columns[section]
        return None

    def link(self, row: int) -> tuple[str, str] | None:
        return self.table.links[row] if 0 <= row < len(self.table.links) else None


class NumbersView(QTableView):
    """The table beside a chart; Ctrl+C copies it as tab-separated text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.numbers = NumbersModel(self)
        self.setModel(self.numbers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        copy = QAction("Copy table", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.triggered.connect(self.copy_table)
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def copy_table(self) -> None:
        QGuiApplication.clipboard().setText(self.numbers.table.to_tsv())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # The whole table, not just the current cell as QTableView would copy.
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_table()
            event.accept()
            return
        super().keyPressEvent(event)


# --- empty state -----------------------------------------------------------------------


class EmptyChart(QWidget):
    """Shown instead of the charts when no lead in view has a yes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.action = QPushButton()
        self.title, self.text = lay_out_empty_state(
            self, "No data for the chart yet", "", self.action
        )

    def explain(self, filtered: bool) -> None:
        if filtered:
            self.text.setText(
                "No lead in this period and with these filters has said a yes. "
                "Widen the period or clear the source and tag filters."
            )
            self.action.setText("Show all time, all leads")
        else:
            self.text.setText(
                "The charts fill in as leads say yes. Log a yes on a lead's timeline "
                "(Ctrl+L on the Leads page), import a newsletter CSV, or load the demo data "
                "from the Leads page to look around."
            )
            self.action.setText("Go to the Leads page")
        self.text.setMinimumHeight(self.text.heightForWidth(560))


# --- the page --------------------------------------------------------------------------


def theme_for(palette: QPalette) -> Theme:
    """A chart theme that matches the app's palette (light or dark data colours)."""
    window = palette.color(QPalette.ColorRole.Window)
    base = DARK if window.lightness() < 128 else LIGHT
    return base.with_colors(
        background=window.name(),
        foreground=palette.color(QPalette.ColorRole.WindowText).name(),
        muted=palette.color(QPalette.ColorRole.PlaceholderText).name(),
    )


class ChartPanel(QWidget):
    """One chart on a canvas, with its numbers table beside it."""

    sig_link_activated = Signal(str, str)  # ("step", key) or ("offer", name)

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.kind = kind
        self.figure: Figure = Figure(figsize=REPORT_SIZE, layout="constrained")
        self.canvas: FigureCanvasQTAgg = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumSize(420, 300)
        self.canvas.setAccessibleName(f"{TAB_TITLES[kind]} chart")
        self.canvas.setAccessibleDescription("The numbers are in the table beside the chart.")
        self.canvas.mpl_connect("pick_event", self._on_canvas_pick)
        self.canvas.mpl_connect("motion_notify_event", self._on_canvas_motion)
        self.table = NumbersView()
        self.table.setAccessibleName(f"{TAB_TITLES[kind]} numbers")
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.caption = styled(QLabel(), "emptyText")
        self.caption.setWordWrap(True)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.table, 1)
        right_layout.addWidget(self.caption)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.canvas)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([620, 420])  # the table wide enough for its columns
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addWidget(self.splitter)
        self.drawn_for: tuple[int, str] | None = None  # (funnel id, theme) last drawn

    def show_funnel(self, funnel: Funnel, theme: Theme) -> None:
        from crm.analytics.charts import restyle
        from crm.analytics.funnel import numbers_table

        key = (id(funnel), repr(theme))
        if self.drawn_for != key:
            restyle(self.figure, self.kind, funnel, theme)
            self.canvas.draw_idle()
            self.drawn_for = key
        table = numbers_table(funnel, self.kind)
        if table != self.table.numbers.table:
            self.table.numbers.set_table(table)
        clickable = self.kind in ("funnel", "offers")
        self.caption.setText(
            "Click a bar or double-click a row to list those leads. Ctrl+C copies the table."
            if clickable
            else "Ctrl+C copies the table."
        )

    def _on_canvas_pick(self, event: Any) -> None:
        gid = event.artist.get_gid() or ""
        kind, _, value = gid.partition(":")
        if kind in ("step", "offer") and value:
            self.sig_link_activated.emit(kind, value)

    def _on_canvas_motion(self, event: Any) -> None:
        # A pointing hand over the bars a click opens: they look like links because they are.
        over = any(
            patch.get_gid() and patch.contains(event)[0]
            for ax in self.figure.axes
            for patch in ax.patches
        )
        if over:
            self.canvas.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.canvas.unsetCursor()

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        link = self.table.numbers.link(index.row())
        if link is not None:
            self.sig_link_activated.emit(*link)


class RevenuePanel(QWidget):
    """The Revenue tab: one currency at a time (never added up), its headline numbers,
    revenue by first free offer and days to a first purchase, and the tables beside them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure

        self.currency = QComboBox()
        self.currency.setAccessibleName("Currency")
        self.currency.setToolTip("Amounts in different currencies are never added together")
        self.currency.activated.connect(self._on_currency_activated)
        self.currency_label = QLabel("Currency")
        self.currency_label.setBuddy(self.currency)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.currency_label, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.currency, 0, Qt.AlignmentFlag.AlignTop)
        top.addSpacing(8)
        top.addWidget(self.summary, 1)

        self.figures: dict[str, Figure] = {}
        self.canvases: dict[str, FigureCanvasQTAgg] = {}
        charts = QSplitter(Qt.Orientation.Vertical)
        charts.setChildrenCollapsible(False)
        for kind in REVENUE_CHARTS:
            figure = Figure(figsize=REPORT_SIZE, layout="constrained")
            canvas = FigureCanvasQTAgg(figure)
            canvas.setMinimumSize(420, 240)
            canvas.setAccessibleName(f"{CHART_TITLES[kind]} chart")
            canvas.setAccessibleDescription("The numbers are in the tables beside the chart.")
            self.figures[kind], self.canvases[kind] = figure, canvas
            charts.addWidget(canvas)

        self.tables: list[tuple[QLabel, NumbersView]] = []
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 4, 0)
        for _ in range(4):  # by first offer, by source, by path, days to a first purchase
            title = styled(QLabel(), "sectionTitle")
            view = NumbersView()
            view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            view.horizontalHeader().setStretchLastSection(False)
            view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
            view.numbers.name_tips = True
            column.addWidget(title)
            column.addWidget(view)
            self.tables.append((title, view))
        column.addStretch(1)
        self.tables_area = QScrollArea()
        self.tables_area.setWidgetResizable(True)
        self.tables_area.setWidget(holder)
        self.caption = styled(QLabel("Ctrl+C copies the table that has the focus."), "emptyText")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.tables_area, 1)
        right_layout.addWidget(self.caption)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(charts)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([620, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.splitter, 1)
        self._funnel: Funnel | None = None
        self._theme: Theme | None = None
        self.drawn_for: tuple[int, str, str | None] | None = None  # funnel id, theme, currency

    def current_currency(self) -> str | None:
        """The ISO code shown, None when no sale is in view."""
        code = self.currency.currentData()
        return code if isinstance(code, str) else None

    def show_funnel(self, funnel: Funnel, theme: Theme) -> None:
        from crm.analytics.charts import restyle

        self._funnel, self._theme = funnel, theme
        codes = funnel.revenue.codes
        kept = self.current_currency()
        with QSignalBlocker(self.currency):
            self.currency.clear()
            for iso in codes:
                self.currency.addItem(iso, iso)
            self.currency.setCurrentIndex(max(self.currency.findData(kept), 0) if kept else 0)
        # One currency needs no choice; the sentence names it.
        several = len(codes) > 1
        self.currency_label.setVisible(several)
        self.currency.setVisible(several)
        code = self.current_currency()
        rev = funnel.revenue.of(code)
        key = (id(funnel), repr(theme), code)
        if self.drawn_for != key:
            for kind in REVENUE_CHARTS:
                restyle(self.figures[kind], kind, funnel, theme, currency=code)
                self.canvases[kind].draw_idle()
            self.drawn_for = key
        if rev is None:
            self.summary.setText(NO_SALE_TEXT)
        else:
            lines = summary_lines(rev)
            if several:
                lines.append("Each currency is counted on its own: pick another under Currency.")
            self.summary.setText(f"Revenue in {rev.currency}: " + "\n".join(lines))
        self.tables_area.setVisible(rev is not None)
        self.caption.setVisible(rev is not None)
        if rev is None:
            return
        for (title, view), table in zip(self.tables, revenue_tables(rev), strict=True):
            title.setText(table.title)
            view.setAccessibleName(table.title)
            if table != view.numbers.table:
                view.numbers.set_table(table)
                # The names take the room left, cut short if need be, so the numbers stay
                # in sight: a path of steps is wider than the pane. (A new table makes new
                # sections, so this follows it.)
                view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            rows = max(view.numbers.rowCount(), 1)
            view.setFixedHeight(
                view.horizontalHeader().sizeHint().height()
                + rows * view.verticalHeader().defaultSectionSize()
                + view.horizontalScrollBar().sizeHint().height()
                + 2 * view.frameWidth()
            )

    def _on_currency_activated(self, _index: int) -> None:
        if self._funnel is not None and self._theme is not None:
            self.show_funnel(self._funnel, self._theme)


class FunnelPage(QWidget):
    sig_status_message = Signal(str)
    sig_funnel_shown = Signal()  # the numbers are in and the charts drawn
    sig_export_done = Signal(object)  # the Path written

    # Long: it lays out the page's controls top to bottom, one block a control.
    def __init__(
        self,
        events: AppEvents,
        *,
        show_leads: Callable[[LeadQuery], None],
        clock: Callable[[], dt.datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._events = events
        self._show_leads = show_leads
        self._clock = clock
        self.funnel: Funnel | None = None
        self._pending = False  # the filters changed while a computation ran
        self._stale = True
        self._theme = theme_for(self.palette())

        self._runner = TaskRunner(self)
        self._runner.sig_progress.connect(self._on_runner_progress)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(self._on_runner_failed)
        self._runner.sig_cancelled.connect(self._on_runner_cancelled)
        self._export_runner = TaskRunner(self)
        self._export_runner.sig_finished.connect(self._on_export_runner_finished)
        self._export_runner.sig_failed.connect(self._on_export_runner_failed)

        # --- controls
        self.period = QComboBox()
        self.period.setAccessibleName("Period")
        for label, days in PERIODS:
            self.period.addItem(label, days)
        self.period.activated.connect(self._on_period_activated)
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-90))
        self.until = QDateEdit(today)
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.since.setAccessibleName("From")
        self.until.setAccessibleName("To")
        # Typing a date changes it digit by digit: wait for a pause before recomputing.
        self.since.dateChanged.connect(self._on_date_changed)
        self.until.dateChanged.connect(self._on_date_changed)
        self.dash = QLabel("to")
        self.source = QComboBox()
        self.source.setAccessibleName("Source filter")
        self.tag = QComboBox()
        self.tag.setAccessibleName("Tag filter")
        for combo in (self.source, self.tag):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            # A long tag or source name shows whole in the open list; closed, it must not
            # widen the bar (and with it the window) past a small screen.
            combo.setMaximumWidth(combo.fontMetrics().averageCharWidth() * FILTER_CHARS)
            combo.activated.connect(self._on_filters_changed)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.busy_label = styled(QLabel("Working out the numbers…"), "emptyText")
        # Shown while the charts recompute: it takes the room there is, and never widens
        # the window for a second.
        self.progress.setMinimumWidth(60)
        self.busy_label.setMinimumWidth(1)
        self.busy_label.hide()
        self.export_chart_button = QPushButton("Export chart…")
        self.export_chart_button.setToolTip(
            "Save the chart on screen as PNG, SVG or PDF (on white, for documents)"
        )
        self.export_chart_button.clicked.connect(self.export_chart)
        self.export_report_button = QPushButton("Export report…")
        self.export_report_button.setToolTip(
            "One PDF with every chart, its numbers, the period and the filters"
        )
        self.export_report_button.clicked.connect(self.export_report)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Period"))
        bar.addWidget(self.period)
        bar.addSpacing(12)
        bar.addWidget(self.source)
        bar.addWidget(self.tag)
        bar.addSpacing(12)
        bar.addWidget(self.progress)
        bar.addWidget(self.busy_label)
        bar.addStretch(1)
        bar.addWidget(self.export_chart_button)
        bar.addWidget(self.export_report_button)

        # --- charts: one tab each, with the numbers beside the chart
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.panels: dict[str, ChartPanel] = {}
        for kind in CHART_KINDS:
            panel = ChartPanel(kind)
            panel.sig_link_activated.connect(self._on_panel_link_activated)
            self.panels[kind] = panel
            self.tabs.addTab(panel, TAB_TITLES[kind])
        self.revenue_panel = RevenuePanel()
        self.tabs.addTab(self.revenue_panel, TAB_TITLES[REVENUE])
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        # On the Revenue tab the export button asks which of its two charts to save.
        self._revenue_export_menu = QMenu(self)
        for kind in REVENUE_CHARTS:
            action = self._revenue_export_menu.addAction(f"{CHART_TITLES[kind]}…")
            action.triggered.connect(lambda _checked=False, k=kind: self.export_chart(k))

        self.empty = EmptyChart()
        self.empty.action.clicked.connect(self._on_empty_action_clicked)
        self.loading = styled(
            QLabel("Working out the numbers…", alignment=Qt.AlignmentFlag.AlignCenter),
            "emptyText",
        )
        self.stack = QStackedWidget()
        self.stack.addWidget(self.loading)
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(self.empty)

        # A custom period's dates go on a line of their own: in the bar they pushed the
        # window wider than a 1024-pixel screen.
        self.range_row = QWidget()
        range_layout = QHBoxLayout(self.range_row)
        range_layout.setContentsMargins(0, 0, 0, 0)
        range_layout.addWidget(QLabel("From"))
        range_layout.addWidget(self.since)
        range_layout.addWidget(self.dash)
        range_layout.addWidget(self.until)
        range_layout.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(bar)
        layout.addWidget(self.range_row)
        layout.addWidget(self.stack, 1)

        self._refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        events.changed.connect(self._on_events_changed)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

        self._update_period_controls()
        self.reload_choices()
        self.refresh()

    # --- public ----------------------------------------------------------------------

    @property
    def runner(self) -> TaskRunner:
        return self._runner

    @property
    def export_runner(self) -> TaskRunner:
        return self._export_runner

    def current_kind(self) -> str:
        """The chart kind of the tab shown, or REVENUE for the Revenue tab."""
        index = self.tabs.currentIndex()
        return CHART_KINDS[index] if index < len(CHART_KINDS) else REVENUE

    def panel(self, kind: str) -> ChartPanel:
        return self.panels[kind]

    def current_filter(self) -> FunnelFilter:
        days = self.period.currentData()
        since = until = None
        if days == -1:
            since = _day_start(self.since.date())
            until = _day_start(self.until.date()) + dt.timedelta(days=1)
        elif days:
            until = self._clock()
            since = until - dt.timedelta(days=days)
        return FunnelFilter(
            since=since, until=until, source=self.source.currentData(), tag=self.tag.currentData()
        )

    def set_filter(
        self, *, period: str | None = None, source: str | None = None, tag: str | None = None
    ) -> None:
        """Pick filters as a user would (``period`` is a label of PERIODS) and recompute."""
        if period is not None:
            self.period.setCurrentIndex(self.period.findText(period))
            self._update_period_controls()
        for combo, value in ((self.source, source), (self.tag, tag)):
            combo.setCurrentIndex(max(combo.findData(value), 0) if value else 0)
        self.refresh()

    def reload_choices(self) -> None:
        _fill(self.source, "All sources", all_sources())
        _fill(self.tag, "All tags", all_tags())

    def refresh(self) -> None:
        """Recompute the numbers in the background for the current filters."""
        self._refresh_timer.stop()
        flt = self.current_filter()
        if flt.since and flt.until and flt.since >= flt.until:
            self.sig_status_message.emit("The period ends before it starts: pick a later end.")
            return
        if self._runner.busy:
            self._pending = True
            self._runner.cancel()
            return
        self._pending = False
        self._stale = False

        def job(progress: Progress, cancel: CancelToken) -> Funnel:
            return compute_funnel(flt, progress=progress, cancel=cancel)

        self.progress.setRange(0, 0)
        self.progress.show()
        self.busy_label.show()
        if self.funnel is None:
            self.stack.setCurrentWidget(self.loading)
        self._runner.start(job)

    def export_chart(self, kind: str | None = None) -> None:
        """Save the chart on screen. On the Revenue tab ``kind`` names one of its two
        charts, saved in the currency shown; without it the button's menu asks which."""
        if self.funnel is None or self._export_runner.busy:
            return
        chosen = self.current_kind()
        currency = None
        if chosen == REVENUE:
            if kind is None or kind not in REVENUE_CHARTS:
                # Two charts on this tab: the button asks which one.
                button = self.export_chart_button
                self._revenue_export_menu.popup(button.mapToGlobal(button.rect().bottomLeft()))
                return
            chosen, currency = kind, self.revenue_panel.current_currency()
        target = ask_chart_target(self, chosen)
        if target is None:
            return
        funnel = self.funnel

        def job(_progress: Progress, _cancel: CancelToken) -> Path:
            from crm.analytics.charts import build_chart, save_figure

            # Exports use the light theme: they go into documents and slides.
            fig = build_chart(chosen, funnel, LIGHT, currency=currency)
            return save_figure(fig, target.path, dpi=target.dpi)

        self.sig_status_message.emit(f"Exporting the {CHART_TITLES[chosen].lower()} chart…")
        self._export_runner.start(job)

    def export_report(self) -> None:
        if self.funnel is None or self._export_runner.busy:
            return
        path = ask_report_path(self)
        if path is None:
            return
        funnel, made_at = self.funnel, self._clock()

        def job(progress: Progress, cancel: CancelToken) -> Path:
            from crm.analytics.report import write_report

            return write_report(funnel, path, made_at=made_at, progress=progress, cancel=cancel)

        self.sig_status_message.emit("Writing the report…")
        self._export_runner.start(job)

    def shutdown(self) -> None:
        self._refresh_timer.stop()
        self._runner.shutdown()
        self._export_runner.shutdown()

    # --- showing results -------------------------------------------------------------

    def _show(self) -> None:
        funnel = self.funnel
        if funnel is None:
            return
        if funnel.empty:
            flt = funnel.filter
            self.empty.explain(bool(flt.has_period or flt.source or flt.tag))
            self.stack.setCurrentWidget(self.empty)
        else:
            self.stack.setCurrentWidget(self.tabs)
            self._show_current(funnel)
        has_data = not funnel.empty
        self.export_chart_button.setEnabled(has_data)
        self.export_report_button.setEnabled(has_data)
        self.sig_funnel_shown.emit()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            theme = theme_for(self.palette())
            if theme != self._theme:
                self._theme = theme
                if self.funnel is not None and not self.funnel.empty:
                    self._show_current(self.funnel)
        super().changeEvent(event)

    def _show_current(self, funnel: Funnel) -> None:
        """Draw the tab on screen (the others are drawn when first shown)."""
        kind = self.current_kind()
        if kind == REVENUE:
            self.revenue_panel.show_funnel(funnel, self._theme)
        else:
            self.panels[kind].show_funnel(funnel, self._theme)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale and not self._runner.busy:
            self.reload_choices()
            self.refresh()

    # --- slots -----------------------------------------------------------------------

    def _on_period_activated(self, _index: int) -> None:
        self._update_period_controls()
        self._on_filters_changed()

    def _update_period_controls(self) -> None:
        self.range_row.setVisible(self.period.currentData() == -1)

    def _on_filters_changed(self, *_args: object) -> None:
        self.refresh()

    def _on_date_changed(self, _date: QDate) -> None:
        self._refresh_timer.start()

    def _on_tabs_current_changed(self, _index: int) -> None:
        if self.funnel is not None and not self.funnel.empty:
            self._show_current(self.funnel)

    def _on_panel_link_activated(self, kind: str, value: str) -> None:
        flt = self.funnel.filter if self.funnel is not None else self.current_filter()
        # The list holds the people the bar counts: with a period, those whose yes (at
        # the step or higher, or about the offer) is dated inside it.
        base = LeadQuery(source=flt.source, tag=flt.tag, yes_since=flt.since, yes_until=flt.until)
        if kind == "step":
            step = step_by_key(value)
            query = dataclasses.replace(base, min_level=step.level)
            what = f"leads who reached {step.label} or higher"
        else:
            query = dataclasses.replace(base, offer=value)
            what = f"leads who took “{value}”"
        period = f", {flt.period_text()}" if flt.has_period else ""
        self._show_leads(query)
        self.sig_status_message.emit(f"Showing {what}{period}")

    def _on_empty_action_clicked(self) -> None:
        flt = self.current_filter()
        if flt.has_period or flt.source or flt.tag:
            self.set_filter(period="All time")
        else:
            self._show_leads(LeadQuery())

    def _on_events_changed(self, change: Change, _origin: object) -> None:
        if not change.touches(*LEAD_TABLES, "step", "offer", "sale", "refund"):
            return  # the pacing, say: no count changes
        self._stale = True
        if self.isVisible():
            self.reload_choices()
            self._refresh_timer.start()

    def _on_runner_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def _done(self) -> None:
        self.progress.hide()
        self.busy_label.hide()

    def _on_runner_finished(self, funnel: Funnel) -> None:
        self._done()
        self.funnel = funnel
        self._show()
        if self._pending:
            self.refresh()

    def _on_runner_cancelled(self) -> None:
        self._done()
        if self._pending:
            self.refresh()

    def _on_runner_failed(self, failure: JobFailure) -> None:
        self._done()
        if self.funnel is None:
            self.stack.setCurrentWidget(self.tabs)
        errors.show_failure(self, failure)

    def _on_export_runner_finished(self, path: Path) -> None:
        self.sig_status_message.emit(f"Saved {path}")
        self.sig_export_done.emit(path)

    def _on_export_runner_failed(self, failure: JobFailure) -> None:
        self.sig_status_message.emit("Nothing was saved.")  # not a lingering "Exporting…"
        errors.show_failure(self, failure)


def _fill(combo: QComboBox, everything: str, values: list[str]) -> None:
    current = combo.currentData()
    with QSignalBlocker(combo):
        combo.clear()
        combo.addItem(everything, None)
        for value in values:
            combo.addItem(value, value)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(index, 0))


def _day_start(date: QDate) -> dt.datetime:
    """Midnight starting the picked day, local time, as naive UTC like every stored time."""
    from crm.timefmt import to_utc

    return to_utc(dt.datetime(date.year(), date.month(), date.day()))
