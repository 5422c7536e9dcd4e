"""Ladder & offers: add, remove, rename, reorder and reword the steps; add, rename and
retire offers and edit their links; say which tags mean which yes (tag rules).

Step edits are kept in the dialog until Save, which stores them in one transaction (a
reorder, an added or a removed step recomputes every lead's level, so it happens once). A
removed step that yeses or asks use is merged into another step the owner picks: they move
there when Save runs, after a safety copy of the database. Offer, link and tag-rule
changes apply at once, each a small change of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crm.asking.ladder import (
    SUBSCRIBE_KEY,
    StepEdit,
    StepRemoval,
    StepRow,
    StepUse,
    check_removable,
    clean_label,
    default_template,
    get_ladder,
    key_from_label,
    save_ladder,
    step_uses,
)
from crm.book.offers import (
    OfferRow,
    add_offer,
    list_offers,
    rename_offer,
    retire_offer,
    set_offer_topics,
)
from crm.book.tag_rules import TagRule, add_tag_rule, list_tag_rules, remove_tag_rule
from crm.errors import SmallyesError
from crm.importing.activity.links import (
    DEFAULT_LINK_STEP,
    OfferLink,
    add_offer_link,
    offer_links,
    remove_offer_link,
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


def position_names(labels: list[str]) -> list[str]:
    """Where a new step can go, as the position box lists it: one entry per level."""
    if not labels:
        return ["Level 1"]
    names = [f"Level 1: before \u201c{labels[0]}\u201d, the smallest yes"]
    for i in range(1, len(labels)):
        names.append(
            f"Level {i + 1}: after \u201c{labels[i - 1]}\u201d, before \u201c{labels[i]}\u201d"
        )
    names.append(f"Level {len(labels) + 1}: after \u201c{labels[-1]}\u201d, at the top")
    return names


class NewStepDialog(QDialog):
    """The name of a new step and where it goes; its key is made from the name."""

    def __init__(
        self, parent: QWidget | None, labels: list[str], taken: list[str], position: int
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a step")
        self._taken = taken
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Attended webinar")
        self.name_edit.setAccessibleName("Name of the new step")
        self.key_label = styled(QLabel(wordWrap=True), "detailSubtitle")
        self.position_box = QComboBox()
        self.position_box.setAccessibleName("Position of the new step")
        self.position_box.addItems(position_names(labels))
        self.position_box.setCurrentIndex(max(0, min(position, len(labels))))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add step")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._on_name_edit_text_changed)
        form = QFormLayout(self)
        form.addRow("What the lead did:", self.name_edit)
        form.addRow("", self.key_label)
        form.addRow("Where it goes:", self.position_box)
        form.addRow(
            "",
            styled(
                QLabel("The steps from there up move one level up.", wordWrap=True),
                "detailSubtitle",
            ),
        )
        form.addRow(self.buttons)
        self._on_name_edit_text_changed("")

    def _on_name_edit_text_changed(self, text: str) -> None:
        blank = not text.strip()
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not blank)
        self.key_label.setText(
            ""
            if blank
            else f"Key: {key_from_label(text, self._taken)} (imports and smallyes-cli use it; "
            "it stays if you rename the step)"
        )

    def answer(self) -> tuple[str, int]:
        return self.name_edit.text(), self.position_box.currentIndex()


def ask_new_step(
    parent: QWidget, labels: list[str], taken: list[str], position: int
) -> tuple[str, int] | None:
    """The new step's name and its row (0 is level 1), or None (tests replace this)."""
    dialog = NewStepDialog(parent, labels, taken, position)
    return dialog.answer() if dialog.exec() == QDialog.DialogCode.Accepted else None


def choose_step(parent: QWidget, title: str, text: str, labels: list[str]) -> int | None:
    """The index of the step the owner picks from ``labels``, or None (tests replace this)."""
    value, ok = QInputDialog.getItem(parent, title, text, labels, 0, False)
    return labels.index(value) if ok and value in labels else None


