"""One lead's detail: its fields, status, tags, custom fields and notes, and its timeline
below.

Field edits (custom fields too: what an import kept, such as a plan, an unsubscribe reason or
a ZIP code) are saved with the Save button; a refused email shows its sentence and stores
nothing, and a custom field emptied is removed. Status, do-not-contact, tags and a new
custom field are saved the moment the owner enters them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import pairwise
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm.book.custom_fields import custom_field_names, field_text
from crm.book.leads import (
    STATUS_LABELS,
    LeadRow,
    LeadStatus,
    all_tags,
    get_lead,
    set_do_not_contact,
    set_status,
    untag_lead,
    update_custom,
    update_lead,
)
from crm.book.other_emails import add_other_email, remove_other_email
from crm.book.sales import SaleRow, lead_sales, revenue_words
from crm.errors import NotFoundError, SmallyesError
from crm.timefmt import local, relative, utc_now
from ui import errors
from ui.elided import ElidedLabel
from ui.events import AppEvents
from ui.flow_layout import FlowLayout, flow_container
from ui.leads.table_model import exact_time
from ui.leads.timeline_view import TimelineView
from ui.style import styled

if TYPE_CHECKING:
    from crm.importing.activity.store import Engagement

SOURCE_NAMES = {"manual": "added by hand"}
TAG_CHIP_TEXT_WIDTH = 160  # pixels
# pixels: a longer custom field name is cut in the middle, where names sharing a start
# (UNSUB_CAMPAIGN_ID, UNSUB_CAMPAIGN_TITLE) still differ; whole in its tooltip
FIELD_LABEL_WIDTH = 130
NO_ENGAGEMENT_TEXT = "No e-mail activity imported yet."


# The fields the owner edits and saves with a button, as a sentence names them.
FIELD_WORDS = {
    "first_name": "first name",
    "last_name": "last name",
    "email": "email",
    "company": "company",
    "phone": "phone",
    "notes": "notes",
}


def _editable(lead: LeadRow) -> dict[str, str]:
    return {name: getattr(lead, name) for name in FIELD_WORDS}


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def revenue_text(sales: list[SaleRow]) -> str:
    """Lifetime revenue per currency and the purchases behind it, or that there are none."""
    kept = [s for s in sales if s.net > 0]
    if not kept:
        refunded = len(sales)
        return f"No purchases ({refunded} refunded)" if refunded else "No purchases yet"
    totals: dict[str, int] = {}
    for sale in kept:
        totals[sale.currency] = totals.get(sale.currency, 0) + sale.net
    n = len(kept)
    text = f"{revenue_words(totals)} from {n} purchase{'s' if n != 1 else ''}"
    refunded = sum(1 for s in sales if s.refunded)
    return text + (f" ({refunded} with refunds)" if refunded else "")


def local_day(at: dt.datetime) -> str:
    return local(at).strftime("%Y-%m-%d")


def engagement_text(e: Engagement, now: dt.datetime) -> str:
    """The lead's newsletter engagement, a line each for opens, clicks and e-mails:
    'Last opened 3 days ago · 5 opens in the last 90 days'."""
    from crm.importing.activity.store import ENGAGEMENT_DAYS, Engagement

    if e == Engagement():
        return NO_ENGAGEMENT_TEXT
    window = f"in the last {ENGAGEMENT_DAYS} days"
    opened = (
        f"Last opened {relative(e.last_opened_at, now)} · {_count(e.opens_90d, 'open')} {window}"
        if e.last_opened_at is not None
        else "Never opened"
    )
    clicked = (
        f"Last clicked {relative(e.last_clicked_at, now)} · "
        f"{_count(e.clicks_90d, 'click')} {window}"
        if e.last_clicked_at is not None
        else "Never clicked"
    )
    return f"{opened}\n{clicked}\n{_count(e.emails_received, 'e-mail')} received"


class LeadDetail(QWidget):
    """The panel beside the lead table."""

    sig_log_yes_requested = Signal()
    sig_status_message = Signal(str)

    def __init__(
        self,
        events: AppEvents,
        parent: QWidget | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        super().__init__(parent)
        self._events = events
        self._clock = clock
        self._lead: LeadRow | None = None
        self._more: QPushButton | None = None

        self._stack = QStackedWidget()
        none = styled(
            QLabel(
                "Select a lead to see its details and timeline.",
                alignment=Qt.AlignmentFlag.AlignCenter,
                wordWrap=True,
            ),
            "emptyText",
        )
        self._stack.addWidget(none)
        self._stack.addWidget(self._build_panel())
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self._stack)

    # --- building ---------------------------------------------------------------------

    # Long: the panel's fields, chips and timeline in the order they are shown.
    def _build_panel(self) -> QWidget:
        panel = QWidget()
        self.title = ElidedLabel("detailTitle")
        self.subtitle = ElidedLabel("detailSubtitle")
        self.log_yes = QPushButton("Log a yes…")
        self.log_yes.setToolTip("Record a small yes from this lead (Ctrl+L)")
        self.log_yes.clicked.connect(self.sig_log_yes_requested)
        head = self._head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        head.addWidget(self.log_yes, 0, Qt.AlignmentFlag.AlignTop)

        self.first = QLineEdit()
        self.last = QLineEdit()
        self.email = QLineEdit()
        self.company = QLineEdit()
        self.phone = QLineEdit()
        self.notes = QPlainTextEdit(placeholderText="Anything worth remembering about them")
        self.notes.setTabChangesFocus(True)
        # Screen readers: the two name fields share one form label, the rest have their own.
        for widget, name in (
            (self.first, "First name"),
            (self.last, "Last name"),
            (self.notes, "Notes"),
        ):
            widget.setAccessibleName(name)
        self.notes.setFixedHeight(self.notes.fontMetrics().height() * 4 + 10)
        self._fields = {
            "first_name": self.first,
            "last_name": self.last,
            "email": self.email,
            "company": self.company,
            "phone": self.phone,
        }
        for edit in self._fields.values():
            edit.textEdited.connect(self._on_field_edited)
            edit.returnPressed.connect(self.save)
        self.notes.textChanged.connect(self._on_field_edited)

        self.status = QComboBox()
        for status in LeadStatus:
            if status is not LeadStatus.ERASED:  # only "Forget this person" erases
                self.status.addItem(STATUS_LABELS[status], status.value)
        self.status.setToolTip("Changing the status puts the change on the timeline")
        self.status.activated.connect(self._on_status_activated)
        self.dnc = QCheckBox("Do not contact")
        self.dnc.setToolTip("No asks are suggested for this lead while this is ticked")
        self.dnc.clicked.connect(self._on_dnc_clicked)

        names = QHBoxLayout()
        names.addWidget(self.first)
        names.addWidget(self.last)
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.dnc)

        # Chips wrap onto more lines rather than shrink; the tag field comes last.
        tags_line, self.tags_row = flow_container()
        self.tag_edit = QLineEdit(placeholderText="Add a tag…")
        self.tag_edit.setMaximumWidth(160)
        self.tag_edit.setAccessibleName("Add a tag")
        self.tag_edit.returnPressed.connect(self._on_tag_entered)
        self._tag_names = QStringListModel(self)
        self._tag_completer = QCompleter(self._tag_names, self)
        self._tag_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tag_edit.setCompleter(self._tag_completer)
        self.tags_row.addWidget(self.tag_edit)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Name:", names)
        form.addRow("Email:", self.email)
        # The same person's other addresses (an address book's second e-mail): chips that
        # remove one, and a field that adds one; saved at once, like tags.
        others_line, self.others_row = flow_container()
        self.other_edit = QLineEdit(placeholderText="Add another address…")
        self.other_edit.setMaximumWidth(200)
        self.other_edit.setAccessibleName("Add another email address")
        self.other_edit.returnPressed.connect(self._on_other_entered)
        self.others_row.addWidget(self.other_edit)
        form.addRow("Other emails:", others_line)
        form.addRow("Company:", self.company)
        form.addRow("Phone:", self.phone)
        form.addRow("Status:", status_row)
        # opens, clicks and deliveries from activity imports: evidence, never edited here
        self.engagement = QLabel(wordWrap=True)
        self.engagement.setAccessibleName("E-mail engagement")
        self.engagement.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Engagement:", self.engagement)
        # sales from sales imports or logged by hand, net of refunds, per currency
        self.revenue = QLabel(wordWrap=True)
        self.revenue.setAccessibleName("Revenue")
        self.revenue.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Revenue:", self.revenue)
        form.addRow("Tags:", tags_line)
        form.addRow("Fields:", self._build_custom_fields())
        form.addRow("Notes:", self.notes)

        self.error = styled(QLabel(wordWrap=True), "inlineError")
        self.error.hide()
        # The lead changed elsewhere (a command, another window) while it was being edited.
        self.elsewhere = styled(QLabel(wordWrap=True), "inlineNotice")
        self.elsewhere.setAccessibleName("Changed elsewhere")
        self.elsewhere.hide()
        self.save_button = QPushButton("Save changes")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Revert")
        self.revert_button.clicked.connect(self.revert)
        buttons = QHBoxLayout()
        buttons.addWidget(self.error, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        timeline_title = styled(QLabel("Timeline"), "sectionTitle")
        # Widgets about what to do next (a suggested ask) go here, above the timeline.
        self._above_timeline = QVBoxLayout()
        self._above_timeline.setContentsMargins(0, 0, 0, 0)
        self.timeline = TimelineView(clock=self._clock)
        self.timeline.sig_answer.connect(self._on_timeline_answer)
        self.note_edit = QLineEdit(placeholderText="Add a note to the timeline and press Enter")
        self.note_edit.setClearButtonEnabled(True)
        self.note_edit.setAccessibleName("Add a note to the timeline")
        self.note_edit.returnPressed.connect(self._on_note_entered)

        # The fields and the next-ask box take the height they need and scroll when the
        # window is too short for them (many tags and a waiting ask on a small screen),
        # instead of pushing the window past the screen; the timeline keeps a few entries.
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        # Never smaller than its rows need: growing (a tag line more) resizes the content
        # at once, and the scroll area follows.
        upper_layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        upper_layout.addLayout(form)
        upper_layout.addWidget(self.elsewhere)
        upper_layout.addLayout(buttons)
        upper_layout.addLayout(self._above_timeline)
        self.fields_area = _FitScrollArea(upper)
        self.timeline.setMinimumHeight(self.fontMetrics().height() * 6)
        # The timeline takes what the fields leave (its own size hint would compete).
        self.timeline.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)

        # The fields keep a gutter for their scroll bar, shown or not (see _FitScrollArea):
        # the rows above and below keep the same right edge.
        gutter = self.fields_area.bar_width()
        head.setContentsMargins(0, 0, gutter, 0)
        lower = QVBoxLayout()
        lower.setContentsMargins(0, 0, gutter, 0)
        lower.addWidget(timeline_title)
        lower.addWidget(self.note_edit)
        lower.addWidget(self.timeline, 1)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.fields_area)
        layout.addLayout(lower, 1)
        # Tab goes through the fields in the order they are shown (notes come last).
        chain = (
            self.first, self.last, self.email, self.other_edit, self.company, self.phone,
            self.status, self.dnc, self.tag_edit, self.new_field_name,
            self.new_field_value, self.notes, self.revert_button,
            self.save_button, self.note_edit,
        )  # fmt: skip
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)
        self._set_dirty(False)
        return panel

    def _build_custom_fields(self) -> QWidget:
        """The lead's custom fields, one line each, and a line that adds one."""
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        self.custom_form = QFormLayout()
        self.custom_form.setContentsMargins(0, 0, 0, 0)
        self.custom_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._custom_edits: dict[str, QLineEdit] = {}
        self.new_field_name = QLineEdit(placeholderText="Add a field…")
        self.new_field_name.setAccessibleName("New custom field name")
        self.new_field_name.setToolTip("A field of your own, such as plan or ZIP")
        self._field_names = QStringListModel(self)
        completer = QCompleter(self._field_names, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.new_field_name.setCompleter(completer)
        self.new_field_name.installEventFilter(self)
        self.new_field_value = QLineEdit(placeholderText="Value")
        self.new_field_value.setAccessibleName("New custom field value")
        self.new_field_name.returnPressed.connect(self.new_field_value.setFocus)
        self.new_field_value.returnPressed.connect(self._on_new_field_value_return_pressed)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_field_name, 1)
        add_row.addWidget(self.new_field_value, 1)
        column.addLayout(self.custom_form)
        column.addLayout(add_row)
        return box

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The book's field names are read when the owner goes to add one, not on every
        # lead shown (reading them walks the leads' fields).
        if watched is self.new_field_name and event.type() == QEvent.Type.FocusIn:
            self._field_names.setStringList(custom_field_names())
        return super().eventFilter(watched, event)

    def add_lead_action(self, action: QAction) -> None:
        """Put an action about the shown lead (export its data, forget) in a "More" menu."""
        if self._more is None:
            # A push button makes room for its menu arrow (a tool button's covers the text).
            self._more = QPushButton("More")
            self._more.setMenu(QMenu(self._more))
            self._head.addWidget(self._more, 0, Qt.AlignmentFlag.AlignTop)
        self._more.menu().addAction(action)

    def insert_above_timeline(self, widget: QWidget) -> None:
        """Place ``widget`` between the lead's fields and its timeline (e.g. a suggestion)."""
        self._above_timeline.addWidget(widget)

    # --- showing a lead ---------------------------------------------------------------

    @property
    def lead(self) -> LeadRow | None:
        return self._lead

    @property
    def lead_id(self) -> int | None:
        return self._lead.id if self._lead else None

    def show_lead(self, lead_id: int | None) -> None:
        """Show this lead (None: nothing selected); unsaved edits of the previous one are
        saved first when they are valid."""
        if self._dirty and self._lead is not None and lead_id != self._lead.id:
            left = self._lead
            if not self.save():
                # The panel moves on and the refused edits go: say so, not silently.
                self.sig_status_message.emit(
                    f"Your changes to {left.display_name} were not saved: {self.error.text()}"
                )
        if lead_id is None:
            self._lead = None
            self._stack.setCurrentIndex(0)
            return
        from crm.book.timeline import get_timeline  # with its writers: not before a lead

        try:
            lead = get_lead(lead_id)
            items = get_timeline(lead_id)
        except NotFoundError:
            self._lead = None
            self._stack.setCurrentIndex(0)
            return
        self._lead = lead
        self._fill(lead)
        self.timeline.set_items(items)
        self._stack.setCurrentIndex(1)

    def reload(self) -> None:
        """Re-read the shown lead (after an edit elsewhere).

        Unsaved edits stay: the fields being edited keep the owner's text, the others take
        the stored values, and when the stored lead changed meanwhile the panel says so
        (naming any field changed on both sides) instead of overwriting either.
        """
        if self._lead is None:
            return
        old = self._lead
        try:
            lead = get_lead(old.id)
        except NotFoundError:
            self.show_lead(None)
            return
        edits = self.changed_fields() if self._dirty else {}
        custom = self.changed_custom() if self._dirty else {}
        self._lead = lead
        self._fill(lead, keep_edits=bool(edits or custom), custom_typed=custom)
        from crm.book.timeline import get_timeline

        self.timeline.set_items(get_timeline(lead.id))
        if edits or custom:
            self._keep_edits(old, lead, edits)

    def _keep_edits(self, old: LeadRow, new: LeadRow, edits: dict[str, str]) -> None:
        """Put the owner's unsaved ``edits`` back over ``new``, and say what moved under them."""
        before, after = _editable(old), _editable(new)
        for name, value in after.items():
            if name in edits:
                continue
            if name == "notes":
                with QSignalBlocker(self.notes):
                    self.notes.setPlainText(value)
            else:
                self._fields[name].setText(value)
                self._fields[name].setCursorPosition(0)
        moved = [name for name in FIELD_WORDS if before[name] != after[name]]
        both = [name for name in moved if name in edits]
        if both:
            words = _and_list([FIELD_WORDS[name] for name in both])
            self.elsewhere.setText(
                f"This lead's {words} changed elsewhere while you were editing: your text is "
                "kept; Save to keep it, or Revert to see the saved one."
            )
        elif moved:
            self.elsewhere.setText(
                "This lead changed elsewhere while you were editing: the other fields show "
                "it; your edits are kept until you save or revert them."
            )
        else:
            return
        self.elsewhere.show()

    def _fill(
        self, lead: LeadRow, keep_edits: bool = False, custom_typed: dict[str, str] | None = None
    ) -> None:
        self.title.set_full_text(lead.display_name)
        source = SOURCE_NAMES.get(lead.source, f"from {lead.source.capitalize()}")
        added = exact_time(lead.created_at)[:10]
        who = f"{lead.email} · " if lead.name else ""
        self.subtitle.set_full_text(f"{who}{source} · added {added}")
        if not keep_edits:
            values = {
                "first_name": lead.first_name,
                "last_name": lead.last_name,
                "email": lead.email,
                "company": lead.company,
                "phone": lead.phone,
            }
            for name, edit in self._fields.items():
                edit.setText(values[name])
                edit.setCursorPosition(0)
            with QSignalBlocker(self.notes):
                self.notes.setPlainText(lead.notes)
            self._set_dirty(False)
            self.error.hide()
            self.elsewhere.hide()
        with QSignalBlocker(self.status):
            self.status.setCurrentIndex(max(self.status.findData(lead.status), 0))
        with QSignalBlocker(self.dnc):
            self.dnc.setChecked(lead.do_not_contact)
        self._fill_tags(lead.tags)
        self._fill_custom(lead, custom_typed or {})
        self._fill_others(lead.other_emails)
        self._fill_engagement(lead.id)
        self._fill_revenue(lead.id)

    def _fill_custom(self, lead: LeadRow, typed: dict[str, str]) -> None:
        """One line per custom field, by name; the ``typed`` values (edited, not saved yet)
        are kept, the others show what is stored."""
        names = sorted(lead.custom, key=str.casefold)
        if names == list(self._custom_edits):
            for name, edit in self._custom_edits.items():  # the same fields: no focus lost
                text = typed.get(name, field_text(lead.custom[name]))
                if edit.text() != text:
                    edit.setText(text)
                    edit.setCursorPosition(0)
            return
        while self.custom_form.rowCount():
            self.custom_form.removeRow(0)
        self._custom_edits = {}
        for name in names:
            edit = QLineEdit(typed.get(name, field_text(lead.custom[name])))
            edit.setCursorPosition(0)
            edit.setAccessibleName(f"Custom field {name}")
            edit.setToolTip(f"{name} (empty it and save to remove the field)")
            edit.textEdited.connect(self._on_field_edited)
            edit.returnPressed.connect(self.save)
            label = QLabel(
                self.fontMetrics().elidedText(
                    f"{name}:", Qt.TextElideMode.ElideMiddle, FIELD_LABEL_WIDTH
                )
            )
            label.setToolTip(name)
            label.setBuddy(edit)
            self.custom_form.addRow(label, edit)
            self._custom_edits[name] = edit
        chain: list[QWidget] = [self.tag_edit, *self._custom_edits.values()]
        chain += [self.new_field_name, self.new_field_value, self.notes]
        for before, after in pairwise(chain):
            QWidget.setTabOrder(before, after)

    def custom_field_edits(self) -> dict[str, QLineEdit]:
        """The shown custom fields' lines, by field name."""
        return dict(self._custom_edits)

    def _fill_revenue(self, lead_id: int) -> None:
        sales = lead_sales(lead_id)
        self.revenue.setText(revenue_text(sales))
        self.revenue.setToolTip(
            "\n".join(f"{local_day(s.at)}  {s.product or 'A sale'}: {s.words}" for s in sales)
        )

    def _fill_engagement(self, lead_id: int) -> None:
        from crm.importing.activity.store import engagement  # with the activity writers

        now = self._clock()
        e = engagement(lead_id, now=now)
        self.engagement.setText(engagement_text(e, now))
        last = (("Last opened", e.last_opened_at), ("Last clicked", e.last_clicked_at))
        times = [f"{what} {exact_time(when)}" for what, when in last if when is not None]
        self.engagement.setToolTip("\n".join(times))

    def _fill_tags(self, tags: tuple[str, ...]) -> None:
        _fill_chips(
            self.tags_row,
            self.tag_edit,
            [(tag, f"Remove the tag “{tag}”", f"Remove tag {tag}") for tag in tags],
            self.remove_tag,
        )
        self._tag_names.setStringList(all_tags())

    def _fill_others(self, addresses: tuple[str, ...]) -> None:
        _fill_chips(
            self.others_row,
            self.other_edit,
            [
                (a, f"Remove the address {a} from this lead", f"Remove other email {a}")
                for a in addresses
            ],
            self.remove_other_email,
        )

    def other_email_chips(self) -> list[QToolButton]:
        """The shown other addresses' chips, in order."""
        return [
            w
            for i in range(self.others_row.count())
            if (item := self.others_row.itemAt(i)) is not None
            and isinstance(w := item.widget(), QToolButton)
        ]

    # --- editing ----------------------------------------------------------------------

    def _set_dirty(self, dirty: bool) -> None:
        self._dirty = dirty
        self.save_button.setEnabled(dirty)
        self.revert_button.setEnabled(dirty)

    def _on_field_edited(self, *_args: object) -> None:
        self._set_dirty(True)

    def changed_fields(self) -> dict[str, str]:
        if self._lead is None:
            return {}
        current = {
            "first_name": self._lead.first_name,
            "last_name": self._lead.last_name,
            "email": self._lead.email,
            "company": self._lead.company,
            "phone": self._lead.phone,
            "notes": self._lead.notes,
        }
        entered = {name: edit.text() for name, edit in self._fields.items()}
        entered["notes"] = self.notes.toPlainText()
        return {k: v for k, v in entered.items() if v.strip() != current[k].strip()}

    def changed_custom(self) -> dict[str, str]:
        """The custom fields edited and not saved yet (a blank one is to be removed)."""
        if self._lead is None:
            return {}
        stored = self._lead.custom
        return {
            name: edit.text()
            for name, edit in self._custom_edits.items()
            if edit.text().strip() != field_text(stored.get(name)).strip()
        }

    def save(self) -> bool:
        """Store the edited fields; a refused value shows its sentence and stores nothing."""
        if self._lead is None:
            return False
        fields = self.changed_fields()
        custom = self.changed_custom()
        if not fields and not custom:
            self._set_dirty(False)
            return True
        try:
            with self._events.publishing(self):
                if fields:
                    update_lead(self._lead.id, now=self._clock(), **fields)
                if custom:
                    update_custom(self._lead.id, custom, now=self._clock())
                # Saved: the refresh the change brings must not ask about unsaved edits.
                self.error.hide()
                self._set_dirty(False)
        except SmallyesError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            return False
        return True

    def revert(self) -> None:
        if self._lead is not None:
            self._fill(self._lead)

    def _run(self, change: Callable[[int], object]) -> bool:
        """Apply one immediate change to the shown lead and announce it; False if refused."""
        if self._lead is None:
            return False
        lead_id = self._lead.id
        try:
            with self._events.publishing(self):
                change(lead_id)
        except SmallyesError as exc:
            errors.show_error(self, exc)
            self.reload()
            return False
        return True

    def _on_status_activated(self, _index: int) -> None:
        status = self.status.currentData()
        if self._lead is not None and status != self._lead.status:
            self._run(lambda lead_id: set_status(lead_id, status, now=self._clock()))

    def _on_dnc_clicked(self, checked: bool) -> None:
        self._run(lambda lead_id: set_do_not_contact(lead_id, checked, now=self._clock()))

    def _on_tag_entered(self) -> None:
        text = self.tag_edit.text()
        if not text.strip():
            return
        self.add_tag(text)

    def _on_timeline_answer(self, ask_id: int, outcome: str) -> None:
        now = self._clock()
        from crm.asking.asks import set_outcome

        self._run(lambda _lead_id: set_outcome(ask_id, outcome, at=now, now=now))

    def _on_note_entered(self) -> None:
        text = self.note_edit.text()
        if not text.strip():
            self.note_edit.clear()  # only spaces: nothing to add, nothing to keep
            return
        from crm.book.timeline import add_note

        if self._run(lambda lead_id: add_note(lead_id, text, at=self._clock())):
            self.note_edit.clear()

    def add_tag(self, name: str) -> None:
        from crm.book.tag_rules import tag_lead_by_hand  # with its rules: not before a tag

        # A refused tag stays in the field to be shortened, not typed again.
        if self._run(lambda lead_id: tag_lead_by_hand(lead_id, [name], now=self._clock())):
            self.tag_edit.clear()

    def remove_tag(self, name: str) -> None:
        self._run(lambda lead_id: untag_lead(lead_id, [name]))

    def _on_new_field_value_return_pressed(self) -> None:
        name, value = self.new_field_name.text(), self.new_field_value.text()
        if not name.strip():
            self.new_field_name.setFocus()
            self.sig_status_message.emit("Type the field's name first, such as plan or ZIP.")
            return
        if not value.strip():
            self.sig_status_message.emit(
                f"Type a value for {name.strip()}: a field without one is not kept."
            )
            return
        self.add_custom_field(name, value)

    def add_custom_field(self, name: str, value: str) -> None:
        """Give the shown lead the field ``name`` (or change it), saved at once."""
        if self._run(lambda lead_id: update_custom(lead_id, {name: value}, now=self._clock())):
            self.new_field_name.clear()
            self.new_field_value.clear()

    def _on_other_entered(self) -> None:
        text = self.other_edit.text()
        if text.strip():
            self.add_other_email(text)

    def add_other_email(self, address: str) -> None:
        # A refused address (not an address, someone else's) stays in the field to fix.
        if self._run(lambda lead_id: add_other_email(lead_id, address, now=self._clock())):
            self.other_edit.clear()

    def remove_other_email(self, address: str) -> None:
        self._run(lambda lead_id: remove_other_email(lead_id, address, now=self._clock()))


