"""Each lead's next ask, stored, so Today is one ranked query instead of every history.

Table ``next_ask`` (this module owns it) holds the engine's answer for each lead: the step,
offer, due time, score, warmth and rule of a suggestion, or the rule and until-when of a
"no suggestion"; with when it was computed, ``valid_until_us`` (the first moment time
alone may change the answer: a cooldown's end, a snooze's end, the warm window, the
engagement windows...) and the book's generation it was scored in. ``next_ask_book`` holds
that generation, the ladder, offers and pacing it stands for, and the evidence (acceptance
rates, medians, offers used, the newest e-mail) every row was scored with, as JSON, so a
refresh of a few leads scores them as the rest were.

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
    to_us,
)
from crm.store.models import database_proxy

# valid until: never by time alone
FOREVER = (1 << 62) - 1
_WEEK = 7 * DAY_US

# A stored row: lead_id, gen, computed_us, valid_until_us, rule, step, step_label, offer,
# due_us, score, warmth, until_us
Stored = tuple[Any, ...]


# ---- evidence and setup as stored text ------------------------------------------------


def evidence_json(evidence: Evidence) -> str:
    """``evidence`` as canonical JSON: equal evidence, equal text (floats kept exact)."""
    return json.dumps(
        {
            "rates": sorted([lv, key, acc, n] for (lv, key), (acc, n) in evidence.rates.items()),
            "median_days": sorted([lv, days] for lv, days in evidence.median_days.items()),
            "offer_steps": sorted(
                [oid, sorted(keys)] for oid, keys in evidence.offer_steps.items()
            ),
            "newest_email": evidence.newest_email,
        },
        separators=(",", ":"),
    )


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
    if isinstance(result, NoSuggestion):
        return (
            lead_id,
            gen,
            now_us,
            until,
            result.rule,
            None,
            None,
            None,
            None,
            None,
            None,
            None if result.until is None else to_us(result.until),
        )
    return (
        lead_id,
        gen,
        now_us,
        until,
        result.rule,
        result.step,
        result.step_label,
        result.offer,
        None if due_now else result.due_us,
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
