"""The next-ask engine: one lead's history in, the next small ask (or why none) out.

Pure: no database, no clock. ``suggest_next_ask`` takes a lead's rows (``LeadFacts``,
its tag names, its ``PastYes`` and ``PastAsk`` rows: ``crm.asking.rows``), the ladder,
offers, pacing and ``Evidence`` indexed once in ``Prepared``, and ``now``.
``crm.asking.due`` builds those rows straight from SQL for every lead at once; tests
build the same rows by hand. The rules run in order:

1. hard stops (suppressed, snoozed, an ask pending or too recent, the weekly cap of asks
   reached, unanswered asks in a row, a "not now" within the back-off whatever step it
   was to, leads who never opted in; a step declined twice is left out for good);
   a customer (highest yes a purchase) then gets the asks after a sale instead
   (``crm.asking.customers``: how it went, a referral, the next product after a cooling
   period);
2. one step, not a leap (at most two levels up; major steps only from the step below);
3. strike while warm (a fresh yes gets the ask that builds on it);
4. choose by evidence (the owner's own acceptance rates, smoothed toward a prior);
5. stalled leads get a different ask at their level instead of a bigger one;
6. every answer carries its reason in plain words.

A lead's newsletter engagement (``LeadEngagement``: its opens, clicks and deliveries)
ranks the suggestion without changing it: a lead who clicked or opened lately is asked
first, a cold one (months of e-mails, none opened) last, and the reason says which.

The same input always gives the same output: every choice has a total tie-break order,
so the order rows arrive in does not matter.

Times in the rows, and ``now``, are whole microseconds since 1970 (plain ints, see
``to_us``), so that 100,000 histories are compared without building a datetime; a
``Suggestion`` gives its due date both ways and a ``NoSuggestion`` says until when as a
datetime. A suggestion's texts (message, reason, summary) are worded when first read:
ranking needs only the step, score and due date.

Messages fill the step's template (``crm.asking.templates``: ``{first_name}``, ``{offer}``,
``{offer_link}``, the lead's custom fields); a placeholder with no value, such as
``{offer}`` in a book with no offer set up, is left as written and the reason says what to
add. No stand-in text is ever written in its place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from crm.asking.customers import AfterSale, CustomerBook, after_sale
from crm.asking.naming import ask_name, group_key
from crm.asking.pacing import Pacing
from crm.asking.rows import (
    CUSTOMER_ASKS,
    DAY_US,
    REPLIED_KEY,
    SUBSCRIBE_KEY,
    LadderStep,
    OfferInfo,
    PastAsk,
    PastYes,
    Rule,
    from_us,
    to_us,
)
from crm.asking.rows import ago_text as _ago
from crm.asking.rows import date_text as _date
from crm.asking.rows import days_us as _days_us
from crm.asking.templates import OFFER, OFFER_LINK, lead_fields, names_offer, render_message

ACTIVE_STATUSES = frozenset({"subscribed", "pending", "none"})
NO_OFFER_YET = (
    "No free offer is set up yet, so the message cannot name one: add your first offer (its "
    "name and link) and this ask names it."
)
NO_OFFER_LEFT = (
    "None of your offers is left to give them at this step: add another offer and this ask "
    "names it."
)
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


# ---- inputs ---------------------------------------------------------------------------


class LeadFacts(NamedTuple):
    """Who a lead is and whether they may be asked (a row of Today's lead query)."""

    lead_id: int
    email: str
    first_name: str = ""
    status: str = "subscribed"
    do_not_contact: bool = False
    snoozed_until: int | None = None
    snooze_kind: str = "snooze"  # snooze | skip
    last_name: str = ""
    custom: str = "{}"  # the custom fields, as stored (JSON): read when a message is worded


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
    # the latest open, click or delivery of any lead: the newsletter still goes out, so a
    # lead whose platform exports no deliveries still received what it did not open
    newest_email: int | None = None


class LeadEngagement(NamedTuple):
    """A lead's newsletter engagement from its imported opens, clicks and deliveries
    (times as microseconds since 1970; ``None``: never)."""

    lead_id: int
    last_opened: int | None = None
    opens_90d: int = 0
    last_clicked: int | None = None
    # the link of the latest click, when it is RECENT_DAYS old or less: the only click a
    # reason names by its link
    last_click_url: str = ""
    # E-mails delivered after the last open or click (all, if none), when the first and
    # the last of them arrived: read only for a lead that opened and clicked nothing for
    # COLD_DAYS (only such a lead can be cold), 0 and None for the others.
    unopened: int = 0
    unopened_since: int | None = None
    unopened_until: int | None = None


# ---- the engine's clock ---------------------------------------------------------------

# Engagement: a click or an open this recent ranks a lead first; a lead that has received
# e-mails for this long, and opened or clicked none of them, is cold.
RECENT_DAYS = 30
COLD_DAYS = 182
ENGAGEMENT_DAYS = 90  # the window of ``opens_90d``
_NEVER = -(1 << 62)  # sorts before any time, like datetime.min
_WEEK = 7 * DAY_US
_UNSET: Any = object()


# ---- outputs --------------------------------------------------------------------------


class Warmth:
    """How a lead's newsletter engagement ranks its suggestion: higher is asked first."""

    COLD = -1  # months of e-mails, none opened: asked last
    NONE = 0  # no engagement imported, or none lately
    OPENED = 1  # opened an e-mail in the last RECENT_DAYS
    CLICKED = 2  # clicked a link in the last RECENT_DAYS

    # as the JSON output names them (``NONE`` has no name: null)
    NAMES: Mapping[int, str] = {COLD: "cold", OPENED: "opened", CLICKED: "clicked"}


class Suggestion:
    """The next small ask for a lead (immutable).

    The step, offer, due date, score and rule are decided up front; the subject, body,
    reason and summary are worded on first read (Today ranks 100,000 leads and shows a
    screenful), always to the same text for the same input.
    """

    __slots__ = (
        "_body",
        "_engagement",
        "_fields",
        "_reason",
        "_recipe",
        "_subject",
        "_summary",
        "_unfilled",
        "due_us",
        "offer",
        "rule",
        "score",
        "step",
        "step_label",
        "warmth",
    )
    # set when first read, from the recipe (which is then let go)
    _subject: str
    _body: str
    _reason: str
    _summary: str
    _engagement: str
    _fields: Mapping[str, str]
    _unfilled: tuple[str, ...]

    def __init__(
        self,
        step: str,
        step_label: str,
        offer: str | None,
        due_us: int,
        score: float,
        rule: str,
        recipe: tuple[Any, ...],
        warmth: int = Warmth.NONE,
    ) -> None:
        self.step = step
        self.step_label = step_label
        self.offer = offer
        self.due_us = due_us
        self.score = score
        self.rule = rule
        # ranks the suggestion (Today sorts by it before the score); a ``Warmth`` value
        self.warmth = warmth
        self._recipe: tuple[Any, ...] | None = recipe

    @property
    def due(self) -> dt.datetime:
        return from_us(self.due_us)

    def _worded(self) -> Suggestion:
        recipe = self._recipe
        if recipe is not None:
            (
                self._subject,
                self._body,
                self._reason,
                self._summary,
                self._engagement,
                self._fields,
                self._unfilled,
            ) = _words(self, recipe)
            self._recipe = None
        return self

    @property
    def subject(self) -> str:
        return self._worded()._subject

    @property
    def body(self) -> str:
        return self._worded()._body

    @property
    def reason(self) -> str:
        return self._worded()._reason

    @property
    def summary(self) -> str:
        """One line for lists: the rule, the last yes, the last ask."""
        return self._worded()._summary

    @property
    def engagement(self) -> str:
        """A few words on the newsletter engagement that ranked it ("Cold: asked last",
        "Clicked 2 days ago"), or "" when it has none to show."""
        return self._worded()._engagement

    @property
    def message(self) -> str:
        return f"{self.subject}\n\n{self.body}"

    @property
    def fields(self) -> Mapping[str, str]:
        """The values its message was filled from (``first_name``, ``offer``, ``offer_link``
        and the lead's custom fields), to preview another template for the same lead."""
        return self._worded()._fields

    @property
    def unfilled(self) -> tuple[str, ...]:
        """The placeholders its message leaves as written, for want of a value ("offer"
        when no offer is set up)."""
        return self._worded()._unfilled

    @property
    def ask_name(self) -> str:
        """The ask as a list names it: "Invite to download the Focus workbook"."""
        return ask_name(self.step, self.step_label, self.offer, self.rule)

    @property
    def group(self) -> str:
        """The key of the ask it is, shared by every lead asked the same: "downloaded|Focus
        workbook" (``crm.asking.naming.group_key``)."""
        return group_key(self.step, self.offer, self.rule)

    @property
    def ask_label(self) -> str:
        """What the ask is for: the step's label, or for a customer what the ask after the
        sale is ("How it went", "Referral", "Next product")."""
        return CUSTOMER_ASKS.get(self.rule, self.step_label)

    def _key(self) -> tuple[Any, ...]:
        return (
            self.step,
            self.step_label,
            self.offer,
            self.due_us,
            self.score,
            self.rule,
            self.warmth,
        )

    def _texts(self) -> tuple[str, str, str, str, str]:
        return self.subject, self.body, self.reason, self.summary, self.engagement

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Suggestion):
            return NotImplemented
        return self._key() == other._key() and self._texts() == other._texts()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Suggestion(step={self.step!r}, offer={self.offer!r}, due={self.due!r}, "
            f"score={self.score!r}, rule={self.rule!r}, warmth={self.warmth!r}, "
            f"reason={self.reason!r})"
        )


