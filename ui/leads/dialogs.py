"""The Leads page's dialogs: add a lead, log a yes, confirm a delete.

Each dialog is opened through a classmethod or function that tests replace, so no test
waits on a modal ``exec()``. A dialog hands what the user entered to a ``submit``
callable; a refused entry (bad email, duplicate) shows its one-sentence message inside the
dialog, which stays open so the user can fix it, and nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from crm.asking.ladder import StepRow
from crm.book.leads import LeadRow
from crm.errors import ForgottenAddressError, SmallyesError, ValidationError
from crm.timefmt import to_utc
from ui.style import styled


def _lay_out(
    dialog: QDialog, form: QFormLayout, error: QLabel, *, ok_text: str, min_width: int
) -> QDialogButtonBox:
    """The form, the error line and OK/Cancel (OK renamed to what it does), stacked."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addLayout(form)
    layout.addWidget(error)
    layout.addWidget(buttons)
    dialog.setMinimumWidth(min_width)
    return buttons


def _error_label() -> QLabel:
    label = styled(QLabel(wordWrap=True), "inlineError")
    label.hide()
    return label


@dataclass(frozen=True, slots=True)
class NewLead:
    email: str
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    phone: str = ""
    tags: tuple[str, ...] = ()
    # The person was forgotten at their request and the owner confirmed they asked back.
    again: bool = False


class AddLeadDialog(QDialog):
    """Add a lead by hand: only the email is required."""

    def __init__(self, parent: QWidget | None, submit: Callable[[NewLead], LeadRow]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a lead")
        self._submit = submit
        self.added: LeadRow | None = None
        self.email = QLineEdit(placeholderText="name@example.com")
        self.first = QLineEdit()
        self.last = QLineEdit()
        self.company = QLineEdit()
        self.phone = QLineEdit()
        self.tags = QLineEdit(placeholderText="comma-separated, e.g. workshop, vip")
        self.error = _error_label()
        form = QFormLayout()
        form.addRow("&Email:", self.email)
        form.addRow("&First name:", self.first)
        form.addRow("&Last name:", self.last)
        form.addRow("&Company:", self.company)
        form.addRow("&Phone:", self.phone)
        form.addRow("&Tags:", self.tags)
        self.buttons = _lay_out(self, form, self.error, ok_text="Add lead", min_width=420)
        self._again_for = ""  # the forgotten address the owner was warned about
        self.email.textChanged.connect(self._on_email_text_changed)

    def _on_email_text_changed(self, _text: str) -> None:
        if self._again_for:
            self._again_for = ""
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add lead")

    def entered(self) -> NewLead:
        return NewLead(
            email=self.email.text(),
            first_name=self.first.text(),
            last_name=self.last.text(),
            company=self.company.text(),
            phone=self.phone.text(),
            tags=tuple(t.strip() for t in self.tags.text().split(",") if t.strip()),
            again=bool(self._again_for) and self._again_for == self.email.text(),
        )

    def accept(self) -> None:
        try:
            if not self.email.text().strip():
                # Said here: the address check would quote an "(empty)" address back.
                raise ValidationError("Type the lead's email address: it is the one field needed.")
            self.added = self._submit(self.entered())
        except ForgottenAddressError as exc:
            # A second click on the renamed button adds them: the owner's explicit word.
            self.error.setText(
                f"{exc.email} was forgotten at their request: click Add them again only if "
                "they asked to be added back."
            )
            self.error.show()
            self._again_for = self.email.text()
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add them again")
            return
        except SmallyesError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            self.email.setFocus()
            return
        super().accept()

    @classmethod
    def run(cls, parent: QWidget | None, submit: Callable[[NewLead], LeadRow]) -> LeadRow | None:
        """Open the dialog; the added lead, or None when cancelled."""
        dialog = cls(parent, submit)
        return dialog.added if dialog.exec() == QDialog.DialogCode.Accepted else None


@dataclass(frozen=True, slots=True)
class NewYes:
    """A yes (or an ask) as entered: the step, when, the offer, a note."""

    step: str
    at: dt.datetime  # naive UTC
    offer: str | None = None
    note: str = ""


class LogYesDialog(QDialog):
    """Log a yes: the step, an optional offer (pick one or type a new name), when, a note."""

    TITLE = "Log a yes"
    STEP_LABEL = "&Step:"
    OK_TEXT = "Log yes"
    NOTE_HINT = "What did they say or do?"

    def __init__(
        self,
        parent: QWidget | None,
        lead: LeadRow,
        steps: Sequence[StepRow],
        offers: Sequence[str],
        submit: Callable[[NewYes], object],
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{self.TITLE} — {lead.display_name}")
        self._submit = submit
        self.logged = False
        self.step = QComboBox()
        for s in steps:
            self.step.addItem(f"{s.label} — {s.description}" if s.description else s.label, s.key)
        # Suggest the rung just above the lead's current one.
        above = next((i for i, s in enumerate(steps) if s.level > lead.level), len(steps) - 1)
        self.step.setCurrentIndex(max(above, 0))
        self.offer = QComboBox(editable=True)
        self.offer.addItem("")
        self.offer.addItems(list(offers))
        if (line := self.offer.lineEdit()) is not None:
            line.setPlaceholderText("none, or pick or type a name")
        self.at = QDateTimeEdit(QDateTime.currentDateTime(), calendarPopup=True)
        self.at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.at.setMaximumDateTime(QDateTime.currentDateTime().addDays(1))
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Note")
        self.note.setPlaceholderText(self.NOTE_HINT)
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(self.note.fontMetrics().height() * 4)
        self.error = _error_label()
        form = QFormLayout()
        form.addRow(self.STEP_LABEL, self.step)
        form.addRow("&Offer:", self.offer)
        form.addRow("&When:", self.at)
        form.addRow("&Note:", self.note)
        self.buttons = _lay_out(self, form, self.error, ok_text=self.OK_TEXT, min_width=460)

    def entered(self) -> NewYes:
        offer = self.offer.currentText().strip() or None
        local_time = self.at.dateTime().toPython()  # naive local wall-clock time
        assert isinstance(local_time, dt.datetime)
        return NewYes(
            step=str(self.step.currentData()),
            at=to_utc(local_time),
            offer=offer,
            note=self.note.toPlainText().strip(),
        )

    def accept(self) -> None:
        try:
            self._submit(self.entered())
        except SmallyesError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            return
        self.logged = True
        super().accept()

    @classmethod
    def run(
        cls,
        parent: QWidget | None,
        lead: LeadRow,
        steps: Sequence[StepRow],
        offers: Sequence[str],
        submit: Callable[[NewYes], object],
    ) -> bool:
        """Open the dialog; True when a yes was logged."""
        dialog = cls(parent, lead, steps, offers, submit)
        return dialog.exec() == QDialog.DialogCode.Accepted and dialog.logged


class LogAskDialog(LogYesDialog):
    """Log an ask made outside Today's suggestions: the step asked for, the offer, when."""

    TITLE = "Log an ask"
    STEP_LABEL = "&Asked for:"
    OK_TEXT = "Log ask"
    NOTE_HINT = "How and where you asked (optional)"


def confirm_delete(parent: QWidget | None, lead: LeadRow) -> bool:
    """Ask before deleting; the delete can be undone, and the question says so."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Delete lead",
        f"Delete {lead.display_name} and their whole timeline?",
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setInformativeText("You can undo this with Ctrl+Z.")
    delete = box.addButton("Delete", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
    return box.clickedButton() is delete
