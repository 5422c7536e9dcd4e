"""The next-ask engine, rule by rule, on hand-built histories (no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from crm.asking.pacing import Pacing
from crm.asking.suggest import (
    CONFIRM_SUBJECT,
    Evidence,
    LadderStep,
    LeadFacts,
    NoSuggestion,
    OfferInfo,
    PastAsk,
    PastYes,
    Prepared,
    Rule,
    Suggestion,
    suggest_next_ask,
    to_us,
)
from crm.store.migrations import DEFAULT_STEPS

NOW = dt.datetime(2026, 6, 15, 12, 0, 0)
LADDER = tuple(
    LadderStep(key, label, level, major, subject, body)
    for key, label, level, major, _desc, subject, body in DEFAULT_STEPS
)
OFFERS = {
    1: OfferInfo(1, "Pricing guide", "guide", frozenset({"pricing"})),
    2: OfferInfo(2, "Launch checklist", "checklist", frozenset({"marketing"})),
    3: OfferInfo(3, "Business quiz", "quiz", frozenset({"marketing", "sales"})),
    4: OfferInfo(4, "Old guide", "guide", frozenset({"pricing"}), retired=True),
}
OFFER_STEPS = {
    1: frozenset({"downloaded"}),
    2: frozenset({"downloaded"}),
    3: frozenset({"answered"}),
    4: frozenset({"downloaded"}),
}
EVIDENCE = Evidence(offer_steps=OFFER_STEPS)
PACING = Pacing()


def days(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def yes(step: str, ago: float, offer: int | None = None) -> PastYes:
    return PastYes(step, to_us(days(ago)), offer)


def ask(step: str, ago: float, outcome: str, answered_ago: float | None = None) -> PastAsk:
    resolved = to_us(days(answered_ago)) if answered_ago is not None else None
    return PastAsk(step, to_us(days(ago)), outcome, None, resolved)


# The engine's arguments for one lead: who, tag names, yeses, asks.
History = tuple[LeadFacts, frozenset[str], tuple[PastYes, ...], tuple[PastAsk, ...]]


def lead(*events: PastYes | PastAsk, tags: frozenset[str] = frozenset(), **fields: Any) -> History:
    yeses = tuple(e for e in events if isinstance(e, PastYes))
    asks = tuple(e for e in events if isinstance(e, PastAsk))
    base: dict = {"lead_id": 1, "email": "ada@example.com", "first_name": "Ada"}
    base.update(fields)
    return LeadFacts(**base), tags, yeses, asks


def run(
    history: History,
    evidence: Evidence = EVIDENCE,
    pacing: Pacing = PACING,
    now: dt.datetime = NOW,
):
    prep = Prepared(LADDER, OFFERS, pacing, evidence)
    return suggest_next_ask(*history, prep, to_us(now))


def level(key: str) -> int:
    return next(s.level for s in LADDER if s.key == key)


# --- 1. hard stops -------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["unsubscribed", "bounced", "complained", "erased"])
def test_suppressed_statuses_get_nothing(status: str) -> None:
    result = run(lead(yes("subscribed", 30), status=status))
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.SUPPRESSED


def test_do_not_contact_gets_nothing() -> None:
    result = run(lead(yes("subscribed", 30), do_not_contact=True))
    assert isinstance(result, NoSuggestion)
    assert "do not contact" in result.reason


def test_pending_ask_inside_follow_up_window_waits() -> None:
    result = run(lead(yes("subscribed", 30), ask("downloaded", 5, "pending")))
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.PENDING
    assert result.reason.startswith('Waiting for an answer to your ask "Downloaded"')
    assert result.until == days(5) + dt.timedelta(days=7)


def test_pending_ask_older_than_follow_up_counts_as_unanswered() -> None:
    history = lead(
        yes("subscribed", 90), ask("downloaded", 40, "no_response"), ask("answered", 20, "pending")
    )
    result = run(history)
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.UNANSWERED


def test_cooldown_after_an_answered_ask() -> None:
    result = run(lead(yes("subscribed", 30), ask("downloaded", 3, "declined", 2)))
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.COOLDOWN
    assert "3 days ago" in result.reason


def test_cooldown_is_editable() -> None:
    history = lead(yes("subscribed", 30), ask("answered", 3, "no_response", 2))
    assert isinstance(run(history, pacing=Pacing(cooldown_days=2)), Suggestion)


def test_two_unanswered_asks_pause_for_thirty_days() -> None:
    history = lead(
        yes("subscribed", 120),
        ask("downloaded", 50, "no_response"),
        ask("answered", 25, "no_response"),
    )
    result = run(history)
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.UNANSWERED
    assert result.until == days(25) + dt.timedelta(days=30)
    # after the pause the lead can be asked again
    later = run(history, EVIDENCE, Pacing(), NOW + dt.timedelta(6))
    assert isinstance(later, Suggestion)


def test_a_new_yes_after_unanswered_asks_lifts_the_pause() -> None:
    history = lead(
        yes("subscribed", 120),
        ask("downloaded", 50, "no_response"),
        ask("downloaded", 25, "no_response"),
        yes("downloaded", 10, 1),
    )
    assert isinstance(run(history), Suggestion)


def test_a_not_now_holds_back_every_ask_to_the_lead_for_the_back_off() -> None:
    history = lead(yes("subscribed", 90), ask("downloaded", 20, "declined", 19))
    result = run(history)
    # not the declined step, nor any other: the lead said "not now"
    assert isinstance(result, NoSuggestion) and result.rule == Rule.DECLINED
    assert result.until == days(19) + dt.timedelta(days=60)
    assert result.reason.startswith(
        'Said "not now" 19 days ago to "Invite to download a free offer": after a "not now" '
        "no ask goes to them for 60 days, so the next one waits until 2026-07-26."
    )
    # the back-off is the owner's: shorter, and the other steps are asked again sooner
    sooner = run(history, pacing=Pacing(decline_backoff_days=10))
    assert isinstance(sooner, Suggestion)


def test_a_not_now_to_one_step_holds_back_the_others_until_the_back_off_ends() -> None:
    history = lead(
        yes("subscribed", 120),
        yes("downloaded", 40, 1),
        ask("answered", 30, "declined", 29),
    )
    for later, held in ((0, True), (30, True), (31, False)):
        result = run(history, EVIDENCE, Pacing(), NOW + dt.timedelta(days=later))
        assert isinstance(result, NoSuggestion) is held, (later, result)
        if held:
            assert result.rule == Rule.DECLINED
        else:
            assert isinstance(result, Suggestion)
            assert result.step in ("answered", "replied")


def test_the_latest_not_now_sets_the_back_off() -> None:
    history = lead(
        yes("subscribed", 200),
        ask("downloaded", 50, "declined", 49),
        ask("answered", 20, "declined", 19),
    )
    result = run(history)
    assert isinstance(result, NoSuggestion) and result.until == days(19) + dt.timedelta(days=60)
    assert '"Invite to answer a quick question"' in result.reason


def test_the_weekly_cap_holds_back_an_ask_the_cooldown_would_allow() -> None:
    history = lead(
        yes("subscribed", 90),
        ask("downloaded", 5, "no_response", 4),
        ask("answered", 2, "no_response", 1),
    )
    pacing = Pacing(cooldown_days=1, weekly_cap=2, unanswered_limit=5)
    result = run(history, pacing=pacing)
    assert isinstance(result, NoSuggestion) and result.rule == Rule.WEEKLY_CAP
    # the older of the two leaves the week in two days
    assert result.until == days(5) + dt.timedelta(days=7)
    assert isinstance(run(history, pacing=dataclasses.replace(pacing, weekly_cap=3)), Suggestion)


def test_declined_step_comes_back_after_back_off() -> None:
    history = lead(yes("subscribed", 200), ask("downloaded", 80, "declined", 79))
    result = run(history)
    assert isinstance(result, Suggestion)
    assert result.step == "downloaded"


def test_step_declined_twice_is_never_suggested_again() -> None:
    history = lead(
        yes("subscribed", 900),
        ask("downloaded", 500, "declined", 499),
        ask("downloaded", 300, "declined", 299),
    )
    for later in (NOW, NOW + dt.timedelta(days=3650)):
        result = run(history, EVIDENCE, Pacing(), later)
        assert isinstance(result, Suggestion)
        assert result.step != "downloaded"


def test_none_status_is_invited_to_subscribe_once() -> None:
    first = run(lead(status="none"))
    assert isinstance(first, Suggestion)
    assert (first.step, first.rule) == ("subscribed", Rule.INVITE)
    again = run(lead(ask("subscribed", 40, "no_response"), status="none"))
    assert isinstance(again, NoSuggestion)
    assert again.rule == Rule.INVITED_ONCE


def test_pending_status_gets_one_reminder_to_confirm() -> None:
    first = run(lead(yes("clicked", 10), status="pending"))
    assert isinstance(first, Suggestion)
    assert first.rule == Rule.CONFIRM
    assert first.subject == CONFIRM_SUBJECT
    again = run(lead(yes("clicked", 60), ask("subscribed", 30, "no_response"), status="pending"))
    assert isinstance(again, NoSuggestion)


def test_none_status_never_gets_anything_bigger() -> None:
    # even with a big history, a lead who never opted in is only invited
    history = lead(yes("answered", 30), yes("replied", 20), status="none")
    result = run(history)
    assert isinstance(result, Suggestion)
    assert result.step == "subscribed"


def test_snoozed_lead_waits_until_the_date() -> None:
    history = lead(yes("subscribed", 30), snoozed_until=to_us(NOW + dt.timedelta(days=2)))
    result = run(history)
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.SNOOZED


# --- 2. one step, not a leap -------------------------------------------------------------


def test_candidates_are_at_most_two_levels_up() -> None:
    favour_big = Evidence(
        rates={
            (2, "answered"): (900, 1000),
            (2, "downloaded"): (10, 1000),
            (2, "replied"): (999, 1000),
        },
        offer_steps=OFFER_STEPS,
    )
    result = run(lead(yes("subscribed", 30)), evidence=favour_big)
    assert isinstance(result, Suggestion)
    assert result.step == "answered"  # replied (3 up) is out of reach however good


def test_major_step_only_from_the_step_just_below() -> None:
    favour_call = Evidence(
        rates={(4, "booked"): (900, 1000), (4, "replied"): (10, 1000)}, offer_steps=OFFER_STEPS
    )
    at_answered = run(lead(yes("subscribed", 90), yes("answered", 30)), evidence=favour_call)
    assert isinstance(at_answered, Suggestion)
    assert at_answered.step == "replied"
    at_replied = run(
        lead(yes("subscribed", 90), yes("replied", 30)),
        evidence=Evidence(rates={(5, "booked"): (900, 1000)}, offer_steps=OFFER_STEPS),
    )
    assert isinstance(at_replied, Suggestion)
    assert at_replied.step == "booked"


def test_top_of_the_ladder_gets_no_bigger_ask() -> None:
    # a buyer gets the asks after a sale (tests/crm/asking/test_customers.py), none bigger
    result = run(lead(yes("purchased", 30)))
    assert isinstance(result, Suggestion)
    assert (result.step, result.rule) == ("replied", Rule.HOW_IT_WENT)


# --- 3. strike while warm ------------------------------------------------------------------


def test_fresh_yes_gets_the_ask_that_builds_on_it() -> None:
    result = run(lead(yes("subscribed", 40), yes("downloaded", 1, 1)))
    assert isinstance(result, Suggestion)
    assert result.rule == Rule.WARM
    assert result.step == "answered"
    assert result.due == days(1) + dt.timedelta(days=1)
    assert "Pricing guide" in result.reason and "1 day ago" in result.reason


def test_yes_from_today_is_due_tomorrow() -> None:
    result = run(lead(yes("subscribed", 40), yes("downloaded", 0.25, 1)))
    assert isinstance(result, Suggestion)
    assert result.due > NOW


def test_follow_up_builds_on_the_guide_they_downloaded() -> None:
    # replied's template talks about {offer}: it is the guide the lead took
    result = run(lead(yes("subscribed", 90), yes("downloaded", 50, 2), yes("answered", 2, 3)))
    assert isinstance(result, Suggestion)
    assert result.step == "replied"
    assert result.offer == "Business quiz"  # their last offer, so the ask builds on it
    assert "Business quiz" in result.body


def test_warm_quiz_answer_gets_the_guide_matching_it() -> None:
    # at "subscribed" the next rung is a guide; after a quiz the guide matches the answer
    history = lead(yes("subscribed", 40), yes("clicked", 1, 3), tags=frozenset({"pricing"}))
    result = run(history)
    assert isinstance(result, Suggestion)
    assert result.rule == Rule.WARM
    assert result.offer == "Launch checklist"  # the quiz's topic (marketing), not the tag


# --- 4. choose by evidence -------------------------------------------------------------------


def test_owner_rate_wins_once_trusted() -> None:
    evidence = Evidence(
        rates={(2, "downloaded"): (2, 40), (2, "answered"): (30, 40)}, offer_steps=OFFER_STEPS
    )
    result = run(lead(yes("subscribed", 30)), evidence=evidence)
    assert isinstance(result, Suggestion)
    assert result.step == "answered"
    assert result.score == pytest.approx(0.75)
    assert "30 of 40 leads who subscribed answered when asked" in result.reason


def test_few_asks_are_smoothed_toward_the_prior() -> None:
    evidence = Evidence(rates={(2, "answered"): (2, 2)}, offer_steps=OFFER_STEPS)
    result = run(lead(yes("subscribed", 30)), evidence=evidence)
    assert isinstance(result, Suggestion)
    # 2 of 2 is 100%, but with 2 of 20 asks trusted the score stays near the 25% prior
    assert result.step == "answered"
    assert result.score == pytest.approx(0.1 * 1.0 + 0.9 * 0.25)
    assert "blended with the assumed 25%" in result.reason


def test_smaller_step_wins_when_scores_are_close() -> None:
    evidence = Evidence(
        rates={(2, "downloaded"): (40, 100), (2, "answered"): (43, 100)}, offer_steps=OFFER_STEPS
    )
    result = run(lead(yes("subscribed", 30)), evidence=evidence)
    assert isinstance(result, Suggestion)
    assert result.step == "downloaded"
    assert "smaller step wins" in result.reason


def test_offer_matches_the_leads_tags() -> None:
    history = lead(yes("subscribed", 30), tags=frozenset({"marketing"}))
    result = run(history)
    assert isinstance(result, Suggestion)
    assert result.step == "downloaded"
    assert result.offer == "Launch checklist"
    assert result.subject == "A free guide for you: Launch checklist"


def test_retired_and_taken_offers_are_not_suggested() -> None:
    history = lead(yes("subscribed", 90), yes("downloaded", 60, 1), tags=frozenset({"pricing"}))
    result = run(
        history,
        evidence=Evidence(
            rates={(3, "downloaded"): (100, 100)},
            median_days={3: 10.0},
            offer_steps=OFFER_STEPS,
        ),
    )
    assert isinstance(result, Suggestion)
    assert result.offer not in ("Pricing guide", "Old guide")


def test_message_fills_first_name_and_falls_back_politely() -> None:
    named = run(lead(yes("subscribed", 30), tags=frozenset({"pricing"})))
    anonymous = run(lead(yes("subscribed", 30), first_name=""))
    assert isinstance(named, Suggestion) and isinstance(anonymous, Suggestion)
    assert named.body.startswith("Hi Ada,")
    assert anonymous.body.startswith("Hi there,")
    assert "{" not in named.message


# --- 5. stalled ------------------------------------------------------------------------------


def test_stalled_lead_gets_a_different_ask_at_the_same_level() -> None:
    evidence = Evidence(median_days={3: 8.0}, offer_steps=OFFER_STEPS)
    history = lead(yes("subscribed", 100), yes("downloaded", 40, 1))
    result = run(history, evidence=evidence)
    assert isinstance(result, Suggestion)
    assert result.rule == Rule.STALLED
    assert result.step == "downloaded"
    assert result.offer == "Launch checklist"
    assert "40 days" in result.reason and "usual 8 days" in result.reason


def test_not_stalled_within_twice_the_median() -> None:
    evidence = Evidence(median_days={3: 30.0}, offer_steps=OFFER_STEPS)
    result = run(lead(yes("subscribed", 100), yes("downloaded", 40, 1)), evidence=evidence)
    assert isinstance(result, Suggestion)
    assert result.rule == Rule.EVIDENCE
    assert level(result.step) > level("downloaded")


# --- 6. reasons --------------------------------------------------------------------------------


def test_reason_says_the_yes_the_last_ask_the_rule_and_the_rate() -> None:
    evidence = Evidence(rates={(2, "downloaded"): (12, 30)}, offer_steps=OFFER_STEPS)
    history = lead(yes("subscribed", 30), ask("answered", 20, "no_response", 13))
    result = run(history, evidence=evidence)
    assert isinstance(result, Suggestion)
    assert "Builds on their last yes: subscribed, 30 days ago." in result.reason
    assert "Last asked 20 days ago." in result.reason
    assert result.reason.startswith("Best evidence:")
    assert "12 of 30 leads who subscribed downloaded when asked" in result.reason


def test_large_counts_in_a_reason_are_grouped_by_thousands() -> None:
    evidence = Evidence(rates={(2, "downloaded"): (49379, 90778)}, offer_steps=OFFER_STEPS)
    result = run(lead(yes("subscribed", 30)), evidence=evidence)
    assert isinstance(result, Suggestion)
    assert "49,379 of 90,778 leads who subscribed downloaded when asked" in result.reason


def test_same_input_same_output() -> None:
    history = lead(
        yes("subscribed", 30), yes("downloaded", 20, 2), ask("answered", 12, "declined", 11)
    )
    assert run(history) == run(history)