@dataclass(frozen=True, slots=True)
class NoSuggestion:
    reason: str
    rule: str
    until: dt.datetime | None = None  # when the block lifts, if it does on its own


Result = Suggestion | NoSuggestion


# ---- wording --------------------------------------------------------------------------


def ago(then: dt.datetime, now: dt.datetime) -> str:
    """'today', '1 day ago', '12 days ago' (or 'in 3 days' for a future time)."""
    return _ago(to_us(then), to_us(now))


def _month(when: int, now: int) -> str:
    """'May' within the last year, else 'May 2024'."""
    day = from_us(when)
    return f"{day:%B}" if now - when < 365 * DAY_US else f"{day:%B %Y}"


def _percent(rate: float) -> str:
    return f"{round(rate * 100)}%"


# ---- the engine -----------------------------------------------------------------------


def smoothed_rate(accepted: int, answered: int, pacing: Pacing) -> float:
    """The owner's acceptance rate blended with the assumed one until ``trust_count``
    answers are in: the score a step gets, and what the stored evidence is compared by."""
    trust = min(answered / pacing.trust_count, 1.0) if pacing.trust_count else 1.0
    own = accepted / answered if answered else 0.0
    return round(trust * own + (1 - trust) * pacing.prior, 4)


class Score(NamedTuple):
    """A step's smoothed acceptance rate, and the words for the evidence behind it."""

    value: float
    evidence: str


