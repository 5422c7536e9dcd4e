"""The modal questions of data safety: the only places that block on a dialog.

Each is a module-level function so tests can replace it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from crm.book.leads import LeadRow
from crm.errors import (
    ForgetUnfinishedError,
)
from crm.safety.backup import (
    BackupInfo,
)
from crm.timefmt import local

DB_FILTER = "Smallyes backups (*.db);;All files (*)"
CSV_FILTER = "CSV files (*.csv)"
JSON_FILTER = "JSON files (*.json)"


def choose_save_path(parent: QWidget | None, title: str, suggested: Path, filt: str) -> Path | None:
    name, _ = QFileDialog.getSaveFileName(parent, title, str(suggested), filt)
    return Path(name) if name else None


def choose_open_path(parent: QWidget | None, title: str, filt: str) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, title, "", filt)
    return Path(name) if name else None


def confirm(parent: QWidget | None, title: str, text: str, informative: str, ok: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setInformativeText(informative)
    yes = box.addButton(ok, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


@dataclass(frozen=True, slots=True)
class ExportChoice:
    only_shown: bool
    excel: bool


class ExportDialog(QDialog):
    """All leads or only what the list shows, and whether the file is for Excel."""

    def __init__(self, parent: QWidget | None, shown: int, total: int) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export leads")
        self.all_leads = QRadioButton(f"All leads ({total:,})")
        self.shown_leads = QRadioButton(f"Only the leads the list shows ({shown:,})")
        self.all_leads.setChecked(True)
        self.shown_leads.setEnabled(shown != total)
        self.excel = QCheckBox("For Excel (adds the marker Excel needs to read accents)")
        note = QLabel(
            "Cells that start with =, +, -, @ get a leading ' so a spreadsheet shows them as "
            "text instead of running them (phone numbers with + too).",
            wordWrap=True,
        )
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.all_leads, self.shown_leads, self.excel, note, buttons):
            layout.addWidget(widget)

    def choice(self) -> ExportChoice:
        return ExportChoice(only_shown=self.shown_leads.isChecked(), excel=self.excel.isChecked())


def ask_export_options(parent: QWidget | None, shown: int, total: int) -> ExportChoice | None:
    dialog = ExportDialog(parent, shown, total)
    return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None


class RestoreDialog(QDialog):
    """Pick one of the kept backups, or another file."""

    def __init__(self, parent: QWidget | None, backups: list[BackupInfo]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Restore from backup")
        self.chosen: Path | None = None
        self.list = QListWidget()
        for b in backups:
            item = QListWidgetItem(f"{b.label} — {b.size / 1_000_000:.1f} MB")
            item.setData(Qt.ItemDataRole.UserRole, str(b.path))
            item.setToolTip(str(b.path))
            self.list.addItem(item)
        if backups:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept_selected())
        self.other = QPushButton("Other file…")
        self.other.clicked.connect(self._on_other_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(bool(backups))
        buttons.accepted.connect(self.accept_selected)
        buttons.rejected.connect(self.reject)
        buttons.addButton(self.other, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        text = (
            "Choose the copy to go back to. The database as it is now is kept as a backup "
            "first, so a restore can itself be undone."
        )
        layout.addWidget(QLabel(text, wordWrap=True))
        if not backups:
            layout.addWidget(QLabel("No backups are kept beside this database yet."))
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(520, 360)

    def accept_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen = Path(item.data(Qt.ItemDataRole.UserRole))
            self.accept()

    def _on_other_clicked(self) -> None:
        path = choose_open_path(self, "Restore from a backup file", DB_FILTER)
        if path is not None:
            self.chosen = path
            self.accept()


def choose_restore_source(parent: QWidget | None, backups: list[BackupInfo]) -> Path | None:
    dialog = RestoreDialog(parent, backups)
    return dialog.chosen if dialog.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True, slots=True)
class ForgetChoice:
    purge_backups: bool


def confirm_forget(parent: QWidget | None, lead: LeadRow) -> ForgetChoice | None:
    box = QMessageBox(QMessageBox.Icon.Warning, "Forget this person", "", parent=parent)
    box.setText(forget_question(lead))
    box.setInformativeText(FORGET_DETAILS)
    purge = QCheckBox("Also erase them from the backups Smallyes keeps")
    box.setCheckBox(purge)
    forget = box.addButton("Forget for good", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    if box.clickedButton() is not forget:
        return None
    return ForgetChoice(purge_backups=purge.isChecked())


def forget_question(lead: LeadRow) -> str:
    who = f"{lead.name} <{lead.email}>" if lead.name else lead.email
    return f"Forget {who}? This cannot be undone."


FORGET_DETAILS = (
    "Their name, email, company, phone, notes, tags and import history are erased from the "
    "database file. Their yeses and asks stay as anonymous counts, so the funnel's past "
    "figures do not change. Backups made before now still hold them until they are rotated "
    "out, unless you tick the box below."
)


def ask_finish_forget(parent: QWidget | None, text: str, informative: str) -> bool:
    """After a forget that erased the person but could not clean up: True for Try again."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Forget this person", text, parent=parent)
    box.setInformativeText(informative)
    again = box.addButton("Try again", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(again)
    box.exec()
    return box.clickedButton() is again


def unfinished_forget_text(who: str, exc: ForgetUnfinishedError) -> tuple[str, str]:
    """The question after an unfinished forget, and its informative text."""
    text = f"{who} was erased from the book, but {exc.what}: {exc.fix}, then click Try again."
    if exc.reason == "backup":
        later = "Until then that backup still holds them."
    else:
        later = "If you choose Later, Smallyes finishes it when it next starts."
    return text, later


RESTORE, CHOOSE_FILE, QUIT = "restore", "file", "quit"


def ask_damaged_action(message: str, newest: BackupInfo | None) -> str:
    """The start-up question for a damaged database: RESTORE, CHOOSE_FILE or QUIT."""
    box = QMessageBox(QMessageBox.Icon.Critical, "The database is damaged", message)
    restore_button = None
    if newest is not None:
        box.setInformativeText(
            f"The newest good backup is from {local(newest.created_at):%Y-%m-%d %H:%M}. "
            "Restoring it keeps the damaged file beside it."
        )
        restore_button = box.addButton("Restore that backup", QMessageBox.ButtonRole.AcceptRole)
    file_button = box.addButton("Choose a backup file…", QMessageBox.ButtonRole.ActionRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    if restore_button is not None and clicked is restore_button:
        return RESTORE
    return CHOOSE_FILE if clicked is file_button else QUIT
