"""Today's asks grouped by the ask they are, the groups in the order Today shows them, and
the daily limit of personal asks counted from the asks recorded today."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.asking.asks import record_ask, set_outcome
from crm.asking.due import (
    daily_limit_text,
    personal_asks_today,
    suggest_for_lead,
    todays_asks,
    todays_asks_page,
)
from crm.asking.pacing import set_pacing
from crm.asking.suggest import NoSuggestion, Rule
from crm.book.leads import add_lead
from crm.book.offers import add_offer
from crm.book.timeline import record_commitment
from crm.demo import load_demo
from crm.errors import ValidationError

DAY = dt.timedelta(days=1)


def subscriber(email: str, now: dt.datetime, days_ago: float, **kw: object) -> int:
    lead = add_lead(
        email, first_name=email.split("@")[0].title(), status="subscribed", now=now, **kw
    )  # type: ignore[arg-type]
    record_commitment(lead.id, "subscribed", at=now - days_ago * DAY, now=now)
    return lead.id


@pytest.fixture
def book(db, now) -> dict[str, int]:
    """Three leads ready for the Focus workbook, two for the Pricing guide, one who never
    confirmed, and two who took a guide and are ready for the one-question ask, which the
    owner's own asks show every such lead says yes to."""
    add_offer("Focus workbook", now=now - 90 * DAY, topics="focus")
    add_offer("Pricing guide", now=now - 90 * DAY, topics="pricing")
    ids = {}
    for name, days_ago in (("fay", 20), ("fred", 40), ("fin", 30)):
        ids[name] = subscriber(f"{name}@example.com", now, days_ago, tags=["focus"])
    for name, days_ago in (("pia", 35), ("pat", 25)):
        ids[name] = subscriber(f"{name}@example.com", now, days_ago, tags=["pricing"])
    ids["dora"] = add_lead("dora@example.com", status="pending", now=now - 10 * DAY).id
    for name in ("gus", "gil"):
        ids[name] = subscriber(f"{name}@example.com", now, 60)
        record_commitment(
            ids[name], "downloaded", at=now - 30 * DAY, now=now, offer="Focus workbook"
        )
    # twenty others took a guide and said yes to the one-question ask (three days ago: they
    # are resting between asks, so none of them is due)
    for i in range(20):
        lead_id = subscriber(f"yes{i}@example.com", now, 90)
        record_commitment(lead_id, "downloaded", at=now - 60 * DAY, now=now, offer="Pricing guide")
        ask = record_ask(lead_id, "answered", at=now - 3 * DAY, now=now)
        set_outcome(ask, "accepted", at=now - 2 * DAY, now=now)
    return ids


def test_due_asks_are_grouped_by_step_and_offer_and_named_as_asks(book, now) -> None:
    page = todays_asks_page(now, per_group=10)
    groups = {g.key: g for g in page.groups}
    assert set(groups) == {
        "answered|",
        "downloaded|Focus workbook",
        "downloaded|Pricing guide",
        "subscribed||confirm",
    }
    assert groups["downloaded|Focus workbook"].label == "Invite to download the Focus workbook"
    assert groups["answered|"].label == "Invite to answer a quick question"
    assert groups["subscribed||confirm"].label == "Remind to confirm the subscription"
    focus = groups["downloaded|Focus workbook"]
    assert (focus.step, focus.offer, focus.count) == ("downloaded", "Focus workbook", 3)
    # best first inside the group: the same score, so the longest overdue first
    assert focus.lead_ids == (book["fred"], book["fin"], book["fay"])
    assert [i.lead_id for i in focus.items] == list(focus.lead_ids)
    assert all(i.suggestion.group == focus.key for i in focus.items)
    assert sum(g.count for g in page.groups) == page.total_due == 8


def test_groups_come_ordered_by_the_yeses_they_are_likely_to_bring(book, now) -> None:
    page = todays_asks_page(now, per_group=10)
    # two leads everyone like them said yes to (2 likely yeses) before three at the assumed
    # 25% (0.75), then by size
    assert [(g.key, g.count, g.expected) for g in page.groups] == [
        ("answered|", 2, 2.0),
        ("downloaded|Focus workbook", 3, 0.75),
        ("downloaded|Pricing guide", 2, 0.5),
        ("subscribed||confirm", 1, 0.25),
    ]
    # the page's items are the groups', group after group
    assert [i.lead_id for i in page.items] == [i for g in page.groups for i in g.lead_ids]


