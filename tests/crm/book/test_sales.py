"""A lead's sales read back, logged by hand, sorted by, deleted and restored, forgotten."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from crm.book.leads import LeadQuery, SortKey, add_lead, delete_lead, list_leads, restore_deleted
from crm.book.sales import lead_revenue, lead_sales, record_sale, revenue_json, revenue_words
from crm.book.timeline import get_timeline
from crm.errors import ValidationError
from crm.safety.forget import forget_lead
from crm.store.models import database_proxy


def test_a_sale_logged_by_hand_is_a_purchase_with_its_money(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    at = now - dt.timedelta(days=3)
    record_sale(lead.id, Decimal("49.00"), "eur", at=at, now=now, product="Pricing review")
    record_sale(lead.id, Decimal("5000"), "JPY", at=at, now=now)
    assert lead_revenue(lead.id) == {"EUR": 4900, "JPY": 5000}
    assert revenue_json(lead_revenue(lead.id)) == {"EUR": "49.00", "JPY": "5000"}
    assert revenue_words(lead_revenue(lead.id)) == "€49.00 · ¥5,000"
    yes = next(i for i in get_timeline(lead.id) if i.offer == "Pricing review")
    assert yes.step == "purchased"
    assert yes.to_json()["amount"] == "49.00" and yes.to_json()["currency"] == "EUR"
    kind, price = database_proxy.execute_sql(
        "SELECT kind, price FROM offer WHERE name = 'Pricing review'"
    ).fetchone()
    assert (kind, price) == ("product", 4900)


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [("0", "EUR", "above zero"), ("19.999", "USD", "more decimals"), ("10", "EURO", "ISO 4217")],
)
def test_a_bad_sale_is_refused_and_nothing_is_stored(db, now, amount, currency, words) -> None:
    lead = add_lead("ada@example.com", now=now)
    with pytest.raises(ValidationError, match=words):
        record_sale(lead.id, Decimal(amount), currency, at=now, now=now)
    assert lead_sales(lead.id) == []
    assert database_proxy.execute_sql("SELECT count(*) FROM commitment").fetchone()[0] == 0


def test_the_list_sorts_by_revenue_in_the_main_currency(db, now) -> None:
    rich = add_lead("rich@example.com", now=now)
    some = add_lead("some@example.com", now=now)
    add_lead("none@example.com", now=now)
    other = add_lead("yen@example.com", now=now)
    record_sale(rich.id, Decimal("500"), "EUR", at=now, now=now)
    record_sale(some.id, Decimal("20"), "EUR", at=now, now=now)
    record_sale(other.id, Decimal("900000"), "JPY", at=now, now=now)
    order = [r.email for r in list_leads(LeadQuery(sort=SortKey.REVENUE, descending=True))]
    # the main currency is the one most sales are in (EUR here): its buyers first, by
    # their revenue in it, then everyone else (a sum in yen is not compared with euros)
    assert order[:2] == ["rich@example.com", "some@example.com"]
    assert set(order[2:]) == {"yen@example.com", "none@example.com"}
    rows = list_leads(LeadQuery(sort=SortKey.REVENUE, descending=True))
    assert next(r for r in rows if r.email == "rich@example.com").revenue == {"EUR": 50000}
    first = list_leads(LeadQuery(sort=SortKey.REVENUE, descending=True), limit=2)
    after = list_leads(
        LeadQuery(sort=SortKey.REVENUE, descending=True), limit=10, after=first[-1].id
    )
    assert [r.email for r in first + after] == order


def test_a_deleted_lead_comes_back_with_its_sales(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_sale(lead.id, Decimal("49.00"), "EUR", at=now, now=now, product="Review")
    deleted = delete_lead(lead.id)
    assert database_proxy.execute_sql("SELECT count(*) FROM sale").fetchone()[0] == 0
    restore_deleted(deleted)
    assert lead_revenue(lead.id) == {"EUR": 4900}


def test_forget_keeps_the_money_without_the_platforms_ids(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_sale(lead.id, Decimal("49.00"), "EUR", at=now, now=now)
    database_proxy.execute_sql("UPDATE sale SET source_id = 'ch_secret', platform = 'stripe'")
    forget_lead(lead.id, now=now)
    rows = database_proxy.execute_sql("SELECT source_id, amount FROM sale").fetchall()
    assert rows == [("", 4900)]
