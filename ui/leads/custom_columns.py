"""The lead list's optional columns: custom fields shown beside the fixed columns.

Right-clicking the table's header lists the book's custom fields (what imports kept, such
as a plan, an unsubscribe reason or a ZIP code); ticking one adds its column, unticking
removes it. The choice is kept in the window settings (:class:`ui.settings.Settings`), so
the list opens with the same columns next time.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTableView

from crm.book.custom_fields import custom_field_names
from ui.leads.table_model import LeadTableModel
from ui.settings import Settings

NO_FIELDS = "No lead has custom fields yet"


class CustomColumns(QObject):
    """Shows and hides custom-field columns from the header's context menu."""

    def __init__(self, table: QTableView, model: LeadTableModel, settings: Settings) -> None:
        super().__init__(table)
        self._table = table
        self._model = model
        self._settings = settings
        header = table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_context_menu_requested)

    @property
    def shown(self) -> list[str]:
        return self._model.custom_columns

    def menu(self) -> QMenu:
        """The header's menu: one tickable entry per custom field of the book (and any
        column shown whose field no lead has any more)."""
        menu = QMenu(self._table)
        menu.setToolTipsVisible(True)
        title = menu.addAction("Show custom fields as columns")
        title.setEnabled(False)
        shown = self.shown
        folded = {n.casefold() for n in shown}
        names = [*shown, *(n for n in custom_field_names() if n.casefold() not in folded)]
        if not names:
            empty = menu.addAction(NO_FIELDS)
            empty.setEnabled(False)
            empty.setToolTip(
                "An import keeps every column it does not map as a custom field; a lead's "
                "panel adds one by hand."
            )
            return menu
        for name in sorted(names, key=str.casefold):
            action = QAction(name, menu, checkable=True)
            action.setChecked(name in shown)
            action.toggled.connect(lambda on, n=name: self.set_shown(n, on))
            menu.addAction(action)
        return menu

    def set_shown(self, name: str, shown: bool) -> None:
        """Show or hide the column of the field ``name``; the choice is remembered."""
        names = [n for n in self.shown if n != name]
        if shown:
            names.append(name)
        self._model.set_custom_columns(names)
        self._settings.leads_custom_columns = names
        if shown:
            column = self._model.columnCount() - 1
            self._table.horizontalHeader().showSection(column)
            self._table.scrollTo(self._model.index(0, column))

    def _on_header_context_menu_requested(self, pos: QPoint) -> None:
        header = self._table.horizontalHeader()
        self.menu().exec(header.mapToGlobal(pos))
