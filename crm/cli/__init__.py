"""``smallyes-cli`` (also ``python -m crm``): every job the app does, headless.

Each area of the domain registers its commands from its own module below ``crm.cli``.
A user error prints one ``error:`` line on stderr and exits 1; ``--json`` puts machine-
readable output, and nothing else, on stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import re
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from peewee import DatabaseError

from crm.changes import collecting
from crm.errors import SmallyesError
from crm.store.db import close_database, open_database
from crm.store.paths import resolve_db_path
from crm.store.problems import known_storage_problem

log = logging.getLogger(__name__)

COMMAND_MODULES = (
    "crm.cli.leads",
    "crm.cli.imports",
    "crm.cli.funnel",
    "crm.cli.safety",
    "crm.cli.asks",
    "crm.cli.tag_rules",
    "crm.cli.segments",
    "crm.cli.bulk",
    "crm.cli.campaigns",
)
# The module that registers each command: running one command imports its own module
# alone, not every other area's domain code (a few hundred milliseconds of a start-up a
# user waits for). ``tests/crm/cli/test_cli_commands.py`` checks it against the modules.
COMMANDS = {
    **dict.fromkeys(
        (
            "add",
            "delete",
            "demo",
            "dnc",
            "leads",
            "log",
            "note",
            "set-status",
            "show",
            "tag",
            "untag",
        ),
        "crm.cli.leads",
    ),
    **dict.fromkeys(("import", "imports", "interest", "undo-import"), "crm.cli.imports"),
    **dict.fromkeys(("chart", "funnel", "report"), "crm.cli.funnel"),
    **dict.fromkeys(
        ("backup", "backups", "check", "export", "export-lead", "forget", "restore"),
        "crm.cli.safety",
    ),
    **dict.fromkeys(
        (
            "ask",
            "asks",
            "delete-ask",
            "ladder",
            "offer",
            "offers",
            "outcome",
            "pacing",
            "snooze",
            "step",
            "suggest",
        ),
        "crm.cli.asks",
    ),
    "tag-rule": "crm.cli.tag_rules",
    "segment": "crm.cli.segments",
    **dict.fromkeys(("bulk", "changes", "undo-change"), "crm.cli.bulk"),
    **dict.fromkeys(("campaign", "campaigns", "undo-campaign"), "crm.cli.campaigns"),
}


def one_line(text: str) -> str:
    """``text`` with control characters escaped: a value echoed in an error message (an
    address with a newline, a name with a terminal escape) keeps it to one plain line."""
    return "".join(
        repr(ch)[1:-1] if unicodedata.category(ch) == "Cc" and ch != "\t" else ch for ch in text
    )


# C0 and C1 control characters, except TAB and LF: the ones a terminal acts on.
_TERMINAL_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class EscapingStream:
    """stdout or stderr with control characters written as ``\\u001b``: names, notes and
    cells come from imported files and sign-up forms, and an ESC or CR in one must not
    retitle, recolour or overwrite the owner's terminal. JSON stays valid (JSON escapes
    C0 itself; a C1 character becomes the same escape JSON uses)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(
            _TERMINAL_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def print_error(message: str) -> None:
    print(f"error: {one_line(message)}", file=sys.stderr)


class CliParser(argparse.ArgumentParser):
    """argparse, but usage mistakes are one ``error:`` line and exit 1 like other errors."""

    # argparse declares error() as NoReturn; this one exits too, through self.exit.
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(1, f"error: {one_line(message)} (see '{self.prog} --help').\n")


def _command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names, or None for ``--help``, a mistake or no command."""
    at = 0
    while at < len(argv):
        token = argv[at]
        if token == "--db":
            at += 2
        elif token.startswith("--db="):
            at += 1
        elif token.startswith("-"):
            return None  # --help, or an option the full parser will explain
        else:
            return token
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; given ``argv`` naming a known command, with that command's module alone
    (its usage and errors are the same), else with every command for help and mistakes."""
    command = _command_in(argv) if argv is not None else None
    modules = (COMMANDS[command],) if command in COMMANDS else COMMAND_MODULES
    parser = CliParser(
        prog="smallyes-cli",
        description="Smallyes: a desktop CRM that turns small yeses into sales.",
    )
    parser.add_argument("--db", metavar="PATH", help="database file (default: user data folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CliParser)
    sub.required = True
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def record_id(noun: str) -> Callable[[str], int]:
    """An argparse type for an id (of an ask, an import): a number SQLite can hold."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not an {noun} number") from None
        # A larger number names nothing, and SQLite cannot even be asked about it.
        if not -(2**63) <= value < 2**63:
            raise argparse.ArgumentTypeError(f"there is no {noun} {text}: check the number")
        return value

    return parse


def _daily_backup_after_write(db: Any, args: argparse.Namespace) -> None:
    """The day's first write makes the day's backup (see ``automatic_backup``). Only a
    command that may write gets here, and it passed ``quick_check`` when the database was
    opened (see READ_COMMANDS), so a damaged file never pushes a good copy out of the
    rotation. The command's own work is done either way: a backup that fails is a warning."""
    from crm.safety.backup import automatic_backup, daily_backups_on
    from crm.store.paths import database_path
    from crm.timefmt import utc_now

    if getattr(args, "dry_run", False):
        return
    now = utc_now()
    if daily_backups_on(database_path(db), now.date()):
        return  # the common case, without reading the whole file
    try:
        automatic_backup(now=now, db=db)
    except SmallyesError as exc:
        print(f"warning: {one_line(exc.user_message)}", file=sys.stderr)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


# Commands that only read the database. Every other command may write, so it first runs
# SQLite's quick_check and refuses a damaged file (0.85 s of reading on a 143 MB one);
# these open it without that check. ``backup`` checks the copy it made instead.
READ_COMMANDS = frozenset(
    {"leads", "show", "log", "asks", "suggest", "offers", "funnel", "chart", "report",
     "imports", "backups", "export", "export-lead", "backup", "changes", "campaigns"}
)  # fmt: skip

# Arguments that name files: the file system takes any bytes there, so they are not text.
PATH_ARGUMENTS = frozenset({"db", "file", "output", "errors", "emails"})


def undecodable_value(args: argparse.Namespace) -> str | None:
    """The first text argument that holds bytes that are not UTF-8, shown escaped, or None.

    Python hands such bytes over as lone surrogates, which SQLite cannot store or search.
    """
    for name, value in vars(args).items():
        if name in PATH_ARGUMENTS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raw = item.encode("utf-8", "surrogateescape")
                return raw.decode("utf-8", "backslashreplace")
    return None


def stopped_by_ctrl_c(exc: BaseException) -> bool:
    """Ctrl+C inside a progress handler stops SQLite mid-statement: "interrupted", often
    followed by a failed rollback of the transaction SQLite already rolled back."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (DatabaseError, sqlite3.DatabaseError)) and str(seen) == "interrupted":
            return True
        seen = seen.__context__
    return False


# sysexits' EX_SOFTWARE: a bug, which a script can tell from a mistake of its own (1).
BUG_EXIT = 70


def report_bug(exc: BaseException, log_path: Path | None) -> int:
    """A bug: its traceback goes to the log, and one line says so (never the traceback)."""
    log.error("unexpected error in smallyes-cli", exc_info=exc)
    where = f"the details are in {log_path}" if log_path else f"{type(exc).__name__}: {exc}"
    print_error(
        f"Smallyes hit an unexpected problem, a bug ({where}): please report it with the "
        "command you ran."
    )
    return BUG_EXIT


def _storage_problem_or_bug(exc: BaseException, db: str | None, log_path: Path | None) -> int:
    """A failure the disk or the file explains (full, read-only, damaged) is said in its
    own sentence and exits 1; anything else is a bug."""
    known = known_storage_problem(exc, resolve_db_path(db))
    if known is None:
        return report_bug(exc, log_path)
    log.warning("storage problem: %s", exc)
    print_error(known.user_message)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if args.db is not None and not args.db.strip():
        # `--db "$DB"` with DB unset must not quietly write to the owner's own database.
        print_error(
            "--db is empty: give the database file's path, or leave --db out to use the "
            "default one."
        )
        return 1
    db_path = resolve_db_path(args.db)
    if db_path.is_dir():
        print_error(f"{db_path} is a folder, not a database file: give a file path.")
        return 1
    if db_path.exists() and not db_path.is_file():
        # A device or a pipe: reading it hangs or fails, and restore would replace it.
        print_error(
            f"{db_path} is not a regular file (a device, pipe or socket): give the path of a "
            "database file."
        )
        return 1
    garbled = undecodable_value(args)
    if garbled is not None:
        print_error(
            f"'{garbled}' is not valid text (the terminal sent bytes that are not UTF-8): "
            "switch it to UTF-8 and type the value again."
        )
        return 1
    from crm.logsetup import configure_logging

    log_path = configure_logging(logging.WARNING)
    if log_path is None:
        # No log file (its folder is not writable): without a handler, logging's last
        # resort would print warnings on stderr beside the one error line.
        logging.getLogger().addHandler(logging.NullHandler())
    db = None
    streams = sys.stdout, sys.stderr
    if sys.stdout is not None:
        sys.stdout = EscapingStream(sys.stdout)
    if sys.stderr is not None:
        sys.stderr = EscapingStream(sys.stderr)
    try:
        # Commands that check or replace the file itself (check, restore) open it themselves.
        if getattr(args, "opens_db", True):
            db = open_database(args.db, check=args.command not in READ_COMMANDS)
        before = db.connection().total_changes if db is not None else 0
        # One operation: what it noted reaches an open window (refused, it wrote nothing).
        with collecting():
            result = args.handler(args)
        if (
            db is not None
            and args.command not in READ_COMMANDS
            and db.connection().total_changes > before
        ):
            _daily_backup_after_write(db, args)
        return int(result or 0)
    except SmallyesError as exc:
        print_error(exc.user_message)
        return 1
    except BrokenPipeError:
        # The reader went away (`| head`): the work is done, only the printing stops.
        # Later flushes go nowhere instead of raising again at exit.
        if sys.stdout is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (DatabaseError, sqlite3.DatabaseError, OSError) as exc:
        if stopped_by_ctrl_c(exc):
            print_error("interrupted; nothing half-done was kept.")
            return 130
        return _storage_problem_or_bug(exc, args.db, log_path)
    except KeyboardInterrupt:
        print_error("interrupted; nothing half-done was kept.")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last boundary: logged with its traceback
        # A library's own error after a failed write (a full disk) is the disk's problem.
        return _storage_problem_or_bug(exc, args.db, log_path)
    finally:
        if db is not None:
            close_database(db)
        sys.stdout, sys.stderr = streams