class Prepared:
    """The ladder, offers, pacing and evidence, indexed once for many leads."""

    def __init__(
        self,
        ladder: tuple[LadderStep, ...] | list[LadderStep],
        offers: Mapping[int, OfferInfo],
        pacing: Pacing,
        evidence: Evidence,
    ) -> None:
        self.ladder = tuple(sorted(ladder, key=lambda s: (s.level, s.key)))
        self.steps = {s.key: s for s in self.ladder}
        self.level_of = {s.key: s.level for s in self.ladder}
        self.top = max((s.level for s in self.ladder), default=0)
        self.subscribe = self.steps.get(SUBSCRIBE_KEY)
        self.offers = offers
        self.live = sorted(
            (o for o in offers.values() if not o.retired), key=lambda o: (o.name.casefold(), o.id)
        )
        # what a customer is asked after a sale; the free offers are the rest, the only
        # ones a step that takes offers gives away
        self.customers = CustomerBook(self.steps, offers, self.live, pacing.customer_cooling_days)
        self.free = [
            o for o in self.live if not o.for_sale and o.id not in self.customers.referrals
        ]
        self.pacing = pacing
        self.evidence = evidence
        self.follow_up = _days_us(pacing.follow_up_days)
        self.cooldown = _days_us(pacing.cooldown_days)
        self.backoff = _days_us(pacing.decline_backoff_days)
        self.pause = _days_us(pacing.unanswered_pause_days)
        self.warm_min = _days_us(pacing.warm_min_days)
        self.warm_max = _days_us(pacing.warm_max_days)
        self.uses_offer = {s.key: names_offer(s.ask_subject, s.ask_body) for s in self.ladder}
        # offers used at each step; a step where any live offer was used "takes" offers
        self.used_at: dict[str, frozenset[int]] = {
            s.key: frozenset(o.id for o in self.live if s.key in evidence.offer_steps.get(o.id, ()))
            for s in self.ladder
        }
        self.unused = frozenset(o.id for o in self.live if not evidence.offer_steps.get(o.id))
        self.offer_steps_at: dict[int, tuple[LadderStep, ...]] = {}
        for s in self.ladder:
            if self.uses_offer[s.key]:
                self.offer_steps_at[s.level] = (*self.offer_steps_at.get(s.level, ()), s)
        # per level where a lead can stall, the days past which it has: rule 5 is skipped
        # at once at any other level
        self.stall_after: dict[int, float] = {
            level: pacing.stall_factor * median
            for level, median in evidence.median_days.items()
            if median > 0 and level in self.offer_steps_at
        }
        self._windows: dict[int, tuple[LadderStep, ...]] = {}
        self._scores: dict[tuple[int, str], Score] = {}
        self._choices: dict[tuple[Any, ...], Any] = {}
        self.offer_choices: dict[tuple[Any, ...], OfferInfo | None] = {}

    def window(self, level: int) -> tuple[LadderStep, ...]:
        """Steps at most two levels up; a major step only from the step just below it."""
        found = self._windows.get(level)
        if found is None:
            out = []
            for step in self.ladder:
                if not level < step.level <= level + 2:
                    continue
                if step.major:
                    below = max((s.level for s in self.ladder if s.level < step.level), default=0)
                    if level < below:
                        continue
                out.append(step)
            found = self._windows[level] = tuple(out)
        return found

    def score(self, from_level: int, step: LadderStep) -> Score:
        """The smoothed acceptance rate and the words for the evidence behind it."""
        key = (from_level, step.key)
        found = self._scores.get(key)
        if found is None:
            found = self._scores[key] = self._compute_score(from_level, step)
        return found

    def best_by_evidence(
        self, level: int, candidates: Sequence[LadderStep]
    ) -> tuple[list[tuple[float, LadderStep]], float, LadderStep]:
        """The candidates' scores, the best score, and the step chosen: the smallest step
        whose score is close enough to the best (the same for every lead at ``level`` with
        the same candidates, so it is worked out once)."""
        # the whole window (most leads) is known by its level alone
        whole = candidates is self._windows.get(level)
        key: Any = level if whole else (level, *(s.key for s in candidates))
        found = self._choices.get(key)
        if found is None:
            scored = [(self.score(level, s).value, s) for s in candidates]
            best = max(score for score, _ in scored)
            step = next(s for sc, s in scored if sc >= best - self.pacing.close_scores)
            found = self._choices[key] = (scored, best, step)
        return found

    def _compute_score(self, from_level: int, step: LadderStep) -> Score:
        pacing = self.pacing
        accepted, answered = self.evidence.rates.get((from_level, step.key), (0, 0))
        score = smoothed_rate(accepted, answered, pacing)
        if answered == 0:
            return Score(
                score,
                f"No answered asks for this yet, so the score is the assumed rate "
                f"({_percent(pacing.prior)}).",
            )
        below = [s for s in self.ladder if s.level == from_level]
        who = f"leads who {below[0].label.lower()}" if below else "new leads"
        text = f"{accepted:,} of {answered:,} {who} {step.label.lower()} when asked"
        if answered < pacing.trust_count:
            text += (
                f" (fewer than {pacing.trust_count} answers, so blended with the assumed "
                f"{_percent(pacing.prior)})"
            )
        return Score(score, text + ".")


def _ask_order(a: PastAsk) -> tuple[int, str, str, int, int]:
    """A total order on asks, so the order rows arrive in never changes the answer. Asks
    tied up to the resolved time differ in nothing an answer is made of."""
    resolved = _NEVER if a.resolved_at is None else a.resolved_at
    return (a.asked_at, a.step, a.outcome, a.offer_id or 0, resolved)


