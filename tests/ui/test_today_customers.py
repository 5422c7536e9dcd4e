"""Today lists a customer's asks after a sale by what they are for, with their reason."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from crm.asking.asks import list_asks, record_ask, set_outcome
from crm.book.leads import add_lead
from crm.book.offers import add_offer, list_offers
from crm.book.timeline import record_commitment
from tests.ui.today_helpers import cell, group_of
from ui.events import AppEvents
from ui.today import TodayColumn, TodayPage

DAY = dt.timedelta(days=1)


@pytest.fixture
def buyer(db, now) -> int:
    add_offer("Launch workbook", kind="product", now=now - 90 * DAY)
    lead = add_lead("ada@example.com", first_name="Ada", status="subscribed", now=now - 90 * DAY)
    record_commitment(lead.id, "subscribed", at=now - 90 * DAY, now=now)
    record_commitment(lead.id, "purchased", at=now - 12 * DAY, now=now, offer="Launch workbook")
    other = add_lead("ben@example.com", first_name="Ben", status="subscribed", now=now - 30 * DAY)
    record_commitment(other.id, "subscribed", at=now - 30 * DAY, now=now)
    return lead.id


def _page(qtbot, when: dt.datetime) -> TodayPage:
    events = AppEvents()
    page = TodayPage(events, clock=lambda: when)
    page._test_events = events  # keep the events object alive with the page
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.sig_loaded, timeout=10_000):
        page.reload()
    return page


def test_a_customers_asks_show_what_they_are_for_and_why(qtbot, buyer: int, now) -> None:
    page = _page(qtbot, now)
    assert page.select_lead(buyer)
    assert group_of(page, buyer).header() == "1 lead is ready for: Ask how the Launch workbook went"
    why = str(cell(page, buyer, TodayColumn.WHY))
    assert why.startswith("How it went · yes: purchased (Launch workbook), 12 days ago")
    reason = "Bought 'Launch workbook' 12 days ago: ask how it went, or for a short review."
    tooltip = cell(page, buyer, TodayColumn.WHY, Qt.ItemDataRole.ToolTipRole)
    assert str(tooltip).startswith(reason)
    assert page.reason.text().startswith(reason)
    assert "Ask how the Launch workbook went" in page.lead_label.text()
    assert page.message.toPlainText().startswith("How is Launch workbook working out?")
    # a customer's message is not a step's template: nothing to edit
    assert not page.edit_button.isEnabled()

    page.asked_button.click()
    [ask] = list_asks(buyer)
    assert (ask.step, ask.offer, ask.outcome) == ("replied", "Launch workbook", "pending")
    page.shutdown()

    # they answer; a week on, Today asks them for a referral
    set_outcome(ask.id, "accepted", at=now + DAY, now=now + DAY)
    later = _page(qtbot, now + 8 * DAY)
    assert later.select_lead(buyer)
    assert group_of(later, buyer).group.label == "Ask for a referral"
    assert group_of(later, buyer).key == "replied|Referral"
    assert "ask whether they know someone it could help (a referral)" in later.reason.text()
    later.asked_button.click()
    assert list_asks(buyer)[0].offer == "Referral"
    assert "Referral" in [o.name for o in list_offers()]
    later.shutdown()


def test_inside_the_cooling_period_a_customer_with_nothing_to_ask_is_not_listed(
    qtbot, buyer: int, now
) -> None:
    record_commitment(buyer, "replied", at=now - 10 * DAY, now=now)
    record_ask(buyer, "replied", at=now - 8 * DAY, now=now, offer="Referral")
    page = _page(qtbot, now)
    assert not page.model.lead_index(buyer).isValid()
    assert page.count == 1  # Ben, asked for his first download
    page.shutdown()
