"""Data-safety commands: backup, backups, restore, check, export, export-lead, forget."""

from __future__ import annotations

import argparse
from pathlib import Path

from crm.book.exporting import export_leads_csv, write_lead_data
from crm.book.leads import LeadQuery, LeadRow, find_lead
from crm.cli import add_json_flag, print_json
from crm.errors import NotFoundError, StorageError, ValidationError
from crm.safety.backup import backup_now, inspect_database_file, list_backups, restore
from crm.safety.damage import damaged_error
from crm.safety.forget import (
    ReapplyReport,
    finish_forget,
    forget_lead,
    purge_backups,
    reapply_suppression,
)
from crm.safety.suppression import is_forgotten, unreadable_warning
from crm.store.db import close_database, open_database, refuse_other_program_database
from crm.store.health import is_busy, quick_check
from crm.store.lock import ensure_not_running
from crm.store.models import database_proxy
from crm.store.paths import resolve_db_path
from crm.timefmt import iso, utc_now


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="copy the database (to backups/ unless -o is given)")
    p.add_argument("-o", "--output", metavar="FILE", help="where to write the copy")
    add_json_flag(p)
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("backups", help="list the backups kept beside the database")
    add_json_flag(p)
    p.set_defaults(handler=cmd_backups)

    p = sub.add_parser("restore", help="replace the database with a backup (keeps a copy)")
    p.add_argument("file", metavar="FILE")
    add_json_flag(p)
    p.set_defaults(handler=cmd_restore, opens_db=False)

    p = sub.add_parser("check", help="check the database file for damage (changes nothing)")
    add_json_flag(p)
    p.set_defaults(handler=cmd_check, opens_db=False)

    p = sub.add_parser("export", help="export leads to a CSV file (formula-safe)")
    p.add_argument("-o", "--output", metavar="FILE.csv", required=True)
    p.add_argument("--search", default="", metavar="Q")
    p.add_argument("--status")
    p.add_argument("--tag")
    p.add_argument("--step", metavar="KEY")
    p.add_argument("--source")
    p.add_argument("--excel", action="store_true", help="add the byte-order mark Excel needs")
    add_json_flag(p)
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("export-lead", help="everything stored about one person, as JSON")
    p.add_argument("email")
    p.add_argument("-o", "--output", metavar="FILE.json", required=True)
    add_json_flag(p)
    p.set_defaults(handler=cmd_export_lead)

    p = sub.add_parser("forget", help="erase one person irreversibly (needs --yes)")
    p.add_argument("email")
    p.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    p.add_argument(
        "--purge-backups",
        action="store_true",
        help="also erase them from the copies in backups/ (rewritten, or removed)",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_forget)


def _db_path() -> Path:
    return Path(database_proxy.obj.database)


def cmd_backup(args: argparse.Namespace) -> None:
    target = Path(args.output) if args.output is not None else None
    path = backup_now(target, now=utc_now())
    if args.json:
        print_json({"backup": str(path)})
    else:
        print(f"backed up to {path}")


def cmd_backups(args: argparse.Namespace) -> None:
    backups = list_backups(_db_path())
    if args.json:
        print_json(
            [
                {"file": str(b.path), "created_at": iso(b.created_at), "reason": b.reason}
                for b in backups
            ]
        )
        return
    for b in backups:
        print(f"{iso(b.created_at)}  {b.reason:<28} {b.path}")
    print(f"{len(backups)} backup{'s' if len(backups) != 1 else ''}")


def cmd_restore(args: argparse.Namespace) -> None:
    db_path = resolve_db_path(args.db)
    refuse_other_program_database(db_path)
    ensure_not_running(db_path, "restore")
    done = restore(Path(args.file), db_path, now=utc_now())
    # Open it once: a backup from an older Smallyes is migrated now, not at the next start;
    # and the people forgotten since the backup was made are forgotten again.
    db = open_database(db_path)
    try:
        again = reapply_suppression(done.kept, now=utc_now())
    finally:
        close_database(db)
    if args.json:
        kept = str(done.kept) if done.kept is not None else None
        print_json(
            {
                "database": str(db_path),
                "source": str(done.source),
                "kept": kept,
                "forgotten_again": again.forgotten_again,
            }
        )
        return
    print(f"restored {db_path} from {done.source}")
    if done.kept is not None:
        print(f"the database it replaced was kept as {done.kept}")
    _print_reapplied(again, db_path)


