"""Funnel and conversion statistics, from one read of the yeses and a few aggregates.

``compute_funnel`` answers "how far do leads climb, which asks and which free offers lead
on to bigger actions, and how long does each step take" for a period and, optionally,
one lead source or one tag.

What counts, precisely:

- Every lead row counts, whatever its status: an unsubscribed, bounced or erased
  (anonymised) lead still climbed the steps it climbed, and past numbers must not change
  when someone is forgotten.
- The source and tag filters pick leads (``lead.source``; a tag the lead carries now).
- Without a period, a lead's reach is its cached highest level (``lead.level``).
- With a period (``since`` inclusive, ``until`` exclusive, naive UTC), the numbers are
  computed as if the database held only the yeses dated inside it: a lead's reach is the
  highest step of its yeses in the period; ``took`` counts leads with a yes at that step
  in the period; an offer's "later" steps, paths, velocity and cohorts only see yeses in
  the period; asks are those asked in the period, with their outcome as it stands now.

The steps, per step of the ladder (lowest first):

- ``took``: leads with a yes at exactly that step.
- ``tracked``: whether any yes at the step is recorded among the leads and dates in view
  (``took`` > 0). A step nobody's yes was ever recorded at (clicks, when only subscriber
  lists were imported) is "not tracked": the charts and tables say so instead of a count.
- ``reached``: leads whose highest level is at or above the step (a lead that booked a
  call without ever clicking still reached "clicked", once clicks are tracked). For a step
  that is not tracked the number only repeats the next step's, since no lead can have it
  as its highest: it stays in the JSON for scripts, beside ``"tracked": false``.
- ``conversion``: reached over the reached of the nearest tracked step below; None for a
  step that is not tracked, when no step below is tracked, or when nobody reached that
  one. Against an untracked step the ratio would read 100% whatever the leads did.
  ``drop_off`` is that step's reached minus this one's (0 where there is no such step).
  The JSON gives it as ``tracked_conversion`` (over ``tracked_base``); its ``conversion``
  stays reached over the previous step's reached (``after_previous``), whatever that step.

Asks: per step, how many asks were made and how they stand; the acceptance rate is
accepted over answered asks (accepted, declined or no response), pending left out.

Offers: a taker is a lead with a yes about the offer; the offer's level is that of the
lead's first such yes. ``went_further`` counts takers who first reached some higher step
after taking the offer, ``reached_major`` takers who first reached a major step (a call
or a sale) after it, and ``median_days_to_next`` is the median time from taking the
offer to the earliest of those higher steps, over the takers who went further. (A step
the lead had already reached before the offer is not "further", even if repeated.)

Paths: for each major step, each lead's first yes at that step and the non-major step of
the lead's latest non-major yes before it ("none" when there was none).

Velocity: for each pair of consecutive ladder steps, over the leads who took both, the
median days from the first yes at the lower step to the first yes at the higher one (a
lead that took them in the other order is left out of that pair).

Cohorts: leads grouped by the month (UTC) of their first yes, and the share of each
cohort whose highest level reached each step (null in the JSON for a step that is not
tracked).

Revenue: per currency, what the sales in view brought and which small yeses came before
them (``crm.analytics.revenue``, where the period picks sales by their date).
"""

from __future__ import annotations

import itertools
import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crm.analytics.revenue import Revenue, compute_revenue, free_offer_ids
from crm.analytics.view import FilterSql, FunnelFilter, NumbersTable, check_filter
from crm.analytics.yeses import OfferTally, YesesRead, collector_paused, read_yeses
from crm.asking.ladder import StepRow, get_ladder
from crm.errors import ValidationError
from crm.jobs import CancelToken, no_progress
from crm.store.models import database_proxy

log = logging.getLogger(__name__)

NO_STEP = "none"  # the "from" of a path with no non-major yes before the major step
NOT_TRACKED = "not tracked"  # in place of a count at a step no yes in view is recorded at


