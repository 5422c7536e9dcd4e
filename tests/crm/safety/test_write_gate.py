"""The write gate: a book opened before its full check is never written to if damaged."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crm.book.leads import add_lead, count_leads
from crm.errors import DatabaseDamagedError
from crm.safety.write_gate import WriteGate, is_write
from crm.store.db import close_database, open_database
from crm.store.migrations import MIGRATIONS
from crm.store.models import database_proxy
from tests.crm.safety_helpers import add_people, damage


def _book(db_path: Path, now, migrations=MIGRATIONS) -> None:
    database = open_database(db_path, migrations)
    add_people(300, now)
    close_database(database)


def _damaged(db_path: Path, now, migrations=MIGRATIONS) -> bytes:
    _book(db_path, now, migrations)
    damage(db_path, pages=(8, 12))  # the schema stays readable: the probe passes
    return db_path.read_bytes()


def test_reads_go_ahead_without_waiting_for_the_check(db_path, now):
    _book(db_path, now)
    gate = WriteGate(db_path)
    database = open_database(db_path, gate=gate)
    try:
        assert count_leads() == 300
        assert not gate.started  # nothing waited for it, nothing started it
    finally:
        close_database(database)


def test_a_first_write_starts_the_check_waits_for_it_and_then_goes_through(db_path, now):
    _book(db_path, now)
    gate = WriteGate(db_path)
    database = open_database(db_path, gate=gate)
    try:
        add_lead("new@example.com", now=now)
        assert gate.started and gate.done and gate.passed
        assert count_leads() == 301
    finally:
        close_database(database)


def test_a_damaged_book_refuses_every_write_and_keeps_its_bytes(db_path, now):
    before = _damaged(db_path, now)
    gate = WriteGate(db_path)
    database = open_database(db_path, gate=gate)
    try:
        assert database.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        with pytest.raises(DatabaseDamagedError, match="changes nothing"):
            add_lead("new@example.com", now=now)
        # Outside a transaction too, and through the raw connection.
        with pytest.raises(DatabaseDamagedError, match="changes nothing"):
            database.execute_sql("UPDATE lead SET notes = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            database.connection().executemany("INSERT INTO tag (name) VALUES (?)", [("a",), ("b",)])
        assert gate.done and not gate.passed and gate.problems()
    finally:
        close_database(database)
    assert db_path.read_bytes() == before


def test_a_worker_thread_connection_is_held_too(db_path, now):
    import threading

    before = _damaged(db_path, now)
    database = open_database(db_path, gate=WriteGate(db_path))
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with database_proxy.atomic():
                database.execute_sql("DELETE FROM lead")
        except BaseException as exc:  # noqa: BLE001 - the test reads what was raised
            errors.append(exc)
        finally:
            database_proxy.close()

    try:
        worker = threading.Thread(target=write)
        worker.start()
        worker.join()
    finally:
        close_database(database)
    assert len(errors) == 1 and isinstance(errors[0], DatabaseDamagedError)
    assert db_path.read_bytes() == before


def test_a_pending_migration_waits_for_the_check_and_a_damaged_book_is_not_migrated(db_path, now):
    db_path.unlink()
    before = _damaged(db_path, now, MIGRATIONS[:-1])
    with pytest.raises(DatabaseDamagedError):
        open_database(db_path, gate=WriteGate(db_path))
    assert db_path.read_bytes() == before


def test_a_healthy_book_with_a_pending_migration_is_migrated(db_path, now):
    db_path.unlink()
    _book(db_path, now, MIGRATIONS[:-1])
    gate = WriteGate(db_path)
    database = open_database(db_path, gate=gate)
    try:
        assert gate.passed
        version = database.execute_sql("SELECT version FROM schema_version").fetchone()[0]
        assert version == len(MIGRATIONS)
    finally:
        close_database(database)


@pytest.mark.parametrize(
    ("request_", "writes"),
    [
        ((sqlite3.SQLITE_INSERT, "lead", None, "main"), True),
        ((sqlite3.SQLITE_INSERT, "ids", None, "temp"), False),
        ((sqlite3.SQLITE_CREATE_TEMP_TABLE, "ids", None, "temp"), False),
        ((sqlite3.SQLITE_DROP_TABLE, "lead", None, "main"), True),
        ((sqlite3.SQLITE_READ, "lead", "email", "main"), False),
        ((sqlite3.SQLITE_SELECT, None, None, None), False),
        ((sqlite3.SQLITE_PRAGMA, "quick_check", "5", None), False),
        ((sqlite3.SQLITE_PRAGMA, "table_info", "lead", None), False),
        ((sqlite3.SQLITE_PRAGMA, "page_size", None, None), False),
        ((sqlite3.SQLITE_PRAGMA, "user_version", "3", None), True),
        ((sqlite3.SQLITE_PRAGMA, "journal_mode", "delete", None), True),
        ((sqlite3.SQLITE_PRAGMA, "wal_checkpoint", None, None), True),
    ],
)
def test_what_counts_as_a_write(request_, writes):
    assert is_write(*request_) is writes
