"""The funnel report: one PDF with every chart, the numbers under each, the period, the
filters and the date it was made.

Pages are A4 portrait: a cover with the headline numbers and the paths into the major
steps, then one page per chart with its table, then the revenue pages: per currency a
page with its headline numbers and two charts, and the pages of its tables (one page
saying there is no sale when none is in view), and last the campaigns (asks sent through the
newsletter tool: asked and said yes per campaign, and their numbers; those made inside the
period, with one). A table too long for its page continues
on the next one, so every number is in the PDF. The pages are figures from ``crm.analytics.charts``,
the one module that speaks to matplotlib.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from crm.analytics.charts import (
    DRAW,
    LIGHT,
    Theme,
    draw,
    draw_campaigns,
    new_figure,
    pdf_pages,
    shorten,
)
from crm.analytics.funnel import CHART_KINDS, NOT_TRACKED, Funnel, NumbersTable, numbers_table
from crm.analytics.revenue import CurrencyRevenue, revenue_tables, summary_lines
from crm.asking.campaigns import CampaignRow, list_campaigns
from crm.errors import ValidationError
from crm.jobs import CancelToken, no_progress
from crm.safety.output_files import atomic_output
from crm.timefmt import local

if TYPE_CHECKING:
    from crm.analytics.charts import Figure, SubFigure

log = logging.getLogger(__name__)

PAGE = (8.27, 11.69)  # A4 portrait, inches
MARGIN = 0.6 / PAGE[0]  # the side margin as a fraction of the page width
TOP_IN, BOTTOM_IN = 0.5, 0.6  # page margins: the footer sits in the bottom one
CHART_IN = 5.3  # the chart's height on a chart page; its table takes the rest
ROW_IN = 0.27  # one table row
FOOTNOTE_IN = 0.7  # room the cover's definitions take above the bottom margin
FOOTER_FILTER_CHARS = 60
REPORT_TITLE = "Smallyes funnel report"
CONTENT_IN = PAGE[1] - TOP_IN - BOTTOM_IN  # the height between the page margins
REVENUE_HEAD_IN = 1.7  # a revenue page's heading and sentences above its two charts
REVENUE_CHARTS_IN = (4.4, 4.0)  # revenue by first offer, days to a first purchase
LINE_IN = 0.24  # one line of the sentences under a revenue page's heading
HEAD_CHARS = 105  # the most characters of such a line that fit between the margins
TABLE_PAD_IN = (0.15, 0.35)  # above a packed table's title, and below its last row
# A number as a table cell starts with a digit, after a sign and a currency's sign or code.
_NUMBER_CELL = re.compile(r"^[-+]?(?:[€$£¥]|[A-Z]{3} )?\d")


def _when(made_at: dt.datetime) -> str:
    """The report's date and time in the user's zone, named."""
    return f"{local(made_at):%Y-%m-%d %H:%M %Z}"


def _page(theme: Theme) -> Figure:
    fig = new_figure(PAGE, theme)
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)  # new_figure lays pages out so
    engine.set(w_pad=0.05, h_pad=0.08)
    return fig


def _footer(fig: Figure, funnel: Funnel, made_at: dt.datetime, page: int, theme: Theme) -> None:
    fig.text(
        MARGIN,
        0.025,
        # Cut short beside the page number; the first page names the filters in full.
        f"Smallyes funnel report · {shorten(funnel.filter.describe(), FOOTER_FILTER_CHARS)}"
        f" · made {_when(made_at)}",
        fontsize=7.5,
        color=theme.muted,
    )
    fig.text(1 - MARGIN, 0.025, f"page {page}", fontsize=7.5, color=theme.muted, ha="right")


def _rows_that_fit(target: Figure | SubFigure, top: float) -> int:
    """How many rows below a header fit between ``top`` (a fraction of ``target``'s
    height) and the bottom of ``target``."""
    height_in = target.bbox.height / target.figure.dpi
    free_in = top * height_in - 0.6 * ROW_IN  # the title's line
    return max(int(free_in / ROW_IN + 1e-9) - 1, 0)  # less the header row


def _draw_table(
    target: Figure | SubFigure,
    table: NumbersTable,
    rows: list[tuple[str, ...]],
    theme: Theme,
    top: float = 0.92,
) -> int:
    """A plain table from ``top`` (a fraction of ``target``'s height) down: a title, a
    header row and right-aligned numbers, rows a fixed height so every page looks alike.

    Draws the rows that fit inside ``target`` and returns how many: the caller puts the
    rest on the next page."""
    from matplotlib.transforms import Bbox

    height_in = target.bbox.height / target.figure.dpi
    row = ROW_IN / height_in
    target.text(0.0, top, table.title, fontsize=11, fontweight="bold", color=theme.foreground)
    if not rows:
        target.text(0.0, top - 1.6 * row, "No numbers yet.", fontsize=9.5, color=theme.muted)
        return 0
    shown = rows[: _rows_that_fit(target, top)]
    if not shown:
        return 0
    ax = target.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.axis("off")
    height = row * (len(shown) + 1)
    cells = ax.table(
        cellText=shown,
        colLabels=table.columns,
        cellLoc="right",
        colLoc="right",
        bbox=Bbox.from_bounds(0.0, top - 0.6 * row - height, 1.0, height),
    )
    cells.auto_set_font_size(False)
    cells.set_fontsize(8 if len(table.columns) > 6 else 9)
    # Columns as wide as their longest text (over every row, so continued pages line up);
    # words left, numbers right.
    longest = [
        max(len(str(x)) for x in (table.columns[c], *(r[c] for r in rows)))
        for c in range(len(table.columns))
    ]
    numeric = [
        all(_NUMBER_CELL.match(str(r[c])) or str(r[c]) in ("–", NOT_TRACKED) for r in rows)
        for c in range(len(table.columns))
    ]
    for (r, c), cell in cells.get_celld().items():
        cell.set_width(longest[c] / sum(longest))
        cell.set_edgecolor(theme.grid)
        cell.set_linewidth(0.6)
        cell.set_facecolor(theme.background)
        cell.visible_edges = "B"
        cell.PAD = 0.03
        text = cell.get_text()
        text.set_color(theme.foreground)
        text.set_horizontalalignment("right" if numeric[c] else "left")
        if r == 0:
            text.set_fontweight("bold")
    return len(shown)


def _areas(fig: Figure, heights: tuple[float, ...], theme: Theme) -> list[SubFigure]:
    """Stacked areas (heights in inches) inside the page margins, top to bottom: 0.6 in at
    the sides, ``TOP_IN`` above, and below at least ``BOTTOM_IN``, where the footer is."""
    grid = fig.subfigures(
        len(heights) + 2,
        3,
        height_ratios=(TOP_IN, *heights, PAGE[1] - TOP_IN - sum(heights)),
        width_ratios=(0.6, PAGE[0] - 1.2, 0.6),
        wspace=0,
        hspace=0,
    )
    # a grid of several rows and columns: always the array form, never one SubFigure
    areas = [grid[i + 1, 1] for i in range(len(heights))]  # type: ignore[index]
    for area in areas:
        area.set_facecolor(theme.background)
    return areas


CAMPAIGN_COLUMNS = (
    "Campaign", "Made", "Asked", "Yes", "Not now", "No answer", "Pending", "Conversion",
    "Days to yes",
)  # fmt: skip


def campaigns_table(campaigns: Sequence[CampaignRow]) -> NumbersTable:
    """Every campaign's numbers, newest first (the median days from the ask to a yes)."""
    rows = tuple(
        (
            shorten(f"{c.id} · {c.name}" + (" (undone)" if c.undone_at else ""), 40),
            f"{local(c.created_at):%Y-%m-%d}",
            f"{c.asked:,}",
            f"{c.accepted:,}",
            f"{c.declined:,}",
            f"{c.no_response:,}",
            f"{c.pending:,}",
            "–" if c.conversion is None else f"{c.conversion:.0%}",
            "–" if c.median_days_to_yes is None else f"{c.median_days_to_yes:.1f}",
        )
        for c in sorted(campaigns, key=lambda c: c.id, reverse=True)
    )
    return NumbersTable("Campaigns", CAMPAIGN_COLUMNS, rows, tuple(None for _ in rows))


def campaigns_in_view(funnel: Funnel, made_at: dt.datetime) -> list[CampaignRow]:
    """The campaigns the report shows: those made inside the funnel's period, if any."""
    f = funnel.filter
    return [
        c
        for c in list_campaigns(made_at)
        if (f.since is None or c.created_at >= f.since)
        and (f.until is None or c.created_at < f.until)
    ]


def report_pages(
    funnel: Funnel,
    made_at: dt.datetime,
    theme: Theme = LIGHT,
    *,
    campaigns: Sequence[CampaignRow] = (),
    progress: Callable[[int, int], None] = no_progress,
    cancel: CancelToken | None = None,
) -> Iterator[Figure]:
    """The report's pages in order, each a Figure: the cover, then each chart with its
    table, a table that does not fit continuing on pages of its own, then the revenue
    pages of each currency, then the campaigns."""
    currencies: list[CurrencyRevenue | None] = list(funnel.revenue.currencies) or [None]
    total = 1 + len(CHART_KINDS) + len(currencies) + 1
    page = 1
    cover, paths_left = _cover(funnel, made_at, theme, page)
    yield cover
    for fig in _continued(numbers_table(funnel, "paths"), paths_left, funnel, made_at, theme):
        page += 1
        _footer(fig, funnel, made_at, page, theme)
        yield fig
    progress(1, total)
    for done, kind in enumerate(CHART_KINDS, start=2):
        if cancel is not None:
            cancel.raise_if_cancelled()
        table = numbers_table(funnel, kind)
        rows = list(table.rows)
        page += 1
        fig = _page(theme)
        chart, below = _areas(fig, (CHART_IN, PAGE[1] - TOP_IN - BOTTOM_IN - CHART_IN), theme)
        DRAW[kind](chart, funnel, theme)
        drawn = _draw_table(below, table, rows, theme)
        _footer(fig, funnel, made_at, page, theme)
        yield fig
        for fig in _continued(table, rows[drawn:], funnel, made_at, theme):
            page += 1
            _footer(fig, funnel, made_at, page, theme)
            yield fig
        progress(done, total)
    for done, rev in enumerate(currencies, start=2 + len(CHART_KINDS)):
        if cancel is not None:
            cancel.raise_if_cancelled()
        figs = [_revenue_page(funnel, rev, theme)]
        if rev is not None:
            figs += _packed_tables(revenue_tables(rev), theme)
        for fig in figs:
            page += 1
            _footer(fig, funnel, made_at, page, theme)
            yield fig
        progress(done, total)
    if cancel is not None:
        cancel.raise_if_cancelled()
    table = campaigns_table(campaigns)
    rows = list(table.rows)
    page += 1
    fig = _page(theme)
    chart, below = _areas(fig, (CHART_IN, PAGE[1] - TOP_IN - BOTTOM_IN - CHART_IN), theme)
    draw_campaigns(chart, campaigns, theme)
    drawn = _draw_table(below, table, rows, theme)
    _footer(fig, funnel, made_at, page, theme)
    yield fig
    for fig in _continued(table, rows[drawn:], funnel, made_at, theme):
        page += 1
        _footer(fig, funnel, made_at, page, theme)
        yield fig
    progress(total, total)


def _revenue_page(funnel: Funnel, rev: CurrencyRevenue | None, theme: Theme) -> Figure:
    """One currency's heading, its headline numbers in sentences, and its two charts;
    without a sale in view, the page says so above the two empty charts."""
    fig = _page(theme)
    head, by_offer, by_days = _areas(fig, (REVENUE_HEAD_IN, *REVENUE_CHARTS_IN), theme)
    fg, muted = theme.foreground, theme.muted
    if rev is None:
        title = "Revenue"
        lines = [
            "No sale is in view yet.",
            "Import a sales export (Stripe, Gumroad, Shopify, PayPal) and its amounts count "
            "here, per currency.",
        ]
    else:
        title = f"Revenue in {rev.currency}"
        lines = summary_lines(rev)
        others = [c for c in funnel.revenue.codes if c != rev.currency]
        if others:
            lines.append(
                f"Amounts in other currencies ({', '.join(others)}) are never added in: "
                "each has pages of its own."
            )
    head.text(0.0, 1.0, title, fontsize=16, fontweight="bold", color=fg, va="top")
    y = 1 - 0.5 / REVENUE_HEAD_IN
    # Wrapped here: matplotlib would wrap at the page's edge, past the margin.
    for line in (part for text in lines for part in textwrap.wrap(text, HEAD_CHARS)):
        head.text(0.0, y, line, fontsize=9.5, color=fg if rev else muted, va="top")
        y -= LINE_IN / REVENUE_HEAD_IN
    for area, kind in ((by_offer, "revenue-by-offer"), (by_days, "time-to-purchase")):
        draw(kind, area, funnel, theme, rev.currency if rev else None)
    return fig


def _packed_tables(tables: tuple[NumbersTable, ...], theme: Theme) -> Iterator[Figure]:
    """Pages holding ``tables`` one under another (no footer yet); a table that does not
    fit in what is left of a page goes on with the rest of its rows on the next."""
    pad_top, pad_bottom = TABLE_PAD_IN
    pages: list[list[tuple[NumbersTable, list[tuple[str, ...]]]]] = []
    current: list[tuple[NumbersTable, list[tuple[str, ...]]]] = []
    used = 0.0
    for table in tables:
        rows, piece = list(table.rows), table
        while True:
            room = CONTENT_IN - used - pad_top - pad_bottom
            fit = int(room / ROW_IN - 1.6 + 1e-9)  # less the title's line and the header
            if fit >= (1 if rows else 0):
                take = rows[:fit]
                current.append((piece, take))
                used += (len(take) + 1.6) * ROW_IN + pad_top + pad_bottom
                rows = rows[len(take) :]
                piece = NumbersTable(f"{table.title} (continued)", table.columns, (), ())
                if not rows:
                    break
            if not current:  # cannot happen on an empty page; never loop forever
                raise ValueError("a table row does not fit on an empty page")
            pages.append(current)
            current, used = [], 0.0
    if current:
        pages.append(current)
    for content in pages:
        fig = _page(theme)
        heights = tuple((len(rows) + 1.6) * ROW_IN + pad_top + pad_bottom for _, rows in content)
        for area, (table, rows), height in zip(
            _areas(fig, heights, theme), content, heights, strict=True
        ):
            _draw_table(area, table, rows, theme, top=1 - pad_top / height)
        yield fig


def _continued(
    table: NumbersTable,
    rest: list[tuple[str, ...]],
    funnel: Funnel,
    made_at: dt.datetime,
    theme: Theme,
) -> Iterator[Figure]:
    """Pages holding nothing but the rest of ``table`` (no footer yet)."""
    more = NumbersTable(f"{table.title} (continued)", table.columns, (), ())
    while rest:
        fig = _page(theme)
        (area,) = _areas(fig, (PAGE[1] - TOP_IN - BOTTOM_IN,), theme)
        drawn = _draw_table(area, more, rest, theme)
        if not drawn:  # cannot happen on an empty page; never loop forever
            raise ValueError("a table row does not fit on an empty page")
        yield fig
        rest = rest[drawn:]


def write_report(
    funnel: Funnel,
    path: str | Path,
    *,
    made_at: dt.datetime,
    theme: Theme = LIGHT,
    campaigns: Sequence[CampaignRow] | None = None,
    progress: Callable[[int, int], None] = no_progress,
    cancel: CancelToken | None = None,
) -> Path:
    """Write the report PDF to ``path`` (``made_at`` is naive UTC); return the path.
    ``campaigns``: those to show (None: the book's, inside the funnel's period).

    The file is written owner-only next to the target and moved into place at the end,
    so a cancelled or failed export never leaves half a PDF under the chosen name.
    """
    target = Path(path).expanduser()
    if target.suffix.lower() != ".pdf":
        raise ValidationError("A report is a PDF: give the file a name ending in .pdf.")
    if campaigns is None:
        campaigns = campaigns_in_view(funnel, made_at)
    pages = report_pages(
        funnel, made_at, theme, campaigns=campaigns, progress=progress, cancel=cancel
    )
    with atomic_output(target, "report") as handle, pdf_pages(handle, REPORT_TITLE) as pdf:
        for fig in pages:
            pdf.savefig(fig)
    return target


def _cover(
    funnel: Funnel, made_at: dt.datetime, theme: Theme, page: int
) -> tuple[Figure, list[tuple[str, ...]]]:
    """The cover page, and the rows of its paths table that did not fit on it."""
    fig = _page(theme)
    fg, muted = theme.foreground, theme.muted
    fig.text(MARGIN, 0.93, "Funnel report", fontsize=22, fontweight="bold", color=fg)
    f = funnel.filter
    lines = [
        ("Period", f.period_text()),
        ("Source", f.source or "all sources"),
        ("Tag", f.tag or "all tags"),
        (
            "Leads",
            f"{funnel.leads:,} matching the source and tag, any date"
            if f.source or f.tag
            else f"{funnel.leads:,} in the database",
        ),
        ("Made", _when(made_at)),
    ]
    y = 0.88
    for label, value in lines:
        fig.text(MARGIN, y, label, fontsize=10.5, color=muted)
        fig.text(MARGIN + 0.22, y, value, fontsize=10.5, color=fg)
        y -= 0.028
    steps = funnel.steps
    if steps and not funnel.empty:
        first, last = steps[0], steps[-1]
        share = last.reached / first.reached if first.reached else 0.0
        # A rate from a handful of takers says little: prefer offers with ten or more.
        offers = [o for o in funnel.offers if o.takers >= 10] or [
            o for o in funnel.offers if o.takers
        ]
        best = max(
            offers,
            key=lambda o: (o.further_rate or 0.0, o.takers),
            default=None,
        )
        headline = [
            f"{first.reached:,} leads said a first yes; {last.reached:,} reached "
            f"“{last.label}” ({share:.1%})."
            if last.tracked
            else f"{first.reached:,} leads said a first yes; no “{last.label}” is recorded.",
        ]
        if best is not None:
            headline.append(
                f"The offer that most often led on: {best.offer} "
                f"({best.went_further:,} of {best.takers:,} takers, {best.further_rate:.0%})."
            )
        if not funnel.revenue.empty:
            per = "; ".join(
                f"{r.money(r.total)} from {r.buyers:,} buyer{'s' if r.buyers != 1 else ''}"
                for r in funnel.revenue.currencies
            )
            headline.append(f"Revenue, net of refunds: {per}.")
        y -= 0.02
        for text in headline:
            fig.text(MARGIN, y, text, fontsize=10.5, color=fg)
            y -= 0.028
    else:
        y -= 0.02
        fig.text(MARGIN, y, "No yeses in view yet: the charts are empty.", color=muted)
        y -= 0.028  # the paths table starts below this line, as below a headline
    # The paths table between the headline and the definitions at the foot of the page.
    table_in = PAGE[1] - TOP_IN - BOTTOM_IN - FOOTNOTE_IN
    (area,) = _areas(fig, (table_in,), theme)
    paths = numbers_table(funnel, "paths")
    rows = list(paths.rows)
    # Page fraction y sits at area fraction (y * page - what is below the area) / its height.
    top = (y * PAGE[1] - BOTTOM_IN - FOOTNOTE_IN) / table_in - 0.03
    drawn = _draw_table(area, paths, rows, theme, top=top)
    fig.text(
        MARGIN,
        0.07,
        "Reached: leads whose highest step is at or above the step. Took: leads with a yes at "
        "exactly that step. Not tracked: no yes\nat that step is recorded. Conversion: reached "
        "over the reached of the nearest tracked step below. With a period, only the yeses\n"
        "and asks dated inside it count.",
        fontsize=8,
        color=muted,
        va="bottom",
    )
    _footer(fig, funnel, made_at, page, theme)
    return fig, rows[drawn:]
