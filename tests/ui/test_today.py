"""The Today page: the list, its actions, the count in the sidebar; the lead's suggestion box."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, unquote, urlparse

import pytest
from PySide6.QtGui import QGuiApplication

from crm.asking.asks import list_asks
from crm.asking.due import todays_asks, todays_asks_page
from crm.asking.suggest import NoSuggestion, Suggestion
from crm.book.leads import LeadRow, add_lead
from crm.book.timeline import record_commitment
from tests.ui.today_helpers import emails, listed
from ui import today as today_module
from ui.events import AppEvents
from ui.today import TODAY, TodayPage, mailto_url


def open_page(qtbot, clock) -> TodayPage:
    events = AppEvents()
    page = TodayPage(events, clock=clock)
    page._test_events = events  # keep the events object alive with the page
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.sig_loaded, timeout=10_000):
        page.reload()
    return page


@pytest.fixture
def page(qtbot, db, people: dict[str, LeadRow], clock) -> TodayPage:
    page = open_page(qtbot, clock)
    yield page
    page.shutdown()


def test_lists_due_leads_by_ask_without_the_suppressed(page: TodayPage) -> None:
    listed_emails = emails(page)
    assert "cleo@example.org" not in listed_emails  # unsubscribed
    assert set(listed_emails) == {
        "ada@example.com",
        "ben@example.com",
        "dan@example.net",
        "eve@example.com",
    }
    headers = [g.header() for g in page.model.groups()]
    assert "1 lead is ready for: Remind to confirm the subscription" in headers
    assert "1 lead is ready for: Invite to subscribe" in headers
    assert page.count == 4
    assert "4 leads have an ask due" in page.subtitle.text()
    assert page.stack.currentWidget() is page._list


def test_selected_row_shows_reason_and_message(page: TodayPage) -> None:
    page.select_lead(listed(page)[0].lead_id)
    item = page.selected_item()
    assert item is not None
    assert page.reason.text() == item.suggestion.reason
    assert page.message.toPlainText() == item.suggestion.message
    assert item.suggestion.ask_name in page.lead_label.text()


def test_mark_as_asked_records_the_ask_and_the_row_leaves(qtbot, page: TodayPage, people) -> None:
    ada = people["ada"].id
    assert page.select_lead(ada)
    counts: list[int] = []
    page.sig_count_changed.connect(counts.append)
    step = page.selected_item().suggestion.step
    page.asked_button.click()
    assert "ada@example.com" not in emails(page)
    assert counts == [3] and page.count == 3
    asks = list_asks(ada)
    assert len(asks) == 1 and asks[0].step == step and asks[0].outcome == "pending"
    # her group had no one else: it is gone, and the next lead is selected
    assert len(page.model.groups()) == 3
    assert page.selected_item() is not None
    assert page.asked_today == 1
    assert "1 of 20 made" in page.limit_label.text()


def test_snooze_picks_a_date_and_the_row_leaves(
    qtbot, page: TodayPage, people, now, monkeypatch
) -> None:
    chosen = (now + dt.timedelta(days=10)).date()
    monkeypatch.setattr(today_module, "ask_snooze_date", lambda parent, default: chosen)
    assert page.select_lead(people["ben"].id)
    page.snooze_button.click()
    assert "ben@example.com" not in emails(page)
    assert page.count == 3
    assert people["ben"].id not in {i.lead_id for i in todays_asks(now)}
    back = {i.lead_id for i in todays_asks(now + dt.timedelta(days=11))}
    assert people["ben"].id in back


def test_cancelled_snooze_keeps_the_row(page: TodayPage, people, monkeypatch) -> None:
    monkeypatch.setattr(today_module, "ask_snooze_date", lambda parent, default: None)
    page.select_lead(people["ben"].id)
    page.snooze_button.click()
    assert "ben@example.com" in emails(page) and page.count == 4


def test_skip_takes_the_row_off_until_after_the_cooldown(page: TodayPage, people, now) -> None:
    page.select_lead(people["eve"].id)
    page.skip_button.click()
    assert "eve@example.com" not in emails(page)
    assert people["eve"].id not in {i.lead_id for i in todays_asks(now + dt.timedelta(days=3))}
    assert people["eve"].id in {i.lead_id for i in todays_asks(now + dt.timedelta(days=8))}


def test_copy_and_mail_use_the_message(page: TodayPage, people, monkeypatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(today_module, "open_url", lambda url: opened.append(url) or True)
    page.select_lead(people["ada"].id)
    item = page.selected_item()
    page.copy_button.click()
    assert QGuiApplication.clipboard().text() == item.suggestion.message
    page.mail_button.click()
    assert opened == [mailto_url(item.email, item.suggestion.subject, item.suggestion.body)]


def test_mailto_is_url_encoded() -> None:
    url = mailto_url("ada+x@example.com", "A guide & more?", "Hi Ada,\n\n100% free.")
    parsed = urlparse(url)
    assert parsed.scheme == "mailto" and unquote(parsed.path) == "ada+x@example.com"
    assert " " not in url and "\n" not in url
    query = parse_qs(parsed.query)
    assert query["subject"] == ["A guide & more?"]
    assert query["body"] == ["Hi Ada,\n\n100% free."]


def test_empty_state_says_what_to_do(qtbot, db, clock) -> None:
    page = TodayPage(AppEvents(), clock=clock)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=10_000):
        page.reload()
    assert page.count == 0
    assert page.stack.currentWidget() is page._empty
    assert "load the demo data" in page.empty_text.text()
    assert "waiting for an answer" not in page.empty_text.text()  # there is no lead at all
    page.shutdown()


def test_empty_state_with_leads_says_why_nothing_is_due(qtbot, db, clock, now) -> None:
    lead = add_lead("ada@example.com", status="unsubscribed", now=now)
    page = TodayPage(AppEvents(), clock=clock)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=10_000):
        page.reload()
    assert page.count == 0 and lead.id
    assert "opted out" in page.empty_text.text()
    assert "no leads yet" not in page.empty_text.text().lower()
    page.shutdown()


def test_window_has_today_with_its_count_in_the_sidebar(qtbot, people, make_window) -> None:
    window = make_window()
    page = window.today_page
    qtbot.waitUntil(lambda: page.count == 4, timeout=10_000)
    item = next(
        window.sidebar.item(i)
        for i in range(window.sidebar.count())
        if window.sidebar.item(i).data(256) == TODAY
    )
    assert item.text() == "Today  (4)"
    assert window.show_page(TODAY) is page
    page.select_lead(people["ada"].id)
    page.asked_button.click()
    assert item.text() == "Today  (3)"
    assert window.pacing_action.text().replace("&", "") == "Pacing…"


def test_suggestion_box_shows_the_leads_next_ask_or_why_not(qtbot, people, make_window) -> None:
    window = make_window()
    box = window.suggestion_box
    with qtbot.waitSignal(box.sig_shown, timeout=10_000):
        window.leads_page.detail.show_lead(people["ada"].id)
        box.show_lead(people["ada"].id)
    assert isinstance(box.result, Suggestion)
    assert box.headline.text().startswith(f"{box.result.ask_name} (due ")
    with qtbot.waitSignal(box.sig_shown, timeout=10_000):
        box.show_lead(people["cleo"].id)
    assert isinstance(box.result, NoSuggestion)
    assert box.headline.text() == "Nothing to ask right now."
    assert "Unsubscribed" in box.reason.text()
    assert not box.asked_button.isVisible()


def test_due_dates_read_calmly() -> None:
    import datetime as dt

    from ui.today import due_text

    now = dt.datetime(2026, 6, 15, 12, 0)
    assert due_text(now, now) == "today"
    assert due_text(now - dt.timedelta(days=1), now) == "since yesterday"
    assert due_text(now - dt.timedelta(days=12), now) == "since 3 Jun"
    assert due_text(now - dt.timedelta(days=400), now) == "since May 2025"


def test_a_long_group_lists_its_best_and_counts_them_all(
    qtbot, db, clock, now, monkeypatch
) -> None:
    for i in range(4):
        lead = add_lead(f"l{i}@example.com", status="subscribed", now=now - dt.timedelta(days=60))
        record_commitment(lead.id, "subscribed", at=now - dt.timedelta(days=40 - i), now=now)
    monkeypatch.setattr(today_module, "SHOWN_PER_GROUP", 2)
    page = open_page(qtbot, clock)
    [group] = page.model.groups()
    best = [i.lead_id for i in todays_asks_page(now).items]
    assert [i.lead_id for i in group.items] == best[:2]
    assert group.count == 4 and page.count == 4
    assert group.header().startswith("4 leads are ready for: Invite to download")
    assert group.header().endswith("(the best 2 listed)")
    counts: list[int] = []
    page.sig_count_changed.connect(counts.append)
    page.select_lead(best[0])
    page.asked_button.click()
    assert len(group.items) == 1 and group.count == 3 and page.count == 3 and counts == [3]
    # handling the last listed lead of the group brings in the next best ones
    with qtbot.waitSignal(page.sig_loaded, timeout=10_000):
        page.skip_button.click()
    [group] = page.model.groups()
    assert [i.lead_id for i in group.items] == best[2:4]
    assert page.count == 2 and counts[-1] == 2
    assert group.header() == "2 leads are ready for: Invite to download a free offer"
    page.shutdown()


def test_the_box_asks_for_the_answer_to_an_ask_that_waits(qtbot, people, make_window, now):
    from crm.asking.asks import get_ask, record_ask
    from crm.book.timeline import get_timeline

    window = make_window()
    window.show()
    box = window.suggestion_box
    ada = people["ada"].id
    ask_id = record_ask(ada, "downloaded", at=now - dt.timedelta(days=2), now=now, offer="Guide")
    with qtbot.waitSignal(box.sig_shown, timeout=10_000):
        window.leads_page.select_lead(ada)
    assert box.waiting is not None and box.waiting.id == ask_id
    assert box.answer_label.isVisible()
    assert (
        box.answer_label.text() == 'Did they answer your ask "Downloaded — Guide", made 2 days ago?'
    )
    with qtbot.waitSignal(box.sig_shown, timeout=10_000):
        box.answer_buttons["accepted"].click()
    assert get_ask(ask_id).outcome == "accepted"
    assert any(i.kind == "commitment" and i.step == "downloaded" for i in get_timeline(ada))
    assert box.waiting is None and not box.answer_label.isVisible()


def test_the_timeline_menu_records_or_corrects_an_answer(qtbot, people, make_window, now):
    from crm.asking.asks import get_ask, record_ask

    window = make_window()
    ada = people["ada"].id
    ask_id = record_ask(ada, "downloaded", at=now - dt.timedelta(days=9), now=now)
    window.leads_page.select_lead(ada)
    timeline = window.leads_page.detail.timeline
    items = timeline.timeline_model.items()
    ask = next(i for i in items if i.kind == "ask")
    menu = timeline.answer_menu(ask)
    words = [a.text() for a in menu.actions()]
    assert words == ["They said yes", "They said not now", "No answer"]  # not "still waiting"
    next(a for a in menu.actions() if a.text() == "They said not now").trigger()
    assert get_ask(ask_id).outcome == "declined"
    ask = next(i for i in timeline.timeline_model.items() if i.kind == "ask")
    assert "Still waiting for an answer" in [a.text() for a in timeline.answer_menu(ask).actions()]
    assert timeline.answer_menu(next(i for i in items if i.kind != "ask")) is None


def test_the_timeline_menu_opens_from_the_keyboard_on_the_focused_entry(
    qtbot, people, make_window, now, monkeypatch
):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QContextMenuEvent
    from PySide6.QtWidgets import QApplication

    from crm.asking.asks import record_ask

    window = make_window()
    ada = people["ada"].id
    record_ask(ada, "downloaded", at=now - dt.timedelta(days=9), now=now)
    window.leads_page.select_lead(ada)
    timeline = window.leads_page.detail.timeline
    shown: list[list[str]] = []

    def menu_key() -> QContextMenuEvent:
        return QContextMenuEvent(
            QContextMenuEvent.Reason.Keyboard, QPoint(0, 0), QPoint(0, 0),
            Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip

    monkeypatch.setattr(
        type(timeline),
        "popup",
        lambda _view, menu, _at: shown.append([a.text() for a in menu.actions()]),
    )
    row = next(r for r, i in enumerate(timeline.timeline_model.items()) if i.kind == "ask")
    timeline.setCurrentIndex(timeline.timeline_model.index(row))
    QApplication.sendEvent(timeline, menu_key())
    assert shown == [["They said yes", "They said not now", "No answer"]]
    other = next(r for r, i in enumerate(timeline.timeline_model.items()) if i.kind != "ask")
    timeline.setCurrentIndex(timeline.timeline_model.index(other))
    QApplication.sendEvent(timeline, menu_key())
    assert len(shown) == 1  # no menu for a yes or a note


def test_the_snooze_window_says_snooze_and_starts_tomorrow(qtbot) -> None:
    from PySide6.QtCore import QDate
    from PySide6.QtWidgets import QDialogButtonBox

    from ui.today import snooze_dialog

    dialog, calendar = snooze_dialog(None, dt.date.today() + dt.timedelta(days=7))
    qtbot.addWidget(dialog)
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons.button(QDialogButtonBox.StandardButton.Ok).text() == "Snooze"
    assert calendar.minimumDate() == QDate.currentDate().addDays(1)
