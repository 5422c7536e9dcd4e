"""Funnel commands: funnel (the numbers), chart (one chart to a file), report (the PDF)."""

from __future__ import annotations

import argparse
import datetime as dt

from crm.analytics.funnel import (
    CHART_KINDS,
    FunnelFilter,
    NumbersTable,
    compute_funnel,
    numbers_table,
)
from crm.analytics.revenue import REVENUE_CHARTS, revenue_tables, summary_lines
from crm.cli import add_json_flag, print_json
from crm.errors import ValidationError
from crm.money import check_currency
from crm.timefmt import parse_user_datetime, utc_now


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", metavar="DATE", help="first day (or time) of the period")
    p.add_argument(
        "--until", metavar="DATE", help="last day of the period (a date includes that day)"
    )
    p.add_argument("--source", metavar="S", help="only leads from this source")
    p.add_argument("--tag", metavar="T", help="only leads with this tag")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("funnel", help="funnel numbers: reach, asks, offers, paths, cohorts")
    _add_filters(p)
    add_json_flag(p)
    p.set_defaults(handler=cmd_funnel)

    p = sub.add_parser("chart", help="save one funnel chart as PNG, SVG or PDF")
    p.add_argument("kind", choices=CHART_KINDS + REVENUE_CHARTS)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="file.png|.svg|.pdf")
    p.add_argument("--dpi", type=int, default=150, help="resolution of a PNG (default 150)")
    p.add_argument("--theme", choices=("light", "dark"), default="light")
    p.add_argument(
        "--currency",
        metavar="CODE",
        help="for a revenue chart: the currency (ISO code; default: the one with most sales)",
    )
    _add_filters(p)
    add_json_flag(p)
    p.set_defaults(handler=cmd_chart)

    p = sub.add_parser("report", help="write the funnel report: every chart and table, one PDF")
    p.add_argument("-o", "--output", required=True, metavar="FILE.pdf")
    _add_filters(p)
    add_json_flag(p)
    p.set_defaults(handler=cmd_report)


def _until(text: str) -> dt.datetime:
    """A bare date names a whole day: the period then ends at the next midnight."""
    value = parse_user_datetime(text)
    if len(text.strip()) == 10:
        value += dt.timedelta(days=1)
    return value


def filter_from_args(args: argparse.Namespace) -> FunnelFilter:
    flt = FunnelFilter(
        since=parse_user_datetime(args.since) if args.since is not None else None,
        until=_until(args.until) if args.until is not None else None,
        source=args.source,
        tag=args.tag,
    )
    if flt.since and flt.until and flt.since >= flt.until:
        raise ValidationError("The period ends before it starts: pick an --until after --since.")
    return flt


def cmd_funnel(args: argparse.Namespace) -> None:
    funnel = compute_funnel(filter_from_args(args))
    if args.json:
        # The filter as given, so a script's saved output says what it counted.
        given = {
            "period": funnel.filter.period_text(),
            "since": args.since,
            "until": args.until,
            "source": args.source,
            "tag": args.tag,
        }
        print_json({**funnel.to_json(), "filter": given})
        return
    print(f"Funnel · {funnel.filter.describe()} · {funnel.leads:,} leads")
    for kind in ("funnel", "asks", "offers", "paths", "velocity", "cohorts"):
        _print_table(numbers_table(funnel, kind))
    print()
    if funnel.revenue.empty:
        print("Revenue: no sale in view (import a sales export to see it here)")
    for rev in funnel.revenue.currencies:
        print(f"Revenue in {rev.currency}")
        for line in summary_lines(rev):
            print(f"  {line}")
        for table in revenue_tables(rev):
            _print_table(table)
        print()


def _print_table(table: NumbersTable) -> None:
    print()
    print(table.title)
    if not table.rows:
        print("  (nothing yet)")
        return
    widths = [
        max(len(x) for x in (table.columns[c], *(r[c] for r in table.rows)))
        for c in range(len(table.columns))
    ]
    for row in (table.columns, *table.rows):
        cells = [
            row[0].ljust(widths[0]),
            *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)),
        ]
        print("  " + "  ".join(cells))


def cmd_chart(args: argparse.Namespace) -> None:
    from crm.analytics.charts import build_chart, export_format, save_figure
    from crm.safety.output_files import check_target

    export_format(args.output)  # refuse a bad name or target before any work
    check_target(args.output, "chart")
    if args.currency is not None and args.kind not in REVENUE_CHARTS:
        raise ValidationError(
            "--currency picks the currency of a revenue chart: leave it out for this one."
        )
    if args.currency is not None:
        check_currency(args.currency)
    funnel = compute_funnel(filter_from_args(args))
    fig = build_chart(args.kind, funnel, args.theme, currency=args.currency)
    path = save_figure(fig, args.output, dpi=args.dpi)
    if args.json:
        print_json({"chart": args.kind, "file": str(path)})
    else:
        print(f"saved the {args.kind} chart to {path}")


def cmd_report(args: argparse.Namespace) -> None:
    from crm.analytics.report import write_report
    from crm.safety.output_files import check_target

    if not args.output.lower().endswith(".pdf"):
        raise ValidationError("A report is a PDF: give the file a name ending in .pdf.")
    check_target(args.output, "report")
    funnel = compute_funnel(filter_from_args(args))
    path = write_report(funnel, args.output, made_at=utc_now())
    if args.json:
        print_json({"file": str(path)})
    else:
        print(f"wrote the funnel report to {path}")
