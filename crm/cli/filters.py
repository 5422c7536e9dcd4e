"""The lead filters every listing, segment, bulk and campaign command takes, the same way."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence

from crm.book.filters import LeadFilter, check_filter, parse_field
from crm.book.segments import get_segment
from crm.timefmt import parse_user_datetime


def add_filter_args(
    p: argparse.ArgumentParser, *, renamed: Mapping[str, Sequence[str]] = {}
) -> None:
    """The filter flags; ``renamed``: a filter flag -> the option strings it takes instead,
    where the command uses the flag for something else (``bulk tag --tag T`` names the tag
    to add: its filter is ``--has-tag``)."""

    def names(flag: str) -> Sequence[str]:
        return renamed.get(flag, (flag,))

    g = p.add_argument_group("which leads")
    g.add_argument("--search", default="", metavar="Q", help="name, email or company")
    g.add_argument(*names("--status"), dest="status", metavar="S")
    g.add_argument(
        *names("--tag"),
        dest="tag",
        action="append",
        default=[],
        metavar="T",
        help="has it (repeatable: all of)",
    )
    g.add_argument("--any-tag", action="append", default=[], metavar="T", help="has one of them")
    g.add_argument("--no-tag", action="append", default=[], metavar="T", help="has none of them")
    g.add_argument(*names("--step"), dest="step", metavar="KEY", help="the highest step is KEY")
    g.add_argument("--min-step", metavar="KEY", help="reached KEY or higher")
    g.add_argument("--max-step", metavar="KEY", help="reached no higher than KEY")
    g.add_argument(*names("--offer"), dest="offer", metavar="NAME", help="took this offer")
    g.add_argument("--yes-after", metavar="DATE", help="the last yes on or after DATE")
    g.add_argument("--yes-before", metavar="DATE", help="the last yes before DATE")
    g.add_argument("--never-asked", action="store_true")
    g.add_argument("--asked-before", metavar="DATE", help="never asked, or not since DATE")
    g.add_argument("--engaged-within", type=int, metavar="DAYS", help="opened or clicked lately")
    g.add_argument("--source", metavar="S")
    g.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a custom field: NAME=VALUE, NAME~TEXT, NAME= (empty), NAME>N, NAME<N",
    )
    g.add_argument("--segment", metavar="NAME", help="start from a saved segment")


def _date(text: str | None) -> dt.datetime | None:
    return parse_user_datetime(text) if text else None


def filter_from_args(args: argparse.Namespace) -> LeadFilter:
    """The filter the flags say; with ``--segment``, the segment's narrowed by the rest."""
    base = get_segment(args.segment).filter if getattr(args, "segment", None) else LeadFilter()
    given = LeadFilter(
        search=args.search,
        status=args.status,
        tags_all=tuple(args.tag),
        tags_any=tuple(args.any_tag),
        tags_none=tuple(args.no_tag),
        step=args.step,
        min_step=args.min_step,
        max_step=args.max_step,
        offer=args.offer,
        yes_after=_date(args.yes_after),
        yes_before=_date(args.yes_before),
        never_asked=args.never_asked,
        asked_before=_date(args.asked_before),
        engaged_within=args.engaged_within,
        source=args.source,
        fields=tuple(parse_field(f) for f in args.field),
    )
    merged = {}
    for f in dataclasses.fields(LeadFilter):
        mine, theirs = getattr(given, f.name), getattr(base, f.name)
        if isinstance(mine, tuple):
            merged[f.name] = theirs + tuple(x for x in mine if x not in theirs)
        else:
            merged[f.name] = mine if mine not in (None, "", False) else theirs
    return check_filter(LeadFilter(**merged))
