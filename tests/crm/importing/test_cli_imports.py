"""smallyes-cli import / imports / undo-import."""

from __future__ import annotations

import csv
import json
import os
import stat
import sys

import pytest

from crm.cli import main
from tests.crm.importing.conftest import DATA, write

KEYS = [
    "batch_id",
    "platform",
    "encoding",
    "delimiter",
    "rows",
    "created",
    "updated",
    "unchanged",
    "duplicates_in_file",
    "rejected",
    "forgotten",
    "warnings",
    "errors",
    "statuses",
    "tag_rule_yeses",
]


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_json_and_errors_file(db_path, capsys, tmp_path) -> None:
    out_csv = tmp_path / "rejected.csv"
    code, out, _ = _cli(
        capsys,
        "--db", str(db_path), "import", str(DATA / "mailchimp_subscribed.csv"),
        "--tag", "Fair", "--errors", str(out_csv), "--json",
    )  # fmt: skip
    assert code == 0
    data = json.loads(out)
    assert list(data) == KEYS
    assert data["platform"] == "mailchimp" and data["created"] == 5
    assert (data["encoding"], data["delimiter"], data["rows"]) == ("UTF-8", ",", 6)
    assert data["errors"] == [
        {"row": 5, "reason": "'not-an-address' is not a valid address: email has no @"}
    ]
    assert data["statuses"] == {"subscribed": 5}
    with open(out_csv, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["row", "reason", "Email Address"]
    assert rows[1][:3] == ["5", data["errors"][0]["reason"], "not-an-address"]


def test_dry_run_then_history_then_undo(db_path, capsys) -> None:
    code, out, _ = _cli(
        capsys, "--db", str(db_path), "import", str(DATA / "ghost_members.csv"), "--dry-run",
        "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["batch_id"] is None
    _, out, _ = _cli(capsys, "--db", str(db_path), "imports", "--json")
    assert json.loads(out) == []
    _, out, _ = _cli(
        capsys, "--db", str(db_path), "import", str(DATA / "ghost_members.csv"),
        "--on-duplicate", "overwrite", "--json",
    )  # fmt: skip
    batch = json.loads(out)["batch_id"]
    _, out, _ = _cli(capsys, "--db", str(db_path), "imports", "--json")
    assert [(b["batch_id"], b["created"], b["undone_at"]) for b in json.loads(out)] == [
        (batch, 5, None)
    ]
    code, out, _ = _cli(capsys, "--db", str(db_path), "undo-import", str(batch))
    assert code == 0 and "removed 5 new leads" in out
    _, out, _ = _cli(capsys, "--db", str(db_path), "leads", "--json")
    assert json.loads(out) == []


def test_unreadable_file_is_one_error_line(db_path, capsys, tmp_path) -> None:
    path = write(tmp_path, "x.csv", b"\x00\x01\x02binary")
    code, out, err = _cli(capsys, "--db", str(db_path), "import", str(path), "--json")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: x.csv is a binary file")


def test_platform_choice_is_checked(db_path, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--db", str(db_path), "import", str(DATA / "kit_subscribers.csv"),
              "--platform", "myspace"])  # fmt: skip
    assert info.value.code == 1
    assert capsys.readouterr().err.startswith("error: argument --platform")


def test_dry_run_json_is_the_real_run_s_but_the_batch(db_path, capsys, tmp_path) -> None:
    path = write(
        tmp_path,
        "x.csv",
        "email,status\n"
        "a@example.com,subscribed\n"
        "A@example.com,unsubscribed\n"  # a duplicate: not a row kept
        "b@example.com,bounced\n"
        "bad,subscribed\n"  # rejected: not a row kept
        "c@example.com,pending\n",
    )
    code, out, _ = _cli(capsys, "--db", str(db_path), "import", str(path), "--dry-run", "--json")
    dry = json.loads(out)
    assert code == 0 and list(dry) == KEYS and dry["batch_id"] is None
    assert dry["statuses"] == {"bounced": 1, "pending": 1, "unsubscribed": 1}
    assert (dry["rows"], dry["created"], dry["duplicates_in_file"], dry["rejected"]) == (5, 3, 1, 1)
    assert dry["errors"] == [{"row": 4, "reason": "'bad' is not a valid address: email has no @"}]
    _, out, _ = _cli(capsys, "--db", str(db_path), "import", str(path), "--json")
    real = json.loads(out)
    assert isinstance(real["batch_id"], int)
    assert {**real, "batch_id": None} == dry


def test_a_file_name_that_is_not_utf8_is_imported_and_shown(db_path, capsys, tmp_path) -> None:
    import os

    from crm.cli import main

    name = os.fsdecode(b"caf\xe9 members.csv")  # a name from an older system
    path = tmp_path / name
    path.write_text("email,name\nann@example.com,Ann\n", encoding="utf-8")
    assert main(["--db", str(db_path), "import", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["created"] == 1
    assert main(["--db", str(db_path), "imports", "--json"]) == 0
    (batch,) = json.loads(capsys.readouterr().out)
    assert batch["file"] == "caf\ufffd members.csv"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
@pytest.mark.parametrize("existing", [False, True])
def test_the_errors_file_is_owner_only(db_path, capsys, tmp_path, existing) -> None:
    out_csv = tmp_path / "rejected.csv"
    if existing:
        out_csv.write_text("old\n")
        out_csv.chmod(0o644)
    old_mask = os.umask(0o022)
    try:
        code, _, _ = _cli(
            capsys, "--db", str(db_path), "import", str(DATA / "mailchimp_subscribed.csv"),
            "--errors", str(out_csv),
        )  # fmt: skip
    finally:
        os.umask(old_mask)
    assert code == 0
    assert stat.S_IMODE(out_csv.stat().st_mode) == 0o600
    assert "not-an-address" in out_csv.read_text(encoding="utf-8-sig")
