"""The next-ask engine: one lead's history in, the next small ask (or why none) out.

Pure: no database, no clock. ``crm.today`` loads histories and evidence and calls
``suggest_next_ask``; tests call it with hand-built histories. The rules run in order:

1. hard stops (suppressed, snoozed, an ask pending or too recent, unanswered asks in a
   row, steps declined recently or twice, leads who never opted in);
2. one step, not a leap (at most two levels up; major steps only from the step below);
3. strike while warm (a fresh yes gets the ask that builds on it);
4. choose by evidence (the owner's own acceptance rates, smoothed toward a prior);
5. stalled leads get a different ask at their level instead of a bigger one;
6. every answer carries its reason in plain words.

The same input always gives the same output: every choice has a total tie-break order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from crm.pacing import Pacing

ACTIVE_STATUSES = frozenset({"subscribed", "pending", "none"})
SUBSCRIBE_KEY = "subscribed"
OFFER_FALLBACK = "my free guide"
CONFIRM_SUBJECT = "Please confirm your subscription"
CONFIRM_BODY = (
    "Hi {first_name},\n\nYou signed up for my newsletter but the confirmation link is still "
    "waiting in your inbox. Click it when you have a moment, or just reply and I'll add you."
)
_STATUS_WORDS = {
    "unsubscribed": "Unsubscribed",
    "bounced": "Their email bounced",
    "complained": "Marked an email as spam",
}


class Rule:
    """Names of the rules, as shown in reasons and the JSON output."""

    SUPPRESSED = "suppressed"
    DO_NOT_CONTACT = "do not contact"
    SNOOZED = "snoozed"
    PENDING = "waiting for an answer"
    COOLDOWN = "cooldown"
    UNANSWERED = "unanswered asks"
    DECLINED = "declined recently"
    INVITE = "invite to subscribe"
    CONFIRM = "reminder to confirm"
    INVITED_ONCE = "invited once"
    TOP = "top of the ladder"
    WARM = "strike while warm"
    EVIDENCE = "best evidence"
    STALLED = "stalled"


# ---- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LadderStep:
    key: str
    label: str
    level: int
    major: bool = False
    ask_subject: str = ""
    ask_body: str = ""


@dataclass(frozen=True, slots=True)
class OfferInfo:
    id: int
    name: str
    kind: str = ""
    topics: frozenset[str] = frozenset()
    retired: bool = False


@dataclass(frozen=True, slots=True)
class PastYes:
    step: str  # ladder key
    at: dt.datetime
    offer_id: int | None = None


@dataclass(frozen=True, slots=True)
class PastAsk:
    step: str
    asked_at: dt.datetime
    outcome: str  # pending | accepted | declined | no_response
    offer_id: int | None = None
    resolved_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class LeadHistory:
    lead_id: int
    email: str
    first_name: str = ""
    status: str = "subscribed"
    do_not_contact: bool = False
    tags: frozenset[str] = frozenset()
    commitments: tuple[PastYes, ...] = ()
    asks: tuple[PastAsk, ...] = ()
    snoozed_until: dt.datetime | None = None
    snooze_kind: str = "snooze"  # snooze | skip


@dataclass(frozen=True, slots=True)
class Evidence:
    """The owner's own numbers, computed once for all leads.

    ``rates`` maps (level the lead was at when asked, step key asked for) to
    (accepted, answered); ``median_days`` maps a level to the median days leads took to
    move on from it; ``offer_steps`` lists the steps each offer has been used at.
    """

    rates: Mapping[tuple[int, str], tuple[int, int]] = field(default_factory=dict)
    median_days: Mapping[int, float] = field(default_factory=dict)
    offer_steps: Mapping[int, frozenset[str]] = field(default_factory=dict)


# ---- outputs --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    step: str
    step_label: str
    offer: str | None
    due: dt.datetime
    subject: str
    body: str
    score: float
    reason: str
    rule: str

    @property
    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}"


@dataclass(frozen=True, slots=True)
class NoSuggestion:
    reason: str
    rule: str
    until: dt.datetime | None = None  # when the block lifts, if it does on its own


Result = Suggestion | NoSuggestion


# ---- wording --------------------------------------------------------------------------


def ago(then: dt.datetime, now: dt.datetime) -> str:
    """'today', '1 day ago', '12 days ago' (or 'in 3 days' for a future time)."""
    days = (now - then).days if now >= then else -((then - now).days + 1)
    if days == 0:
        return "today"
    if days < 0:
        return f"in {-days} day{'s' if days != -1 else ''}"
    return f"{days} day{'s' if days != 1 else ''} ago"


def _date(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d")


def _percent(rate: float) -> str:
    return f"{round(rate * 100)}%"


# ---- the engine -----------------------------------------------------------------------


@dataclass(slots=True)
class _Ctx:
    lead: LeadHistory
    steps: dict[str, LadderStep]
    ladder: tuple[LadderStep, ...]
    offers: Mapping[int, OfferInfo]
    pacing: Pacing
    evidence: Evidence
    now: dt.datetime
    level: int = 0
    last_yes: PastYes | None = None
    last_ask: PastAsk | None = None


def _rendered(template: str, first_name: str, offer: str | None) -> str:
    return template.replace("{first_name}", first_name.strip() or "there").replace(
        "{offer}", offer or OFFER_FALLBACK
    )


def _uses_offer(step: LadderStep) -> bool:
    return "{offer}" in step.ask_subject or "{offer}" in step.ask_body


def _score(ctx: _Ctx, from_level: int, step: LadderStep) -> tuple[float, int, int]:
    """The smoothed acceptance rate, with the raw counts behind it."""
    accepted, answered = ctx.evidence.rates.get((from_level, step.key), (0, 0))
    trust = min(answered / ctx.pacing.trust_count, 1.0) if ctx.pacing.trust_count else 1.0
    own = accepted / answered if answered else 0.0
    return round(trust * own + (1 - trust) * ctx.pacing.prior, 4), accepted, answered


def _rate_words(ctx: _Ctx, from_level: int, step: LadderStep, accepted: int, answered: int) -> str:
    below = [s for s in ctx.ladder if s.level == from_level]
    who = f"leads who {below[0].label.lower()}" if below else "new leads"
    if answered == 0:
        return (
            f"No answered asks for this yet, so the score is the assumed rate "
            f"({_percent(ctx.pacing.prior)})."
        )
    text = f"{accepted} of {answered} {who} {step.label.lower()} when asked"
    if answered < ctx.pacing.trust_count:
        text += (
            f" (fewer than {ctx.pacing.trust_count} answers, so blended with the assumed "
            f"{_percent(ctx.pacing.prior)})"
        )
    return text + "."


def _history_words(ctx: _Ctx) -> str:
    parts = []
    if ctx.last_yes is not None:
        step = ctx.steps.get(ctx.last_yes.step)
        label = step.label.lower() if step else ctx.last_yes.step
        offer = ctx.offers.get(ctx.last_yes.offer_id) if ctx.last_yes.offer_id else None
        what = f"{label} ({offer.name})" if offer else label
        parts.append(f"Builds on their last yes: {what}, {ago(ctx.last_yes.at, ctx.now)}.")
    else:
        parts.append("No yes recorded yet.")
    if ctx.last_ask is not None:
        parts.append(f"Last asked {ago(ctx.last_ask.asked_at, ctx.now)}.")
    else:
        parts.append("Never asked before.")
    return " ".join(parts)


def _choose_offer(ctx: _Ctx, step: LadderStep, warm: bool, stalled: bool) -> OfferInfo | None:
    """The offer an ask for ``step`` should be about, or None when its template has none.

    At steps where offers are taken (a guide downloaded, a quiz answered), a new offer
    matching the lead's tags and past offers; at other steps (a follow-up), the offer the
    lead last said yes to, so the ask builds on it.
    """
    if not _uses_offer(step):
        return None
    lead = ctx.lead
    taken_here = {c.offer_id for c in lead.commitments if c.step == step.key and c.offer_id}
    mine = [c.offer_id for c in sorted(lead.commitments, key=lambda c: c.at) if c.offer_id]
    backoff = dt.timedelta(days=ctx.pacing.decline_backoff_days)
    declined = {
        a.offer_id
        for a in lead.asks
        if a.step == step.key and a.outcome == "declined" and a.offer_id
        if ctx.now - (a.resolved_at or a.asked_at) < backoff
    }
    live = [o for o in ctx.offers.values() if not o.retired]
    offer_step = any(step.key in ctx.evidence.offer_steps.get(o.id, ()) for o in live)
    last_offer = ctx.offers.get(mine[-1]) if mine else None
    if not offer_step and not stalled and last_offer is not None:
        return last_offer
    if warm and last_offer is not None and last_offer.kind in ("quiz", "survey"):
        # answered a quiz: the offer matching their answer, i.e. the quiz's topics
        profile = set(last_offer.topics)
    else:
        profile = {t.casefold() for t in lead.tags}
        for offer_id in mine:
            offer = ctx.offers.get(offer_id)
            if offer is not None:
                profile |= offer.topics
    choices = [o for o in live if o.id not in taken_here and o.id not in declined]
    if offer_step:
        choices = [o for o in choices if step.key in ctx.evidence.offer_steps.get(o.id, ())] or [
            o for o in choices if not ctx.evidence.offer_steps.get(o.id)
        ]
    if stalled:
        choices = [o for o in choices if o.id not in mine]
    if not choices:
        return None
    return min(choices, key=lambda o: (-len(o.topics & profile), o.name.casefold(), o.id))


def _suggestion(
    ctx: _Ctx,
    step: LadderStep,
    offer: OfferInfo | None,
    due: dt.datetime,
    rule: str,
    why: str,
    *,
    subject: str | None = None,
    body: str | None = None,
) -> Suggestion:
    score, accepted, answered = _score(ctx, ctx.level, step)
    name = offer.name if offer else None
    reason = " ".join(
        [why, _history_words(ctx), _rate_words(ctx, ctx.level, step, accepted, answered)]
    )
    return Suggestion(
        step=step.key,
        step_label=step.label,
        offer=name,
        due=due,
        subject=_rendered(
            subject if subject is not None else step.ask_subject, ctx.lead.first_name, name
        ),
        body=_rendered(body if body is not None else step.ask_body, ctx.lead.first_name, name),
        score=score,
        reason=reason,
        rule=rule,
    )


def _unanswered(ask: PastAsk, ctx: _Ctx) -> bool:
    if ask.outcome == "no_response":
        return True
    follow_up = dt.timedelta(days=ctx.pacing.follow_up_days)
    return ask.outcome == "pending" and ctx.now - ask.asked_at >= follow_up


def _hard_stop(ctx: _Ctx) -> NoSuggestion | None:
    lead, now, pacing = ctx.lead, ctx.now, ctx.pacing
    if lead.status not in ACTIVE_STATUSES:
        words = _STATUS_WORDS.get(lead.status, f"Status is '{lead.status}'")
        return NoSuggestion(f"{words}: Smallyes suggests no asks to this lead.", Rule.SUPPRESSED)
    if lead.do_not_contact:
        return NoSuggestion(
            "Marked do not contact: Smallyes suggests no asks to this lead.", Rule.DO_NOT_CONTACT
        )
    if lead.snoozed_until is not None and lead.snoozed_until > now:
        verb = "Skipped" if lead.snooze_kind == "skip" else "Snoozed"
        return NoSuggestion(
            f"{verb} until {_date(lead.snoozed_until)}.", Rule.SNOOZED, lead.snoozed_until
        )
    follow_up = dt.timedelta(days=pacing.follow_up_days)
    waiting = [a for a in lead.asks if a.outcome == "pending" and now - a.asked_at < follow_up]
    if waiting:
        ask = max(waiting, key=lambda a: (a.asked_at, a.step))
        step = ctx.steps.get(ask.step)
        offer = ctx.offers.get(ask.offer_id) if ask.offer_id else None
        what = (step.label.lower() if step else ask.step) + (f" ({offer.name})" if offer else "")
        until = ask.asked_at + follow_up
        return NoSuggestion(
            f"Waiting for an answer to the ask for {what} made {ago(ask.asked_at, now)}; "
            f"it counts as unanswered after {_date(until)}.",
            Rule.PENDING,
            until,
        )
    cooldown = dt.timedelta(days=pacing.cooldown_days)
    if ctx.last_ask is not None and now - ctx.last_ask.asked_at < cooldown:
        until = ctx.last_ask.asked_at + cooldown
        return NoSuggestion(
            f"Asked {ago(ctx.last_ask.asked_at, now)}: asks are at least "
            f"{pacing.cooldown_days} days apart, so the next one can wait until {_date(until)}.",
            Rule.COOLDOWN,
            until,
        )
    ordered = sorted(lead.asks, key=lambda a: (a.asked_at, a.step))
    recent = ordered[-pacing.unanswered_limit :]
    if len(recent) == pacing.unanswered_limit and all(_unanswered(a, ctx) for a in recent):
        last = recent[-1].asked_at
        answered_since = ctx.last_yes is not None and ctx.last_yes.at > last
        until = last + dt.timedelta(days=pacing.unanswered_pause_days)
        if not answered_since and now < until:
            return NoSuggestion(
                f"The last {pacing.unanswered_limit} asks went unanswered (the latest "
                f"{ago(last, now)}): pausing asks until {_date(until)}.",
                Rule.UNANSWERED,
                until,
            )
    return None


def _declines(ctx: _Ctx) -> tuple[dict[str, dt.datetime], set[str]]:
    """Steps declined within the back-off (with when it ends) and steps declined twice."""
    backoff = dt.timedelta(days=ctx.pacing.decline_backoff_days)
    recent: dict[str, dt.datetime] = {}
    count: dict[str, int] = {}
    for ask in ctx.lead.asks:
        if ask.outcome != "declined":
            continue
        count[ask.step] = count.get(ask.step, 0) + 1
        when = ask.resolved_at or ask.asked_at
        if ctx.now - when < backoff:
            recent[ask.step] = max(recent.get(ask.step, when), when + backoff)
    return recent, {k for k, n in count.items() if n >= 2}


def _base_due(ctx: _Ctx) -> dt.datetime:
    """The earliest a new ask is appropriate: after the cooldown and the first warm day."""
    due = ctx.now
    candidates = []
    if ctx.last_ask is not None:
        candidates.append(ctx.last_ask.asked_at + dt.timedelta(days=ctx.pacing.cooldown_days))
    if ctx.last_yes is not None:
        candidates.append(ctx.last_yes.at + dt.timedelta(days=ctx.pacing.warm_min_days))
    return max(candidates) if candidates else due


def _not_opted_in(ctx: _Ctx) -> Result:
    """A lead who never opted in, or has not confirmed: one invitation, nothing bigger."""
    step = ctx.steps.get(SUBSCRIBE_KEY)
    pending = ctx.lead.status == "pending"
    if step is None:
        return NoSuggestion(
            "Not subscribed, and the ladder has no subscribe step to invite them to.",
            Rule.INVITED_ONCE,
        )
    invited = [a for a in ctx.lead.asks if a.step == SUBSCRIBE_KEY]
    if invited:
        first = min(a.asked_at for a in invited)
        verb = "Reminded to confirm" if pending else "Invited to subscribe"
        return NoSuggestion(
            f"{verb} {ago(first, ctx.now)} ({_date(first)}): a lead who has not opted in is "
            "asked only once.",
            Rule.INVITED_ONCE,
        )
    if pending:
        return _suggestion(
            ctx,
            step,
            None,
            _base_due(ctx),
            Rule.CONFIRM,
            "Signed up but never confirmed: one friendly reminder to confirm, nothing bigger.",
            subject=CONFIRM_SUBJECT,
            body=CONFIRM_BODY,
        )
    return _suggestion(
        ctx,
        step,
        None,
        _base_due(ctx),
        Rule.INVITE,
        "Never opted in: the only ask is one invitation to subscribe.",
    )


def suggest_next_ask(
    lead: LeadHistory,
    ladder: tuple[LadderStep, ...] | list[LadderStep],
    offers: Mapping[int, OfferInfo],
    pacing: Pacing,
    evidence: Evidence,
    now: dt.datetime,
) -> Result:
    """The next small ask for one lead, or why there is none right now."""
    ordered = tuple(sorted(ladder, key=lambda s: (s.level, s.key)))
    ctx = _Ctx(
        lead=lead,
        steps={s.key: s for s in ordered},
        ladder=ordered,
        offers=offers,
        pacing=pacing,
        evidence=evidence,
        now=now,
    )
    known = [c for c in lead.commitments if c.step in ctx.steps]
    ctx.level = max((ctx.steps[c.step].level for c in known), default=0)
    ctx.last_yes = max(known, key=lambda c: (c.at, ctx.steps[c.step].level), default=None)
    ctx.last_ask = max(lead.asks, key=lambda a: (a.asked_at, a.step), default=None)

    # 1. hard stops
    stop = _hard_stop(ctx)
    if stop is not None:
        return stop
    if lead.status in ("none", "pending"):
        return _not_opted_in(ctx)
    subscribe = ctx.steps.get(SUBSCRIBE_KEY)
    if subscribe is not None and ctx.level < subscribe.level:
        ctx.level = subscribe.level  # a subscriber is at least at the subscribe step
    declined_recently, declined_twice = _declines(ctx)

    # 2. one step, not a leap
    top = max((s.level for s in ordered), default=0)
    if ctx.level >= top:
        return NoSuggestion(
            "At the top of the ladder already: no bigger ask to suggest. Thank them, or log a "
            "new yes by hand.",
            Rule.TOP,
        )
    excluded: list[str] = []
    candidates: list[LadderStep] = []
    for step in ordered:
        if not ctx.level < step.level <= ctx.level + 2:
            continue
        if step.major:
            below = max((s.level for s in ordered if s.level < step.level), default=0)
            if ctx.level < below:
                continue
        if step.key in declined_twice:
            excluded.append(f"said not now to {step.label.lower()} twice")
            continue
        if step.key in declined_recently:
            until = declined_recently[step.key]
            excluded.append(
                f"said not now to {step.label.lower()} (asking again after {_date(until)})"
            )
            continue
        candidates.append(step)

    # 5. stalled: a different ask at the same level, rather than a bigger one
    stalled_ask = _stalled(ctx, known, declined_recently, declined_twice)
    if stalled_ask is not None:
        return stalled_ask

    if not candidates:
        lift = min(declined_recently.values(), default=None)
        return NoSuggestion(
            "Nothing small enough to ask next: " + "; ".join(excluded or ["no step above"]) + ".",
            Rule.DECLINED,
            lift,
        )
    due = _base_due(ctx)

    # 3. strike while warm: the smallest next step, building on the fresh yes
    warm_end = dt.timedelta(days=pacing.warm_max_days)
    if ctx.last_yes is not None and now - ctx.last_yes.at <= warm_end:
        step = candidates[0]
        offer = _choose_offer(ctx, step, warm=True, stalled=False)
        return _suggestion(
            ctx,
            step,
            offer,
            due,
            Rule.WARM,
            f"Strike while warm: they said yes {ago(ctx.last_yes.at, now)}, so now is the "
            f"time for the ask that builds on it.",
        )

    # 4. choose by evidence, preferring the smaller step when scores are close
    scored = [(_score(ctx, ctx.level, s)[0], s) for s in candidates]
    best = max(score for score, _ in scored)
    step = next(s for score, s in scored if score >= best - pacing.close_scores)
    score = next(sc for sc, s in scored if s is step)
    others = [f"{s.label.lower()} {_percent(sc)}" for sc, s in scored if s is not step]
    why = f"Best evidence: {step.label.lower()} scores {_percent(score)}"
    why += f" (vs {', '.join(others)})." if others else "."
    if len(scored) > 1 and score < best:
        why += " Close enough to the best, so the smaller step wins."
    if excluded:
        why += " Left out: " + "; ".join(excluded) + "."
    return _suggestion(ctx, step, _choose_offer(ctx, step, False, False), due, Rule.EVIDENCE, why)


def _stalled(
    ctx: _Ctx,
    known: list[PastYes],
    declined_recently: dict[str, dt.datetime],
    declined_twice: set[str],
) -> Suggestion | None:
    median = ctx.evidence.median_days.get(ctx.level)
    reached = [c.at for c in known if ctx.steps[c.step].level == ctx.level]
    if median is None or median <= 0 or not reached:
        return None
    days_here = (ctx.now - min(reached)).total_seconds() / 86400
    if days_here <= ctx.pacing.stall_factor * median:
        return None
    for step in ctx.ladder:
        if step.level != ctx.level or step.key in declined_twice or step.key in declined_recently:
            continue
        offer = _choose_offer(ctx, step, warm=False, stalled=True)
        if offer is None:
            continue  # the same ask again would not be a different ask
        return _suggestion(
            ctx,
            step,
            offer,
            _base_due(ctx),
            Rule.STALLED,
            f"Stalled: at {step.label.lower()} for {int(days_here)} days, more than "
            f"{ctx.pacing.stall_factor:g}x the usual {median:.0f} days, so a different ask at "
            f"the same level ({offer.name}) rather than a bigger one.",
        )
    return None
