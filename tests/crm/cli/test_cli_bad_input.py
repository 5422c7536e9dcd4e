"""Bad input on the command line: one ``error:`` line, exit 1, the database untouched."""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from crm.cli import build_parser, main
from crm.logsetup import log_file
from crm.store.paths import backups_dir, default_db_path


def run(db_path: Path, *args: str, capsys) -> tuple[int, str, str]:
    try:
        code = main(["--db", str(db_path), *args])
    except SystemExit as exc:  # argparse's usage errors exit from inside the parser
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def dump(db_path: Path) -> list[str]:
    con = sqlite3.connect(db_path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


def assert_refused(db_path: Path, *args: str, capsys, says: str = "") -> str:
    """The command fails with one ``error:`` line naming ``says`` and changes nothing."""
    before = dump(db_path)
    code, out, err = run(db_path, *args, capsys=capsys)
    assert code == 1, (out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert says in lines[0]
    assert dump(db_path) == before
    return lines[0]


@pytest.fixture
def ada(db_path: Path, capsys) -> str:
    assert run(db_path, "add", "ada@example.com", capsys=capsys)[0] == 0
    return "ada@example.com"


@pytest.mark.parametrize(
    "args",
    [
        ("log", "ada@example.com", "subscribed", "--at", "0001-01-01"),
        ("log", "ada@example.com", "subscribed", "--at", "0001-01-01T00:00:00+14:00"),
        ("ask", "ada@example.com", "booked", "--at", "0001-01-01"),
        ("snooze", "ada@example.com", "9999-12-31"),
        ("suggest", "--now", "9999-12-31"),
        ("suggest", "ada@example.com", "--now", "0001-01-01"),
        ("funnel", "--since", "0001-01-01"),
        ("funnel", "--until", "9999-12-31"),
    ],
)
def test_a_date_at_the_calendar_s_edge_is_refused(db_path: Path, ada: str, args, capsys) -> None:
    assert_refused(db_path, *args, capsys=capsys, says="pick a date between 1900 and 2999")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("log", "ada@example.com", "subscribed", "--at", ""), "is not a date"),
        (("ask", "ada@example.com", "booked", "--at", ""), "is not a date"),
        (("outcome", "1", "declined", "--at", ""), "is not a date"),
        (("suggest", "--now", ""), "is not a date"),
        (("funnel", "--since", ""), "is not a date"),
        (("chart", "funnel", "-o", "{dir}/x.png", "--until", ""), "is not a date"),
        (("backup", "-o", ""), "is a folder"),
    ],
)
def test_an_empty_value_is_not_taken_as_no_value(
    db_path: Path, ada: str, args, says: str, capsys
) -> None:
    # `--at "$DAY"` with DAY unset must not quietly mean now, nor -o "" the default place.
    assert run(db_path, "ask", ada, "booked", capsys=capsys)[0] == 0
    args = [a.format(dir=db_path.parent) for a in args]
    assert_refused(db_path, *args, capsys=capsys, says=says)


