"""Who may be asked for a step (and offer) right now, under every guardrail, in SQL.

A campaign asks hundreds or thousands of leads at once through the owner's newsletter
tool, so the next-ask engine's rules (``crm.asking.suggest``) are read here as set-based
SQL over the ``lead`` table and the asks: one statement gives every lead chosen (by a
``LeadFilter``, the lead list's ``LeadQuery`` or a list of ids) its verdict, the first
reason that holds it back or none.
The reasons, in the order they are tried, with the engine's own order for the hard stops:

- ``suppressed`` (unsubscribed, bounced, complained or erased), ``do_not_contact``,
  ``snoozed`` (a snooze or a skip still running), ``pending_ask`` (an ask waiting for its
  answer, within the follow-up), ``cooldown`` (asked within the cooldown),
  ``over_weekly_cap`` (as many asks in the last 7 days as the owner allows a week; this
  campaign's would be one more), ``ignored_twice`` (the last asks in a row went
  unanswered, and no yes since: the pause), ``declined_recently`` (a "not now" to any
  ask within the back-off);
- for this step: ``not_opted_in`` (only the invitation to subscribe goes to a lead who
  never opted in or never confirmed), ``invited_once`` (and only once),
  ``already_past_step`` (at this step or above; with an offer, above it or took that
  offer already), ``declined_twice`` (this step, ever: never asked again automatically),
  ``too_big_a_step`` (more than two rungs up, or a major step from below the rung under
  it), ``customer_cooling`` (a purchase ask inside the cooling period after a purchase);
- for a file (``for_file``): ``unsafe_address``, an address that starts as a spreadsheet
  formula would (``=``, ``+``, ``-``, ``@``): it cannot be written safely and unchanged.

``tests/crm/asking/test_eligibility_agrees.py`` runs this SQL and the engine over the
same random book and checks that they agree lead by lead.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crm.asking.ladder import get_ladder, step_by_key
from crm.asking.pacing import Pacing, get_pacing
from crm.asking.rows import PURCHASED_KEY, SUBSCRIBE_KEY, Rule
from crm.book.filters import LeadFilter
from crm.book.leads import LeadQuery, _where
from crm.errors import ValidationError
from crm.store.models import database_proxy

# The reasons a lead is held back, in the order they are tried.
HARD_STOPS = (
    "suppressed",
    "do_not_contact",
    "snoozed",
    "pending_ask",
    "cooldown",
    "over_weekly_cap",
    "ignored_twice",
    "declined_recently",
)
STEP_REASONS = (
    "not_opted_in",
    "invited_once",
    "already_past_step",
    "declined_twice",
    "too_big_a_step",
    "customer_cooling",
)
FILE_REASONS = ("unsafe_address",)
REASONS = (*HARD_STOPS, *STEP_REASONS, *FILE_REASONS)

# Each hard stop is the engine's rule of the same meaning.
ENGINE_RULES: dict[str, str] = {
    "suppressed": Rule.SUPPRESSED,
    "do_not_contact": Rule.DO_NOT_CONTACT,
    "snoozed": Rule.SNOOZED,
    "pending_ask": Rule.PENDING,
    "cooldown": Rule.COOLDOWN,
    "over_weekly_cap": Rule.WEEKLY_CAP,
    "ignored_twice": Rule.UNANSWERED,
    "declined_recently": Rule.DECLINED,
}

# How a reason reads in a list ("Held back: 41 asked within the cooldown").
REASON_WORDS: dict[str, str] = {
    "suppressed": "unsubscribed, bounced or complained",
    "do_not_contact": "marked do not contact",
    "snoozed": "snoozed or skipped",
    "pending_ask": "waiting for an answer to another ask",
    "cooldown": "asked within the cooldown",
    "over_weekly_cap": "at the weekly cap of asks",
    "ignored_twice": "left the last asks unanswered (pausing)",
    "declined_recently": 'said "not now" within the back-off',
    "not_opted_in": "never opted in (only an invitation to subscribe)",
    "invited_once": "invited to subscribe once already",
    "already_past_step": "at this step or past it already",
    "declined_twice": 'said "not now" to this step twice',
    "too_big_a_step": "more than one small step away",
    "customer_cooling": "bought lately (cooling period)",
    "unsafe_address": "an address a spreadsheet would run as a formula",
}

# The leads a campaign may be aimed at: those a filter (or the lead list's query) matches,
# or these lead ids.
Who = LeadFilter | LeadQuery | Sequence[int]

_WEEK = dt.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class AskTarget:
    """The step and offer a campaign asks for, checked against the book."""

    step_id: int
    step_key: str
    step_label: str
    level: int
    major: bool
    offer_id: int | None
    offer: str | None


@dataclass(frozen=True, slots=True)
class CampaignPlan:
    """How many leads the choice matched, how many may be asked, and why the rest may not
    (every reason, 0 included, in ``REASONS`` order)."""

    target: AskTarget
    matched: int
    eligible: int
    held_back: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.target.step_key,
            "offer": self.target.offer,
            "matched": self.matched,
            "eligible": self.eligible,
            "held_back": dict(self.held_back),
        }

    @property
    def held_back_total(self) -> int:
        return sum(self.held_back.values())


def ask_target(step_key: str, offer: str | None = None) -> AskTarget:
    """The step (by key) and offer (by name, any case) to ask for; an offer the book does
    not have, or has retired, is refused in words."""
    step = step_by_key(step_key)
    offer_id: int | None = None
    name: str | None = None
    if offer is not None and offer.strip():
        row = database_proxy.execute_sql(
            "SELECT id, name, retired FROM offer WHERE name = ? COLLATE NOCASE", [offer.strip()]
        ).fetchone()
        if row is None:
            raise ValidationError(
                f"There is no offer named '{offer.strip()}': add it first (Ladder & offers, or "
                "'smallyes-cli offer add NAME') or check the name."
            )
        if row[2]:
            raise ValidationError(
                f"The offer '{row[1]}' is retired: bring it back (Ladder & offers) or pick "
                "another one."
            )
        offer_id, name = int(row[0]), str(row[1])
    return AskTarget(step.id, step.key, step.label, step.level, step.major, offer_id, name)


def _text(when: dt.datetime) -> str:
    """``when`` as times are stored, so that stored texts compare with it in time order."""
    return when.isoformat(sep=" ")


def _chosen(who: Who, now: dt.datetime) -> tuple[str, list[Any]]:
    """``FROM lead l ...`` text and parameters for the leads ``who`` names."""
    if isinstance(who, LeadFilter | LeadQuery):
        where, params = _where(who.query(now=now) if isinstance(who, LeadFilter) else who)
        return f"FROM lead l{where}", list(params)
    ids = [int(i) for i in who]
    return "FROM lead l WHERE l.id IN (SELECT value FROM json_each(?))", [json.dumps(ids)]


def verdicts_sql(
    target: AskTarget, who: Who, *, now: dt.datetime, for_file: bool, pacing: Pacing | None = None
) -> tuple[str, list[Any]]:
    """SQL giving ``(id, reason)`` for every lead ``who`` names: the first reason that
    holds it back from an ask for ``target`` now, NULL when it may be asked."""
    pacing = pacing or get_pacing()
    ladder = get_ladder()
    subscribe = next((s for s in ladder if s.key == SUBSCRIBE_KEY), None)
    sub_level = subscribe.level if subscribe is not None else 0
    below = max((s.level for s in ladder if s.level < target.level), default=0)
    chosen, params = _chosen(who, now)
    follow_cut = _text(now - dt.timedelta(days=pacing.follow_up_days))
    pause_cut = _text(now - dt.timedelta(days=pacing.unanswered_pause_days))
    limit = pacing.unanswered_limit

    sql = [
        "WITH picked AS MATERIALIZED (SELECT l.id, l.email, l.status, l.do_not_contact, "
        f"l.level, l.last_ask_at, l.last_commitment_at {chosen}),",
        # per lead: an ask waiting for its answer, asks in the last 7 days, a "not now"
        # within the back-off, "not now"s to this step, an invitation to subscribe
        "asks AS MATERIALIZED (SELECT x.lead_id,"
        " max(x.outcome = 'pending' AND x.asked_at > ?) AS waiting,"
        " sum(x.asked_at > ?) AS this_week,"
        " max(x.outcome = 'declined' AND coalesce(x.resolved_at, x.asked_at) > ?) AS declined,"
        " sum(x.outcome = 'declined' AND x.step_id = ?) AS declined_here,"
        " max(x.step_id = ?) AS invited"
        " FROM picked p JOIN ask x ON x.lead_id = p.id GROUP BY x.lead_id),",
        # the last asks of each lead asked within the pause, in the engine's total order
        "latest AS MATERIALIZED (SELECT x.lead_id, x.asked_at,"
        " (x.outcome = 'no_response' OR (x.outcome = 'pending' AND x.asked_at <= ?)) AS unanswered,"
        " row_number() OVER (PARTITION BY x.lead_id ORDER BY x.asked_at DESC, s.key DESC,"
        " x.outcome DESC, coalesce(x.offer_id, 0) DESC) AS n"
        " FROM picked p JOIN ask x ON x.lead_id = p.id JOIN step s ON s.id = x.step_id"
        " WHERE p.last_ask_at > ?),",
        "ignored AS MATERIALIZED (SELECT lead_id, max(asked_at) AS at FROM latest WHERE n <= ?"
        " GROUP BY lead_id HAVING count(*) = ? AND min(unanswered) = 1)",
        "SELECT p.id, CASE",
        "WHEN p.status NOT IN ('subscribed', 'pending', 'none') THEN 'suppressed'",
        "WHEN p.do_not_contact THEN 'do_not_contact'",
        "WHEN z.until > ? THEN 'snoozed'",
        "WHEN a.waiting THEN 'pending_ask'",
        "WHEN p.last_ask_at > ? THEN 'cooldown'",
        "WHEN a.this_week >= ? THEN 'over_weekly_cap'",
        "WHEN i.lead_id IS NOT NULL AND (p.last_commitment_at IS NULL"
        " OR p.last_commitment_at <= i.at) THEN 'ignored_twice'",
        "WHEN a.declined THEN 'declined_recently'",
    ]
    params += [
        follow_cut,
        _text(now - _WEEK),
        _text(now - dt.timedelta(days=pacing.decline_backoff_days)),
        target.step_id,
        subscribe.id if subscribe is not None else -1,
        follow_cut,
        pause_cut,
        limit,
        limit,
        _text(now),
        _text(now - dt.timedelta(days=pacing.cooldown_days)),
        pacing.weekly_cap,
    ]
    # a lead who never opted in is only ever invited to subscribe, and once
    if target.step_key != SUBSCRIBE_KEY:
        sql.append("WHEN p.status != 'subscribed' THEN 'not_opted_in'")
    sql.append("WHEN p.status != 'subscribed' AND a.invited THEN 'invited_once'")
    # a subscriber stands at least at the subscribe step
    level = "max(p.level, ?)"
    if target.offer_id is None:
        sql.append(f"WHEN p.status = 'subscribed' AND {level} >= ? THEN 'already_past_step'")
        params += [sub_level, target.level]
    else:
        # the same step for another offer is a different ask at the same level
        sql.append(
            f"WHEN p.status = 'subscribed' AND ({level} > ? OR EXISTS (SELECT 1 FROM "
            "commitment c WHERE c.lead_id = p.id AND c.step_id = ? AND c.offer_id = ?)) "
            "THEN 'already_past_step'"
        )
        params += [sub_level, target.level, target.step_id, target.offer_id]
    sql.append("WHEN a.declined_here >= 2 THEN 'declined_twice'")
    if target.step_key != SUBSCRIBE_KEY:
        sql.append(
            f"WHEN p.status = 'subscribed' AND ({level} + 2 < ? OR (? AND {level} < ?)) "
            "THEN 'too_big_a_step'"
        )
        params += [sub_level, target.level, int(target.major), sub_level, below]
    if target.step_key == PURCHASED_KEY:
        sql.append(
            "WHEN EXISTS (SELECT 1 FROM commitment c WHERE c.lead_id = p.id AND c.step_id = ? "
            "AND c.at > ?) THEN 'customer_cooling'"
        )
        params += [
            target.step_id,
            _text(now - dt.timedelta(days=pacing.customer_cooling_days)),
        ]
    if for_file:
        sql.append("WHEN substr(p.email, 1, 1) IN ('=', '+', '-', '@') THEN 'unsafe_address'")
    sql += [
        "END AS reason",
        "FROM picked p LEFT JOIN suggestion_snooze z ON z.lead_id = p.id",
        "LEFT JOIN asks a ON a.lead_id = p.id LEFT JOIN ignored i ON i.lead_id = p.id",
    ]
    return "\n".join(sql), params


def plan_campaign(
    step_key: str,
    offer: str | None,
    who: Who,
    *,
    now: dt.datetime,
    for_file: bool = True,
) -> CampaignPlan:
    """Who may be asked for ``step_key`` (and ``offer``) now among the leads ``who`` names,
    and how many are held back by each reason. Changes nothing."""
    target = ask_target(step_key, offer)
    return plan_for(target, who, now=now, for_file=for_file)


def plan_for(target: AskTarget, who: Who, *, now: dt.datetime, for_file: bool) -> CampaignPlan:
    """:func:`plan_campaign` for a target already checked."""
    sql, params = verdicts_sql(target, who, now=now, for_file=for_file)
    counts = dict(
        database_proxy.execute_sql(
            f"SELECT reason, count(*) FROM ({sql}) GROUP BY reason", params
        ).fetchall()
    )
    eligible = int(counts.pop(None, 0))
    held = {reason: int(counts.get(reason, 0)) for reason in REASONS}
    return CampaignPlan(target, eligible + sum(held.values()), eligible, held)


def verdicts(
    step_key: str, offer: str | None, who: Who, *, now: dt.datetime, for_file: bool = True
) -> dict[int, str | None]:
    """Each lead's verdict: the reason it is held back, or None when it may be asked."""
    sql, params = verdicts_sql(ask_target(step_key, offer), who, now=now, for_file=for_file)
    return {int(i): r for i, r in database_proxy.execute_sql(sql, params).fetchall()}
