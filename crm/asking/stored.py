"""Each lead's next ask, stored, so Today is one ranked query instead of every history.

Table ``next_ask`` (this module owns it) holds the engine's answer for each lead: the step,
offer, due time, score, warmth and rule of a suggestion, or the rule and until-when of a
"no suggestion"; with when it was computed, ``valid_until_us`` (the first moment time
alone may change the answer: a cooldown's end, a snooze's end, the warm window, the
engagement windows...) and the book's generation it was scored in. ``next_ask_book`` holds
that generation, the ladder, offers and pacing it stands for, and the evidence (acceptance
rates, medians, offers used, the newest e-mail) every row was scored with, as JSON with
when it was computed, so a refresh of a few leads scores them as the rest were.

The evidence moves only materially (:func:`evidence_moved`): a fresh computation that is
within the tolerances below of the stored one keeps the stored evidence, the stale leads
are scored with it and nothing else is re-scored; one logged yes in a big book shifts a
rate by a hair and re-scores one lead, not all of them. A stored evidence older than
``EVIDENCE_LIFETIME_US`` is replaced by a fresh one (every lead re-scored if it differs at
all), so hairs never add up for longer than a day.

Writes keep it current without computing anything: each commit marks the leads it touched
stale, or moves the generation on for a book-wide change (``crm.store.stale_marks``, run
by the change log every writer already notes to). ``crm.asking.due.refresh`` brings the
rows up to date before Today reads them; the reasons are not stored but worded when read,
by running the shown leads through the engine again.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from crm.asking.pacing import Pacing
from crm.asking.rows import DAY_US
from crm.asking.suggest import (
    COLD_DAYS,
    ENGAGEMENT_DAYS,
    RECENT_DAYS,
    Evidence,
    LeadEngagement,
    LeadFacts,
    NoSuggestion,
    PastAsk,
    PastYes,
    Prepared,
    Result,
    smoothed_rate,
    to_us,
)
from crm.store.models import database_proxy

# valid until: never by time alone
FOREVER = (1 << 62) - 1
# The tables this module owns: a cache of the engine's answers, rewritten from the history
# by any reader, so "every row as before" after a write or its undo leaves them out.
TABLES = ("next_ask", "next_ask_book", "next_ask_kind")
_WEEK = 7 * DAY_US

# A stored row: lead_id, gen, computed_us, valid_until_us, rule, step, step_label, offer,
# due_us, score, warmth, until_us
Stored = tuple[Any, ...]


# ---- when the evidence moves -----------------------------------------------------------

# A smoothed acceptance rate (``smoothed_rate``) this close to the stored one has not moved.
RATE_TOLERANCE = 0.01
# A rate the stored evidence lacks, on fewer answers than this, has not moved either: it is
# still mostly the assumed rate.
FEW_ANSWERS = 5
# A median time at a level has not moved within the larger of these.
MEDIAN_DAYS_TOLERANCE = 0.5
MEDIAN_SHARE_TOLERANCE = 0.05
# Nor has the newest e-mail within this (it only tells a cold lead from one still mailed).
NEWEST_EMAIL_TOLERANCE_US = DAY_US
# Stored evidence older than this is replaced by a fresh one whatever the tolerances say.
EVIDENCE_LIFETIME_US = DAY_US


def evidence_moved(kept: Evidence, fresh: Evidence, pacing: Pacing) -> bool:
    """Whether ``fresh`` evidence differs materially from the ``kept`` one the rows were
    scored with: a smoothed rate by more than ``RATE_TOLERANCE`` (a new one on fewer than
    ``FEW_ANSWERS`` answers does not count), a median by more than the larger of
    ``MEDIAN_DAYS_TOLERANCE`` days and ``MEDIAN_SHARE_TOLERANCE`` of it (or a level gained
    or lost), any offer used at a new step, or the newest e-mail by more than
    ``NEWEST_EMAIL_TOLERANCE_US``. ``pacing`` (the prior and the answers trusted) smooths
    both alike."""
    if kept.offer_steps != fresh.offer_steps:
        return True
    if (kept.newest_email is None) != (fresh.newest_email is None):
        return True
    if (
        kept.newest_email is not None
        and fresh.newest_email is not None
        and abs(kept.newest_email - fresh.newest_email) > NEWEST_EMAIL_TOLERANCE_US
    ):
        return True
    if kept.median_days.keys() != fresh.median_days.keys():
        return True
    for level, days in fresh.median_days.items():
        was = kept.median_days[level]
        if abs(days - was) > max(MEDIAN_DAYS_TOLERANCE, MEDIAN_SHARE_TOLERANCE * was):
            return True
    for key in kept.rates.keys() | fresh.rates.keys():
        accepted, answered = fresh.rates.get(key, (0, 0))
        if key not in kept.rates and answered < FEW_ANSWERS:
            continue
        was = smoothed_rate(*kept.rates.get(key, (0, 0)), pacing)
        if abs(smoothed_rate(accepted, answered, pacing) - was) > RATE_TOLERANCE:
            return True
    return False


def evidence_expired(computed_us: int | None, now_us: int) -> bool:
    """Whether evidence computed at ``computed_us`` (None: not known) is too old to keep at
    ``now_us``, or was computed after it (a clock read back)."""
    return computed_us is None or not computed_us <= now_us < computed_us + EVIDENCE_LIFETIME_US


# ---- evidence and setup as stored text ------------------------------------------------


def evidence_json(evidence: Evidence, computed_us: int | None = None) -> str:
    """``evidence`` as canonical JSON: equal evidence, equal text (floats kept exact); with
    the time it was computed when given."""
    found: dict[str, Any] = {} if computed_us is None else {"computed_us": computed_us}
    return json.dumps(
        found
        | {
            "rates": sorted([lv, key, acc, n] for (lv, key), (acc, n) in evidence.rates.items()),
            "median_days": sorted([lv, days] for lv, days in evidence.median_days.items()),
            "offer_steps": sorted(
                [oid, sorted(keys)] for oid, keys in evidence.offer_steps.items()
            ),
            "newest_email": evidence.newest_email,
        },
        separators=(",", ":"),
    )


def evidence_time(text: str) -> int | None:
    """When the evidence stored as ``text`` was computed (None: not stored with it)."""
    found = json.loads(text).get("computed_us")
    return None if found is None else int(found)


def evidence_from_json(text: str) -> Evidence:
    data = json.loads(text)
    return Evidence(
        rates={(lv, key): (acc, n) for lv, key, acc, n in data["rates"]},
        median_days={lv: days for lv, days in data["median_days"]},
        offer_steps={oid: frozenset(keys) for oid, keys in data["offer_steps"]},
        newest_email=data["newest_email"],
    )


def setup_json(ladder: Sequence[Any], offers: Mapping[int, Any], pacing: Any) -> str:
    """What every row was scored against besides the evidence, as text to compare."""
    return json.dumps(
        {
            "ladder": [list(asdict(s).values()) for s in ladder],
            "offers": [
                [o.id, o.name, o.kind, sorted(o.topics), o.retired, o.price, o.currency, o.link]
                for o in sorted(offers.values(), key=lambda o: o.id)
            ],
            "pacing": asdict(pacing),
        },
        separators=(",", ":"),
        default=str,
    )


# ---- time: until when an answer holds ------------------------------------------------


def offsets(prep: Prepared) -> list[int]:
    """Every span after a lead's own time at which the engine's answer may turn: the
    pacing's windows, the engagement windows and each level's stall threshold."""
    spans = {
        0,
        prep.follow_up,
        prep.cooldown,
        prep.backoff,
        prep.pause,
        prep.warm_min,
        prep.warm_max,
        _WEEK,
        prep.customers.cooling,
        RECENT_DAYS * DAY_US,
        COLD_DAYS * DAY_US,
        ENGAGEMENT_DAYS * DAY_US,
    }
    # a stall turns once (now - reached) / DAY_US passes the threshold: a float, so a
    # microsecond early is safe
    spans.update(max(int(days * DAY_US) - 1, 0) for days in prep.stall_after.values())
    return sorted(spans)


def valid_until(
    now_us: int,
    offsets: Sequence[int],
    lead: LeadFacts,
    yeses: Iterable[PastYes],
    asks: Iterable[PastAsk],
    engagement: LeadEngagement | None,
) -> int:
    """The first time after ``now_us`` at which time alone may change the lead's answer:
    every rule of the engine that reads the clock compares it with one of the lead's own
    times (a yes, an ask, an answer, a snooze's end, an open, a click) plus one of
    ``offsets``, so the earliest such sum still ahead is a safe bound."""
    times = [y.at for y in yeses]
    for a in asks:
        times.append(a.asked_at)
        if a.resolved_at is not None:
            times.append(a.resolved_at)
    if lead.snoozed_until is not None:
        times.append(lead.snoozed_until)
    if engagement is not None:
        for t in (
            engagement.last_opened,
            engagement.last_clicked,
            engagement.unopened_since,
            engagement.unopened_until,
        ):
            if t is not None:
                times.append(t)
    best = FOREVER
    last = len(offsets)
    for t in times:
        i = bisect_right(offsets, now_us - t)
        if i < last:
            at = t + offsets[i]
            if at < best:
                best = at
    return best


def row(
    lead_id: int,
    gen: int,
    now_us: int,
    until: int,
    result: Result,
    due_now: bool,
) -> Stored:
    """The stored form of the engine's answer for one lead (no suggestion: its rule and
    until when, the suggestion's columns empty)."""
    head = (lead_id, gen, now_us, until, result.rule)
    if isinstance(result, NoSuggestion):
        until_us = None if result.until is None else to_us(result.until)
        return (*head, None, None, None, None, None, None, until_us)
    due = None if due_now else result.due_us
    return (
        *head,
        result.step,
        result.step_label,
        result.offer,
        due,
        result.score,
        result.warmth,
        None,
    )


# ---- the table ------------------------------------------------------------------------


def _sql(sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    return database_proxy.execute_sql(sql, params).fetchall()


def flush_own_notes() -> None:
    """Write this thread's pending notes (and so their stale marks) before reading."""
    log = getattr(database_proxy.obj, "change_log", None)
    if log is not None:
        log.flush()


def book_row() -> tuple[int, str | None, str | None, bool]:
    """The generation, the setup and evidence as stored, and whether the evidence is stale."""
    found = _sql("SELECT gen, setup, evidence, evidence_stale FROM next_ask_book WHERE id = 1")
    if not found:
        return 1, None, None, True
    gen, setup, evidence, stale = found[0]
    return int(gen), setup, evidence, bool(stale)


def save_book(gen: int, setup: str, evidence: str) -> None:
    database_proxy.execute_sql(
        "INSERT INTO next_ask_book (id, gen, setup, evidence, evidence_stale) "
        "VALUES (1, ?, ?, ?, 0) ON CONFLICT(id) DO UPDATE SET gen = excluded.gen, "
        "setup = excluded.setup, evidence = excluded.evidence, evidence_stale = 0",
        [gen, setup, evidence],
    )


_STALE_SQL = """
SELECT l.id FROM lead l LEFT JOIN next_ask n ON n.lead_id = l.id
 WHERE n.lead_id IS NULL OR n.stale OR n.gen != :gen OR n.valid_until_us <= :now
    OR n.computed_us > :now
 ORDER BY l.id
"""


def stale_leads(gen: int, now_us: int) -> list[int]:
    """The leads whose stored row is missing, marked stale, of another generation, expired
    by ``now_us`` or computed after it (a clock read back), in id order."""
    return [r[0] for r in _sql(_STALE_SQL, {"gen": gen, "now": now_us})]


def clear() -> None:
    """Drop every row (all are about to be written again), and the kinds they named."""
    database_proxy.execute_sql("DELETE FROM next_ask")
    database_proxy.execute_sql("DELETE FROM next_ask_kind")


def forget(lead_ids: Sequence[int]) -> None:
    database_proxy.execute_sql(
        "DELETE FROM next_ask WHERE lead_id IN (SELECT value FROM json_each(?))",
        [json.dumps(list(lead_ids))],
    )


def _kinds() -> dict[tuple[str, str, str, str], int]:
    return {
        (step, label, offer, rule): kind_id
        for kind_id, step, label, offer, rule in _sql(
            "SELECT id, step, step_label, offer, rule FROM next_ask_kind"
        )
    }


def kinds() -> dict[int, tuple[str, str, str | None, str]]:
    """Every kind of suggestion stored: its step, step label, offer (None: none) and rule."""
    return {
        kind_id: (step, label, offer or None, rule)
        for kind_id, step, label, offer, rule in _sql(
            "SELECT id, step, step_label, offer, rule FROM next_ask_kind"
        )
    }


def write(rows: Sequence[Stored]) -> None:
    """Store ``rows`` (as :func:`row` makes them), each suggestion's words as its kind."""
    known = _kinds()
    out = []
    for lead_id, gen, computed, until, rule, step, label, offer, due, score, warmth, off in rows:
        kind = None
        if step is not None:
            key = (step, label, offer or "", rule)
            kind = known.get(key)
            if kind is None:
                cursor = database_proxy.execute_sql(
                    "INSERT INTO next_ask_kind (step, step_label, offer, rule) VALUES (?, ?, ?, ?)",
                    list(key),
                )
                kind = known[key] = int(cursor.lastrowid)
        out.append((lead_id, gen, computed, until, rule, kind, due, score, warmth, off))
    database_proxy.cursor().executemany(
        "INSERT OR REPLACE INTO next_ask (lead_id, gen, computed_us, valid_until_us, rule, "
        "kind, due_us, score, warmth, until_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        out,
    )


_DUE_SQL = """
SELECT lead_id, score, kind{ranks} FROM next_ask
 WHERE kind IS NOT NULL AND coalesce(due_us, :now) < :horizon
 ORDER BY warmth DESC, score DESC, coalesce(due_us, :now), lead_id
"""


def due_rows(now_us: int, horizon: int, *, ranks: bool = False) -> list[tuple[Any, ...]]:
    """Every suggestion due before ``horizon``, best first (warmest, best score, most
    overdue, lowest lead id): (lead id, score, kind), and with ``ranks`` its warmth and
    due time."""
    sql = _DUE_SQL.format(ranks=", warmth, coalesce(due_us, :now)" if ranks else "")
    return _sql(sql, {"now": now_us, "horizon": horizon})


def stored_rows() -> dict[int, Stored]:
    """Every stored row by lead id, as written."""
    return {
        r[0]: r
        for r in _sql(
            "SELECT n.lead_id, n.gen, n.computed_us, n.valid_until_us, n.rule, k.step, "
            "k.step_label, nullif(k.offer, ''), n.due_us, n.score, n.warmth, n.until_us "
            "FROM next_ask n LEFT JOIN next_ask_kind k ON k.id = n.kind ORDER BY n.lead_id"
        )
    }
