"""Today's asks as a tree: one row per ask (its group), its due leads below, best first.

The groups come from ``crm.asking.due`` in the order Today shows them (the likeliest
yeses first); each holds the best of its leads, warmest first. A lead handled on the page
(asked, snoozed, skipped) leaves its row and its group's count, one row at a time; a
group with no lead left goes. Nothing here reads the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any
from urllib.parse import quote

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from crm.asking.due import AskGroup, TodayItem
from crm.asking.suggest import Warmth
from crm.timefmt import local


class TodayColumn(IntEnum):
    LEAD = 0
    ENGAGEMENT = 1
    DUE = 2
    SCORE = 3
    WHY = 4


COLUMNS = {
    TodayColumn.LEAD: "Lead",
    TodayColumn.ENGAGEMENT: "Engagement",
    TodayColumn.DUE: "Due",
    TodayColumn.SCORE: "Score",
    TodayColumn.WHY: "Why",
}
ItemRole = Qt.ItemDataRole.UserRole + 1
GroupRole = Qt.ItemDataRole.UserRole + 2
_ROOT = QModelIndex()
_GROUP_ROW = 0  # the internal id of a group's own row; a lead's row holds its group's uid


def mailto_url(email: str, subject: str, body: str) -> str:
    """A ``mailto:`` link with the subject and body URL-encoded (spaces as %20)."""
    return (
        f"mailto:{quote(email, safe='@')}?subject={quote(subject, safe='')}"
        f"&body={quote(body, safe='')}"
    )


def due_text(due: dt.datetime, now: dt.datetime) -> str:
    """'today', 'since yesterday', 'since 3 Nov', 'since Jun 2026'.

    A calm date rather than a count of days "overdue": an ask that could have been made
    long ago is no more urgent today, and the list should not nag.
    """
    due_day, today = local(due).date(), local(now).date()
    days = (today - due_day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "since yesterday"
    if days < 180:
        return f"since {due_day.day} {due_day:%b}"
    return f"since {due_day:%b %Y}"


def engagement_text(item: TodayItem) -> str:
    """The engagement that ranked the row, marked so a glance tells warm from cold:
    '▲ Clicked 2 days ago', '▼ Cold: asked last' ("" when it has none to show)."""
    s = item.suggestion
    words = s.engagement
    if not words:
        return ""
    return f"{'▼' if s.warmth == Warmth.COLD else '▲'} {words}"


@dataclass(eq=False)
class TodayGroup:
    """One ask on the page: the group as computed, and what is left of it."""

    group: AskGroup
    uid: int
    items: list[TodayItem] = field(default_factory=list)
    lead_ids: list[int] = field(default_factory=list)  # every due lead left, best first

    @property
    def key(self) -> str:
        return self.group.key

    @property
    def count(self) -> int:
        return len(self.lead_ids)

    def header(self) -> str:
        """'312 leads are ready for: Invite to download the Focus workbook'."""
        n = self.count
        text = f"{n:,} lead{'s are' if n != 1 else ' is'} ready for: {self.group.label}"
        if 0 < len(self.items) < n:
            text += f" (the best {len(self.items):,} listed)"
        return text

    def tooltip(self) -> str:
        likely = self.group.expected * self.count / max(self.group.count, 1)
        return (
            f"About {likely:,.0f} of them are likely to say yes, by your acceptance rates: "
            "the asks likeliest to bring the most yeses come first."
        )


class TodayModel(QAbstractItemModel):
    """The groups and their leads; rows are removed one at a time as they are handled."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        super().__init__()
        self._groups: list[TodayGroup] = []
        self._by_uid: dict[int, TodayGroup] = {}
        self._next_uid = 1
        self._clock = clock

    # --- contents -------------------------------------------------------------------

    def set_groups(self, groups: Sequence[AskGroup]) -> None:
        self.beginResetModel()
        self._groups = []
        for group in groups:
            shown = TodayGroup(group, self._next_uid, list(group.items), list(group.lead_ids))
            self._next_uid += 1
            self._groups.append(shown)
        self._by_uid = {g.uid: g for g in self._groups}
        self.endResetModel()

    def groups(self) -> list[TodayGroup]:
        return list(self._groups)

    def items(self) -> Iterator[TodayItem]:
        """Every listed lead, in the order shown."""
        for group in self._groups:
            yield from group.items

    def has_engagement(self) -> bool:
        """Whether any row was ranked by its newsletter engagement (else its column is
        empty, as in a book with no activity imported)."""
        return any(it.suggestion.warmth != Warmth.NONE for it in self.items())

    def item(self, index: QModelIndex | QPersistentModelIndex) -> TodayItem | None:
        """The lead at ``index`` (None for a group's row)."""
        if not index.isValid() or index.internalId() == _GROUP_ROW:
            return None
        group = self._by_uid.get(index.internalId())
        if group is None or not 0 <= index.row() < len(group.items):
            return None
        return group.items[index.row()]

    def group(self, index: QModelIndex | QPersistentModelIndex) -> TodayGroup | None:
        """The group of ``index``: its own row, or one of its leads."""
        if not index.isValid():
            return None
        if index.internalId() == _GROUP_ROW:
            row = index.row()
            return self._groups[row] if 0 <= row < len(self._groups) else None
        return self._by_uid.get(index.internalId())

    def group_index(self, key: str, column: int = 0) -> QModelIndex:
        row = next((r for r, g in enumerate(self._groups) if g.key == key), None)
        return QModelIndex() if row is None else self.index(row, column)

    def lead_index(self, lead_id: int, column: int = 0) -> QModelIndex:
        for row, group in enumerate(self._groups):
            for child, item in enumerate(group.items):
                if item.lead_id == lead_id:
                    return self.index(child, column, self.index(row, 0))
        return QModelIndex()

    def remove_lead(self, lead_id: int) -> TodayGroup | None:
        """Take a handled lead off its row and its group's count; the group it was in (it
        may be gone, with no lead left), or None when it was not listed."""
        for row, group in enumerate(self._groups):
            if lead_id not in group.lead_ids:
                continue
            group.lead_ids.remove(lead_id)
            child = next((i for i, it in enumerate(group.items) if it.lead_id == lead_id), None)
            parent = self.index(row, 0)
            if child is not None:
                self.beginRemoveRows(parent, child, child)
                del group.items[child]
                self.endRemoveRows()
            if not group.lead_ids:
                self.beginRemoveRows(_ROOT, row, row)
                del self._groups[row]
                del self._by_uid[group.uid]
                self.endRemoveRows()
            else:
                self.dataChanged.emit(parent, self.index(row, len(COLUMNS) - 1))
            return group
        return None

    # --- Qt's model -----------------------------------------------------------------

    def index(
        self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = _ROOT
    ) -> QModelIndex:
        if not 0 <= column < len(COLUMNS):
            return QModelIndex()
        if not parent.isValid():
            if 0 <= row < len(self._groups):
                return self.createIndex(row, column, _GROUP_ROW)
            return QModelIndex()
        if parent.internalId() != _GROUP_ROW or not 0 <= parent.row() < len(self._groups):
            return QModelIndex()
        group = self._groups[parent.row()]
        if 0 <= row < len(group.items):
            return self.createIndex(row, column, group.uid)
        return QModelIndex()

    def parent(self, index: QModelIndex | QPersistentModelIndex = _ROOT) -> QModelIndex:  # type: ignore[override]  # Qt's parent() and QObject.parent() share the name
        if not index.isValid() or index.internalId() == _GROUP_ROW:
            return QModelIndex()
        group = self._by_uid.get(index.internalId())
        if group is None:
            return QModelIndex()
        return self.createIndex(self._groups.index(group), 0, _GROUP_ROW)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        if not parent.isValid():
            return len(self._groups)
        if parent.column() != 0 or parent.internalId() != _GROUP_ROW:
            return 0
        row = parent.row()
        return len(self._groups[row].items) if 0 <= row < len(self._groups) else 0

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return len(COLUMNS)

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> bool:
        return self.rowCount(parent) > 0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[TodayColumn(section)]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == _GROUP_ROW:
            return self._group_data(index, role)
        item = self.item(index)
        if item is None:
            return None
        col = TodayColumn(index.column())
        s = item.suggestion
        if role == Qt.ItemDataRole.DisplayRole:
            if col is TodayColumn.LEAD:
                return item.name
            if col is TodayColumn.ENGAGEMENT:
                return engagement_text(item)
            if col is TodayColumn.DUE:
                return due_text(s.due, self._clock())
            if col is TodayColumn.SCORE:
                return f"{round(s.score * 100)}%"
            return s.summary or s.reason
        if role == Qt.ItemDataRole.ToolTipRole:
            if col is TodayColumn.LEAD:
                return item.email
            return s.reason if col in (TodayColumn.WHY, TodayColumn.ENGAGEMENT) else None
        if col is TodayColumn.ENGAGEMENT and s.warmth != Warmth.NONE:
            # a click (the strongest evidence) in bold, cold in the muted text colour
            if role == Qt.ItemDataRole.FontRole and s.warmth == Warmth.CLICKED:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.ForegroundRole and s.warmth == Warmth.COLD:
                return QGuiApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        if role == Qt.ItemDataRole.TextAlignmentRole and col is TodayColumn.SCORE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ItemRole:
            return item
        return None

    def _group_data(self, index: QModelIndex | QPersistentModelIndex, role: int) -> Any:
        group = self.group(index)
        if group is None:
            return None
        first = index.column() == TodayColumn.LEAD
        if role == Qt.ItemDataRole.DisplayRole:
            return group.header() if first else None
        if role == Qt.ItemDataRole.AccessibleTextRole and first:
            return group.header()
        if role == Qt.ItemDataRole.ToolTipRole:
            return group.tooltip()
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == GroupRole:
            return group
        return None
