"""More filters: every part of a :class:`crm.book.filters.LeadFilter` in one dialog.

The lead list's filter bar keeps the quick filters (search, status, step, tag, source); this
dialog edits the whole filter: several tags (all of, any of, none of), the step reached (is,
at least, at most), the offer taken, the last yes (after, before), the last ask (never, or
not since a date), engagement (opened or clicked in the last N days) and conditions on
custom fields. The sidebar's "Edit filter…" of a segment opens the same dialog.

A part that names something the book no longer has (a removed tag, offer or field) is kept
and marked; a step the ladder no longer has must be changed before the filter is applied.
The dialog is opened through :meth:`FilterDialog.run`, which tests replace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.asking.ladder import get_ladder
from crm.book.custom_fields import custom_field_names
from crm.book.filters import LeadFilter
from crm.book.leads import STATUS_LABELS, FieldFilter, LeadStatus, all_sources, all_tags
from crm.book.offers import list_offers
from crm.errors import ValidationError
from crm.timefmt import local, to_utc, utc_now
from ui.flow_layout import flow_container
from ui.leads.labels import SOURCE_LABELS
from ui.style import styled

# How each field condition reads in the dialog, by its operator.
FIELD_OPS = {
    "equals": "is",
    "contains": "contains",
    "empty": "is empty",
    "above": "is a number above",
    "below": "is a number below",
}
DEFAULT_ENGAGED_DAYS = 30
MAX_DAYS = 36_500
TAG_CHIP_TEXT_WIDTH = 160  # pixels


def day_of(at: dt.datetime) -> QDate:
    """A stored time as the owner's calendar day."""
    day = local(at).date()
    return QDate(day.year, day.month, day.day)


def start_of(day: QDate) -> dt.datetime:
    """The start of the owner's calendar day, as the naive UTC the filter stores (a date
    typed on the command line means the same)."""
    return to_utc(dt.datetime(day.year(), day.month(), day.day()))


def _combo(name: str) -> QComboBox:
    combo = QComboBox()
    combo.setAccessibleName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def _placeholder(combo: QComboBox, text: str) -> None:
    edit = combo.lineEdit()
    assert edit is not None  # an editable combo has its line edit
    edit.setPlaceholderText(text)


