"""Guardrails of the next-ask engine that must hold for every history (hypothesis)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.asking.pacing import Pacing
from crm.asking.suggest import (
    ACTIVE_STATUSES,
    DAY_US,
    NO_OFFER_LEFT,
    Evidence,
    LeadFacts,
    NoSuggestion,
    PastAsk,
    PastYes,
    Prepared,
    Suggestion,
    from_us,
    suggest_next_ask,
    to_us,
)
from tests.crm.asking.test_suggest import LADDER, NOW, OFFER_STEPS, OFFERS, History

KEYS = [s.key for s in LADDER]
LEVEL = {s.key: s.level for s in LADDER}
STATUSES = ["subscribed", "pending", "none", "unsubscribed", "bounced", "complained", "erased"]
PACING = Pacing()

moments = st.integers(min_value=0, max_value=400 * 24).map(
    lambda h: to_us(NOW - dt.timedelta(hours=h))
)
yeses = st.builds(PastYes, st.sampled_from(KEYS), moments, st.sampled_from([None, 1, 2, 3, 4]))


@st.composite
def asks(draw: st.DrawFn) -> PastAsk:
    asked = draw(moments)
    outcome = draw(st.sampled_from(["pending", "accepted", "declined", "no_response"]))
    resolved = None
    if outcome != "pending":
        resolved = min(asked + draw(st.integers(0, 300)) * DAY_US // 24, to_us(NOW))
    return PastAsk(draw(st.sampled_from(KEYS)), asked, outcome, None, resolved)


histories = st.tuples(
    st.builds(
        LeadFacts,
        lead_id=st.just(1),
        email=st.just("lead@example.com"),
        first_name=st.sampled_from(["", "Ada"]),
        status=st.sampled_from(STATUSES),
        do_not_contact=st.booleans(),
        # as hypothesis infers a datetime | None, in the engine's microseconds
        snoozed_until=st.none() | st.datetimes().map(to_us),
    ),
    st.frozensets(st.sampled_from(["pricing", "marketing", "sales"]), max_size=2),
    st.lists(yeses, max_size=6).map(tuple),
    st.lists(asks(), max_size=5).map(tuple),
)
evidence = st.builds(
    Evidence,
    rates=st.dictionaries(
        st.tuples(st.integers(0, 7), st.sampled_from(KEYS)),
        st.integers(0, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
        max_size=12,
    ),
    median_days=st.dictionaries(st.integers(1, 7), st.floats(0.5, 60), max_size=7),
    offer_steps=st.just(OFFER_STEPS),
)


def run(history: History, ev: Evidence):
    return suggest_next_ask(*history, Prepared(LADDER, OFFERS, PACING, ev), to_us(NOW))


@settings(max_examples=300, deadline=None)
@given(histories, evidence)
def test_guardrails_hold_for_every_history(history: History, ev: Evidence) -> None:
    lead, _, commitments, past_asks = history
    result = run(history, ev)
    assert isinstance(result, Suggestion | NoSuggestion)
    assert result.reason.strip()
    if not isinstance(result, Suggestion):
        return
    # never a suggestion for a suppressed lead
    assert lead.status in ACTIVE_STATUSES
    assert not lead.do_not_contact
    # never within the cooldown or while an ask is pending inside the follow-up window
    for a in past_asks:
        assert NOW - from_us(a.asked_at) >= dt.timedelta(days=PACING.cooldown_days)
        if a.outcome == "pending":
            assert NOW - from_us(a.asked_at) >= dt.timedelta(days=PACING.follow_up_days)
    # never more than two levels up, and nothing but the invitation before opting in
    level = max((LEVEL[c.step] for c in commitments), default=0)
    if lead.status == "subscribed":
        assert LEVEL[result.step] <= max(level, LEVEL["subscribed"]) + 2
    else:
        assert result.step == "subscribed"
    # never within the back-off of a "not now", whatever step it was to; never a step
    # declined twice
    for a in past_asks:
        if a.outcome == "declined":
            assert NOW - from_us(a.resolved_at or a.asked_at) >= dt.timedelta(
                days=PACING.decline_backoff_days
            )
    declines = [a for a in past_asks if a.step == result.step and a.outcome == "declined"]
    assert len(declines) < 2
    # the message is filled in; an ask with no offer left to name keeps {offer} as written
    # (never a stand-in) and its reason says what to add
    assert "{first_name}" not in result.message
    if "{offer}" in result.message:
        assert result.offer is None and result.unfilled == ("offer",)
        assert NO_OFFER_LEFT in result.reason


@settings(max_examples=100, deadline=None)
@given(histories, evidence)
def test_same_input_same_output(history: History, ev: Evidence) -> None:
    lead, tags, commitments, past_asks = history
    reordered = (lead, tags, tuple(reversed(commitments)), tuple(reversed(past_asks)))
    first = run(history, ev)
    assert run(history, ev) == first
    # the order rows come back from the database in does not matter either
    assert run(reordered, ev) == first
