"""Revenue in the funnel: what the sales in view brought, per currency, and which small
yeses came before them.

``compute_revenue`` answers "which free offer, which source and which run of small yeses
lead on to the people who buy, and to how much?" for the funnel's filters.

What counts, precisely:

- A sale counts with its net amount (``sale.amount - sale.refunded``, in the currency's
  minor units) when that is above zero: a refund reduces it, and a wholly refunded sale
  counts nothing, not even as a purchase. A purchase logged by hand has no sale row and
  no amount: the funnel's steps count it, revenue does not.
- Amounts in different currencies are never added: every number below is one currency's.
- The source and tag filters pick leads, as in the funnel. The period picks sales by
  their date (``sale.at``); what came before a sale is read from the lead's whole history
  up to the period's end, so a guide downloaded in March still explains a sale in June.

The numbers, per currency (ISO code):

- ``total`` (net), ``purchases`` (sales), ``buyers`` (distinct leads with one), and
  ``per_lead``: the total over the leads in view (every lead the source and tag pick,
  the funnel's ``leads``), rounded to the minor unit.
- By first free offer: each lead's first small yes (at a step that is not major) about a
  free offer, dated before the period's end (of two at the same time, the one recorded
  first). A free offer is not a product (a product priced 0 is free) nor a call: a sale
  logged by hand names an offer of no kind, but at a major step. ``took`` counts the
  leads whose first free offer it is, ``buyers`` and ``revenue`` those of them who
  bought, ``share`` is buyers over took. The row without an offer holds the leads that
  took no free offer, so the rows add up to the totals.
- By source (``lead.source``): leads, buyers and revenue; the rows add up to the totals.
- By path: new buyers (leads whose first sale in the currency falls in the period;
  without a period, every buyer) grouped by the distinct steps of their yeses before that
  first sale, in the order first taken; the top ``PATHS_SHOWN`` by buyers, each with
  those buyers' revenue in view.
- Days to first purchase: over the same new buyers, the days from the lead's first yes to
  its first sale (0 when the sale is the first thing recorded), as a median and in
  ``BUCKETS``.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crm.analytics.view import FilterSql, FunnelFilter, NumbersTable, check_filter, text_time
from crm.analytics.yeses import YesesRead
from crm.asking.ladder import StepRow, get_ladder
from crm.money import check_currency, decimal_text, shown
from crm.store.models import database_proxy

log = logging.getLogger(__name__)


def _exec(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    return database_proxy.execute_sql(sql, params).fetchall()


REVENUE_CHARTS = ("revenue-by-offer", "time-to-purchase")
PATHS_SHOWN = 10
NO_OFFER = "Took no free offer"  # the row of leads whose yeses named no free offer
NO_PATH = "No yes before it"  # a first purchase with no earlier yes
# (label, from days inclusive, to days exclusive or None): whole 24-hour days
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("Under a day", 0, 1),
    ("1–7 days", 1, 8),
    ("8–30 days", 8, 31),
    ("31–90 days", 31, 91),
    ("91+ days", 91, None),
)

_BUYERS = "temp.revenue_buyers"
# An offer a lead can take for free: not something sold, not a meeting.
_FREE_OFFER = (
    "SELECT id FROM offer WHERE kind NOT IN ('product', 'call') OR (kind = 'product' AND price = 0)"
)


def free_offer_ids() -> frozenset[int]:
    """The ids of the offers a lead can take for free (see the module docstring)."""
    return frozenset(int(r[0]) for r in _exec(_FREE_OFFER))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class OfferRevenue:
    offer: str | None  # None: the leads that took no free offer
    took: int
    buyers: int
    revenue: int  # minor units

    @property
    def share(self) -> float | None:
        return _share(self.buyers, self.took)

    @property
    def label(self) -> str:
        return self.offer if self.offer is not None else NO_OFFER

    def to_json(self, currency: str) -> dict[str, Any]:
        return {
            "offer": self.offer,
            "took": self.took,
            "buyers": self.buyers,
            "revenue": decimal_text(self.revenue, currency),
            "share": _rounded(self.share),
        }


@dataclass(frozen=True, slots=True)
class SourceRevenue:
    source: str
    leads: int
    buyers: int
    revenue: int

    @property
    def share(self) -> float | None:
        return _share(self.buyers, self.leads)

    def to_json(self, currency: str) -> dict[str, Any]:
        return {
            "source": self.source,
            "leads": self.leads,
            "buyers": self.buyers,
            "revenue": decimal_text(self.revenue, currency),
            "share": _rounded(self.share),
        }


@dataclass(frozen=True, slots=True)
class PathRevenue:
    path: tuple[str, ...]  # step keys in the order first taken; () when none came before
    labels: tuple[str, ...]
    buyers: int
    revenue: int

    @property
    def text(self) -> str:
        return " → ".join(self.labels) if self.labels else NO_PATH

    def to_json(self, currency: str) -> dict[str, Any]:
        return {
            "path": list(self.path),
            "buyers": self.buyers,
            "revenue": decimal_text(self.revenue, currency),
        }


@dataclass(frozen=True, slots=True)
class DaysBucket:
    label: str
    from_days: int
    to_days: int | None  # exclusive; None for the open end
    buyers: int


@dataclass(frozen=True, slots=True)
class CurrencyRevenue:
    """Every revenue number of one currency; amounts in its minor units."""

    currency: str
    leads: int  # leads in view: what ``per_lead`` divides by
    total: int
    purchases: int
    buyers: int
    by_first_offer: tuple[OfferRevenue, ...]
    by_source: tuple[SourceRevenue, ...]
    by_path: tuple[PathRevenue, ...]  # the top PATHS_SHOWN
    new_buyers: int  # buyers whose first purchase falls in the period
    median_days: float | None
    distribution: tuple[DaysBucket, ...]

    @property
    def per_lead(self) -> int:
        """The total over the leads in view, rounded half up to the minor unit."""
        if not self.leads:
            return 0
        exact = Decimal(self.total) / Decimal(self.leads)
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def money(self, minor: int) -> str:
        """An amount of this currency as a person reads it: '€6,150.00'."""
        return shown(minor, self.currency)

    def best_offer(self) -> OfferRevenue | None:
        """The free offer whose first takers brought the most revenue (None when none)."""
        named = [o for o in self.by_first_offer if o.offer is not None and o.revenue]
        return max(named, key=lambda o: (o.revenue, o.buyers), default=None)

    def to_json(self) -> dict[str, Any]:
        cur = self.currency
        return {
            "total": decimal_text(self.total, cur),
            "buyers": self.buyers,
            "purchases": self.purchases,
            "leads": self.leads,
            "revenue_per_lead": decimal_text(self.per_lead, cur),
            "by_first_offer": [o.to_json(cur) for o in self.by_first_offer],
            "by_source": [s.to_json(cur) for s in self.by_source],
            "by_path": [p.to_json(cur) for p in self.by_path],
            "days_to_first_purchase": {
                "median": _rounded(self.median_days, 2),
                "buyers": self.new_buyers,
                "distribution": [
                    {
                        "label": b.label,
                        "from_days": b.from_days,
                        "to_days": b.to_days,
                        "buyers": b.buyers,
                        "share": _rounded(_share(b.buyers, self.new_buyers)),
                    }
                    for b in self.distribution
                ],
            },
        }


@dataclass(frozen=True, slots=True)
class Revenue:
    """Revenue per currency, the currency with the most purchases first."""

    leads: int
    currencies: tuple[CurrencyRevenue, ...]

    @property
    def empty(self) -> bool:
        return not self.currencies

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.currency for c in self.currencies)

    def of(self, currency: str | None = None) -> CurrencyRevenue | None:
        """One currency's numbers: the first when ``currency`` is None; None when the
        currency (a valid ISO code) has no sale in view. A code that is not ISO 4217 is
        refused with a ValidationError."""
        if currency is None:
            return self.currencies[0] if self.currencies else None
        code = check_currency(currency)
        return next((c for c in self.currencies if c.currency == code), None)

    def to_json(self) -> dict[str, Any]:
        return {c.currency: c.to_json() for c in self.currencies}


def _rounded(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def compute_revenue(
    flt: FunnelFilter = FunnelFilter(), *, yeses: YesesRead | None = None
) -> Revenue:
    """Revenue per currency for ``flt``; see the module docstring for each number.

    The sales in view go once into a per-buyer temporary table (revenue, purchases, first
    sale, first yes); each lead's first free offer takes one pass along the yeses; the
    rest are a few aggregates over the buyers, however many leads the book holds. It reads
    in one transaction, so every number sees the same snapshot (inside ``compute_funnel``,
    the funnel's).

    ``yeses`` is the funnel's one read of the yeses for the same filter (``compute_funnel``
    passes it): the first free offers and the paths then come from it, with the same
    numbers and no read of the yeses of their own.
    """
    check_filter(flt)
    sql = FilterSql(flt)
    with database_proxy.atomic("DEFERRED"):
        try:
            _build_buyers(sql, flt)
            return _revenue(sql, flt, yeses)
        finally:
            database_proxy.execute_sql(f"DROP TABLE IF EXISTS {_BUYERS}")


def _build_buyers(sql: FilterSql, flt: FunnelFilter) -> None:
    """One row per (lead, currency) with a sale in view: net revenue, purchases, the first
    sale ever in that currency, the lead's first yes, and whether the first sale is in view."""
    where, params = sql.period("s.at", flt)
    # Without a start to the period, a buyer's first sale in view is its first sale.
    first_ever = (
        "(SELECT min(s2.at) FROM sale s2 WHERE s2.lead_id = s.lead_id "
        "AND s2.currency = s.currency AND s2.amount > s2.refunded)"
        if flt.since is not None
        else "min(s.at)"
    )
    database_proxy.execute_sql(f"DROP TABLE IF EXISTS {_BUYERS}")
    database_proxy.execute_sql(
        f"CREATE TABLE {_BUYERS} AS SELECT lead_id, currency, revenue, purchases, first_sale, "
        "min(coalesce(first_yes, first_sale), first_sale) AS first_yes, "
        "(first_sale = first_in_view) AS new FROM ("
        "SELECT s.lead_id AS lead_id, s.currency AS currency, "
        "sum(s.amount - s.refunded) AS revenue, count(*) AS purchases, "
        f"min(s.at) AS first_in_view, {first_ever} AS first_sale, "
        "(SELECT min(c.at) FROM commitment c WHERE c.lead_id = s.lead_id) AS first_yes "
        f"FROM sale s{sql.lead_join('s')} WHERE s.amount > s.refunded"
        + "".join(f" AND {w}" for w in where)
        + " GROUP BY s.lead_id, s.currency)",
        sql.lead_params + params,
    )


