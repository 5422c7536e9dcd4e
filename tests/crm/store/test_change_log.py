"""The change log: each commit's notes become one row other processes read, with the commit."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from crm.book.leads import add_lead, tag_lead, update_lead
from crm.changes import ALL, Change, collecting, note
from crm.errors import DuplicateError
from crm.store.change_log import (
    KEEP_S,
    MAX_LEADS,
    ORIGIN,
    last_note_id,
    notes_after,
    write_note,
)
from crm.store.models import database_proxy

OTHER = -1  # a reader's origin that is not this process's: it reads this process's rows


class Reader:
    """Another connection on the book, as a second process has."""

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path)
        self.last = last_note_id(self.con)

    def heard(self) -> Change:
        read = notes_after(self.con, self.last, origin=OTHER)
        self.last = read.last_id
        return read.change

    def close(self) -> None:
        self.con.close()


@pytest.fixture
def reader(db, db_path: Path):
    r = Reader(db_path)
    yield r
    r.close()


def test_a_commit_writes_its_notes_in_one_row_with_the_change(db, reader, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    with collecting():
        tag_lead(lead.id, ["vip", "podcast"])
    assert reader.heard() == Change(frozenset({"lead", "lead_event", "lead_tag", "tag"}),
                                    frozenset({lead.id}))  # fmt: skip
    assert reader.heard() == Change()  # read once


def test_the_note_is_invisible_until_its_transaction_commits(db, reader, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    with collecting():
        pass
    reader.heard()
    with database_proxy.atomic():
        tag_lead(lead.id, ["vip"])
        assert reader.heard() == Change()
    assert reader.heard().leads == {lead.id}


def test_a_rolled_back_transaction_leaves_no_note(db, reader, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    with collecting():
        pass
    reader.heard()
    with pytest.raises(RuntimeError), database_proxy.atomic():
        tag_lead(lead.id, ["vip"])
        raise RuntimeError("stop")
    with collecting():
        pass
    assert reader.heard() == Change()


def test_a_refused_edit_leaves_no_note(db, reader, now) -> None:
    add_lead("ada@example.com", now=now)
    bob = add_lead("bob@example.com", now=now)
    with collecting():
        pass
    reader.heard()
    with pytest.raises(DuplicateError), collecting():
        update_lead(bob.id, now=now, email="ada@example.com")
    assert reader.heard() == Change()


def test_notes_outside_a_transaction_are_written_when_the_operation_ends(db, reader, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    with collecting():
        pass
    reader.heard()
    with collecting():
        database_proxy.execute_sql("UPDATE lead SET company = 'Acme' WHERE id = ?", (lead.id,))
        note(tables=["lead"], leads=[lead.id])
        assert reader.heard() == Change()  # the operation has not ended
    assert reader.heard() == Change(frozenset({"lead"}), frozenset({lead.id}))


def test_a_closing_connection_writes_what_is_pending(db_path: Path) -> None:
    from crm.store.db import close_database, open_database

    db = open_database(db_path)
    first = last_note_id(db.connection())
    add_lead("ada@example.com", now=dt.datetime(2026, 6, 1))  # a script: no collection
    close_database(db)
    con = sqlite3.connect(db_path)
    try:
        assert notes_after(con, first, origin=OTHER).change.touches("lead")
    finally:
        con.close()


def test_too_many_leads_are_noted_as_many(db, reader, now) -> None:
    with collecting(), database_proxy.atomic():
        add_lead("ada@example.com", now=now)
        note(tables=["lead"], leads=range(1, MAX_LEADS + 2))
    assert reader.heard().leads is None


def test_old_rows_are_pruned_and_the_newest_always_kept(db, db_path: Path) -> None:
    con = sqlite3.connect(db_path, isolation_level=None)
    try:
        change = Change(frozenset({"lead"}), frozenset({1}))
        write_note(con, change, at=1_000)
        write_note(con, change, at=2_000)
        write_note(con, change, at=2_000 + KEEP_S + 1)
        assert [r[0] for r in con.execute("SELECT at FROM change_note")] == [2_000 + KEEP_S + 1]
        newest = last_note_id(con)
        write_note(con, change, at=10 * KEEP_S)  # everything before it is old now
        assert [r[0] for r in con.execute("SELECT id FROM change_note")] == [newest + 1]
    finally:
        con.close()


def test_a_reader_skips_its_own_rows_and_unites_the_others(db, db_path: Path) -> None:
    con = sqlite3.connect(db_path, isolation_level=None)
    try:
        last = last_note_id(con)
        write_note(con, Change(frozenset({"ask"}), frozenset({1})), at=5, origin=ORIGIN)
        write_note(con, Change(frozenset({"lead"}), frozenset({2})), at=5, origin=7)
        write_note(con, Change(frozenset({"step"}), frozenset(), frozenset({"ladder"})), at=5,
                   origin=8)  # fmt: skip
        read = notes_after(con, last)
        assert read.change == Change(frozenset({"lead", "step"}), frozenset({2}),
                                     frozenset({"ladder"}))  # fmt: skip
        assert read.last_id == last + 3
        assert notes_after(con, read.last_id) == type(read)(Change(), read.last_id)
    finally:
        con.close()


def test_rows_a_reader_missed_or_ids_going_back_mean_everything(db, db_path: Path) -> None:
    con = sqlite3.connect(db_path, isolation_level=None)
    try:
        start = last_note_id(con)
        for at in range(5):
            write_note(con, Change(frozenset({"lead"}), frozenset({1})), at=at, origin=7)
        con.execute("DELETE FROM change_note WHERE id IN (?, ?)", (start + 2, start + 3))
        assert notes_after(con, start + 1).change.everything  # pruned while it slept
        assert notes_after(con, start + 50).change.everything  # another file, with fewer
        assert notes_after(con, start + 50).change.touches(ALL)
    finally:
        con.close()
