"""How a page plugs into the main window: what it may use, and where its actions go.

A page module gets a :class:`Host` (the main window, seen through this interface only) and
contributes its sidebar entry (``add_page``), its label there (``set_page_label``), its
menu items by :class:`MenuPlace` (``add_menu_actions``) and its import handler. The window
owns its menus and the order of their sections; nothing is found by its visible text, and
no page patches attributes onto the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from crm.book.leads import LeadQuery
    from ui.events import AppEvents
    from ui.leads.page import LeadsPage
    from ui.settings import Settings


class MenuPlace(Enum):
    """The menu sections pages may add to, in the order the window shows them."""

    FILE_DATA = "file-data"  # File, after Import and the demo: backups, export, restore
    EDIT_LEAD = "edit-lead"  # Edit, after the lead commands: forget, data of one person
    EDIT_SETTINGS = "edit-settings"  # Edit, at the end: ladder, offers, pacing


class Host(Protocol):
    """What a page may use of the main window."""

    db_path: Path
    events: AppEvents
    settings: Settings
    leads_page: LeadsPage
    clock: Callable[[], dt.datetime]

    def add_page(
        self,
        key: str,
        title: str,
        factory: Callable[[], QWidget],
        shortcut: str | None = None,
        icon: QIcon | None = None,
    ) -> QAction: ...

    def set_page_label(self, key: str, text: str, tooltip: str = "") -> None: ...

    def add_menu_actions(self, place: MenuPlace, actions: Sequence[QAction]) -> None: ...

    def set_import_handler(self, handler: Callable[[Path | None], object]) -> None: ...

    def show_status(self, message: str, timeout_ms: int = 8000) -> None: ...

    def show_leads(self, query: LeadQuery) -> None: ...

    def on_shutdown(self, stop: Callable[[], None]) -> None:
        """Call ``stop`` when the window closes, before the book does."""
        ...

    def as_widget(self) -> QWidget:
        """The window itself, as the parent of a page's dialogs."""
        ...
