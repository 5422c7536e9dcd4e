"""The main window: a sidebar of pages, the menus, the status bar.

The window is the :class:`~ui.pages.Host` pages plug into: each registers its sidebar entry
(:meth:`MainWindow.add_page`, built the first time it is shown), its menu items by section
(:meth:`MainWindow.add_menu_actions`) and what it stops at shutdown. The window owns its
menus; every page gets the window's :class:`~ui.events.AppEvents` to follow data changes,
its own and, through :class:`~ui.live_refresh.LiveRefresh`, those other processes make.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from crm.book.leads import LeadQuery
from crm.logsetup import log_file
from crm.timefmt import utc_now
from ui.drops import dropped_file
from ui.events import AppEvents
from ui.leads.page import LeadsPage
from ui.live_refresh import LiveRefresh
from ui.pages import MenuPlace
from ui.segments import SegmentSection
from ui.settings import Settings
from ui.style import app_icon, styled

if TYPE_CHECKING:
    from ui.import_wizard import Imports
    from ui.leads.suggestion_box import SuggestionBox
    from ui.today import TodayPage

log = logging.getLogger(__name__)

LEADS = "leads"
IMPORT_NOT_READY = "CSV import is not available in this build yet."
IMPORT_TIP = "Bring in subscribers from a newsletter export"
DEMO_TIP = "Fill an empty database with a realistic sample of leads"


@dataclass
class _Page:
    key: str
    title: str
    factory: Callable[[], QWidget]
    item: QListWidgetItem
    action: QAction
    widget: QWidget | None = None


def app_version() -> str:
    from importlib import metadata  # only the About box needs it: kept off the start-up path

    try:
        return metadata.version("smallyes")
    except metadata.PackageNotFoundError:  # the one-folder build carries no metadata
        from crm import __version__

        return __version__


def show_about(window: MainWindow) -> None:
    """The About box: version, licence, where the data and the log are."""
    box = QMessageBox(window)
    box.setWindowTitle("About Smallyes")
    box.setIconPixmap(app_icon().pixmap(64, 64))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(f"Smallyes {app_version()}")
    box.setInformativeText(
        "A desktop CRM for solo business owners that turns small yeses into sales.\n\n"
        "Licence: MIT\n"
        f"Your data: {window.db_path}\n"
        f"Log file: {log_file()}\n\n"
        "Everything stays on this computer."
    )
    open_folder = box.addButton("Open data folder", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    if box.clickedButton() is open_folder:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(window.db_path.parent)))


class MainWindow(QMainWindow):
    sig_extensions_installed = Signal()

    def __init__(
        self,
        db_path: Path,
        *,
        settings: Settings | None = None,
        events: AppEvents | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        defer_extensions: bool = False,
    ) -> None:
        """``defer_extensions``: install the other pages, the import and the suggestions
        just after the lead list first paints (the app does this; tests build it all now)."""
        super().__init__()
        self.db_path = db_path
        self.settings = settings if settings is not None else Settings()
        self.events = events if events is not None else AppEvents(self)
        self.clock = clock
        self._pages: dict[str, _Page] = {}
        self._import_handler: Callable[[Path | None], object] | None = None
        # Each menu section ends at a separator: a page's items go just before it.
        self._section_ends: dict[MenuPlace, QAction] = {}
        self._shutdowns: list[Callable[[], None]] = []

        self.setWindowTitle("Smallyes")
        self.setWindowIcon(app_icon())

        self.sidebar = styled(QListWidget(), "sidebar")
        self.sidebar.setFixedWidth(170)
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setAccessibleName("Pages")
        self.sidebar.currentItemChanged.connect(self._on_sidebar_current_item_changed)
        # The pages take the height they need; the saved segments go below them.
        self.sidebar.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.sidebar.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Maximum)
        side = QWidget()
        side.setFixedWidth(170)
        self._side_column = QVBoxLayout(side)
        self._side_column.setContentsMargins(0, 0, 0, 0)
        self._side_column.setSpacing(0)
        self._side_column.addWidget(self.sidebar)
        self.stack = QStackedWidget()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(side)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self._build_status_bar()

        # The Leads page is built now: it is what the window opens on.
        self.leads_page = LeadsPage(self.events, self.settings, clock=clock)
        self.leads_page.sig_counts_changed.connect(self._on_leads_page_counts_changed)
        self.leads_page.sig_status_message.connect(self._on_leads_page_status_message)
        self.leads_page.sig_undo_changed.connect(self._update_actions)
        self.leads_page.sig_selection_changed.connect(self._update_actions)
        # A click makes the row current before it selects it: Delete follows the selection.
        self.leads_page.table.selectionModel().selectionChanged.connect(
            lambda *_: self._update_actions()
        )
        self.leads_page.table.addAction(self.delete_action)
        self.add_page(LEADS, "Leads", lambda: self.leads_page, "Ctrl+1")
        # Saved segments, under the pages: each opens the lead list with its filter.
        self.segments = SegmentSection(
            self.events, self.leads_page, lambda: self.show_page(LEADS), clock
        )
        self.segments.sig_status_message.connect(self.show_status)
        self._side_column.addWidget(self.segments, 1)
        self.on_shutdown(self.segments.shutdown)
        self.today_page: TodayPage | None = None
        self.suggestion_box: SuggestionBox | None = None
        self.imports: Imports | None = None
        self.extensions_installed = False
        if not defer_extensions:
            self._install_extensions()
        elif self.leads_page.is_empty:
            QTimer.singleShot(0, self._install_extensions)
        else:
            # After this paint event is done: the lead list shows before the rest loads.
            self.leads_page.sig_first_rows_painted.connect(
                lambda: QTimer.singleShot(0, self._install_extensions)
            )
        self.show_page(LEADS)
        if (counts := self.leads_page.counts) is not None:
            self._on_leads_page_counts_changed(*counts)
        self._update_actions()

        if (geometry := self.settings.window_geometry) is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

        # What a command or a second window changes shows here too.
        self.live = LiveRefresh(self.events, db_path, self)
        self.live.sig_status.connect(self.show_status)
        self.live.sig_stopped.connect(lambda message: self.show_status(message, 0))
        self.live.start()

    def _install_extensions(self) -> None:
        """The Today, Funnel and Campaigns pages, the CSV import and the next-ask suggestions.

        Their modules load here, not when this module loads, so the lead list can paint
        first when the app starts.
        """
        if self.extensions_installed:
            return
        self.extensions_installed = True
        from ui import import_wizard
        from ui.campaigns_view import register_campaigns_page
        from ui.changes_page import register_changes_page
        from ui.funnel_view import register_funnel_page
        from ui.leads.suggestion_box import attach_suggestion_box
        from ui.today import register_today_page

        self.today_page = register_today_page(self)
        if self.today_page is not None:
            # "Ask them through my newsletter" on a Today group: a campaign to those leads
            self.today_page.sig_group_newsletter_requested.connect(self._on_group_newsletter)
        register_funnel_page(self)
        self.imports = import_wizard.register_import(self)
        register_changes_page(self)  # the bulk changes, beside the imports
        register_campaigns_page(self)
        self.setAcceptDrops(True)  # a CSV dropped anywhere on the window opens the import
        self.suggestion_box = attach_suggestion_box(
            self.leads_page.detail, self.leads_page.sig_selection_changed, self.events, self.clock
        )
        self.suggestion_box.sig_status_message.connect(self.show_status)
        self.suggestion_box.sig_log_ask_requested.connect(self._on_log_ask_triggered)
        self.sig_extensions_installed.emit()

    # --- public API for pages -----------------------------------------------------------

    def add_page(
        self,
        key: str,
        title: str,
        factory: Callable[[], QWidget],
        shortcut: str | None = None,
        icon: QIcon | None = None,
    ) -> QAction:
        """Register a page; it is built by ``factory`` the first time it is shown."""
        if key in self._pages:
            raise ValueError(f"a page with key {key!r} is already registered")
        item = QListWidgetItem(icon or QIcon(), title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        action = QAction(title, self, checkable=True)
        if icon is not None:
            action.setIcon(icon)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            keys = QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)
            item.setToolTip(f"{title} ({keys})")
        action.triggered.connect(lambda _=False, k=key: self.show_page(k))
        self._page_group.addAction(action)
        self.view_menu.addAction(action)
        self._pages[key] = _Page(key, title, factory, item, action)
        self.sidebar.addItem(item)
        return action

    def set_page_label(self, key: str, text: str, tooltip: str = "") -> None:
        """Change a page's sidebar text (a count beside its title, say)."""
        item = self._pages[key].item
        item.setText(text)
        if tooltip:
            item.setToolTip(tooltip)

    def add_menu_actions(self, place: MenuPlace, actions: Sequence[QAction]) -> None:
        """Add a page's menu items at the end of their section, in the order given."""
        end = self._section_ends[place]
        menu = end.parent()
        assert isinstance(menu, QMenu)
        for action in actions:
            menu.insertAction(end, action)

    def on_shutdown(self, stop: Callable[[], None]) -> None:
        """Call ``stop`` when the window closes, before the book does."""
        self._shutdowns.append(stop)

    def as_widget(self) -> QWidget:
        return self

    def show_page(self, key: str) -> QWidget:
        """Show the page, building it first if this is its first showing."""
        page = self._pages[key]
        if page.widget is None:
            page.widget = page.factory()
            self.stack.addWidget(page.widget)
        self.stack.setCurrentWidget(page.widget)
        if self.sidebar.currentItem() is not page.item:
            self.sidebar.setCurrentItem(page.item)
        page.action.setChecked(True)
        return page.widget

    def page(self, key: str) -> QWidget | None:
        """The page's widget if it has been built."""
        page = self._pages.get(key)
        return page.widget if page else None

    def current_page_key(self) -> str | None:
        widget = self.stack.currentWidget()
        return next((k for k, p in self._pages.items() if p.widget is widget), None)

    def show_leads(self, query: LeadQuery) -> None:
        """Switch to Leads filtered by ``query`` (chart click-through, a Today item...)."""
        self.show_page(LEADS)
        self.leads_page.show_query(query)

    def set_import_handler(self, handler: Callable[[Path | None], object]) -> None:
        """Enable File ▸ Import CSV…, the empty state's import button and dropped files;
        ``handler`` gets the dropped file, or ``None`` to let the user choose one."""
        self._import_handler = handler
        self.import_action.setEnabled(True)
        self.import_action.setToolTip(IMPORT_TIP)
        self.leads_page.set_import_handler(lambda: handler(None))

    def _on_import_triggered(self) -> None:
        if self._import_handler is not None:
            self._import_handler(None)

    def _on_group_newsletter(self, step: str, offer: str | None, lead_ids: list[int]) -> None:
        from ui.campaign_dialog import open_campaign_dialog

        open_campaign_dialog(
            self,
            step,
            offer,
            tuple(lead_ids),
            events=self.events,
            clock=self.clock,
            who_words=f"{len(lead_ids):,} leads from Today",
        )

    def show_status(self, message: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(message, timeout_ms)

    # --- menus --------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.setToolTipsVisible(True)
        self.import_action = self._action("&Import CSV…", self._on_import_triggered, "Ctrl+I")
        self.import_action.setEnabled(False)
        self.import_action.setToolTip(IMPORT_NOT_READY)
        self.demo_action = self._action(
            "Load &demo data",
            lambda: self.leads_page.load_demo(),
            tip=DEMO_TIP,
        )
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        file_menu.addAction(self.import_action)
        file_menu.addAction(self.demo_action)
        file_menu.addSeparator()
        self._section_ends[MenuPlace.FILE_DATA] = file_menu.addSeparator()
        file_menu.addAction(quit_action)

        edit_menu = bar.addMenu("&Edit")
        self.undo_action = self._action("&Undo", lambda: self.leads_page.undo(), "Ctrl+Z")
        self.add_action = self._action("&Add lead…", self._on_add_triggered, "Ctrl+N")
        self.log_yes_action = self._action("&Log a yes…", self._on_log_yes_triggered, "Ctrl+L")
        self.log_ask_action = self._action(
            "Log an as&k…", self._on_log_ask_triggered, "Ctrl+Shift+L"
        )
        self.delete_action = self._action(
            "&Delete lead",
            lambda: self.leads_page.delete_selected(),
            QKeySequence.StandardKey.Delete,
        )
        # Delete acts on the table only: in a text field the key deletes text.
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.find_action = self._action(
            "&Find…", self._on_find_triggered, QKeySequence.StandardKey.Find
        )
        self.ladder_action = self._action(
            "Ladder && &offers…",
            self._on_ladder_triggered,
            tip="Rename, reorder and reword the steps; add, rename and retire offers",
        )
        self.pacing_action = self._action(
            "&Pacing…",
            self._on_pacing_triggered,
            tip="How long to wait between asks, and when to pause",
        )
        for action in (
            self.undo_action,
            None,
            self.add_action,
            self.log_yes_action,
            self.log_ask_action,
            self.delete_action,
            None,
            self.find_action,
        ):
            if action is None:
                edit_menu.addSeparator()
            else:
                edit_menu.addAction(action)
        # Separators collapse: a section no page filled shows as nothing.
        edit_menu.addSeparator()
        self._section_ends[MenuPlace.EDIT_LEAD] = edit_menu.addSeparator()
        edit_menu.addAction(self.ladder_action)
        edit_menu.addAction(self.pacing_action)
        self._section_ends[MenuPlace.EDIT_SETTINGS] = edit_menu.addSeparator()

        self.view_menu = bar.addMenu("&View")
        self._page_group = QActionGroup(self)
        self._page_group.setExclusive(True)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self._action("&About Smallyes", lambda: show_about(self)))

    def _build_status_bar(self) -> None:
        self.count_label = QLabel()
        self.path_label = QLabel(f"Database: {self.db_path}")
        self.path_label.setToolTip(str(self.db_path))
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.path_label)

    def _update_actions(self) -> None:
        page = self.leads_page
        self.undo_action.setEnabled(page.can_undo())
        self.undo_action.setText(page.undo_text())
        has_lead = page.selected_lead_id() is not None or page.detail.lead_id is not None
        self.log_yes_action.setEnabled(has_lead)
        self.log_ask_action.setEnabled(has_lead)
        self.delete_action.setEnabled(page.selected_lead_id() is not None)

    # --- slots --------------------------------------------------------------------------

    def _on_add_triggered(self) -> None:
        self.show_page(LEADS)
        self.leads_page.add_lead()

    def _on_log_yes_triggered(self) -> None:
        self.show_page(LEADS)
        self.leads_page.log_yes()

    def _on_log_ask_triggered(self) -> None:
        self.show_page(LEADS)
        self.leads_page.log_ask()

    def _on_find_triggered(self) -> None:
        self.show_page(LEADS)
        self.leads_page.focus_search()

    def _on_ladder_triggered(self) -> None:
        from ui.ladder_dialog import open_ladder_dialog  # a dialog: loaded when first opened

        open_ladder_dialog(self, self.events)

    def _on_pacing_triggered(self) -> None:
        from ui.pacing_dialog import open_pacing_dialog

        open_pacing_dialog(self, self.events)

    def _on_sidebar_current_item_changed(
        self, current: QListWidgetItem | None, _previous: object
    ) -> None:
        if current is not None:
            self.show_page(current.data(Qt.ItemDataRole.UserRole))

    def _on_leads_page_counts_changed(self, shown: int, total: int) -> None:
        noun = "lead" if total == 1 else "leads"
        text = f"{total:,} {noun}" if shown == total else f"{shown:,} of {total:,} {noun}"
        self.count_label.setText(text)
        # The demo goes only into an empty book: offered while there is nothing to mix it with.
        self.demo_action.setEnabled(total == 0)
        self.demo_action.setStatusTip(
            DEMO_TIP if total == 0 else "The demo data goes only into an empty database"
        )
        self._update_actions()

    def _on_leads_page_status_message(self, message: str) -> None:
        self.show_status(message)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._import_handler is not None and dropped_file(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_file(event)
        if path is not None and self._import_handler is not None:
            event.acceptProposedAction()
            self._import_handler(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.leads_page.save_state()
        self.settings.window_geometry = self.saveGeometry()
        self.settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop every page's background work and wait for it: nothing is left half-written."""
        self.live.stop()
        self.leads_page.shutdown()
        for stop in self._shutdowns:
            stop()
        if self.today_page is not None:
            self.today_page.shutdown()
        if self.suggestion_box is not None:
            self.suggestion_box.shutdown()