def _revenue(sql: FilterSql, flt: FunnelFilter, yeses: YesesRead | None) -> Revenue:
    lead_where = (" WHERE " + " AND ".join(sql.lead_where)) if sql.filtered else ""
    leads_by_source = _exec(
        f"SELECT l.source, count(*) FROM lead l{lead_where} GROUP BY l.source", sql.lead_params
    )
    leads = sum(n for _, n in leads_by_source)
    totals = _exec(
        f"SELECT currency, sum(revenue), sum(purchases), count(*), sum(new) FROM {_BUYERS} "
        "GROUP BY currency ORDER BY sum(purchases) DESC, currency"
    )
    if not totals:
        return Revenue(leads, ())
    if yeses is None:
        offers = _by_first_offer(sql, flt, leads)
        paths = _by_path()
    else:
        offers = _by_first_offer_read(yeses.first_free, leads)
        paths = _by_path_read(yeses)
    sources = _by_source(dict(leads_by_source))
    median, buckets = _days()
    return Revenue(
        leads,
        tuple(
            CurrencyRevenue(
                currency=cur,
                leads=leads,
                total=total,
                purchases=purchases,
                buyers=buyers,
                by_first_offer=offers.get(cur, ()),
                by_source=sources.get(cur, ()),
                by_path=paths.get(cur, ()),
                new_buyers=new,
                median_days=median.get(cur),
                distribution=buckets[cur],
            )
            for cur, total, purchases, buyers, new in totals
        ),
    )