def _scan_asks(
    asks: tuple[PastAsk, ...], now: int, prep: Prepared
) -> tuple[PastAsk, int, list[PastAsk], int, PastAsk | None, set[str]]:
    """The asks, read in one pass: the latest (``max(asks, key=_ask_order)``, the order's
    keys built only on a tie of times) and when it was made; those waiting for an answer;
    how many went unanswered (no answer, or pending past the follow-up); the latest "not
    now" within the back-off (None: none); and the steps declined twice."""
    follow_up, backoff = prep.follow_up, prep.backoff
    latest = asks[0]
    latest_at = latest.asked_at
    waiting: list[PastAsk] = []
    unanswered = 0
    recent: PastAsk | None = None
    declines: dict[str, int] = {}
    for a in asks:
        asked_at = a.asked_at
        if asked_at > latest_at or (
            asked_at == latest_at and a is not latest and _ask_order(a) > _ask_order(latest)
        ):
            latest, latest_at = a, asked_at
        outcome = a.outcome
        if outcome == "pending":
            if now - asked_at < follow_up:
                waiting.append(a)
            else:
                unanswered += 1
        elif outcome == "no_response":
            unanswered += 1
        elif outcome == "declined":
            key = a.step
            declines[key] = declines.get(key, 0) + 1
            when = _answered_at(a)
            if now - when < backoff and (
                recent is None
                or (when, *_ask_order(a)) > (_answered_at(recent), *_ask_order(recent))
            ):
                recent = a
    # most leads never declined
    twice = {k for k, n in declines.items() if n >= 2} if declines else set()
    return latest, latest_at, waiting, unanswered, recent, twice


def _answered_at(a: PastAsk) -> int:
    resolved = a.resolved_at
    return a.asked_at if resolved is None else resolved


@dataclass(slots=True)
class _Ctx:
    prep: Prepared
    now: int
    lead: LeadFacts
    tags: frozenset[str]
    yeses: tuple[PastYes, ...]
    asks: tuple[PastAsk, ...]
    level: int
    last_yes: PastYes | None
    last_yes_at: int  # its time, read once (``_NEVER`` without a yes)
    last_ask: PastAsk | None
    last_ask_at: int
    engagement: LeadEngagement | None = None
    warmth: int = Warmth.NONE


def _history_words(ctx: _Ctx, rule: str) -> tuple[str, str]:
    """The sentence about the last yes and the last ask, and its one-line form."""
    prep = ctx.prep
    last_yes = ctx.last_yes
    if last_yes is not None:
        key, offer_id = last_yes.step, last_yes.offer_id
        step = prep.steps.get(key)
        label = step.label.lower() if step else key
        offer = prep.offers.get(offer_id) if offer_id else None
        what = f"{label} ({offer.name})" if offer else label
        when = _ago(ctx.last_yes_at, ctx.now)
        first = f"Builds on their last yes: {what}, {when}."
        short = f"{rule.capitalize()} · yes: {what}, {when}"
    else:
        first = "No yes recorded yet."
        short = f"{rule.capitalize()} · no yes yet"
    if ctx.last_ask is not None:
        asked = _ago(ctx.last_ask_at, ctx.now)
        return f"{first} Last asked {asked}.", f"{short} · asked {asked}"
    return f"{first} Never asked before.", f"{short} · never asked"


def _words(
    s: Suggestion, recipe: tuple[Any, ...]
) -> tuple[str, str, str, str, str, Mapping[str, str], tuple[str, ...]]:
    """A suggestion's subject, body, reason, summary and engagement words, the values its
    message was filled from, and the placeholders it left as written."""
    ctx, step, why, evidence, subject, body, offer = recipe
    link = offer.link if offer is not None else ""
    fields = lead_fields(ctx.lead.first_name, s.offer, link, ctx.lead.custom)
    message = render_message(
        subject if subject is not None else step.ask_subject,
        body if body is not None else step.ask_body,
        fields,
    )
    history, summary = _history_words(ctx, s.rule)
    why_text = why if isinstance(why, str) else why()
    reason = f"{why_text} {history} {evidence}"
    badge = ""
    if ctx.engagement is not None:
        badge, sentence = _engagement_words(ctx, said_by_why=s.rule == Rule.WARM)
        if ctx.warmth == Warmth.COLD:
            reason = f"{sentence} {reason}"
        elif sentence:
            reason = f"{why_text} {sentence} {history} {evidence}"
    if OFFER in message.unfilled:
        reason += " " + (NO_OFFER_LEFT if ctx.prep.free else NO_OFFER_YET)
    elif OFFER_LINK in message.unfilled:
        reason += (
            f" '{s.offer}' has no link yet: add it (the offer's links) and the message "
            "points to it."
        )
    return (
        message.subject,
        message.body,
        reason,
        summary,
        badge,
        fields,
        message.unfilled,
    )


# ---- engagement -----------------------------------------------------------------------


def _warmth(ctx: _Ctx) -> int:
    """The lead's ``Warmth``, from its engagement and its yeses."""
    e = ctx.engagement
    if e is None:
        return Warmth.NONE
    recent = ctx.now - RECENT_DAYS * DAY_US
    if e.last_clicked is not None and e.last_clicked >= recent:
        return Warmth.CLICKED
    if e.last_opened is not None and e.last_opened >= recent:
        return Warmth.OPENED
    return Warmth.COLD if _is_cold(ctx, e) else Warmth.NONE


