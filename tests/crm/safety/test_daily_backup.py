"""When the daily backup is taken: after the day's first change and at quit after more,
never of an empty book, so the newest copy holds the owner's real data."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from crm.cli import main
from crm.safety.backup import automatic_backup, daily_backups_on, list_backups
from crm.store.db import close_database
from tests.crm.safety_helpers import add_people, lead_count


def _age(path: Path, seconds: float) -> None:
    """Make a file look ``seconds`` older (its modification time) than it is."""
    stamp = path.stat().st_mtime - seconds
    os.utime(path, (stamp, stamp))


def _book_files(db_path: Path) -> list[Path]:
    return [p for p in (db_path, db_path.with_name(db_path.name + "-wal")) if p.exists()]


def test_an_empty_book_is_never_backed_up(db, db_path: Path, now) -> None:
    assert automatic_backup(now=now) is None
    assert automatic_backup(now=now, at_quit=True) is None
    assert list_backups(db_path) == []


def test_the_first_change_of_the_day_makes_the_days_copy(db, db_path: Path, now) -> None:
    add_people(3, now)
    first = automatic_backup(now=now)
    assert first is not None and lead_count(first) == 3
    add_people(2, now, prefix="later")
    assert automatic_backup(now=now + dt.timedelta(hours=2)) is None  # one a day
    assert [b.path for b in daily_backups_on(db_path, now.date())] == [first]


def test_at_quit_a_copy_only_when_the_book_changed_since(db, db_path: Path, now) -> None:
    add_people(3, now)
    first = automatic_backup(now=now)
    assert first is not None
    for path in _book_files(db_path):
        _age(path, 5)  # last written before the copy
    assert automatic_backup(now=now + dt.timedelta(hours=1), at_quit=True) is None
    _age(first, 10)
    add_people(2, now, prefix="later")
    quit_copy = automatic_backup(now=now + dt.timedelta(hours=2), at_quit=True)
    assert quit_copy is not None and lead_count(quit_copy) == 5
    # Later the same day: the day keeps its first copy and its latest one.
    _age(quit_copy, 10)
    add_people(1, now, prefix="last")
    last = automatic_backup(now=now + dt.timedelta(hours=3), at_quit=True)
    assert last is not None and lead_count(last) == 6
    assert [b.path for b in daily_backups_on(db_path, now.date())] == [first, last]


def test_at_quit_without_a_copy_today_or_ever(db, db_path: Path, now) -> None:
    add_people(2, now)
    path = automatic_backup(now=now, at_quit=True)
    assert path is not None and lead_count(path) == 2


def _cli(db_path: Path, capsys, *args: str) -> int:
    code = main(["--db", str(db_path), *args])
    capsys.readouterr()
    return code


def test_the_cli_backs_up_after_the_days_first_write(db_path: Path, capsys) -> None:
    assert _cli(db_path, capsys, "leads") == 0
    assert list_backups(db_path) == []  # a command that only reads
    assert _cli(db_path, capsys, "add", "ada@example.com") == 0
    daily = [b for b in list_backups(db_path) if b.reason == "daily"]
    assert len(daily) == 1 and lead_count(daily[0].path) == 1
    assert _cli(db_path, capsys, "add", "ben@example.com") == 0
    assert len([b for b in list_backups(db_path) if b.reason == "daily"]) == 1


def test_the_cli_backs_up_nothing_for_an_empty_book_or_a_dry_run(
    db, db_path: Path, capsys, tmp_path: Path, now
) -> None:
    close_database(db)
    assert _cli(db_path, capsys, "pacing", "cooldown_days=10") == 0  # a write, no leads
    assert list_backups(db_path) == []
    csv = tmp_path / "people.csv"
    csv.write_text("Email Address,First Name\nada@example.com,Ada\n", encoding="utf-8")
    assert _cli(db_path, capsys, "import", str(csv)) == 0
    assert len(list_backups(db_path)) == 1
    for backup in list_backups(db_path):
        backup.path.unlink()
    # A dry run counts what would change and writes nothing: nothing new to keep.
    assert _cli(db_path, capsys, "import", str(csv), "--dry-run") == 0
    assert list_backups(db_path) == []