def _by_first_offer(
    sql: FilterSql, flt: FunnelFilter, leads: int
) -> dict[str, tuple[OfferRevenue, ...]]:
    before_end = " AND c.at < ?" if flt.until is not None else ""
    params = [text_time(flt.until)] if flt.until is not None else []
    # The free offers' and the small steps' ids, written into the queries: every yes is
    # checked against two short lists rather than against subqueries.
    offers = ", ".join(str(int(r[0])) for r in _exec(_FREE_OFFER)) or "NULL"
    steps = ", ".join(str(int(r[0])) for r in _exec("SELECT id FROM step WHERE major = 0"))
    free = f"c.offer_id IN ({offers}) AND c.step_id IN ({steps or 'NULL'})"
    # One pass along the yeses in lead order (lead, time, then the order recorded): SQLite
    # takes the bare column c.offer_id from the first row holding min(c.at).
    firsts = (
        "SELECT c.offer_id AS offer_id, min(c.at) FROM commitment c INDEXED BY commitment_lead"
        f"{sql.lead_join('c')} WHERE {free}{before_end} GROUP BY c.lead_id"
    )
    took = _exec(
        f"SELECT o.id, o.name, count(*) FROM ({firsts}) f JOIN offer o ON o.id = f.offer_id "
        "GROUP BY o.id",
        sql.lead_params + params,
    )
    # The buyers' own, looked up along each one's yeses by the same rule.
    bought = _exec(
        "SELECT currency, offer_id, count(*), sum(revenue) FROM (SELECT b.currency, "
        "b.revenue, (SELECT c.offer_id FROM commitment c WHERE c.lead_id = b.lead_id "
        f"AND {free}{before_end} ORDER BY c.at, c.id LIMIT 1) AS offer_id "
        f"FROM {_BUYERS} b) GROUP BY currency, offer_id",
        params,
    )
    return _offer_rows(took, bought, leads)


