"""bulk, changes and undo-change on the command line: the JSON contract and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crm.cli.test_cli_bad_input import assert_refused, run

DATA = Path(__file__).resolve().parents[2] / "data" / "bulk"


@pytest.fixture
def book(db_path: Path, capsys) -> Path:
    for email, status in (
        ("ada@example.com", "subscribed"),
        ("bob@example.com", "subscribed"),
        ("cy@example.com", "unsubscribed"),
    ):
        assert run(db_path, "add", email, "--tag", "fair", capsys=capsys)[0] == 0
        assert run(db_path, "set-status", email, status, capsys=capsys)[0] == 0
    assert run(db_path, "segment", "save", "subs", "--status", "subscribed", capsys=capsys)[0] == 0
    return db_path


def _json(db_path: Path, *args: str, capsys) -> object:
    code, out, err = run(db_path, *args, "--json", capsys=capsys)
    assert code == 0, err
    return json.loads(out)


def test_bulk_tag_of_a_segment_then_its_undo(book: Path, capsys) -> None:
    out = _json(book, "bulk", "tag", "--segment", "subs", "--tag", "promo-dec", capsys=capsys)
    assert isinstance(out, dict)
    assert {"matched", "changed", "batch"} <= set(out)
    assert (out["matched"], out["changed"]) == (2, 2) and isinstance(out["batch"], int)
    tagged = _json(book, "leads", "--tag", "promo-dec", capsys=capsys)
    assert sorted(lead["email"] for lead in tagged) == ["ada@example.com", "bob@example.com"]
    changes = _json(book, "changes", capsys=capsys)
    assert isinstance(changes, list) and len(changes) == 1
    assert set(changes[0]) == {"id", "kind", "what", "when", "matched", "changed", "undone_at"}
    assert changes[0]["kind"] == "tag" and changes[0]["undone_at"] is None
    assert "segment subs" in changes[0]["what"]
    undone = _json(book, "undo-change", str(out["batch"]), capsys=capsys)
    assert isinstance(undone, dict) and undone["restored"] == 2
    assert _json(book, "leads", "--tag", "promo-dec", capsys=capsys) == []
    assert _json(book, "changes", capsys=capsys)[0]["undone_at"] is not None


def test_each_verb_in_words_and_a_dry_run(book: Path, capsys) -> None:
    code, out, _ = run(book, "bulk", "set-status", "--all", "--status", "pending", capsys=capsys)
    assert code == 0
    assert "Set 2 leads to Pending confirmation" in out and "keeps its status" in out
    assert "undo-change" in out
    code, out, _ = run(book, "bulk", "dnc", "--tag", "fair", "--on", capsys=capsys)
    assert code == 0 and "Marked 3 leads do not contact" in out
    code, out, _ = run(book, "bulk", "snooze", "--all", "--until", "2999-01-01", capsys=capsys)
    assert code == 0 and "Snoozed 3 leads until 2999-01-01" in out
    out = _json(book, "bulk", "delete", "--from-status", "pending", "--dry-run", capsys=capsys)
    assert isinstance(out, dict) and out["batch"] is None and out["changed"] == 2
    code, out, _ = run(book, "bulk", "untag", "--all", "--tag", "fair", capsys=capsys)
    assert code == 0 and "Removed the tag fair from 3 leads" in out
    code, out, _ = run(book, "changes", capsys=capsys)
    assert code == 0 and "4 changes" in out


def test_the_set_status_filter_is_from_status(book: Path, capsys) -> None:
    out = _json(
        book, "bulk", "set-status", "--from-status", "unsubscribed", "--status", "bounced",
        capsys=capsys,
    )  # fmt: skip
    assert isinstance(out, dict) and (out["matched"], out["changed"]) == (1, 1)


def test_a_list_of_addresses_names_the_leads(book: Path, capsys) -> None:
    out = _json(
        book, "bulk", "tag", "--emails", str(DATA / "segment_export.csv"), "--tag", "listed",
        capsys=capsys,
    )  # fmt: skip
    assert isinstance(out, dict) and (out["matched"], out["changed"]) == (2, 2)
    _, _, err = run(
        book, "bulk", "tag", "--emails", str(DATA / "segment_export.csv"), "--tag", "x",
        capsys=capsys,
    )  # fmt: skip
    assert err.startswith("warning: 1 line is not an address")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("bulk", "tag", "--tag", "x"), "Name the leads: a filter, a segment or --emails FILE"),
        (("bulk", "delete"), "--all for every lead"),
        (("bulk", "tag", "--all", "--status", "subscribed", "--tag", "x"), "--all means every"),
        (("bulk", "tag", "--all", "--tag", "   "), "A tag cannot be empty"),
        (("bulk", "set-status", "--all", "--status", "gone"), "not a lead status"),
        (("bulk", "set-status", "--all", "--status", "erased"), "Forget this person"),
        (("bulk", "snooze", "--all", "--until", "2001-01-01"), "after today"),
        (("bulk", "snooze", "--all", "--until", "soon"), "is not a date"),
        (("bulk", "dnc", "--all"), "one of the arguments --on --off is required"),
        (("bulk", "tag", "--segment", "nope", "--tag", "x"), "nope"),
        (("undo-change", "99"), "There is no change 99"),
        (("undo-change", "x"), "'x' is not an change number"),
    ],
)
def test_bad_input_is_one_sentence_and_changes_nothing(
    book: Path, capsys, args: tuple[str, ...], says: str
) -> None:
    assert_refused(book, *args, capsys=capsys, says=says)


def test_an_emails_file_that_is_the_database_or_a_folder_is_refused(book: Path, capsys) -> None:
    assert_refused(
        book, "bulk", "tag", "--emails", str(book), "--tag", "x", capsys=capsys,
        says="belongs to the Smallyes database in use",
    )  # fmt: skip
    assert_refused(
        book, "bulk", "delete", "--emails", str(book.parent), capsys=capsys, says="is a folder"
    )


def test_an_undone_change_cannot_be_undone_again(book: Path, capsys) -> None:
    out = _json(book, "bulk", "tag", "--all", "--tag", "x", capsys=capsys)
    assert isinstance(out, dict)
    assert run(book, "undo-change", str(out["batch"]), capsys=capsys)[0] == 0
    assert_refused(book, "undo-change", str(out["batch"]), capsys=capsys, says="already undone")
    # a change is not an import: the import commands do not see it
    assert _json(book, "imports", capsys=capsys) == []
    assert_refused(book, "undo-import", str(out["batch"]), capsys=capsys, says="no import")


def test_bulk_mark_asked_never_asks_a_suppressed_lead_and_its_undo(book: Path, capsys) -> None:
    for email in ("ada@example.com", "bob@example.com"):
        assert run(book, "log", email, "subscribed", capsys=capsys)[0] == 0
    held = _json(book, "bulk", "mark-asked", "--step", "downloaded", "--status",
                 "unsubscribed", capsys=capsys)  # fmt: skip
    assert isinstance(held, dict) and held["changed"] == 0 and held["batch"] is None
    planned = _json(book, "bulk", "mark-asked", "--all", "--step", "downloaded", "--dry-run",
                    capsys=capsys)  # fmt: skip
    assert isinstance(planned, dict) and planned["changed"] == 2 and planned["batch"] is None
    assert _json(book, "asks", capsys=capsys) == []
    out = _json(book, "bulk", "mark-asked", "--all", "--step", "downloaded", capsys=capsys)
    assert isinstance(out, dict) and (out["matched"], out["changed"]) == (3, 2)
    asks = _json(book, "asks", capsys=capsys)
    assert isinstance(asks, list) and len(asks) == 2
    assert {a["step"] for a in asks} == {"downloaded"} and {a["outcome"] for a in asks} == {
        "pending"
    }
    shown = _json(book, "show", "cy@example.com", capsys=capsys)
    assert isinstance(shown, dict) and not [i for i in shown["timeline"] if i["kind"] == "ask"]
    assert run(book, "undo-campaign", str(out["batch"]), capsys=capsys)[0] == 0
    assert _json(book, "asks", capsys=capsys) == []
