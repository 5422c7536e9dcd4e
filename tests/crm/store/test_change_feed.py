"""The SQLite change feed: an idle check reads no table; another process's commit is heard
as the Change it noted; this process's own writes are not heard twice; another file at the
path is heard as a replacement."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from crm.book.leads import add_lead, find_lead
from crm.changes import collecting
from crm.safety.backup import backup_now
from crm.store.change_feed import Heard, SqliteChangeFeed, watch_open_book
from crm.store.db import close_thread_connection

ROOT = Path(__file__).resolve().parents[3]


def cli(db_path: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crm", "--db", str(db_path), *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


@pytest.fixture
def feed(db) -> SqliteChangeFeed:
    watched = watch_open_book()
    assert isinstance(watched, SqliteChangeFeed)
    return watched


def test_an_idle_check_reads_no_table(feed: SqliteChangeFeed) -> None:
    statements: list[str] = []
    feed.db.connection().set_trace_callback(statements.append)
    try:
        assert [feed.check() for _ in range(5)] == [Heard()] * 5
    finally:
        feed.db.connection().set_trace_callback(None)
    assert statements == ["PRAGMA data_version"] * 5


def test_a_command_in_another_process_is_heard_as_what_it_noted(feed, db_path, now) -> None:
    add_lead("ada@example.com", now=now)
    cli(db_path, "add", "zed@example.com", "--first", "Zed", "--tag", "vip")
    zed = find_lead("zed@example.com")
    heard = feed.check()
    assert not heard.replaced
    assert heard.change.touches("lead", "lead_tag") and heard.change.leads == {zed.id}
    assert feed.check() == Heard()
    cli(db_path, "tag", "ada@example.com", "podcast")
    assert feed.check().change.leads == {find_lead("ada@example.com").id}


def test_this_process_s_own_writes_are_not_heard_again(feed, now) -> None:
    def elsewhere() -> None:  # a background job: its own connection, this process
        with collecting():
            add_lead("bob@example.com", now=now)
        close_thread_connection()

    job = threading.Thread(target=elsewhere)
    job.start()
    job.join()
    assert find_lead("bob@example.com")
    assert feed.check() == Heard()


def test_another_file_at_the_path_is_heard_as_a_replacement(feed, db_path, now) -> None:
    copy = backup_now(db_path.parent / "copy.db", now=now)
    away = db_path.with_name("away.db")
    os.rename(db_path, away)
    try:
        assert feed.check() == Heard()  # no file at the path is not another file
    finally:
        os.rename(away, db_path)
    os.replace(copy, db_path)
    heard = feed.check()
    assert heard.replaced and heard.change.everything