def _by_first_offer_read(
    first_free: dict[int, int], leads: int
) -> dict[str, tuple[OfferRevenue, ...]]:
    """The same numbers from each lead's first free offer as the funnel's read found it."""
    counts: dict[int, int] = {}
    for offer_id in first_free.values():
        counts[offer_id] = counts.get(offer_id, 0) + 1
    names = dict(_exec("SELECT id, name FROM offer"))
    took = [(offer_id, names[offer_id], counts[offer_id]) for offer_id in sorted(counts)]
    sold: dict[tuple[str, int | None], list[int]] = {}
    for lead_id, cur, revenue in _exec(f"SELECT lead_id, currency, revenue FROM {_BUYERS}"):
        acc = sold.setdefault((cur, first_free.get(lead_id)), [0, 0])
        acc[0] += 1
        acc[1] += revenue
    bought = [(cur, offer_id, n, revenue) for (cur, offer_id), (n, revenue) in sold.items()]
    return _offer_rows(took, bought, leads)


def _offer_rows(
    took: list[tuple[Any, ...]], bought: list[tuple[Any, ...]], leads: int
) -> dict[str, tuple[OfferRevenue, ...]]:
    """The rows per currency from (offer id, name, leads whose first free offer it is),
    by offer id, and (currency, offer id or None, buyers, revenue)."""
    names = {offer_id: name for offer_id, name, _ in took}
    took_n: dict[int | None, int] = {offer_id: n for offer_id, _, n in took}
    took_n[None] = leads - sum(n for _, _, n in took)
    per_currency: dict[str, dict[int | None, tuple[int, int]]] = {}
    for cur, offer_id, buyers, revenue in bought:
        per_currency.setdefault(cur, {})[offer_id] = (buyers, revenue)
    out: dict[str, tuple[OfferRevenue, ...]] = {}
    for cur, sold in per_currency.items():
        rows = [
            OfferRevenue(names[offer_id], n, *sold.get(offer_id, (0, 0)))
            for offer_id, n in took_n.items()
            if offer_id is not None
        ]
        rows.sort(key=lambda o: (-o.revenue, -o.buyers, -o.took, (o.offer or "").casefold()))
        none_row = OfferRevenue(None, took_n[None], *sold.get(None, (0, 0)))
        out[cur] = (*rows, none_row) if none_row.took or none_row.buyers else tuple(rows)
    return out


def _by_source(leads: dict[str, int]) -> dict[str, tuple[SourceRevenue, ...]]:
    rows = _exec(
        f"SELECT b.currency, l.source, count(*), sum(b.revenue) FROM {_BUYERS} b "
        "JOIN lead l ON l.id = b.lead_id GROUP BY b.currency, l.source"
    )
    sold: dict[str, dict[str, tuple[int, int]]] = {}
    for cur, source, buyers, revenue in rows:
        sold.setdefault(cur, {})[source] = (buyers, revenue)
    out: dict[str, tuple[SourceRevenue, ...]] = {}
    for cur, by in sold.items():
        made = [SourceRevenue(src, n, *by.get(src, (0, 0))) for src, n in leads.items()]
        made.sort(key=lambda s: (-s.revenue, -s.buyers, -s.leads, s.source.casefold()))
        out[cur] = tuple(made)
    return out


