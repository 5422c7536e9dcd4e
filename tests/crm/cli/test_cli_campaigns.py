"""``smallyes-cli campaign plan|create``, ``campaigns``, ``undo-campaign``: the JSON keys
scripts read, the filters the other commands take, and bad input refused in words."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from crm.asking.eligibility import REASONS
from crm.timefmt import utc_now
from tests.crm.cli.test_cli_bad_input import assert_refused, run


@pytest.fixture
def book(db_path: Path, capsys) -> Path:
    """Four subscribers (two tagged vip), one lead who never opted in, one unsubscribed."""
    month_ago = (utc_now() - dt.timedelta(days=30)).date().isoformat()
    for email, tag in (("ada", "vip"), ("bo", "vip"), ("cy", ""), ("dee", ""), ("eve", "")):
        args = ["add", f"{email}@example.com", "--first", email.title()]
        assert run(db_path, *args, *(["--tag", tag] if tag else []), capsys=capsys)[0] == 0
    for email in ("ada", "bo", "cy", "dee", "gus"):
        if email == "gus":
            assert run(db_path, "add", "gus@example.com", capsys=capsys)[0] == 0
        args = ("log", f"{email}@example.com", "subscribed", "--at", month_ago)
        assert run(db_path, *args, capsys=capsys)[0] == 0
    assert run(db_path, "set-status", "gus@example.com", "unsubscribed", capsys=capsys)[0] == 0
    return db_path


def _json(db_path: Path, *args: str, capsys) -> object:
    code, out, err = run(db_path, *args, "--json", capsys=capsys)
    assert (code, err) == (0, ""), err
    return json.loads(out)


def test_plan_prints_eligible_and_every_reason_and_changes_nothing(book: Path, capsys) -> None:
    plan = _json(book, "campaign", "plan", "--step", "downloaded", capsys=capsys)
    assert isinstance(plan, dict)
    assert plan["eligible"] == 4 and plan["matched"] == 6
    assert list(plan["held_back"]) == list(REASONS)
    assert plan["held_back"]["suppressed"] == 1 and plan["held_back"]["not_opted_in"] == 1
    # the filters narrow it: the step flag is the ask's, the others choose the leads
    vip = _json(
        book,
        "campaign",
        "plan",
        "--step",
        "downloaded",
        "--tag",
        "vip",
        "--max-step",
        "subscribed",
        capsys=capsys,
    )
    assert isinstance(vip, dict) and (vip["eligible"], vip["matched"]) == (2, 2)
    assert _json(book, "campaigns", capsys=capsys) == []


def test_create_then_campaigns_then_undo(book: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "audience.csv"
    made = _json(
        book,
        "campaign",
        "create",
        "--step",
        "downloaded",
        "--platform",
        "mailchimp",
        "-o",
        str(target),
        capsys=capsys,
    )
    assert isinstance(made, dict)
    assert {"campaign", "asked", "file"} <= set(made)
    assert made["asked"] == 4 and Path(made["file"]) == target
    with target.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Email Address", "Tags"]
    assert sorted(r[0] for r in rows[1:]) == [
        "ada@example.com",
        "bo@example.com",
        "cy@example.com",
        "dee@example.com",
    ]
    [listed] = _json(book, "campaigns", capsys=capsys)
    assert {
        k: listed[k] for k in ("id", "asked", "accepted", "declined", "no_response", "pending")
    } == {
        "id": made["campaign"],
        "asked": 4,
        "accepted": 0,
        "declined": 0,
        "no_response": 0,
        "pending": 4,
    }
    again = _json(book, "campaign", "plan", "--step", "downloaded", capsys=capsys)
    assert isinstance(again, dict) and again["eligible"] == 0
    code, out, _ = run(book, "undo-campaign", str(made["campaign"]), capsys=capsys)
    assert code == 0 and "4 pending asks removed" in out
    back = _json(book, "campaign", "plan", "--step", "downloaded", capsys=capsys)
    assert isinstance(back, dict) and back["eligible"] == 4
    code, out, _ = run(book, "campaigns", capsys=capsys)
    assert "undone, 4 removed" in out


def test_bad_input_is_refused_in_one_sentence(book: Path, tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "a.csv")
    assert_refused(
        book, "campaign", "plan", "--step", "nope", capsys=capsys, says="not a step of the ladder"
    )
    assert_refused(
        book,
        "campaign",
        "plan",
        "--step",
        "downloaded",
        "--offer",
        "Ghost",
        capsys=capsys,
        says="no offer named 'Ghost'",
    )
    assert_refused(
        book,
        "campaign",
        "create",
        "--step",
        "downloaded",
        "--platform",
        "kit",
        "-o",
        str(book),
        capsys=capsys,
        says="Smallyes database in use",
    )
    assert_refused(
        book,
        "campaign",
        "create",
        "--step",
        "downloaded",
        "--platform",
        "kit",
        "-o",
        str(tmp_path),
        capsys=capsys,
        says="is a folder",
    )
    assert_refused(
        book,
        "campaign",
        "create",
        "--step",
        "downloaded",
        "--platform",
        "aol",
        "-o",
        out,
        capsys=capsys,
        says="invalid choice",
    )
    assert_refused(
        book,
        "campaign",
        "create",
        "--step",
        "downloaded",
        "--platform",
        "kit",
        "-o",
        out,
        "--status",
        "unsubscribed",
        capsys=capsys,
        says="nothing was recorded",
    )
    assert_refused(book, "undo-campaign", "12", capsys=capsys, says="no campaign number 12")
    assert not Path(out).exists()
