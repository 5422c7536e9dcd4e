"""Backups: online copies, the daily rotation, and restores that refuse the wrong file."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from crm.book.leads import count_leads
from crm.errors import (
    DatabaseDamagedError,
    DatabaseTooNewError,
    OperationCancelled,
    StorageError,
    ValidationError,
)
from crm.jobs import CancelToken
from crm.safety.backup import (
    automatic_backup,
    backup_now,
    inspect_database_file,
    list_backups,
    prepare_restore,
    restore,
)
from crm.store.db import close_database, open_database
from crm.store.paths import backups_dir
from tests.crm.safety_helpers import add_people, damage, lead_count

ROOT = Path(__file__).resolve().parents[3]


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


def test_a_backup_finishes_while_another_process_writes_every_few_ms(
    db, db_path: Path, now, tmp_path: Path
) -> None:
    add_people(6000, now)  # about 3 MB: hundreds of the backup's steps below
    import crm.safety.backup

    writer = subprocess.Popen(
        [sys.executable, "-c", _EVERY_FEW_MS, str(db_path)], cwd=ROOT, stdout=subprocess.PIPE
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == b"writing"
        steps: list[int] = []

        def slow(done: int, total: int) -> None:
            steps.append(done)
            time.sleep(0.002)  # long enough for the writer to commit between steps

        old = crm.safety.backup._PAGES_PER_STEP
        crm.safety.backup._PAGES_PER_STEP = 4
        try:
            result: list[Path] = []
            worker = threading.Thread(
                target=lambda: result.append(
                    backup_now(tmp_path / "busy.db", now=now, progress=slow)
                ),
                daemon=True,
            )
            worker.start()
            worker.join(60)
        finally:
            crm.safety.backup._PAGES_PER_STEP = old
        assert not worker.is_alive(), "the backup never finished"
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()  # type: ignore[union-attr]
    assert result and inspect_database_file(result[0]) > 0
    assert lead_count(result[0]) >= 6000
    assert len(steps) > 50 and steps == sorted(steps)  # progress only ever went forward


_EVERY_FEW_MS = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
print("writing", flush=True)
while True:
    con.execute("UPDATE setting SET value = value WHERE rowid = (SELECT min(rowid) FROM setting)")
    con.execute("INSERT INTO tag (name) VALUES (hex(randomblob(8)))")
    time.sleep(0.003)
"""


def test_restore_refuses_a_pipe_at_once(db, db_path: Path, now, tmp_path: Path) -> None:
    fifo = tmp_path / "backup.db"
    os.mkfifo(fifo)
    close_database(db)
    before = db_path.read_bytes()
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            restore(fifo, db_path, now=now)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread below
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        # Unblock the hung open so the thread can end, then fail.
        with open(fifo, "wb"):
            pass
        pytest.fail("restore hung on a pipe")
    assert len(outcome) == 1 and isinstance(outcome[0], ValidationError)
    assert "not a regular file" in outcome[0].user_message
    assert db_path.read_bytes() == before


def _lookalike(db_path: Path, target: Path, sql: str) -> Path:
    shutil.copyfile(db_path, target)
    con = sqlite3.connect(target)
    con.executescript(sql)
    con.close()
    return target


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        # the right table names, other columns
        ("ALTER TABLE tag RENAME TO old_tag; CREATE TABLE tag (id INTEGER PRIMARY KEY, "
         "label TEXT, batch_id INTEGER); DROP TABLE old_tag;", "tag table has other columns"),
        ("ALTER TABLE lead DROP COLUMN phone;", "lead table has other columns"),
        ("UPDATE schema_version SET version = 'abc';", "schema version is 'abc'"),
        ("DELETE FROM schema_version;", "schema version is none"),
        ("INSERT INTO schema_version VALUES (1);", "schema version is"),
        ("UPDATE schema_version SET version = 0;", "schema version is 0"),
        ("DROP TABLE offer;", "no offer table"),
    ],
)  # fmt: skip
def test_restore_refuses_files_that_only_look_like_smallyes_books(
    db, db_path: Path, now, tmp_path: Path, sql: str, why: str
) -> None:
    add_people(3, now)
    close_database(db)
    fake = _lookalike(db_path, tmp_path / "fake.db", sql)
    before = db_path.read_bytes()
    with pytest.raises(ValidationError, match="not a Smallyes database") as caught:
        restore(fake, db_path, now=now)
    assert why in caught.value.user_message
    assert db_path.read_bytes() == before
    assert list_backups(db_path) == []
    with pytest.raises(ValidationError):
        inspect_database_file(fake)  # what `check` reports for such a file too


def test_an_older_genuine_book_still_restores(db, db_path: Path, now, tmp_path: Path) -> None:
    from crm.store.migrations import MIGRATIONS

    old = tmp_path / "old.db"
    first = open_database(old, MIGRATIONS[:1])
    close_database(first)
    assert inspect_database_file(old) == 1
    close_database(db)
    restore(old, db_path, now=now)
    reopened = open_database(db_path)
    try:
        assert count_leads() == 0
    finally:
        close_database(reopened)