def _last_engaged(e: LeadEngagement) -> int:
    return max(
        _NEVER if e.last_opened is None else e.last_opened,
        _NEVER if e.last_clicked is None else e.last_clicked,
    )


def _is_cold(ctx: _Ctx, e: LeadEngagement) -> bool:
    """COLD_DAYS or more of e-mails received since the lead last opened or clicked one (or
    since the first, if it never did), and no other yes meanwhile (a reply, a form)."""
    window = ctx.now - COLD_DAYS * DAY_US
    engaged = _last_engaged(e)
    if engaged >= window:
        return False
    # the subscription is left out: an import dates it at the import when the file has no date
    if any(y.at >= window and y.step != SUBSCRIBE_KEY for y in ctx.yeses):
        return False
    # Unopened deliveries say since when e-mails arrived unopened; without them (Mailchimp
    # exports none) the last open does, and a lead never seen opening has no evidence.
    since = e.unopened_since if e.unopened else engaged
    if since is None or since == _NEVER:
        return False
    # The e-mails went on arriving until the newest one any lead got: the newsletter still
    # goes out to those who do not open it.
    newest = ctx.prep.evidence.newest_email
    until = max(newest if newest is not None else _NEVER, e.unopened_until or _NEVER)
    return until - since >= COLD_DAYS * DAY_US


def _clicked_words(ctx: _Ctx, at: int) -> str:
    """'clicked your 'Pricing guide' link 2 days ago': a click on an offer's link is a yes
    on that offer at the click's time; another click names its link."""
    offer = next(
        (ctx.prep.offers.get(y.offer_id) for y in ctx.yeses if y.at == at and y.offer_id),
        None,
    )
    e = ctx.engagement
    if offer is not None:
        where = f"your '{offer.name}' link"
    elif e is not None and e.last_clicked == at and e.last_click_url:
        where = f"your link to {short_url(e.last_click_url)}"
    else:
        where = "a link in your e-mail"
    return f"clicked {where} {_ago(at, ctx.now)}"


def short_url(url: str, width: int = 48) -> str:
    """A link as a reader names it: 'example.com/blog/pricing' (no scheme, 'www.', query
    or fragment), cut to ``width`` characters."""
    parts = urlsplit(url.strip())
    host = parts.netloc.rpartition("@")[2].removeprefix("www.")
    text = (host + parts.path.rstrip("/")) if host else url.strip()
    return text if len(text) <= width else text[: width - 1] + "…"


def _opened_words(ctx: _Ctx, e: LeadEngagement) -> str:
    assert e.last_opened is not None
    when = _ago(e.last_opened, ctx.now)
    if e.opens_90d <= 1:
        return f"opened your e-mail {when}"
    return (
        f"opened your e-mails {e.opens_90d} times in the last {ENGAGEMENT_DAYS} days, "
        f"most recently {when}"
    )


def _cold_words(ctx: _Ctx, e: LeadEngagement) -> str:
    if e.unopened:
        assert e.unopened_since is not None
        since = _month(e.unopened_since, ctx.now)
        emails = f"{e.unopened} e-mail{'s' if e.unopened != 1 else ''}"
        return f"Cold: hasn't opened any of your {emails} since {since}: asked last."
    since = _month(_last_engaged(e), ctx.now)
    return f"Cold: hasn't opened any of your e-mails since {since}: asked last."


def _engagement_words(ctx: _Ctx, *, said_by_why: bool) -> tuple[str, str]:
    """The badge ("Cold: asked last", "Clicked 2 days ago") and the reason's sentence on
    the engagement. ``said_by_why``: the strike-while-warm reason already names the last
    yes, so a click that is that yes is not said twice."""
    e = ctx.engagement
    assert e is not None
    warmth = ctx.warmth
    if warmth == Warmth.COLD:
        return "Cold: asked last", _cold_words(ctx, e)
    parts: list[str] = []
    badge = ""
    if warmth == Warmth.CLICKED:
        assert e.last_clicked is not None
        badge = f"Clicked {_ago(e.last_clicked, ctx.now)}"
        if not (said_by_why and ctx.last_yes_at == e.last_clicked):
            parts.append(_clicked_words(ctx, e.last_clicked))
    if e.last_opened is not None and e.last_opened >= ctx.now - RECENT_DAYS * DAY_US:
        if not badge:
            badge = f"Opened {_ago(e.last_opened, ctx.now)}"
        parts.append(_opened_words(ctx, e))
    if not parts:
        return badge, ""
    text = " and ".join(parts)
    return badge, f"Warm: {text}."


def _choose_offer(ctx: _Ctx, step: LadderStep, warm: bool, stalled: bool) -> OfferInfo | None:
    """The offer an ask for ``step`` should be about, or None when its template has none.

    At steps where offers are taken (a guide downloaded, a quiz answered), a new offer
    matching the lead's tags and past offers; at other steps (a follow-up), the offer the
    lead last said yes to, so the ask builds on it. Declined offers need no check: a lead
    who said "not now" within the back-off is not asked at all.
    """
    prep = ctx.prep
    if not prep.uses_offer[step.key]:
        return None
    # the lead's offers, the one of its latest yes that came with an offer, and the
    # offers it already took at this step
    key_here = step.key
    mine: set[int] = set()
    taken: list[int] = []
    last_key: tuple[int, str, int] | None = None
    last_id = 0
    for c in ctx.yeses:
        offer_id = c.offer_id
        if offer_id:
            mine.add(offer_id)
            step_key = c.step
            if step_key == key_here:
                taken.append(offer_id)
            key = (c.at, step_key, offer_id)
            if last_key is None or key > last_key:
                last_key, last_id = key, offer_id
    used_here = prep.used_at[key_here]
    last_offer = prep.offers.get(last_id) if last_key is not None else None
    if not used_here and not stalled and last_offer is not None:
        return last_offer
    taken_here = frozenset(taken)
    quiz = warm and last_offer is not None and last_offer.kind in ("quiz", "survey")
    # many leads share these inputs: the choice is worked out once per combination
    choice: tuple[Any, ...] = (
        key_here,
        stalled,
        last_offer if quiz else None,
        frozenset(mine),
        taken_here,
    )
    choice += (None,) if quiz else (ctx.tags,)
    found = prep.offer_choices.get(choice, _UNSET)
    if found is _UNSET:
        found = prep.offer_choices[choice] = _pick_offer(
            prep, step, last_offer if quiz else None, ctx.tags, mine, taken_here, stalled
        )
    return found