def test_a_search_longer_than_sqlite_s_like_limit_still_searches(db_path: Path, capsys) -> None:
    long_name = "Ünïcode Wörks " * 3000  # 42,000 characters, over 50,000 bytes as a pattern
    assert run(db_path, "add", "long@example.com", "--company", long_name, capsys=capsys)[0] == 0
    assert run(db_path, "add", "short@example.com", capsys=capsys)[0] == 0

    code, out, err = run(db_path, "leads", "--search", long_name.upper(), capsys=capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("long@example.com") and out.endswith("1 lead\n")

    code, out, err = run(
        db_path,
        "export",
        "-o",
        str(db_path.parent / "x.csv"),
        "--search",
        "ü" * 30_000,
        capsys=capsys,
    )
    assert (code, err) == (0, "") and "exported 0 leads" in out


@pytest.mark.parametrize(
    "args",
    [
        ("outcome", "99999999999999999999", "accepted"),
        ("delete-ask", "99999999999999999999"),
        ("undo-import", "-99999999999999999999"),
    ],
)
def test_an_id_too_large_for_sqlite_names_nothing(db_path: Path, ada: str, args, capsys) -> None:
    assert_refused(db_path, *args, capsys=capsys, says="check the number")


@pytest.mark.parametrize(
    "args",
    [
        ("export", "-o", "{db}"),
        ("export-lead", "ada@example.com", "-o", "{db}"),
        ("export", "-o", "{db}-wal"),
        ("backup", "-o", "{db}-wal"),
        ("backup", "-o", "{db}.lock"),
        ("import", "{csv}", "--errors", "{db}"),
    ],
)
def test_nothing_is_written_over_the_database_or_its_journal(
    db_path: Path, ada: str, args, capsys
) -> None:
    csv = db_path.parent / "people.csv"
    csv.write_text("email\nbob@example.com\n", encoding="utf-8")
    args = [a.format(db=db_path, csv=csv) for a in args]
    before = db_path.read_bytes()
    assert_refused(db_path, *args, capsys=capsys, says="belong")
    assert db_path.read_bytes() == before


def test_import_errors_file_that_cannot_be_written_is_refused_before_importing(
    db_path: Path, capsys
) -> None:
    source = db_path.parent / "people.csv"
    source.write_text("email\nbob@example.com\nnot-an-address\n", encoding="utf-8")
    folder = db_path.parent / "a folder"
    folder.mkdir()

    assert_refused(
        db_path,
        "import",
        str(source),
        "--errors",
        str(folder),
        capsys=capsys,
        says="nothing was imported",
    )
    assert_refused(
        db_path,
        "import",
        str(source),
        "--errors",
        str(source),
        capsys=capsys,
        says="is the file being imported",
    )
    assert source.read_text(encoding="utf-8").startswith("email\nbob@example.com")

    errors = db_path.parent / "rejected.csv"
    code, _, _ = run(db_path, "import", str(source), "--errors", str(errors), capsys=capsys)
    assert code == 0 and "not-an-address" in errors.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    "args", [("step", "nope", "--subject", "Hi"), ("step", "nope", "--body", "Hello")]
)
def test_step_template_of_an_unknown_step_is_refused(db_path: Path, args, capsys) -> None:
    assert_refused(db_path, *args, capsys=capsys, says="is not a step of the ladder")


@pytest.mark.parametrize(
    "args",
    [
        ("step", "booked", "--label", "Call booked", "--subject", ""),
        ("step", "booked", "--major", "off", "--body", "Hi {unknown}"),
    ],
)
def test_step_changes_all_or_none(db_path: Path, args, capsys) -> None:
    assert_refused(db_path, *args, capsys=capsys)


@pytest.mark.parametrize("outcome", ["accepted", "declined", "no_response"])
def test_an_answer_dated_in_the_future_is_refused(
    db_path: Path, ada: str, outcome: str, capsys
) -> None:
    assert run(db_path, "ask", ada, "booked", capsys=capsys)[0] == 0
    assert_refused(
        db_path,
        "outcome",
        "1",
        outcome,
        "--at",
        "2999-01-01",
        capsys=capsys,
        says="cannot be dated in the future",
    )


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity"])
def test_pacing_refuses_an_infinite_whole_number(db_path: Path, value: str, capsys) -> None:
    assert_refused(db_path, "pacing", f"cooldown_days={value}", capsys=capsys, says="a number")


def test_pacing_reset_with_changes_is_refused(db_path: Path, capsys) -> None:
    assert run(db_path, "pacing", "cooldown_days=10", capsys=capsys)[0] == 0
    assert_refused(db_path, "pacing", "--reset", "cooldown_days=12", capsys=capsys, says="not both")


def test_forget_an_unknown_address_says_so_before_asking_for_yes(db_path: Path, capsys) -> None:
    assert_refused(db_path, "forget", "nobody@example.com", capsys=capsys, says="No lead has")
    assert_refused(db_path, "forget", "", capsys=capsys, says="No lead has")


@pytest.mark.parametrize("path", ["", "   "])
def test_an_empty_db_path_is_refused_not_taken_as_the_default(
    path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["--db", path, "add", "ada@example.com"])
    _, err = capsys.readouterr()
    assert code == 1 and err.startswith("error: --db is empty") and err.count("\n") == 1
    assert not default_db_path().exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [("check",), ("restore", "{backup}")])
def test_a_folder_as_the_database_is_said_to_be_a_folder(
    tmp_path: Path, db_path: Path, args, capsys
) -> None:
    folder = tmp_path / "a folder"
    folder.mkdir()
    code = main(["--db", str(folder), *(a.format(backup=db_path) for a in args)])
    _, err = capsys.readouterr()
    assert (
        code == 1
        and err == f"error: {folder} is a folder, not a database file: give a file path.\n"
    )