@dataclass(frozen=True, slots=True)
class StepReach:
    key: str
    label: str
    level: int
    major: bool
    reached: int
    took: int
    conversion: float | None
    drop_off: int  # leads lost since the nearest tracked step below (0 where none)
    tracked: bool = True  # some yes at this step is recorded among the leads and dates in view
    base: str | None = None  # the key of the step ``conversion`` and ``drop_off`` compare with
    # reached over the previous step's reached, tracked or not: the JSON's "conversion",
    # the plain arithmetic scripts have always read
    after_previous: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "level": self.level,
            "reached": self.reached,
            "took": self.took,
            "conversion": self.after_previous,
            "tracked": self.tracked,
            "tracked_conversion": self.conversion,
            "tracked_base": self.base,
        }


@dataclass(frozen=True, slots=True)
class StepAsks:
    step: str
    label: str
    asked: int
    accepted: int
    declined: int
    no_response: int
    pending: int

    @property
    def acceptance_rate(self) -> float | None:
        answered = self.accepted + self.declined + self.no_response
        return self.accepted / answered if answered else None

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "asked": self.asked,
            "accepted": self.accepted,
            "declined": self.declined,
            "no_response": self.no_response,
            "pending": self.pending,
        }


@dataclass(frozen=True, slots=True)
class OfferStats:
    offer: str
    takers: int
    went_further: int
    reached_major: int
    median_days_to_next: float | None

    @property
    def further_rate(self) -> float | None:
        return self.went_further / self.takers if self.takers else None

    def to_json(self) -> dict[str, Any]:
        return {
            "offer": self.offer,
            "takers": self.takers,
            "went_further": self.went_further,
            "reached_major": self.reached_major,
            "median_days_to_next": _round(self.median_days_to_next),
        }


@dataclass(frozen=True, slots=True)
class PathRow:
    step: str  # the major step
    label: str
    from_step: str  # the micro step just before, or NO_STEP
    from_label: str
    leads: int
    share: float  # of the leads who reached ``step`` in the funnel's view

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "from": self.from_step,
            "leads": self.leads,
            "share": round(self.share, 4),
        }


@dataclass(frozen=True, slots=True)
class VelocityRow:
    from_step: str
    from_label: str
    to_step: str
    to_label: str
    leads: int
    median_days: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.from_step,
            "to": self.to_step,
            "leads": self.leads,
            "median_days": _round(self.median_days),
        }


@dataclass(frozen=True, slots=True)
class CohortRow:
    month: str  # YYYY-MM, of the lead's first yes
    leads: int
    reached: tuple[tuple[str, int], ...]  # (step key, leads of the cohort that reached it)

    def share(self, key: str) -> float:
        counts = dict(self.reached)
        return counts.get(key, 0) / self.leads if self.leads else 0.0

    def to_json(self, untracked: frozenset[str] = frozenset()) -> dict[str, Any]:
        return {
            "month": self.month,
            "leads": self.leads,
            "reached": {
                key: None if key in untracked else round(n / self.leads, 4)
                for key, n in self.reached
            },
        }