def confirm(parent: QWidget, title: str, text: str, ok: str) -> bool:
    """Whether the owner confirms (tests replace this)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(ok, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


def choose_rule_removal(parent: QWidget, rule: TagRule) -> bool | None:
    """Whether the yeses the rule made go with it (True), stay (False), or None: the owner
    cancelled (tests replace this)."""
    made = "the yes it made" if rule.yeses == 1 else f"the {rule.yeses:,} yeses it made"
    text = f"Remove the tag rule \u201c{rule.pattern}\u201d? Later imports will not use it."
    if not rule.yeses:
        return False if confirm(parent, "Remove tag rule", text, "Remove rule") else None
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Remove tag rule",
        f"{text} Leads keep {made} unless you remove {'it' if rule.yeses == 1 else 'them'} too.",
        parent=parent,
    )
    keep = box.addButton("Remove rule, keep yeses", QMessageBox.ButtonRole.AcceptRole)
    both = box.addButton("Remove rule and yeses", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(keep)
    box.exec()
    clicked = box.clickedButton()
    return True if clicked is both else False if clicked is keep else None


def _count(n: int, word: str, plural: str = "") -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


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
        # what refers to each step, moved along by the merges made in the dialog
        self._uses: dict[str, StepUse] = step_uses()
        self._added: set[str] = set()
        self._removals: list[StepRemoval] = []
        self._moved: dict[str, StepUse] = {}  # per removed step, what its merge moves
        # keys a new step may not take: those on the ladder when the dialog opened too, as
        # removals are saved after the new steps are added
        self._taken: set[str] = {s.key for s in self._original}

        tabs = QTabWidget()
        tabs.addTab(self._build_ladder_tab(), "Ladder")
        tabs.addTab(self._build_offers_tab(), "Offers")
        tabs.addTab(self._build_tag_rules_tab(), "Tag rules")
        self.tabs = tabs
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
        self.add_step_button = QPushButton("Add step…")
        self.remove_step_button = QPushButton("Remove step…")
        self.add_step_button.clicked.connect(self.add_step)
        self.remove_step_button.clicked.connect(self.remove_step)
        moves = QHBoxLayout()
        moves.addWidget(self.up_button)
        moves.addWidget(self.down_button)
        grow = QHBoxLayout()
        grow.addWidget(self.add_step_button)
        grow.addWidget(self.remove_step_button)
        self.pending = styled(QLabel(wordWrap=True), "detailSubtitle")
        self.pending.hide()
        left = QVBoxLayout()
        left.addWidget(QLabel("Steps, smallest yes first (drag to reorder):"))
        left.addWidget(self.steps, 1)
        left.addLayout(moves)
        left.addLayout(grow)
        left.addWidget(self.pending)

        self.label_edit = QLineEdit()
        self.major_box = QCheckBox("A big ask (a call, a sale): suggested only from the step below")
        self.subject_edit = QLineEdit()
        self.body_edit = QPlainTextEdit()
        self.body_edit.setAccessibleName("Ask message")
        hint = styled(
            QLabel(
                "{first_name}, {offer}, {offer_link} and your leads' custom fields ({plan} "
                "for a column named Plan) are filled in for each lead.",
                wordWrap=True,
            ),
            "detailSubtitle",
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
        key = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        removable = key is not None and key != SUBSCRIBE_KEY and self.steps.count() > 1
        self.remove_step_button.setEnabled(removable)
        self.remove_step_button.setToolTip(
            "Imports record every newsletter sign-up at this step: it can be renamed, not removed."
            if key == SUBSCRIBE_KEY
            else ""
        )
        if key is None:
            return
        edit = self._edits[key]
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

    def _label_of(self, key: str) -> str:
        return self._edits[key].label or key

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def add_step(self) -> None:
        """Ask for a new step's name and place, and put it in the list (stored on Save)."""
        order = self.order()
        answer = ask_new_step(
            self,
            [self._label_of(k) for k in order],
            sorted(self._taken | set(order)),
            self.steps.currentRow() + 1,
        )
        if answer is None:
            return
        name, row = answer
        try:
            label = clean_label(name)
        except SmallyesError as exc:
            self._show_error(exc.user_message)
            return
        key = key_from_label(label, sorted(self._taken | set(order)))
        subject, body = default_template(label)
        self._edits[key] = _StepEdit(key, label, False, subject, body)
        self._added.add(key)
        self._taken.add(key)
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.steps.insertItem(max(0, min(row, self.steps.count())), item)
        self.steps.setCurrentItem(item)
        self.label_edit.setFocus()

    def remove_step(self) -> None:
        """Take the current step out; if yeses or asks use it, merge it into a step the
        owner picks, once confirmed (stored on Save)."""
        item = self.steps.currentItem()
        if item is None:
            return
        key = item.data(Qt.ItemDataRole.UserRole)
        label = self._label_of(key)
        try:
            check_removable(key, self.steps.count())
        except SmallyesError as exc:
            self._show_error(exc.user_message)
            return
        use = self._uses.get(key, StepUse())
        into: str | None = None
        if use.total:
            others = [k for k in self.order() if k != key]
            names = [self._label_of(k) for k in others]
            picked = choose_step(
                self,
                "Remove step",
                f"\u201c{label}\u201d is used by {use.words()}. Move them to:",
                names,
            )
            if picked is None:
                return
            into = others[picked]
            if not confirm(
                self,
                "Merge steps",
                f"Move {use.words()} from \u201c{label}\u201d to "
                f"\u201c{self._label_of(into)}\u201d and remove \u201c{label}\u201d? "
                "This happens when you save, after a safety copy of the database; leads' "
                "levels are then worked out again.",
                "Merge",
            ):
                return
            self._uses[into] = self._uses.get(into, StepUse()) + use
            self._moved[key] = use
        if key in self._added:
            # never stored: what was merged into it goes straight to where it goes now
            self._added.discard(key)
            self._removals = [
                StepRemoval(r.key, into) if r.into == key else r for r in self._removals
            ]
        else:
            self._removals.append(StepRemoval(key, into))
        self._uses.pop(key, None)
        del self._edits[key]
        row = self.steps.row(item)
        self.steps.takeItem(row)
        self.steps.setCurrentRow(min(row, self.steps.count() - 1))
        self._show_pending()

    def _show_pending(self) -> None:
        """What Save will remove and merge, so Cancel is an informed choice."""
        names = {s.key: s.label for s in self._original} | {
            k: self._label_of(k) for k in self._edits
        }
        lines = [
            f"\u201c{names[r.key]}\u201d is removed"
            + (
                f", merged into \u201c{names[r.into]}\u201d ({self._moved[r.key].words()})"
                if r.into and r.key in self._moved
                else ""
            )
            for r in self._removals
        ]
        self.pending.setText("When you save: " + "; ".join(lines) + "." if lines else "")
        self.pending.setVisible(bool(lines))

    def save(self) -> None:
        """Apply the step changes at once; a refused value stores none of them."""
        edits = [StepEdit(e.key, e.label, e.major, e.subject, e.body) for e in self._edits.values()]
        merging = any(r.into for r in self._removals)
        if merging:  # the safety copy before a merge takes a moment on a big file
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            with self._events.publishing(self):
                save_ladder(edits, self.order(), self._removals)
        except SmallyesError as exc:
            self._show_error(exc.user_message)
            return
        finally:
            if merging:
                QApplication.restoreOverrideCursor()
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
        form.addRow(self._build_links_box())
        # The dialog's Save and Cancel are about the ladder: say that offers do not wait.
        self.offers_note = styled(
            QLabel(
                "Each offer change (add, rename, retire, topics, links) is saved at once; "
                "Cancel does not undo it.",
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
        offers = list_offers(include_retired=True)
        for offer in offers:
            item = QListWidgetItem(offer.name + ("  (retired)" if offer.retired else ""))
            item.setData(Qt.ItemDataRole.UserRole, offer)
            self.offers.addItem(item)
            if offer.name == select:
                self.offers.setCurrentItem(item)
        self._on_offers_current_item_changed(self.offers.currentItem(), None)
        if hasattr(self, "rule_offer_box"):
            self._fill_rule_offers()

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
        self.links_box.setEnabled(offer is not None)
        self.link_error.hide()
        self._fill_links()

    def _apply(self, change: Callable[[], OfferRow]) -> None:
        try:
            with self._events.publishing(self):
                offer = change()
        except SmallyesError as exc:
            errors.show_error(self, exc)
            return
        self._fill_offers(select=offer.name)

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

    # --- offer links ---------------------------------------------------------------------

    def _build_links_box(self) -> QGroupBox:
        box = QGroupBox("Links")
        self.links_box = box
        self.links = QListWidget()
        self.links.setAccessibleName("Links of the offer")
        self.links.currentItemChanged.connect(self._on_links_current_item_changed)
        self.link_edit = QLineEdit()
        self.link_edit.setPlaceholderText("example.com/guides/seo-checklist")
        self.link_edit.setAccessibleName("New link of the offer")
        self.link_edit.returnPressed.connect(self.add_link)
        self.link_step_box = QComboBox()
        self.link_step_box.setAccessibleName("Step of a click on the new link")
        steps = get_ladder()
        default = next((s.label for s in steps if s.key == DEFAULT_LINK_STEP), DEFAULT_LINK_STEP)
        self.link_step_box.addItem(f"{default} (the usual)", None)
        for step in steps:
            if step.key != DEFAULT_LINK_STEP:
                self.link_step_box.addItem(step.label, step.key)
        self.add_link_button = QPushButton("Add link")
        self.add_link_button.clicked.connect(self.add_link)
        self.remove_link_button = QPushButton("Remove link")
        self.remove_link_button.clicked.connect(self.remove_link)
        self.link_error = styled(QLabel(wordWrap=True), "inlineError")
        self.link_error.hide()
        click = QHBoxLayout()
        click.addWidget(self.link_step_box, 1)
        click.addWidget(self.add_link_button)
        new_link = QFormLayout()
        new_link.addRow("New address:", self.link_edit)
        new_link.addRow("A click on it is:", click)
        layout = QVBoxLayout(box)
        layout.addWidget(
            styled(
                QLabel(
                    "In an activity import, a click on one of these addresses (or on any "
                    "address that starts with one) is a yes on this offer.",
                    wordWrap=True,
                ),
                "detailSubtitle",
            )
        )
        layout.addWidget(self.links, 1)
        layout.addWidget(self.remove_link_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(new_link)
        layout.addWidget(self.link_error)
        return box

    def _fill_links(self) -> None:
        self.links.clear()
        offer = self.current_offer()
        if offer is not None:
            labels = {s.key: s.label for s in get_ladder()}
            for link in offer_links(offer.name):
                item = QListWidgetItem(f"{link.prefix}  \u2192  {labels.get(link.step, link.step)}")
                item.setData(Qt.ItemDataRole.UserRole, link)
                self.links.addItem(item)
        self._on_links_current_item_changed(self.links.currentItem(), None)

    def _on_links_current_item_changed(self, current: QListWidgetItem | None, _p: object) -> None:
        self.remove_link_button.setEnabled(current is not None)

    def current_link(self) -> OfferLink | None:
        item = self.links.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _link_change(self, change: Callable[[], object]) -> bool:
        try:
            with self._events.publishing(self):
                change()
        except SmallyesError as exc:
            self.link_error.setText(exc.user_message)
            self.link_error.show()
            return False
        self.link_error.hide()
        self._fill_links()
        return True

    def add_link(self) -> None:
        offer = self.current_offer()
        if offer is None:
            return
        url, step = self.link_edit.text(), self.link_step_box.currentData()
        if self._link_change(lambda: add_offer_link(offer.name, url, now=self._clock(), step=step)):
            self.link_edit.clear()

    def remove_link(self) -> None:
        offer, link = self.current_offer(), self.current_link()
        if offer is not None and link is not None:
            self._link_change(lambda: remove_offer_link(offer.name, link.prefix))

    # --- tag rules -----------------------------------------------------------------------

    def _build_tag_rules_tab(self) -> QWidget:
        self.rules = QListWidget()
        self.rules.setAccessibleName("Tag rules")
        self.rules.currentItemChanged.connect(self._on_rules_current_item_changed)
        self.remove_rule_button = QPushButton("Remove rule…")
        self.remove_rule_button.clicked.connect(self.remove_rule)
        self.rules_result = styled(QLabel(wordWrap=True), "detailSubtitle")
        self.rules_result.hide()
        # Saved at once like offers: the dialog's Save and Cancel are about the ladder.
        self.rules_note = styled(
            QLabel(
                "A rule gives its yes to the leads who carry the tag now and to those each "
                "later import tags, once per lead, dated at the import that brought the tag "
                "(undoing that import takes it back). Rules are saved at once; Cancel does not "
                "undo them.",
                wordWrap=True,
            ),
            "detailSubtitle",
        )
        top = QVBoxLayout()
        top.addWidget(QLabel("Tags that mean a yes:"))
        top.addWidget(self.rules_note)
        top.addWidget(self.rules, 1)
        under = QHBoxLayout()
        under.addWidget(self.remove_rule_button, 0, Qt.AlignmentFlag.AlignTop)
        under.addWidget(self.rules_result, 1)
        top.addLayout(under)

        self.pattern_edit = QLineEdit()
        self.pattern_edit.setPlaceholderText("Downloaded: *")
        self.pattern_edit.setAccessibleName("Tag the rule looks for")
        self.pattern_edit.textChanged.connect(self._on_pattern_edit_text_changed)
        self.pattern_edit.returnPressed.connect(self.add_rule)
        self.rule_step_box = QComboBox()
        self.rule_step_box.setAccessibleName("Step the tag means")
        for step in get_ladder():
            self.rule_step_box.addItem(step.label, step.key)
        self.rule_step_box.setCurrentIndex(max(0, self.rule_step_box.findData(DEFAULT_LINK_STEP)))
        self.rule_offer_box = QComboBox()
        self.rule_offer_box.setAccessibleName("Offer the tag means")
        self._fill_rule_offers()
        self.add_rule_button = QPushButton("Add rule")
        self.add_rule_button.clicked.connect(self.add_rule)
        self.rule_error = styled(QLabel(wordWrap=True), "inlineError")
        self.rule_error.hide()
        form = QFormLayout()
        form.addRow("Tag:", self.pattern_edit)
        form.addRow(
            "",
            styled(
                QLabel(
                    "In any case; * stands for any text: \u201cDownloaded: *\u201d is every "
                    "\u201cDownloaded: \u2026\u201d tag."
                ),
                "detailSubtitle",
            ),
        )
        form.addRow("Means a yes at:", self.rule_step_box)
        form.addRow("On the offer:", self.rule_offer_box)
        form.addRow("", self.add_rule_button)
        form.addRow("", self.rule_error)
        adding = QGroupBox("Add a rule")
        adding.setLayout(form)
        tab = QWidget()
        column = QVBoxLayout(tab)
        column.addLayout(top, 1)
        column.addWidget(adding)
        self._fill_rules()
        self._on_pattern_edit_text_changed("")
        return tab

    def _fill_rule_offers(self) -> None:
        chosen = self.rule_offer_box.currentData()
        self.rule_offer_box.clear()
        self.rule_offer_box.addItem("No offer", None)
        for offer in list_offers():
            self.rule_offer_box.addItem(offer.name, offer.name)
        self.rule_offer_box.setCurrentIndex(max(0, self.rule_offer_box.findData(chosen)))

    def _fill_rules(self, select: str | None = None) -> None:
        self.rules.clear()
        for rule in list_tag_rules():
            text = f"\u201c{rule.pattern}\u201d  \u2192  {rule.step_label}"
            text += f" \u2014 {rule.offer}" if rule.offer else ""
            item = QListWidgetItem(f"{text}   ({_count(rule.yeses, 'yes', 'yeses')})")
            item.setData(Qt.ItemDataRole.UserRole, rule)
            self.rules.addItem(item)
            if rule.pattern == select:
                self.rules.setCurrentItem(item)
        self._on_rules_current_item_changed(self.rules.currentItem(), None)

    def current_rule(self) -> TagRule | None:
        item = self.rules.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _on_rules_current_item_changed(self, current: QListWidgetItem | None, _p: object) -> None:
        self.remove_rule_button.setEnabled(current is not None)

    def _on_pattern_edit_text_changed(self, text: str) -> None:
        self.add_rule_button.setEnabled(bool(text.strip()))

    def _show_rule_result(self, text: str) -> None:
        self.rule_error.hide()
        self.rules_result.setText(text)
        self.rules_result.show()

    def add_rule(self) -> None:
        """Add the rule in the fields and apply it to the tags already stored."""
        pattern = self.pattern_edit.text()
        step, offer = self.rule_step_box.currentData(), self.rule_offer_box.currentData()
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a big book takes a moment
        try:
            with self._events.publishing(self):
                rule, applied = add_tag_rule(pattern, step, offer=offer, now=self._clock())
        except SmallyesError as exc:
            self.rule_error.setText(exc.user_message)
            self.rule_error.show()
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.pattern_edit.clear()
        self._fill_rules(select=rule.pattern)
        text = (
            f"Added \u201c{rule.pattern}\u201d: {_count(applied.yeses, 'lead')} "
            f"{'gets' if applied.yeses == 1 else 'get'} a yes from the tags already stored"
        )
        if applied.resolved_asks:
            text += f", answering {_count(applied.resolved_asks, 'pending ask')}"
        self._show_rule_result(text + ".")

    def remove_rule(self) -> None:
        rule = self.current_rule()
        if rule is None:
            return
        and_yeses = choose_rule_removal(self, rule)
        if and_yeses is None:
            return
        try:
            with self._events.publishing(self):
                removed = remove_tag_rule(rule.pattern, and_yeses=and_yeses)
        except SmallyesError as exc:
            self.rule_error.setText(exc.user_message)
            self.rule_error.show()
            return
        self._fill_rules()
        self._show_rule_result(removed.message)


def open_ladder_dialog(parent: QWidget, events: AppEvents) -> None:
    """Open the Ladder & offers editor (modal)."""
    LadderDialog(events, parent).exec()