def _pick_offer(
    prep: Prepared,
    step: LadderStep,
    quiz: OfferInfo | None,
    tags: frozenset[str],
    mine: set[int],
    taken_here: frozenset[int],
    stalled: bool,
) -> OfferInfo | None:
    if quiz is not None:
        # answered a quiz: the offer matching their answer, i.e. the quiz's topics
        profile = set(quiz.topics)
    else:
        profile = {t.casefold() for t in tags}
        for offer_id in mine:
            offer = prep.offers.get(offer_id)
            if offer is not None:
                profile |= offer.topics
    used_here = prep.used_at[step.key]
    # products are sold and referrals asked for: neither is given away at a step
    choices = [o for o in prep.free if o.id not in taken_here]
    if used_here:
        choices = [o for o in choices if o.id in used_here] or [
            o for o in choices if o.id in prep.unused
        ]
    if stalled:
        choices = [o for o in choices if o.id not in mine]
    if not choices:
        return None
    # prep.live is sorted by name, so min keeps the first of equal matches
    return min(choices, key=lambda o: -len(o.topics & profile))


def _suggestion(
    ctx: _Ctx,
    step: LadderStep,
    offer: OfferInfo | None,
    due: int,
    rule: str,
    why: str | Callable[[], str],
    *,
    subject: str | None = None,
    body: str | None = None,
) -> Suggestion:
    # The score stays the owner's own acceptance rate for the step (smoothed toward the
    # prior): no answered ask has yet measured how much an open or a click adds, so
    # engagement moves the lead's rank (``warmth``) and its reason, never its score.
    score = ctx.prep.score(ctx.level, step)
    return Suggestion(
        step.key,
        step.label,
        offer.name if offer else None,
        due,
        score.value,
        rule,
        (ctx, step, why, score.evidence, subject, body, offer),
        ctx.warmth,
    )


def _hard_stop(ctx: _Ctx, waiting: list[PastAsk], unanswered: int) -> NoSuggestion | None:
    """The hard stops of rule 1 but declines (a declined step leaves the others to ask);
    ``waiting`` and ``unanswered`` as ``_scan_asks`` finds them."""
    lead, now, prep = ctx.lead, ctx.now, ctx.prep
    pacing = prep.pacing
    status = lead.status
    if status not in ACTIVE_STATUSES:
        words = _STATUS_WORDS.get(status, f"Status is '{status}'")
        return NoSuggestion(f"{words}: Smallyes suggests no asks to this lead.", Rule.SUPPRESSED)
    if lead.do_not_contact:
        return NoSuggestion(
            "Marked do not contact: Smallyes suggests no asks to this lead.", Rule.DO_NOT_CONTACT
        )
    snoozed_until = lead.snoozed_until
    if snoozed_until is not None and snoozed_until > now:
        verb = "Skipped" if lead.snooze_kind == "skip" else "Snoozed"
        return NoSuggestion(
            f"{verb} until {_date(snoozed_until)}.", Rule.SNOOZED, from_us(snoozed_until)
        )
    asks = ctx.asks
    if not asks:
        return None
    follow_up = prep.follow_up
    if waiting:
        ask = max(waiting, key=_ask_order)
        step = prep.steps.get(ask.step)
        offer = prep.offers.get(ask.offer_id) if ask.offer_id else None
        # Step labels are the owner's words, often past tense ("Replied"): quoted as names.
        what = (step.label if step else ask.step) + (f" — {offer.name}" if offer else "")
        until = ask.asked_at + follow_up
        return NoSuggestion(
            f'Waiting for an answer to your ask "{what}" made {_ago(ask.asked_at, now)}; '
            f"it counts as unanswered after {_date(until)}.",
            Rule.PENDING,
            from_us(until),
        )
    last = ctx.last_ask_at
    if ctx.last_ask is not None and now - last < prep.cooldown:
        until = last + prep.cooldown
        return NoSuggestion(
            f"Asked {_ago(last, now)}: asks are at least {pacing.cooldown_days} days "
            f"apart, so the next one can wait until {_date(until)}.",
            Rule.COOLDOWN,
            from_us(until),
        )
    # the owner's cap of asks to one lead in any 7 days (campaigns count as asks too)
    cap = pacing.weekly_cap
    if len(asks) >= cap:
        week = sorted(a.asked_at for a in asks if now - a.asked_at < _WEEK)
        if len(week) >= cap:
            until = week[-cap] + _WEEK
            return NoSuggestion(
                f"Asked {len(week)} times in the last 7 days, the most you allow in a week: "
                f"the next ask can wait until {_date(until)}.",
                Rule.WEEKLY_CAP,
                from_us(until),
            )
    # that many unanswered asks in a row
    limit = pacing.unanswered_limit
    if len(asks) >= limit and unanswered >= limit:
        recent = sorted(asks, key=_ask_order)[-limit:]
        if all(
            a.outcome == "no_response" or (a.outcome == "pending" and now - a.asked_at >= follow_up)
            for a in recent
        ):
            latest = recent[-1].asked_at
            answered_since = ctx.last_yes is not None and ctx.last_yes_at > latest
            until = latest + prep.pause
            if not answered_since and now < until:
                return NoSuggestion(
                    f"The last {limit} asks went unanswered (the latest {_ago(latest, now)}): "
                    f"pausing asks until {_date(until)}.",
                    Rule.UNANSWERED,
                    from_us(until),
                )
    return None


