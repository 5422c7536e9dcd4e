"""``smallyes-cli ladder`` and ``step``: adding, removing and merging steps, and the older
``step KEY --label ...`` form beside them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crm.cli.test_cli_bad_input import assert_refused, run


@pytest.fixture
def ada(db_path: Path, capsys) -> str:
    assert run(db_path, "add", "ada@example.com", capsys=capsys)[0] == 0
    assert run(db_path, "log", "ada@example.com", "downloaded", capsys=capsys)[0] == 0
    assert run(db_path, "ask", "ada@example.com", "downloaded", capsys=capsys)[0] == 0
    return "ada@example.com"


def ladder(db_path: Path, capsys) -> list[dict]:
    code, out, err = run(db_path, "ladder", "--json", capsys=capsys)
    assert (code, err) == (0, "")
    return json.loads(out)


def lead_level(db_path: Path, email: str, capsys) -> tuple[int, str]:
    lead = json.loads(run(db_path, "show", email, "--json", capsys=capsys)[1])["lead"]
    return lead["level"], lead["step"]


def test_ladder_json_lists_every_step_with_its_template_and_uses(
    db_path: Path, ada: str, capsys
) -> None:
    steps = ladder(db_path, capsys)
    assert [s["key"] for s in steps][:3] == ["clicked", "subscribed", "downloaded"]
    for step in steps:
        assert {"key", "label", "level", "major", "template", "description"} <= set(step)
        assert {"ask_subject", "ask_body", "yeses", "asks"} <= set(step)
    downloaded = steps[2]
    assert downloaded["template"] == downloaded["ask_body"] and "{offer}" in downloaded["template"]
    assert (downloaded["level"], downloaded["yeses"], downloaded["asks"]) == (3, 1, 1)
    assert [s["level"] for s in steps] == list(range(1, 8))


def test_step_add_moves_the_steps_at_and_above_its_level(db_path: Path, ada: str, capsys) -> None:
    code, out, err = run(
        db_path,
        "step",
        "add",
        "attended_webinar",
        "--label",
        "Attended webinar",
        "--level",
        "3",
        "--major",
        "--template",
        "Hi {first_name},\\nSee you live?",
        "--json",
        capsys=capsys,
    )
    assert (code, err) == (0, "")
    added = json.loads(out)
    assert (added["key"], added["label"], added["level"], added["major"]) == (
        "attended_webinar",
        "Attended webinar",
        3,
        True,
    )
    assert added["template"] == "Hi {first_name},\nSee you live?"
    levels = {s["key"]: s["level"] for s in ladder(db_path, capsys)}
    assert (levels["subscribed"], levels["downloaded"], levels["purchased"]) == (2, 4, 8)
    assert lead_level(db_path, ada, capsys) == (4, "downloaded")
    # the text form says what was added and shows the ladder
    code, out, _ = run(
        db_path, "step", "add", "renewed", "--label", "Renewed", "--level", "9", capsys=capsys
    )
    assert code == 0 and out.startswith("added renewed (Renewed) at level 9\n")
    assert " 9  renewed " in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("step", "add", "clicked", "--label", "Clicked", "--level", "2"), "already has a step"),
        (("step", "add", "Web-inar", "--label", "Webinar", "--level", "2"), "cannot be a step key"),
        (("step", "add", "add", "--label", "Add", "--level", "2"), "'step add' is a command"),
        (("step", "add", "remove", "--label", "R", "--level", "2"), "'step remove' is a command"),
        (("step", "add", "webinar", "--label", "Webinar", "--level", "0"), "from 1 to 8"),
        (("step", "add", "webinar", "--label", "Webinar", "--level", "9"), "from 1 to 8"),
        (("step", "add", "webinar", "--label", "Webinar"), "--label LABEL --level N"),
        (("step", "add", "webinar", "--level", "3"), "--label LABEL --level N"),
        (("step", "add"), "Say which step to add"),
        (("step", "add", "webinar", "--label", "W", "--level", "3", "--into", "x"), "--into"),
        (
            ("step", "add", "w", "--label", "W", "--level", "3", "--body", "a", "--template", "b"),
            "--template or --body",
        ),
        (("step", "remove"), "Say which step to remove"),
        (("step", "remove", "nope"), "is not a step of the ladder"),
        (("step", "remove", "booked", "--label", "x"), "Removing a step takes no --label"),
        (("step", "remove", "downloaded", "--into", "downloaded"), "merged into itself"),
        (("step", "remove", "downloaded", "--into", "nope"), "'nope' is not a step"),
        (("step", "remove", "subscribed", "--into", "clicked"), "'subscribed' step cannot be"),
        (("step", "booked", "extra", "--label", "x"), "is not a step command"),
        (("step", "booked", "--into", "replied"), "Changing a step takes no --into"),
        (("step", "booked"), "Say what to change"),
        (("step", "booked", "--level", "9"), "from 1 to 7"),
    ],
)
def test_bad_step_commands_are_refused_with_one_line(
    db_path: Path, ada: str, args, says, capsys
) -> None:
    line = assert_refused(db_path, *args, capsys=capsys, says=says)
    assert line.count(". ") == 0  # one sentence


def test_step_remove_refuses_a_used_step_and_names_its_uses(
    db_path: Path, ada: str, capsys
) -> None:
    line = assert_refused(db_path, "step", "remove", "downloaded", capsys=capsys)
    assert line == (
        "error: 'downloaded' is used by 1 yes and 1 ask: to move them to another step and "
        "remove 'downloaded', run step remove downloaded --into OTHER."
    )


def test_step_remove_an_unused_step_closes_up_the_levels(db_path: Path, ada: str, capsys) -> None:
    code, out, err = run(db_path, "step", "remove", "clicked", "--json", capsys=capsys)
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert (result["removed"], result["into"], result["backup"]) == ("clicked", None, None)
    assert result["ladder"][0]["key"] == "subscribed"
    assert lead_level(db_path, ada, capsys) == (2, "downloaded")
    # no safety copy for a step nothing used (the day's automatic copy may be there)
    assert not list((db_path.parent / "backups").glob("*before-step-merge*"))


def test_step_remove_into_merges_after_a_safety_copy(db_path: Path, ada: str, capsys) -> None:
    code, out, err = run(
        db_path, "step", "remove", "downloaded", "--into", "Answered", "--json", capsys=capsys
    )
    assert (code, err) == (0, "")
    result = json.loads(out)
    assert (result["removed"], result["into"]) == ("downloaded", "answered")
    assert (result["moved_yeses"], result["moved_asks"]) == (1, 1)
    backup = Path(result["backup"])
    assert backup.parent == db_path.parent / "backups" and "before-step-merge" in backup.name
    assert lead_level(db_path, ada, capsys) == (3, "answered")
    steps = {s["key"]: s for s in ladder(db_path, capsys)}
    assert "downloaded" not in steps and (
        steps["answered"]["yeses"],
        steps["answered"]["asks"],
    ) == (1, 1)
    asks = json.loads(run(db_path, "asks", ada, "--json", capsys=capsys)[1])
    assert [a["step"] for a in asks] == ["answered"]
    # the backup holds the ladder as it was, and restores it
    assert run(db_path, "restore", str(backup), capsys=capsys)[0] == 0
    assert lead_level(db_path, ada, capsys) == (3, "downloaded")


def test_step_edit_form_still_works_and_can_move_a_step(db_path: Path, ada: str, capsys) -> None:
    code, out, _ = run(
        db_path, "step", "booked", "--label", "Call booked", "--major", "off", capsys=capsys
    )
    assert (code, out) == (0, "booked: Call booked\n")
    code, out, _ = run(
        db_path, "step", "answered", "--template", "Quick one?", "--json", capsys=capsys
    )
    assert code == 0 and json.loads(out)["ask_body"] == "Quick one?"
    assert run(db_path, "step", "booked", "--major", capsys=capsys)[0] == 0  # bare --major is on
    code, out, _ = run(db_path, "step", "downloaded", "--level", "1", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["level"] == 1
    steps = ladder(db_path, capsys)
    assert [s["key"] for s in steps][:2] == ["downloaded", "clicked"]
    assert next(s for s in steps if s["key"] == "booked")["major"] is True
    assert lead_level(db_path, ada, capsys) == (1, "downloaded")