def test_check_of_a_locked_database_says_locked_not_damaged(db_path: Path, capsys) -> None:
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE schema_version SET version = version")
        code, _, err = run(db_path, "check", capsys=capsys)
    finally:
        holder.close()
    assert code == 1 and "locked" in err and "damaged" not in err and err.count("\n") == 1
    assert run(db_path, "check", capsys=capsys)[0] == 0


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("add", "ada\n@example.com"), "'ada\\n@example.com'"),
        (("show", "\x1b[31mred@example.com"), "'\\x1b[31mred@example.com'"),
        (("set-status", "ada@example.com", "sub\rscribed"), "'sub\\rscribed'"),
        (("dnc", "ada@example.com", "o\nn"), "'o\\nn'"),
    ],
)
def test_a_value_with_control_characters_keeps_the_error_on_one_line(
    db_path: Path, ada: str, args, shown: str, capsys
) -> None:
    line = assert_refused(db_path, *args, capsys=capsys)
    assert shown in line


def test_without_a_log_folder_a_damaged_file_still_gets_one_error_line(tmp_path: Path) -> None:
    # A fresh process: pytest's own log handlers would otherwise catch the warnings.
    blocker = tmp_path / "state"
    blocker.write_text("a file where the log folder should be")
    damaged = tmp_path / "damaged.db"
    damaged.write_text("not a database")
    env = {**os.environ, "XDG_STATE_HOME": str(blocker), "XDG_DATA_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "crm", "--db", str(damaged), "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).parents[3],
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1, proc.stderr


