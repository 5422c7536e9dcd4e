"""The lead table model: rows paged from SQL, sorted and filtered in SQL.

The model holds the ``LeadRow`` values of the pages fetched so far; the view asks for
more pages (``canFetchMore``/``fetchMore``) as the user scrolls. ``data()`` only reads
those frozen rows: painting never runs a query.

After the fixed :class:`Columns` come the optional ones: custom fields the owner chose to
see (``set_custom_columns``), read from the rows' ``custom`` values already loaded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from crm.book.custom_fields import field_value
from crm.book.leads import STATUS_LABELS, LeadQuery, LeadRow, LeadStatus, SortKey, list_leads
from crm.book.sales import revenue_words
from crm.errors import NotFoundError
from crm.timefmt import local, relative, utc_now

PAGE_SIZE = 200
CHOOSE_COLUMNS = "Right-click to show custom fields (plan, ZIP…) as columns."

LeadIdRole = Qt.ItemDataRole.UserRole + 1
LeadRowRole = Qt.ItemDataRole.UserRole + 2

AnyIndex = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()  # the invalid index: the parent of every row


class Columns(IntEnum):
    NAME = 0
    EMAIL = 1
    COMPANY = 2
    STATUS = 3
    STEP = 4
    LAST_YES = 5
    REVENUE = 6
    TAGS = 7


HEADERS: dict[Columns, tuple[str, SortKey | None, int]] = {
    # column: (header, SQL sort key or None when not sortable, default width)
    Columns.NAME: ("Name", SortKey.NAME, 125),
    Columns.EMAIL: ("Email", SortKey.EMAIL, 180),
    Columns.COMPANY: ("Company", SortKey.COMPANY, 120),
    Columns.STATUS: ("Status", SortKey.STATUS, 105),
    Columns.STEP: ("Step", SortKey.LEVEL, 95),
    Columns.LAST_YES: ("Last yes", SortKey.LAST_YES, 80),
    # sorted by the revenue in the book's main currency (currencies never add up)
    Columns.REVENUE: ("Revenue", SortKey.REVENUE, 90),
    Columns.TAGS: ("Tags", None, 90),
}

SHORT_STATUS = {
    LeadStatus.SUBSCRIBED: "Subscribed",
    LeadStatus.PENDING: "Pending",
    LeadStatus.NONE: "Contact",
    LeadStatus.UNSUBSCRIBED: "Unsubscribed",
    LeadStatus.BOUNCED: "Bounced",
    LeadStatus.COMPLAINED: "Complained",
}


def exact_time(value: dt.datetime) -> str:
    """A stored UTC time as the user's local date and time."""
    return local(value).strftime("%Y-%m-%d %H:%M")


def column_for_sort(sort: SortKey) -> Columns | None:
    for column, (_, key, _) in HEADERS.items():
        if key == sort:
            return column
    return None