def _fill_chips(
    row: FlowLayout,
    edit: QLineEdit,
    chips: list[tuple[str, str, str]],
    remove: Callable[[str], object],
) -> None:
    """Refill a row of removable chips (text, tooltip, screen-reader name), the field that
    adds one last. A long text is cut short on its chip (the tooltip has it whole): a chip
    wider than the panel could not be wrapped."""
    while (item := row.takeAt(0)) is not None:
        if (widget := item.widget()) is not None and widget is not edit:
            widget.deleteLater()
    metrics = edit.fontMetrics()
    for text, tip, name in chips:
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, TAG_CHIP_TEXT_WIDTH)
        chip = styled(QToolButton(), "tagChip")
        chip.setText(f"{shown}  ✕")
        chip.setToolTip(tip)
        chip.setAccessibleName(name)
        chip.clicked.connect(lambda _=False, t=text: remove(t))
        row.addWidget(chip)
    row.addWidget(edit)


class _FitScrollArea(QScrollArea):
    """A frameless vertical scroll area that asks for its content's whole height (a plain
    QScrollArea caps its size hint) and for room beside the content for its scroll bar.

    The content is as wide as the room beside the scroll bar whether the bar shows or not.
    Its height depends on its width (tag chips and text wrap), so content that widened when
    the bar went away could need the bar again at once: near that height the scroll area
    went back and forth inside one resize until Python's recursion limit.
    """

    def __init__(self, content: QWidget) -> None:
        super().__init__()
        self.setWidget(content)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A scroll area keeps its content's size changes to itself: pass them on, so the
        # page's layout gives the fields their new height (a tag line more, an ask box).
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        room = self.maximumViewportSize().width() - self.bar_width()
        content = self._content()
        content.setMaximumWidth(max(room, content.minimumWidth()))
        super().resizeEvent(event)

    def bar_width(self) -> int:
        """The width of the gutter the scroll bar takes."""
        return self.verticalScrollBar().sizeHint().width()

    def _content(self) -> QWidget:
        content = self.widget()
        assert content is not None  # set in __init__, never taken
        return content

    def sizeHint(self) -> QSize:
        return self._content().sizeHint()

    def minimumSizeHint(self) -> QSize:
        width = self._content().minimumSizeHint().width() + self.bar_width()
        return QSize(width, self.fontMetrics().height() * 4)
