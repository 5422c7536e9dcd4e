"""Today worked through at scale: the asks grouped, each group folded or asked through the
newsletter, the daily limit of personal asks, the first offer, and a message's preview."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtTest import QSignalSpy
from PySide6.QtWidgets import QToolButton

from crm.asking.asks import list_asks, record_ask
from crm.asking.due import todays_asks_page
from crm.asking.ladder import step_by_key
from crm.asking.pacing import set_pacing
from crm.book.leads import add_lead
from crm.book.offers import add_offer, list_offers
from crm.book.timeline import record_commitment
from crm.demo import load_demo
from crm.importing.activity.links import offer_links
from tests.ui.today_helpers import emails, group_of, listed
from ui import today as today_module
from ui.events import AppEvents
from ui.today import NEWSLETTER_BUTTON, NEWSLETTER_UNAVAILABLE, SHOWN_PER_GROUP, TodayPage
from ui.today_dialogs import FirstOfferDialog, MessageDialog

DAY = dt.timedelta(days=1)
FOCUS = "downloaded|Focus workbook"
PRICING = "downloaded|Pricing guide"


def open_page(qtbot, when: dt.datetime) -> TodayPage:
    events = AppEvents()
    page = TodayPage(events, clock=lambda: when)
    page._test_events = events  # keep the events object alive with the page
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.sig_loaded, timeout=20_000):
        page.reload()
    return page


@pytest.fixture
def shut():
    pages: list[TodayPage] = []
    yield pages.append
    for page in pages:
        page.shutdown()


def subscriber(email: str, now: dt.datetime, days_ago: float, **kw: object) -> int:
    lead = add_lead(
        email, first_name=email.split("@")[0].title(), status="subscribed", now=now, **kw
    )  # type: ignore[arg-type]
    record_commitment(lead.id, "subscribed", at=now - days_ago * DAY, now=now)
    return lead.id


@pytest.fixture
def book(db, now) -> dict[str, int]:
    """Three leads ready for the Focus workbook, two for the Pricing guide."""
    add_offer("Focus workbook", now=now - 90 * DAY, topics="focus")
    add_offer("Pricing guide", now=now - 90 * DAY, topics="pricing")
    ids = {}
    for name, days_ago in (("fay", 20), ("fred", 40), ("fin", 30)):
        ids[name] = subscriber(f"{name}@example.com", now, days_ago, tags=["focus"])
    for name, days_ago in (("pia", 35), ("pat", 25)):
        ids[name] = subscriber(
            f"{name}@example.com", now, days_ago, tags=["pricing"], custom={"Plan": "Pro"}
        )
    return ids


def test_groups_show_what_they_ask_biggest_first_warmest_first_inside(
    qtbot, book, now, shut
) -> None:
    page = open_page(qtbot, now)
    shut(page)
    assert [g.key for g in page.model.groups()] == [FOCUS, PRICING]
    focus, pricing = page.model.groups()
    assert focus.header() == "3 leads are ready for: Invite to download the Focus workbook"
    assert pricing.header() == "2 leads are ready for: Invite to download the Pricing guide"
    index = page.model.group_index(FOCUS)
    assert page.model.data(index) == focus.header()
    assert page.table.isFirstColumnSpanned(index.row(), QModelIndex())
    # the best first inside each group: the same score, the longest overdue first
    assert [i.lead_id for i in focus.items] == [book["fred"], book["fin"], book["fay"]]
    assert [i.lead_id for i in pricing.items] == [book["pia"], book["pat"]]
    assert "likely to say yes" in page.model.data(index, Qt.ItemDataRole.ToolTipRole)
    # selecting a group's row says what it holds
    assert page.select_group(PRICING)
    assert page.selected_item() is None and page.lead_label.text() == pricing.header()
    assert not page.asked_button.isEnabled() and not page.copy_button.isEnabled()


def test_a_group_folds_and_stays_folded_after_a_reload(qtbot, book, now, shut) -> None:
    page = open_page(qtbot, now)
    shut(page)
    index = page.model.group_index(FOCUS)
    assert page.table.isExpanded(index)
    page.table.collapse(index)
    assert not page.table.isExpanded(index)
    with qtbot.waitSignal(page.sig_loaded, timeout=10_000):
        page.reload()
    assert not page.table.isExpanded(page.model.group_index(FOCUS))
    assert page.table.isExpanded(page.model.group_index(PRICING))
    # a double click on a group's row unfolds it
    page._on_table_double_clicked(page.model.group_index(FOCUS))
    assert page.table.isExpanded(page.model.group_index(FOCUS))


def test_the_newsletter_button_hands_the_group_to_the_campaign_dialog(
    qtbot, book, now, shut
) -> None:
    page = open_page(qtbot, now)
    shut(page)
    button = page.group_button(PRICING)
    assert isinstance(button, QToolButton) and button.text() == NEWSLETTER_BUTTON
    got: list[tuple] = []
    page.sig_group_newsletter_requested.connect(lambda *args: got.append(args))
    messages: list[str] = []
    page.sig_status_message.connect(messages.append)
    with qtbot.waitSignal(page.sig_group_newsletter_requested, timeout=1000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert got == [("downloaded", "Pricing guide", [book["pia"], book["pat"]])]
    assert NEWSLETTER_UNAVAILABLE not in messages  # someone took it up
    # a lead handled one by one leaves the group's ids
    page.select_lead(book["pia"])
    page.skip_button.click()
    page.ask_group_by_newsletter(PRICING)
    assert got[-1] == ("downloaded", "Pricing guide", [book["pat"]])


def test_with_no_campaign_dialog_the_button_says_so(qtbot, book, now, shut) -> None:
    page = open_page(qtbot, now)
    shut(page)
    messages: list[str] = []
    page.sig_status_message.connect(messages.append)
    page.group_button(FOCUS).click()
    assert messages == [NEWSLETTER_UNAVAILABLE]


def test_the_daily_limit_stops_personal_asks_and_says_so(qtbot, book, now, shut) -> None:
    set_pacing(daily_ask_limit=2)
    record_ask(book["pat"], "downloaded", at=now - dt.timedelta(hours=1), now=now)
    page = open_page(qtbot, now)
    shut(page)
    assert (page.asked_today, page.daily_limit) == (1, 2)
    assert page.limit_label.text() == "Personal asks today: 1 of 2 made, 1 more to go."
    assert page.select_lead(book["fred"])
    assert page.asked_button.isEnabled()
    page.asked_button.click()
    assert page.asked_today == 2
    text = page.limit_label.text()
    assert text.startswith("Daily limit reached: 2 personal asks recorded today")
    assert "Nothing more is suggested for personal asking today" in text
    assert page.limit_label.font().bold()
    # the leads stay listed for the newsletter, but not for personal asking
    assert page.select_lead(book["fin"])
    for button in (page.asked_button, page.copy_button, page.mail_button):
        assert not button.isEnabled()
        assert button.toolTip().startswith("Daily limit reached")
    assert page.skip_button.isEnabled() and page.group_button(FOCUS).isEnabled()
    page.mark_asked()  # the shortcut too
    assert list_asks(book["fin"]) == []
    # the limit counts asks made elsewhere: a new day starts at none
    later = open_page(qtbot, now + DAY)
    shut(later)
    assert later.asked_today == 0 and later.asked_button.isEnabled() is True


def test_with_no_offer_today_says_so_and_adds_the_first(qtbot, db, now, shut, monkeypatch) -> None:
    for name in ("ada", "ben"):
        subscriber(f"{name}@example.com", now, 30, custom={"Plan": "Pro"})
    page = open_page(qtbot, now)
    shut(page)
    assert page.free_offers == 0 and page.offer_notice.isVisible()
    assert "No free offer (a guide, a checklist) is set up yet" in page.offer_text.text()
    page.select_lead(listed(page)[0].lead_id)
    assert "my free guide" not in page.message.toPlainText()
    assert "{offer}" in page.message.toPlainText()
    assert page.unfilled_label.isVisible() and "{offer}" in page.unfilled_label.text()

    def fill_and_save(parent, events, clock) -> bool:
        dialog = FirstOfferDialog(events, clock, parent)
        qtbot.addWidget(dialog)
        dialog.name_edit.setText("Focus workbook")
        dialog.link_edit.setText("example.com/focus")
        dialog.topic_edit.setText("focus")
        dialog.save()
        return dialog.result() == dialog.DialogCode.Accepted

    monkeypatch.setattr(today_module, "add_first_offer", fill_and_save)
    with qtbot.waitSignal(page.sig_loaded, timeout=10_000):
        page.add_offer_button.click()
    assert [o.name for o in list_offers()] == ["Focus workbook"]
    assert [link.prefix for link in offer_links("Focus workbook")] == ["example.com/focus"]
    assert not page.offer_notice.isVisible()
    [group] = page.model.groups()
    assert group.key == FOCUS
    page.select_lead(group.items[0].lead_id)
    message = page.message.toPlainText()
    assert "Focus workbook" in message and message.endswith("https://example.com/focus")
    assert not page.unfilled_label.isVisible()


def test_the_first_offer_dialog_refuses_a_bad_link_and_adds_nothing(qtbot, db, now) -> None:
    dialog = FirstOfferDialog(AppEvents(), lambda: now)
    qtbot.addWidget(dialog)
    dialog.name_edit.setText("Focus workbook")
    dialog.link_edit.setText("focus workbook")
    dialog.save()
    assert not dialog.error.isHidden() and "not a web address" in dialog.error.text()
    assert list_offers() == [] and dialog.result() != dialog.DialogCode.Accepted
    dialog.name_edit.setText("   ")
    dialog.link_edit.setText("example.com/focus")
    dialog.save()
    assert "offer" in dialog.error.text().lower() and list_offers() == []


def test_the_message_dialog_previews_the_selected_lead_and_saves(
    qtbot, book, now, shut, monkeypatch
) -> None:
    page = open_page(qtbot, now)
    shut(page)
    page.select_lead(book["pia"])
    item = page.selected_item()
    dialog = MessageDialog(
        page._events, item.suggestion.step, item.suggestion.ask_name, item.name,
        item.suggestion.fields,
    )  # fmt: skip
    qtbot.addWidget(dialog)
    assert "{plan}" in dialog.fill_ins.text() and "{offer_link}" in dialog.fill_ins.text()
    assert dialog.preview_title.text() == "Preview for Pia"
    dialog.subject_edit.setText("{offer} for {plan} users")
    dialog.body_edit.setPlainText("Hi {first_name}, {nickname}?")
    assert dialog.preview.toPlainText() == "Pricing guide for Pro users\n\nHi Pia, {nickname}?"
    assert dialog.unfilled.isVisibleTo(dialog) and "{nickname}" in dialog.unfilled.text()
    dialog.save()  # {nickname} is no field of any lead
    assert "unknown placeholder, {nickname}" in dialog.error.text()
    assert step_by_key("downloaded").ask_body != "Hi {first_name}, {nickname}?"
    dialog.body_edit.setPlainText("Hi {first_name}, for your {plan} plan: {offer}.")
    assert not dialog.unfilled.isVisibleTo(dialog)
    with qtbot.waitSignal(page.sig_loaded, timeout=10_000):
        dialog.save()  # the page follows the change to the ladder
    assert dialog.result() == dialog.DialogCode.Accepted
    assert step_by_key("downloaded").ask_subject == "{offer} for {plan} users"
    page.select_lead(book["pia"])
    assert page.message.toPlainText().startswith(
        "Pricing guide for Pro users\n\nHi Pia, for your Pro plan: Pricing guide."
    )
    # Fay has no plan: her message shows the placeholder as written, and says so
    page.select_lead(book["fay"])
    assert "for your {plan} plan" in page.message.toPlainText()
    assert "{plan}" in page.unfilled_label.text()

    opened: list[TodayPage] = []
    monkeypatch.setattr(
        today_module, "edit_message", lambda parent, events, item: opened.append(item) or False
    )
    page.edit_button.click()
    assert [i.lead_id for i in opened] == [book["fay"]]


def test_three_thousand_demo_leads_keep_today_responsive(qtbot, db, now, shut) -> None:
    load_demo(leads=3000, now=now)
    events = AppEvents()
    page = TodayPage(events, clock=lambda: now)
    page._test_events = events
    qtbot.addWidget(page)
    page.show()
    ticks: list[bool] = []
    timer = QTimer(page, interval=0)
    timer.timeout.connect(lambda: ticks.append(page.loading))
    timer.start()
    with qtbot.waitSignal(page.sig_loaded, timeout=30_000):
        page.reload()
        # the work is off the GUI thread: reload returns before anything is shown
        assert page.loading and page.count is None and page.model.rowCount() == 0
    timer.stop()
    shut(page)
    assert True in ticks  # the window kept handling events while the asks were worked out
    expected = todays_asks_page(now)
    assert page.count == expected.total_due > SHOWN_PER_GROUP
    groups = page.model.groups()
    assert sum(g.count for g in groups) == page.count
    # each group lists only its best; one button per group, none per lead
    assert all(len(g.items) <= SHOWN_PER_GROUP for g in groups)
    assert len(listed(page)) < page.count
    bars = [b for b in page.findChildren(QToolButton) if b.text() == NEWSLETTER_BUTTON]
    assert len(bars) == len(groups) and all(page.group_button(g.key) for g in groups)
    # handling a lead takes its one row away, with no reset and no recomputation
    resets, removed = QSignalSpy(page.model.modelReset), QSignalSpy(page.model.rowsRemoved)
    first, before = groups[0].items[0], groups[0].count
    page.select_lead(first.lead_id)
    page.asked_button.click()
    assert removed.count() == 1 and resets.count() == 0 and not page.loading
    assert first.email not in emails(page)
    assert page.count == expected.total_due - 1
    assert group_of(page, groups[0].items[0].lead_id).count == before - 1
