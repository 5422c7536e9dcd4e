"""Lead-book commands: add, leads, show, log, note, tag, untag, set-status, dnc, delete, demo."""

from __future__ import annotations

import argparse

from crm.book.leads import (
    LeadRow,
    delete_lead,
    find_lead,
    get_lead,
    list_leads,
    set_do_not_contact,
    set_status,
    untag_lead,
)
from crm.book.sales import lead_revenue, record_sale, revenue_json, revenue_words
from crm.book.tag_rules import tag_lead_by_hand
from crm.book.timeline import add_note, get_timeline, record_commitment
from crm.cli import add_json_flag, print_json
from crm.cli.filters import add_filter_args, filter_from_args
from crm.errors import ForgottenAddressError, ValidationError
from crm.importing.activity.store import answers_of_lead, engagement, lead_topics
from crm.money import parse_amount
from crm.safety.suppression import add_unless_forgotten
from crm.timefmt import iso, parse_user_datetime, utc_now


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("add", help="add a lead by hand")
    p.add_argument("email")
    p.add_argument("--first", default="")
    p.add_argument("--last", default="")
    p.add_argument("--company", default="")
    p.add_argument("--phone", default="")
    p.add_argument("--tag", action="append", default=[], metavar="TAG")
    p.add_argument(
        "--again",
        action="store_true",
        help="add a person who was forgotten at their request, because they asked to come back",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_add)

    p = sub.add_parser("leads", help="list leads, with search and filters")
    add_filter_args(p)
    add_json_flag(p)
    p.set_defaults(handler=cmd_leads)

    p = sub.add_parser("show", help="one lead and its timeline")
    p.add_argument("email")
    add_json_flag(p)
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("log", help="log a yes (a commitment) on a lead's timeline")
    p.add_argument("email")
    p.add_argument("step", help="a ladder key: clicked, subscribed, downloaded, ...")
    p.add_argument("--offer", metavar="NAME")
    p.add_argument("--at", metavar="ISO-DATETIME")
    p.add_argument("--note", default="")
    p.add_argument(
        "--amount", metavar="AMOUNT", help="a purchase's amount, like 49.00 (needs --currency)"
    )
    p.add_argument("--currency", metavar="CODE", help="its ISO 4217 code, like EUR")
    add_json_flag(p)
    p.set_defaults(handler=cmd_log)

    p = sub.add_parser("note", help="add a note to a lead's timeline")
    p.add_argument("email")
    p.add_argument("text")
    add_json_flag(p)
    p.set_defaults(handler=cmd_note)

    for name, handler, text in (("tag", cmd_tag, "add tags"), ("untag", cmd_untag, "remove tags")):
        p = sub.add_parser(name, help=f"{text} to a lead" if name == "tag" else f"{text}")
        p.add_argument("email")
        p.add_argument("tags", nargs="+", metavar="TAG")
        add_json_flag(p)
        p.set_defaults(handler=handler)

    p = sub.add_parser("set-status", help="change a lead's status")
    p.add_argument("email")
    p.add_argument("status", help="subscribed, pending, none, unsubscribed, bounced, complained")
    add_json_flag(p)
    p.set_defaults(handler=cmd_set_status)

    p = sub.add_parser("dnc", help="set or clear the do-not-contact flag")
    p.add_argument("email")
    p.add_argument("flag", choices=["on", "off"])
    add_json_flag(p)
    p.set_defaults(handler=cmd_dnc)

    p = sub.add_parser("delete", help="delete a lead and its timeline")
    p.add_argument("email")
    add_json_flag(p)
    p.set_defaults(handler=cmd_delete)

    p = sub.add_parser("demo", help="fill the database with the demo data set")
    p.add_argument("--leads", type=int, default=400, metavar="N")
    p.add_argument("--seed", type=int, default=7)
    add_json_flag(p)
    p.set_defaults(handler=cmd_demo)


def _print_lead_line(lead: LeadRow) -> None:
    tags = ", ".join(lead.tags)
    print(
        f"{lead.email:<36} {lead.name[:24]:<24} {lead.status:<12} {(lead.step or '-'):<11} {tags}"
    )


def cmd_add(args: argparse.Namespace) -> None:
    try:
        lead = _add(args)
    except ForgottenAddressError as exc:
        raise ValidationError(
            f"{exc.email} was forgotten at their request: add --again only if they asked to "
            "be added back."
        ) from None
    if args.json:
        print_json(lead.to_json())
    else:
        print(f"added {lead.email}")


def _add(args: argparse.Namespace) -> LeadRow:
    return add_unless_forgotten(
        args.email,
        again=args.again,
        first_name=args.first,
        last_name=args.last,
        company=args.company,
        phone=args.phone,
        tags=args.tag,
        now=utc_now(),
    )


def cmd_leads(args: argparse.Namespace) -> None:
    rows = list_leads(filter_from_args(args).query())
    if args.json:
        print_json([r.to_json() for r in rows])
        return
    for lead in rows:
        _print_lead_line(lead)
    print(f"{len(rows)} lead{'s' if len(rows) != 1 else ''}")


