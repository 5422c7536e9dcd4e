"""The funnel report: one PDF with every chart, the numbers under each, the period, the
filters and the date it was made.

Pages are A4 portrait: a cover with the headline numbers and the paths into the major
steps, then one page per chart with its table. A table too long for its page continues
on the next one, so every number is in the PDF. The pages are figures from ``crm.analytics.charts``,
the one module that speaks to matplotlib.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from crm.analytics.charts import DRAW, LIGHT, Theme, new_figure, pdf_pages, shorten
from crm.analytics.funnel import CHART_KINDS, NOT_TRACKED, Funnel, NumbersTable, numbers_table
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
        all(str(r[c])[:1].isdigit() or str(r[c]) in ("–", NOT_TRACKED) for r in rows)
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


def report_pages(
    funnel: Funnel,
    made_at: dt.datetime,
    theme: Theme = LIGHT,
    *,
    progress: Callable[[int, int], None] = no_progress,
    cancel: CancelToken | None = None,
) -> Iterator[Figure]:
    """The report's pages in order, each a Figure: the cover, then each chart with its
    table, a table that does not fit continuing on pages of its own."""
    total = 1 + len(CHART_KINDS)
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
    progress: Callable[[int, int], None] = no_progress,
    cancel: CancelToken | None = None,
) -> Path:
    """Write the report PDF to ``path`` (``made_at`` is naive UTC); return the path.

    The file is written owner-only next to the target and moved into place at the end,
    so a cancelled or failed export never leaves half a PDF under the chosen name.
    """
    target = Path(path).expanduser()
    if target.suffix.lower() != ".pdf":
        raise ValidationError("A report is a PDF: give the file a name ending in .pdf.")
    pages = report_pages(funnel, made_at, theme, progress=progress, cancel=cancel)
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
