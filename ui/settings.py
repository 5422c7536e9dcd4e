"""Window state remembered between runs, through ``QSettings`` with typed accessors.

Only how the window looks lives here; business settings (ladder, pacing) live in the
database. Tests point ``QSettings`` at a temporary folder with ``QSettings.setPath``.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt

ORGANIZATION = "smallyes"
APPLICATION = "smallyes"


def _settings() -> QSettings:
    # INI everywhere: one readable file, and one place tests redirect with setPath.
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


class Settings:
    """Typed accessors for the remembered window state."""

    def __init__(self, store: QSettings | None = None) -> None:
        self._store = store if store is not None else _settings()

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    @property
    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    @window_geometry.setter
    def window_geometry(self, value: QByteArray) -> None:
        self._store.setValue("window/geometry", value)

    @property
    def leads_splitter(self) -> QByteArray | None:
        return self._bytes("leads/splitter")

    @leads_splitter.setter
    def leads_splitter(self, value: QByteArray) -> None:
        self._store.setValue("leads/splitter", value)

    @property
    def leads_header(self) -> QByteArray | None:
        """The lead table header: column widths and order."""
        return self._bytes("leads/header")

    @leads_header.setter
    def leads_header(self, value: QByteArray) -> None:
        self._store.setValue("leads/header", value)

    @property
    def leads_sort(self) -> tuple[int, Qt.SortOrder] | None:
        column = self._store.value("leads/sort_column")
        descending = self._store.value("leads/sort_descending")
        try:
            col = int(str(column))
        except (TypeError, ValueError):
            return None
        desc = str(descending).lower() in ("true", "1")
        order = Qt.SortOrder.DescendingOrder if desc else Qt.SortOrder.AscendingOrder
        return col, order

    @leads_sort.setter
    def leads_sort(self, value: tuple[int, Qt.SortOrder]) -> None:
        column, order = value
        self._store.setValue("leads/sort_column", int(column))
        self._store.setValue("leads/sort_descending", order == Qt.SortOrder.DescendingOrder)

    @property
    def leads_custom_columns(self) -> list[str]:
        """The custom fields the lead list shows as columns, in the order they were added."""
        value = self._store.value("leads/custom_columns")
        if isinstance(value, str):  # an INI list of one reads back as its one string
            value = [value] if value else []
        return [str(v) for v in value] if isinstance(value, list) else []

    @leads_custom_columns.setter
    def leads_custom_columns(self, value: list[str]) -> None:
        self._store.setValue("leads/custom_columns", list(value))

    @property
    def last_import_folder(self) -> str:
        """The folder the last imported file came from ('' before the first import)."""
        value = self._store.value("import/last_folder")
        return value if isinstance(value, str) else ""

    @last_import_folder.setter
    def last_import_folder(self, value: str) -> None:
        self._store.setValue("import/last_folder", value)

    def sync(self) -> None:
        self._store.sync()