def _pick(combo: QComboBox, value: str | None, missing: str) -> None:
    """Select ``value``; one the list no longer has is added, marked with ``missing``."""
    if value is None:
        combo.setCurrentIndex(0)
        return
    index = combo.findData(value)
    if index < 0:
        for i in range(combo.count()):
            data = combo.itemData(i)
            if isinstance(data, str) and data.casefold() == value.casefold():
                index = i
                break
    if index < 0:
        combo.addItem(f"{value} ({missing})", value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class TagPicker(QWidget):
    """Tags as removable chips, and a box that adds one (picked from the book's tags or
    typed)."""

    sig_changed = Signal()

    def __init__(self, known: list[str], name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tags: list[str] = []
        self._known = {t.casefold() for t in known}
        line, self._row = flow_container()
        self.box = QComboBox()
        self.box.setEditable(True)
        self.box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.box.addItems(known)
        self.box.setCurrentIndex(-1)
        _placeholder(self.box, "Add a tag…")
        self.box.setAccessibleName(name)
        self.box.setMinimumContentsLength(12)
        self.box.textActivated.connect(self.add)
        self._row.addWidget(self.box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(line)

    def tags(self) -> tuple[str, ...]:
        return tuple(self._tags)

    def set_tags(self, tags: tuple[str, ...]) -> None:
        self._tags = []
        for tag in tags:
            self._add(tag)
        self._refill()

    def add(self, text: str) -> None:
        if self._add(text):
            self._refill()
            self.sig_changed.emit()
        self.box.setCurrentIndex(-1)
        self.box.clearEditText()

    def remove(self, tag: str) -> None:
        self._tags = [t for t in self._tags if t != tag]
        self._refill()
        self.sig_changed.emit()

    def _add(self, text: str) -> bool:
        tag = " ".join(text.split())
        if not tag or tag.casefold() in {t.casefold() for t in self._tags}:
            return False
        self._tags.append(tag)
        return True

    def chips(self) -> list[QToolButton]:
        return [
            w
            for i in range(self._row.count())
            if (item := self._row.itemAt(i)) is not None
            and isinstance(w := item.widget(), QToolButton)
        ]

    def _refill(self) -> None:
        while (item := self._row.takeAt(0)) is not None:
            if (widget := item.widget()) is not None and widget is not self.box:
                widget.deleteLater()
        metrics = self.fontMetrics()
        for tag in self._tags:
            gone = tag.casefold() not in self._known
            text = metrics.elidedText(tag, Qt.TextElideMode.ElideRight, TAG_CHIP_TEXT_WIDTH)
            chip = styled(QToolButton(), "tagChip")
            chip.setText(f"{text}{' (no lead has it)' if gone else ''}  ✕")
            chip.setToolTip(f"Remove “{tag}” from this filter")
            chip.setAccessibleName(f"Remove tag {tag}")
            chip.clicked.connect(lambda _=False, t=tag: self.remove(t))
            self._row.addWidget(chip)
        self._row.addWidget(self.box)


class FieldCondition(QWidget):
    """One condition on a custom field: the field, how it compares, the value."""

    sig_remove = Signal(object)  # this row

    def __init__(self, fields: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.name.addItems(fields)
        self.name.setCurrentIndex(0 if fields else -1)
        _placeholder(self.name, "Field")
        self.name.setAccessibleName("Custom field")
        self.name.setMinimumContentsLength(10)
        self.op = QComboBox()
        for op, words in FIELD_OPS.items():
            self.op.addItem(words, op)
        self.op.setAccessibleName("How the field compares")
        self.op.currentIndexChanged.connect(self._on_op_current_index_changed)
        self.value = QLineEdit(placeholderText="Value")
        self.value.setAccessibleName("Value to compare with")
        remove = QToolButton()
        remove.setText("✕")
        remove.setAutoRaise(True)
        remove.setToolTip("Remove this condition")
        remove.clicked.connect(lambda: self.sig_remove.emit(self))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.name, 2)
        row.addWidget(self.op, 0)
        row.addWidget(self.value, 2)
        row.addWidget(remove)

    def set_condition(self, condition: FieldFilter, known: set[str]) -> None:
        index = self.name.findText(condition.name, Qt.MatchFlag.MatchFixedString)
        if index >= 0:
            self.name.setCurrentIndex(index)
        else:
            self.name.setEditText(condition.name)
        if condition.name.casefold() not in known:
            self.name.setToolTip(f"No lead has the field “{condition.name}” any more")
        self.op.setCurrentIndex(max(self.op.findData(condition.op), 0))
        self.value.setText(condition.value)

    def condition(self) -> FieldFilter:
        """The condition as entered; a missing name or value, or a word where a number is
        needed, is refused with what to do."""
        name = " ".join(self.name.currentText().split())
        op = str(self.op.currentData())
        value = self.value.text().strip()
        if not name:
            raise ValidationError("Pick the field to compare, or remove that condition with ✕.")
        if op == "empty":
            return FieldFilter(name, op)
        if not value:
            raise ValidationError(
                f"Type the value {name} should be compared with, or pick “is empty”."
            )
        if op in ("above", "below"):
            try:
                float(value)
            except ValueError:
                raise ValidationError(
                    f"'{value}' is not a number: “{FIELD_OPS[op]}” compares {name} with a "
                    "number, like 10."
                ) from None
        return FieldFilter(name, op, value)

    def _on_op_current_index_changed(self, _index: int) -> None:
        empty = self.op.currentData() == "empty"
        self.value.setEnabled(not empty)
        if empty:
            self.value.clear()


class _DateChoice(QWidget):
    """A ticked date, or none."""

    def __init__(self, text: str, today: QDate) -> None:
        super().__init__()
        self.check = QCheckBox(text)
        self.date = QDateEdit(today)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.date.setAccessibleName(text)
        self.date.setEnabled(False)
        self.check.toggled.connect(self.date.setEnabled)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.check)
        row.addWidget(self.date)

    def value(self) -> dt.datetime | None:
        return start_of(self.date.date()) if self.check.isChecked() else None

    def set_value(self, at: dt.datetime | None) -> None:
        self.check.setChecked(at is not None)
        if at is not None:
            self.date.setDate(day_of(at))


class FilterDialog(QDialog):
    """Edit every part of a lead filter; ``chosen`` holds it once the owner applies it."""

    def __init__(
        self,
        parent: QWidget | None,
        flt: LeadFilter,
        *,
        title: str = "More filters",
        ok_text: str = "Show these leads",
        note: str = "",
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.chosen: LeadFilter | None = None
        today = day_of(clock())
        ladder = get_ladder()
        self._steps = {s.key for s in ladder}
        self._fields = custom_field_names()

        self.search = QLineEdit(placeholderText="Name, email or company contains…")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search")
        self.status = _combo("Status")
        self.status.addItem("All statuses", None)
        for status in LeadStatus:
            if status is not LeadStatus.ERASED:
                self.status.addItem(STATUS_LABELS[status], status.value)
        self.source = _combo("Source")
        self.source.addItem("Any source", None)
        for source in all_sources():
            self.source.addItem(SOURCE_LABELS.get(source, source.capitalize()), source)

        tags = all_tags()
        self.tags_all = TagPicker(tags, "Tags the lead has, every one")
        self.tags_any = TagPicker(tags, "Tags the lead has, at least one")
        self.tags_none = TagPicker(tags, "Tags the lead must not have")

        self.step = _combo("Highest step")
        self.min_step = _combo("Reached at least")
        self.max_step = _combo("Reached no higher than")
        for combo, anything in (
            (self.step, "Any step"),
            (self.min_step, "Any step"),
            (self.max_step, "Any step"),
        ):
            combo.addItem(anything, None)
            for s in ladder:
                combo.addItem(s.label, s.key)
        self.offer = _combo("Offer taken")
        self.offer.addItem("Any offer, or none", None)
        for offer in list_offers(include_retired=True):
            self.offer.addItem(offer.name, offer.name)

        self.yes_after = _DateChoice("on or after", today)
        self.yes_before = _DateChoice("before", today)
        last_yes = QHBoxLayout()
        last_yes.addWidget(self.yes_after)
        last_yes.addSpacing(12)
        last_yes.addWidget(self.yes_before)
        last_yes.addStretch(1)

        self.asked = _combo("Last asked")
        self.asked.addItem("Any time, or never", "any")
        self.asked.addItem("Never asked", "never")
        self.asked.addItem("Not asked since", "before")
        self.asked_date = QDateEdit(today)
        self.asked_date.setCalendarPopup(True)
        self.asked_date.setDisplayFormat("yyyy-MM-dd")
        self.asked_date.setAccessibleName("Not asked since")
        self.asked_date.setEnabled(False)
        self.asked.currentIndexChanged.connect(
            lambda _i: self.asked_date.setEnabled(self.asked.currentData() == "before")
        )
        asked = QHBoxLayout()
        asked.addWidget(self.asked)
        asked.addWidget(self.asked_date)
        asked.addStretch(1)

        self.engaged = QCheckBox("Opened or clicked an e-mail in the last")
        self.engaged_days = QSpinBox()
        self.engaged_days.setRange(0, MAX_DAYS)
        self.engaged_days.setValue(DEFAULT_ENGAGED_DAYS)
        self.engaged_days.setSuffix(" days")
        self.engaged_days.setAccessibleName("Engaged within days")
        self.engaged_days.setEnabled(False)
        self.engaged.toggled.connect(self.engaged_days.setEnabled)
        engaged = QHBoxLayout()
        engaged.addWidget(self.engaged)
        engaged.addWidget(self.engaged_days)
        engaged.addStretch(1)

        self._conditions: list[FieldCondition] = []
        self._conditions_box = QVBoxLayout()
        self._conditions_box.setContentsMargins(0, 0, 0, 0)
        self.add_condition_button = QPushButton("Add a field condition")
        self.add_condition_button.clicked.connect(lambda: self.add_condition())
        fields_column = QVBoxLayout()
        fields_column.addLayout(self._conditions_box)
        fields_column.addWidget(self.add_condition_button, 0, Qt.AlignmentFlag.AlignLeft)
        if not self._fields:
            self.add_condition_button.setToolTip(
                "No lead has custom fields yet: an import keeps the columns it does not map "
                "as fields, and a lead's panel adds one by hand."
            )

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(styled(QLabel("Who"), "sectionTitle"))
        form.addRow("Search:", self.search)
        form.addRow("Status:", self.status)
        form.addRow("Source:", self.source)
        form.addRow(styled(QLabel("Tags"), "sectionTitle"))
        form.addRow("Has all of:", self.tags_all)
        form.addRow("Has any of:", self.tags_any)
        form.addRow("Has none of:", self.tags_none)
        form.addRow(styled(QLabel("Ladder"), "sectionTitle"))
        form.addRow("Highest step is:", self.step)
        form.addRow("Reached at least:", self.min_step)
        form.addRow("Reached no higher than:", self.max_step)
        form.addRow("Took the offer:", self.offer)
        form.addRow(styled(QLabel("When"), "sectionTitle"))
        form.addRow("Last yes:", last_yes)
        form.addRow("Last asked:", asked)
        form.addRow("Engaged:", engaged)
        form.addRow(styled(QLabel("Custom fields"), "sectionTitle"))
        form.addRow("Where:", fields_column)

        self.note = QLabel(note, wordWrap=True)
        styled(self.note, "emptyText")
        self.note.setVisible(bool(note))
        self.error = styled(QLabel(wordWrap=True), "inlineError")
        self.error.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.set_filter(flt)

    # --- the filter shown -------------------------------------------------------------

    def set_filter(self, flt: LeadFilter) -> None:
        self.search.setText(flt.search)
        _pick(self.status, flt.status, "unknown status")
        _pick(self.source, flt.source, "no lead has it")
        self.tags_all.set_tags(flt.tags_all)
        self.tags_any.set_tags(flt.tags_any)
        self.tags_none.set_tags(flt.tags_none)
        for combo, key in (
            (self.step, flt.step),
            (self.min_step, flt.min_step),
            (self.max_step, flt.max_step),
        ):
            _pick(combo, key, "no longer on the ladder")
        _pick(self.offer, flt.offer, "no longer an offer")
        self.yes_after.set_value(flt.yes_after)
        self.yes_before.set_value(flt.yes_before)
        if flt.never_asked:
            self.asked.setCurrentIndex(self.asked.findData("never"))
        elif flt.asked_before is not None:
            self.asked.setCurrentIndex(self.asked.findData("before"))
            self.asked_date.setDate(day_of(flt.asked_before))
        else:
            self.asked.setCurrentIndex(0)
        self.engaged.setChecked(flt.engaged_within is not None)
        if flt.engaged_within is not None:
            self.engaged_days.setValue(flt.engaged_within)
        for row in list(self._conditions):
            self._on_condition_remove(row)
        known = {f.casefold() for f in self._fields}
        for condition in flt.fields:
            self.add_condition().set_condition(condition, known)

    def add_condition(self) -> FieldCondition:
        row = FieldCondition(self._fields)
        row.sig_remove.connect(self._on_condition_remove)
        self._conditions.append(row)
        self._conditions_box.addWidget(row)
        return row

    @property
    def conditions(self) -> list[FieldCondition]:
        return list(self._conditions)

    def _on_condition_remove(self, row: object) -> None:
        assert isinstance(row, FieldCondition)
        self._conditions.remove(row)
        self._conditions_box.removeWidget(row)
        row.deleteLater()

    def lead_filter(self) -> LeadFilter:
        """The filter as entered; a part that cannot hold is refused with what to do."""
        for combo in (self.step, self.min_step, self.max_step):
            key = combo.currentData()
            if key is not None and key not in self._steps:
                raise ValidationError(
                    f"The step '{key}' is no longer on the ladder: pick another step, or Any step."
                )
        yes_after, yes_before = self.yes_after.value(), self.yes_before.value()
        if yes_after is not None and yes_before is not None and yes_after >= yes_before:
            raise ValidationError(
                "The last yes cannot be on or after the first date and before the second: "
                "make the second date later."
            )
        asked = self.asked.currentData()
        return LeadFilter(
            search=self.search.text().strip(),
            status=self.status.currentData(),
            tags_all=self.tags_all.tags(),
            tags_any=self.tags_any.tags(),
            tags_none=self.tags_none.tags(),
            step=self.step.currentData(),
            min_step=self.min_step.currentData(),
            max_step=self.max_step.currentData(),
            offer=self.offer.currentData(),
            yes_after=yes_after,
            yes_before=yes_before,
            never_asked=asked == "never",
            asked_before=start_of(self.asked_date.date()) if asked == "before" else None,
            engaged_within=self.engaged_days.value() if self.engaged.isChecked() else None,
            source=self.source.currentData(),
            fields=tuple(row.condition() for row in self._conditions),
        )

    def accept(self) -> None:
        try:
            self.chosen = self.lead_filter()
        except ValidationError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            return
        self.error.hide()
        super().accept()

    @classmethod
    def run(
        cls,
        parent: QWidget | None,
        flt: LeadFilter,
        *,
        title: str = "More filters",
        ok_text: str = "Show these leads",
        note: str = "",
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> LeadFilter | None:
        """The filter the owner applied, or None when they cancelled."""
        dialog = cls(parent, flt, title=title, ok_text=ok_text, note=note, clock=clock)
        dialog.exec()
        return dialog.chosen
