"""The Changes page, beside Imports: every bulk change with what it did, and its undo.

The history is ``crm.book.bulk.list_changes``; an undo runs ``undo_change`` on the page's
``TaskRunner`` thread, and says what it put back and what it left (leads changed since
keep those changes). A change made elsewhere (the lead list's bulk bar, the command line
in the same window's events) refreshes the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm.book.bulk import ChangeRow, ChangeUndoReport, list_changes, undo_change
from crm.changes import Change
from crm.timefmt import local, utc_now
from ui import errors
from ui.empty_state import lay_out_empty_state
from ui.style import styled
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from ui.events import AppEvents
    from ui.pages import Host

CHANGES_PAGE = "changes"
KIND_LABELS = {
    "tag": "Add tag",
    "untag": "Remove tag",
    "set-status": "Set status",
    "dnc": "Do not contact",
    "snooze": "Snooze",
    "delete": "Delete",
}


def confirm_undo(parent: QWidget, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        "Undo change",
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class ChangesPage(QWidget):
    """Every bulk change, newest first; one that is not undone yet can be undone."""

    sig_undone = Signal(object)  # a ChangeUndoReport

    def __init__(
        self,
        events: AppEvents | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._changes: list[ChangeRow] = []
        self._runner = TaskRunner(self, writes=True, events=events)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(lambda failure: errors.show_failure(self, failure))
        if events is not None:
            events.changed.connect(self._on_events_changed)
            events.database_swapped.connect(self.refresh)
        title = styled(QLabel("Changes"), "detailTitle")
        self.table = QTableWidget(0, 5)
        self.table.setAccessibleName("Bulk changes")
        self.table.setHorizontalHeaderLabels(["When", "Change", "Matched", "Changed", "State"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.undo_button = QPushButton("Undo selected change")
        self.undo_button.clicked.connect(self._on_undo_button_clicked)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.empty = QWidget()
        lay_out_empty_state(
            self.empty,
            "No bulk changes yet",
            "Select several leads on the Leads page (Shift or Ctrl click, Ctrl+A for all) and "
            "add a tag, set a status, snooze or delete them at once. Each change is listed "
            "here with what it did, and can be undone.",
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()

    @property
    def runner(self) -> TaskRunner:
        return self._runner

    def refresh(self) -> None:
        self._changes = list_changes()
        table = self.table
        table.setRowCount(len(self._changes))
        for r, c in enumerate(self._changes):
            values = [
                local(c.at).strftime("%Y-%m-%d %H:%M"),
                c.what,
                f"{c.matched:,}",
                f"{c.changed:,}",
                "Undone" if c.undone_at else "",
            ]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col in (2, 3):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if col == 1:
                    item.setToolTip(f"{KIND_LABELS.get(c.verb, c.verb)}: {c.what}")
                table.setItem(r, col, item)
        table.resizeColumnsToContents()
        table.setVisible(bool(self._changes))
        self.empty.setVisible(not self._changes)
        self.undo_button.setVisible(bool(self._changes))
        self._update_buttons()

    def selected_change(self) -> ChangeRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self._changes[rows[0].row()] if rows else None

    def select_change(self, change_id: int) -> None:
        for r, c in enumerate(self._changes):
            if c.id == change_id:
                self.table.selectRow(r)
                return

    def _update_buttons(self) -> None:
        change = self.selected_change()
        self.undo_button.setEnabled(
            change is not None and change.undone_at is None and not self._runner.busy
        )

    def _on_undo_button_clicked(self) -> None:
        change = self.selected_change()
        if change is None or change.undone_at is not None or self._runner.busy:
            return
        leads = f"{change.changed:,} lead{'s' if change.changed != 1 else ''}"
        if not confirm_undo(
            self,
            f"Undo “{change.what}”? It goes back on the {leads} it changed; a lead you "
            "changed since keeps that later change.",
        ):
            return
        clock, change_id = self._clock, change.id
        self.undo_button.setEnabled(False)
        self._runner.start(lambda _p, _c: undo_change(change_id, now=clock()))

    def _on_events_changed(self, change: Change, origin: object) -> None:
        if origin is not self and change.touches("bulk_change"):
            self.refresh()

    def _on_runner_finished(self, result: object) -> None:
        assert isinstance(result, ChangeUndoReport)
        self.status.setText(result.message)
        self.refresh()
        self.sig_undone.emit(result)


def register_changes_page(host: Host) -> None:
    """Add the Changes page after Imports (Ctrl+5)."""
    host.add_page(CHANGES_PAGE, "Changes", lambda: ChangesPage(host.events, host.clock), "Ctrl+5")
