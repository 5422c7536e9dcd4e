"""A lead's timeline, newest first: an icon per kind, a summary, when, and the note."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QContextMenuEvent, QFont, QFontMetrics, QIcon, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from crm.importing.labels import platform_words
from crm.timefmt import relative, utc_now
from ui.leads.table_model import exact_time
from ui.style import KIND_LABELS, kind_icon

if TYPE_CHECKING:
    from crm.book.timeline import TimelineItem

TimelineItemRole = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()  # the invalid index: the parent of every row

ICON = 22
PAD = 8

ANSWERED = ("accepted", "declined")
# What the owner can record about an ask, as the timeline's menu words it.
ANSWER_WORDS = {
    "accepted": "They said yes",
    "declined": "They said not now",
    "no_response": "No answer",
    "pending": "Still waiting for an answer",
}
SOURCE_WORDS = {"manual": "logged by hand", "import": "from an import"}


def detail_line(item: TimelineItem, now: dt.datetime) -> str:
    """The second line: when, and where the entry came from."""
    parts = [relative(item.at, now)]
    if item.kind == "commitment" and item.source:
        parts.append(SOURCE_WORDS.get(item.source, f"via {platform_words(item.source)}"))
    if item.kind == "ask" and item.resolved_at is not None and item.outcome in ANSWERED:
        parts.append(f"answered {relative(item.resolved_at, now)}")
    return " · ".join(parts)


def note_of(item: TimelineItem) -> str:
    # Status, note and import entries carry their text in the summary already.
    return item.note if item.kind in ("commitment", "ask") else ""


class TimelineModel(QAbstractListModel):
    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], dt.datetime] = utc_now
    ) -> None:
        super().__init__(parent)
        self._items: list[TimelineItem] = []
        self._clock = clock
        self._now = clock()

    def set_items(self, items: list[TimelineItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self._now = self._clock()
        self.endResetModel()

    def items(self) -> list[TimelineItem]:
        return list(self._items)

    def rowCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.summary
        if role == Qt.ItemDataRole.DecorationRole:
            return kind_icon(item.kind)
        if role == TimelineItemRole:
            return item
        if role == Qt.ItemDataRole.UserRole:
            return detail_line(item, self._now)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [f"{KIND_LABELS.get(item.kind, item.kind)} — {exact_time(item.at)}"]
            if item.resolved_at is not None:
                lines.append(f"Answered {exact_time(item.resolved_at)}")
            if note_of(item):
                lines.append(note_of(item))
            return "\n".join(lines)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{item.summary}, {detail_line(item, self._now)}"
        return None


class TimelineDelegate(QStyledItemDelegate):
    """Paints an entry as: icon | bold summary / grey when-line / note (one line, elided)."""

    def _fonts(self, option: QStyleOptionViewItem) -> tuple[QFont, QFont]:
        bold = QFont(option.font)
        bold.setBold(True)
        return bold, QFont(option.font)

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        bold, normal = self._fonts(option)
        item: TimelineItem = index.data(TimelineItemRole)
        lines = 2 + (1 if item is not None and note_of(item) else 0)
        height = QFontMetrics(bold).height() + (lines - 1) * QFontMetrics(normal).height()
        return QSize(200, max(height, ICON) + 2 * PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        item: TimelineItem = index.data(TimelineItemRole)
        if item is None:
            return
        painter.save()
        style = option.widget.style() if option.widget else None
        if style is not None:
            # Background and selection, drawn by the style so they follow the palette.
            opt = QStyleOptionViewItem(option)
            self.initStyleOption(opt, index)
            opt.text = ""
            opt.icon = QIcon()  # the icon is drawn below, at its own place
            opt.features &= ~QStyleOptionViewItem.ViewItemFeature.HasDecoration
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, option.widget)
        rect = option.rect.adjusted(PAD, PAD, -PAD, -PAD)
        kind_icon(item.kind).paint(painter, QRect(rect.left(), rect.top(), ICON, ICON))
        text_left = rect.left() + ICON + PAD
        width = rect.right() - text_left
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        main = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        secondary = main if selected else palette.color(QPalette.ColorRole.PlaceholderText)
        bold, normal = self._fonts(option)
        y = rect.top()
        for text, font, color in (
            (item.summary, bold, main),
            (index.data(Qt.ItemDataRole.UserRole), normal, secondary),
            (note_of(item), normal, main),
        ):
            if not text:
                continue
            metrics = QFontMetrics(font)
            painter.setFont(font)
            painter.setPen(color)
            line = metrics.elidedText(
                " ".join(str(text).split()), Qt.TextElideMode.ElideRight, width
            )
            painter.drawText(
                QRect(text_left, y, width, metrics.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                line,
            )
            y += metrics.height()
        painter.restore()


class TimelineView(QListView):
    """The timeline; an ask's menu (right click, or the menu key) records its answer."""

    sig_answer = Signal(int, str)  # (ask id, outcome)

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], dt.datetime] = utc_now
    ) -> None:
        super().__init__(parent)
        self.timeline_model = TimelineModel(self, clock)
        self.setModel(self.timeline_model)
        self.setItemDelegate(TimelineDelegate(self))
        self.setUniformItemSizes(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setAccessibleName("Timeline")

    def set_items(self, items: list[TimelineItem]) -> None:
        self.timeline_model.set_items(items)

    def answer_menu(self, item: TimelineItem) -> QMenu | None:
        """The menu for one entry: for an ask, its possible answers but the current one."""
        if item.kind != "ask":
            return None
        menu = QMenu(self)
        for outcome, words in ANSWER_WORDS.items():
            if outcome != item.outcome:
                action = menu.addAction(words)
                action.triggered.connect(
                    lambda _checked=False, o=outcome: self.sig_answer.emit(item.id, o)
                )
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            index, where = self.indexAt(event.pos()), event.pos()
        else:  # the menu key: the entry with the focus
            index = self.currentIndex()
            where = self.visualRect(index).center()
        item = index.data(TimelineItemRole) if index.isValid() else None
        menu = self.answer_menu(item) if item is not None else None
        if menu is not None:
            self.popup(menu, self.viewport().mapToGlobal(where))
        event.accept()

    def popup(self, menu: QMenu, at: QPoint) -> None:
        """Show ``menu`` at ``at`` (global) until it is closed."""
        menu.exec(at)
