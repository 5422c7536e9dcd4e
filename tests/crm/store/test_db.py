"""Opening, migrating and refusing databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from crm.errors import DatabaseTooNewError, StorageError
from crm.store.db import NEW_BOOK_PAGE_SIZE, close_database, open_database, schema_version
from crm.store.migrations import MIGRATIONS
from crm.store.paths import resolve_db_path


def _tables(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def test_new_database_has_schema_ladder_and_wal(tmp_path: Path) -> None:
    db = open_database(tmp_path / "new.db")
    try:
        assert schema_version(db) == len(MIGRATIONS)
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        keys = [r[0] for r in db.execute_sql("SELECT key FROM step ORDER BY level")]
        assert keys == [
            "clicked",
            "subscribed",
            "downloaded",
            "answered",
            "replied",
            "booked",
            "purchased",
        ]
    finally:
        close_database(db)


def test_env_var_and_flag_choose_the_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SMALLYES_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(None) == tmp_path / "env.db"
    assert resolve_db_path(tmp_path / "flag.db") == tmp_path / "flag.db"


@pytest.mark.parametrize("blank", ["", "   "])
def test_a_blank_env_var_is_not_a_file_name(monkeypatch, blank: str) -> None:
    monkeypatch.setenv("SMALLYES_DB", blank)
    assert resolve_db_path(None).name == "smallyes.db"


def test_default_location_is_the_user_data_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SMALLYES_DB", raising=False)
    path = resolve_db_path(None)
    assert path.name == "smallyes.db"
    assert "smallyes" in str(path.parent)


def test_a_migration_runs_and_is_recorded(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    close_database(open_database(path))

    def add_reminders(db) -> None:
        db.execute_sql("CREATE TABLE reminder (id INTEGER PRIMARY KEY, text TEXT)")

    db = open_database(path, [*MIGRATIONS, add_reminders])
    try:
        assert schema_version(db) == len(MIGRATIONS) + 1
    finally:
        close_database(db)
    assert "reminder" in _tables(path)
    backups = list((tmp_path / "backups").glob("*.db"))
    assert backups, "an existing database is backed up before it is migrated"


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    db = open_database(path)
    db.execute_sql(
        "INSERT INTO lead (email, email_key, created_at, updated_at) VALUES "
        "('a@example.com', 'a@example.com', '2026-01-01', '2026-01-01')"
    )
    close_database(db)
    before = _tables(path)

    def half_done(db) -> None:
        db.execute_sql("CREATE TABLE half (id INTEGER PRIMARY KEY)")
        db.execute_sql("DELETE FROM lead")
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError):
        open_database(path, [*MIGRATIONS, half_done])
    assert _tables(path) == before
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT count(*) FROM lead").fetchone()[0] == 1
        assert con.execute("SELECT version FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        con.close()


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    close_database(open_database(path))
    con = sqlite3.connect(path)
    con.execute("UPDATE schema_version SET version = 999")
    con.commit()
    con.close()
    with pytest.raises(DatabaseTooNewError) as info:
        open_database(path)
    assert "newer version of Smallyes" in info.value.user_message
    assert "update Smallyes" in info.value.user_message


def test_an_unwritable_folder_gets_a_clear_message(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError) as info:
        open_database(blocker / "sub" / "x.db")
    assert "--db" in info.value.user_message


def test_a_file_that_is_not_a_database_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(StorageError) as info:
        open_database(path)
    assert "not a readable Smallyes database" in info.value.user_message
    assert path.read_bytes().startswith(b"these are my notes")


def test_new_files_are_private_to_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "private" / "p.db"
    close_database(open_database(path))
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0


def test_a_first_version_book_gains_import_fingerprints(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    db = open_database(path, MIGRATIONS[:1])
    db.execute_sql(
        "INSERT INTO lead (email, email_key, created_at, updated_at) "
        "VALUES ('a@example.com', 'a@example.com', '2026-01-01', '2026-01-01')"
    )
    close_database(db)
    db = open_database(path)
    try:
        assert schema_version(db) == len(MIGRATIONS)
        assert db.execute_sql("SELECT email, import_fp FROM lead").fetchall() == [
            ("a@example.com", None)
        ]
        db.execute_sql("UPDATE lead SET import_fp = 7")
        db.execute_sql("UPDATE lead SET first_name = 'Ada'")  # an edit forgets it
        assert db.execute_sql("SELECT import_fp FROM lead").fetchone()[0] is None
    finally:
        close_database(db)


def test_created_leads_import_events_come_from_their_batch_after_v3(tmp_path: Path) -> None:
    from crm.book.timeline import get_timeline
    from crm.store.models import database_proxy

    path = tmp_path / "v2.db"
    db = open_database(path, MIGRATIONS[:2])
    for sql in (
        "INSERT INTO import_batch (id, file_name, platform, started_at) "
        "VALUES (1, 'list.csv', 'kit', '2026-01-01 09:00:00')",
        "INSERT INTO lead (id, email, email_key, created_at, updated_at, batch_id) "
        "VALUES (1, 'a@example.com', 'a@example.com', '2026-01-01', '2026-01-01', 1)",
        "INSERT INTO lead_event (lead_id, at, kind, summary, data, batch_id) VALUES "
        "(1, '2026-01-01 09:00:00', 'import', 'Imported from Kit', '{}', 1), "
        "(1, '2026-02-01 09:00:00', 'import', 'Updated from Kit: tags', '{}', 1)",
    ):
        db.execute_sql(sql)
    close_database(db)
    db = open_database(path)
    try:
        assert database_proxy.obj is db
        items = [(i.kind, i.summary, str(i.at)) for i in get_timeline(1)]
        assert items == [
            ("import", "Updated from Kit: tags", "2026-02-01 09:00:00"),
            ("import", "Imported from Kit", "2026-01-01 09:00:00"),
        ]
        assert get_timeline(1)[1].data == {"batch_id": 1, "file": "list.csv", "platform": "kit"}
    finally:
        close_database(db)


def test_a_full_disk_during_an_import_is_named_and_nothing_is_stored(db, tmp_path, now) -> None:
    from crm.importing import ImportOptions, import_csv
    from crm.store.models import Lead
    from crm.store.problems import known_storage_problem

    rows = [f"member{i}@example.com,Ann,Lee" for i in range(3000)]
    path = tmp_path / "members.csv"
    path.write_text("Email Address,First Name,Last Name\n" + "\n".join(rows), encoding="utf-8")
    pages = db.execute_sql("PRAGMA page_count").fetchone()[0]
    db.execute_sql(f"PRAGMA max_page_count = {pages + 20}")  # the disk fills up mid-import
    with pytest.raises(Exception) as caught:
        import_csv(path, ImportOptions(), now=now)
    known = known_storage_problem(caught.value, tmp_path / "smallyes.db")
    assert known is not None
    assert known.user_message.startswith("The disk is full: free some space")
    assert Lead.select().count() == 0


def test_a_new_book_gets_16k_pages_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    close_database(open_database(path))
    db = open_database(path)  # reopening changes nothing
    try:
        assert db.execute_sql("PRAGMA page_size").fetchone()[0] == NEW_BOOK_PAGE_SIZE
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        close_database(db)
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def test_an_existing_book_keeps_its_page_size(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA page_size = 4096")
    con.execute("PRAGMA journal_mode = wal")
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    con.close()
    db = open_database(path)
    try:
        assert db.execute_sql("PRAGMA page_size").fetchone()[0] == 4096
        assert schema_version(db) == len(MIGRATIONS)
    finally:
        close_database(db)


def test_the_lighter_indexes_still_serve_their_queries(db) -> None:
    """v15 dropped lead_first_name and made commitment_offer partial: the name sort and
    the offer filter still use an index, and the offers' steps no longer scan every yes."""
    from crm.asking.due import _OFFER_STEPS_SQL
    from crm.book.leads import LeadQuery, SortKey, list_leads
    from crm.store.models import database_proxy

    names = {r[0] for r in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "lead_first_name" not in names
    conn = database_proxy.connection()
    traced: list[str] = []
    conn.set_trace_callback(traced.append)
    try:
        list_leads(LeadQuery(sort=SortKey.NAME), limit=50)
        list_leads(LeadQuery(offer="Guide"), limit=50)
    finally:
        conn.set_trace_callback(None)
    by_name, by_offer = (s for s in traced if s.lstrip().startswith("SELECT l.id"))

    def plan(sql: str) -> str:
        return " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))

    assert "INDEX lead_last_name" in plan(by_name)
    assert "TEMP B-TREE FOR ORDER BY" not in plan(by_name)
    assert "INDEX commitment_offer" in plan(by_offer)
    assert "INDEX commitment_offer" in plan(_OFFER_STEPS_SQL)
