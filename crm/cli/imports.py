"""Import commands: import, imports, undo-import, interest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crm.book.interests import (
    clean_question,
    list_interest,
    mark_interest,
    stored_questions,
    unmark_interest,
)
from crm.cli import add_json_flag, print_json, record_id
from crm.errors import ValidationError
from crm.importing import ImportOptions, ImportReport, import_csv, save_rejected
from crm.importing.activity.report import ActivityReport
from crm.importing.engine import named_mapping
from crm.importing.platforms import PLATFORMS
from crm.importing.undo import list_imports, undo_import
from crm.store.models import database_proxy
from crm.store.paths import database_path, is_database_file
from crm.timefmt import iso, utc_now


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import a newsletter or contacts CSV (or ZIP)")
    p.add_argument("file")
    p.add_argument("--platform", choices=("auto", *PLATFORMS), default="auto")
    p.add_argument("--on-duplicate", choices=("skip", "fill", "overwrite"), default="fill")
    p.add_argument("--tag", default="", metavar="T", help="tag everyone in this file")
    p.add_argument("--dry-run", action="store_true", help="count what would change; write nothing")
    p.add_argument("--errors", metavar="OUT.csv", help="save the rejected rows to this CSV")
    p.add_argument(
        "--opted-in",
        action="store_true",
        help="the people in a generic file without a status column opted in to your "
        "newsletter (else they are contacts who never did)",
    )
    p.add_argument(
        "--zone",
        default="",
        metavar="ZONE",
        help="time zone of activity times written without one, like Europe/Paris "
        "(default: this computer's)",
    )
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="send the file's COLUMN to FIELD (email, first_name, tags, ...; for an activity "
        "file: email, time, url, action (or status), campaign, and for sales and bookings "
        "amount, currency, refunded, product, order, starts); repeatable",
    )
    p.add_argument(
        "--interest",
        action="append",
        default=[],
        metavar="QUESTION",
        help="a question of a form or survey file whose answers show interest: each answer "
        "becomes a topic of the lead; repeatable",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("interest", help="form questions whose answers show interest")
    isub = p.add_subparsers(dest="interest_command", metavar="ACTION", parser_class=type(p))
    isub.required = True
    q = isub.add_parser("list", help="list the questions marked as showing interest")
    add_json_flag(q)
    q.set_defaults(handler=cmd_interest_list)
    q = isub.add_parser("add", help="mark a question of imported answers as showing interest")
    q.add_argument("question")
    add_json_flag(q)
    q.set_defaults(handler=cmd_interest_add)
    q = isub.add_parser("remove", help="unmark a question: its answers are no longer topics")
    q.add_argument("question")
    add_json_flag(q)
    q.set_defaults(handler=cmd_interest_remove)

    p = sub.add_parser("imports", help="list past imports")
    add_json_flag(p)
    p.set_defaults(handler=cmd_imports)

    p = sub.add_parser("undo-import", help="undo one import by its batch id")
    p.add_argument("batch_id", type=record_id("import"), metavar="BATCH_ID")
    add_json_flag(p)
    p.set_defaults(handler=cmd_undo_import)


def _check_errors_file(out: str, source: str) -> None:
    """Refuse an --errors file before anything is imported, not after: a late failure
    would fail the command with the import already written."""
    path = Path(out).expanduser()
    if path.resolve() == Path(source).expanduser().resolve():
        raise ValidationError(
            f"{out} is the file being imported: save the rejected rows under another name."
        )
    if is_database_file(path, database_path(database_proxy.obj)):
        raise ValidationError(
            f"{out} belongs to the Smallyes database in use: save the rejected rows under "
            "another name."
        )
    existed = path.exists()
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise ValidationError(
            f"The rejected rows could not be saved to {out} ({exc.strerror}): choose another "
            "place; nothing was imported."
        ) from None
    if not existed:
        path.unlink(missing_ok=True)


def cmd_import(args: argparse.Namespace) -> None:
    if args.errors is not None:
        _check_errors_file(args.errors, args.file)
    mapping = None
    platform = args.platform
    if args.map:
        preview = named_mapping(args.file, [_field_and_column(m) for m in args.map])
        mapping = preview.mapping
        if platform == "auto":
            platform = preview.platform
    options = ImportOptions(
        platform=platform,
        on_duplicate=args.on_duplicate,
        tag=args.tag,
        dry_run=args.dry_run,
        mapping=mapping,
        opted_in=args.opted_in,
        zone=args.zone,
        interest=tuple(args.interest),
    )
    report = import_csv(args.file, options, now=utc_now())
    if args.errors is not None:
        save_rejected(report, args.errors)
    if args.json:
        print_json(report.to_json())
        return
    _print_report(report)


def _field_and_column(text: str) -> tuple[str, str]:
    field, sep, column = text.partition("=")
    if not sep or not field.strip() or not column:
        raise ValidationError(
            f"--map '{text}' names no column: write it as FIELD=COLUMN, like email=Adresse."
        )
    return field.strip(), column


def cmd_interest_list(args: argparse.Namespace) -> None:
    questions = list_interest()
    if args.json:
        print_json([q.to_json() for q in questions])
        return
    for q in questions:
        print(f"{q.question}  ({q.leads} lead{'s' if q.leads != 1 else ''} answered)")
    plural = "s" if len(questions) != 1 else ""
    print(f"{len(questions)} question{plural} marked as showing interest")


def cmd_interest_add(args: argparse.Namespace) -> None:
    question = clean_question(args.question)
    if question.casefold() not in stored_questions():
        raise ValidationError(
            f"No imported answer has the question '{question}': copy it as 'show EMAIL' lists "
            "it, or mark it when importing the form with --interest."
        )
    mark_interest([question], now=utc_now())
    if args.json:
        print_json({"question": question, "marked": True})
    else:
        print(f"marked as showing interest: {question}")


def cmd_interest_remove(args: argparse.Namespace) -> None:
    unmark_interest(args.question)
    question = clean_question(args.question)
    if args.json:
        print_json({"question": question, "marked": False})
    else:
        print(f"no longer showing interest: {question}")


def _print_report(report: ImportReport) -> None:
    if report.dry_run:
        head = "dry run, nothing written"
    elif report.batch_id is None:
        head = "nothing written"
    else:
        head = f"batch {report.batch_id}"
    # A mailbox is no CSV: it has neither an encoding nor a delimiter to name.
    read_as = f", {report.encoding}, {report.delimiter_name}-separated" if report.encoding else ""
    print(f"{report.file_name}: {report.platform_label}{read_as} ({head})")
    if isinstance(report, ActivityReport):
        _print_activity(report)
        return
    print(
        f"  {report.rows} rows: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.duplicates_in_file} duplicates in the file, "
        f"{report.rejected} rejected, {report.warnings} warnings"
    )
    if report.forgotten:
        print(f"  {report.forgotten} skipped: forgotten at their request")
    if report.tag_rule_yeses:
        print(f"  {report.tag_rule_yeses} yeses from tag rules")
    if report.statuses:
        print("  statuses: " + ", ".join(f"{k} {v}" for k, v in report.statuses.items()))
    for error in report.errors[:20]:
        print(f"  row {error.row}: {error.reason}")
    if report.rejected > 20:
        print(f"  ... {report.rejected - 20} more rejected rows (use --errors OUT.csv)")
    for text in report.warning_texts[:10]:
        print(f"  warning: {text}", file=sys.stderr)


def _print_activity(report: ActivityReport) -> None:
    sub = report.subscribers
    if sub is not None:
        print(
            f"  lists: {sub.rows} rows, {sub.created} new, {sub.updated} updated, "
            f"{sub.unchanged} unchanged, {sub.rejected} rejected"
        )
    contacts = report.created - (sub.created if sub else 0)
    print(
        f"  activity: {report.activity_rows} rows: {report.summary}; "
        f"{contacts} new contact{'' if contacts == 1 else 's'}, "
        f"{report.rejected - (sub.rejected if sub else 0)} rejected"
    )
    if report.skipped:
        print("  skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(report.skipped.items())))
    if report.tag_rule_yeses:
        print(f"  {report.tag_rule_yeses} yeses from tag rules")
    if report.status_changes:
        print(
            "  statuses changed: "
            + ", ".join(f"{k} {v}" for k, v in sorted(report.status_changes.items()))
        )
    if report.zone_words:
        print(f"  {report.zone_words}")
    if report.interest:
        print("  showing interest: " + "; ".join(report.interest))
    for error in report.errors[:20]:
        print(f"  row {error.row}: {error.reason}")
    for text in report.warning_texts[:10]:
        print(f"  warning: {text}", file=sys.stderr)


def cmd_imports(args: argparse.Namespace) -> None:
    batches = list_imports()
    if args.json:
        print_json([b.to_json() for b in batches])
        return
    for b in batches:
        state = f"undone {iso(b.undone_at)}" if b.undone_at else ""
        print(
            f"{b.id:>4}  {iso(b.started_at)}  {b.platform_label:<18} {b.file_name[:32]:<32} "
            f"{b.created:>6} new {b.updated:>6} updated {b.rejected:>5} rejected  {state}"
        )
    print(f"{len(batches)} import{'s' if len(batches) != 1 else ''}")


def cmd_undo_import(args: argparse.Namespace) -> None:
    report = undo_import(args.batch_id, now=utc_now())
    if args.json:
        print_json(report.to_json())
    else:
        print(report.message)