def test_each_group_lists_its_best_and_keeps_every_lead_id(book, now) -> None:
    page = todays_asks_page(now, per_group=2)
    focus = next(g for g in page.groups if g.key == "downloaded|Focus workbook")
    assert len(focus.items) == 2 and focus.count == 3
    assert [i.lead_id for i in focus.items] == list(focus.lead_ids[:2])
    # without per_group the page holds the overall best, and the groups every id
    overall = todays_asks_page(now, 3)
    assert [i.lead_id for i in overall.items] == [i.lead_id for i in todays_asks(now)[:3]]
    assert [g.lead_ids for g in overall.groups] == [g.lead_ids for g in page.groups]
    with pytest.raises(ValidationError, match="at least 1"):
        todays_asks_page(now, per_group=0)


def test_the_demo_book_groups_every_due_lead_once(db, now) -> None:
    load_demo(leads=800, now=now)
    page = todays_asks_page(now, per_group=5)
    ids = [i for g in page.groups for i in g.lead_ids]
    assert len(ids) == len(set(ids)) == page.total_due
    assert {i.lead_id for i in todays_asks(now)} == set(ids)
    assert len({g.key for g in page.groups}) == len(page.groups)
    for group in page.groups:
        assert not group.label.startswith(("Downloaded", "Answered", "Replied", "Booked"))
        assert all(i.suggestion.ask_name == group.label for i in group.items)
    expected = [g.expected for g in page.groups]
    assert expected == sorted(expected, reverse=True)


def test_asks_recorded_today_count_against_the_daily_limit(book, now) -> None:
    page = todays_asks_page(now)
    assert (page.asked_today, page.daily_limit, page.personal_left) == (0, 20, 20)
    set_pacing(daily_ask_limit=3)
    start = dt.datetime.combine(now.date(), dt.time())
    record_ask(book["fay"], "downloaded", at=start, now=now)  # today, first thing
    record_ask(book["pia"], "downloaded", at=now, now=now)
    record_ask(book["fin"], "downloaded", at=start - dt.timedelta(seconds=1), now=now)  # yesterday
    assert personal_asks_today(now) == 2
    page = todays_asks_page(now)
    assert (page.asked_today, page.daily_limit, page.personal_left) == (2, 3, 1)
    assert personal_asks_today(now + DAY) == 0  # a new day starts at none
    record_ask(book["pat"], "downloaded", at=now, now=now)
    assert todays_asks_page(now).personal_left == 0


def test_the_daily_limit_in_words() -> None:
    assert daily_limit_text(3, 20) == "Personal asks today: 3 of 20 made, 17 more to go."
    reached = daily_limit_text(20, 20)
    assert reached.startswith("Daily limit reached: 20 personal asks recorded today")
    assert "Nothing more is suggested for personal asking today" in reached
    assert daily_limit_text(1, 0).startswith("Your daily limit of personal asks is 0")


def test_the_daily_limit_is_a_pacing_setting(db) -> None:
    assert set_pacing(daily_ask_limit="5").daily_ask_limit == 5
    with pytest.raises(ValidationError, match="Personal asks a day must be between 0 and 1000"):
        set_pacing(daily_ask_limit=-1)
    with pytest.raises(ValidationError, match="whole number"):
        set_pacing(daily_ask_limit=2.5)


def test_the_demo_leaves_the_day_s_personal_asks_to_the_owner(db, now) -> None:
    load_demo(leads=600, now=now)
    assert personal_asks_today(now) == 0


def test_a_not_now_keeps_the_lead_off_today_whatever_it_was_asked(book, now) -> None:
    ask = record_ask(book["gus"], "replied", at=now - 12 * DAY, now=now, offer="Focus workbook")
    set_outcome(ask, "declined", at=now - 10 * DAY, now=now)
    result = suggest_for_lead(book["gus"], now)
    assert isinstance(result, NoSuggestion) and result.rule == Rule.DECLINED
    assert result.until == now - 10 * DAY + 60 * DAY
    assert book["gus"] not in {i.lead_id for i in todays_asks(now)}
    # the other steps (the one-question ask the rest of the group gets) wait as well
    assert book["gil"] in {i.lead_id for i in todays_asks(now)}
    back = {i.lead_id: i.suggestion.step for i in todays_asks(now + 51 * DAY)}
    assert back.get(book["gus"]) == "answered"
