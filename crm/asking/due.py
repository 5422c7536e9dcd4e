"""Today's asks: the engine run over every lead, with histories loaded set-wise.

A handful of queries load what the engine needs for a block of leads at once (never one
query per lead), each row made into the engine's own row (``LeadFacts``, ``PastYes``,
``PastAsk``) as it is fetched; blocks go by lead id, so the memory held stays that of one
block (and the leads' yes rows) whatever the number of leads. The evidence (acceptance
rates per level and step, the median time leads spend at each level, where offers are
used) comes from ``load_evidence``, once per call and before the blocks: the rates on a
second connection while the medians stream every lead's yeses, which Today keeps for the
engine. Each lead's newsletter engagement (``LeadEngagement``, from ``activity_event``) is
loaded on that second connection too, after the rates, for every lead at once: a few index
seeks per lead that SQLite runs while this connection streams the yeses. Today ranks the
warm first (a recent click, then recent opens) and the cold last, then by score. With a
limit only the best suggestions are kept, while every due lead is still counted. One lead's
suggestion (``suggest_for_lead``) is loaded and judged the same way. Snoozes and skips live
in ``suggestion_snooze``.

The due asks are also grouped by the ask they are (``AskGroup``: the step and the offer,
``crm.asking.naming.group_key``), each group with every due lead's id, best first, and
with ``per_group`` the best few of each as items. Groups come ordered by the yeses they are
likely to bring (the sum of their leads' scores, each an acceptance rate): one newsletter
ask to a group reaches all of it, so the group worth the most yeses comes first; with no
evidence yet every score is the same and that is simply the biggest group first.

The owner's daily limit of personal asks (``Pacing.daily_ask_limit``) is counted here too:
the asks recorded today by hand (``personal_asks_today``); ``AsksPage.personal_left`` says
how many more are suggested for personal asking today.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import sqlite3
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby, pairwise, repeat, starmap
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, TypeVar, cast

from peewee import OperationalError

from crm.asking import stored
from crm.asking.naming import VARIANTS, ask_name, group_key
from crm.asking.pacing import get_pacing
from crm.asking.suggest import (
    COLD_DAYS,
    DAY_US,
    ENGAGEMENT_DAYS,
    RECENT_DAYS,
    Evidence,
    LadderStep,
    LeadEngagement,
    LeadFacts,
    NoSuggestion,
    OfferInfo,
    PastAsk,
    PastYes,
    Prepared,
    Result,
    Suggestion,
    Warmth,
    suggest_next_ask,
    to_us,
)
from crm.asking.templates import link_address
from crm.book.interests import interest_topics_by_lead
from crm.changes import note
from crm.errors import NotFoundError, ValidationError
from crm.jobs import CancelToken, Progress, no_progress, paused_cycle_collection
from crm.store.db import checked_for_writes, close_thread_connection, writes_known_safe
from crm.store.models import database_proxy
from crm.store.paths import database_path
from crm.store.problems import is_disk_full
from crm.timefmt import iso


class TodayItem(NamedTuple):
    """One row of Today's asks: who, and the suggestion for them."""

    lead_id: int
    email: str
    name: str
    suggestion: Suggestion

    def to_json(self) -> dict[str, Any]:
        return suggestion_json(self.email, self.suggestion)


def suggestion_json(email: str, result: Result) -> dict[str, Any]:
    """The CLI's shape: step and friends are null when there is nothing to suggest.
    ``warmth`` ("clicked", "opened", "cold") and ``engagement`` (its words, "Clicked 2 days
    ago") are null for a lead whose newsletter engagement does not rank it. ``group`` is the
    ask's key ("downloaded|Focus workbook") and ``group_label`` its name ("Invite to download
    the Focus workbook")."""
    if isinstance(result, NoSuggestion):
        return {
            "email": email,
            "step": None,
            "offer": None,
            "due": None,
            "score": None,
            "reason": result.reason,
            "message": None,
            "warmth": None,
            "engagement": None,
            "group": None,
            "group_label": None,
        }
    return {
        "email": email,
        "step": result.step,
        "offer": result.offer,
        "due": iso(result.due),
        "score": result.score,
        "reason": result.reason,
        "message": result.message,
        "warmth": Warmth.NAMES.get(result.warmth),
        "engagement": result.engagement or None,
        "group": result.group,
        "group_label": result.ask_name,
    }


