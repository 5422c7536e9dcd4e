"""``smallyes-cli tag-rule add|list|remove``: which tags mean a yes, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crm.cli.test_cli_bad_input import assert_refused, run

SEO = "Downloaded: SEO checklist"


@pytest.fixture
def tagged(db_path: Path, capsys) -> str:
    """Ada carries the tag; the offer exists."""
    for args in (
        ("add", "ada@example.com"),
        ("tag", "ada@example.com", SEO),
        ("add", "bo@example.com"),
        ("tag", "bo@example.com", "Webinar"),
        ("offer", "add", "SEO checklist"),
    ):
        assert run(db_path, *args, capsys=capsys)[0] == 0, args
    return "ada@example.com"


def _yeses(db_path: Path, email: str, capsys) -> list[dict]:
    code, out, _ = run(db_path, "show", email, "--json", capsys=capsys)
    assert code == 0
    return [i for i in json.loads(out)["timeline"] if i["kind"] == "commitment"]


def test_add_applies_the_rule_to_the_stored_tags_and_says_how_many_yeses(
    db_path: Path, tagged: str, capsys
) -> None:
    code, out, err = run(
        db_path,
        "tag-rule",
        "add",
        "downloaded: *",
        "--step",
        "downloaded",
        "--offer",
        "seo checklist",
        "--json",
        capsys=capsys,
    )
    assert (code, err) == (0, "")
    got = json.loads(out)
    assert {k: got[k] for k in ("pattern", "step", "offer", "yeses", "yeses_made")} == {
        "pattern": "downloaded: *",
        "step": "downloaded",
        "offer": "SEO checklist",
        "yeses": 1,
        "yeses_made": 1,
    }
    assert got["resolved_asks"] == 0 and got["created_at"].endswith("Z")
    [yes] = _yeses(db_path, tagged, capsys)
    assert (yes["step"], yes["offer"], yes["source"]) == ("downloaded", "SEO checklist", "tag rule")
    assert yes["note"].startswith(f"tag '{SEO}', dated when a tag rule found it")
    assert _yeses(db_path, "bo@example.com", capsys) == []


def test_add_list_and_remove_in_words(db_path: Path, tagged: str, capsys) -> None:
    code, out, _ = run(db_path, "tag-rule", "list", capsys=capsys)
    assert (code, out.strip()) == (
        0,
        "No tag rules: add one with 'smallyes-cli tag-rule add PATTERN --step KEY'.",
    )
    code, out, _ = run(db_path, "tag-rule", "add", SEO, "--step", "downloaded", capsys=capsys)
    assert (code, out.strip()) == (
        0,
        f"Added the tag rule '{SEO}' → downloaded: 1 yes from the tags already stored.",
    )
    code, out, _ = run(db_path, "tag-rule", "list", capsys=capsys)
    assert out.split() == ["'Downloaded:", "SEO", "checklist'", "→", "downloaded", "1", "yes"]
    code, out, _ = run(db_path, "tag-rule", "remove", SEO.upper(), capsys=capsys)
    assert out.splitlines() == [
        f"Removed the tag rule '{SEO}': the yes it made stays on the timeline.",
        "To take them off too, add the rule again and remove it with --and-yeses.",
    ]
    assert len(_yeses(db_path, tagged, capsys)) == 1
    # As the hint says: adding it again makes no second yes, and --and-yeses takes it off.
    code, out, _ = run(
        db_path, "tag-rule", "add", SEO, "--step", "downloaded", "--json", capsys=capsys
    )
    assert json.loads(out)["yeses_made"] == 0
    code, out, _ = run(db_path, "tag-rule", "remove", SEO, "--and-yeses", "--json", capsys=capsys)
    assert json.loads(out) == {
        "pattern": SEO,
        "kept_yeses": 0,
        "removed_yeses": 1,
        "message": f"Removed the tag rule '{SEO}' and the yes it made.",
    }
    assert _yeses(db_path, tagged, capsys) == []
    code, out, _ = run(db_path, "tag-rule", "list", "--json", capsys=capsys)
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("add", SEO, "--step", "downloadd"), "'downloadd' is not a step of the ladder"),
        (("add", SEO, "--step", "downloaded", "--offer", "Guide"), "no offer named 'Guide'"),
        (("add", "  ", "--step", "downloaded"), "needs the tag it looks for"),
        (("add", "**", "--step", "downloaded"), "would match every tag"),
        (("add", SEO), "--step"),
        (("remove", "Webinar"), "There is no tag rule for 'Webinar'"),
    ],
)
def test_bad_input_is_one_sentence_and_changes_nothing(
    db_path: Path, tagged: str, args: tuple[str, ...], says: str, capsys
) -> None:
    assert_refused(db_path, "tag-rule", *args, capsys=capsys, says=says)


def test_a_second_rule_for_the_same_pattern_is_refused(db_path: Path, tagged: str, capsys) -> None:
    assert run(db_path, "tag-rule", "add", SEO, "--step", "downloaded", capsys=capsys)[0] == 0
    assert_refused(
        db_path,
        "tag-rule",
        "add",
        SEO.lower(),
        "--step",
        "answered",
        capsys=capsys,
        says=f"There is already a tag rule for '{SEO}': remove it first",
    )
