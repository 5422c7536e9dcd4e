"""The lead-book command line: JSON shapes, error lines and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crm.cli import main


def run(db_path: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_add_log_show_and_leads_json(db_path: Path, capsys) -> None:
    assert (
        run(db_path, "add", "Ada@Example.com", "--first", "Ada", "--tag", "vip", capsys=capsys)[0]
        == 0
    )
    assert (
        run(
            db_path,
            "log",
            "ada@example.com",
            "subscribed",
            "--at",
            "2026-01-05T10:00:00",
            capsys=capsys,
        )[0]
        == 0
    )
    assert (
        run(
            db_path,
            "log",
            "ada@example.com",
            "downloaded",
            "--offer",
            "SEO checklist",
            "--at",
            "2026-01-09",
            "--note",
            "from the blog",
            capsys=capsys,
        )[0]
        == 0
    )
    code, out, _ = run(db_path, "leads", "--json", capsys=capsys)
    leads = json.loads(out)
    assert code == 0 and len(leads) == 1
    lead = leads[0]
    for key in (
        "email",
        "first_name",
        "last_name",
        "company",
        "phone",
        "status",
        "do_not_contact",
        "tags",
        "level",
        "step",
        "source",
        "created_at",
        "last_commitment_at",
    ):
        assert key in lead
    assert (lead["level"], lead["step"], lead["tags"]) == (3, "downloaded", ["vip"])
    assert lead["status"] == "subscribed"
    shown = json.loads(run(db_path, "show", "ADA@example.com", "--json", capsys=capsys)[1])
    kinds = [i["kind"] for i in shown["timeline"]]
    assert kinds.count("commitment") == 2 and "status" in kinds
    downloaded = next(i for i in shown["timeline"] if i.get("step") == "downloaded")
    assert downloaded["offer"] == "SEO checklist" and downloaded["note"] == "from the blog"


@pytest.mark.parametrize(
    "args",
    [
        ("add", "not-an-email"),
        ("log", "nobody@example.com", "subscribed"),
        ("log", "ada@example.com", "teleported"),
        ("log", "ada@example.com", "subscribed", "--at", "last tuesday"),
        ("set-status", "ada@example.com", "asleep"),
        ("leads", "--step", "nowhere"),
        ("delete", "nobody@example.com"),
        ("add", "ADA@example.com"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(db_path: Path, capsys, args) -> None:
    run(db_path, "add", "ada@example.com", capsys=capsys)
    code, out, err = run(db_path, *args, capsys=capsys)
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1
    assert out == ""


def test_tag_untag_status_dnc_delete(db_path: Path, capsys) -> None:
    run(db_path, "add", "ada@example.com", capsys=capsys)
    run(db_path, "tag", "ada@example.com", "vip", "spring", capsys=capsys)
    run(db_path, "untag", "ada@example.com", "spring", capsys=capsys)
    run(db_path, "set-status", "ada@example.com", "bounced", capsys=capsys)
    run(db_path, "dnc", "ada@example.com", "on", capsys=capsys)
    lead = json.loads(run(db_path, "leads", "--json", capsys=capsys)[1])[0]
    assert (lead["tags"], lead["status"], lead["do_not_contact"]) == (["vip"], "bounced", True)
    assert json.loads(run(db_path, "leads", "--status", "bounced", "--json", capsys=capsys)[1])
    run(db_path, "delete", "ada@example.com", capsys=capsys)
    assert json.loads(run(db_path, "leads", "--json", capsys=capsys)[1]) == []


def test_module_entry_point_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "crm", "--db", str(tmp_path / "x.db"), "log", "a@b.com", "x"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("error:") and "Traceback" not in proc.stderr


def test_a_reader_that_goes_away_stops_the_printing_quietly(tmp_path: Path) -> None:
    db = str(tmp_path / "x.db")
    # About 200 KB of listing, several times a pipe's buffer: with 300 leads (30 KB) the
    # whole list could fit in the pipe before the reader hung up, and exit 0 on a busy box.
    subprocess.run(
        [sys.executable, "-m", "crm", "--db", db, "demo", "--leads", "2000"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    with subprocess.Popen(
        [sys.executable, "-m", "crm", "--db", db, "leads"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.read(10)  # `| head -c 10`: read a little, then hang up
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_an_unusable_database_path_is_an_error_line(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["--db", str(blocker / "x.db"), "leads"])
    _, err = capsys.readouterr()
    assert code == 1 and err.startswith("error: ")


def test_untag_of_a_tag_the_lead_does_not_have_says_nothing_changed(db_path: Path, capsys):
    run(db_path, "add", "ada@example.com", "--tag", "vip", "--tag", "spring", capsys=capsys)
    code, out, err = run(db_path, "untag", "ada@example.com", "podcast", capsys=capsys)
    assert (code, err) == (0, "")
    assert out == 'ada@example.com has no tag "podcast": nothing changed\n'
    code, out, _ = run(db_path, "untag", "ada@example.com", "x", "y", capsys=capsys)
    assert out == 'ada@example.com has none of the tags "x", "y": nothing changed\n'
    # Some there, some not: says which were not, and removes the rest.
    code, out, _ = run(db_path, "untag", "ada@example.com", "SPRING", "x", capsys=capsys)
    assert (code, out) == (0, 'ada@example.com has no tag "x"; removed "SPRING"\n')
    # A plain removal stays silent.
    assert run(db_path, "untag", "ada@example.com", "vip", capsys=capsys)[1:] == ("", "")

    run(db_path, "tag", "ada@example.com", "vip", capsys=capsys)
    code, out, _ = run(db_path, "untag", "ada@example.com", "podcast", "--json", capsys=capsys)
    data = json.loads(out)
    assert code == 0 and data["email"] == "ada@example.com" and data["tags"] == ["vip"]
    assert (data["changed"], data["not_tagged"]) == (False, ["podcast"])
    code, out, _ = run(db_path, "untag", "ada@example.com", "Vip", "--json", capsys=capsys)
    data = json.loads(out)
    assert (data["tags"], data["changed"], data["not_tagged"]) == ([], True, [])
