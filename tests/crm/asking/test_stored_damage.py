"""A damaged book is never written to by a read: Today computes what it shows instead of
storing it, and a book that passed its check stores its next asks."""

from __future__ import annotations

import datetime as dt
import hashlib
from contextlib import suppress
from pathlib import Path

from peewee import DatabaseError

from crm.asking import due, stored
from crm.book.timeline import record_commitment
from crm.errors import SmallyesError
from crm.store.db import checked_for_writes, close_database, open_database
from crm.store.models import database_proxy
from tests.crm.safety_helpers import add_people, damage


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _book(db_path: Path, now) -> None:
    db = open_database(db_path)
    add_people(300, now)
    for (lead_id,) in database_proxy.execute_sql("SELECT id FROM lead").fetchall():
        record_commitment(lead_id, "subscribed", at=now, now=now)
    close_database(db)


def test_a_healthy_book_is_checked_once_and_stores_its_next_asks(db_path, now) -> None:
    _book(db_path, now)
    db = open_database(db_path)
    try:
        assert not db.checked
        page = due.todays_asks_page(now, 5)
        assert db.checked and checked_for_writes()
        assert len(stored.stored_rows()) == 300
        assert page == due.compute_asks_page(now, 5)
    finally:
        close_database(db)


def test_today_on_a_damaged_book_writes_nothing(db_path, now) -> None:
    _book(db_path, now)
    damage(db_path, pages=(8, 12))
    before = _digest(db_path)
    db = open_database(db_path)
    try:
        assert not checked_for_writes()
        # what the damaged pages hold may fail to read either way; nothing is written
        with suppress(SmallyesError, DatabaseError):
            due.todays_asks_page(now, 5)
        with suppress(SmallyesError, DatabaseError):
            due.suggest_for_lead(1, now)
    finally:
        close_database(db)
    assert _digest(db_path) == before


def test_an_unchecked_book_computes_a_few_stale_leads_without_storing_them(db_path, now) -> None:
    _book(db_path, now)
    db = open_database(db_path)
    try:
        db.checked = True
        due.todays_asks_page(now, 5)  # every row stored
        db.checked = False  # as a command that only reads opens it
        lead_id = 7
        due.snooze(lead_id, now + dt.timedelta(days=3), now=now)
        before = stored.stored_rows()
        page = due.todays_asks_page(now, 400)
        assert page == due.compute_asks_page(now, 400)
        assert lead_id not in {item.lead_id for item in page.items}
        assert stored.stored_rows() == before  # the snoozed lead's row is still the old one
        assert not db.checked
    finally:
        close_database(db)


def test_on_a_full_disk_today_is_computed_and_nothing_is_lost(tmp_path, now) -> None:
    """The stored next asks are a cache: a disk too full to store them must not stop Today
    (or one lead's box) from showing, and the book stays as it was."""
    from tests.crm.safety_helpers import small_tmpfs

    with small_tmpfs(tmp_path / "disk", "40m") as disk:
        book = disk / "book.db"
        _book(book, now)
        later = now + dt.timedelta(days=40)  # the yeses are old enough to build on
        db = open_database(book)
        try:
            expected = due.compute_asks_page(later, 5)
            with open(disk / "fill", "wb") as fill, suppress(OSError):
                while True:
                    fill.write(b"\0" * 65536)
                    fill.flush()
            page = due.todays_asks_page(later, 5)
            assert [i.lead_id for i in page.items] == [i.lead_id for i in expected.items]
            assert page.total_due == expected.total_due > 0
            lead_id = page.items[0].lead_id
            assert due.suggest_for_lead(lead_id, later) == due.compute_for_lead(lead_id, later)
            assert not stored.stored_rows()  # nothing could be stored
        finally:
            close_database(db)
            (disk / "fill").unlink(missing_ok=True)
        db = open_database(book)
        try:
            assert len(database_proxy.execute_sql("SELECT id FROM lead").fetchall()) == 300
        finally:
            close_database(db)
