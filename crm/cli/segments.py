"""Segment commands: segment save | list | show | delete."""

from __future__ import annotations

import argparse

from crm.book.leads import list_leads
from crm.book.segments import delete_segment, get_segment, list_segments, save_segment
from crm.cli import add_json_flag, print_json
from crm.cli.filters import add_filter_args, filter_from_args
from crm.timefmt import utc_now


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("segment", help="saved filters of the lead book, with their counts")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="save|list|show|delete")
    s = verbs.add_parser("save", help="save a filter under a name")
    s.add_argument("name")
    add_filter_args(s)
    s.add_argument("--replace", action="store_true", help="over a segment of that name")
    add_json_flag(s)
    s.set_defaults(handler=cmd_save)
    s = verbs.add_parser("list", help="the segments, each with its count")
    add_json_flag(s)
    s.set_defaults(handler=cmd_list)
    s = verbs.add_parser("show", help="a segment's filter, count and leads")
    s.add_argument("name")
    add_json_flag(s)
    s.set_defaults(handler=cmd_show)
    s = verbs.add_parser("delete", help="delete a segment (its leads stay)")
    s.add_argument("name")
    add_json_flag(s)
    s.set_defaults(handler=cmd_delete)


def cmd_save(args: argparse.Namespace) -> None:
    seg = save_segment(args.name, filter_from_args(args), now=utc_now(), replace=args.replace)
    if args.json:
        print_json(seg.to_json())
        return
    print(f"saved segment '{seg.name}': {seg.filter.describe()} ({seg.count():,} leads)")
    for problem in seg.problems:
        print(f"  note: {problem}")


def cmd_list(args: argparse.Namespace) -> None:
    segments = list_segments()
    if args.json:
        print_json([s.to_json() for s in segments])
        return
    for seg in segments:
        print(f"{seg.name:<30} {seg.count():>8,}  {seg.filter.describe()}")
    print(f"{len(segments)} segment{'s' if len(segments) != 1 else ''}")


def cmd_show(args: argparse.Namespace) -> None:
    seg = get_segment(args.name)
    leads = list_leads(seg.filter.query())
    if args.json:
        print_json(seg.to_json(len(leads)) | {"leads": [lead.email for lead in leads]})
        return
    print(f"{seg.name}: {seg.filter.describe()} ({len(leads):,} leads)")
    for problem in seg.problems:
        print(f"  no longer matches: {problem}")
    for lead in leads[:50]:
        print(f"  {lead.email}")
    if len(leads) > 50:
        print(f"  ... and {len(leads) - 50:,} more ('smallyes-cli leads --segment NAME' lists all)")


def cmd_delete(args: argparse.Namespace) -> None:
    seg = get_segment(args.name)
    delete_segment(args.name)
    if args.json:
        print_json({"deleted": seg.name})
    else:
        print(f"deleted segment '{seg.name}'")
