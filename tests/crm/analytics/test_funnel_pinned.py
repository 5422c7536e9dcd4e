"""The whole funnel JSON, revenue included, pinned on small books built here.

The numbers in tests/data/analytics/ were written by the funnel as it stood before its
queries were reworked for speed; any rework must give the same JSON to the last digit,
for every filter below. Two books: the seeded demo (300 leads, a fixed ``now``) and a
hand-made one full of ties (yeses at the same instant, free offers at major steps,
sales before any yes) where the order of equal times decides a number.

To rewrite the pinned file after a deliberate change of meaning:
``PIN_FUNNEL=write pytest tests/crm/analytics/test_funnel_pinned.py``.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
from pathlib import Path

from crm.analytics.funnel import FunnelFilter, compute_funnel
from crm.analytics.revenue import compute_revenue
from crm.asking.asks import record_ask, set_outcome
from crm.book.leads import add_lead
from crm.book.timeline import record_commitment
from crm.demo import load_demo
from tests.crm.sales_helpers import add_offer, sell

PINNED = Path(__file__).resolve().parents[2] / "data" / "analytics" / "funnel_pinned.json"
DEMO_NOW = dt.datetime(2026, 12, 1, 12, 0, 0)


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-{text}")


DEMO_FILTERS: dict[str, FunnelFilter] = {
    "all": FunnelFilter(),
    "since": FunnelFilter(since=day("09-01")),
    "until": FunnelFilter(until=day("10-01")),
    "period": FunnelFilter(since=day("08-01"), until=day("11-01")),
    "source": FunnelFilter(source="mailchimp"),
    "source+since": FunnelFilter(source="website", since=day("10-01")),
    "tag": FunnelFilter(tag="vip"),
    "tag+until": FunnelFilter(tag="customer", until=day("11-16")),
    "all filters": FunnelFilter(
        since=day("07-01"), until=day("12-01"), source="substack", tag="pricing"
    ),
    "nobody": FunnelFilter(source="nosuch"),
}

TIES_FILTERS: dict[str, FunnelFilter] = {
    "all": FunnelFilter(),
    "since": FunnelFilter(since=day("01-05")),
    "until": FunnelFilter(until=day("01-10")),
    "period": FunnelFilter(since=day("01-03"), until=day("02-01")),
    "source": FunnelFilter(source="mailchimp"),
    "tag": FunnelFilter(tag="vip"),
}


def _ties_book(now: dt.datetime) -> None:
    """Yeses at equal times, where only the order recorded tells them apart."""
    add_offer("Guide", "guide", now=now)
    add_offer("Quiz", "quiz", now=now)
    add_offer("Checklist", "checklist", now=now)
    add_offer("Freebie", "product", 0, "EUR", now=now)
    add_offer("Course", "product", 10000, "EUR", now=now)
    add_offer("Call", "call", now=now)
    t = day("01-02T09:00:00")
    micro = day("01-02T09:00:00.250000")
    ids = {
        who: add_lead(f"{who}@example.com", source=source, tags=tags, now=now).id
        for who, source, tags in (
            ("a", "mailchimp", ["vip"]),
            ("b", "mailchimp", []),
            ("c", "substack", ["vip"]),
            ("d", "manual", []),
            ("e", "manual", []),
            ("f", "website", ["vip"]),
            ("g", "website", []),
        )
    }

    def yes(who: str, step: str, when: dt.datetime, offer: str | None = None) -> None:
        record_commitment(ids[who], step, at=when, now=now, offer=offer)

    # a: two free offers at the same instant, then a call and a sale at one time.
    yes("a", "downloaded", t, "Quiz")
    yes("a", "downloaded", t, "Guide")
    yes("a", "answered", t, "Guide")
    yes("a", "booked", day("01-06T10:00:00"), "Call")
    yes("a", "replied", day("01-06T10:00:00"))
    sell(ids["a"], day("01-06T10:00:00"), 9900, now=now)
    # b: a free offer named first at a major step, later at a small one.
    yes("b", "booked", t, "Checklist")
    yes("b", "subscribed", micro)
    yes("b", "downloaded", day("01-04"), "Checklist")
    yes("b", "clicked", day("01-04"))
    sell(ids["b"], day("01-09"), 4900, "USD", product="Toolkit", now=now)
    sell(ids["b"], day("01-12"), 2000, "USD", refunded=500, product="Toolkit", now=now)
    # c: the same offer twice, the same step at once, a step taken out of order.
    yes("c", "answered", day("01-03"), "Quiz")
    yes("c", "subscribed", day("01-03"), "Quiz")
    yes("c", "answered", day("01-08"), "Quiz")
    yes("c", "purchased", day("01-08"))
    yes("c", "downloaded", day("01-09"), "Freebie")
    yes("c", "booked", day("02-03"))
    # d: a sale before any yes, and a paid offer taken for the yes.
    sell(ids["d"], day("01-01"), 10000, now=now)
    yes("d", "subscribed", day("01-05"))
    yes("d", "downloaded", day("01-05"), "Course")
    # e: yeses that differ by microseconds, sold within the period.
    yes("e", "clicked", day("01-05T08:00:00.000001"))
    yes("e", "subscribed", day("01-05T08:00:00"))
    yes("e", "downloaded", day("01-05T08:00:00.5"), "Freebie")
    sell(ids["e"], day("01-20"), 3000, refunded=3000, now=now)
    sell(ids["e"], day("01-21"), 1500, now=now)
    # f: asks only; g: nothing at all.
    ask_id = record_ask(ids["f"], "subscribed", at=day("01-04"), now=now)
    set_outcome(ask_id, "declined", at=day("01-05"), now=now)
    record_ask(ids["f"], "booked", at=day("01-07"), now=now)
    ask_id = record_ask(ids["a"], "booked", at=day("01-05"), now=now)
    set_outcome(ask_id, "accepted", at=day("01-06T10:00:00"), now=now)


def _outputs(filters: dict[str, FunnelFilter]) -> dict[str, object]:
    return {name: compute_funnel(flt).to_json() for name, flt in filters.items()}


def _check(name: str, got: dict[str, object]) -> None:
    # Through JSON text, as the CLI prints it: floats compare by their printed digits.
    got = json.loads(json.dumps(got))
    pinned = json.loads(PINNED.read_text(encoding="utf-8")) if PINNED.exists() else {}
    if os.environ.get("PIN_FUNNEL") == "write":
        pinned[name] = got
        PINNED.write_text(json.dumps(pinned, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    assert name in pinned, f"{PINNED} has no '{name}' numbers: run with PIN_FUNNEL=write once."
    for key, expected in pinned[name].items():
        assert got[key] == expected, f"{name}, filter '{key}': the funnel JSON changed"
    assert sorted(got) == sorted(pinned[name])


def test_the_demo_book_gives_the_pinned_funnel_for_every_filter(db) -> None:
    load_demo(leads=300, now=DEMO_NOW)
    _check("demo300", _outputs(DEMO_FILTERS))


def test_a_book_of_ties_gives_the_pinned_funnel_for_every_filter(db, now) -> None:
    _ties_book(now)
    _check("ties", _outputs(TIES_FILTERS))


def test_the_funnel_and_revenue_alone_agree_on_every_filter(db, now) -> None:
    # Revenue alone reads the yeses with SQL of its own; inside the funnel it takes them
    # from the funnel's one read. Ties and periods are where the two could part.
    _ties_book(now)
    filters = {**TIES_FILTERS, "late": FunnelFilter(since=day("01-21"))}
    for name, flt in filters.items():
        assert compute_funnel(flt).revenue == compute_revenue(flt), name


def test_the_collector_is_left_as_it_was_found(db, now) -> None:
    _ties_book(now)
    compute_funnel()
    assert gc.isenabled()
    gc.disable()
    try:
        compute_funnel()
        assert not gc.isenabled()  # a caller that paused it keeps it paused
    finally:
        gc.enable()