@dataclass(frozen=True, slots=True)
class Funnel:
    filter: FunnelFilter
    leads: int  # lead rows matching the source/tag filter
    steps: tuple[StepReach, ...]
    asks: tuple[StepAsks, ...]
    offers: tuple[OfferStats, ...]
    paths: tuple[PathRow, ...]
    velocity: tuple[VelocityRow, ...]
    cohorts: tuple[CohortRow, ...]
    revenue: Revenue  # per currency, from the sales in view (crm.analytics.revenue)

    @property
    def empty(self) -> bool:
        """True when no lead in view has a yes: there is nothing to chart."""
        return not any(s.reached for s in self.steps)

    @property
    def untracked(self) -> frozenset[str]:
        """The keys of the steps no yes in view is recorded at."""
        return frozenset(s.key for s in self.steps if not s.tracked)

    def step(self, key: str) -> StepReach | None:
        return next((s for s in self.steps if s.key == key), None)

    def base_across_gap(self, step: StepReach) -> StepReach | None:
        """The step ``step``'s conversion is taken over when untracked steps lie between
        the two (a label says which); None when it is the step just below, or none."""
        index = self.steps.index(step)
        if step.base is None or (index and self.steps[index - 1].key == step.base):
            return None
        return self.step(step.base)

    def to_json(self) -> dict[str, Any]:
        untracked = self.untracked
        return {
            "steps": [s.to_json() for s in self.steps],
            "asks": [a.to_json() for a in self.asks],
            "offers": [o.to_json() for o in self.offers],
            "paths": [p.to_json() for p in self.paths],
            "velocity": [v.to_json() for v in self.velocity],
            "cohorts": [c.to_json(untracked) for c in self.cohorts],
            "revenue": self.revenue.to_json(),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _exec(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return database_proxy.execute_sql(sql, params).fetchall()


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def compute_funnel(
    flt: FunnelFilter = FunnelFilter(),
    *,
    progress: Callable[[int, int], None] = no_progress,
    cancel: CancelToken | None = None,
) -> Funnel:
    """Every funnel number for ``flt``; see the module docstring for what each one means.

    The yeses are read once (``crm.analytics.yeses``): reach, took, cohorts, velocity,
    paths and offers, and revenue's first free offers and paths, all come from that one
    read; the asks and the sales are read beside it, in the same snapshot.
    """
    check_filter(flt)
    ladder = sorted(get_ladder(), key=lambda s: s.level)
    sql = FilterSql(flt)
    total, done = 7, 0

    def tick() -> None:
        nonlocal done
        if cancel is not None:
            cancel.raise_if_cancelled()
        done += 1
        progress(done, total)

    # One read transaction: every query sees the same snapshot even while an import writes
    # (DEFERRED: transactions begin IMMEDIATE by default, which would wait for the writer).
    with database_proxy.atomic("DEFERRED"), collector_paused():
        read = read_yeses(ladder, sql, flt, free_offer_ids())
        tick()
        leads = _count_leads(sql)
        cohorts, reached_in_view = _cohorts(ladder, read)
        steps = _steps(ladder, sql, flt, list(read.took), reached_in_view)
        tick()
        asks = _asks(ladder, sql, flt)
        tick()
        offers = _offers(read)
        tick()
        paths = _paths(ladder, read)
        tick()
        velocity = _velocity(ladder, read)
        tick()
        revenue = compute_revenue(flt, yeses=read)
        del read  # freed here, while the collector is paused: nothing is left for it
        tick()
    return Funnel(
        filter=flt,
        leads=leads,
        steps=steps,
        asks=asks,
        offers=offers,
        paths=paths,
        velocity=velocity,
        cohorts=cohorts,
        revenue=revenue,
    )


def _count_leads(sql: FilterSql) -> int:
    where = (" WHERE " + " AND ".join(sql.lead_where)) if sql.filtered else ""
    return _exec(f"SELECT count(*) FROM lead l{where}", sql.lead_params)[0][0]


def _cohorts(ladder: list[StepRow], read: YesesRead) -> tuple[tuple[CohortRow, ...], list[int]]:
    """Cohorts, and reached per step as the yeses in view say, from the leads counted by
    (month of first yes, highest level): the "at or above" sums are done on those few."""
    by_month: dict[str, dict[int, int]] = {}
    for (month, top), n in sorted(read.tops.items()):
        by_month.setdefault(month, {})[top] = n
    cohorts = tuple(
        CohortRow(
            month=month,
            leads=sum(counts.values()),
            reached=tuple(
                (s.key, sum(n for top, n in counts.items() if top >= s.level)) for s in ladder
            ),
        )
        for month, counts in by_month.items()
    )
    reached = [sum(dict(c.reached)[s.key] for c in cohorts) for s in ladder]
    return cohorts, reached


def _steps(
    ladder: list[StepRow],
    sql: FilterSql,
    flt: FunnelFilter,
    took: list[int],
    reached_in_view: list[int],
) -> tuple[StepReach, ...]:
    if flt.has_period:
        reached_list = reached_in_view
    else:
        # No period: the cached highest level is the lead's reach, with no pass needed.
        where = (" WHERE " + " AND ".join(sql.lead_where)) if sql.filtered else ""
        top = _exec(
            f"SELECT l.level, count(*) FROM lead l{where} GROUP BY l.level", sql.lead_params
        )
        reached_list = [sum(n for level, n in top if level >= step.level) for step in ladder]
    out: list[StepReach] = []
    base: StepRow | None = None  # the nearest tracked step below
    base_reached = 0
    previous: int | None = None
    for step, reached, took_n in zip(ladder, reached_list, took, strict=True):
        tracked = took_n > 0
        compared = base if tracked else None
        out.append(
            StepReach(
                key=step.key,
                label=step.label,
                level=step.level,
                major=step.major,
                reached=reached,
                took=took_n,
                conversion=reached / base_reached if compared and base_reached else None,
                drop_off=(base_reached - reached) if compared else 0,
                tracked=tracked,
                base=compared.key if compared else None,
                after_previous=reached / previous if previous else None,
            )
        )
        previous = reached
        if tracked:
            base, base_reached = step, reached
    return tuple(out)


def _asks(ladder: list[StepRow], sql: FilterSql, flt: FunnelFilter) -> tuple[StepAsks, ...]:
    where, params = sql.period("a.asked_at", flt)
    # Counted per (step, outcome): along the (step_id, outcome) index, with no sums to do.
    rows = _exec(
        f"SELECT a.step_id, a.outcome, count(*) FROM ask a{sql.lead_join('a')}"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " GROUP BY a.step_id, a.outcome",
        sql.lead_params + params,
    )
    by_id: dict[int, dict[str, int]] = {}
    for step_id, outcome, n in rows:
        by_id.setdefault(step_id, {})[outcome] = n
    return tuple(
        StepAsks(
            step.key,
            step.label,
            sum(counts.values()),
            *(counts.get(o, 0) for o in ("accepted", "declined", "no_response", "pending")),
        )
        for step in ladder
        if (counts := by_id.get(step.id)) is not None
    )


def _offers(read: YesesRead) -> tuple[OfferStats, ...]:
    # Ordered as shown: most takers first, then by name as SQLite compares them; a sort
    # on takers alone keeps that name order among equals.
    named = _exec("SELECT id, name, retired FROM offer ORDER BY name COLLATE NOCASE")
    none = OfferTally()
    rows = sorted(named, key=lambda r: -read.offers.get(r[0], none).takers)
    out: list[OfferStats] = []
    for offer_id, name, retired in rows:
        tally = read.offers.get(offer_id, none)
        if tally.takers or not retired:
            out.append(
                OfferStats(
                    name,
                    tally.takers,
                    tally.went_further,
                    tally.reached_major,
                    _median(tally.days_to_next),
                )
            )
    return tuple(out)


def _paths(ladder: list[StepRow], read: YesesRead) -> tuple[PathRow, ...]:
    out: list[PathRow] = []
    by_level = {s.level: s for s in ladder}
    for i, step in enumerate(ladder):
        if not step.major:
            continue
        rows = read.paths.get(i, {})
        total = sum(rows.values())
        for before, n in sorted(rows.items(), key=lambda r: (-r[1], r[0] or 0)):
            prev = by_level.get(before) if before is not None else None
            out.append(
                PathRow(
                    step=step.key,
                    label=step.label,
                    from_step=prev.key if prev else NO_STEP,
                    from_label=prev.label if prev else "No earlier step",
                    leads=n,
                    share=n / total,
                )
            )
    return tuple(out)


def _velocity(ladder: list[StepRow], read: YesesRead) -> tuple[VelocityRow, ...]:
    return tuple(
        VelocityRow(lo.key, lo.label, hi.key, hi.label, len(values), _median(values))
        for (lo, hi), values in zip(itertools.pairwise(ladder), read.velocity, strict=True)
    )


# --- the numbers as tables: the UI shows them beside each chart, the report under it ---

CHART_KINDS = ("funnel", "asks", "offers", "cohorts", "velocity")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _int(value: int) -> str:
    return f"{value:,}"


def conversion_text(funnel: Funnel, step: StepReach) -> str:
    """The step's conversion as a percentage, naming the step it is taken over when an
    untracked step lies between them ('67% of Clicked')."""
    if step.conversion is None:
        return "–"
    base = funnel.base_across_gap(step)
    return f"{step.conversion:.0%}" + (f" of {base.label}" if base else "")


def numbers_table(funnel: Funnel, kind: str) -> NumbersTable:
    """The numbers behind one chart (``kind`` is one of CHART_KINDS)."""
    if kind == "funnel":
        return NumbersTable(
            "Reach per step",
            ("Step", "Reached", "Took", "Conversion", "Drop-off"),
            tuple(
                (
                    s.label,
                    _int(s.reached) if s.tracked else NOT_TRACKED,
                    _int(s.took),
                    conversion_text(funnel, s),
                    _int(s.drop_off) if s.conversion is not None else "–",
                )
                for s in funnel.steps
            ),
            # An untracked step's "leads at or above" are another step's: nothing to list.
            tuple(("step", s.key) if s.tracked else None for s in funnel.steps),
        )
    if kind == "asks":
        return NumbersTable(
            "Asks per step",
            ("Step", "Asked", "Accepted", "Declined", "No response", "Pending", "Acceptance"),
            tuple(
                (
                    a.label,
                    _int(a.asked),
                    _int(a.accepted),
                    _int(a.declined),
                    _int(a.no_response),
                    _int(a.pending),
                    _pct(a.acceptance_rate),
                )
                for a in funnel.asks
            ),
            tuple(("step", a.step) for a in funnel.asks),
        )
    if kind == "offers":
        return NumbersTable(
            "Offers: who went on",
            ("Offer", "Takers", "Went further", "Booked or bought", "Days to next (median)"),
            tuple(
                (
                    o.offer,
                    _int(o.takers),
                    f"{_int(o.went_further)} ({_pct(o.further_rate)})",
                    _int(o.reached_major),
                    _days(o.median_days_to_next),
                )
                for o in funnel.offers
            ),
            tuple(("offer", o.offer) for o in funnel.offers),
        )
    if kind == "cohorts":
        # The columns keep the steps' names (a report page has no room for more); the title
        # says what a dash means.
        gaps = f" (– where a step is {NOT_TRACKED})" if funnel.untracked else ""
        return NumbersTable(
            f"Cohorts by month of first yes{gaps}",
            ("Month", "Leads", *(s.label for s in funnel.steps)),
            tuple(
                (
                    c.month,
                    _int(c.leads),
                    *(_pct(c.share(s.key) if s.tracked else None) for s in funnel.steps),
                )
                for c in funnel.cohorts
            ),
            tuple(None for _ in funnel.cohorts),
        )
    if kind == "velocity":
        return NumbersTable(
            "Days between consecutive steps",
            ("From", "To", "Leads", "Median days"),
            tuple(
                (v.from_label, v.to_label, _int(v.leads), _days(v.median_days))
                for v in funnel.velocity
            ),
            tuple(None for _ in funnel.velocity),
        )
    if kind == "paths":
        return NumbersTable(
            "Paths into the major steps",
            ("Major step", "Step just before", "Leads", "Share"),
            tuple((p.label, p.from_label, _int(p.leads), _pct(p.share)) for p in funnel.paths),
            tuple(None for _ in funnel.paths),
        )
    raise ValidationError(f"'{kind}' is not a chart: use one of {', '.join(CHART_KINDS)}.")
