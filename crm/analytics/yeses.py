"""The one pass over the yeses (commitments) that the funnel and its revenue numbers share.

The rows come back in lead order along the ``commitment_lead`` index (lead, time, then
the order recorded), for the leads the filter picks and up to the period's end, and each
lead's rows are folded here as they arrive: its first yes at each step, its highest level,
the offers it took, the step it took just before each major one, its first free offer.
Reading the rows as they lie in the index and folding them in Python costs less than one
``GROUP BY`` over the same table (which has to sort), and every number of the funnel and
of its revenue section then comes from this one read.

Times stay the stored text (they compare in time order as text) beside SQLite's
``julianday`` of each, so a difference in days is exactly the one SQL would give.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from crm.analytics.view import FilterSql, FunnelFilter, text_time
from crm.asking.ladder import StepRow
from crm.store.models import database_proxy

FirstYes = tuple[str, float]  # (the stored time, its julian day)


@dataclass(slots=True)
class OfferTally:
    """Per offer, over the leads that took it in view (a lead's first yes about it)."""

    takers: int = 0
    went_further: int = 0  # first reached a higher step after taking it
    reached_major: int = 0  # first reached a major step after taking it
    days_to_next: list[float] = field(default_factory=list)  # for those who went further


@dataclass(frozen=True, slots=True)
class YesesRead:
    """What the pass found, per step index ``i`` of the ladder (lowest first)."""

    steps: tuple[int, ...]  # the step id at each index
    took: tuple[int, ...]  # leads with a yes in view at steps[i]
    # (month of the lead's first yes in view, the lead's highest level in view) -> leads
    tops: dict[tuple[str, int], int]
    # per pair (i, i + 1): days from the first yes at i to the first at i + 1, over the leads
    # that took both, the higher one no earlier than the lower
    velocity: tuple[list[float], ...]
    offers: dict[int, OfferTally]  # offer id -> its takers' numbers
    # major step index -> (level of the latest small yes before its first yes, or None) -> leads
    paths: dict[int, dict[int | None, int]]
    # Whole history up to the period's end, whatever its start: what revenue reads.
    first_free: dict[int, int]  # lead id -> the offer of its first small yes about a free one
    firsts: dict[int, dict[int, FirstYes]]  # lead id -> {index: its first yes at steps[index]}


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while the read's results are alive.

    The read keeps a few containers per lead; none can form a cycle, yet with them alive
    the collector would walk the growing heap again and again (a third of the time on a
    100,000-lead book). Freed by reference counting once dropped, they leave nothing for it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_yeses(
    ladder: Sequence[StepRow], sql: FilterSql, flt: FunnelFilter, free_offers: frozenset[int]
) -> YesesRead:
    """Fold every yes of the leads in view, up to the period's end, in one read.

    The funnel's numbers (``took``, ``tops``, ``velocity``, ``offers``, ``paths``) see only
    the yeses inside the period; ``first_free`` and ``firsts`` see every yes before its end
    (a guide taken before the period still explains a sale inside it). ``free_offers``
    names the offers a lead can take for free.
    """
    n = len(ladder)
    index = {int(s.id): i for i, s in enumerate(ladder)}
    levels = [int(s.level) for s in ladder]
    majors = [bool(s.major) for s in ladder]
    major_mask = sum(1 << i for i in range(n) if majors[i])
    since = text_time(flt.since) if flt.since is not None else None
    params = list(sql.lead_params)
    end = ""
    if flt.until is not None:
        end = " WHERE c.at < ?"
        params.append(text_time(flt.until))
    cursor = database_proxy.execute_sql(
        "SELECT c.lead_id, c.step_id, c.offer_id, c.at, julianday(c.at) FROM commitment c "
        f"INDEXED BY commitment_lead{sql.lead_join('c')}{end} ORDER BY c.lead_id, c.at, c.id",
        params,
    )
    # (month of the first yes in view, the steps taken in view as bits) -> leads
    by_month_mask: dict[tuple[str, int], int] = {}
    velocity: tuple[list[float], ...] = tuple([] for _ in range(max(n - 1, 0)))
    pairs_of: dict[int, list[int]] = {}
    offers: dict[int, OfferTally] = {}
    paths: dict[int, dict[int | None, int]] = {i: {} for i in range(n) if majors[i]}
    first_free: dict[int, int] = {}
    lead_firsts: dict[int, dict[int, FirstYes]] = {}
    for lead_id, group in groupby(cursor, key=itemgetter(0)):
        firsts: dict[int, FirstYes] = {}  # in view, in time order
        history = firsts if since is None else {}
        takes: dict[int, tuple[str, float, int]] | None = None
        mask = 0
        last_at = ""
        free = None
        # The latest small yes so far: its time, the highest level at that time, and the
        # same for the time before it (a major step's "before" is strictly earlier).
        small_at: str | None = None
        small_level: int | None = None
        small_prev: int | None = None
        for _, step_id, offer_id, at, jd in group:
            i = index[step_id]
            if since is not None:
                if i not in history:
                    history[i] = (at, jd)
                if free is None and offer_id in free_offers and not majors[i]:
                    free = offer_id
                if at < since:
                    continue
            if majors[i]:
                if i not in firsts:
                    before = small_level if small_at != at else small_prev
                    counts = paths[i]
                    counts[before] = counts.get(before, 0) + 1
            elif at != small_at:
                small_prev, small_at, small_level = small_level, at, levels[i]
            elif small_level is None or levels[i] > small_level:
                small_level = levels[i]
            if i not in firsts:
                firsts[i] = (at, jd)
                mask |= 1 << i
                last_at = at
            if offer_id is not None:
                if free is None and since is None and offer_id in free_offers and not majors[i]:
                    free = offer_id
                if takes is None:
                    takes = {offer_id: (at, jd, levels[i])}
                elif offer_id not in takes:
                    takes[offer_id] = (at, jd, levels[i])
        if free is not None:
            first_free[lead_id] = free
        if history:
            lead_firsts[lead_id] = history
        if not mask:
            continue
        key = (next(iter(firsts.values()))[0][:7], mask)
        by_month_mask[key] = by_month_mask.get(key, 0) + 1
        pairs = pairs_of.get(mask)
        if pairs is None:
            pairs = pairs_of[mask] = [i for i in range(n - 1) if (mask >> i) & 3 == 3]
        for i in pairs:
            lo = firsts[i]
            hi = firsts[i + 1]
            if hi[0] >= lo[0]:
                velocity[i].append(hi[1] - lo[1])
        if takes is not None:
            for offer_id, (t0, jd0, level0) in takes.items():
                tally = offers.get(offer_id)
                if tally is None:
                    tally = offers[offer_id] = OfferTally()
                tally.takers += 1
                if last_at <= t0:
                    continue  # nothing was first taken after it
                for i, (at, jd) in firsts.items():
                    if at > t0 and levels[i] > level0:
                        tally.went_further += 1
                        tally.days_to_next.append(jd - jd0)
                        break
                if mask & major_mask and any(majors[i] and f[0] > t0 for i, f in firsts.items()):
                    tally.reached_major += 1
    took = [0] * n
    tops: dict[tuple[str, int], int] = {}
    for (month, mask), leads in by_month_mask.items():
        top = (month, levels[mask.bit_length() - 1])
        tops[top] = tops.get(top, 0) + leads
        for i in range(n):
            if mask >> i & 1:
                took[i] += leads
    return YesesRead(
        steps=tuple(int(s.id) for s in ladder),
        took=tuple(took),
        tops=tops,
        velocity=velocity,
        offers=offers,
        paths=paths,
        first_free=first_free,
        firsts=lead_firsts,
    )