def _base_due(ctx: _Ctx) -> int:
    """The earliest a new ask is appropriate: after the cooldown and the first warm day."""
    prep = ctx.prep
    if ctx.last_ask is None:
        return ctx.last_yes_at + prep.warm_min if ctx.last_yes is not None else ctx.now
    after_ask = ctx.last_ask_at + prep.cooldown
    if ctx.last_yes is None:
        return after_ask
    return max(after_ask, ctx.last_yes_at + prep.warm_min)


def _not_opted_in(ctx: _Ctx) -> Result:
    """A lead who never opted in, or has not confirmed: one invitation, nothing bigger."""
    step = ctx.prep.subscribe
    pending = ctx.lead.status == "pending"
    if step is None:
        return NoSuggestion(
            "Not subscribed, and the ladder has no subscribe step to invite them to.",
            Rule.INVITED_ONCE,
        )
    invited = [a.asked_at for a in ctx.asks if a.step == SUBSCRIBE_KEY]
    if invited:
        first = min(invited)
        verb = "Reminded to confirm" if pending else "Invited to subscribe"
        return NoSuggestion(
            f"{verb} {_ago(first, ctx.now)} ({_date(first)}): a lead who has not opted in is "
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
    lead: LeadFacts,
    tags: frozenset[str],
    yeses: tuple[PastYes, ...],
    asks: tuple[PastAsk, ...],
    prep: Prepared,
    now: int,
    engagement: LeadEngagement | None = None,
) -> Result:
    """The next small ask for one lead, or why there is none right now.

    ``tags`` are the lead's tag names, case-folded; times, ``now`` included, are
    microseconds since 1970 (``to_us``); rows may come in any order. ``engagement`` (the
    lead's opens, clicks and deliveries; ``None`` when none were imported) ranks the
    suggestion and is named in its reason.
    """
    level_of = prep.level_of
    level = 0
    last_yes: PastYes | None = None
    last_key: tuple[int, int, int] | None = None
    last_at = _NEVER
    reached: int | None = None  # when the lead first said yes at its level
    for c in yeses:
        lv = level_of.get(c.step)
        if lv is None:
            continue  # a step no longer on the ladder
        at = c.at
        if lv > level:
            level, reached = lv, at
        elif lv == level and (reached is None or at < reached):
            reached = at
        # the latest yes, ties broken by level, then offer (tuples only on a tie)
        if last_yes is None or at > last_at:
            last_at, last_yes, last_key = at, c, None
        elif at == last_at:
            if last_key is None:
                last_key = (at, level_of[last_yes.step], last_yes.offer_id or 0)
            key = (at, lv, c.offer_id or 0)
            if key > last_key:
                last_key, last_yes = key, c
    last_ask: PastAsk | None
    waiting: list[PastAsk]
    declined: PastAsk | None
    declined_twice: set[str]
    if asks:
        last_ask, last_ask_at, waiting, unanswered, declined, declined_twice = _scan_asks(
            asks, now, prep
        )
    else:
        last_ask, last_ask_at, waiting, unanswered = None, _NEVER, [], 0
        declined, declined_twice = None, set()
    ctx = _Ctx(
        prep, now, lead, tags, yeses, asks, level, last_yes, last_at, last_ask, last_ask_at,
        engagement,
    )  # fmt: skip

    # 1. hard stops
    stop = _hard_stop(ctx, waiting, unanswered)
    if stop is not None:
        return stop
    if declined is not None:
        return _declined_stop(ctx, declined)
    if engagement is not None:
        ctx.warmth = _warmth(ctx)
    if lead.status != "subscribed":
        return _not_opted_in(ctx)
    if prep.subscribe is not None and ctx.level < prep.subscribe.level:
        ctx.level = prep.subscribe.level  # a subscriber is at least at the subscribe step

    # a customer: the asks after a sale, inside its cooling period none to buy again
    purchased = prep.customers.purchased
    if purchased is not None and ctx.level == purchased.level:
        plan = after_sale(
            prep.customers,
            yeses,
            asks,
            tags,
            now,
            declined_twice,
            at_top=ctx.level >= prep.top,
        )
        if plan is not None:
            return _after_sale(ctx, plan)

    # 2. one step, not a leap
    if ctx.level >= prep.top:
        return NoSuggestion(
            "At the top of the ladder already: no bigger ask to suggest. Thank them, or log a "
            "new yes by hand.",
            Rule.TOP,
        )
    excluded: list[str] = []
    window = prep.window(ctx.level)
    candidates: Sequence[LadderStep]
    if not declined_twice:
        candidates = window
    else:
        allowed: list[LadderStep] = []
        for step in window:
            if step.key in declined_twice:
                excluded.append(f'said "not now" twice to "{ask_name(step.key, step.label, None)}"')
            else:
                allowed.append(step)
        candidates = allowed

    # 5. stalled: a different ask at the same level, rather than a bigger one
    # a subscriber lifted to the subscribe step has no yes at that level: not stalled there
    stalled_ask = (
        _stalled(ctx, reached, declined_twice)
        if reached is not None and ctx.level == level
        else None
    )
    if stalled_ask is not None:
        return stalled_ask

    if not candidates:
        return NoSuggestion(
            "Nothing small enough to ask next: " + "; ".join(excluded or ["no step above"]) + ".",
            Rule.DECLINED,
        )
    due = _base_due(ctx)

    # 3. strike while warm: the smallest next step, building on the fresh yes
    if last_yes is not None and now - last_at <= prep.warm_max:
        step = candidates[0]
        offer = _choose_offer(ctx, step, warm=True, stalled=False)
        return _suggestion(ctx, step, offer, due, Rule.WARM, partial(_warm_why, ctx, due))

    # 4. choose by evidence, preferring the smaller step when scores are close
    scored, best, step = prep.best_by_evidence(ctx.level, candidates)
    offer = _choose_offer(ctx, step, False, False)
    return _suggestion(
        ctx, step, offer, due, Rule.EVIDENCE, lambda: _evidence_why(scored, step, best, excluded)
    )