def cmd_show(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    timeline = get_timeline(lead.id)
    engaged = engagement(lead.id, now=utc_now())
    topics = lead_topics(lead.id)
    answers = answers_of_lead(lead.id)
    revenue = lead_revenue(lead.id)
    if args.json:
        items = []
        for item in timeline:
            data = item.to_json()
            given = answers.get(item.id) if item.kind == "commitment" else None
            if given:
                data.update(
                    question=given[0].question,
                    answer=given[0].answer,
                    answers=[{"question": a.question, "answer": a.answer} for a in given],
                )
            items.append(data)
        lead_json = lead.to_json() | {
            "engagement": engaged.to_json(),
            "topics": list(topics),
            "revenue": revenue_json(revenue),
        }
        print_json({"lead": lead_json, "timeline": items})
        return
    _print_lead_line(lead)
    for field in ("company", "phone", "source"):
        if getattr(lead, field):
            print(f"  {field}: {getattr(lead, field)}")
    if lead.other_emails:
        print(f"  other emails: {', '.join(lead.other_emails)}")
    if lead.do_not_contact:
        print("  do not contact")
    if engaged.last_opened_at or engaged.last_clicked_at:
        print(
            f"  engagement: {engaged.opens_90d} opens and {engaged.clicks_90d} clicks in 90 "
            f"days; last opened {iso(engaged.last_opened_at) or '-'}, last clicked "
            f"{iso(engaged.last_clicked_at) or '-'}"
        )
    if topics:
        print(f"  topics: {', '.join(topics)}")
    if revenue:
        print(f"  revenue: {revenue_words(revenue)}")
    for item in timeline:
        print(f"  {iso(item.at)}  {item.kind:<10} {item.summary}")
        for answer in answers.get(item.id, ()) if item.kind == "commitment" else ():
            print(f"      {answer.question}: {answer.answer}")


def cmd_log(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    now = utc_now()
    at = parse_user_datetime(args.at) if args.at is not None else now
    if args.amount is not None or args.currency is not None:
        if args.step != "purchased" or args.amount is None or args.currency is None:
            raise ValidationError(
                "An amount goes with a purchase: log 'purchased' with both --amount and --currency."
            )
        commitment_id = record_sale(
            lead.id,
            parse_amount(args.amount),
            args.currency,
            at=at,
            now=now,
            product=args.offer or "",
            note=args.note,
        )
    else:
        commitment_id = record_commitment(
            lead.id, args.step, at=at, now=now, offer=args.offer, note=args.note
        )
    if args.json:
        print_json({"commitment_id": commitment_id})
    else:
        print(f"logged {args.step} for {lead.email}")


def _changed(args: argparse.Namespace, lead_id: int) -> None:
    """A command that changes a lead is silent, or with --json prints the lead as it is now
    (the shape ``add --json`` prints)."""
    if args.json:
        print_json(get_lead(lead_id).to_json())


def cmd_note(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    add_note(lead.id, args.text, at=utc_now())
    _changed(args, lead.id)


def cmd_tag(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    tag_lead_by_hand(lead.id, args.tags, now=utc_now())
    _changed(args, lead.id)


def cmd_untag(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    first_spelling: dict[str, str] = {}
    for tag in args.tags:
        first_spelling.setdefault(tag.strip().casefold(), tag.strip())
    wanted = list(first_spelling.values())
    removed = {t.casefold() for t in untag_lead(lead.id, wanted)}
    missing = [t for t in wanted if t.casefold() not in removed]
    if args.json:
        data = get_lead(lead.id).to_json()
        data |= {"changed": bool(removed), "not_tagged": missing}
        print_json(data)
        return
    if not missing:
        return  # a change is silent, as for the other commands

    def quoted(tags: list[str]) -> str:
        return ", ".join(f'"{t}"' for t in tags)

    if removed:
        kept = [t for t in wanted if t.casefold() in removed]
        tags = "tag" if len(missing) == 1 else "tags"
        print(f"{lead.email} has no {tags} {quoted(missing)}; removed {quoted(kept)}")
    elif len(missing) == 1:
        print(f"{lead.email} has no tag {quoted(missing)}: nothing changed")
    else:
        print(f"{lead.email} has none of the tags {quoted(missing)}: nothing changed")


def cmd_set_status(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    set_status(lead.id, args.status, now=utc_now())
    _changed(args, lead.id)


def cmd_dnc(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    set_do_not_contact(lead.id, args.flag == "on", now=utc_now())
    _changed(args, lead.id)


def cmd_delete(args: argparse.Namespace) -> None:
    deleted = delete_lead(find_lead(args.email).id)
    if args.json:
        print_json({"deleted": deleted.email})
    else:
        print(f"deleted {deleted.email}")


def cmd_demo(args: argparse.Namespace) -> None:
    from crm.demo import load_demo

    report = load_demo(leads=args.leads, seed=args.seed, now=utc_now())
    if args.json:
        print_json(report)
    else:
        print(
            f"demo data: {report['leads']} leads, {report['commitments']} yeses, "
            f"{report['asks']} asks"
        )
