"""Tag rule commands: tag-rule add, list, remove."""

from __future__ import annotations

import argparse

from crm.book.tag_rules import TagRule, add_tag_rule, list_tag_rules, remove_tag_rule
from crm.cli import add_json_flag, print_json
from crm.timefmt import utc_now


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tag-rule",
        help="say which tags mean a yes (add, list, remove)",
        description=(
            "A tag rule turns a tag into a dated yes: every lead carrying a matching tag "
            "(now, and after every import) gets a yes at the step, on the offer if given."
        ),
    )
    rsub = p.add_subparsers(dest="tag_rule_command", metavar="ACTION", parser_class=type(p))
    rsub.required = True
    q = rsub.add_parser("add", help="add a rule and apply it to the tags already stored")
    q.add_argument(
        "pattern", help="the tag, in any case; * stands for any text, like 'Downloaded: *'"
    )
    q.add_argument("--step", required=True, metavar="KEY", help="the yes it means: downloaded, ...")
    q.add_argument("--offer", metavar="NAME", help="the offer the yes is about")
    add_json_flag(q)
    q.set_defaults(handler=cmd_tag_rule_add)
    q = rsub.add_parser("list", help="list the rules")
    add_json_flag(q)
    q.set_defaults(handler=cmd_tag_rule_list)
    q = rsub.add_parser("remove", help="remove a rule (the yeses it made stay)")
    q.add_argument("pattern")
    q.add_argument(
        "--and-yeses", action="store_true", help="take the yeses it made off the timeline too"
    )
    add_json_flag(q)
    q.set_defaults(handler=cmd_tag_rule_remove)


def _describe(rule: TagRule) -> str:
    return f"'{rule.pattern}' → {rule.step}" + (f" ({rule.offer})" if rule.offer else "")


def cmd_tag_rule_add(args: argparse.Namespace) -> None:
    rule, applied = add_tag_rule(args.pattern, args.step, offer=args.offer, now=utc_now())
    if args.json:
        print_json(
            {**rule.to_json(), "yeses_made": applied.yeses, "resolved_asks": applied.resolved_asks}
        )
        return
    made = f"{applied.yeses:,} {'yes' if applied.yeses == 1 else 'yeses'}"
    text = f"Added the tag rule {_describe(rule)}: {made} from the tags already stored"
    if applied.resolved_asks:
        text += f", answering {applied.resolved_asks:,} pending ask"
        text += "s" if applied.resolved_asks != 1 else ""
    print(text + ".")


def cmd_tag_rule_list(args: argparse.Namespace) -> None:
    rules = list_tag_rules()
    if args.json:
        print_json([r.to_json() for r in rules])
        return
    if not rules:
        print("No tag rules: add one with 'smallyes-cli tag-rule add PATTERN --step KEY'.")
        return
    for rule in rules:
        print(f"{_describe(rule):<56} {rule.yeses:>7,} {'yes' if rule.yeses == 1 else 'yeses'}")


def cmd_tag_rule_remove(args: argparse.Namespace) -> None:
    removed = remove_tag_rule(args.pattern, and_yeses=args.and_yeses)
    if args.json:
        print_json(removed.to_json())
        return
    print(removed.message)
    if removed.kept and not args.and_yeses:
        print("To take them off too, add the rule again and remove it with --and-yeses.")