def _print_reapplied(again: ReapplyReport, db_path: Path) -> None:
    if again.forgotten_again:
        n = again.forgotten_again
        print(
            f"forgot again {n} {'person' if n == 1 else 'people'} forgotten at their request "
            "since that backup was made"
        )
    if again.unfinished:
        print(f"note: {again.unfinished}")
    if again.unreadable:
        print(f"note: {unreadable_warning(again.unreadable, db_path)}")


def cmd_check(args: argparse.Namespace) -> None:
    db_path = resolve_db_path(args.db)
    if not db_path.exists():
        raise StorageError(f"There is no database at {db_path}: check the path given with --db.")
    problems = quick_check(db_path)
    # A lock held by another program stops the check; it says nothing about damage.
    if is_busy(problems):
        raise StorageError(
            f"Another program holds {db_path} locked: let it finish or close it, then check "
            "again; nothing was changed."
        )
    if problems:
        raise damaged_error(db_path, problems)
    try:
        version = inspect_database_file(db_path)
    except ValidationError as exc:
        raise StorageError(exc.user_message) from None
    if args.json:
        print_json({"database": str(db_path), "ok": True, "schema_version": version})
    else:
        print(f"ok: {db_path} passed the integrity check (schema version {version})")


def cmd_export(args: argparse.Namespace) -> None:
    query = LeadQuery(
        search=args.search, status=args.status, tag=args.tag, step=args.step, source=args.source
    )
    count = export_leads_csv(Path(args.output), query, excel=args.excel)
    if args.json:
        print_json({"file": args.output, "leads": count})
        return
    print(f"exported {count} lead{'s' if count != 1 else ''} to {args.output}")


def cmd_export_lead(args: argparse.Namespace) -> None:
    lead = find_lead(args.email)
    path = write_lead_data(lead.id, Path(args.output))
    if args.json:
        print_json({"email": lead.email, "file": str(path)})
        return
    print(f"wrote everything stored about {lead.email} to {path}")


def _lead_to_forget(email: str) -> LeadRow | None:
    """The lead with this address, or None for a person already forgotten (on the list): a
    forget stopped after the erase is finished by forgetting the same address again."""
    try:
        return find_lead(email)
    except NotFoundError:
        if is_forgotten(email, _db_path()):
            return None
        raise


def cmd_forget(args: argparse.Namespace) -> None:
    # An unknown address is said first: asking to confirm it would only fail after --yes.
    lead = _lead_to_forget(args.email)
    shown = lead.email if lead is not None else args.email.strip()
    if not args.yes:
        raise ValidationError(f"Forgetting {shown} cannot be undone: add --yes to confirm.")
    if lead is not None:
        forget_lead(lead.id)
    else:
        finish_forget(args.email)
    rewritten: list[Path] = []
    removed: list[Path] = []
    held = 0
    if args.purge_backups:
        rewritten, removed = purge_backups(shown, _db_path())
    else:
        held = len(list_backups(_db_path()))
    if args.json:
        print_json(
            {
                "forgot": shown,
                "already_erased": lead is None,
                "backups_rewritten": [str(p) for p in rewritten],
                "backups_removed": [str(p) for p in removed],
                "backups_may_hold": held,
            }
        )
        return
    if lead is not None:
        print(f"forgot {shown}: their details, notes and tags are erased")
    else:
        print(f"finished forgetting {shown}: the file holds no copy of their details")
    if args.purge_backups:
        print(
            f"backups: erased from {len(rewritten)}, removed {len(removed)} that could not "
            "be rewritten"
        )
    elif held:
        print(
            f"note: the {held} backup{'s' if held != 1 else ''} in backups/ may still "
            "hold them until rotated out; use --purge-backups to erase them there too"
        )
