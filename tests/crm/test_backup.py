"""Backups: online copies, the daily rotation, and restores that refuse the wrong file."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from pathlib import Path

import pytest

from crm.backup import (
    automatic_backup,
    backup_now,
    inspect_database_file,
    list_backups,
    prepare_restore,
    restore,
)
from crm.db import backups_dir, close_database, open_database
from crm.errors import (
    DatabaseDamagedError,
    DatabaseTooNewError,
    OperationCancelled,
    StorageError,
    ValidationError,
)
from crm.jobs import CancelToken
from crm.leads import count_leads
from tests.crm.safety_helpers import add_people, damage, lead_count


def test_backup_then_restore_brings_the_old_leads_back(db, db_path: Path, now) -> None:
    add_people(5, now)
    copy = backup_now(db_path.parent / "mine.db", now=now)
    add_people(3, now, prefix="later")
    assert count_leads() == 8
    close_database(db)

    done = restore(copy, db_path, now=now)

    assert lead_count(db_path) == 5
    assert done.kept is not None and lead_count(done.kept) == 8
    assert not db_path.with_name(db_path.name + "-wal").exists() or lead_count(db_path) == 5
    reopened = open_database(db_path)
    try:
        assert count_leads() == 5
    finally:
        close_database(reopened)


def test_backup_without_a_target_goes_to_the_backups_folder(db, db_path: Path, now) -> None:
    add_people(2, now)
    path = backup_now(now=now)
    assert path.parent == backups_dir(db_path)
    assert [b.reason for b in list_backups(db_path)] == ["manual"]
    assert lead_count(path) == 2


def test_database_and_backups_are_owner_only(db, db_path: Path, now) -> None:
    fresh = db_path.parent / "fresh" / "new.db"
    close_database(open_database(fresh))
    path = backup_now(now=now)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_cancelled_backup_leaves_no_file(db, db_path: Path, now) -> None:
    add_people(400, now)
    token = CancelToken()
    token.cancel()
    target = db_path.parent / "cancelled.db"
    with pytest.raises(OperationCancelled):
        backup_now(target, now=now, cancel=token)
    assert not target.exists()
    assert not target.with_name("cancelled.db.part").exists()


def test_a_backup_cannot_overwrite_the_database(db, db_path: Path, now) -> None:
    with pytest.raises(ValidationError):
        backup_now(db_path, now=now)


def test_restore_refuses_a_file_that_is_not_a_smallyes_database(db, db_path, now) -> None:
    add_people(3, now)
    close_database(db)
    before = db_path.read_bytes()
    text = db_path.parent / "notes.txt"
    text.write_text("email,name\nann@example.com,Ann\n")
    other = db_path.parent / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE things (x)")
    con.commit()
    con.close()

    for bad in (text, other, db_path.parent / "missing.db"):
        with pytest.raises(ValidationError, match=r"Smallyes database|no file"):
            restore(bad, db_path, now=now)

    assert db_path.read_bytes() == before
    assert list_backups(db_path) == []


def test_restore_refuses_a_database_from_a_newer_smallyes(db, db_path: Path, now) -> None:
    newer = backup_now(db_path.parent / "newer.db", now=now)
    con = sqlite3.connect(newer)
    con.execute("UPDATE schema_version SET version = 99")
    con.commit()
    con.close()
    close_database(db)
    before = db_path.read_bytes()
    with pytest.raises(DatabaseTooNewError, match="newer version"):
        restore(newer, db_path, now=now)
    assert db_path.read_bytes() == before


def test_restore_refuses_a_damaged_backup(db, db_path: Path, now) -> None:
    add_people(300, now)
    broken = backup_now(db_path.parent / "broken.db", now=now)
    damage(broken, pages=(8, 12))
    with pytest.raises(DatabaseDamagedError):
        inspect_database_file(broken)
    close_database(db)
    with pytest.raises(DatabaseDamagedError):
        prepare_restore(broken, db_path, now=now)
    assert lead_count(db_path) == 300
    assert not db_path.with_name(f".{db_path.name}.restore").exists()


def test_restoring_over_a_damaged_database_keeps_its_bytes(db, db_path: Path, now) -> None:
    add_people(300, now)
    good = backup_now(now=now)
    close_database(db)
    damage(db_path, pages=(8, 12))
    damaged_bytes = db_path.read_bytes()

    done = restore(good, db_path, now=now + dt.timedelta(minutes=1))

    assert done.kept is not None and done.kept.name.endswith("-damaged.db")
    assert done.kept.read_bytes() == damaged_bytes
    assert lead_count(db_path) == 300


def test_the_automatic_backup_runs_once_a_day(db, db_path: Path, now) -> None:
    add_people(1, now)  # an empty book is not backed up automatically
    first = automatic_backup(now=now)
    assert first is not None
    assert automatic_backup(now=now + dt.timedelta(hours=5)) is None
    assert automatic_backup(now=now + dt.timedelta(days=1)) is not None
    assert [b.reason for b in list_backups(db_path)] == ["daily", "daily"]


def test_rotation_keeps_seven_days_and_four_weeks(db, db_path: Path, now) -> None:
    add_people(1, now)
    for day in range(60):
        automatic_backup(now=now + dt.timedelta(days=day))
    kept = [b.created_at.date() for b in list_backups(db_path)]
    last = (now + dt.timedelta(days=59)).date()
    assert kept[:7] == [last - dt.timedelta(days=d) for d in range(7)]
    older = kept[7:]
    assert len(older) == 4
    weeks = [d.isocalendar()[:2] for d in older]
    assert len(set(weeks)) == 4
    # Each weekly copy is the newest of its week, and the weeks are the four just before.
    assert all(d.weekday() == 6 or d == last - dt.timedelta(days=7) for d in older)


def test_safety_copies_are_kept_beside_the_daily_ones(db, db_path: Path, now) -> None:
    add_people(1, now)
    automatic_backup(now=now)
    for minute in range(8):
        backup_now(now=now + dt.timedelta(minutes=minute))
    reasons = [b.reason for b in list_backups(db_path)]
    assert reasons.count("manual") == 5
    assert reasons.count("daily") == 1


def test_restore_refuses_while_another_program_writes(db, db_path, now) -> None:
    add_people(3, now)
    copy = backup_now(db_path.parent / "copy.db", now=now)
    add_people(2, now, prefix="later")
    close_database(db)
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM lead WHERE email_key LIKE 'later%'")
    try:
        with pytest.raises(StorageError, match="Another program is using the database"):
            restore(copy, db_path, now=now)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert lead_count(db_path) == 5
    assert not db_path.with_name(f".{db_path.name}.restore").exists()
