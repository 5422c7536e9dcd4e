"""Campaign commands: campaign plan | create, campaigns, undo-campaign."""

from __future__ import annotations

import argparse

from crm.asking.audience import PLATFORMS
from crm.asking.campaigns import create_campaign, list_campaigns, undo_campaign
from crm.asking.eligibility import REASON_WORDS, CampaignPlan, plan_campaign
from crm.book.filters import LeadFilter
from crm.cli import add_json_flag, print_json, record_id
from crm.cli.filters import add_filter_args, filter_from_args
from crm.timefmt import local, utc_now


def _ask_args(p: argparse.ArgumentParser) -> None:
    # The ask's step and offer take the names the lead filter gives its own "highest step
    # is exactly" and "took this offer" (conflict_handler="resolve" drops those two here).
    add_filter_args(p)
    g = p.add_argument_group("the ask")
    g.add_argument("--step", dest="ask_step", required=True, metavar="KEY", help="ask for this")
    g.add_argument("--offer", dest="ask_offer", metavar="NAME", help="about this offer")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("campaign", help="ask many leads at once through your newsletter tool")
    verbs = p.add_subparsers(dest="verb", required=True, metavar="plan|create")
    s = verbs.add_parser(
        "plan",
        help="who may be asked now, and how many are held back by reason (changes nothing)",
        conflict_handler="resolve",
    )
    _ask_args(s)
    add_json_flag(s)
    s.set_defaults(handler=cmd_plan)
    s = verbs.add_parser(
        "create",
        help="record the asks and write the audience file for your newsletter tool",
        conflict_handler="resolve",
    )
    _ask_args(s)
    s.add_argument("--platform", required=True, choices=sorted(PLATFORMS))
    s.add_argument("-o", "--output", required=True, metavar="FILE", help="the audience file")
    add_json_flag(s)
    s.set_defaults(handler=cmd_create)

    p = sub.add_parser("campaigns", help="the campaigns, each with its numbers")
    add_json_flag(p)
    p.set_defaults(handler=cmd_campaigns)

    p = sub.add_parser(
        "undo-campaign", help="remove a campaign's asks still pending (answered ones stay)"
    )
    p.add_argument("campaign_id", type=record_id("campaign"))
    add_json_flag(p)
    p.set_defaults(handler=cmd_undo)


def _who(args: argparse.Namespace) -> LeadFilter:
    args.step, args.offer = None, None  # the ask's, not the filter's (see _ask_args)
    return filter_from_args(args)


def _print_plan(plan: CampaignPlan) -> None:
    what = plan.target.step_label + (f" — {plan.target.offer}" if plan.target.offer else "")
    print(f"Ask for {what}: {plan.eligible:,} of {plan.matched:,} leads may be asked now.")
    if plan.held_back_total:
        print(f"Held back: {plan.held_back_total:,}")
        for reason, count in plan.held_back.items():
            if count:
                print(f"  {count:>8,}  {REASON_WORDS[reason]} ({reason})")


def cmd_plan(args: argparse.Namespace) -> None:
    plan = plan_campaign(args.ask_step, args.ask_offer, _who(args), now=utc_now())
    if args.json:
        print_json(plan.to_json())
        return
    _print_plan(plan)


def cmd_create(args: argparse.Namespace) -> None:
    who = _who(args)
    made = create_campaign(
        args.ask_step,
        args.ask_offer,
        who,
        platform=args.platform,
        target=args.output,
        now=utc_now(),
    )
    if args.json:
        print_json(made.to_json())
        return
    print(
        f"Campaign {made.campaign}: {made.asked:,} pending asks recorded; the audience file "
        f"for {made.platform.label} is {made.file}."
    )
    print(made.how)
    held = made.plan.held_back_total
    if held:
        print(f"{held:,} held back ('smallyes-cli campaign plan' with the same choice says why).")


def cmd_campaigns(args: argparse.Namespace) -> None:
    rows = list_campaigns(utc_now())
    if args.json:
        print_json([r.to_json() for r in rows])
        return
    if not rows:
        print("No campaigns yet: 'smallyes-cli campaign plan --step KEY' shows who may be asked.")
        return
    print(
        f"{'id':>4}  {'date':10}  {'ask':32} {'asked':>7} {'yes':>6} {'not now':>7} "
        f"{'no answer':>9} {'pending':>7}  conversion"
    )
    for r in rows:
        conv = "" if r.conversion is None else f"{r.conversion:.0%}"
        state = f"  (undone, {r.removed:,} removed)" if r.undone_at else ""
        print(
            f"{r.id:>4}  {local(r.created_at):%Y-%m-%d}  {r.name[:32]:32} {r.asked:>7,} "
            f"{r.accepted:>6,} {r.declined:>7,} {r.no_response:>9,} {r.pending:>7,}  "
            f"{conv}{state}"
        )


def cmd_undo(args: argparse.Namespace) -> None:
    done = undo_campaign(args.campaign_id, now=utc_now())
    if args.json:
        print_json(done.to_json())
        return
    print(done.words)
