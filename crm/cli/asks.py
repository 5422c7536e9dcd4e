"""Ask commands: ask, outcome, asks, suggest, snooze, ladder, step (add, remove), offers, offer
(add, link, rename, retire, topics), pacing."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from crm.asking.asks import AskRow, delete_ask, get_ask, list_asks, record_ask, set_outcome
from crm.asking.due import (
    daily_limit_text,
    personal_asks_and_limit,
    skip,
    snooze,
    suggest_for_lead,
    suggestion_json,
    todays_asks_page,
)
from crm.asking.ladder import (
    StepEdit,
    StepRow,
    StepUse,
    add_step,
    get_ladder,
    remove_step,
    reorder_steps,
    save_ladder,
    step_by_key,
    step_keys,
    step_uses,
)
from crm.asking.pacing import FIELDS, get_pacing, pacing_to_json, reset_pacing, set_pacing
from crm.asking.suggest import NoSuggestion
from crm.book.leads import find_lead
from crm.book.offers import (
    OfferRow,
    add_offer,
    get_offer,
    list_offers,
    offer_id_for,
    rename_offer,
    retire_offer,
    set_offer_topics,
)
from crm.cli import add_json_flag, print_json, record_id
from crm.errors import ValidationError
from crm.importing.activity.links import add_offer_link, offer_links, remove_offer_link
from crm.store.models import database_proxy
from crm.timefmt import iso, parse_user_datetime, utc_now


# Long: one argparse declaration a command, each reading as its --help does.
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

    p = sub.add_parser(
        "step",
        help="add or remove a step; rename one, mark it major, set its ask or move it",
        usage=(
            "smallyes-cli step KEY [--label LABEL] [--major [on|off]] [--subject TEXT] "
            "[--body TEXT] [--level N]\n"
            "       smallyes-cli step add KEY --label LABEL --level N [--major] "
            "[--template TEXT] [--subject TEXT]\n"
            "       smallyes-cli step remove KEY [--into OTHER]"
        ),
        description=(
            "Change a step of the ladder, add one at a level (the steps at and above it move "
            "up one), or remove one; a step that yeses or asks use is removed with --into "
            "OTHER, which moves them to OTHER first (after a safety copy in backups/)."
        ),
    )
    # One parser for the three forms: 'step KEY --label ...' is the older, shorter form,
    # and 'add' and 'remove' cannot be step keys.
    p.add_argument("first", metavar="KEY|add|remove")
    p.add_argument("key", nargs="?", metavar="KEY", help="after add or remove: the step")
    p.add_argument("--label")
    p.add_argument(
        "--major", nargs="?", const="on", choices=["on", "off"], help="a big ask (on by itself)"
    )
    p.add_argument("--subject", help="the ask's subject line")
    p.add_argument("--body", help="the ask's message (\\n for a new line)")
    p.add_argument("--template", metavar="TEXT", help="the ask's message, like --body")
    p.add_argument("--level", type=int, metavar="N", help="where the step goes: 1 is the bottom")
    p.add_argument("--into", metavar="OTHER", help="remove: move its yeses and asks to OTHER")
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
    q.add_argument(
        "--link",
        action="append",
        default=[],
        metavar="URL",
        help="a click on this URL (or any URL it starts) is a yes on the offer; repeatable",
    )
    q.add_argument("--link-step", metavar="KEY", help="the step such a click is (downloaded)")
    add_json_flag(q)
    q.set_defaults(handler=cmd_offer_add)
    q = osub.add_parser("link", help="give an offer a link: clicks on it are yeses on the offer")
    q.add_argument("name")
    q.add_argument("--link", action="append", required=True, metavar="URL")
    q.add_argument("--step", metavar="KEY", help="the step such a click is (downloaded)")
    q.add_argument("--remove", action="store_true", help="take these links off instead")
    add_json_flag(q)
    q.set_defaults(handler=cmd_offer_link)
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
        "template": step.ask_body,
    }


def _offer_json(offer: OfferRow) -> dict[str, Any]:
    return {
        "name": offer.name,
        "kind": offer.kind,
        "topics": list(offer.topics),
        "retired": offer.retired,
        "links": [{"link": link.prefix, "step": link.step} for link in offer_links(offer.name)],
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
    asked, daily = personal_asks_and_limit(now)
    if args.email:
        lead = find_lead(args.email)
        result = suggest_for_lead(lead.id, now)
        out = suggestion_json(lead.email, result)
        if args.json:
            print_json(out)
        elif isinstance(result, NoSuggestion):
            print(f"{lead.email}: nothing to ask now. {result.reason}")
        else:
            print(f"{lead.email}: {result.ask_name} ({result.step})")
            print(f"  due {out['due']}, score {result.score:.2f}\n  {result.reason}")
            print("  " + result.message.replace("\n", "\n  "))
            if asked >= daily:
                print("  " + daily_limit_text(asked, daily))
        return
    if args.limit is not None and args.limit < 1:
        raise ValidationError("Give --limit a number of at least 1.")
    # the daily limit of personal asks: what is left of it today is all that is suggested
    left = max(daily - asked, 0)
    wanted = left if args.limit is None else min(args.limit, left)
    page = todays_asks_page(now, max(wanted, 1))
    items = page.items[:wanted]
    if args.json:
        print_json([item.to_json() for item in items])
        return
    for item in items:
        s = item.suggestion
        print(f"{s.score:.2f}  {item.email:<36} {s.ask_name}")
    due = page.total_due
    print(
        f"{due:,} lead{'s have' if due != 1 else ' has'} an ask due today; "
        f"{len(items):,} listed for personal asking."
    )
    text = daily_limit_text(asked, daily)
    if asked >= daily:
        text += " (smallyes-cli pacing daily_ask_limit=N)"
    print(text)


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
        uses = step_uses()
        print_json(
            [
                {
                    **_step_json(s),
                    "yeses": uses.get(s.key, StepUse()).yeses,
                    "asks": uses.get(s.key, StepUse()).asks,
                }
                for s in steps
            ]
        )
        return
    width = max((len(s.key) for s in steps), default=0)
    for s in steps:
        print(f"{s.level:>2}  {s.key:<{max(width, 12)}} {s.label:<20} {'major' if s.major else ''}")


def cmd_ladder(args: argparse.Namespace) -> None:
    steps = reorder_steps(args.reorder) if args.reorder else get_ladder()
    _print_ladder(steps, args.json)


def _message(args: argparse.Namespace) -> str | None:
    if args.body is not None and args.template is not None:
        raise ValidationError("Give the ask's message once: --template or --body, not both.")
    text = args.template if args.template is not None else args.body
    return text.replace("\\n", "\n") if text is not None else None


def _refuse_options(args: argparse.Namespace, names: tuple[str, ...], what: str) -> None:
    given = [f"--{n}" for n in names if getattr(args, n) is not None]
    if given:
        raise ValidationError(f"{what} takes no {', '.join(given)}: leave it out.")


def cmd_step(args: argparse.Namespace) -> None:
    if args.first == "add":
        cmd_step_add(args)
    elif args.first == "remove":
        cmd_step_remove(args)
    else:
        cmd_step_edit(args)


def cmd_step_edit(args: argparse.Namespace) -> None:
    if args.key is not None:
        raise ValidationError(
            f"'step {args.first} {args.key}' is not a step command: use 'step KEY --label "
            "...', 'step add KEY ...' or 'step remove KEY'."
        )
    _refuse_options(args, ("into",), "Changing a step")
    body = _message(args)
    asked = (args.label, args.major, args.subject, body, args.level)
    if all(value is None for value in asked):
        raise ValidationError("Say what to change: --label, --major, --subject, --body or --level.")
    step = step_by_key(args.first)
    order = [k for k in step_keys() if k != step.key]
    if args.level is not None:
        if not 1 <= args.level <= len(order) + 1:
            raise ValidationError(
                f"Level {args.level} is outside the ladder: give a level from 1 to "
                f"{len(order) + 1}."
            )
        order.insert(args.level - 1, step.key)
    else:
        order = step_keys()
    # One transaction (save_ladder): a bad --subject must not leave the new --label behind.
    save_ladder(
        [
            StepEdit(
                step.key,
                args.label if args.label is not None else step.label,
                (args.major == "on") if args.major is not None else step.major,
                args.subject if args.subject is not None else step.ask_subject,
                body if body is not None else step.ask_body,
            )
        ],
        order,
    )
    step = step_by_key(step.key)
    if args.json:
        print_json(_step_json(step))
    else:
        print(f"{step.key}: {step.label}{' (major)' if step.major else ''}")


def cmd_step_add(args: argparse.Namespace) -> None:
    if args.key is None:
        raise ValidationError(
            "Say which step to add: step add KEY --label LABEL --level N, like "
            "step add attended_webinar --label 'Attended webinar' --level 3."
        )
    _refuse_options(args, ("into",), "Adding a step")
    if args.label is None or args.level is None:
        raise ValidationError(
            f"Give the new step a name and a place: step add {args.key} --label LABEL --level N."
        )
    step = add_step(
        args.key,
        args.label,
        args.level,
        major=args.major == "on",
        subject=args.subject,
        body=_message(args),
    )
    if args.json:
        print_json(_step_json(step))
    else:
        print(f"added {step.key} ({step.label}) at level {step.level}")
        _print_ladder(get_ladder(), False)


def cmd_step_remove(args: argparse.Namespace) -> None:
    if args.key is None:
        raise ValidationError(
            "Say which step to remove: step remove KEY, or step remove KEY --into OTHER."
        )
    _refuse_options(
        args, ("label", "major", "subject", "body", "template", "level"), "Removing a step"
    )
    step = step_by_key(args.key)
    if args.into is None:
        use = step_uses().get(step.key, StepUse())
        if use.total:
            raise ValidationError(
                f"'{step.key}' is used by {use.words()}: to move "
                f"{'it' if use.total == 1 else 'them'} to another step and remove "
                f"'{step.key}', run step remove {step.key} --into OTHER."
            )
    change = remove_step(step.key, args.into)
    moved = change.moved.get(step.key, StepUse())
    into = args.into.strip().lower() if args.into is not None else None
    if args.json:
        print_json(
            {
                "removed": step.key,
                "into": into,
                "moved_yeses": moved.yeses,
                "moved_asks": moved.asks,
                "backup": str(change.backup) if change.backup else None,
                "ladder": [_step_json(s) for s in get_ladder()],
            }
        )
        return
    if into is None:
        print(f"removed {step.key}")
    else:
        print(f"removed {step.key}: moved {moved.words()} to {into}")
    if change.backup is not None:
        print(f"a safety copy from before is in {change.backup}")
    _print_ladder(get_ladder(), False)


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
        for link in offer_links(offer.name):
            print(f"  link: {link.prefix} ({link.step})")


def cmd_offer_add(args: argparse.Namespace) -> None:
    now = utc_now()
    with database_proxy.atomic():  # an offer with a bad link is not added either
        offer = add_offer(args.name, now=now, kind=args.kind, topics=args.topics)
        for url in args.link:
            add_offer_link(offer.name, url, now=now, step=args.link_step)
    _print_offer(offer, args.json)


def cmd_offer_link(args: argparse.Namespace) -> None:
    now = utc_now()
    with database_proxy.atomic():
        for url in args.link:
            if args.remove:
                remove_offer_link(args.name, url)
            else:
                add_offer_link(args.name, url, now=now, step=args.step)
    _print_offer(get_offer(offer_id_for(args.name, now=now, create=False)), args.json)


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
