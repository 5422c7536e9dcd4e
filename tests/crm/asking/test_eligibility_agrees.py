"""The campaign's SQL and the next-ask engine judge a random book alike, lead by lead.

Each seed builds a book of random histories (statuses, do-not-contact, snoozes, yeses at
every step, asks with every outcome at times around the pacing's edges) under random
pacing, then checks:

- the hard stops: the SQL holds a lead back by a hard stop exactly when the engine
  (``suggest_for_lead``) stops it with the same rule, for every step asked about;
- the engine's own asks: whatever step and offer the engine suggests (but a customer's
  asks after a sale, which need not be one rung up), the SQL lets that lead be asked for;
- the step's reasons: the SQL's verdict is the one worked out here from the lead's rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest

from crm.asking.due import suggest_for_lead
from crm.asking.eligibility import ENGINE_RULES, HARD_STOPS, verdicts
from crm.asking.pacing import Pacing, get_pacing, set_pacing
from crm.asking.suggest import NoSuggestion, Rule, Suggestion
from crm.book import lead_cache
from crm.book.filters import LeadFilter
from crm.book.offers import add_offer
from crm.store.models import database_proxy

DAY = dt.timedelta(days=1)
STEPS = ("clicked", "subscribed", "downloaded", "answered", "replied", "booked", "purchased")
STATUSES = ["subscribed"] * 14 + ["pending", "none", "none", "unsubscribed", "bounced"]
OUTCOMES = ("pending", "accepted", "declined", "no_response")
CUSTOMER_RULES = {Rule.HOW_IT_WENT, Rule.REFERRAL, Rule.NEXT_PRODUCT}
RULE_OF = {rule: reason for reason, rule in ENGINE_RULES.items()}


def _sql(sql: str, params: list | tuple = ()) -> list[tuple]:
    return database_proxy.execute_sql(sql, params).fetchall()


# One pacing per seed, so that each of its edges is met in some book.
PACINGS = (
    dict(
        cooldown_days=7,
        follow_up_days=7,
        weekly_cap=2,
        unanswered_limit=2,
        unanswered_pause_days=30,
        decline_backoff_days=60,
        customer_cooling_days=30,
    ),
    dict(
        cooldown_days=2,
        follow_up_days=3,
        weekly_cap=1,
        unanswered_limit=1,
        unanswered_pause_days=10,
        decline_backoff_days=10,
        customer_cooling_days=5,
    ),
    dict(
        cooldown_days=0,
        follow_up_days=7,
        weekly_cap=2,
        unanswered_limit=3,
        unanswered_pause_days=30,
        decline_backoff_days=60,
        customer_cooling_days=30,
    ),
    dict(
        cooldown_days=3,
        follow_up_days=3,
        weekly_cap=3,
        unanswered_limit=2,
        unanswered_pause_days=30,
        decline_backoff_days=10,
        customer_cooling_days=30,
    ),
)


def build_book(seed: int, now: dt.datetime, leads: int = 160) -> Pacing:
    rng = random.Random(seed)
    pacing = set_pacing(**PACINGS[seed % len(PACINGS)])
    for name, kind in (("Guide A", ""), ("Guide B", ""), ("Course", "product")):
        add_offer(name, now=now, kind=kind)
    offers = [None, *(r[0] for r in _sql("SELECT id FROM offer ORDER BY id"))]
    step_id = dict(_sql("SELECT key, id FROM step"))

    def when(days: float) -> dt.datetime:
        return (now - dt.timedelta(days=days)).replace(microsecond=0)

    for i in range(leads):
        status = rng.choice(STATUSES)
        cur = database_proxy.execute_sql(
            "INSERT INTO lead (email, email_key, first_name, status, do_not_contact, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                f"l{i}@example.com",
                f"l{i}@example.com",
                f"L{i}",
                status,
                int(rng.random() < 0.05),
                when(500),
                when(500),
            ],
        )
        lead = cur.lastrowid
        if rng.random() < 0.1:
            database_proxy.execute_sql(
                "INSERT INTO suggestion_snooze (lead_id, until, kind) VALUES (?, ?, ?)",
                [lead, when(rng.uniform(-10, 10)), rng.choice(["snooze", "skip"])],
            )
        top = rng.choice(range(len(STEPS)))
        for key in STEPS[: top + 1]:
            if rng.random() < 0.7 or key == STEPS[top]:
                offer = rng.choice(offers) if key in ("downloaded", "purchased") else None
                database_proxy.execute_sql(
                    "INSERT INTO commitment (lead_id, step_id, offer_id, at) VALUES (?, ?, ?, ?)",
                    [lead, step_id[key], offer, when(rng.uniform(0, 400))],
                )
        base = rng.uniform(0, 60)
        history = [
            (
                rng.choice(
                    [base, rng.uniform(0, 12), rng.uniform(0, 120), base + rng.choice([0, 1, 6, 7])]
                ),
                rng.choice(STEPS),
                rng.choice(OUTCOMES),
            )
            for _ in range(rng.choice([0, 0, 1, 2, 3, 4]))
        ]
        if rng.random() < 0.15:  # one step declined twice, long ago
            key = rng.choice(STEPS)
            history += [(rng.uniform(100, 300), key, "declined") for _ in range(2)]
        for asked, key, outcome in history:
            resolved = when(asked - rng.uniform(0, 3)) if outcome != "pending" else None
            database_proxy.execute_sql(
                "INSERT INTO ask (lead_id, step_id, offer_id, asked_at, outcome, resolved_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [lead, step_id[key], rng.choice(offers), when(asked), outcome, resolved],
            )
    lead_cache.recompute()
    return pacing


def expected_step_reason(
    lead_id: int, step: str, offer_id: int | None, now: dt.datetime, pacing: Pacing
) -> str | None:
    """The step's own reasons, worked out from the lead's rows in Python."""
    level_of = dict(_sql("SELECT key, level FROM step"))
    [(status,)] = _sql("SELECT status FROM lead WHERE id = ?", [lead_id])
    yeses = _sql(
        "SELECT s.key, c.offer_id, c.at FROM commitment c JOIN step s ON s.id = c.step_id "
        "WHERE c.lead_id = ?",
        [lead_id],
    )
    asks = _sql(
        "SELECT s.key, a.outcome FROM ask a JOIN step s ON s.id = a.step_id WHERE a.lead_id = ?",
        [lead_id],
    )
    level = max((level_of[k] for k, _, _ in yeses), default=0)
    if status != "subscribed":
        if step != "subscribed":
            return "not_opted_in"
        if any(k == "subscribed" for k, _ in asks):
            return "invited_once"
    else:
        level = max(level, level_of["subscribed"])
        here = level_of[step]
        took = any(k == step and o == offer_id for k, o, _ in yeses)
        if (level >= here) if offer_id is None else (level > here or took):
            return "already_past_step"
    if sum(1 for k, o in asks if k == step and o == "declined") >= 2:
        return "declined_twice"
    if status == "subscribed" and step != "subscribed":
        here = level_of[step]
        below = max(v for v in level_of.values() if v < here)
        if level + 2 < here or (step in ("booked", "purchased") and level < below):
            return "too_big_a_step"
    if step == "purchased":
        cut = str(now - dt.timedelta(days=pacing.customer_cooling_days))
        if any(k == "purchased" and str(at) > cut for k, _, at in yeses):
            return "customer_cooling"
    return None


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5, 6, 7])
def test_the_sql_and_the_engine_give_the_same_verdicts(db, now, seed: int) -> None:
    pacing = build_book(seed, now)
    assert get_pacing() == pacing
    offers = {name: oid for oid, name in _sql("SELECT id, name FROM offer")}
    asks_for = [(s, None) for s in STEPS[1:]] + [("downloaded", "Guide A"), ("purchased", "Course")]
    judged = {
        (step, offer): verdicts(step, offer, LeadFilter(), now=now, for_file=False)
        for step, offer in asks_for
    }
    ids = sorted(judged[("downloaded", None)])
    seen: dict[str, int] = defaultdict(int)
    engine_asks = 0
    for lead_id in ids:
        result = suggest_for_lead(lead_id, now)
        stop = None
        # "declined recently" without an end is the step declined twice, not a hard stop
        twice = isinstance(result, NoSuggestion) and result.until is None
        if isinstance(result, NoSuggestion) and result.rule in RULE_OF:
            stop = None if result.rule == Rule.DECLINED and twice else RULE_OF[result.rule]
        for (step, offer), found in judged.items():
            got = found[lead_id]
            seen[got or "eligible"] += 1
            assert (got if got in HARD_STOPS else None) == stop, (lead_id, step, result)
            if stop is None:
                want = expected_step_reason(lead_id, step, offers.get(offer or ""), now, pacing)
                assert got == want, (lead_id, step, offer)
        if isinstance(result, Suggestion) and result.rule not in CUSTOMER_RULES:
            engine_asks += 1
            found = verdicts(result.step, result.offer, [lead_id], now=now, for_file=False)
            assert found[lead_id] is None, (lead_id, result)
    # the book reached the rules it is meant to test
    assert engine_asks > 10
    for reason in (
        "eligible",
        "suppressed",
        "do_not_contact",
        "snoozed",
        "pending_ask",
        "declined_recently",
        "already_past_step",
        "not_opted_in",
        "too_big_a_step",
        "declined_twice",
        *(["cooldown"] if pacing.cooldown_days else []),
    ):
        assert seen[reason], f"no lead was {reason}: {dict(seen)}"
