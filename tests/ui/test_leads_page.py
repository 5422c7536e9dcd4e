"""The Leads page as a user drives it: add, log a yes, search, filter, sort, delete, undo."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton

from crm.book.leads import LeadQuery, add_lead, count_leads, get_lead, tag_lead
from crm.book.timeline import get_timeline
from crm.changes import EVERYTHING, LEAD_TABLES, Change
from crm.timefmt import to_utc
from ui import errors
from ui.leads import dialogs
from ui.leads.table_model import Columns, LeadIdRole


def shown_emails(window) -> list[str]:
    model = window.leads_page.model
    return [model.index(r, Columns.EMAIL).data() for r in range(model.rowCount())]


def select(window, lead_id: int) -> None:
    assert window.leads_page.select_lead(lead_id)
    assert window.leads_page.detail.lead_id == lead_id


@pytest.fixture
def messages(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(errors, "show_message", lambda _p, _t, text, **_k: shown.append(text))
    return shown


def test_window_lists_leads_and_counts_them(people, window, qtbot):
    assert sorted(shown_emails(window)) == sorted(p.email for p in people.values())
    # Counting every lead waits until the first rows are on screen.
    assert window.count_label.text() == ""
    window.show()
    qtbot.waitUntil(lambda: window.count_label.text() == "5 leads", timeout=5000)
    # Most recent yes first by default: Ben (1 day ago), Ada (3 days), Dan (10 days).
    assert shown_emails(window)[:3] == ["ben@example.com", "ada@example.com", "dan@example.net"]
    assert str(window.db_path) in window.path_label.text()


def test_add_lead_through_the_dialog_code_path(people, window, monkeypatch):
    monkeypatch.setattr(
        dialogs.AddLeadDialog,
        "run",
        classmethod(
            lambda cls, parent, submit: submit(
                dialogs.NewLead(email="  Zoe@Example.com ", first_name="Zoe", tags=("podcast",))
            )
        ),
    )
    window.add_action.trigger()
    assert "Zoe@Example.com" in shown_emails(window)
    page = window.leads_page
    assert page.detail.lead is not None and page.detail.lead.email == "Zoe@Example.com"
    assert page.detail.lead.tags == ("podcast",)
    assert page.selected_lead_id() == page.detail.lead_id
    assert window.count_label.text() == "6 leads"
    assert window.statusBar().currentMessage() == "Added Zoe"


def test_add_lead_dialog_refuses_duplicate_and_bad_email(people, qtbot, now):
    def submit(entry: dialogs.NewLead):
        return add_lead(entry.email, first_name=entry.first_name, now=now)

    dialog = dialogs.AddLeadDialog(None, submit)
    qtbot.addWidget(dialog)
    dialog.first.setText("Ada")
    dialog.accept()  # nothing typed in the email field
    assert dialog.error.text() == "Type the lead's email address: it is the one field needed."
    assert count_leads() == 5
    dialog.email.setText("ADA@example.com")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "already exists" in dialog.error.text()
    assert not dialog.error.isHidden()
    dialog.email.setText("not an email")
    dialog.accept()
    assert dialog.error.text() and "already exists" not in dialog.error.text()
    assert count_leads() == 5
    dialog.email.setText("new@example.com")
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.added is not None and dialog.added.email == "new@example.com"


def test_log_a_yes_appears_on_the_timeline(people, window, monkeypatch, now):
    select(window, people["eve"].id)
    at = now - dt.timedelta(days=2)

    def fake_run(cls, parent, lead, steps, offers, submit):
        assert lead.id == people["eve"].id
        assert steps[0].key == "clicked"
        assert "Pricing guide" in offers
        submit(dialogs.NewYes(step="subscribed", at=at, offer="Weekly letter", note="Said hi"))
        return True

    monkeypatch.setattr(dialogs.LogYesDialog, "run", classmethod(fake_run))
    window.log_yes_action.trigger()
    items = window.leads_page.detail.timeline.timeline_model.items()
    yes = next(i for i in items if i.kind == "commitment")
    assert (yes.step, yes.offer, yes.note, yes.at) == ("subscribed", "Weekly letter", "Said hi", at)
    # Logging a subscribe moved the contact to subscribed, and the table shows it.
    row = window.leads_page.model.row_for_id(people["eve"].id)
    model = window.leads_page.model
    assert model.index(row, Columns.STATUS).data() == "Subscribed"
    assert model.index(row, Columns.STEP).data() == "Subscribed"
    assert model.index(row, Columns.LAST_YES).data() == "2 days ago"
    assert window.leads_page.detail.status.currentData() == "subscribed"


def test_log_an_ask_made_outside_the_suggestions(people, window, monkeypatch, now, qtbot):
    from crm.asking.asks import list_asks

    select(window, people["ada"].id)
    at = now - dt.timedelta(days=1)
    seen: list[str] = []

    def fake_run(cls, parent, lead, steps, offers, submit):
        seen.append(cls.TITLE)
        submit(dialogs.NewYes(step="booked", at=at, offer=None, note="At the fair"))
        return True

    monkeypatch.setattr(dialogs.LogAskDialog, "run", classmethod(fake_run))
    assert window.log_ask_action.shortcut().toString() == "Ctrl+Shift+L"
    window.log_ask_action.trigger()
    window.suggestion_box.other_ask_button.click()  # the same, from the next-ask box
    assert seen == ["Log an ask", "Log an ask"]
    asks = list_asks(people["ada"].id)
    assert [(a.step, a.outcome, a.note, a.asked_at) for a in asks][:1] == [
        ("booked", "pending", "At the fair", at)
    ]
    items = window.leads_page.detail.timeline.timeline_model.items()
    assert any(i.kind == "ask" and i.step == "booked" for i in items)


def test_the_ask_dialog_says_what_it_logs(people, qtbot) -> None:
    from crm.asking.ladder import get_ladder

    lead = people["ada"]
    dialog = dialogs.LogAskDialog(None, lead, get_ladder(), [], lambda entry: 1)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == f"Log an ask — {lead.display_name}"
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).text() == "Log ask"


def test_log_yes_dialog_reads_local_time_as_utc_and_shows_refusals(people, qtbot, now):
    lead = get_lead(people["ada"].id)
    submitted = []

    def submit(entry: dialogs.NewYes):
        submitted.append(entry)

    from crm.asking.ladder import get_ladder

    dialog = dialogs.LogYesDialog(None, lead, get_ladder(), ["Pricing guide"], submit)
    qtbot.addWidget(dialog)
    # The rung above Ada's current one (downloaded) is proposed.
    assert dialog.step.currentData() == "answered"
    local_when = dt.datetime(2026, 3, 1, 9, 30)
    from PySide6.QtCore import QDateTime

    dialog.at.setDateTime(QDateTime(local_when))
    dialog.offer.setCurrentText("Pricing guide")
    dialog.note.setPlainText("  took the quiz ")
    dialog.accept()
    assert submitted == [
        dialogs.NewYes("answered", to_utc(local_when), "Pricing guide", "took the quiz")
    ]

    def refuse(entry):
        from crm.errors import ValidationError

        raise ValidationError("A yes cannot be dated in the future: pick today or an earlier date.")

    dialog2 = dialogs.LogYesDialog(None, lead, get_ladder(), [], refuse)
    qtbot.addWidget(dialog2)
    dialog2.accept()
    assert "cannot be dated in the future" in dialog2.error.text()
    assert not dialog2.logged


def test_search_filters_the_table_as_you_type(people, window, qtbot):
    search = window.leads_page.filter_bar.search
    qtbot.keyClicks(search, "example.org")
    qtbot.waitUntil(lambda: shown_emails(window) == ["cleo@example.org"], timeout=2000)
    assert window.count_label.text() == "1 of 5 leads"
    search.clear()
    qtbot.keyClicks(search, "blue fern")  # company, any case
    qtbot.waitUntil(lambda: shown_emails(window) == ["ben@example.com"], timeout=2000)
    qtbot.keyClicks(search, "zzz")
    qtbot.waitUntil(
        lambda: window.leads_page._table_stack.currentWidget() is window.leads_page.no_match,
        timeout=2000,
    )
    window.leads_page.no_match.clear_button.click()
    assert len(shown_emails(window)) == 5
    assert search.text() == ""


def _pick(combo, value) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def test_filter_combos(people, window):
    bar = window.leads_page.filter_bar
    _pick(bar.status, "unsubscribed")
    assert shown_emails(window) == ["cleo@example.org"]
    _pick(bar.status, None)
    _pick(bar.tag, "vip")
    assert sorted(shown_emails(window)) == ["ada@example.com", "dan@example.net"]
    _pick(bar.step, "clicked")
    assert shown_emails(window) == ["dan@example.net"]
    assert bar.clear.isEnabled()
    bar.clear.click()
    _pick(bar.source, "manual")
    assert len(shown_emails(window)) == 5
    assert bar.source.itemText(bar.source.currentIndex()) == "Added by hand"


def test_show_leads_applies_a_chart_query(people, window):
    # Without a period a chart's filter is a plain filter, said in words (and savable).
    window.show_leads(LeadQuery(min_level=3))
    assert sorted(shown_emails(window)) == ["ada@example.com", "ben@example.com"]
    bar = window.leads_page.filter_bar
    assert bar.words.full_text() == "Showing: step at least downloaded"
    assert bar.chip.isHidden() and not bar.chart_active
    window.show_leads(LeadQuery(offer="Pricing guide"))
    assert shown_emails(window) == ["ada@example.com"]
    assert window.leads_page.lead_filter.offer == "Pricing guide"
    bar.clear.click()
    assert len(shown_emails(window)) == 5
    assert bar.words_row.isHidden()


def test_a_chart_filter_chip_fits_a_1024_pixel_window(people, window, now, qtbot):
    from crm.book.timeline import record_commitment

    window.show()
    qtbot.waitExposed(window)
    offer = (
        "The complete spring workshop recordings with every worksheet, every bonus "
        "and the private question-and-answer session"
    )
    record_commitment(people["ben"].id, "downloaded", at=now, now=now, offer=offer)
    page = window.leads_page
    since = now - dt.timedelta(days=30)
    window.show_leads(LeadQuery(min_level=3, yes_since=since))
    assert page.filter_bar.chip.text().startswith("Reached Downloaded or higher · yes dated")
    assert window.minimumSizeHint().width() <= 1024  # a laptop screen
    window.show_leads(LeadQuery(offer=offer, yes_since=since))
    assert shown_emails(window) == ["ben@example.com"]
    chip = page.filter_bar.chip
    assert chip.text().startswith("Took “The complete") and chip.text().endswith("…")
    assert chip.toolTip().startswith(f"Took “{offer}” · yes dated")
    assert window.minimumSizeHint().width() <= 1024  # a laptop screen
    # Without a period the offer is said in the words line, cut short the same way.
    window.show_leads(LeadQuery(offer=offer))
    words = page.filter_bar.words
    assert words.toolTip() == f"Showing: took {offer}"
    assert words.text().endswith("…")
    assert window.minimumSizeHint().width() <= 1024


def test_delete_then_undo(people, window, monkeypatch):
    monkeypatch.setattr(dialogs, "confirm_delete", lambda parent, lead: True)
    ada = people["ada"]
    timeline_before = get_timeline(ada.id)
    select(window, ada.id)
    assert not window.undo_action.isEnabled()
    window.delete_action.trigger()
    assert "ada@example.com" not in shown_emails(window)
    assert window.statusBar().currentMessage() == "Deleted Ada Lovelace — Ctrl+Z to undo"
    assert window.count_label.text() == "4 leads"
    assert window.undo_action.isEnabled()
    assert window.undo_action.text() == "Undo delete of Ada Lovelace"
    assert window.undo_action.shortcut().toString() == "Ctrl+Z"
    window.undo_action.trigger()
    assert "ada@example.com" in shown_emails(window)
    assert get_timeline(ada.id) == timeline_before
    assert window.leads_page.selected_lead_id() == ada.id
    assert not window.undo_action.isEnabled()


def test_delete_asks_first(people, window, monkeypatch):
    monkeypatch.setattr(dialogs, "confirm_delete", lambda parent, lead: False)
    select(window, people["ben"].id)
    window.delete_action.trigger()
    assert "ben@example.com" in shown_emails(window)
    assert count_leads() == 5


def test_sorting_by_header_is_done_in_sql(people, window):
    table = window.leads_page.table
    table.sortByColumn(Columns.EMAIL, Qt.SortOrder.DescendingOrder)
    emails = shown_emails(window)
    assert emails == sorted(emails, reverse=True)
    table.sortByColumn(Columns.NAME, Qt.SortOrder.AscendingOrder)
    model = window.leads_page.model
    names = [model.index(r, Columns.NAME).data() for r in range(model.rowCount())]
    assert names == ["Eve Adams", "Ada Lovelace", "Cleo Martin", "Ben Okafor", "Dan Zhang"]
    # Tags cannot be sorted: the order and the indicator stay on Name.
    table.horizontalHeader().setSortIndicator(Columns.TAGS, Qt.SortOrder.AscendingOrder)
    assert table.horizontalHeader().sortIndicatorSection() == Columns.NAME
    assert [model.index(r, Columns.NAME).data() for r in range(model.rowCount())] == names


def test_sort_order_and_columns_are_remembered(people, make_window):
    first = make_window()
    first.leads_page.table.sortByColumn(Columns.COMPANY, Qt.SortOrder.DescendingOrder)
    first.leads_page.table.horizontalHeader().resizeSection(Columns.EMAIL, 321)
    first.resize(first.width(), 610)  # the offscreen screen is small: vary the height
    first.show()
    first.leads_page.splitter.setSizes([300, 350])
    sizes = first.leads_page.splitter.sizes()
    first.close()
    second = make_window()
    assert second.leads_page.model.query.sort == "company"
    assert second.leads_page.model.query.descending
    assert second.leads_page.table.horizontalHeader().sectionSize(Columns.EMAIL) == 321
    assert second.height() == 610
    second.show()
    table, detail = second.leads_page.splitter.sizes()
    # Restored in proportion: the restored window may be narrower on the small screen.
    assert table / (table + detail) == pytest.approx(sizes[0] / sum(sizes), abs=0.02)


def test_selection_is_kept_by_id_when_rows_move(people, window, now):
    window.leads_page.table.sortByColumn(Columns.NAME, Qt.SortOrder.AscendingOrder)
    select(window, people["cleo"].id)
    row_before = window.leads_page.model.row_for_id(people["cleo"].id)
    # Two leads that sort before Cleo arrive from elsewhere (an import).
    add_lead("al@example.com", first_name="Al", last_name="Aaron", now=now)
    add_lead("bo@example.com", first_name="Bo", last_name="Baker", now=now)
    window.events.publish(Change(LEAD_TABLES, None))
    page = window.leads_page
    assert page.model.row_for_id(people["cleo"].id) == row_before + 2
    assert page.selected_lead_id() == people["cleo"].id
    selected_rows = page.table.selectionModel().selectedRows()
    assert [i.data(LeadIdRole) for i in selected_rows] == [people["cleo"].id]


def test_detail_edits_save_and_bad_email_changes_nothing(people, window, messages):
    dan = people["dan"]
    select(window, dan.id)
    detail = window.leads_page.detail
    detail.company.setText("Cedar & Pine")
    detail.company.textEdited.emit("Cedar & Pine")
    assert detail.save_button.isEnabled()
    detail.save_button.click()
    assert get_lead(dan.id).company == "Cedar & Pine"
    row = window.leads_page.model.row_for_id(dan.id)
    assert window.leads_page.model.index(row, Columns.COMPANY).data() == "Cedar & Pine"

    for bad, words in (("ada@example.com", "already has the email"), ("dan@", "")):
        detail.email.setText(bad)
        detail.phone.setText("555 0100")
        detail.email.textEdited.emit(bad)
        assert not detail.save()
        assert not detail.error.isHidden() and words in detail.error.text()
        stored = get_lead(dan.id)
        assert (stored.email, stored.phone) == ("dan@example.net", "")
    detail.revert_button.click()
    assert detail.email.text() == "dan@example.net"


def test_status_dnc_and_tags_from_the_detail(people, window):
    ben = people["ben"]
    select(window, ben.id)
    detail = window.leads_page.detail
    index = detail.status.findData("unsubscribed")
    detail.status.setCurrentIndex(index)
    detail.status.activated.emit(index)
    assert get_lead(ben.id).status == "unsubscribed"
    top = detail.timeline.timeline_model.items()[0]
    assert top.kind == "status" and "Unsubscribed" in top.summary
    detail.dnc.click()
    assert get_lead(ben.id).do_not_contact
    detail.tag_edit.setText("Podcast guest")
    detail.tag_edit.returnPressed.emit()
    assert get_lead(ben.id).tags == ("Podcast guest", "workshop")
    assert window.leads_page.filter_bar.tag.findData("Podcast guest") >= 0
    detail.remove_tag("workshop")
    assert get_lead(ben.id).tags == ("Podcast guest",)
    row = window.leads_page.model.row_for_id(ben.id)
    assert window.leads_page.model.index(row, Columns.TAGS).data() == "Podcast guest"


def test_a_tag_a_rule_means_a_yes_shows_its_yes_on_the_timeline(people, window, now):
    from crm.book.tag_rules import add_tag_rule

    add_tag_rule("Webinar*", "answered", now=now)
    ben = people["ben"]
    select(window, ben.id)
    detail = window.leads_page.detail
    detail.tag_edit.setText("Webinar: pricing")
    detail.tag_edit.returnPressed.emit()
    top = detail.timeline.timeline_model.items()[0]
    assert top.kind == "commitment" and top.step == "answered"
    assert top.source == "tag rule"


def test_timeline_reads_at_a_glance(people, window, now):
    select(window, people["ada"].id)
    model = window.leads_page.detail.timeline.timeline_model
    first = model.index(0, 0)
    assert first.data() == "Yes: Downloaded — Pricing guide"
    assert first.data(Qt.ItemDataRole.UserRole) == "3 days ago · logged by hand"
    assert not first.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert "2026-06-12" in first.data(Qt.ItemDataRole.ToolTipRole)


def test_insert_above_timeline(people, window):
    from PySide6.QtWidgets import QLabel

    detail = window.leads_page.detail
    label = QLabel("Suggested next ask")
    detail.insert_above_timeline(label)
    select(window, people["ada"].id)
    assert label.isVisibleTo(detail)
    # With the lead's fields, which sit above the timeline.
    assert detail.fields_area.widget().isAncestorOf(label)
    assert not detail.fields_area.isAncestorOf(detail.timeline)


def test_a_note_goes_on_the_timeline(people, window):
    select(window, people["cleo"].id)
    detail = window.leads_page.detail
    detail.note_edit.setText("Met at the Lisbon workshop")
    detail.note_edit.returnPressed.emit()
    top = detail.timeline.timeline_model.items()[0]
    assert (top.kind, top.summary) == ("note", "Met at the Lisbon workshop")
    assert detail.note_edit.text() == ""
    detail.note_edit.setText("   ")  # only spaces: nothing added, the field is cleared
    detail.note_edit.returnPressed.emit()
    assert detail.timeline.timeline_model.items()[0] == top
    assert detail.note_edit.text() == ""


def test_a_change_after_scrolling_far_rereads_only_down_to_the_screen(db, window, now, qtbot):
    from crm.demo import load_demo

    load_demo(leads=700, now=now)
    window.resize(1000, 600)
    window.show()
    qtbot.waitExposed(window)
    page = window.leads_page
    window.events.publish(EVERYTHING)
    while page.model.canFetchMore():
        page.model.fetchMore()
    assert page.model.rowCount() == 700
    # far down, with a lead selected there: that row and the ones above it stay
    far = page.model.index(690, 0).data(LeadIdRole)
    select(window, far)
    page.table.scrollToBottom()
    add_lead("new@example.com", first_name="New", now=now)
    window.events.publish(Change(LEAD_TABLES, None))
    assert page.selected_lead_id() == far and page.model.rowCount() > 690
    # back at the top: the rows far below are let go and come back on scrolling
    top = page.model.index(0, 0).data(LeadIdRole)
    select(window, top)
    page.table.scrollToTop()
    window.events.publish(Change(LEAD_TABLES, None))
    assert page.selected_lead_id() == top
    assert page.model.rowCount() < 700 and page.model.canFetchMore()


def test_tab_goes_through_the_detail_fields_in_the_order_shown(people, window, qtbot, now):
    from crm.book.leads import update_custom

    update_custom(people["ada"].id, {"plan": "pro"}, now=now)
    window.show()
    qtbot.waitExposed(window)
    select(window, people["ada"].id)
    detail = window.leads_page.detail
    order = [detail.first]
    widget = detail.first
    while len(order) < 13:  # the widgets Tab stops at, as Qt chains them
        widget = widget.nextInFocusChain()
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisible():
            order.append(widget)
    assert order == [
        detail.first,
        detail.last,
        detail.email,
        detail.other_edit,
        detail.company,
        detail.phone,
        detail.status,
        detail.dnc,
        detail.tag_edit,
        detail.custom_field_edits()["plan"],
        detail.new_field_name,
        detail.new_field_value,
        detail.notes,
    ]


def test_a_row_clicked_with_the_mouse_can_be_deleted(people, window, monkeypatch, qtbot):
    # A click makes the row current before it selects it: Delete must still be enabled.
    monkeypatch.setattr(dialogs, "confirm_delete", lambda parent, lead: True)
    window.show()
    qtbot.waitExposed(window)
    table = window.leads_page.table
    row = window.leads_page.model.row_for_id(people["ben"].id)
    cell = table.visualRect(window.leads_page.model.index(row, Columns.EMAIL))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=cell.center())
    assert window.leads_page.selected_lead_id() == people["ben"].id
    assert window.delete_action.isEnabled()
    window.delete_action.trigger()  # the Delete key or Edit > Delete lead
    assert "ben@example.com" not in shown_emails(window)
    assert count_leads() == 4


def test_many_tags_wrap_onto_more_lines_and_stay_readable(people, window, qtbot):
    ada = people["ada"]
    tags = ["a tag name far too long to fit on one chip at all", "pricing", "podcast"]
    tags += ["seo", "workshop 2026", "newsletter", "referral"]
    tag_lead(ada.id, tags)
    window.show()
    qtbot.waitExposed(window)
    select(window, ada.id)
    detail = window.leads_page.detail
    box = detail.tag_edit.parentWidget()
    qtbot.waitUntil(lambda: box.height() >= detail.tag_edit.geometry().bottom())
    chips = [c for c in box.findChildren(QToolButton) if c.isVisible()]
    assert len(chips) == len(tags) + 1  # every tag, "vip" too
    area = box.rect()
    for chip in chips:
        # Never squeezed down to "…", never past the panel's edge.
        assert chip.width() >= chip.sizeHint().width()
        assert area.contains(chip.geometry())
    assert area.contains(detail.tag_edit.geometry())
    assert detail.tag_edit.isVisible() and detail.tag_edit.width() >= 100
    long_chip = next(c for c in chips if c.text().startswith("a tag name"))
    assert "…" in long_chip.text()
    assert long_chip.toolTip() == f"Remove the tag “{tags[0]}”"
    # The rows below the tags (notes) start under the last line of chips.
    assert (
        detail.notes.mapTo(detail, detail.notes.rect().topLeft()).y()
        >= box.mapTo(detail, box.rect().bottomLeft()).y()
    )


def test_leaving_a_lead_with_a_refused_edit_says_it_was_not_saved(people, window):
    dan = people["dan"]
    select(window, dan.id)
    detail = window.leads_page.detail
    detail.email.setText("dan@")
    detail.email.textEdited.emit("dan@")
    select(window, people["ada"].id)
    message = window.statusBar().currentMessage()
    assert message.startswith("Your changes to Dan Zhang were not saved: ")
    assert "dan@" in message
    assert get_lead(dan.id).email == "dan@example.net"


def test_a_refused_tag_stays_in_the_field_to_be_shortened(people, window, messages):
    ben = people["ben"]
    select(window, ben.id)
    detail = window.leads_page.detail
    too_long = "spring workshop " * 6  # over the 80 characters a tag may have
    detail.tag_edit.setText(too_long)
    detail.tag_edit.returnPressed.emit()
    assert messages == ["A tag can be at most 80 characters: shorten it."]
    assert detail.tag_edit.text() == too_long
    assert get_lead(ben.id).tags == ("workshop",)
    detail.tag_edit.setText("spring workshop")
    detail.tag_edit.returnPressed.emit()
    assert detail.tag_edit.text() == ""
    assert get_lead(ben.id).tags == ("spring workshop", "workshop")


def test_the_last_yes_and_status_columns_fit_their_longest_words(window):
    table = window.leads_page.table
    metrics = table.fontMetrics()
    header = table.horizontalHeader()
    assert header.sectionSize(Columns.LAST_YES) > metrics.horizontalAdvance("11 months ago")
    assert header.sectionSize(Columns.STATUS) > metrics.horizontalAdvance("Unsubscribed")


def test_a_full_detail_scrolls_on_a_small_screen_instead_of_growing_the_window(
    people, window, qtbot, now
):
    from crm.asking.asks import record_ask

    ada = people["ada"]
    tags = ["pricing", "podcast", "seo", "workshop 2026", "newsletter", "referral", "spring"]
    tags += ["autumn retreat", "masterclass", "coaching", "webinar replay", "guide"]
    tag_lead(ada.id, tags)
    record_ask(ada.id, "answered", at=now - dt.timedelta(days=1), now=now)
    window.resize(1024, 700)
    window.show()
    qtbot.waitExposed(window)
    select(window, ada.id)
    detail = window.leads_page.detail
    qtbot.waitUntil(lambda: detail.fields_area.verticalScrollBar().maximum() > 0)
    assert window.height() <= 700 and window.minimumSizeHint().height() <= 700
    # The fields scroll; the timeline keeps room for a few entries.
    assert detail.timeline.height() >= detail.fontMetrics().height() * 6
    # Nothing is cut at the right edge: the fields fit beside the scroll bar.
    content = detail.fields_area.widget()
    assert content.width() <= detail.fields_area.viewport().width()


def test_other_addresses_show_on_the_lead_find_it_and_are_edited_there(
    people, window, qtbot, now, messages
):
    from crm.book.other_emails import add_other_email

    ben, ada = people["ben"], people["ada"]
    add_other_email(ben.id, "ben@work.example", now=now)
    search = window.leads_page.filter_bar.search
    qtbot.keyClicks(search, "work.example")
    qtbot.waitUntil(lambda: shown_emails(window) == ["ben@example.com"], timeout=2000)
    select(window, ben.id)
    detail = window.leads_page.detail
    chips = detail.other_email_chips()
    assert [c.toolTip() for c in chips] == ["Remove the address ben@work.example from this lead"]
    # Added from the panel: stored at once and shown as a chip.
    qtbot.keyClicks(detail.other_edit, "Ben.B@Home.example")
    qtbot.keyClick(detail.other_edit, Qt.Key.Key_Return)
    assert get_lead(ben.id).other_emails == ("ben@work.example", "Ben.B@Home.example")
    assert len(detail.other_email_chips()) == 2 and detail.other_edit.text() == ""
    # Another lead's own email is refused with its sentence; the text stays to be fixed.
    qtbot.keyClicks(detail.other_edit, ada.email)
    qtbot.keyClick(detail.other_edit, Qt.Key.Key_Return)
    assert messages and "another lead" in messages[-1]
    assert detail.other_edit.text() == ada.email
    assert get_lead(ben.id).other_emails == ("ben@work.example", "Ben.B@Home.example")
    # Removed with its chip.
    detail.other_email_chips()[0].click()
    assert get_lead(ben.id).other_emails == ("Ben.B@Home.example",)
    assert len(detail.other_email_chips()) == 1
    search.clear()
    qtbot.keyClick(search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(shown_emails(window)) == 5, timeout=2000)
    select(window, ada.id)
    assert detail.other_email_chips() == []