def _sql(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    return database_proxy.execute_sql(sql, params).fetchall()


def _load_ladder() -> tuple[LadderStep, ...]:
    return tuple(
        LadderStep(key, label, level, bool(major), subject, body)
        for key, label, level, major, subject, body in _sql(
            "SELECT key, label, level, major, ask_subject, ask_body FROM step ORDER BY level, id"
        )
    )


def _load_offers() -> dict[int, OfferInfo]:
    """Every offer, with the first link the owner gave it (the one its asks point to)."""
    return {
        oid: OfferInfo(
            oid,
            name,
            kind,
            frozenset(t.strip().casefold() for t in topics.split(",") if t.strip()),
            bool(retired),
            price,
            currency,
            link_address(prefix) if prefix else "",
        )
        for oid, name, kind, topics, retired, price, currency, prefix in _sql(
            "SELECT o.id, o.name, o.kind, o.topics, o.retired, o.price, o.currency, "
            "(SELECT l.prefix FROM offer_link l WHERE l.offer_id = o.id ORDER BY l.id LIMIT 1) "
            "FROM offer o"
        )
    }


# The level a lead was at when asked: the highest step it had said yes to before the ask.
# Grouped by step id (named in Python): grouping by the key's text costs a join per ask.
_RATES_SQL = """
SELECT coalesce((SELECT max(s2.level) FROM commitment c JOIN step s2 ON s2.id = c.step_id
                  WHERE c.lead_id = a.lead_id AND c.at < a.asked_at), 0) AS from_level,
       a.step_id, sum(a.outcome = 'accepted'), count(*)
  FROM ask a
 WHERE a.outcome != 'pending'
 GROUP BY from_level, a.step_id
"""

_OFFER_STEPS_SQL = """
SELECT DISTINCT x.offer_id, s.key FROM (
  SELECT offer_id, step_id FROM commitment WHERE offer_id IS NOT NULL
  UNION SELECT offer_id, step_id FROM ask WHERE offer_id IS NOT NULL
) x JOIN step s ON s.id = x.step_id
"""


_Row = TypeVar("_Row", LeadFacts, PastYes, PastAsk, LeadEngagement)


def _as_rows(row: type[_Row], raw: Iterable[tuple[Any, ...]]) -> Iterator[_Row]:
    """``map(row._make, raw)`` for query rows whose columns are ``row``'s fields in order,
    built in C: ``_make`` is a Python call per row and costs about twice as much."""
    # starmap over zip rather than a two-iterable map: zip hands over the same argument
    # tuple again and again, where map builds one per row
    made = starmap(tuple.__new__, zip(repeat(row), raw))  # noqa: RUF058
    return cast("Iterator[_Row]", made)


def _fetch(row: type[_Row], sql: str, params: Any) -> Iterator[_Row]:
    """The query's rows as ``row`` rows, each made as it is fetched."""
    return _as_rows(row, database_proxy.execute_sql(sql, params))


# groups yes and ask rows, which come ordered by lead id, per lead
_LEAD_ID = attrgetter("lead_id")


def median_days(
    yeses_by_lead: Mapping[int, Sequence[PastYes]], level_of: Mapping[str, int]
) -> dict[int, float]:
    """Per level, the median days leads took to move on from it (the middle value, or the
    mean of the two middle ones).

    A lead moves on from a level when it first reaches the next higher level it reached
    at all; the days count from when it first reached the level. Plain Python over rows
    already in memory: SQLite's window functions took twice as long for the same answer.
    """
    moves: dict[int, list[int]] = defaultdict(list)
    _add_moves(yeses_by_lead.values(), level_of, moves)
    return _medians(moves)


def _add_moves(
    histories: Iterable[Sequence[PastYes]],
    level_of: Mapping[str, int],
    moves: dict[int, list[int]],
) -> None:
    """Append to ``moves`` the time each lead took to move on from each level it left."""
    for yeses in histories:
        if len(yeses) < 2:
            continue
        reached: dict[int, int] = {}
        for yes in yeses:
            level = level_of.get(yes.step)
            if level is not None:
                at = yes.at
                first = reached.get(level)
                if first is None or at < first:
                    reached[level] = at
        if len(reached) > 1:
            levels = sorted(reached)
            for low, high in pairwise(levels):
                took = reached[high] - reached[low]
                if took >= 0:
                    moves[low].append(took)


def _medians(moves: dict[int, list[int]]) -> dict[int, float]:
    medians = {}
    for level, took in moves.items():
        took.sort()
        n = len(took)
        medians[level] = (took[(n - 1) // 2] + took[n // 2]) / 2 / DAY_US
    return medians


# Per lead, its latest open and click, each an index seek on activity_event(lead_id,
# action, at): a scan grouped by lead would read every one of millions of opens, a seek
# reads the last one. Then, only where they can count: the opens of the last
# ENGAGEMENT_DAYS (after an open in them), the deliveries since the last open or click of
# a lead quiet for COLD_DAYS ("count first last"), and the link of a recent click.
# The leads come back as one text (fields split by char(31), leads by char(30)): this runs
# beside the medians' stream, and a row at a time each would wait for the interpreter
# lock that stream holds.
_ENGAGED = "max(coalesce(s.opened, ''), coalesce(s.clicked, ''))"
_ENGAGEMENT_SQL = f"""
WITH seen AS MATERIALIZED (
  SELECT l.id AS lead_id,
    (SELECT max(x.at) FROM activity_event x
      WHERE x.lead_id = l.id AND x.action = 'opened') AS opened,
    (SELECT max(x.at) FROM activity_event x
      WHERE x.lead_id = l.id AND x.action = 'clicked') AS clicked
  {{where}}
), engaged AS MATERIALIZED (
  SELECT s.lead_id, {{opened}} AS opened,
    CASE WHEN s.opened >= :since THEN
      (SELECT count(*) FROM activity_event x
        WHERE x.lead_id = s.lead_id AND x.action = 'opened' AND x.at >= :since)
    ELSE 0 END AS opens,
    {{clicked}} AS clicked,
    CASE WHEN {_ENGAGED} < :cold THEN
      (SELECT count(*) || ' ' || min(x.at) || ' ' || max(x.at) FROM activity_event x
        WHERE x.lead_id = s.lead_id AND x.action = 'delivered' AND x.at > {_ENGAGED})
    END AS unopened,
    CASE WHEN s.clicked >= :recent THEN
      (SELECT replace(replace(x.url, char(30), ' '), char(31), ' ') FROM activity_event x
        WHERE x.lead_id = s.lead_id AND x.action = 'clicked' AND x.at = s.clicked)
    END AS url
  FROM seen s
)
SELECT group_concat(
  e.lead_id || char(31) || coalesce(e.opened, '') || char(31) || e.opens || char(31)
  || coalesce(e.clicked, '') || char(31) || coalesce(e.unopened, '') || char(31)
  || coalesce(e.url, ''), char(30))
  FROM engaged e
 WHERE e.opened IS NOT NULL OR e.clicked IS NOT NULL OR e.unopened IS NOT NULL
"""


def _us_fast(column: str) -> str:
    """``_us`` with a shortcut for a time stored in whole seconds, as most events are."""
    return (
        f"CASE WHEN length({column}) = 19 THEN unixepoch({column}) * 1000000 ELSE {_us(column)} END"
    )


def _stored_text(when: dt.datetime) -> str:
    """``when`` as times are stored, so that stored texts compare with it in order."""
    return when.isoformat(sep=" ")


def _text_us(text: str) -> int:
    return to_us(dt.datetime.fromisoformat(text))


def load_engagement(
    now: dt.datetime,
    lead_id: int | None = None,
    *,
    eligible: tuple[str, dict[str, Any]] | None = None,
) -> dict[int, LeadEngagement]:
    """The newsletter engagement as of ``now`` of every lead with an open, click or
    delivery stored; of ``lead_id`` alone if given, or of the leads an ``eligible``
    selection (``FROM lead l ...`` and its parameters) picks."""
    if not _sql("SELECT EXISTS (SELECT 1 FROM activity_event)")[0][0]:
        return {}
    params: dict[str, Any] = {
        "since": _stored_text(now - dt.timedelta(days=ENGAGEMENT_DAYS)),
        "recent": _stored_text(now - dt.timedelta(days=RECENT_DAYS)),
        "cold": _stored_text(now - dt.timedelta(days=COLD_DAYS)),
    }
    if lead_id is not None:
        where = "FROM lead l WHERE l.id = :lead"
        params["lead"] = lead_id
    elif eligible is not None:
        where, chosen = eligible
        params.update(chosen)
    else:
        where = "FROM lead l"
    sql = _ENGAGEMENT_SQL.format(
        where=where, opened=_us_fast("s.opened"), clicked=_us_fast("s.clicked")
    )
    [(text,)] = _sql(sql, params)
    found: dict[int, LeadEngagement] = {}
    for record in text.split("\x1e") if text else ():
        lead_text, opened, opens, clicked, unopened, url = record.split("\x1f", 5)
        lead = int(lead_text)
        e = LeadEngagement(
            lead,
            int(opened) if opened else None,
            int(opens),
            int(clicked) if clicked else None,
            url,
        )
        if unopened:
            count, _, times = unopened.partition(" ")
            # each time is 'YYYY-MM-DD HH:MM:SS[.ffffff]': the two split at the third space
            cut = times.index(" ", 11)
            first, last = _text_us(times[:cut]), _text_us(times[cut + 1 :])
            e = e._replace(unopened=int(count), unopened_since=first, unopened_until=last)
        found[lead] = e
    return found


def _newest_email(engagement: Mapping[int, LeadEngagement] | None) -> int | None:
    """When the newest e-mail any lead got was opened, clicked or delivered, as far as
    ``engagement`` tells (every lead's); without it, from every stored event. None: no
    such evidence."""
    if engagement is None:
        [(newest,)] = _sql(
            f"SELECT {_us('max(at)')} FROM activity_event "
            "WHERE action IN ('opened', 'clicked', 'delivered')"
        )
        return None if newest is None else int(newest)
    latest = [
        t
        for e in engagement.values()
        for t in (e.last_opened, e.last_clicked, e.unopened_until)
        if t is not None
    ]
    return max(latest, default=None)


def _rates_and_offer_steps() -> tuple[dict, dict]:
    key_of = dict(_sql("SELECT id, key FROM step"))
    rates = {
        (int(lv), key_of[step_id]): (int(acc), int(n))
        for lv, step_id, acc, n in _sql(_RATES_SQL)
        if step_id in key_of
    }
    offer_steps: dict[int, set[str]] = defaultdict(set)
    for offer_id, key in _sql(_OFFER_STEPS_SQL):
        offer_steps[offer_id].add(key)
    return rates, {k: frozenset(v) for k, v in offer_steps.items()}


def _all_median_days(
    level_of: Mapping[str, int], keep: _YesBlocks | None = None
) -> dict[int, float]:
    """``median_days`` over every lead's yeses, read as a stream: one lead's rows at a
    time are held, unless ``keep`` is given the histories to hold for the engine."""
    cursor = database_proxy.execute_sql(f"{_YESES_SQL} ORDER BY x.lead_id")
    moves: dict[int, list[int]] = defaultdict(list)
    try:
        # each lead's rows as a tuple, grouped in C
        histories: Iterable[tuple[PastYes, ...]] = map(
            tuple, map(itemgetter(1), groupby(_as_rows(PastYes, cursor), _LEAD_ID))
        )
        if keep is not None:
            histories = keep.hold(list(histories))
        _add_moves(histories, level_of, moves)
    finally:
        cursor.close()
    return _medians(moves)


class _YesBlocks:
    """Every lead's yes rows from the medians' stream, held in lead id order so the engine
    does not read the commitments a second time; a block's are let go once handed over."""

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._held: list[tuple[PastYes, ...] | None] = []

    def hold(self, histories: list[tuple[PastYes, ...]]) -> list[tuple[PastYes, ...]]:
        """Hold ``histories`` (each lead's rows, in lead id order); returns them."""
        self._held = cast(
            "list[tuple[PastYes, ...] | None]", histories
        )  # let go a block at a time by ``pop``, once the medians are done
        self._ids = list(map(_LEAD_ID, map(itemgetter(0), histories)))
        return histories

    def pop(self, lo: int, hi: int) -> dict[int, tuple[PastYes, ...]]:
        """The histories of the leads with ids from ``lo`` to ``hi``, no longer held."""
        start, end = bisect_left(self._ids, lo), bisect_right(self._ids, hi)
        found = dict(zip(self._ids[start:end], self._held[start:end], strict=True))
        self._held[start:end] = repeat(None, end - start)
        # the slots handed over held histories until now: none of them is None yet
        return cast("dict[int, tuple[PastYes, ...]]", found)


def load_evidence(
    *, keep: _YesBlocks | None = None, engagement: _Engagements | None = None
) -> Evidence:
    """The owner's acceptance rates, median time at each level, where offers are used, and
    when the newest e-mail went out.

    The rates run in SQLite's C code on a second connection while this one streams every
    lead's yeses for the medians; ``keep`` is given those yeses to hold for the engine,
    ``engagement`` every lead's engagement (loaded on the second connection after the
    rates). One thread only: a second one fetching rows would make them both wait on the
    interpreter lock.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="smallyes-evidence") as pool:
        found = pool.submit(_rates_on_own_connection, engagement)
        level_of = dict(_sql("SELECT key, level FROM step"))
        medians = _all_median_days(level_of, keep)
        rates, offer_steps, newest = found.result()
    return Evidence(rates=rates, median_days=medians, offer_steps=offer_steps, newest_email=newest)


class _Engagements:
    """The engagement of the leads ``eligible`` picks (``FROM lead l ...`` and its
    parameters) as of ``now``, loaded with the evidence and held for the engine; a lead's
    is let go once judged."""

    def __init__(self, now: dt.datetime, eligible: tuple[str, dict[str, Any]]) -> None:
        self.now = now
        self.eligible = eligible
        self.by_lead: dict[int, LeadEngagement] = {}


def _rates_on_own_connection(
    engagement: _Engagements | None,
) -> tuple[dict, dict, int | None]:
    try:
        rates, offer_steps = _rates_and_offer_steps()
        if engagement is not None:
            engagement.by_lead = load_engagement(engagement.now, eligible=engagement.eligible)
        # from every stored event (not only the leads judged): the same for Today and for
        # one lead, whoever is eligible today
        newest = _newest_email(None)
        return rates, offer_steps, newest
    finally:
        close_thread_connection()


def _setup() -> Prepared:
    return Prepared(_load_ladder(), _load_offers(), get_pacing(), load_evidence())


# The leads the engine can suggest anything for; the rest it would stop at rule 1 anyway
# (suppressed, asked within the cooldown, snoozed). ``:cut`` is now minus the cooldown.
_ELIGIBLE = """
  FROM lead l LEFT JOIN suggestion_snooze z ON z.lead_id = l.id
 WHERE l.status IN ('subscribed', 'pending', 'none') AND l.do_not_contact = 0
   AND (l.last_ask_at IS NULL OR l.last_ask_at <= :cut)
   AND (z.until IS NULL OR z.until <= :now)
"""


def _us(column: str) -> str:
    """SQL for a stored time as microseconds since 1970 (NULL stays NULL).

    Times are stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]'; SQLite's unixepoch() would round
    the fraction to milliseconds, so it gets the whole seconds and the fraction is read
    back from the text (padded, so '.5' is half a second).
    """
    # unixepoch() of the whole text is faster, and exact unless the fraction rounds up to
    # the next second (from .9995); a full fraction is read without padding
    seconds = (
        f"CASE WHEN substr({column}, 21, 4) < '9995' THEN unixepoch({column})"
        f" ELSE unixepoch(substr({column}, 1, 19)) END"
    )
    fraction = (
        f"CASE length({column}) WHEN 26 THEN CAST(substr({column}, 21) AS INTEGER)"
        f" ELSE CAST(substr({column} || '000000', 21, 6) AS INTEGER) END"
    )
    return f"({seconds} * 1000000 + {fraction})"


# Yes rows: the columns are ``PastYes``'s fields, in order (as the ask and lead queries'
# are ``PastAsk``'s and ``LeadFacts``').
_YESES_SQL = (
    f"SELECT s.key, {_us('x.at')}, x.offer_id, x.lead_id "
    "FROM commitment x JOIN step s ON s.id = x.step_id"
)


class _Rows(NamedTuple):
    """The leads selected, with their tags, yeses and asks by lead."""

    leads: list[LeadFacts]
    tags: dict[int, frozenset[str]]
    yeses: dict[int, tuple[PastYes, ...]]
    asks: dict[int, tuple[PastAsk, ...]]


def _by_lead(rows: Iterable[_Row]) -> dict[int, tuple[_Row, ...]]:
    """Rows ordered by lead id grouped per lead, without a Python loop per row: 100,000
    histories are mostly built in C."""
    return {lead_id: tuple(group) for lead_id, group in groupby(rows, _LEAD_ID)}


def _load_rows(
    where: str,
    params: dict[str, Any],
    *,
    span: tuple[int, int] | None,
    yeses: dict[int, tuple[PastYes, ...]] | None = None,
) -> _Rows:
    """The engine's rows for the leads selected by ``where`` over lead ``l``.

    With a ``span`` of lead ids (a block of leads, most of them wanted) the event tables
    are read over that id range through their lead-id indexes; a few extra histories cost
    less than probing the tables lead by lead through an ``IN`` list. Yeses already read
    (by the medians' stream) are taken as given.
    """
    if span is not None:
        lo, hi = span
        where = f"{where} AND l.id BETWEEN :lo AND :hi"
        params = {**params, "lo": lo, "hi": hi}
        restrict = " WHERE x.lead_id BETWEEN :lo AND :hi"
        args: dict[str, Any] = {"lo": lo, "hi": hi}
    else:
        restrict = f" WHERE x.lead_id IN (SELECT l.id {where})"
        args = params
    leads = list(
        _fetch(
            LeadFacts,
            "SELECT l.id, l.email, l.first_name, l.status, l.do_not_contact, "
            f"{_us('z.until')}, coalesce(nullif(z.kind, ''), 'snooze'), l.last_name, l.custom "
            f"{where} ORDER BY l.id",
            params,
        )
    )
    if yeses is None:
        yeses = _by_lead(_fetch(PastYes, f"{_YESES_SQL}{restrict} ORDER BY x.lead_id", args))
    # the engine reads when an ask was answered only for declined asks: the rest are left
    # without (a time to convert per row)
    asks = _by_lead(
        _fetch(
            PastAsk,
            f"SELECT s.key, {_us('x.asked_at')}, x.outcome, x.offer_id, "
            f"CASE x.outcome WHEN 'declined' THEN {_us('x.resolved_at')} END, x.lead_id "
            f"FROM ask x JOIN step s ON s.id = x.step_id{restrict} ORDER BY x.lead_id",
            args,
        )
    )
    tags = _tags(restrict, args)
    # Answers to questions marked as showing interest are topics of the lead: with its
    # tags, they make the profile an offer is chosen by.
    for lead_id, topics in interest_topics_by_lead(restrict, args).items():
        tags[lead_id] = tags.get(lead_id, frozenset()) | topics
    return _Rows(leads, tags, yeses, asks)


def _tags(restrict: str, args: dict[str, Any]) -> dict[int, frozenset[str]]:
    """Each lead's tag names (case-folded). Leads share a few combinations of tags, so
    each combination's set is built once; a lead's tag ids come as one string."""
    names = {str(tag_id): name.casefold() for tag_id, name in _sql("SELECT id, name FROM tag")}
    sets: dict[str, frozenset[str]] = {}

    def tag_set(ids: str) -> frozenset[str]:
        found = sets[ids] = frozenset(names[tag_id] for tag_id in ids.split(","))
        return found

    return {
        lead_id: sets.get(ids) or tag_set(ids)
        for lead_id, ids in _sql(
            f"SELECT x.lead_id, group_concat(x.tag_id) FROM lead_tag x{restrict}"
            " GROUP BY x.lead_id",
            args,
        )
    }


def _display_name(lead: LeadFacts) -> str:
    return f"{lead.first_name} {lead.last_name}".strip() or lead.email


def suggest_for_lead(lead_id: int, now: dt.datetime) -> Result:
    """The suggestion for one lead (or why there is none), as the lead detail shows it:
    scored with the stored evidence (checked first against a fresh one if a write made it
    stale, and replaced if that one moved materially: :func:`current_setup`)."""
    stored.flush_own_notes()
    found = _as_stored(to_us(now))
    setup = found[0] if found is not None else None
    if setup is None:
        try:
            with _storing():
                setup, _gen, _moved = current_setup(to_us(now))
        except _CannotStore:
            setup = _setup()
    return _judge_one(lead_id, now, setup)


def compute_for_lead(lead_id: int, now: dt.datetime, evidence: Evidence | None = None) -> Result:
    """:func:`suggest_for_lead` with the evidence computed from scratch, or ``evidence``."""
    if evidence is None:
        return _judge_one(lead_id, now, _setup())
    setup = Prepared(_load_ladder(), _load_offers(), get_pacing(), evidence)
    return _judge_one(lead_id, now, setup)


def _judge_one(lead_id: int, now: dt.datetime, setup: Prepared) -> Result:
    engagement = load_engagement(now, lead_id).get(lead_id)
    rows = _load_rows(
        "FROM lead l LEFT JOIN suggestion_snooze z ON z.lead_id = l.id WHERE l.id = :lead",
        {"lead": lead_id},
        span=None,
    )
    if not rows.leads:
        raise NotFoundError("That lead no longer exists: it may have been deleted.")
    [lead] = rows.leads
    return suggest_next_ask(
        lead,
        rows.tags.get(lead_id, frozenset()),
        rows.yeses.get(lead_id, ()),
        rows.asks.get(lead_id, ()),
        setup,
        to_us(now),
        engagement,
    )


def end_of_day(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(now.date(), dt.time()) + dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class AskGroup:
    """The due leads asked the same: "312 leads are ready for: Invite to download the Focus
    workbook"."""

    key: str  # "downloaded|Focus workbook" (``crm.asking.naming.group_key``)
    step: str
    offer: str | None
    label: str  # the ask's name
    count: int  # every due lead in the group
    expected: float  # the yeses it is likely to bring: the sum of its leads' scores
    lead_ids: tuple[int, ...]  # every due lead of the group, best first
    items: tuple[TodayItem, ...] = ()  # the best ``per_group``, best first


@dataclass(frozen=True, slots=True)
class AsksPage:
    """The best due suggestions, how many leads have one due in all, the asks they are (in
    the order Today shows them), and where the day's personal asks stand."""

    items: list[TodayItem]
    total_due: int
    groups: tuple[AskGroup, ...] = ()
    asked_today: int = 0  # personal asks recorded today
    daily_limit: int = 0  # the owner's daily limit of personal asks
    free_offers: int = 0  # live offers to give away: none means no offer is set up

    @property
    def personal_left(self) -> int:
        """How many more asks are suggested for personal asking today."""
        return max(self.daily_limit - self.asked_today, 0)


# Leads judged per block: the asks, tags and lead rows of this many leads are in memory at
# once (the yeses of every lead are held from the medians' stream until judged).
BLOCK_LEADS = 16_384


def todays_asks(
    now: dt.datetime,
    limit: int | None = None,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> list[TodayItem]:
    """Leads with a suggestion due today or overdue, best score first."""
    return todays_asks_page(now, limit, progress=progress, cancel=cancel).items


def todays_asks_page(
    now: dt.datetime,
    limit: int | None = None,
    *,
    per_group: int | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> AsksPage:
    """The best ``limit`` due suggestions (all without a limit), warmest first (a recent
    click, then recent opens; the cold last: ``Warmth``), then best score, then the most
    overdue, then by lead id; and the number of leads with one due in all.

    The first N of a longer list are exactly the list limited to N. With ``per_group`` the
    groups hold their best ``per_group`` items each, in that order, and the page's items are
    theirs, group after group (``limit`` is then not used).

    Read from the stored next asks (``crm.asking.stored``), refreshed first; the same as
    :func:`compute_asks_page` computes from every history with the stored evidence, which
    is within the tolerances of ``stored.evidence_moved`` of the evidence as it is now.
    """
    _check_page(limit, per_group)
    if cancel is not None:
        cancel.raise_if_cancelled()
    with paused_cycle_collection():
        try:
            setup, computed = _refreshed(now, progress, cancel)
        except _CannotStore:
            return _todays_asks(now, limit, per_group, progress, cancel)
        return _stored_page(now, limit, per_group, setup, computed)


def compute_asks_page(
    now: dt.datetime,
    limit: int | None = None,
    *,
    per_group: int | None = None,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
    evidence: Evidence | None = None,
) -> AsksPage:
    """:func:`todays_asks_page` computed from scratch: every lead's history read and run
    through the engine, nothing stored read or written; scored with ``evidence`` if given
    (the stored one, say), else with the evidence as it is now."""
    _check_page(limit, per_group)
    with paused_cycle_collection():
        return _todays_asks(now, limit, per_group, progress, cancel, evidence)


def _check_page(limit: int | None, per_group: int | None) -> None:
    if limit is not None and limit < 1:
        raise ValidationError("The limit must be at least 1.")
    if per_group is not None and per_group < 1:
        raise ValidationError("Each group must show at least 1 lead.")


def start_of_day(now: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(now.date(), dt.time())


def personal_asks_today(now: dt.datetime) -> int:
    """The asks recorded by hand (not by an import, nor a campaign through the newsletter
    tool) on ``now``'s day: they count against the daily limit of personal asks."""
    day = start_of_day(now)
    [(count,)] = _sql(
        "SELECT count(*) FROM ask WHERE asked_at >= ? AND asked_at < ? AND batch_id IS NULL "
        "AND campaign_id IS NULL",
        [_stored_text(day), _stored_text(day + dt.timedelta(days=1))],
    )
    return int(count)


def personal_asks_and_limit(now: dt.datetime) -> tuple[int, int]:
    """The asks recorded by hand today and the owner's daily limit of personal asks."""
    return personal_asks_today(now), get_pacing().daily_ask_limit


def daily_limit_text(asked_today: int, daily_limit: int) -> str:
    """Where the day's personal asks stand, in words."""
    asks = f"{asked_today:,} personal ask{'s' if asked_today != 1 else ''}"
    if daily_limit == 0:
        return (
            "Your daily limit of personal asks is 0: nothing is suggested for personal asking. "
            "Ask through your newsletter, or raise the limit in the pacing."
        )
    if asked_today >= daily_limit:
        return (
            f"Daily limit reached: {asks} recorded today, and your limit is {daily_limit:,}. "
            "Nothing more is suggested for personal asking today: ask the others through "
            "your newsletter, or raise the limit in the pacing."
        )
    left = daily_limit - asked_today
    return f"Personal asks today: {asked_today:,} of {daily_limit:,} made, {left:,} more to go."


# A kept suggestion, ordered so the smallest is the worst of those kept: colder, then lower
# score, then due later, then the higher lead id (lead ids are unique, so comparisons stop
# there). Without engagement every lead's warmth is the same.
_Kept = tuple[int, float, int, int, LeadFacts, Suggestion]
# The parts of that order, least significant first: sorted by one at a time (Python's sort
# is stable), every comparison is of two plain numbers, where sorting the tuples compares
# them item by item, and most scores tie. The same indexes order a group's ``_Rank``s.
_KEPT_ORDER = (itemgetter(3), itemgetter(2), itemgetter(1), itemgetter(0))
# A due lead's place in its group: a kept suggestion's first four parts
_Rank = tuple[int, float, int, int]
# what sets a group apart: its step, its offer and the variant its rule makes
_GroupKey = tuple[str, str | None, str]


class _Tally:
    """The due leads of one group as they are judged."""

    __slots__ = ("kept", "ranks", "sample")

    def __init__(self, sample: Suggestion) -> None:
        self.sample = sample  # its first suggestion (the lowest lead id), which names the ask
        self.ranks: list[_Rank] = []
        self.kept: list[_Kept] = []  # a heap of its best, with ``per_group``


def _todays_asks(
    now: dt.datetime,
    limit: int | None,
    per_group: int | None,
    progress: Progress,
    cancel: CancelToken | None,
    evidence: Evidence | None = None,
) -> AsksPage:
    pacing = get_pacing()
    cut = now - dt.timedelta(days=pacing.cooldown_days)
    params = {"cut": cut, "now": now}
    [(first, last)] = _sql("SELECT min(id), max(id) FROM lead")
    blocks = [] if first is None else list(range(first, last + 1, BLOCK_LEADS))
    span = 0 if first is None else last - first + 1

    # the yeses read for the medians are kept for the engine
    kept_yeses = _YesBlocks()
    engagement = _Engagements(now, (_ELIGIBLE, params))
    computed = load_evidence(keep=kept_yeses, engagement=engagement)
    setup = Prepared(_load_ladder(), _load_offers(), pacing, evidence or computed)
    now_us = to_us(now)
    horizon = to_us(end_of_day(now))
    kept: list[_Kept] = []
    groups: dict[_GroupKey, _Tally] = {}
    judge = _Judge(setup, now_us, horizon, None if per_group is not None else limit, per_group)
    total_due = 0
    for lo in blocks:
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(lo - first, span)
        hi = min(lo + BLOCK_LEADS - 1, last)
        rows = _load_rows(_ELIGIBLE, params, span=(lo, hi), yeses=kept_yeses.pop(lo, hi))
        total_due += judge(rows, engagement.by_lead, kept, groups)
        del rows  # freed before the next block is loaded
    progress(span, span)
    asked_today = personal_asks_today(now)
    shown = _ask_groups(groups)
    if per_group is not None:
        items = [item for group in shown for item in group.items]
    else:
        if limit is None:
            for key in _KEPT_ORDER:
                kept.sort(key=key, reverse=True)
        else:
            kept = heapq.nlargest(limit, kept)
        items = [_item(entry) for entry in kept]
    return AsksPage(items, total_due, shown, asked_today, pacing.daily_ask_limit, len(setup.free))


def _item(entry: _Kept) -> TodayItem:
    lead, result = entry[4], entry[5]
    return TodayItem(lead.lead_id, lead.email, _display_name(lead), result)


def _ask_groups(groups: dict[_GroupKey, _Tally]) -> tuple[AskGroup, ...]:
    """The groups, best first: the most likely yeses, then the most leads, then by name."""
    out = []
    for (step, offer, _variant), tally in groups.items():
        ranks = tally.ranks
        for key in _KEPT_ORDER:
            ranks.sort(key=key, reverse=True)
        best = heapq.nlargest(len(tally.kept), tally.kept) if tally.kept else []
        sample = tally.sample
        out.append(
            AskGroup(
                group_key(step, offer, sample.rule),
                step,
                offer,
                sample.ask_name,
                len(ranks),
                round(sum(map(itemgetter(1), ranks)), 4),
                tuple(-r[3] for r in ranks),
                tuple(map(_item, best)),
            )
        )
    out.sort(key=lambda g: (-g.expected, -g.count, g.label.casefold(), g.key))
    return tuple(out)


class _Judge:
    """Runs the engine over a block of leads and keeps the due ones: in ``kept`` (a heap of
    the best ``limit`` when there is a limit, none with ``per_group``) and in their group
    (its ranks, and a heap of its best ``per_group``)."""

    def __init__(
        self,
        setup: Prepared,
        now_us: int,
        horizon: int,
        limit: int | None,
        per_group: int | None,
    ) -> None:
        self.setup, self.now_us, self.horizon = setup, now_us, horizon
        self.limit, self.per_group = limit, per_group

    def __call__(
        self,
        rows: _Rows,
        engagement: dict[int, LeadEngagement],
        kept: list[_Kept],
        groups: dict[_GroupKey, _Tally],
    ) -> int:
        """Judge ``rows``; return how many were due. The leads' ``engagement`` is let go as
        they are judged."""
        setup, now_us, horizon = self.setup, self.now_us, self.horizon
        limit, per_group = self.limit, self.per_group
        due = 0
        no_tags: frozenset[str] = frozenset()
        tags, yeses, asks = rows.tags.get, rows.yeses.get, rows.asks.get
        engaged = engagement.pop
        variant = VARIANTS.get
        for lead in rows.leads:
            lead_id = lead.lead_id
            result = suggest_next_ask(
                lead,
                tags(lead_id, no_tags),
                yeses(lead_id, ()),
                asks(lead_id, ()),
                setup,
                now_us,
                engaged(lead_id, None),
            )
            if type(result) is not Suggestion or result.due_us >= horizon:
                continue
            due += 1
            rank = (result.warmth, result.score, -result.due_us, -lead_id)
            entry = (*rank, lead, result)
            key = (result.step, result.offer, variant(result.rule, ""))
            tally = groups.get(key)
            if tally is None:
                tally = groups[key] = _Tally(result)
            tally.ranks.append(rank)
            if per_group is not None:
                best = tally.kept
                if len(best) < per_group:
                    heapq.heappush(best, entry)
                elif entry > best[0]:
                    heapq.heapreplace(best, entry)
            elif limit is None:
                kept.append(entry)
            elif len(kept) < limit:
                heapq.heappush(kept, entry)
            elif entry > kept[0]:
                heapq.heapreplace(kept, entry)
        return due


# ---- the stored next asks (``crm.asking.stored``) -----------------------------------

# With more stale leads than this share of the book, every lead is recomputed by id
# blocks (each block's histories read by range) rather than by lists of ids.
_WHOLE_SHARE = 0.2
# A book not checked in this process computes up to this many stale leads without storing
# them: about what its whole-file check would cost on a big book.
_COMPUTED_AT_MOST = 4096
_LISTED = (
    "FROM lead l LEFT JOIN suggestion_snooze z ON z.lead_id = l.id "
    "WHERE l.id IN (SELECT value FROM json_each(:ids))"
)
_LISTED_ENGAGEMENT = "FROM lead l WHERE l.id IN (SELECT value FROM json_each(:ids))"
_EVERY_LEAD = "FROM lead l LEFT JOIN suggestion_snooze z ON z.lead_id = l.id WHERE true"


def current_setup(now_us: int) -> tuple[Prepared, int, bool]:
    """The ladder, offers, pacing and the evidence every row is scored with; the book's
    generation; whether it moved on (then every stored row is stale). In the caller's
    transaction.

    The evidence is recomputed when a write marked it stale or it expired
    (``stored.evidence_expired``), but the stored one is kept, and nothing re-scored, while
    the fresh one has not moved materially (``stored.evidence_moved``): the stale leads
    are then scored with the stored evidence, like every other row, and the fresh one is
    not written. An expired evidence is replaced, and moves the generation on only if it
    differs at all."""
    ladder, offers, pacing = _load_ladder(), _load_offers(), get_pacing()
    setup = stored.setup_json(ladder, offers, pacing)
    gen, stored_setup, evidence_text, evidence_stale = stored.book_row()
    moved = setup != stored_setup
    kept: Evidence | None = None
    expired = True
    if evidence_text is not None:
        kept = stored.evidence_from_json(evidence_text)
        expired = stored.evidence_expired(stored.evidence_time(evidence_text), now_us)
    if kept is None or evidence_stale or expired:
        fresh = load_evidence()
        if kept is None:
            replace, kept = True, fresh
        elif fresh == kept:
            replace = False  # the same evidence, stamped again if it expired
        else:
            replace = moved or expired or stored.evidence_moved(kept, fresh, pacing)
        if replace:
            moved, kept = True, fresh
        if replace or expired:
            evidence_text = stored.evidence_json(kept, now_us)
    assert evidence_text is not None and kept is not None  # computed above if not stored
    if moved:
        gen += 1
    if moved or evidence_stale or expired:
        stored.save_book(gen, setup, evidence_text)
    return Prepared(ladder, offers, pacing, kept), gen, moved


def _as_stored(now_us: int) -> tuple[Prepared, int] | None:
    """The setup the stored rows were scored with, and their generation; None when the
    ladder, offers, pacing or evidence may have moved since, or the evidence expired
    (nothing is written)."""
    ladder, offers, pacing = _load_ladder(), _load_offers(), get_pacing()
    gen, stored_setup, evidence_text, evidence_stale = stored.book_row()
    if evidence_stale or evidence_text is None:
        return None
    if stored.evidence_expired(stored.evidence_time(evidence_text), now_us):
        return None
    if stored.setup_json(ladder, offers, pacing) != stored_setup:
        return None
    return Prepared(ladder, offers, pacing, stored.evidence_from_json(evidence_text)), gen


class _CannotStore(Exception):
    """The book takes no write now: read-only, or not known to be healthy."""


@contextmanager
def _storing() -> Iterator[None]:
    """A write transaction for the stored next asks, taking the write lock first (another
    process's commit between this read and the write would make it fail); raises
    ``_CannotStore`` on a read-only or damaged book, which is never written to, and on a
    full disk: the rows are a cache, so the reader shows them computed instead."""
    if not checked_for_writes():
        raise _CannotStore
    try:
        with database_proxy.atomic("IMMEDIATE"):
            yield
    except (OperationalError, sqlite3.OperationalError) as exc:
        if "readonly" in str(exc) or is_disk_full(exc, database_path(database_proxy.obj)):
            raise _CannotStore from exc
        raise


def refresh(
    now: dt.datetime,
    *,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> Prepared:
    """Bring every lead's stored next ask up to date as of ``now``, in one transaction
    (none when nothing is stale); the setup they are scored with. Raises ``_CannotStore``
    on a book that takes no write."""
    return _refreshed(now, progress, cancel, store_all=True)[0]


def _refreshed(
    now: dt.datetime,
    progress: Progress,
    cancel: CancelToken | None,
    *,
    store_all: bool = False,
) -> tuple[Prepared, dict[int, stored.Stored]]:
    """:func:`refresh`, but in a book not yet checked this process (a command that only
    reads), a few stale leads are computed and returned rather than stored: a check reads
    the whole file, and costs more than they do. ``store_all`` stores them anyway."""
    stored.flush_own_notes()
    now_us = to_us(now)
    [(count,)] = _sql("SELECT count(*) FROM lead")
    found = _as_stored(now_us)
    if found is not None:
        setup, gen = found
        stale = stored.stale_leads(gen, now_us)
        if not stale:
            progress(count, count)
            return setup, {}
        if not store_all and not writes_known_safe() and len(stale) <= _COMPUTED_AT_MOST:
            computed = _computed_listed(now, stale, setup, gen, stored.offsets(setup))
            progress(count, count)
            return setup, computed
    with _storing():
        setup, gen, moved = current_setup(now_us)
        offsets = stored.offsets(setup)
        [(count,)] = _sql("SELECT count(*) FROM lead")
        listed: list[int] | None = None
        if not moved:
            listed = stored.stale_leads(gen, now_us)
            if len(listed) > _WHOLE_SHARE * count:
                listed = None
        if listed is None:
            stored.clear()
            _store_every_lead(now, setup, gen, offsets, progress, cancel)
        else:
            _store_listed(now, listed, setup, gen, offsets)
            progress(count, count)
    return setup, {}


def _computed_listed(
    now: dt.datetime, lead_ids: list[int], setup: Prepared, gen: int, offsets: Sequence[int]
) -> dict[int, stored.Stored]:
    """The rows of these leads, computed as :func:`_store_listed` would store them."""
    ids = {"ids": json.dumps(lead_ids)}
    rows = _load_rows(_LISTED, ids, span=None)
    engagement = load_engagement(now, eligible=(_LISTED_ENGAGEMENT, ids))
    judged = _judged_rows(rows, engagement, setup, to_us(now), gen, offsets)
    return {r[0]: r for r in judged}


def _store_listed(
    now: dt.datetime, lead_ids: list[int], setup: Prepared, gen: int, offsets: Sequence[int]
) -> None:
    now_us = to_us(now)
    for start in range(0, len(lead_ids), BLOCK_LEADS):
        part = lead_ids[start : start + BLOCK_LEADS]
        ids = {"ids": json.dumps(part)}
        stored.forget(part)
        rows = _load_rows(_LISTED, ids, span=None)
        engagement = load_engagement(now, eligible=(_LISTED_ENGAGEMENT, ids))
        stored.write(_judged_rows(rows, engagement, setup, now_us, gen, offsets))


def _store_every_lead(
    now: dt.datetime,
    setup: Prepared,
    gen: int,
    offsets: Sequence[int],
    progress: Progress,
    cancel: CancelToken | None,
) -> None:
    [(first, last)] = _sql("SELECT min(id), max(id) FROM lead")
    if first is None:
        progress(0, 0)
        return
    now_us = to_us(now)
    span = last - first + 1
    engagement = load_engagement(now)
    for lo in range(first, last + 1, BLOCK_LEADS):
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(lo - first, span)
        hi = min(lo + BLOCK_LEADS - 1, last)
        rows = _load_rows(_EVERY_LEAD, {}, span=(lo, hi))
        stored.write(_judged_rows(rows, engagement, setup, now_us, gen, offsets))
    progress(span, span)


def fresh_rows(now: dt.datetime, setup: Prepared, gen: int) -> dict[int, stored.Stored]:
    """Every lead's row as :func:`refresh` would store it, computed from scratch with
    ``setup``: what the stored rows must equal."""
    rows = _load_rows(_EVERY_LEAD, {}, span=None)
    found = _judged_rows(rows, load_engagement(now), setup, to_us(now), gen, stored.offsets(setup))
    return {r[0]: r for r in found}


def _judged_rows(
    rows: _Rows,
    engagement: Mapping[int, LeadEngagement],
    prep: Prepared,
    now_us: int,
    gen: int,
    offsets: Sequence[int],
) -> list[stored.Stored]:
    """Run the engine over ``rows``; each lead's answer as a stored row."""
    level_of = prep.level_of
    no_tags: frozenset[str] = frozenset()
    out = []
    tags, yeses_of, asks_of = rows.tags.get, rows.yeses.get, rows.asks.get
    for lead in rows.leads:
        lead_id = lead.lead_id
        yeses = yeses_of(lead_id, ())
        asks = asks_of(lead_id, ())
        engaged = engagement.get(lead_id)
        result = suggest_next_ask(lead, tags(lead_id, no_tags), yeses, asks, prep, now_us, engaged)
        # due "now" (no yes on the ladder, no ask yet) moves with the clock
        due_now = (
            type(result) is Suggestion
            and result.due_us == now_us
            and not asks
            and not any(y.step in level_of for y in yeses)
        )
        until = stored.valid_until(now_us, offsets, lead, yeses, asks, engaged)
        out.append(stored.row(lead_id, gen, now_us, until, result, due_now))
    return out


def _stored_page(
    now: dt.datetime,
    limit: int | None,
    per_group: int | None,
    setup: Prepared,
    computed: Mapping[int, stored.Stored],
) -> AsksPage:
    """The page from the stored rows, with ``computed`` rows in place of the stored ones of
    their leads: one query over the due ones in rank order; the leads shown are run through
    the engine again, so their texts are worded as of now."""
    now_us, horizon = to_us(now), to_us(end_of_day(now))
    kinds = stored.kinds()
    ranked: list[tuple[int, float, int]]
    if computed:
        ranked = _merged(
            stored.due_rows(now_us, horizon, ranks=True), computed, kinds, now_us, horizon
        )
    else:
        ranked = stored.due_rows(now_us, horizon)
    # each kind's ask (step, offer, variant): kinds differ also by step label and rule
    ask_of = {
        kind: (step, offer, VARIANTS.get(rule, ""))
        for kind, (step, _label, offer, rule) in kinds.items()
    }
    # per ask, its due rows in rank order, and the kind of its lowest lead id (which names it)
    by_ask: dict[_GroupKey, list[tuple[int, float, int]]] = {}
    first: dict[_GroupKey, tuple[int, int]] = {}
    for row in ranked:
        key = ask_of[row[2]]
        found = by_ask.get(key)
        if found is None:
            by_ask[key] = [row]
            first[key] = (row[0], row[2])
        else:
            found.append(row)
            if row[0] < first[key][0]:
                first[key] = (row[0], row[2])
    if per_group is not None:
        wanted = [r[0] for rows in by_ask.values() for r in rows[:per_group]]
    elif limit is None:
        wanted = [r[0] for r in ranked]
    else:
        wanted = [r[0] for r in ranked[:limit]]
    items = _worded(now, wanted, setup)
    groups = []
    for key, rows in by_ask.items():
        step, offer, _variant = key
        _step, label, _offer, rule = kinds[first[key][1]]
        best = [items[r[0]] for r in rows[: per_group or 0] if r[0] in items]
        groups.append(
            AskGroup(
                group_key(step, offer, rule),
                step,
                offer,
                ask_name(step, label, offer, rule),
                len(rows),
                round(sum(map(itemgetter(1), rows)), 4),
                tuple(map(itemgetter(0), rows)),
                tuple(best),
            )
        )
    groups.sort(key=lambda g: (-g.expected, -g.count, g.label.casefold(), g.key))
    if per_group is not None:
        shown = [item for group in groups for item in group.items]
    else:
        shown = [items[lead_id] for lead_id in wanted if lead_id in items]
    return AsksPage(
        shown,
        len(ranked),
        tuple(groups),
        personal_asks_today(now),
        setup.pacing.daily_ask_limit,
        len(setup.free),
    )


def _merged(
    rows: list[tuple[Any, ...]],
    computed: Mapping[int, stored.Stored],
    kinds: dict[int, tuple[str, str, str | None, str]],
    now_us: int,
    horizon: int,
) -> list[tuple[int, float, int]]:
    """The stored due rows (with their warmth and due time) less the leads ``computed``
    has rows for, and those rows' due suggestions, in rank order; a computed suggestion
    of a kind not stored yet gets a number below zero in ``kinds``."""
    kind_of = {words: kind for kind, words in kinds.items()}
    ranked = [r for r in rows if r[0] not in computed]
    for (
        lead_id,
        _gen,
        _at,
        _until,
        rule,
        step,
        label,
        offer,
        due_us,
        score,
        warmth,
        _off,
    ) in computed.values():
        if step is None:
            continue
        due = now_us if due_us is None else due_us
        if due >= horizon:
            continue
        words = (step, label, offer, rule)
        kind = kind_of.get(words)
        if kind is None:
            kind = kind_of[words] = -len(kind_of) - 1
            kinds[kind] = words
        ranked.append((lead_id, score, kind, warmth, due))
    ranked.sort(key=lambda r: (-r[3], -r[1], r[4], r[0]))
    return [(r[0], r[1], r[2]) for r in ranked]


def _worded(now: dt.datetime, lead_ids: list[int], setup: Prepared) -> dict[int, TodayItem]:
    """The leads' suggestions, run through the engine again as of ``now``."""
    if not lead_ids:
        return {}
    ids = {"ids": json.dumps(lead_ids)}
    rows = _load_rows(_LISTED, ids, span=None)
    engagement = load_engagement(now, eligible=(_LISTED_ENGAGEMENT, ids))
    now_us = to_us(now)
    no_tags: frozenset[str] = frozenset()
    out = {}
    for lead in rows.leads:
        lead_id = lead.lead_id
        result = suggest_next_ask(
            lead,
            rows.tags.get(lead_id, no_tags),
            rows.yeses.get(lead_id, ()),
            rows.asks.get(lead_id, ()),
            setup,
            now_us,
            engagement.get(lead_id),
        )
        if type(result) is Suggestion:
            out[lead_id] = TodayItem(lead_id, lead.email, _display_name(lead), result)
    return out


def snooze(lead_id: int, until: dt.datetime, *, now: dt.datetime, kind: str = "snooze") -> None:
    """Keep a lead off Today's asks until ``until`` (a snooze) or for a while (a skip)."""
    note(tables=["suggestion_snooze"], leads=[lead_id])
    if kind not in ("snooze", "skip"):
        raise ValidationError("A suggestion can only be snoozed or skipped.")
    if until <= now:
        raise ValidationError("Pick a date after today to snooze until.")
    with database_proxy.atomic():
        if not _sql("SELECT 1 FROM lead WHERE id = ?", [lead_id]):
            raise NotFoundError("That lead no longer exists: it may have been deleted.")
        database_proxy.execute_sql(
            "INSERT INTO suggestion_snooze (lead_id, until, kind) VALUES (?, ?, ?) "
            "ON CONFLICT(lead_id) DO UPDATE SET until = excluded.until, kind = excluded.kind",
            [lead_id, until.replace(microsecond=0), kind],
        )


def snooze_many(leads_sql: str, params: Sequence[Any], until: str) -> int:
    """Snooze every lead ``leads_sql`` selects (one column of lead ids) until ``until`` (a
    stored time), in one statement (a bulk change); how many. In the caller's transaction."""
    note(tables=["suggestion_snooze"], leads=None)
    cursor = database_proxy.execute_sql(
        "INSERT INTO suggestion_snooze (lead_id, until, kind) "
        f"SELECT s.lead_id, ?, 'snooze' FROM ({leads_sql}) s WHERE true "
        "ON CONFLICT(lead_id) DO UPDATE SET until = excluded.until, kind = excluded.kind",
        [until, *params],
    )
    return int(cursor.rowcount)


def put_back_snoozes(rows_sql: str, params: Sequence[Any]) -> int:
    """Undo :func:`snooze_many`: ``rows_sql`` gives (lead id, the snooze before as a JSON
    ``[until, kind]`` or NULL, the until written). A lead still snoozed as written gets its
    earlier snooze back, or none; one snoozed again since keeps that. How many went back."""
    note(tables=["suggestion_snooze"], leads=None)
    db = database_proxy
    still = (
        f"FROM ({rows_sql}) r JOIN suggestion_snooze z ON z.lead_id = r.lead_id "
        "AND z.until = r.written AND z.kind = 'snooze'"
    )
    (count,) = db.execute_sql(f"SELECT count(*) {still}", list(params)).fetchone()
    db.execute_sql(
        "UPDATE suggestion_snooze SET until = json_extract(r.before, '$[0]'), "
        f"kind = json_extract(r.before, '$[1]') FROM ({rows_sql}) r "
        "WHERE suggestion_snooze.lead_id = r.lead_id AND suggestion_snooze.until = r.written "
        "AND suggestion_snooze.kind = 'snooze' AND r.before IS NOT NULL",
        list(params),
    )
    db.execute_sql(
        f"DELETE FROM suggestion_snooze WHERE lead_id IN (SELECT r.lead_id {still} "
        "WHERE r.before IS NULL)",
        list(params),
    )
    return int(count)


def skip(lead_id: int, *, now: dt.datetime) -> dt.datetime:
    """Skip today's suggestion: the lead comes back after the cooldown. Returns when."""
    until = end_of_day(now) + dt.timedelta(days=max(get_pacing().cooldown_days - 1, 0))
    snooze(lead_id, until, now=now, kind="skip")
    return until
