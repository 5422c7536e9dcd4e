"""Several of Today's leads at once: Ctrl click and Ctrl+A select lead rows, and the bar
marks them as asked (each at its own group's ask), snoozes them or marks them do not
contact, each with its Undo; a single row keeps its own actions."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from crm.asking.asks import list_asks, record_ask
from crm.book.leads import add_lead, get_lead
from crm.book.offers import add_offer
from crm.book.timeline import record_commitment
from tests.ui.today_helpers import listed
from ui import today as today_module
from ui.events import AppEvents
from ui.leads import bulk_bar
from ui.today import TodayPage

DAY = dt.timedelta(days=1)
FOCUS = "downloaded|Focus workbook"
PRICING = "downloaded|Pricing guide"


@pytest.fixture
def book(db, now) -> dict[str, int]:
    """Three leads ready for the Focus workbook, two for the Pricing guide."""
    add_offer("Focus workbook", now=now - 90 * DAY, topics="focus")
    add_offer("Pricing guide", now=now - 90 * DAY, topics="pricing")
    ids = {}
    for name, days_ago, tag in (
        ("fay", 20, "focus"), ("fred", 40, "focus"), ("fin", 30, "focus"),
        ("pia", 35, "pricing"), ("pat", 25, "pricing"),
    ):  # fmt: skip
        lead = add_lead(
            f"{name}@example.com", first_name=name.title(), status="subscribed", now=now,
            tags=[tag],
        )  # fmt: skip
        record_commitment(lead.id, "subscribed", at=now - days_ago * DAY, now=now)
        ids[name] = lead.id
    return ids


@pytest.fixture
def page(qtbot, book, now):
    events = AppEvents()
    shown = TodayPage(events, clock=lambda: now)
    shown._test_events = events  # keep the events object alive with the page
    qtbot.addWidget(shown)
    shown.show()
    with qtbot.waitSignal(shown.sig_loaded, timeout=20_000):
        shown.reload()
    yield shown
    shown.shutdown()
    shown.bulk_bar.runner.shutdown()


def click(page: TodayPage, lead_id: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    rect = page.table.visualRect(page.model.lead_index(lead_id))
    QTest.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def listed_ids(page: TodayPage) -> set[int]:
    return {item.lead_id for item in listed(page)}


def run_bar(qtbot, page: TodayPage, action) -> object:
    """Trigger a bar action and wait until its job is done and the page has reloaded."""
    with (
        qtbot.waitSignal(page.sig_loaded, timeout=20_000),
        qtbot.waitSignal(page.bulk_bar.sig_finished, timeout=20_000) as done,
    ):
        action()
    return done.args[0]


def test_mark_as_asked_records_each_groups_ask_and_undo_brings_them_back(qtbot, page, book) -> None:
    assert [g.key for g in page.model.groups()] == [FOCUS, PRICING]
    assert not page.bulk_bar.isVisible()
    click(page, book["fay"])
    click(page, book["pia"], Qt.KeyboardModifier.ControlModifier)
    assert page.bulk_bar.isVisible()
    assert page.bulk_bar.count_label.text() == "2 leads selected, in 2 asks"
    # the per-row actions step aside while several are selected
    assert not page.asked_button.isEnabled()
    assert not page.skip_button.isEnabled()

    run_bar(qtbot, page, page.bulk_bar.asked_button.click)

    [fay] = list_asks(book["fay"])
    [pia] = list_asks(book["pia"])
    assert (fay.step, fay.offer, fay.outcome) == ("downloaded", "Focus workbook", "pending")
    assert (pia.step, pia.offer, pia.outcome) == ("downloaded", "Pricing guide", "pending")
    for other in ("fred", "fin", "pat"):
        assert list_asks(book[other]) == []
    assert book["fay"] not in listed_ids(page) and book["pia"] not in listed_ids(page)
    assert page.bulk_bar.result_label.text() == "Recorded the ask to 2 leads."
    assert page.bulk_bar.undo_button.isVisibleTo(page.bulk_bar)

    run_bar(qtbot, page, page.bulk_bar.undo_button.click)

    assert list_asks(book["fay"]) == [] and list_asks(book["pia"]) == []
    assert listed_ids(page) == set(book.values())
    assert page.bulk_bar.result_label.text() == "Undone: 2 pending asks removed."
    assert not page.bulk_bar.undo_button.isVisibleTo(page.bulk_bar)


def test_ctrl_a_selects_the_current_group_then_every_lead(qtbot, page, book) -> None:
    click(page, book["fin"])
    QTest.keyClick(page.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    [focus] = page.selected_batches()
    assert set(focus.lead_ids) == {book["fay"], book["fred"], book["fin"]}
    assert focus.offer == "Focus workbook"
    QTest.keyClick(page.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert {i for b in page.selected_batches() for i in b.lead_ids} == set(book.values())
    assert page.bulk_bar.count_label.text() == "5 leads selected, in 2 asks"


def test_snooze_a_selection_and_undo(qtbot, page, book, now, monkeypatch) -> None:
    monkeypatch.setattr(bulk_bar, "ask_until", lambda _p, today: today + dt.timedelta(days=9))
    click(page, book["fay"])
    click(page, book["pat"], Qt.KeyboardModifier.ControlModifier)

    run_bar(qtbot, page, page.bulk_bar.snooze_button.click)

    assert listed_ids(page) == set(book.values()) - {book["fay"], book["pat"]}
    assert list_asks(book["fay"]) == []  # a snooze asks nobody
    assert page.bulk_bar.undo_button.isVisibleTo(page.bulk_bar)

    run_bar(qtbot, page, page.bulk_bar.undo_button.click)

    assert listed_ids(page) == set(book.values())


def test_do_not_contact_a_selection_and_undo(qtbot, page, book) -> None:
    click(page, book["fred"])
    click(page, book["pia"], Qt.KeyboardModifier.ControlModifier)

    run_bar(qtbot, page, page.bulk_bar.dnc_button.click)

    assert get_lead(book["fred"]).do_not_contact and get_lead(book["pia"]).do_not_contact
    assert not get_lead(book["fay"]).do_not_contact
    assert listed_ids(page) == set(book.values()) - {book["fred"], book["pia"]}

    run_bar(qtbot, page, page.bulk_bar.undo_button.click)

    assert not get_lead(book["fred"]).do_not_contact
    assert listed_ids(page) == set(book.values())


def test_a_single_row_keeps_its_own_actions(qtbot, page, book, now, monkeypatch) -> None:
    click(page, book["fay"])
    click(page, book["pia"], Qt.KeyboardModifier.ControlModifier)
    click(page, book["fin"])  # a plain click: one row again
    assert not page.bulk_bar.isVisible()
    assert page.selected_item().lead_id == book["fin"]
    assert page.asked_button.isEnabled() and page.skip_button.isEnabled()

    page.asked_button.click()

    [ask] = list_asks(book["fin"])
    assert (ask.step, ask.offer) == ("downloaded", "Focus workbook")
    assert list_asks(book["fay"]) == [] and list_asks(book["pia"]) == []
    assert book["fin"] not in listed_ids(page)

    monkeypatch.setattr(today_module, "ask_snooze_date", lambda _p, d: d)
    page.select_lead(book["pat"])
    page.snooze_button.click()
    assert book["pat"] not in listed_ids(page)
    assert book["pia"] in listed_ids(page)


def test_mark_as_asked_holds_back_who_the_guardrails_stop(qtbot, page, book, now) -> None:
    click(page, book["fay"])
    click(page, book["fred"], Qt.KeyboardModifier.ControlModifier)
    record_ask(book["fred"], "downloaded", at=now, now=now, offer="Focus workbook")  # elsewhere

    run_bar(qtbot, page, page.bulk_bar.asked_button.click)

    assert len(list_asks(book["fay"])) == 1 and len(list_asks(book["fred"])) == 1
    assert page.bulk_bar.result_label.text() == (
        "Recorded the ask to 1 lead. Held back: 1 waiting for an answer to another ask."
    )
