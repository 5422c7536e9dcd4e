"""Forget this person: no trace in the file or its journal, and the funnel's counts hold."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crm.asking.asks import record_ask
from crm.book.leads import (
    LeadQuery,
    add_lead,
    count_leads,
    delete_lead,
    find_lead,
    get_lead,
    list_leads,
    restore_deleted,
    set_status,
    update_lead,
)
from crm.book.timeline import add_note, record_commitment
from crm.errors import NotFoundError, ValidationError
from crm.safety.backup import backup_now, list_backups
from crm.safety.forget import forget_lead, purge_backups
from crm.store.db import close_database
from crm.store.models import database_proxy
from tests.crm.safety_helpers import add_people

EMAIL = "Zelda.Quixote@Example.org"
TRACES = (
    "zelda.quixote@example.org",
    "Zelda",
    "Quixote",
    "Quixotic Pottery",
    "+4915550001",
    "secret-note-xyz",
    "first-yes-note",
    "ask-note-qrs",
    "zq-private-tag",
    "Oldname",
)


def _file_bytes(db_path: Path) -> bytes:
    data = db_path.read_bytes()
    for suffix in ("-wal", "-journal"):
        side = db_path.with_name(db_path.name + suffix)
        if side.exists():
            data += side.read_bytes()
    return data


def _funnel_counts() -> list[tuple]:
    return (
        database_proxy.execute_sql(
            "SELECT s.key, count(*) FROM commitment c JOIN step s ON s.id = c.step_id "
            "GROUP BY s.key ORDER BY s.key"
        ).fetchall()
        + database_proxy.execute_sql(
            "SELECT outcome, count(*) FROM ask GROUP BY outcome ORDER BY outcome"
        ).fetchall()
    )


def _make_person(now: dt.datetime) -> int:
    lead = add_lead(
        EMAIL,
        first_name="Oldname",
        last_name="Quixote",
        company="Quixotic Pottery",
        phone="+4915550001",
        notes="secret-note-xyz",
        tags=["zq-private-tag", "shared"],
        custom={"city": "Quixote town"},
        now=now,
    )
    update_lead(lead.id, first_name="Zelda", now=now)  # the old name stays in free space
    record_commitment(lead.id, "subscribed", at=now, now=now, note="first-yes-note")
    record_ask(lead.id, "downloaded", at=now, now=now, note="ask-note-qrs")
    add_note(lead.id, "secret-note-xyz again", at=now)
    # Deleted and undone: the delete left a copy of the row in free space.
    restore_deleted(delete_lead(lead.id))
    return lead.id


def test_forget_leaves_no_trace_in_the_file(db, db_path: Path, now) -> None:
    add_people(50, now)
    add_lead("other@example.com", tags=["shared"], now=now)
    lead_id = _make_person(now)
    database_proxy.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert all(t.encode() in _file_bytes(db_path) for t in TRACES[:4])

    forget_lead(lead_id)

    data = _file_bytes(db_path)
    close_database(db)
    data += _file_bytes(db_path)
    for trace in TRACES:
        assert trace.encode() not in data, trace
        assert trace.lower().encode() not in data, trace


def test_forget_keeps_the_funnel_counts_and_hides_the_row(db, now) -> None:
    add_people(5, now)
    lead_id = _make_person(now)
    before_funnel = _funnel_counts()
    rows_before = database_proxy.execute_sql("SELECT count(*) FROM lead").fetchone()[0]

    report = forget_lead(lead_id)

    assert _funnel_counts() == before_funnel
    assert database_proxy.execute_sql("SELECT count(*) FROM lead").fetchone()[0] == rows_before
    assert count_leads() == 5
    assert lead_id not in {r.id for r in list_leads()}
    assert list_leads(LeadQuery(search="erased")) == []
    assert list_leads(LeadQuery(tag="shared")) == []
    with pytest.raises(NotFoundError):
        find_lead(EMAIL)
    erased = get_lead(lead_id)
    assert erased.status == "erased" and erased.email == report.placeholder
    assert report.placeholder.endswith("@erased.invalid")
    assert (erased.first_name, erased.company, erased.phone, erased.notes) == ("", "", "", "")
    assert erased.tags == () and erased.custom == {} and erased.suppressed
    notes = database_proxy.execute_sql(
        "SELECT note FROM commitment WHERE lead_id = ? UNION ALL "
        "SELECT note FROM ask WHERE lead_id = ?",
        [lead_id, lead_id],
    ).fetchall()
    assert notes == [("",), ("",)]
    # The same person can come back later as a new lead.
    assert add_lead(EMAIL, now=now).id != lead_id


def test_two_erased_leads_never_collide(db, now) -> None:
    first = forget_lead(add_lead("a@example.com", now=now).id)
    second = forget_lead(add_lead("b@example.com", now=now).id)
    assert first.placeholder != second.placeholder
    with pytest.raises(NotFoundError):
        forget_lead(first.lead_id)


def test_erased_is_not_a_status_the_owner_can_set(db, now) -> None:
    lead = add_lead("c@example.com", now=now)
    with pytest.raises(ValidationError, match="Forget this person"):
        set_status(lead.id, "erased", now=now)


def test_purge_backups_erases_the_person_from_backup_copies(db, db_path, now) -> None:
    add_people(20, now)
    lead_id = _make_person(now)
    holding = backup_now(now=now)
    without = backup_now(db_path.parent / "elsewhere.db", now=now)
    forget_lead(lead_id)
    later = backup_now(now=now + dt.timedelta(minutes=1))

    rewritten, removed = purge_backups(EMAIL, db_path)

    assert rewritten == [holding] and removed == []
    assert EMAIL.lower().encode() not in holding.read_bytes()
    assert b"Quixotic Pottery" not in holding.read_bytes()
    assert {b.path for b in list_backups(db_path)} == {holding, later}
    # A copy outside backups/ is the owner's: it is not touched.
    assert EMAIL.lower().encode() in without.read_bytes()


def test_status_history_keeps_only_the_status_names(db, now) -> None:
    lead = add_lead("d@example.com", now=now)
    set_status(lead.id, "subscribed", now=now)
    forget_lead(lead.id)
    data = database_proxy.execute_sql(
        "SELECT summary, data FROM lead_event WHERE lead_id = ?", [lead.id]
    ).fetchall()
    assert [(s, json.loads(d)) for s, d in data] == [("", {"from": "none", "to": "subscribed"})]


def test_an_erased_lead_gets_no_suggestion_and_is_not_on_today(db, now) -> None:
    from crm.asking.due import suggest_for_lead, todays_asks
    from crm.asking.suggest import NoSuggestion

    lead = add_lead("e@example.com", status="subscribed", now=now - dt.timedelta(days=40))
    record_commitment(lead.id, "subscribed", at=now - dt.timedelta(days=30), now=now)
    assert lead.id in {item.lead_id for item in todays_asks(now=now)}
    forget_lead(lead.id)
    assert isinstance(suggest_for_lead(lead.id, now), NoSuggestion)
    assert lead.id not in {item.lead_id for item in todays_asks(now=now)}


def test_forgetting_an_imported_person_drops_the_fingerprint_of_their_record(
    db, now, tmp_path
) -> None:
    from crm.importing import import_csv

    path = tmp_path / "list.csv"
    path.write_text("email,first_name\nzelda@example.org,Zelda\n", encoding="utf-8")
    import_csv(path, now=now)
    lead_id = find_lead("zelda@example.org").id
    fp = "SELECT import_fp FROM lead WHERE id = ?"
    assert database_proxy.execute_sql(fp, [lead_id]).fetchone()[0] is not None
    forget_lead(lead_id)
    assert database_proxy.execute_sql(fp, [lead_id]).fetchone()[0] is None


def test_purge_removes_the_hidden_copies_a_killed_backup_left(db, db_path, now) -> None:
    """A killed backup's .part and a killed restore's staging copy hold everyone: the purge
    removes them too, instead of reporting that it removed nothing."""
    lead_id = _make_person(now)
    holding = backup_now(now=now)
    part = holding.with_name(holding.name + ".part")
    staged = db_path.parent / f".{db_path.name}.restore.part"
    holding.rename(part)
    staged.write_bytes(part.read_bytes())
    forget_lead(lead_id)

    rewritten, removed = purge_backups(EMAIL, db_path)

    assert rewritten == []
    assert set(removed) == {part, staged}
    assert not part.exists() and not staged.exists()