class LeadTableModel(QAbstractTableModel):
    """Leads matching one ``LeadQuery``, fetched a page at a time."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._page_size = page_size
        self._query = LeadQuery()
        self._rows: list[LeadRow] = []
        self._row_of: dict[int, int] = {}
        self._exhausted = True
        self._now = clock()
        self._loaded = False
        self._custom_columns: list[str] = []

    # --- the query --------------------------------------------------------------------

    @property
    def query(self) -> LeadQuery:
        return self._query

    def set_query(self, query: LeadQuery) -> None:
        """Show a new query: the one place the model resets."""
        self.beginResetModel()
        self._query = query
        self._now = self._clock()
        self._rows = list_leads(query, 0, self._page_size)
        self._exhausted = len(self._rows) < self._page_size
        self._reindex()
        self._loaded = True
        self.endResetModel()

    def refresh(self, keep: int | None = None) -> None:
        """Re-read the rows already shown, keeping the view's selection and scroll by id.

        Removed leads are removed, new ones inserted, moved ones moved (as a layout change)
        and the rest updated in place: no reset, so selection and scroll survive. With
        ``keep``, only that many rows from the top are read again and the ones below are
        let go, to be fetched again on scrolling: after scrolling through 100,000 leads a
        change re-reads what is on screen, not everything seen since.
        """
        if not self._loaded:
            self.set_query(self._query)
            return
        self._now = self._clock()
        shown = len(self._rows) if keep is None else min(len(self._rows), keep)
        limit = max(shown, self._page_size)
        new_rows = list_leads(self._query, 0, limit)
        self._exhausted = len(new_rows) < limit
        new_ids = {r.id for r in new_rows}
        old_ids = set(self._row_of)

        # 1. Removals, bottom-up in contiguous runs.
        gone = [i for i, r in enumerate(self._rows) if r.id not in new_ids]
        for first, last in reversed(_runs(gone)):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first : last + 1]
            self.endRemoveRows()

        # 2. Additions, appended at the end for now.
        added = [r for r in new_rows if r.id not in old_ids]
        if added:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(added) - 1)
            self._rows.extend(added)
            self.endInsertRows()

        # 3. Put every row in its new place and update its values.
        if [r.id for r in self._rows] != [r.id for r in new_rows]:
            self.layoutAboutToBeChanged.emit()
            ids_before = [r.id for r in self._rows]
            persistent = self.persistentIndexList()
            self._rows = list(new_rows)
            self._reindex()
            moved_from, moved_to = [], []
            for index in persistent:
                old_row = index.row()
                lead_id = ids_before[old_row] if 0 <= old_row < len(ids_before) else None
                row = self._row_of.get(lead_id) if lead_id is not None else None
                moved_from.append(index)
                moved_to.append(
                    self.index(row, index.column()) if row is not None else QModelIndex()
                )
            self.changePersistentIndexList(moved_from, moved_to)
            self.layoutChanged.emit()
        else:
            self._rows = list(new_rows)
            self._reindex()
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, self.columnCount() - 1)
            )

    # --- optional columns -------------------------------------------------------------

    @property
    def custom_columns(self) -> list[str]:
        return list(self._custom_columns)

    def set_custom_columns(self, names: list[str]) -> None:
        """Show these custom fields as columns after the fixed ones, in this order; columns
        kept keep their place (a view's widths stay with them)."""
        wanted = list(dict.fromkeys(names))
        for i in reversed(range(len(self._custom_columns))):
            if self._custom_columns[i] not in wanted:
                column = len(Columns) + i
                self.beginRemoveColumns(ROOT, column, column)
                del self._custom_columns[i]
                self.endRemoveColumns()
        for name in wanted:
            if name not in self._custom_columns:
                column = len(Columns) + len(self._custom_columns)
                self.beginInsertColumns(ROOT, column, column)
                self._custom_columns.append(name)
                self.endInsertColumns()

    def custom_column_name(self, column: int) -> str | None:
        """The custom field shown in ``column``, None for a fixed column."""
        i = column - len(Columns)
        return self._custom_columns[i] if 0 <= i < len(self._custom_columns) else None

    def update_lead(self, lead: LeadRow) -> None:
        """One lead changed: update its row in place if it is shown."""
        row = self._row_of.get(lead.id)
        if row is None:
            return
        # The row may carry a yes logged this moment: measured against the now of the last
        # query it would read "in 10 min".
        self._now = self._clock()
        self._rows[row] = lead
        self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def shows_all(self, lead_ids: Iterable[int]) -> bool:
        """Whether every one of these leads has a loaded row."""
        return all(i in self._row_of for i in lead_ids)

    def remove_lead(self, lead_id: int) -> None:
        """One lead was deleted: drop its row without re-querying."""
        row = self._row_of.get(lead_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self._reindex()
        self.endRemoveRows()

    def _reindex(self) -> None:
        self._row_of = {r.id: i for i, r in enumerate(self._rows)}

    # --- lookups ----------------------------------------------------------------------

    def row_for_id(self, lead_id: int) -> int | None:
        return self._row_of.get(lead_id)

    def lead_at(self, row: int) -> LeadRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def loaded_count(self) -> int:
        return len(self._rows)

    # --- Qt model API -----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(Columns) + len(self._custom_columns)

    def canFetchMore(self, parent: AnyIndex = ROOT) -> bool:
        return not parent.isValid() and self._loaded and not self._exhausted

    def fetchMore(self, parent: AnyIndex = ROOT) -> None:
        if parent.isValid() or self._exhausted:
            return
        try:
            # Continue after the last row shown: as cheap deep in the list as at its top.
            after = self._rows[-1].id if self._rows else None
            page = list_leads(self._query, limit=self._page_size, after=after)
        except NotFoundError:  # that lead was deleted elsewhere: fall back to the offset
            page = list_leads(self._query, len(self._rows), self._page_size)
        self._exhausted = len(page) < self._page_size
        # A lead added since the last page may shift the offset: never show one twice.
        page = [r for r in page if r.id not in self._row_of]
        if not page:
            return
        self._now = self._clock()
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
        self._rows.extend(page)
        for i, r in enumerate(page, start):
            self._row_of[r.id] = i
        self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        if (name := self.custom_column_name(section)) is not None:
            if role == Qt.ItemDataRole.DisplayRole:
                return name
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"The custom field {name} (not sorted). {CHOOSE_COLUMNS}"
            return None
        title, key, _ = HEADERS[Columns(section)]
        if role == Qt.ItemDataRole.DisplayRole:
            return title
        if role == Qt.ItemDataRole.ToolTipRole:
            how = f"{title} cannot be sorted" if key is None else f"Click to sort by {title}"
            return f"{how}. {CHOOSE_COLUMNS}"
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        lead = self._rows[index.row()]
        if (name := self.custom_column_name(index.column())) is not None:
            return self._custom_data(lead, name, role)
        column = Columns(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(lead, column)
        if role == LeadIdRole:
            return lead.id
        if role == LeadRowRole:
            return lead
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(lead, column)
        if role == Qt.ItemDataRole.ForegroundRole and lead.suppressed:
            # Opted-out leads are greyed: they get no asks.
            return QApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        return None

    def _custom_data(self, lead: LeadRow, name: str, role: int) -> object:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = field_value(lead.custom, name)
            if role == Qt.ItemDataRole.DisplayRole:
                return " ".join(text.split())  # one line in the list
            return text or None
        if role == LeadIdRole:
            return lead.id
        if role == LeadRowRole:
            return lead
        if role == Qt.ItemDataRole.ForegroundRole and lead.suppressed:
            return QApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        return None

    def _display(self, lead: LeadRow, column: Columns) -> str:
        if column == Columns.NAME:
            return lead.name or "—"
        if column == Columns.EMAIL:
            return lead.email
        if column == Columns.COMPANY:
            return lead.company
        if column == Columns.STATUS:
            text = SHORT_STATUS.get(LeadStatus(lead.status), lead.status)
            return f"{text} · do not contact" if lead.do_not_contact else text
        if column == Columns.STEP:
            return lead.step_label or "—"
        if column == Columns.LAST_YES:
            return relative(lead.last_commitment_at, self._now) if lead.last_commitment_at else "—"
        if column == Columns.TAGS:
            return ", ".join(lead.tags)
        if column == Columns.REVENUE:
            return revenue_words(lead.revenue)
        raise AssertionError(column)

    def _tooltip(self, lead: LeadRow, column: Columns) -> str | None:
        if column == Columns.LAST_YES:
            if lead.last_commitment_at is None:
                return "No yes logged yet"
            return exact_time(lead.last_commitment_at)
        if column == Columns.STATUS:
            text = STATUS_LABELS.get(LeadStatus(lead.status), lead.status)
            return f"{text}; marked do not contact" if lead.do_not_contact else text
        if column == Columns.TAGS and lead.tags:
            return "\n".join(lead.tags)
        if column == Columns.NAME:
            return lead.display_name
        if column == Columns.REVENUE:
            if not lead.revenue:
                return "No purchases"
            return "Lifetime revenue, net of refunds: " + revenue_words(lead.revenue)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is done in SQL: a new query with the column's sort key."""
        if not 0 <= column < len(Columns):
            return  # a custom field's column is not sorted (SQL sorts the fixed ones)
        key = HEADERS[Columns(column)][1]
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if key == self._query.sort and descending == self._query.descending and self._loaded:
            return
        self.set_query(dataclasses.replace(self._query, sort=key, descending=descending))


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Sorted indices as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
