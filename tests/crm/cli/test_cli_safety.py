"""The data-safety commands: exit codes, error lines, and files left untouched."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import json
import sqlite3
from pathlib import Path

import pytest

from crm.cli import main
from crm.safety.backup import inspect_database_file
from crm.store.db import close_database, open_database
from crm.store.models import database_proxy
from crm.store.paths import backups_dir
from tests.crm.safety_helpers import add_people, damage, lead_count, zero_page


def run(db_path: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _add(db_path: Path, capsys, *emails: str) -> None:
    for email in emails:
        assert run(db_path, "add", email, capsys=capsys)[0] == 0


def test_backup_and_restore_round_trip(db_path: Path, tmp_path: Path, capsys) -> None:
    _add(db_path, capsys, "a@example.com", "b@example.com")
    copy = tmp_path / "copy.db"
    code, out, _ = run(db_path, "backup", "-o", str(copy), capsys=capsys)
    assert code == 0 and str(copy) in out
    _add(db_path, capsys, "c@example.com")

    code, out, err = run(db_path, "restore", str(copy), capsys=capsys)

    assert (code, err) == (0, "")
    assert "was kept as" in out
    assert lead_count(db_path) == 2
    code, out, _ = run(db_path, "backups", "--json", capsys=capsys)
    kept = [b for b in json.loads(out) if b["reason"] != "daily"]  # the day's first add
    assert [b["reason"] for b in kept] == ["before-restore"]
    assert lead_count(Path(kept[0]["file"])) == 3


def test_backup_without_output_goes_to_backups(db_path: Path, capsys) -> None:
    code, out, _ = run(db_path, "backup", "--json", capsys=capsys)
    assert code == 0
    assert Path(json.loads(out)["backup"]).parent == backups_dir(db_path)


def test_restore_of_a_non_smallyes_file_fails_and_changes_nothing(
    db_path: Path, tmp_path: Path, capsys
) -> None:
    _add(db_path, capsys, "a@example.com")
    before = db_path.read_bytes()
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")

    code, out, err = run(db_path, "restore", str(junk), capsys=capsys)

    assert code == 1 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "not a Smallyes database" in err
    assert db_path.read_bytes() == before
    # No copy beside the daily one the first add made.
    assert [p.name for p in backups_dir(db_path).iterdir() if "-daily" not in p.name] == []


def test_check_passes_a_healthy_database(db_path: Path, capsys) -> None:
    code, out, err = run(db_path, "check", capsys=capsys)
    assert (code, err) == (0, "")
    assert out.startswith("ok: ")


def test_check_reports_damage_and_changes_nothing(db_path: Path, capsys, now) -> None:
    close_database(open_database(db_path))  # binds the models for add_people
    add_people(300, now)
    close_database(database_proxy.obj)
    damage(db_path, pages=(8, 12))
    before = db_path.read_bytes()

    code, out, err = run(db_path, "check", capsys=capsys)

    assert code == 1 and out == ""
    assert err.startswith("error: The database") and "damaged" in err
    assert err.count("\n") == 1
    assert db_path.read_bytes() == before
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_check_of_a_missing_file_creates_nothing(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nowhere" / "smallyes.db"
    code, _, err = run(missing, "check", capsys=capsys)
    assert code == 1 and "There is no database" in err
    assert not missing.parent.exists()


def test_export_with_filters_and_excel(db_path: Path, tmp_path: Path, capsys) -> None:
    _add(db_path, capsys, "a@example.com", "b@example.com")
    run(db_path, "tag", "b@example.com", "vip", capsys=capsys)
    out_file = tmp_path / "vip.csv"

    code, out, _ = run(
        db_path, "export", "-o", str(out_file), "--tag", "vip", "--excel", capsys=capsys
    )

    assert code == 0 and "exported 1 lead " in out
    assert out_file.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(out_file, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [r[0] for r in rows] == ["email", "b@example.com"]


def test_export_lead_writes_json(db_path: Path, tmp_path: Path, capsys) -> None:
    _add(db_path, capsys, "a@example.com")
    target = tmp_path / "a.json"
    code, _, _ = run(db_path, "export-lead", "A@example.com", "-o", str(target), capsys=capsys)
    assert code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["lead"]["email"] == "a@example.com"


def test_forget_needs_yes_then_erases(db_path: Path, capsys) -> None:
    _add(db_path, capsys, "gone@example.com", "stays@example.com")
    run(db_path, "backup", capsys=capsys)

    code, _, err = run(db_path, "forget", "gone@example.com", capsys=capsys)
    assert code == 1 and "--yes" in err
    assert b"gone@example.com" in db_path.read_bytes()

    code, out, _ = run(db_path, "forget", "gone@example.com", "--yes", capsys=capsys)
    assert code == 0 and "--purge-backups" in out
    assert b"gone@example.com" not in db_path.read_bytes()
    code, out, _ = run(db_path, "leads", "--json", capsys=capsys)
    assert [lead["email"] for lead in json.loads(out)] == ["stays@example.com"]


def test_forget_with_purge_backups(db_path: Path, capsys) -> None:
    _add(db_path, capsys, "gone@example.com")
    run(db_path, "backup", capsys=capsys)
    code, out, _ = run(
        db_path, "forget", "gone@example.com", "--yes", "--purge-backups", capsys=capsys
    )
    assert code == 0 and "erased from 2" in out  # the daily copy and the one made by hand
    for path in backups_dir(db_path).iterdir():
        assert b"gone@example.com" not in path.read_bytes()


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (sqlite3.OperationalError("attempt to write a readonly database"), "read-only"),
        (sqlite3.OperationalError("database or disk is full"), "disk is full"),
        (sqlite3.OperationalError("database is locked"), "busy in another program"),
        (OSError(errno.ENOSPC, "No space left on device"), "disk is full"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (sqlite3.OperationalError("disk I/O error"), "disk reported an error"),
    ],
)
def test_known_storage_problems_get_a_plain_error_line(
    db_path: Path, capsys, monkeypatch, error: Exception, words: str
) -> None:
    import crm.cli.safety as safety

    def failing(args) -> None:
        raise error

    monkeypatch.setattr(safety, "cmd_backup", failing)
    code, out, err = run(db_path, "backup", capsys=capsys)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and words in err and err.count("\n") == 1


def test_an_unknown_database_error_is_not_hidden(db_path: Path, monkeypatch, capsys) -> None:
    import crm.cli.safety as safety
    from crm.logsetup import log_file

    def failing(args) -> None:
        raise sqlite3.OperationalError("no such column: bogus")

    monkeypatch.setattr(safety, "cmd_backup", failing)
    code, out, err = run(db_path, "backup", capsys=capsys)
    # Not a plain storage error: called a bug, exit 70, and the traceback is in the log.
    assert (code, out) == (70, "") and err.count("\n") == 1
    assert err.startswith("error: ") and "a bug" in err and str(log_file()) in err
    logged = log_file().read_text(encoding="utf-8")
    assert "Traceback" in logged and "no such column: bogus" in logged


def test_a_damaged_book_is_not_written_and_its_good_backups_stay(
    db_path: Path, tmp_path: Path, capsys, now, monkeypatch
) -> None:
    import crm.cli.safety

    close_database(open_database(db_path))
    add_people(300, now)
    close_database(database_proxy.obj)
    clock = iter(now + dt.timedelta(minutes=m) for m in range(100))
    # Backups are named to the second: each run gets a minute of its own.
    monkeypatch.setattr(crm.cli.safety, "utc_now", lambda: next(clock))
    for _ in range(5):
        assert run(db_path, "backup", capsys=capsys)[0] == 0
    good = sorted(b.name for b in backups_dir(db_path).iterdir())
    assert len(good) == 5
    zero_page(db_path)
    before = db_path.read_bytes()
    csv_file = tmp_path / "more.csv"
    csv_file.write_text("email\nnew@example.com\n", encoding="utf-8")

    assert run(db_path, "check", capsys=capsys)[0] == 1
    for args in (("add", "z@example.com"), ("tag", "person1@example.com", "vip"),
                 ("import", str(csv_file))):  # fmt: skip
        code, out, err = run(db_path, *args, capsys=capsys)
        assert code == 1 and out == "" and err.count("\n") == 1, err
        assert "is damaged" in err and "changes nothing" in err and "smallyes-cli check" in err
        assert db_path.read_bytes() == before
    for _ in range(5):
        code, _, err = run(db_path, "backup", capsys=capsys)
        assert code == 1 and "kept apart" in err and err.count("\n") == 1, err

    names = sorted(b.name for b in backups_dir(db_path).iterdir())
    assert [n for n in names if not n.endswith("-damaged.db")] == good
    assert sum(n.endswith("-manual-damaged.db") for n in names) == 5
    for name in good:
        assert inspect_database_file(backups_dir(db_path) / name) > 0
    assert db_path.read_bytes() == before


def test_read_commands_still_work_on_a_damaged_book(db_path: Path, capsys, now) -> None:
    close_database(open_database(db_path))
    add_people(300, now)
    close_database(database_proxy.obj)
    damage(db_path, pages=(8, 12))
    code, _, err = run(db_path, "backups", capsys=capsys)
    assert (code, err) == (0, "")