def _declined_stop(ctx: _Ctx, ask: PastAsk) -> NoSuggestion:
    """A "not now" holds back every ask to the lead, whatever step it was to, for the
    back-off: pressing on with another ask would not respect the answer."""
    prep = ctx.prep
    said = _answered_at(ask)
    until = said + prep.backoff
    step = prep.steps.get(ask.step)
    offer = prep.offers.get(ask.offer_id) if ask.offer_id else None
    rule = ""
    if offer is not None and offer.referral:
        rule = Rule.REFERRAL
    elif offer is not None and offer.for_sale and ask.step == REPLIED_KEY:
        rule = Rule.HOW_IT_WENT  # a reply about a product bought: how it went
    what = ask_name(ask.step, step.label if step else ask.step, offer.name if offer else None, rule)
    return NoSuggestion(
        f'Said "not now" {_ago(said, ctx.now)} to "{what}": after a "not now" no ask goes to '
        f"them for {prep.pacing.decline_backoff_days} days, so the next one waits until "
        f"{_date(until)}.",
        Rule.DECLINED,
        from_us(until),
    )


def _after_sale(ctx: _Ctx, plan: AfterSale) -> Result:
    """A customer's ask as a suggestion, or why there is none."""
    if plan.step is None:
        return NoSuggestion(plan.why, plan.rule, None if plan.at is None else from_us(plan.at))
    due = _base_due(ctx) if plan.at is None else max(_base_due(ctx), plan.at)
    return _suggestion(
        ctx, plan.step, plan.offer, due, plan.rule, plan.why, subject=plan.subject, body=plan.body
    )


def _warm_why(ctx: _Ctx, due: int) -> str:
    said = ctx.last_yes_at
    e = ctx.engagement
    what = (
        _clicked_words(ctx, said)
        if e is not None and e.last_clicked == said
        else f"said yes {_ago(said, ctx.now)}"
    )
    if due > ctx.now:
        # the warm window opens a little after the yes (pacing's warm minimum): say when
        return (
            f"Strike while warm: they {what}, so the ask that builds on it is best made from "
            f"{_date(due)}, while it is fresh."
        )
    return f"Strike while warm: they {what}, so now is the time for the ask that builds on it."


def _evidence_why(
    scored: list[tuple[float, LadderStep]], step: LadderStep, best: float, excluded: list[str]
) -> str:
    score = next(sc for sc, s in scored if s is step)
    others = [f"{s.label.lower()} {_percent(sc)}" for sc, s in scored if s is not step]
    why = f"Best evidence: {step.label.lower()} scores {_percent(score)}"
    why += f" (vs {', '.join(others)})." if others else "."
    if score < best:
        why += " Close enough to the best, so the smaller step wins."
    if excluded:
        why += " Left out: " + "; ".join(excluded) + "."
    return why


def _stalled(ctx: _Ctx, reached: int, declined_twice: set[str]) -> Suggestion | None:
    """A different ask at the lead's level, when it has been there (since ``reached``) for
    more than the stall factor times the median."""
    prep = ctx.prep
    # none without a median, nor without another offer at a step of that level (a
    # different ask at the same level)
    stall_after = prep.stall_after.get(ctx.level)
    if stall_after is None:
        return None
    # as timedelta.total_seconds() / 86400, to the last bit
    days_here = (ctx.now - reached) / 1_000_000 / 86400
    if days_here <= stall_after:
        return None
    median = prep.evidence.median_days[ctx.level]
    factor = prep.pacing.stall_factor
    for step in prep.offer_steps_at[ctx.level]:
        if step.key in declined_twice:
            continue
        offer = _choose_offer(ctx, step, warm=False, stalled=True)
        if offer is None:
            continue  # the same ask again would not be a different ask
        why = partial(_stalled_why, step.label.lower(), days_here, factor, median, offer.name)
        return _suggestion(ctx, step, offer, _base_due(ctx), Rule.STALLED, why)
    return None


def _stalled_why(label: str, days_here: float, factor: float, median: float, name: str) -> str:
    return (
        f"Stalled: at {label} for {int(days_here)} days, more than "
        f"{factor:g}x the usual {median:.0f} days, so a different ask at "
        f"the same level ({name}) rather than a bigger one."
    )
