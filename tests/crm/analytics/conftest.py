"""The small sales book the revenue tests count by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.book.leads import add_lead
from crm.book.timeline import record_commitment
from tests.crm.sales_helpers import add_offer, at, sell


@pytest.fixture
def book(db, now) -> dict[str, int]:
    """The book test_revenue.py describes at its top."""
    add_offer("Pricing guide", "guide", now=now)
    add_offer("Quiz", "quiz", now=now)
    add_offer("Freebie", "product", 0, "EUR", now=now)
    add_offer("Course", "product", 10000, "EUR", now=now)
    add_offer("Strategy call", "call", now=now)
    specs = {
        "a": ("mailchimp", ["vip"]),
        "b": ("mailchimp", []),
        "c": ("substack", []),
        "d": ("substack", ["vip"]),
        "e": ("manual", []),
        "f": ("manual", []),
        "g": ("website", []),
    }
    ids = {
        who: add_lead(f"{who}@example.com", source=source, tags=tags, now=now).id
        for who, (source, tags) in specs.items()
    }

    def yes(who: str, step: str, when: dt.datetime, offer: str | None = None) -> None:
        record_commitment(ids[who], step, at=when, now=now, offer=offer)

    yes("a", "subscribed", at("01-01"))
    yes("a", "downloaded", at("01-03"), "Pricing guide")
    yes("a", "answered", at("01-05"), "Quiz")
    sell(ids["a"], at("01-11"), 10000, now=now)
    sell(ids["a"], at("03-01"), 5000, refunded=2000, now=now)
    yes("b", "subscribed", at("01-02"))
    yes("b", "downloaded", at("01-04"), "Pricing guide")
    sell(ids["b"], at("01-05"), 8000, now=now)
    yes("c", "answered", at("01-06"), "Quiz")
    yes("c", "downloaded", at("01-07"), "Pricing guide")
    sell(ids["c"], at("02-10"), 4900, "USD", product="Toolkit", now=now)
    yes("d", "subscribed", at("01-03"))
    yes("d", "booked", at("01-20"), "Strategy call")
    sell(ids["d"], at("02-01"), 30000, refunded=30000, now=now)
    yes("e", "subscribed", at("01-05"))
    yes("e", "downloaded", at("01-06"), "Freebie")
    sell(ids["g"], at("04-01"), 6000, now=now)
    return ids
