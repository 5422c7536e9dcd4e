"""Ladder & offers: rename, reorder and reword the steps; add, rename and retire offers.

Step edits are kept in the dialog until Save (a reorder recomputes every lead's level, so
it happens once); offer changes apply at once, each a small change of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crm.errors import SmallyesError
from crm.ladder import StepEdit, StepRow, get_ladder, save_ladder
from crm.offers import (
    OfferRow,
    add_offer,
    list_offers,
    rename_offer,
    retire_offer,
    set_offer_topics,
)
from crm.timefmt import utc_now
from ui import errors
from ui.events import AppEvents
from ui.style import styled


@dataclass(frozen=True, slots=True)
class _StepEdit:
    key: str
    label: str
    major: bool
    subject: str
    body: str


def ask_text(parent: QWidget, title: str, label: str, text: str = "") -> str | None:
    """One line of text from the owner (tests replace this)."""
    value, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, text)
    return value if ok else None


class LadderDialog(QDialog):
    def __init__(
        self,
        events: AppEvents,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Ladder & offers")
        self.resize(760, 520)
        self._events = events
        self._clock = clock
        self._original: list[StepRow] = get_ladder()
        self._edits: dict[str, _StepEdit] = {
            s.key: _StepEdit(s.key, s.label, s.major, s.ask_subject, s.ask_body)
            for s in self._original
        }
        self._current: str | None = None

        tabs = QTabWidget()
        tabs.addTab(self._build_ladder_tab(), "Ladder")
        tabs.addTab(self._build_offers_tab(), "Offers")
        self.error = styled(QLabel(wordWrap=True), "inlineError")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.steps.setCurrentRow(0)

    # --- ladder -------------------------------------------------------------------------

    def _build_ladder_tab(self) -> QWidget:
        self.steps = QListWidget()
        self.steps.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.steps.setAccessibleName("Steps, lowest first")
        for step in self._original:
            item = QListWidgetItem(step.label)
            item.setData(Qt.ItemDataRole.UserRole, step.key)
            self.steps.addItem(item)
        self.steps.currentItemChanged.connect(self._on_steps_current_item_changed)
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        moves = QHBoxLayout()
        moves.addWidget(self.up_button)
        moves.addWidget(self.down_button)
        left = QVBoxLayout()
        left.addWidget(QLabel("Steps, smallest yes first (drag to reorder):"))
        left.addWidget(self.steps, 1)
        left.addLayout(moves)

        self.label_edit = QLineEdit()
        self.major_box = QCheckBox("A big ask (a call, a sale): suggested only from the step below")
        self.subject_edit = QLineEdit()
        self.body_edit = QPlainTextEdit()
        self.body_edit.setAccessibleName("Ask message")
        hint = styled(
            QLabel("{first_name} and {offer} are filled in for each lead."), "detailSubtitle"
        )
        for widget in (self.label_edit, self.subject_edit):
            widget.textEdited.connect(self._on_field_edited)
        self.major_box.toggled.connect(self._on_field_edited)
        self.body_edit.textChanged.connect(self._on_field_edited)
        form = QFormLayout()
        form.addRow("Name:", self.label_edit)
        form.addRow("", self.major_box)
        form.addRow("Ask subject:", self.subject_edit)
        form.addRow("Ask message:", self.body_edit)
        form.addRow("", hint)

        tab = QWidget()
        row = QHBoxLayout(tab)
        row.addLayout(left, 2)
        row.addLayout(form, 3)
        return tab

    def order(self) -> list[str]:
        return [
            self.steps.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.steps.count())
        ]

    def move_current(self, delta: int) -> None:
        row = self.steps.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.steps.count():
            return
        item = self.steps.takeItem(row)
        self.steps.insertItem(target, item)
        self.steps.setCurrentRow(target)

    def _on_steps_current_item_changed(
        self, current: QListWidgetItem | None, _prev: object
    ) -> None:
        self._current = None  # no edits recorded while the fields are refilled
        if current is None:
            return
        edit = self._edits[current.data(Qt.ItemDataRole.UserRole)]
        self.label_edit.setText(edit.label)
        self.major_box.setChecked(edit.major)
        self.subject_edit.setText(edit.subject)
        self.body_edit.setPlainText(edit.body)
        self._current = edit.key

    def _on_field_edited(self, *_args: object) -> None:
        if self._current is None:
            return
        edit = replace(
            self._edits[self._current],
            label=self.label_edit.text(),
            major=self.major_box.isChecked(),
            subject=self.subject_edit.text(),
            body=self.body_edit.toPlainText(),
        )
        self._edits[self._current] = edit
        item = self.steps.currentItem()
        if item is not None:
            item.setText(edit.label or edit.key)

    def save(self) -> None:
        """Apply the step changes at once; a refused value stores none of them."""
        edits = [StepEdit(e.key, e.label, e.major, e.subject, e.body) for e in self._edits.values()]
        try:
            changed = save_ladder(edits, self.order())
        except SmallyesError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            return
        if changed:
            self._events.ladder_changed.emit()
        self.accept()

    # --- offers -------------------------------------------------------------------------

    def _build_offers_tab(self) -> QWidget:
        self.offers = QListWidget()
        self.offers.currentItemChanged.connect(self._on_offers_current_item_changed)
        self.add_offer_button = QPushButton("Add…")
        self.rename_offer_button = QPushButton("Rename…")
        self.retire_offer_button = QPushButton("Retire")
        self.add_offer_button.clicked.connect(self.add_offer)
        self.rename_offer_button.clicked.connect(self.rename_offer)
        self.retire_offer_button.clicked.connect(self.toggle_retired)
        self.topics_edit = QLineEdit()
        self.topics_edit.setPlaceholderText("pricing, marketing")
        self.kind_edit = QLineEdit()
        self.kind_edit.setPlaceholderText("guide, checklist, quiz, survey…")
        self.save_topics_button = QPushButton("Save topics")
        self.save_topics_button.clicked.connect(self.save_topics)
        buttons = QHBoxLayout()
        for b in (self.add_offer_button, self.rename_offer_button, self.retire_offer_button):
            buttons.addWidget(b)
        form = QFormLayout()
        form.addRow("Kind:", self.kind_edit)
        form.addRow("Topics:", self.topics_edit)
        form.addRow(
            "",
            styled(
                QLabel(
                    "Topics are matched with the lead's tags and past offers to pick which "
                    "offer to suggest.",
                    wordWrap=True,
                ),
                "detailSubtitle",
            ),
        )
        form.addRow("", self.save_topics_button)
        # The dialog's Save and Cancel are about the ladder: say that offers do not wait.
        self.offers_note = styled(
            QLabel(
                "Each offer change (add, rename, retire, topics) is saved at once; Cancel "
                "does not undo it.",
                wordWrap=True,
            ),
            "detailSubtitle",
        )
        left = QVBoxLayout()
        left.addWidget(self.offers, 1)
        left.addLayout(buttons)
        left.addWidget(self.offers_note)
        tab = QWidget()
        row = QHBoxLayout(tab)
        row.addLayout(left, 2)
        row.addLayout(form, 3)
        self._fill_offers()
        return tab

    def _fill_offers(self, select: str | None = None) -> None:
        self.offers.clear()
        for offer in list_offers(include_retired=True):
            item = QListWidgetItem(offer.name + ("  (retired)" if offer.retired else ""))
            item.setData(Qt.ItemDataRole.UserRole, offer)
            self.offers.addItem(item)
            if offer.name == select:
                self.offers.setCurrentItem(item)
        self._on_offers_current_item_changed(self.offers.currentItem(), None)

    def current_offer(self) -> OfferRow | None:
        item = self.offers.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _on_offers_current_item_changed(self, current: QListWidgetItem | None, _p: object) -> None:
        offer = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        for w in (
            self.rename_offer_button,
            self.retire_offer_button,
            self.topics_edit,
            self.kind_edit,
            self.save_topics_button,
        ):
            w.setEnabled(offer is not None)
        self.topics_edit.setText(", ".join(offer.topics) if offer else "")
        self.kind_edit.setText(offer.kind if offer else "")
        self.retire_offer_button.setText("Restore" if offer and offer.retired else "Retire")

    def _apply(self, change: Callable[[], OfferRow]) -> None:
        try:
            offer = change()
        except SmallyesError as exc:
            errors.show_error(self, exc)
            return
        self._fill_offers(select=offer.name)
        self._events.offers_changed.emit()

    def add_offer(self) -> None:
        name = ask_text(self, "Add an offer", "Name of the free guide, checklist or quiz:")
        if name is None:
            return
        self._apply(lambda: add_offer(name, now=self._clock()))

    def rename_offer(self) -> None:
        offer = self.current_offer()
        if offer is None:
            return
        name = ask_text(self, "Rename offer", "New name:", offer.name)
        if name is None or name == offer.name:
            return
        self._apply(lambda: rename_offer(offer.name, name))

    def toggle_retired(self) -> None:
        offer = self.current_offer()
        if offer is not None:
            self._apply(lambda: retire_offer(offer.name, not offer.retired))

    def save_topics(self) -> None:
        offer = self.current_offer()
        if offer is not None:
            topics, kind = self.topics_edit.text(), self.kind_edit.text()
            self._apply(lambda: set_offer_topics(offer.name, topics, kind))


def open_ladder_dialog(parent: QWidget, events: AppEvents) -> None:
    """Open the Ladder & offers editor (modal)."""
    LadderDialog(events, parent).exec()
