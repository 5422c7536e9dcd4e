"""Bulk-change commands: bulk tag|untag|set-status|dnc|snooze|delete, changes, undo-change.

The leads are named by the same filters as ``leads`` (a segment among them), by a file
of addresses (``--emails FILE``), or by ``--all``; never by leaving everything out. Where a
verb's own flag has a filter's name (``bulk tag --tag T`` is the tag to add, ``bulk
set-status --status S`` the status to set), that filter is ``--has-tag`` / ``--from-status``,
names every bulk verb takes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from crm.asking.campaigns import mark_asked
from crm.asking.eligibility import Who, plan_campaign
from crm.book.bulk import (
    BulkReport,
    BulkVerb,
    Selection,
    bulk_delete,
    bulk_do_not_contact,
    bulk_set_status,
    bulk_snooze,
    bulk_tag,
    bulk_untag,
    lead_ids_for,
    list_changes,
    undo_change,
)
from crm.book.email_list import read_email_list
from crm.book.leads import LeadQuery
from crm.cli import add_json_flag, one_line, print_json, record_id
from crm.cli.filters import add_filter_args, filter_from_args
from crm.errors import ValidationError
from crm.store.models import database_proxy
from crm.store.paths import database_path
from crm.timefmt import local, parse_user_datetime, utc_now

NAME_THE_LEADS = "Name the leads: a filter, a segment or --emails FILE; --all for every lead."

_HELP = {
    BulkVerb.TAG: "add a tag (--tag T) to many leads",
    BulkVerb.UNTAG: "remove a tag (--tag T) from many leads",
    BulkVerb.SET_STATUS: "set the status (--status S) of many leads",
    BulkVerb.DNC: "mark many leads do not contact (--on), or clear it (--off)",
    BulkVerb.SNOOZE: "keep many leads off Today's asks until a date (--until DATE)",
    BulkVerb.DELETE: "delete many leads (undo-change brings them back)",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bulk", help="change many leads at once (each change can be undone)")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="|".join(str(v) for v in BulkVerb))
    for verb in BulkVerb:
        v = verbs.add_parser(str(verb), help=_HELP[verb])
        # --has-tag and --from-status filter on every verb; --tag and --status too where
        # the verb does not use them for its own value.
        renamed = {"--tag": ["--tag", "--has-tag"], "--status": ["--status", "--from-status"]}
        if verb in (BulkVerb.TAG, BulkVerb.UNTAG):
            v.add_argument("--tag", dest="new_tag", required=True, metavar="T", help="the tag")
            renamed["--tag"] = ["--has-tag"]
        elif verb is BulkVerb.SET_STATUS:
            v.add_argument(
                "--status",
                dest="new_status",
                required=True,
                metavar="S",
                help="subscribed, pending, none, unsubscribed, bounced, complained",
            )
            renamed["--status"] = ["--from-status"]
        elif verb is BulkVerb.DNC:
            flag = v.add_mutually_exclusive_group(required=True)
            flag.add_argument("--on", dest="flag", action="store_true", default=None)
            flag.add_argument("--off", dest="flag", action="store_false")
        elif verb is BulkVerb.SNOOZE:
            v.add_argument("--until", required=True, metavar="DATE", help="YYYY-MM-DD")
        add_filter_args(v, renamed=renamed)
        v.add_argument(
            "--emails",
            metavar="FILE",
            help="the leads with these addresses: one a line, or a CSV with an email column",
        )
        v.add_argument("--all", action="store_true", help="every lead (no filter needed)")
        v.add_argument("--dry-run", action="store_true", help="count, change nothing")
        add_json_flag(v)
        v.set_defaults(handler=cmd_bulk)

    # Marking many leads asked is a campaign without an audience file: the same guardrails
    # hold back whoever may not be asked, and undo-campaign takes it back.
    v = verbs.add_parser("mark-asked", help="record an ask (--step KEY [--offer NAME]) for many")
    v.add_argument("--step", dest="ask_step", required=True, metavar="KEY", help="the ask's step")
    v.add_argument("--offer", dest="ask_offer", metavar="NAME", help="the ask's offer")
    add_filter_args(v, renamed={"--step": ["--at-step"], "--offer": ["--took-offer"]})
    v.add_argument("--emails", metavar="FILE", help="the leads with these addresses")
    v.add_argument("--all", action="store_true", help="every lead (no filter needed)")
    v.add_argument("--dry-run", action="store_true", help="count, record nothing")
    add_json_flag(v)
    v.set_defaults(handler=cmd_mark_asked)

    p = sub.add_parser("changes", help="the history of bulk changes, each with its undo")
    add_json_flag(p)
    p.set_defaults(handler=cmd_changes)

    p = sub.add_parser("undo-change", help="undo one bulk change by its id")
    p.add_argument("change_id", type=record_id("change"), metavar="ID")
    add_json_flag(p)
    p.set_defaults(handler=cmd_undo_change)


def selection_from_args(args: argparse.Namespace) -> Selection:
    """The leads the flags name; refused when they name none (see the module docstring)."""
    flt = filter_from_args(args)
    filtered = not flt.empty or bool(args.segment)
    words: list[str] = []
    if args.segment:
        words.append(f"segment {args.segment}")
        if flt.empty:
            words.append("every lead (the segment filters nothing)")
    elif filtered:
        words.append(flt.describe())
    emails: tuple[str, ...] | None = None
    if args.emails:
        found = read_email_list(args.emails, database_path(database_proxy.obj))
        if found.warning:
            print(f"warning: {one_line(found.warning)}", file=sys.stderr)
        emails = found.keys
        words.append(f"addresses in {Path(args.emails).name}")
    if args.all:
        if filtered or emails is not None:
            raise ValidationError(
                "--all means every lead: leave out the filters and --emails, or drop --all."
            )
        return Selection.every_lead()
    if not filtered and emails is None:
        raise ValidationError(NAME_THE_LEADS)
    return Selection(
        query=flt.query(strict=True) if filtered else None,
        emails=emails,
        words=" · ".join(words),
    )


def _change_for(args: argparse.Namespace) -> Callable[[Selection], BulkReport]:
    """The domain verb the command names, with its value."""
    verb = BulkVerb(args.verb)
    opts: dict[str, Any] = {"now": utc_now(), "dry_run": args.dry_run}
    if verb is BulkVerb.TAG:
        return partial(bulk_tag, tag=args.new_tag, **opts)
    if verb is BulkVerb.UNTAG:
        return partial(bulk_untag, tag=args.new_tag, **opts)
    if verb is BulkVerb.SET_STATUS:
        return partial(bulk_set_status, status=args.new_status, **opts)
    if verb is BulkVerb.DNC:
        return partial(bulk_do_not_contact, flag=bool(args.flag), **opts)
    if verb is BulkVerb.SNOOZE:
        return partial(bulk_snooze, until=parse_user_datetime(args.until), **opts)
    return partial(bulk_delete, **opts)


def cmd_bulk(args: argparse.Namespace) -> None:
    change = _change_for(args)
    report = change(selection_from_args(args))
    if args.json:
        print_json(report.to_json())
        return
    print(report.message)
    if report.batch is not None:
        print(f"change {report.batch}: 'smallyes-cli undo-change {report.batch}' takes it back")


def cmd_mark_asked(args: argparse.Namespace) -> None:
    selection = selection_from_args(args)
    who: Who
    if selection.emails is not None:
        who = lead_ids_for(selection)
    else:
        who = selection.query if selection.query is not None else LeadQuery()
    now = utc_now()
    batch: int | None = None
    if args.dry_run:
        plan = plan_campaign(args.ask_step, args.ask_offer, who, now=now, for_file=False)
        matched, changed, held_back = plan.matched, plan.eligible, dict(plan.held_back)
    else:
        done = mark_asked(who, args.ask_step, args.ask_offer, now)
        matched, changed, held_back, batch = done.matched, done.changed, done.held_back, done.batch
    if args.json:
        # the batch is a campaign without a file: undo-campaign takes it back
        print_json({"matched": matched, "changed": changed, "batch": batch, "campaign": batch,
                    "held_back": held_back, "dry_run": args.dry_run})  # fmt: skip
        return
    held = sum(held_back.values())
    print(f"marked {changed:,} of {matched:,} leads asked ({held:,} held back)")
    if batch is not None:
        print(f"'smallyes-cli undo-campaign {batch}' takes the asks back")


def cmd_changes(args: argparse.Namespace) -> None:
    changes = list_changes()
    if args.json:
        print_json([c.to_json() for c in changes])
        return
    for c in changes:
        when = local(c.at).strftime("%Y-%m-%d %H:%M")
        state = "undone" if c.undone_at else ""
        counts = f"{c.changed:>8,} of {c.matched:<8,}"
        print(f"{c.id:>6}  {when}  {c.verb:<10} {counts} {state:<6} {c.what}")
    print(f"{len(changes)} change{'s' if len(changes) != 1 else ''}")


def cmd_undo_change(args: argparse.Namespace) -> None:
    report = undo_change(args.change_id, now=utc_now())
    if args.json:
        print_json(report.to_json())
    else:
        print(report.message)
