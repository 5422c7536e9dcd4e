"""Today's two small dialogs: the first offer, and an ask's message with its preview.

**Add your first offer** takes a name, the link where the offer is and its topic, and adds
the offer with its link in one go (``crm.asking.offer_setup``). **Edit the message** edits
the step's ask subject and body with a live preview for the lead selected in Today: the
placeholders it may use are listed, and one this lead has no value for shows as written.
Both stay open on a refused value and say why in a line under the fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from crm.asking.ladder import set_template, step_by_key
from crm.asking.offer_setup import add_offer_with_link
from crm.asking.templates import FIXED_FIELDS, custom_field_names, render_message
from crm.book.offers import OfferRow
from crm.errors import SmallyesError
from ui.events import AppEvents
from ui.style import styled


def _buttons(dialog: QDialog, save: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Save).setText(save)
    buttons.rejected.connect(dialog.reject)
    return buttons


class FirstOfferDialog(QDialog):
    """Name, link and topic of a first offer; Save adds both or nothing."""

    def __init__(
        self, events: AppEvents, clock: Callable[[], dt.datetime], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add your first offer")
        self._events = events
        self._clock = clock
        self.offer: OfferRow | None = None
        intro = QLabel(
            "Your asks name a free offer (a guide, a checklist, a short course) and link to "
            "it. Add the first one: a click on its link counts as a yes.",
            wordWrap=True,
        )
        self.name_edit = QLineEdit(placeholderText="Focus workbook")
        self.link_edit = QLineEdit(placeholderText="example.com/focus-workbook")
        self.topic_edit = QLineEdit(placeholderText="focus, productivity")
        self.name_edit.setAccessibleName("Name of the offer")
        self.link_edit.setAccessibleName("Link to the offer")
        self.topic_edit.setAccessibleName("Topic of the offer")
        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Link:", self.link_edit)
        form.addRow("&Topic:", self.topic_edit)
        self.error = styled(QLabel(wordWrap=True), "inlineError")
        self.error.hide()
        self.buttons = _buttons(self, "Add offer")
        self.buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def save(self) -> None:
        try:
            with self._events.publishing(self):
                self.offer = add_offer_with_link(
                    self.name_edit.text(),
                    self.link_edit.text(),
                    now=self._clock(),
                    topics=self.topic_edit.text(),
                )
        except SmallyesError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            return
        self.accept()


class MessageDialog(QDialog):
    """A step's ask subject and body, with the message as the selected lead would get it."""

    def __init__(
        self,
        events: AppEvents,
        step: str,
        ask: str,
        lead: str,
        fields: Mapping[str, str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit the message")
        self._events = events
        self._fields = dict(fields)
        self.step = step_by_key(step)
        title = styled(QLabel(f"The message for: {ask}"), "sectionTitle")
        note = styled(
            QLabel(
                f"Every lead asked at “{self.step.label}” gets this message, with its "
                "fill-ins in place.",
                wordWrap=True,
            ),
            "detailSubtitle",
        )
        self.subject_edit = QLineEdit(self.step.ask_subject)
        self.subject_edit.setAccessibleName("Subject")
        self.body_edit = QPlainTextEdit(self.step.ask_body)
        self.body_edit.setAccessibleName("Message")
        self.body_edit.setMinimumHeight(120)
        names = [*FIXED_FIELDS, *custom_field_names()]
        self.fill_ins = styled(
            QLabel(
                "Fill-ins: "
                + ", ".join("{" + n + "}" for n in names)
                + ". A link to the offer follows a message that names the offer but not "
                "{offer_link}.",
                wordWrap=True,
            ),
            "detailSubtitle",
        )
        form = QFormLayout()
        form.addRow("&Subject:", self.subject_edit)
        form.addRow("&Message:", self.body_edit)
        self.preview_title = styled(QLabel(f"Preview for {lead}"), "sectionTitle")
        self.preview = QPlainTextEdit(readOnly=True)
        self.preview.setAccessibleName(f"Preview for {lead}")
        self.preview.setMinimumHeight(120)
        self.unfilled = styled(QLabel(wordWrap=True), "inlineError")
        self.error = styled(QLabel(wordWrap=True), "inlineError")
        self.error.hide()
        self.buttons = _buttons(self, "Save message")
        self.buttons.accepted.connect(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.fill_ins)
        layout.addWidget(self.preview_title)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.unfilled)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.subject_edit.textChanged.connect(self._on_template_changed)
        self.body_edit.textChanged.connect(self._on_template_changed)
        self._on_template_changed()

    def _on_template_changed(self, *_args: object) -> None:
        message = render_message(
            self.subject_edit.text(), self.body_edit.toPlainText(), self._fields
        )
        self.preview.setPlainText(f"{message.subject}\n\n{message.body}")
        left = ", ".join("{" + n + "}" for n in message.unfilled)
        self.unfilled.setText(f"Shown as written, with no value for this lead: {left}.")
        self.unfilled.setVisible(bool(message.unfilled))
        self.error.hide()

    def save(self) -> None:
        try:
            with self._events.publishing(self):
                set_template(self.step.key, self.subject_edit.text(), self.body_edit.toPlainText())
        except SmallyesError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            return
        self.accept()
