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