def _by_path() -> dict[str, tuple[PathRevenue, ...]]:
    """The top paths per currency. Per new buyer, the first yes at each step before its
    first sale (one pass along the buyer's yeses); each step's place in the path is the
    number of those steps taken before it (ties in ladder order); the step ids laid side
    by side in that order are the path, grouped on in SQL."""
    by_id = {s.id: s for s in get_ladder()}
    ladder = sorted(by_id.values(), key=lambda s: s.level)
    firsts = ", ".join(
        f"min(c.at) FILTER (WHERE c.step_id = {int(step.id)}) AS s{i}"
        for i, step in enumerate(ladder)
    )
    source = (
        f"SELECT b.currency AS currency, b.revenue AS revenue, {firsts} FROM {_BUYERS} b "
        "LEFT JOIN commitment c ON c.lead_id = b.lead_id AND c.at < b.first_sale "
        "WHERE b.new GROUP BY b.lead_id, b.currency"
    )
    n = len(ladder)

    def place(i: int) -> str:
        before = " + ".join(
            f"ifnull(s{j} {'<=' if j < i else '<'} s{i}, 0)" for j in range(n) if j != i
        )
        return f"CASE WHEN s{i} IS NOT NULL THEN 1 + {before or '0'} END AS r{i}"

    path = " || ".join(
        "ifnull(',' || CASE "
        + " ".join(f"WHEN r{i} = {k} THEN {int(step.id)}" for i, step in enumerate(ladder))
        + " END, '')"
        for k in range(1, n + 1)
    )
    # Materialised: inlined, each place would be worked out again for every path slot.
    rows = _exec(
        f"WITH placed AS MATERIALIZED (SELECT currency, revenue, "
        f"{', '.join(place(i) for i in range(n))} FROM ({source})) "
        f"SELECT currency, substr(''{' || ' + path if path else ''}, 2) AS path, count(*), "
        "sum(revenue) FROM placed GROUP BY currency, path"
    )
    counted = [
        (cur, tuple(int(i) for i in path.split(",") if i), buyers, revenue)
        for cur, path, buyers, revenue in rows
    ]
    return _top_paths(by_id, counted)


def _by_path_read(yeses: YesesRead) -> dict[str, tuple[PathRevenue, ...]]:
    """The same paths from the funnel's read: per new buyer, the steps first taken before
    its first sale, in time order (ties in ladder order)."""
    by_id = {s.id: s for s in get_ladder()}
    steps = yeses.steps
    none: dict[int, tuple[str, float]] = {}
    sold: dict[tuple[str, tuple[int, ...]], list[int]] = {}
    for lead_id, cur, revenue, first_sale in _exec(
        f"SELECT lead_id, currency, revenue, first_sale FROM {_BUYERS} WHERE new"
    ):
        taken = sorted(
            (at, i) for i, (at, _) in yeses.firsts.get(lead_id, none).items() if at < first_sale
        )
        acc = sold.setdefault((cur, tuple(steps[i] for _, i in taken)), [0, 0])
        acc[0] += 1
        acc[1] += revenue
    counted = [(cur, path, n, revenue) for (cur, path), (n, revenue) in sold.items()]
    return _top_paths(by_id, counted)


def _top_paths(
    by_id: dict[int, StepRow], counted: list[tuple[str, tuple[int, ...], int, int]]
) -> dict[str, tuple[PathRevenue, ...]]:
    """The top PATHS_SHOWN per currency from (currency, step ids in order, buyers, revenue)."""
    grouped: dict[str, list[PathRevenue]] = {}
    for cur, path, buyers, revenue in counted:
        steps = [by_id[i] for i in path if i in by_id]
        grouped.setdefault(cur, []).append(
            PathRevenue(tuple(s.key for s in steps), tuple(s.label for s in steps), buyers, revenue)
        )
    return {
        cur: tuple(sorted(paths, key=lambda p: (-p.buyers, -p.revenue, p.path))[:PATHS_SHOWN])
        for cur, paths in grouped.items()
    }


