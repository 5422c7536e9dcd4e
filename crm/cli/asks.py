"""Ask commands: ask, outcome, asks, suggest, snooze, ladder, step, offers, offer, pacing."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from crm.asks import AskRow, delete_ask, get_ask, list_asks, record_ask, set_outcome
from crm.cli import add_json_flag, print_json, record_id
from crm.errors import ValidationError
from crm.ladder import (
    StepEdit,
    StepRow,
    get_ladder,
    reorder_steps,
    save_ladder,
    step_by_key,
    step_keys,
)
from crm.leads import find_lead
from crm.offers import (
    OfferRow,
    add_offer,
    list_offers,
    rename_offer,
    retire_offer,
    set_offer_topics,
)
from crm.pacing import FIELDS, get_pacing, pacing_to_json, reset_pacing, set_pacing
from crm.suggest import NoSuggestion
from crm.timefmt import iso, parse_user_datetime, utc_now
from crm.today import skip, snooze, suggest_for_lead, suggestion_json, todays_asks


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="record an ask you made (pending until its outcome)")
    p.add_argument("email")
    p.add_argument("step", help="the ladder key asked for: downloaded, answered, booked, ...")
    p.add_argument("--offer", metavar="NAME")
    p.add_argument("--at", metavar="ISO-DATETIME")
    p.add_argument("--note", default="")
    add_json_flag(p)
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("outcome", help="set an ask's outcome")
    p.add_argument("ask_id", type=record_id("ask"))
    p.add_argument("outcome", help="accepted, declined, no_response (or pending to undo)")
    p.add_argument("--at", metavar="ISO-DATETIME")
    add_json_flag(p)
    p.set_defaults(handler=cmd_outcome)

    p = sub.add_parser("asks", help="list asks (one lead's, or all)")
    p.add_argument("email", nargs="?")
    p.add_argument("--outcome")
    add_json_flag(p)
    p.set_defaults(handler=cmd_asks)

    p = sub.add_parser("delete-ask", help="delete an ask recorded by mistake")
    p.add_argument("ask_id", type=record_id("ask"))
    add_json_flag(p)
    p.set_defaults(handler=cmd_delete_ask)

    p = sub.add_parser("suggest", help="today's asks, or the next ask for one lead")
    p.add_argument("email", nargs="?")
    p.add_argument("--now", metavar="ISO-DATETIME")
    p.add_argument("--limit", type=int, metavar="N")
    add_json_flag(p)
    p.set_defaults(handler=cmd_suggest)

    p = sub.add_parser("snooze", help="keep a lead off today's asks until a date, or skip it")
    p.add_argument("email")
    p.add_argument("until", help="a date (YYYY-MM-DD), or 'skip' for the cooldown")
    add_json_flag(p)
    p.set_defaults(handler=cmd_snooze)

    p = sub.add_parser("ladder", help="show the ladder, or change a step")
    add_json_flag(p)
    p.add_argument("--reorder", nargs="+", metavar="KEY", help="every key, in the new order")
    p.set_defaults(handler=cmd_ladder)

    p = sub.add_parser("step", help="rename a step, mark it major, or set its ask template")
    p.add_argument("key")
    p.add_argument("--label")
    p.add_argument("--major", choices=["on", "off"])
    p.add_argument("--subject")
    p.add_argument("--body")
    add_json_flag(p)
    p.set_defaults(handler=cmd_step)

    p = sub.add_parser("offers", help="list offers")
    p.add_argument("--all", action="store_true", help="include retired offers")
    add_json_flag(p)
    p.set_defaults(handler=cmd_offers)

    p = sub.add_parser("offer", help="add, rename, retire an offer or set its topics")
    osub = p.add_subparsers(dest="offer_command", metavar="ACTION", parser_class=type(p))
    osub.required = True
    q = osub.add_parser("add", help="add an offer")
    q.add_argument("name")
    q.add_argument("--kind", default="", help="guide, checklist, quiz, survey, ...")
    q.add_argument("--topics", default="", help="comma-separated topics, like 'pricing,sales'")
    add_json_flag(q)
    q.set_defaults(handler=cmd_offer_add)
    q = osub.add_parser("rename", help="rename an offer")
    q.add_argument("name")
    q.add_argument("new_name")
    add_json_flag(q)
    q.set_defaults(handler=cmd_offer_rename)
    q = osub.add_parser("retire", help="stop suggesting an offer (or --undo)")
    q.add_argument("name")
    q.add_argument("--undo", action="store_true")
    add_json_flag(q)
    q.set_defaults(handler=cmd_offer_retire)
    q = osub.add_parser("topics", help="set an offer's topics")
    q.add_argument("name")
    q.add_argument("topics", help="comma-separated, like 'pricing,sales'")
    q.add_argument("--kind")
    add_json_flag(q)
    q.set_defaults(handler=cmd_offer_topics)

    p = sub.add_parser("pacing", help="show or change pacing settings (NAME=VALUE ...)")
    p.add_argument("changes", nargs="*", metavar="NAME=VALUE")
    p.add_argument("--reset", action="store_true", help="back to the defaults")
    add_json_flag(p)
    p.set_defaults(handler=cmd_pacing)


def _ask_json(ask: AskRow) -> dict[str, Any]:
    return {
        "ask_id": ask.id,
        "step": ask.step,
        "offer": ask.offer,
        "asked_at": iso(ask.asked_at),
        "outcome": ask.outcome,
        "resolved_at": iso(ask.resolved_at),
        "note": ask.note,
    }


def _step_json(step: StepRow) -> dict[str, Any]:
    return {
        "key": step.key,
        "label": step.label,
        "level": step.level,
        "major": step.major,
        "description": step.description,
        "ask_subject": step.ask_subject,
        "ask_body": step.ask_body,
    }


def _offer_json(offer: OfferRow) -> dict[str, Any]:
    return {
        "name": offer.name,
        "kind": offer.kind,
        "topics": list(offer.topics),
        "retired": offer.retired,
    }


def cmd_ask(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    now = utc_now()
    at = parse_user_datetime(args.at) if args.at is not None else now
    ask_id = record_ask(lead.id, args.step, at=at, now=now, offer=args.offer, note=args.note)
    if args.json:
        print_json({"ask_id": ask_id})
    else:
        print(f"asked {lead.email} for {args.step} (ask {ask_id}, pending)")


def cmd_outcome(args: argparse.Namespace) -> None:
    now = utc_now()
    at = parse_user_datetime(args.at) if args.at is not None else now
    set_outcome(args.ask_id, args.outcome, at=at, now=now)
    if args.json:
        print_json(_ask_json(get_ask(args.ask_id)))


def cmd_asks(args: argparse.Namespace) -> None:
    lead_id = find_lead(args.email).id if args.email else None
    rows = list_asks(lead_id, outcome=args.outcome)
    if args.json:
        print_json([_ask_json(a) for a in rows])
        return
    for a in rows:
        offer = f" ({a.offer})" if a.offer else ""
        print(f"{a.id:>7}  {iso(a.asked_at)}  {a.step}{offer}  {a.outcome}")


def cmd_delete_ask(args: argparse.Namespace) -> None:
    delete_ask(args.ask_id)
    if args.json:
        print_json({"deleted_ask_id": args.ask_id})


def cmd_suggest(args: argparse.Namespace) -> None:
    now = parse_user_datetime(args.now) if args.now is not None else utc_now()
    if args.email:
        lead = find_lead(args.email)
        result = suggest_for_lead(lead.id, now)
        out = suggestion_json(lead.email, result)
        if args.json:
            print_json(out)
        elif isinstance(result, NoSuggestion):
            print(f"{lead.email}: nothing to ask now. {result.reason}")
        else:
            print(
                f"{lead.email}: ask for {result.step}"
                + (f" ({result.offer})" if result.offer else "")
            )
            print(f"  due {out['due']}, score {result.score:.2f}\n  {result.reason}")
            print("  " + result.message.replace("\n", "\n  "))
        return
    items = todays_asks(now, args.limit)
    if args.json:
        print_json([item.to_json() for item in items])
        return
    for item in items:
        s = item.suggestion
        offer = f" ({s.offer})" if s.offer else ""
        print(f"{s.score:.2f}  {item.email:<36} {s.step}{offer}")
    print(f"{len(items)} ask{'s' if len(items) != 1 else ''} due today")


def cmd_snooze(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    now = utc_now()
    if args.until.strip().lower() == "skip":
        until = skip(lead.id, now=now)
    else:
        until = parse_user_datetime(args.until)
        snooze(lead.id, until, now=now)
    if args.json:
        print_json({"email": lead.email, "until": iso(until)})
    else:
        print(f"{lead.email} is off today's asks until {iso(until)}")


def _print_ladder(steps: list[StepRow], as_json: bool) -> None:
    if as_json:
        print_json([_step_json(s) for s in steps])
        return
    for s in steps:
        print(f"{s.level:>2}  {s.key:<12} {s.label:<20} {'major' if s.major else ''}")


def cmd_ladder(args: argparse.Namespace) -> None:
    steps = reorder_steps(args.reorder) if args.reorder else get_ladder()
    _print_ladder(steps, args.json)


def cmd_step(args: argparse.Namespace) -> None:
    if args.label is None and args.major is None and args.subject is None and args.body is None:
        raise ValidationError("Say what to change: --label, --major, --subject or --body.")
    step = step_by_key(args.key)
    # One transaction (save_ladder): a bad --subject must not leave the new --label behind.
    save_ladder(
        [
            StepEdit(
                step.key,
                args.label if args.label is not None else step.label,
                (args.major == "on") if args.major is not None else step.major,
                args.subject if args.subject is not None else step.ask_subject,
                args.body.replace("\\n", "\n") if args.body is not None else step.ask_body,
            )
        ],
        step_keys(),
    )
    step = step_by_key(step.key)
    if args.json:
        print_json(_step_json(step))
    else:
        print(f"{step.key}: {step.label}{' (major)' if step.major else ''}")


def cmd_offers(args: argparse.Namespace) -> None:
    offers = list_offers(include_retired=args.all)
    if args.json:
        print_json([_offer_json(o) for o in offers])
        return
    for o in offers:
        retired = "  (retired)" if o.retired else ""
        print(f"{o.name:<32} {o.kind:<10} {', '.join(o.topics)}{retired}")


def _print_offer(offer: OfferRow, as_json: bool) -> None:
    if as_json:
        print_json(_offer_json(offer))
    else:
        print(f"{offer.name}{' (retired)' if offer.retired else ''}: {', '.join(offer.topics)}")


def cmd_offer_add(args: argparse.Namespace) -> None:
    _print_offer(add_offer(args.name, now=utc_now(), kind=args.kind, topics=args.topics), args.json)


def cmd_offer_rename(args: argparse.Namespace) -> None:
    _print_offer(rename_offer(args.name, args.new_name), args.json)


def cmd_offer_retire(args: argparse.Namespace) -> None:
    _print_offer(retire_offer(args.name, not args.undo), args.json)


def cmd_offer_topics(args: argparse.Namespace) -> None:
    _print_offer(set_offer_topics(args.name, args.topics, args.kind), args.json)


def cmd_pacing(args: argparse.Namespace) -> None:
    if args.reset and args.changes:
        raise ValidationError(
            "Either --reset to the defaults or NAME=VALUE changes, not both: run them one "
            "after the other."
        )
    if args.reset:
        pacing = reset_pacing()
    elif args.changes:
        changes = {}
        for item in args.changes:
            name, sep, value = item.partition("=")
            if not sep:
                raise ValidationError(f"Write '{item}' as NAME=VALUE, like cooldown_days=10.")
            changes[name.strip()] = value.strip()
        pacing = set_pacing(**changes)
    else:
        pacing = get_pacing()
    if args.json:
        print_json(pacing_to_json(pacing))
        return
    values = dataclasses.asdict(pacing)
    for f in FIELDS:
        print(f"{f.name:<24} {values[f.name]:<6g} {f.unit:<9} {f.label}")