def test_a_bug_is_one_error_line_and_a_logged_traceback(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import crm.cli.leads as leads

    def broken(args) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(leads, "cmd_leads", broken)
    code, out, err = run(db_path, "leads", capsys=capsys)
    assert (code, out) == (70, "")
    assert (
        err.startswith("error: Smallyes hit an unexpected problem, a bug") and err.count("\n") == 1
    )
    assert "KeyError: 'a bug'" in log_file().read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "args",
    [
        ("show", "{p}"),
        ("note", "{p}", "call back on 555-0100"),
        ("tag", "{p}", "vip"),
        ("set-status", "{p}", "subscribed"),
        ("dnc", "{p}", "off"),
        ("log", "{p}", "booked"),
        ("ask", "{p}", "booked"),
        ("snooze", "{p}", "skip"),
        ("export-lead", "{p}", "-o", "{dir}/out.json"),
        ("forget", "{p}", "--yes"),
        ("delete", "{p}"),
    ],
)
def test_a_forgotten_person_s_placeholder_names_no_lead(
    db_path: Path, ada: str, args, capsys
) -> None:
    assert run(db_path, "forget", ada, "--yes", capsys=capsys)[0] == 0
    _, out, _ = run(db_path, "leads", "--status", "erased", "--json", capsys=capsys)
    placeholder = json.loads(out)[0]["email"]
    args = [a.format(p=placeholder, dir=db_path.parent) for a in args]
    assert_refused(db_path, *args, capsys=capsys, says="No lead has the email")


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, object]]:
    """Every leaf command of the parser, as ('offer add', its parser)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, f"{prefix}{name} ") or [(f"{prefix}{name}", sub)]
    return found


def test_every_command_takes_json() -> None:
    # The README promises --json everywhere: a script must not get a usage error for it.
    commands = _commands(build_parser())
    assert len(commands) > 30
    missing = [
        name
        for name, sub in commands
        if not any("--json" in a.option_strings for a in sub._actions)
    ]
    assert missing == []


def test_json_output_of_every_command_is_one_json_document(
    db_path: Path, tmp_path: Path, capsys
) -> None:
    source = tmp_path / "people.csv"
    source.write_text("email,first\nbob@example.com,Bob\n", encoding="utf-8")
    form = tmp_path / "form.csv"  # a Google Forms export
    form.write_text(
        "Timestamp,Email Address,Which topic?\n6/13/2026 10:02:49,cat@example.com,Pricing\n",
        encoding="utf-8",
    )
    listed = tmp_path / "cy.txt"
    listed.write_text("cy@example.com\n", encoding="utf-8")
    script = [
        ("add", "ada@example.com"),
        ("add", "cy@example.com"),
        ("bulk", "tag", "--all", "--tag", "promo"),
        ("bulk", "untag", "--has-tag", "promo", "--tag", "promo"),
        ("bulk", "set-status", "--all", "--status", "pending", "--dry-run"),
        ("bulk", "dnc", "--search", "ada", "--on"),
        ("bulk", "snooze", "--all", "--until", "2999-01-01"),
        ("bulk", "mark-asked", "--all", "--step", "downloaded", "--dry-run"),
        ("bulk", "delete", "--emails", str(listed)),
        ("changes",),
        ("undo-change", "5"),
        ("note", "ada@example.com", "met at the fair"),
        ("tag", "ada@example.com", "vip", "fair"),
        ("untag", "ada@example.com", "fair"),
        ("set-status", "ada@example.com", "subscribed"),
        ("dnc", "ada@example.com", "off"),
        ("log", "ada@example.com", "downloaded", "--offer", "Guide"),
        ("ask", "ada@example.com", "answered"),
        ("outcome", "1", "declined"),
        ("ask", "ada@example.com", "replied"),
        ("delete-ask", "2"),
        ("asks",),
        ("snooze", "ada@example.com", "skip"),
        ("suggest",),
        ("suggest", "ada@example.com"),
        ("ladder",),
        ("step", "booked", "--label", "Call booked"),
        ("step", "add", "webinar", "--label", "Webinar", "--level", "3"),
        ("step", "remove", "webinar"),
        ("offers",),
        ("offer", "add", "Checklist"),
        ("offer", "rename", "Checklist", "SEO checklist"),
        ("offer", "topics", "SEO checklist", "seo"),
        ("offer", "link", "SEO checklist", "--link", "example.com/seo"),
        ("offer", "retire", "SEO checklist"),
        ("pacing", "cooldown_days=8"),
        ("tag-rule", "add", "VIP", "--step", "replied"),
        ("tag-rule", "list"),
        ("tag-rule", "remove", "vip"),
        ("segment", "save", "Subscribers", "--status", "subscribed"),
        ("segment", "list"),
        ("segment", "show", "Subscribers"),
        ("segment", "delete", "Subscribers"),
        ("funnel",),
        ("chart", "funnel", "-o", str(tmp_path / "funnel.svg")),
        ("report", "-o", str(tmp_path / "report.pdf")),
        ("import", str(source)),
        ("import", str(form)),
        # Bob came in without consent: only an invitation to subscribe may go to him
        ("campaign", "plan", "--step", "subscribed"),
        (
            "campaign",
            "create",
            "--step",
            "subscribed",
            "--platform",
            "generic",
            "-o",
            str(tmp_path / "audience.csv"),
        ),
        ("campaigns",),
        ("undo-campaign", "1"),
        ("interest", "add", "Which topic?"),
        ("interest", "list"),
        ("interest", "remove", "Which topic?"),
        ("imports",),
        ("undo-import", "6"),  # the bulk changes above were batches 1 to 5
        ("backup", "-o", str(tmp_path / "copy.db")),
        ("backups",),
        ("export", "-o", str(tmp_path / "leads.csv")),
        ("export-lead", "ada@example.com", "-o", str(tmp_path / "ada.json")),
        ("check",),
        ("restore", str(tmp_path / "copy.db")),
        ("leads",),
        ("show", "ada@example.com"),
        ("forget", "ada@example.com", "--yes"),
        ("add", "bea@example.com"),
        ("delete", "bea@example.com"),
    ]
    done = set()
    for args in script:
        code, out, err = run(db_path, *args, "--json", capsys=capsys)
        assert (code, err) == (0, ""), (args, err)
        json.loads(out)  # the whole of stdout is one JSON document
        done.add(
            " ".join(args[:2])
            if args[0] in ("offer", "interest", "tag-rule", "segment", "bulk", "campaign")
            else args[0]
        )
    code, out, _ = run(tmp_path / "demo.db", "demo", "--leads", "3", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["leads"] == 3
    done.add("demo")
    assert {name for name, _ in _commands(build_parser())} - done == set()


@pytest.mark.parametrize(
    "args",
    [
        ("add", "caf\udce9@example.com"),  # how Python passes on a Latin-1 byte in argv
        ("add", "bob@example.com", "--first", "Ren\udce9"),
        ("tag", "ada@example.com", "ok", "caf\udce9"),
        ("leads", "--search", "\udce9"),
    ],
)
def test_an_argument_that_is_not_utf8_is_refused(db_path: Path, ada: str, args, capsys) -> None:
    line = assert_refused(db_path, *args, capsys=capsys, says="is not valid text")
    assert "\\xe9" in line


def test_control_characters_in_stored_text_never_reach_the_terminal(db_path: Path, capsys) -> None:
    # A name from a sign-up form: retitles the terminal, then starts a C1 colour sequence.
    name = "\x1b]0;PWNED\x07Eve\x9b31m"
    code, _, _ = run(
        db_path,
        "add",
        "eve@example.com",
        "--first",
        name,
        "--company",
        "Acme\rX",
        capsys=capsys,
    )
    assert code == 0
    for args in (("leads",), ("show", "eve@example.com"), ("leads", "--json")):
        code, out, err = run(db_path, *args, capsys=capsys)
        assert (code, err) == (0, "")
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", out), (args, out)
    assert "\\u001b]0;PWNED\\u0007Eve\\u009b31m" in run(db_path, "leads", capsys=capsys)[1]
    shown = json.loads(run(db_path, "show", "eve@example.com", "--json", capsys=capsys)[1])
    assert shown["lead"]["first_name"] == name and shown["lead"]["company"] == "Acme\rX"


def test_restore_over_a_locked_database_leaves_no_copy_behind(
    db_path: Path, tmp_path: Path, capsys
) -> None:
    copy = tmp_path / "copy.db"
    assert run(db_path, "backup", "-o", str(copy), capsys=capsys)[0] == 0
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE schema_version SET version = version")
        code, _, err = run(db_path, "restore", str(copy), capsys=capsys)
    finally:
        holder.close()
    assert code == 1 and "Another program is using the database" in err
    assert err.count("\n") == 1
    assert not backups_dir(db_path).exists() or list(backups_dir(db_path).iterdir()) == []


@pytest.mark.parametrize("args", [("leads",), ("check",), ("restore", "{backup}")])
def test_a_pipe_as_the_database_is_refused_and_left_alone(
    tmp_path: Path, db_path: Path, args, capsys
) -> None:
    pipe = tmp_path / "pipe.db"
    os.mkfifo(pipe)
    code = main(["--db", str(pipe), *(a.format(backup=db_path) for a in args)])
    _, err = capsys.readouterr()
    assert code == 1 and err.startswith(f"error: {pipe} is not a regular file")
    assert err.count("\n") == 1
    assert stat.S_ISFIFO(pipe.stat().st_mode)


@pytest.mark.parametrize(
    "args",
    [
        ("export", "-o", "{pipe}"),
        ("export-lead", "ada@example.com", "-o", "{pipe}"),
        ("backup", "-o", "{pipe}"),
    ],
)
def test_an_output_that_is_a_pipe_or_device_is_not_replaced(
    db_path: Path, tmp_path: Path, ada: str, args, capsys
) -> None:
    # As root, `-o /dev/null` or `-o /dev/stdout` renamed the finished file over the device.
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    assert_refused(
        db_path, *(a.format(pipe=pipe) for a in args), capsys=capsys, says="not a regular file"
    )
    assert stat.S_ISFIFO(pipe.stat().st_mode)


@pytest.mark.parametrize(
    "args", [("leads",), ("add", "ada@example.com"), ("backup",), ("restore", "{backup}")]
)
def test_another_program_s_sqlite_file_is_left_alone(
    tmp_path: Path, db_path: Path, args, capsys
) -> None:
    other = tmp_path / "places.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
    con.execute("INSERT INTO moz_places (url) VALUES ('https://example.com')")
    con.commit()
    con.close()
    before = other.read_bytes()
    code = main(["--db", str(other), *(a.format(backup=db_path) for a in args)])
    _, err = capsys.readouterr()
    assert code == 1 and err.startswith(f"error: {other} is another program's database")
    assert err.count("\n") == 1
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["places.sqlite", "smallyes.db"]


def test_ctrl_c_inside_sqlite_is_an_interruption_not_a_bug(
    db_path: Path, ada: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import crm.cli.leads as leads
    from crm.store.models import database_proxy

    def long_write(args) -> None:
        # How a long import meets Ctrl+C: the signal lands in SQLite's progress handler,
        # SQLite stops the statement and rolls the transaction back itself.
        conn = database_proxy.connection()

        def ctrl_c() -> int:
            raise KeyboardInterrupt

        conn.set_progress_handler(ctrl_c, 1)
        try:
            with database_proxy.atomic("IMMEDIATE"):
                database_proxy.execute_sql("UPDATE lead SET notes = 'half-done'")
        finally:
            conn.set_progress_handler(None, 0)

    monkeypatch.setattr(leads, "cmd_leads", long_write)
    before = dump(db_path)
    code, out, err = run(db_path, "leads", capsys=capsys)
    assert (code, out, err) == (130, "", "error: interrupted; nothing half-done was kept.\n")
    assert dump(db_path) == before