def _days() -> tuple[dict[str, float], dict[str, tuple[DaysBucket, ...]]]:
    """The median days to a first purchase per currency, and the buyers per bucket."""
    days = "(julianday(first_sale) - julianday(first_yes))"
    cases = " ".join(
        f"WHEN {days} < {hi} THEN {i}" for i, (_, _, hi) in enumerate(BUCKETS) if hi is not None
    )
    counts = _exec(
        f"SELECT currency, CASE {cases} ELSE {len(BUCKETS) - 1} END AS bucket, count(*) "
        f"FROM {_BUYERS} WHERE new GROUP BY currency, bucket"
    )
    values: dict[str, list[float]] = {}
    for cur, value in database_proxy.execute_sql(
        f"SELECT currency, {days} FROM {_BUYERS} WHERE new"
    ):
        values.setdefault(cur, []).append(value)
    medians = {cur: statistics.median(vs) for cur, vs in values.items()}
    per: dict[str, dict[int, int]] = {}
    for cur, bucket, n in counts:
        per.setdefault(cur, {})[bucket] = n
    currencies = {r[0] for r in _exec(f"SELECT DISTINCT currency FROM {_BUYERS}")}
    buckets = {
        cur: tuple(
            DaysBucket(label, lo, hi, per.get(cur, {}).get(i, 0))
            for i, (label, lo, hi) in enumerate(BUCKETS)
        )
        for cur in currencies
    }
    return medians, buckets


# --- the numbers as tables: the Revenue tab shows them, the report and the CLI print them --


def _int(value: int) -> str:
    return f"{value:,}"


def share_text(value: float | None) -> str:
    """A share as a percentage, with a decimal below 10% where buyers are few: '1.3%'."""
    if value is None:
        return "–"
    return f"{value:.1%}" if 0 < value < 0.1 else f"{value:.0%}"


def summary_lines(rev: CurrencyRevenue) -> list[str]:
    """The headline numbers of one currency in sentences, as the report and the tab open."""
    lines = [
        f"{rev.money(rev.total)} net of refunds from {_int(rev.purchases)} "
        f"purchase{'s' if rev.purchases != 1 else ''} by {_int(rev.buyers)} "
        f"buyer{'s' if rev.buyers != 1 else ''}; {rev.money(rev.per_lead)} per lead "
        f"({_int(rev.leads)} leads in view)."
    ]
    best = rev.best_offer()
    if best is not None:
        lines.append(
            f"Leads whose first free offer was {best.offer}: {_int(best.buyers)} bought, "
            f"{rev.money(best.revenue)}, {share_text(best.share)} of the {_int(best.took)} who "
            "took it."
        )
    if rev.median_days is not None:
        lines.append(
            f"Median {rev.median_days:.1f} days from a lead's first yes to its first purchase "
            f"({_int(rev.new_buyers)} first-time buyers)."
        )
    return lines


def revenue_tables(rev: CurrencyRevenue) -> tuple[NumbersTable, ...]:
    """One currency's numbers: by first free offer, by source, by path, time to purchase."""
    cur = rev.currency
    offers = NumbersTable(
        f"Revenue by first free offer ({cur})",
        ("First free offer", "Took it first", "Bought", "Share", "Revenue"),
        tuple(
            (o.label, _int(o.took), _int(o.buyers), share_text(o.share), rev.money(o.revenue))
            for o in rev.by_first_offer
        ),
        tuple(None for _ in rev.by_first_offer),
    )
    sources = NumbersTable(
        f"Revenue by source ({cur})",
        ("Source", "Leads", "Bought", "Share", "Revenue"),
        tuple(
            (s.source, _int(s.leads), _int(s.buyers), share_text(s.share), rev.money(s.revenue))
            for s in rev.by_source
        ),
        tuple(None for _ in rev.by_source),
    )
    paths = NumbersTable(
        f"Yeses before a first purchase, top {PATHS_SHOWN} ({cur})",
        ("Steps before the first purchase, in order", "Buyers", "Revenue"),
        tuple((p.text, _int(p.buyers), rev.money(p.revenue)) for p in rev.by_path),
        tuple(None for _ in rev.by_path),
    )
    days = NumbersTable(
        f"Days from first yes to first purchase ({cur})",
        ("Days", "Buyers", "Share"),
        tuple(
            (b.label, _int(b.buyers), share_text(_share(b.buyers, rev.new_buyers)))
            for b in rev.distribution
        ),
        tuple(None for _ in rev.distribution),
    )
    return offers, sources, paths, days
