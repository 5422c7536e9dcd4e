"""Who a campaign may ask: every guardrail holds a lead back, each under its own reason,
whatever filter chose it, and the plan changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from crm.asking.asks import record_ask, set_outcome
from crm.asking.due import skip, snooze
from crm.asking.eligibility import REASONS, plan_campaign, verdicts
from crm.asking.pacing import set_pacing
from crm.book.filters import LeadFilter
from crm.book.leads import add_lead, set_do_not_contact, tag_lead
from crm.book.offers import add_offer, retire_offer
from crm.book.timeline import record_commitment
from crm.errors import ValidationError
from crm.store.models import database_proxy

DAY = dt.timedelta(days=1)
EVERYONE = LeadFilter()


def lead(email: str, now: dt.datetime, *, status: str = "subscribed", steps: tuple = ()) -> int:
    """A lead who subscribed 200 days ago, then took ``steps`` ((key, days ago, offer))."""
    row = add_lead(email, first_name=email.split("@")[0].title(), status=status, now=now)
    if status == "subscribed":
        record_commitment(row.id, "subscribed", at=now - 200 * DAY, now=now)
    for key, days, *offer in steps:
        record_commitment(
            row.id, key, at=now - days * DAY, now=now, offer=offer[0] if offer else None
        )
    return row.id


def asked(lead_id: int, step: str, days: float, now: dt.datetime, outcome: str = "") -> int:
    ask = record_ask(lead_id, step, at=now - days * DAY, now=now)
    if outcome:
        set_outcome(ask, outcome, at=now - days * DAY + dt.timedelta(hours=1), now=now)
    return ask


def verdict(lead_id: int, now: dt.datetime, step: str = "downloaded", offer=None) -> str | None:
    return verdicts(step, offer, [lead_id], now=now)[lead_id]


def test_a_fresh_subscriber_may_be_asked_for_the_next_step(db, now) -> None:
    ada = lead("ada@example.com", now)
    assert verdict(ada, now) is None


@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained"])
def test_a_suppressed_lead_is_held_back_whatever_the_filter(db, now, status) -> None:
    gone = lead("gone@example.com", now)
    database_proxy.execute_sql("UPDATE lead SET status = ? WHERE id = ?", [status, gone])
    # even a filter that asks for exactly that status
    assert verdicts("downloaded", None, LeadFilter(status=status), now=now) == {gone: "suppressed"}


def test_do_not_contact_is_held_back(db, now) -> None:
    dan = lead("dan@example.com", now)
    set_do_not_contact(dan, True, now=now)
    assert verdict(dan, now) == "do_not_contact"


def test_a_snooze_or_a_skip_holds_back_until_it_ends(db, now) -> None:
    sam = lead("sam@example.com", now)
    kim = lead("kim@example.com", now)
    snooze(sam, now + 3 * DAY, now=now)
    skip(kim, now=now)
    assert verdict(sam, now) == verdict(kim, now) == "snoozed"
    assert verdict(sam, now + 4 * DAY) is None


def test_a_pending_ask_holds_back_until_the_follow_up_ends(db, now) -> None:
    set_pacing(cooldown_days=2, follow_up_days=7)
    pat = lead("pat@example.com", now)
    asked(pat, "answered", 3, now)
    assert verdict(pat, now) == "pending_ask"
    # past the follow-up the ask counts as unanswered, and no longer waits
    assert verdict(pat, now + 5 * DAY) is None


def test_an_ask_within_the_cooldown_holds_back(db, now) -> None:
    cal = lead("cal@example.com", now)
    asked(cal, "answered", 3, now, "no_response")
    assert verdict(cal, now) == "cooldown"
    assert verdict(cal, now + 5 * DAY) is None


def test_the_weekly_cap_holds_back_what_a_short_cooldown_allows(db, now) -> None:
    set_pacing(cooldown_days=1, weekly_cap=2, unanswered_limit=5)
    wes = lead("wes@example.com", now)
    asked(wes, "answered", 5, now, "no_response")
    asked(wes, "replied", 2, now, "no_response")
    assert verdict(wes, now) == "over_weekly_cap"
    set_pacing(weekly_cap=3)
    assert verdict(wes, now) is None


def test_asks_ignored_twice_pause_the_lead_unless_a_yes_came_since(db, now) -> None:
    ivy = lead("ivy@example.com", now)
    ned = lead("ned@example.com", now)
    for who in (ivy, ned):
        asked(who, "answered", 40, now, "no_response")
        asked(who, "replied", 20, now)  # pending past the follow-up: unanswered too
    record_commitment(ned, "clicked", at=now - 10 * DAY, now=now)
    assert verdict(ivy, now) == "ignored_twice"
    assert verdict(ned, now) is None
    # the pause ends 30 days after the latest of them
    assert verdict(ivy, now + 11 * DAY) is None


def test_a_not_now_to_any_step_holds_back_every_ask_for_the_back_off(db, now) -> None:
    nora = lead("nora@example.com", now)
    asked(nora, "answered", 30, now, "declined")  # another step than the campaign's
    assert verdict(nora, now) == "declined_recently"
    assert verdict(nora, now, "replied") == "declined_recently"
    assert verdict(nora, now + 31 * DAY) is None


def test_a_step_declined_twice_is_never_asked_again(db, now) -> None:
    tom = lead("tom@example.com", now)
    asked(tom, "downloaded", 400, now, "declined")
    asked(tom, "downloaded", 300, now, "declined")
    assert verdict(tom, now) == "declined_twice"
    assert verdict(tom, now, "answered") is None


def test_a_lead_at_or_past_the_step_is_held_back(db, now) -> None:
    add_offer("Focus workbook", now=now)
    add_offer("Pricing guide", now=now)
    past = lead("past@example.com", now, steps=(("answered", 50),))
    took = lead("took@example.com", now, steps=(("downloaded", 50, "Pricing guide"),))
    assert verdict(past, now) == "already_past_step"
    assert verdict(took, now) == "already_past_step"
    # another offer at the step they stand on is a different ask at the same level
    assert verdict(took, now, offer="Focus workbook") is None
    assert verdict(took, now, offer="Pricing guide") == "already_past_step"
    assert verdict(past, now, offer="Focus workbook") == "already_past_step"


def test_a_leap_of_more_than_one_small_step_is_held_back(db, now) -> None:
    sue = lead("sue@example.com", now)  # at subscribed (2)
    assert verdict(sue, now, "replied") == "too_big_a_step"  # 5: three rungs up
    # a major step only from the rung just below it
    rex = lead("rex@example.com", now, steps=(("answered", 50),))  # 4
    assert verdict(rex, now, "replied") is None
    assert verdict(rex, now, "booked") == "too_big_a_step"


def test_who_never_opted_in_gets_one_invitation_and_nothing_bigger(db, now) -> None:
    eve = lead("eve@example.com", now, status="none")
    dee = lead("dee@example.com", now, status="pending")
    assert verdict(eve, now) == verdict(dee, now) == "not_opted_in"
    assert verdict(eve, now, "subscribed") is None
    asked(eve, "subscribed", 90, now, "no_response")
    assert verdict(eve, now, "subscribed") == "invited_once"
    # a subscriber is past the invitation
    assert verdict(lead("sub@example.com", now), now, "subscribed") == "already_past_step"


def test_a_purchase_ask_waits_out_the_cooling_period_after_a_purchase(db, now) -> None:
    add_offer("Course", now=now, kind="product")
    add_offer("Coaching", now=now, kind="product")
    buyer = lead("buyer@example.com", now, steps=(("purchased", 10, "Course"),))
    assert verdict(buyer, now, "purchased", "Coaching") == "customer_cooling"
    assert verdict(buyer, now + 25 * DAY, "purchased", "Coaching") is None
    assert verdict(buyer, now, "purchased", "Course") == "already_past_step"


def test_an_address_a_spreadsheet_would_run_is_kept_out_of_a_file(db, now) -> None:
    odd = lead("-odd@example.com", now)
    assert verdict(odd, now) == "unsafe_address"
    assert verdicts("downloaded", None, [odd], now=now, for_file=False) == {odd: None}


def test_the_plan_counts_every_reason_and_changes_nothing(db, now) -> None:
    ids = [lead(f"p{i}@example.com", now) for i in range(4)]
    set_do_not_contact(ids[0], True, now=now)
    asked(ids[1], "answered", 2, now)
    before = database_proxy.execute_sql("SELECT count(*) FROM ask").fetchone()
    plan = plan_campaign("downloaded", None, EVERYONE, now=now)
    assert (plan.matched, plan.eligible) == (4, 2)
    assert list(plan.held_back) == list(REASONS)
    assert {k: v for k, v in plan.held_back.items() if v} == {
        "do_not_contact": 1,
        "pending_ask": 1,
    }
    assert plan.to_json()["held_back"]["cooldown"] == 0
    assert database_proxy.execute_sql("SELECT count(*) FROM ask").fetchone() == before


def test_a_filter_chooses_whom_the_guardrails_then_judge(db, now) -> None:
    vip = lead("vip@example.com", now)
    lead("other@example.com", now)
    tag_lead(vip, ["vip"])
    plan = plan_campaign("downloaded", None, LeadFilter(tags_all=("vip",)), now=now)
    assert (plan.matched, plan.eligible) == (1, 1)
    by_ids = plan_campaign("downloaded", None, [vip], now=now)
    assert dataclasses.replace(by_ids, target=plan.target) == plan


def test_an_unknown_step_or_offer_is_refused_in_words(db, now) -> None:
    with pytest.raises(ValidationError, match="not a step of the ladder"):
        plan_campaign("nope", None, EVERYONE, now=now)
    with pytest.raises(ValidationError, match="no offer named 'Ghost'"):
        plan_campaign("downloaded", "Ghost", EVERYONE, now=now)
    add_offer("Old guide", now=now)
    retire_offer("Old guide")
    with pytest.raises(ValidationError, match="retired"):
        plan_campaign("downloaded", "old GUIDE", EVERYONE, now=now)
