"""Charts of the funnel as matplotlib ``Figure`` objects: no pyplot, no Qt.

The app draws them on a canvas, the CLI saves them, the report puts them in a PDF. Each
chart says what it shows (title), for which leads and period (subtitle) and how many
leads stand behind it. Colours come from the Okabe–Ito palette, which stays distinct for
the common kinds of colour blindness, and every bar carries its number as text, so no
colour has to be told apart to read a chart. matplotlib is imported inside the functions:
importing this module costs nothing until a chart is drawn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from crm.analytics.funnel import CHART_KINDS, NOT_TRACKED, Funnel, StepReach
from crm.analytics.revenue import REVENUE_CHARTS, CurrencyRevenue, share_text
from crm.errors import ValidationError
from crm.money import CURRENCIES, SYMBOLS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    from crm.asking.campaigns import CampaignRow

log = logging.getLogger(__name__)

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
}

EXPORT_FORMATS = ("png", "svg", "pdf")
REPORT_SIZE = (8.0, 4.8)  # inches: a chart at full width on an A4 or Letter page
EMPTY_TEXT = "No data for this chart yet"
COHORT_ROWS = 18  # months the heat map draws: a year and a half stays readable


@dataclass(frozen=True, slots=True)
class Theme:
    """Colours around the data; the data colours stay the same in every theme."""

    name: str
    background: str
    foreground: str
    muted: str
    grid: str
    bar: str  # the main bar colour
    accent: str  # major steps, highlights
    on_bar: str  # text drawn on top of a bar

    def with_colors(self, *, background: str, foreground: str, muted: str) -> Theme:
        """A theme that follows another palette (the app's), keeping the data colours."""
        return Theme(
            self.name, background, foreground, muted, self.grid, self.bar, self.accent, self.on_bar
        )


LIGHT = Theme(
    name="light",
    background="#FFFFFF",
    foreground="#1B1B1B",
    muted="#5A5A5A",
    grid="#D9D9D9",
    bar=OKABE_ITO["blue"],
    accent=OKABE_ITO["vermillion"],
    on_bar="#FFFFFF",
)
DARK = Theme(
    name="dark",
    background="#1E1F22",
    foreground="#ECECEC",
    muted="#B4B4B4",
    grid="#3C3F44",
    bar=OKABE_ITO["sky_blue"],
    accent=OKABE_ITO["orange"],
    on_bar="#111111",
)
THEMES = {"light": LIGHT, "dark": DARK}

TITLE_PT = 13
SUBTITLE_PT = 9.5
LABEL_PT = 10
VALUE_PT = 9


def preload() -> None:
    """Import the parts of matplotlib the charts use (about 0.4 s), so that the first
    chart does not wait for them. Safe on a background thread: no Qt, no pyplot."""
    import matplotlib.backends.backend_agg
    import matplotlib.figure
    import matplotlib.ticker  # noqa: F401

    _plain_text()


def _plain_text() -> None:
    """Text is never read as math: two dollar amounts ('$49.00 … $98.00') or a '$' in an
    offer's name would otherwise be typeset as a formula. No chart uses math text."""
    import matplotlib

    matplotlib.rcParams["text.parse_math"] = False


def new_figure(size: tuple[float, float], theme: Theme) -> Figure:
    """An empty Figure (constrained layout) painted in the theme's background."""
    from matplotlib.figure import Figure

    _plain_text()
    return Figure(figsize=size, facecolor=theme.background, layout="constrained")


@contextmanager
def pdf_pages(file: str | Path | IO[bytes], title: str) -> Iterator[Any]:
    """A multi-page PDF: ``savefig(figure)`` on the yielded object adds a page."""
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(file, metadata={"Title": title, "Creator": "Smallyes"}) as pdf:
        yield pdf


def _subtitle(funnel: Funnel, n: int | None, what: str = "leads") -> str:
    text = funnel.filter.describe()
    if n is not None:
        text += f" · n = {n:,} {what}"
    return text


def _frame(fig: Figure | SubFigure, title: str, subtitle: str, theme: Theme) -> Axes:
    """One axes with the chart's title and subtitle above it, styled for ``theme``."""
    fig.set_facecolor(theme.background)
    ax = fig.add_subplot()
    ax.set_facecolor(theme.background)
    fig.suptitle(
        title, x=0.01, ha="left", fontsize=TITLE_PT, fontweight="bold", color=theme.foreground
    )
    # wrap: long tag or source names wrap at the figure's edge, at whatever size it is drawn.
    ax.set_title(subtitle, loc="left", fontsize=SUBTITLE_PT, color=theme.muted, pad=8, wrap=True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(theme.grid)
    ax.tick_params(colors=theme.muted, labelsize=LABEL_PT, labelcolor=theme.foreground)
    ax.xaxis.label.set_color(theme.muted)
    ax.yaxis.label.set_color(theme.muted)
    return ax


def _empty(ax: Axes, theme: Theme, hint: str) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.text(
        0.5,
        0.55,
        EMPTY_TEXT,
        ha="center",
        va="center",
        fontsize=12,
        color=theme.foreground,
        transform=ax.transAxes,
    )
    ax.text(
        0.5,
        0.42,
        hint,
        ha="center",
        va="center",
        fontsize=LABEL_PT,
        color=theme.muted,
        transform=ax.transAxes,
    )


def _value_axis(ax: Axes, theme: Theme, axis: str = "x") -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    # Counts of leads: whole-number ticks only, with thousands separators.
    target.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.grid(axis="x" if axis == "x" else "y", color=theme.grid, linewidth=0.8)
    ax.set_axisbelow(True)


def _bar_labels(
    ax: Axes,
    bars: Any,
    texts: list[str],
    theme: Theme,
    *,
    inside_color: str | None = None,
) -> None:
    """Numbers at the end of horizontal bars: inside long bars, just outside short ones."""
    xmax = ax.get_xlim()[1]
    for bar, text in zip(bars, texts, strict=True):
        width = bar.get_width()
        y = bar.get_y() + bar.get_height() / 2
        inside = width > xmax * 0.55
        ax.text(
            width - xmax * 0.01 if inside else width + xmax * 0.01,
            y,
            text,
            ha="right" if inside else "left",
            va="center",
            fontsize=VALUE_PT,
            color=(inside_color or theme.on_bar) if inside else theme.foreground,
        )


def _bottom_legend(fig: Figure | SubFigure, ax: Axes, theme: Theme, ncols: int) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=ncols,
        fontsize=VALUE_PT,
        frameon=False,
        labelcolor=theme.foreground,
    )


# --- the charts ---------------------------------------------------------------------


def draw_funnel(fig: Figure | SubFigure, funnel: Funnel, theme: Theme = LIGHT) -> None:
    """Horizontal bars, one per step from the top: leads that reached it, and conversion."""
    reached_any = funnel.steps[0].reached if funnel.steps else 0
    ax = _frame(
        fig,
        "How far leads climb",
        _subtitle(funnel, reached_any, "leads with a yes"),
        theme,
    )
    if funnel.empty:
        _empty(ax, theme, "Log a yes on a lead's timeline, or import subscribers.")
        return
    steps = list(funnel.steps)
    tracked = [s for s in steps if s.tracked]
    y = list(range(len(steps)))[::-1]
    colors = [theme.accent if s.major else theme.bar for s in steps]
    # An untracked step gets an empty bar: a count there would only repeat the step above.
    widths = [s.reached if s.tracked else 0 for s in steps]
    every = ax.barh(y, widths, color=colors, height=0.7)
    bars = [bar for bar, s in zip(every, steps, strict=True) if s.tracked]
    for bar, step in zip(every, steps, strict=True):
        bar.set_gid(f"step:{step.key}")
        bar.set_picker(step.tracked)  # the app opens these leads on a click
    ax.set_yticks(y, [s.label for s in steps], fontsize=LABEL_PT)
    for label, step in zip(ax.get_yticklabels(), steps, strict=True):
        if not step.tracked:
            label.set_color(theme.muted)
    ax.set_xlim(0, max(s.reached for s in tracked) * 1.32)
    _value_axis(ax, theme)
    _bar_labels(ax, bars, [f"{s.reached:,}" + _conversion(funnel, s) for s in tracked], theme)
    xmax = ax.get_xlim()[1]
    for yy, step in zip(y, steps, strict=True):
        if not step.tracked:
            ax.text(
                xmax * 0.01,
                yy,
                f"{NOT_TRACKED}: no yes at this step is recorded",
                va="center",
                fontsize=VALUE_PT,
                fontstyle="italic",
                color=theme.muted,
                # The grid lines stop at the words rather than strike them through.
                bbox={"facecolor": theme.background, "edgecolor": "none", "pad": 1.5},
            )
    ax.set_xlabel("Leads whose highest step is at or above this one", fontsize=LABEL_PT)
    if any(s.major for s in steps):
        from matplotlib.patches import Patch

        fig.legend(
            handles=[
                Patch(color=theme.bar, label="small step"),
                Patch(color=theme.accent, label="major step (call, sale)"),
            ],
            loc="outside lower center",
            ncols=2,
            fontsize=VALUE_PT,
            frameon=False,
            labelcolor=theme.foreground,
        )


def _conversion(funnel: Funnel, step: StepReach) -> str:
    """'  ·  75% of previous', naming the step compared with when an untracked one lies
    between them; '' without a conversion."""
    if step.conversion is None:
        return ""
    base = funnel.base_across_gap(step)
    return f"  ·  {step.conversion:.0%} of {base.label if base else 'previous'}"


ASK_SERIES = (
    ("accepted", "Accepted", OKABE_ITO["green"]),
    ("declined", "Declined", OKABE_ITO["vermillion"]),
    ("no_response", "No response", OKABE_ITO["grey"]),
    ("pending", "Pending", OKABE_ITO["yellow"]),
)


def draw_asks(fig: Figure | SubFigure, funnel: Funnel, theme: Theme = LIGHT) -> None:
    """Stacked bars per step: how the asks for it turned out."""
    asks = list(funnel.asks)
    total = sum(a.asked for a in asks)
    ax = _frame(fig, "How asks turned out, per step", _subtitle(funnel, total, "asks"), theme)
    if not asks:
        _empty(ax, theme, "Record the asks you make from a lead's page, then set their outcome.")
        return
    y = list(range(len(asks)))[::-1]
    left = [0] * len(asks)
    for attr, label, color in ASK_SERIES:
        values = [getattr(a, attr) for a in asks]
        ax.barh(
            y,
            values,
            left=left,
            color=color,
            label=label,
            height=0.7,
            edgecolor=theme.background,
            linewidth=0.6,
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(y, [a.label for a in asks], fontsize=LABEL_PT)
    xmax = max(a.asked for a in asks)
    ax.set_xlim(0, xmax * 1.3)
    _value_axis(ax, theme)
    for yy, a in zip(y, asks, strict=True):
        rate = a.acceptance_rate
        text = f"{a.asked:,} asked" + ("" if rate is None else f" · {rate:.0%} yes")
        ax.text(
            a.asked + xmax * 0.01,
            yy,
            text,
            va="center",
            fontsize=VALUE_PT,
            color=theme.foreground,
        )
    ax.set_xlabel("Asks", fontsize=LABEL_PT)
    _bottom_legend(fig, ax, theme, len(ASK_SERIES))


def draw_offers(fig: Figure | SubFigure, funnel: Funnel, theme: Theme = LIGHT) -> None:
    """Per offer: takers, how many later took a higher step, how many reached a major one."""
    offers = [o for o in funnel.offers if o.takers]
    takers = sum(o.takers for o in offers)
    ax = _frame(
        fig,
        "Which offers lead on to bigger steps",
        _subtitle(funnel, takers, "takers"),
        theme,
    )
    if not offers:
        _empty(ax, theme, "Name the offer when you log a download or an answer.")
        return
    offers = offers[:12]  # the table beside the chart holds every offer
    series = (
        ("takers", "Took it", OKABE_ITO["sky_blue"]),
        ("went_further", "Later took a higher step", OKABE_ITO["blue"]),
        ("reached_major", "Later booked or bought", OKABE_ITO["orange"]),
    )
    height = 0.26
    base = list(range(len(offers)))[::-1]
    xmax = max(o.takers for o in offers)
    ax.set_xlim(0, xmax * 1.3)
    for k, (attr, label, color) in enumerate(series):
        ys = [b + (1 - k) * height for b in base]
        values = [getattr(o, attr) for o in offers]
        bars = ax.barh(ys, values, height=height, color=color, label=label)
        for bar, o in zip(bars, offers, strict=True):
            bar.set_gid(f"offer:{o.offer}")
            bar.set_picker(True)
        for yy, v, o in zip(ys, values, offers, strict=True):
            text = f"{v:,}"
            if attr == "went_further" and o.further_rate is not None:
                text += f" ({o.further_rate:.0%})"
                if o.median_days_to_next is not None:
                    text += f", median {o.median_days_to_next:.1f} days"
            ax.text(
                v + xmax * 0.01,
                yy,
                text,
                va="center",
                fontsize=VALUE_PT - 0.5,
                color=theme.foreground,
            )
    ax.set_yticks(base, [shorten(o.offer, 26) for o in offers], fontsize=LABEL_PT)
    _value_axis(ax, theme)
    ax.set_xlabel("Leads", fontsize=LABEL_PT)
    _bottom_legend(fig, ax, theme, 3)


def draw_cohorts(fig: Figure | SubFigure, funnel: Funnel, theme: Theme = LIGHT) -> None:
    """A heat map: month of the first yes (rows) by step (columns), share that reached it."""
    every = list(funnel.cohorts)
    cohorts = every[-COHORT_ROWS:]
    title = "Share of each month's new leads that reached each step"
    subtitle = _subtitle(funnel, sum(c.leads for c in every), "leads with a yes")
    if len(cohorts) < len(every):
        # More months than rows fit: the title says which are drawn, the table has all.
        title = (
            f"Share of new leads that reached each step, {cohorts[0].month} to {cohorts[-1].month}"
        )
        subtitle = (
            f"{funnel.filter.describe()} · last {len(cohorts)} of {len(every)} months with new "
            f"leads (all in the table) · n = {sum(c.leads for c in cohorts):,} leads with a yes"
        )
    ax = _frame(fig, title, subtitle, theme)
    if not cohorts:
        _empty(ax, theme, "Cohorts appear once leads have their first yes.")
        return
    import numpy as np

    steps = list(funnel.steps)
    # An untracked step's column is left blank (NaN draws nothing), not coloured as 100%.
    grid = np.array(
        [[c.share(s.key) if s.tracked else np.nan for s in steps] for c in cohorts], dtype=float
    )
    image = ax.imshow(grid, cmap="cividis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(
        range(len(steps)),
        [s.label if s.tracked else f"{s.label} ({NOT_TRACKED})" for s in steps],
        fontsize=VALUE_PT,
        rotation=25,
        ha="right",
        rotation_mode="anchor",
    )
    ax.set_yticks(
        range(len(cohorts)), [f"{c.month}  (n={c.leads:,})" for c in cohorts], fontsize=VALUE_PT
    )
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.grid(False)
    text_pt = VALUE_PT if len(cohorts) <= 10 else VALUE_PT - 1.5
    for label, step in zip(ax.get_xticklabels(), steps, strict=True):
        if not step.tracked:
            label.set_color(theme.muted)
    for i, row in enumerate(grid):
        for j, share in enumerate(row):
            untracked = bool(np.isnan(share))
            # cividis runs dark blue to light yellow: dark text on the light half.
            ax.text(
                j,
                i,
                "–" if untracked else f"{share:.0%}",
                ha="center",
                va="center",
                fontsize=text_pt,
                color=theme.muted if untracked else "#111111" if share >= 0.5 else "#FFFFFF",
            )
    bar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.01, format="{x:.0%}")
    bar.ax.tick_params(colors=theme.muted, labelsize=VALUE_PT, labelcolor=theme.foreground)
    bar.outline.set_visible(False)


def draw_velocity(fig: Figure | SubFigure, funnel: Funnel, theme: Theme = LIGHT) -> None:
    """Median days from one step to the next, per pair of consecutive steps."""
    rows = list(funnel.velocity)
    measured = [v for v in rows if v.median_days is not None]
    ax = _frame(
        fig,
        "How long each step takes",
        _subtitle(funnel, None) + " · median days between consecutive steps",
        theme,
    )
    if not measured:
        _empty(ax, theme, "Velocity needs leads that took two steps in a row.")
        return
    y = list(range(len(rows)))[::-1]
    values = [v.median_days or 0.0 for v in rows]
    bars = ax.barh(y, values, color=OKABE_ITO["green"], height=0.65)
    ax.set_yticks(y, [f"{v.from_label} → {v.to_label}" for v in rows], fontsize=LABEL_PT)
    ax.set_xlim(0, max(values) * 1.35 or 1)
    ax.grid(axis="x", color=theme.grid, linewidth=0.8)
    ax.set_axisbelow(True)
    texts = [
        "no leads took both" if v.median_days is None else f"{v.median_days:.1f} d  (n={v.leads:,})"
        for v in rows
    ]
    xmax = ax.get_xlim()[1]
    for bar, text in zip(bars, texts, strict=True):
        ax.text(
            bar.get_width() + xmax * 0.01,
            bar.get_y() + bar.get_height() / 2,
            text,
            va="center",
            fontsize=VALUE_PT,
            color=theme.foreground if text[0].isdigit() else theme.muted,
        )
    ax.set_xlabel("Median days", fontsize=LABEL_PT)


# --- revenue: one currency per chart ------------------------------------------------


def _revenue_frame(
    fig: Figure | SubFigure,
    funnel: Funnel,
    theme: Theme,
    currency: str | None,
    title: str,
    what: Callable[[CurrencyRevenue], str],
) -> tuple[Axes, CurrencyRevenue | None]:
    """The axes of a revenue chart and the currency's numbers (None: no sale in view).

    ``currency`` None picks the currency with the most purchases; a valid ISO code with
    no sale in view draws the empty chart under that code's name."""
    rev = funnel.revenue.of(currency)
    code = rev.currency if rev else (currency.strip().upper() if currency else "")
    subtitle = funnel.filter.describe()
    if rev is not None:
        subtitle += f" · {what(rev)}"
        others = [c for c in funnel.revenue.codes if c != rev.currency]
        if others:
            # Never added up: the other currencies have charts of their own.
            subtitle += f" · also sales in {', '.join(others)}"
    ax = _frame(fig, f"{title}, {code}" if code else title, subtitle, theme)
    if rev is None:
        flt = funnel.filter
        _empty(
            ax,
            theme,
            "No sale in this period and with these filters: widen them."
            if flt.has_period or flt.source or flt.tag
            else "Import a sales export (Stripe, Gumroad, Shopify, PayPal) to see revenue.",
        )
    return ax, rev


def _money_axis(ax: Axes, theme: Theme, currency: str) -> None:
    """Ticks in whole units of the currency, with its sign: '€2,000'."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    scale = 10 ** CURRENCIES.get(currency, 2)
    sign = SYMBOLS.get(currency)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))

    def tick(value: float, _pos: int) -> str:
        whole = f"{value / scale:,.0f}"
        return f"{sign}{whole}" if sign else whole

    ax.xaxis.set_major_formatter(FuncFormatter(tick))
    ax.grid(axis="x", color=theme.grid, linewidth=0.8)
    ax.set_axisbelow(True)


REVENUE_OFFER_ROWS = 10  # offers drawn; the table beside the chart holds every one


def draw_revenue_by_offer(
    fig: Figure | SubFigure, funnel: Funnel, theme: Theme = LIGHT, currency: str | None = None
) -> None:
    """Per first free offer: the revenue its first takers brought, and how many bought."""
    ax, rev = _revenue_frame(
        fig,
        funnel,
        theme,
        currency,
        "Revenue by the free offer a lead took first",
        lambda r: f"{r.money(r.total)} net of refunds · n = {r.buyers:,} buyers",
    )
    if rev is None:
        return
    named = [o for o in rev.by_first_offer if o.offer is not None]
    rows = named[:REVENUE_OFFER_ROWS]
    rest = [o for o in rev.by_first_offer if o.offer is None]
    rows += rest  # "No free offer" last, so every buyer is somewhere on the chart
    y = list(range(len(rows)))[::-1]
    colors = [theme.bar if o.offer is not None else OKABE_ITO["grey"] for o in rows]
    bars = ax.barh(y, [o.revenue for o in rows], color=colors, height=0.65)
    for bar, o in zip(bars, rows, strict=True):
        if o.offer is not None:
            bar.set_gid(f"offer:{o.offer}")
    ax.set_yticks(y, [shorten(o.label, 26) for o in rows], fontsize=LABEL_PT)
    for label, o in zip(ax.get_yticklabels(), rows, strict=True):
        if o.offer is None:
            label.set_color(theme.muted)
    top = max((o.revenue for o in rows), default=0)
    ax.set_xlim(0, (top or 1) * 1.7)
    _money_axis(ax, theme, rev.currency)
    xmax = ax.get_xlim()[1]
    for yy, o in zip(y, rows, strict=True):
        share = f" ({share_text(o.share)})" if o.share is not None else ""
        text = (
            f"{rev.money(o.revenue)} · {o.buyers:,} of {o.took:,} bought{share}"
            if o.buyers
            else f"no buyer among {o.took:,}"
        )
        ax.text(
            o.revenue + xmax * 0.01,
            yy,
            text,
            va="center",
            fontsize=VALUE_PT,
            color=theme.foreground if o.buyers else theme.muted,
        )
    ax.set_xlabel(
        f"Revenue in {rev.currency} from the leads whose first free offer it was",
        fontsize=LABEL_PT,
    )


def draw_time_to_purchase(
    fig: Figure | SubFigure, funnel: Funnel, theme: Theme = LIGHT, currency: str | None = None
) -> None:
    """How long first-time buyers took from their first yes to their first purchase."""
    ax, rev = _revenue_frame(
        fig,
        funnel,
        theme,
        currency,
        "Days from a lead's first yes to its first purchase",
        lambda r: (
            f"n = {r.new_buyers:,} first-time buyers"
            + (f" · median {r.median_days:.1f} days" if r.median_days is not None else "")
        ),
    )
    if rev is None:
        return
    if not rev.new_buyers:
        _empty(
            ax,
            theme,
            "Every buyer in view had bought before this period: widen it to see first purchases.",
        )
        return
    buckets = list(rev.distribution)
    x = list(range(len(buckets)))
    counts = [b.buyers for b in buckets]
    ax.bar(x, counts, color=OKABE_ITO["green"], width=0.65)
    ax.set_xticks(x, [b.label for b in buckets], fontsize=LABEL_PT)
    ax.set_ylim(0, max(counts) * 1.25 or 1)
    _value_axis(ax, theme, axis="y")
    ymax = ax.get_ylim()[1]
    for xx, n in zip(x, counts, strict=True):
        ax.text(
            xx,
            n + ymax * 0.015,
            f"{n:,} ({share_text(n / rev.new_buyers)})" if n else "0",
            ha="center",
            va="bottom",
            fontsize=VALUE_PT,
            color=theme.foreground if n else theme.muted,
        )
    ax.set_ylabel("First-time buyers", fontsize=LABEL_PT)
    ax.set_xlabel("Days (of 24 hours) from the first recorded yes", fontsize=LABEL_PT)


CAMPAIGN_ROWS = 12  # campaigns drawn, the newest; the report's table lists every one


def draw_campaigns(
    fig: Figure | SubFigure, campaigns: Sequence[CampaignRow], theme: Theme = LIGHT
) -> None:
    """Per campaign (the newest ``CAMPAIGN_ROWS``, oldest at the top): the leads asked, and
    how many of them said yes, with the conversion beside each."""
    _plain_text()
    shown = sorted(campaigns, key=lambda c: c.id, reverse=True)[:CAMPAIGN_ROWS][::-1]
    asked = sum(c.asked for c in campaigns)
    subtitle = (
        f"{len(campaigns):,} campaign{'s' if len(campaigns) != 1 else ''} · n = {asked:,} asks"
    )
    if len(campaigns) > len(shown):
        subtitle += f" · the newest {len(shown)} drawn"
    ax = _frame(fig, "Campaigns: asked, and said yes", subtitle, theme)
    if not shown:
        _empty(ax, theme, "Ask a segment through your newsletter tool: Campaigns ▸ New campaign.")
        return
    y = list(range(len(shown)))[::-1]
    height = 0.38
    ax.barh(
        [v + height / 2 for v in y],
        [c.asked for c in shown],
        height=height,
        color=OKABE_ITO["grey"],
        label="Asked",
    )
    ax.barh(
        [v - height / 2 for v in y],
        [c.accepted for c in shown],
        height=height,
        color=OKABE_ITO["green"],
        label="Said yes",
    )
    labels = [
        shorten(f"{c.id} · {c.name}" + (" (undone)" if c.undone_at else ""), 34) for c in shown
    ]
    ax.set_yticks(y, labels, fontsize=LABEL_PT)
    xmax = max(max(c.asked for c in shown), 1)
    ax.set_xlim(0, xmax * 1.35)
    _value_axis(ax, theme)
    for yy, c in zip(y, shown, strict=True):
        rate = c.conversion
        text = f"{c.asked:,} asked · {c.accepted:,} yes" + (
            "" if rate is None else f" ({rate:.0%})"
        )
        ax.text(
            c.asked + xmax * 0.01, yy, text, va="center", fontsize=VALUE_PT, color=theme.foreground
        )
    ax.set_xlabel("Leads", fontsize=LABEL_PT)
    _bottom_legend(fig, ax, theme, 2)


def build_campaigns_chart(
    campaigns: Sequence[CampaignRow],
    theme: Theme | str = LIGHT,
    size: tuple[float, float] = REPORT_SIZE,
) -> Figure:
    """A new Figure with the campaigns chart."""
    theme = THEMES[theme] if isinstance(theme, str) else theme
    fig = new_figure(size, theme)
    draw_campaigns(fig, campaigns, theme)
    return fig


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


DRAW: dict[str, Callable[[Any, Funnel, Theme], None]] = {
    "funnel": draw_funnel,
    "asks": draw_asks,
    "offers": draw_offers,
    "cohorts": draw_cohorts,
    "velocity": draw_velocity,
}
assert tuple(DRAW) == CHART_KINDS
# The revenue charts draw one currency each.
REVENUE_DRAW: dict[str, Callable[[Any, Funnel, Theme, str | None], None]] = {
    "revenue-by-offer": draw_revenue_by_offer,
    "time-to-purchase": draw_time_to_purchase,
}
assert tuple(REVENUE_DRAW) == REVENUE_CHARTS
ALL_CHARTS = CHART_KINDS + REVENUE_CHARTS


def draw(
    kind: str, fig: Figure | SubFigure, funnel: Funnel, theme: Theme, currency: str | None = None
) -> None:
    """Draw chart ``kind`` (one of ``ALL_CHARTS``) on ``fig``; ``currency`` picks a
    revenue chart's currency (None: the one with the most purchases)."""
    _plain_text()
    if kind in REVENUE_DRAW:
        REVENUE_DRAW[kind](fig, funnel, theme, currency)
    elif kind in DRAW:
        DRAW[kind](fig, funnel, theme)
    else:
        raise ValidationError(f"'{kind}' is not a chart: use one of {', '.join(ALL_CHARTS)}.")


def build_chart(
    kind: str,
    funnel: Funnel,
    theme: Theme | str = LIGHT,
    size: tuple[float, float] = REPORT_SIZE,
    *,
    currency: str | None = None,
) -> Figure:
    """A new Figure with one chart (``kind`` is one of ``ALL_CHARTS``)."""
    if kind not in ALL_CHARTS:
        raise ValidationError(f"'{kind}' is not a chart: use one of {', '.join(ALL_CHARTS)}.")
    if currency is not None:
        funnel.revenue.of(currency)  # a code that is not ISO 4217 is refused here
    theme = THEMES[theme] if isinstance(theme, str) else theme
    fig = new_figure(size, theme)
    draw(kind, fig, funnel, theme, currency)
    return fig


def restyle(
    fig: Figure, kind: str, funnel: Funnel, theme: Theme, *, currency: str | None = None
) -> None:
    """Redraw a chart in place for another theme (the app's palette changed)."""
    fig.clear()
    draw(kind, fig, funnel, theme, currency)


def export_format(path: str | Path) -> str:
    """The file format from the extension; an unknown one is a user error."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in EXPORT_FORMATS:
        shown = f"'.{suffix}'" if suffix else "no extension"
        raise ValidationError(
            f"A chart can be saved as .png, .svg or .pdf, not {shown}: change the file name."
        )
    return suffix


def save_figure(fig: Figure, path: str | Path, *, dpi: int = 150) -> Path:
    """Save in the format the extension names (png, svg or pdf), owner-only; the file
    replaces ``path`` only once complete, so a failed save keeps the chart that was there."""
    fmt = export_format(path)
    # 600 dpi is past any printer's need; 1200 drew a 12,000-pixel image in 1.6 GB.
    if not 30 <= dpi <= 600:
        raise ValidationError("The resolution must be between 30 and 600 dpi: pick another.")
    from matplotlib import rc_context

    from crm.safety.output_files import atomic_output

    target = Path(path).expanduser()
    # SVG text stays text, so a report editor can find, copy and restyle it.
    with atomic_output(target, "chart") as handle, rc_context({"svg.fonttype": "none"}):
        fig.savefig(handle, format=fmt, dpi=dpi, facecolor=fig.get_facecolor())
    return target
