"""Bulk changes and their undo: each verb on a filter, ids or addresses, in one batch that
the undo takes back field by field (a lead edited since keeps the edit)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm.asking.asks import record_ask
from crm.book.bulk import (
    BulkVerb,
    Selection,
    bulk_delete,
    bulk_do_not_contact,
    bulk_set_status,
    bulk_snooze,
    bulk_tag,
    bulk_untag,
    get_change,
    list_changes,
    undo_change,
)
from crm.book.leads import (
    LeadQuery,
    add_lead,
    count_leads,
    find_lead,
    get_lead,
    set_do_not_contact,
    set_status,
    tag_lead,
    untag_lead,
    update_lead,
)
from crm.book.other_emails import add_other_email
from crm.book.tag_rules import add_tag_rule
from crm.book.timeline import get_timeline, record_commitment
from crm.errors import NotFoundError, OperationCancelled, ValidationError
from crm.importing import import_csv
from crm.importing.undo import list_imports, undo_import
from crm.jobs import CancelToken
from crm.safety.forget import forget_lead
from crm.store.models import database_proxy

LATER = dt.timedelta(minutes=5)


def _sql(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    return database_proxy.execute_sql(sql, params or []).fetchall()


def _people(now: dt.datetime) -> dict[str, int]:
    """Five leads: three subscribed (one vip), one unsubscribed, one pending."""
    made = {}
    for name, status, tags in (
        ("ada", "subscribed", ["vip"]),
        ("bob", "subscribed", []),
        ("cy", "subscribed", []),
        ("dee", "unsubscribed", []),
        ("eve", "pending", []),
    ):
        made[name] = add_lead(f"{name}@example.com", status=status, tags=tags, now=now).id
    return made


def _tags(lead_id: int) -> set[str]:
    return set(get_lead(lead_id).tags)


SUBSCRIBED = Selection(query=LeadQuery(status="subscribed"), words="status subscribed")


def _snapshot() -> dict[str, list[str]]:
    """Every row of every table a lead's data lives in (the batches and the change notes
    other processes read aside)."""
    tables = [
        str(r[0])
        for r in _sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT IN ('import_batch', 'bulk_change', 'bulk_deleted', 'change_note')"
        )
    ]
    return {t: sorted(map(repr, _sql(f'SELECT * FROM "{t}"'))) for t in tables}


# --- tag ----------------------------------------------------------------------------------


def test_bulk_tag_tags_the_matching_leads_in_one_batch_and_undo_removes_only_those(db, now) -> None:
    ids = _people(now)
    report = bulk_tag(SUBSCRIBED, "promo-dec", now=now)
    assert (report.matched, report.changed) == (3, 3)
    assert report.batch is not None
    assert count_leads(LeadQuery(tags_all=("promo-dec",))) == 3
    assert "promo-dec" not in _tags(ids["dee"])
    row = get_change(report.batch)
    assert (row.verb, row.matched, row.changed) == ("tag", 3, 3)
    assert "promo-dec" in row.what and "status subscribed" in row.what

    undone = undo_change(report.batch, now=now + LATER)
    assert undone.restored == 3
    assert count_leads(LeadQuery(tags_all=("promo-dec",))) == 0
    assert not _sql("SELECT 1 FROM tag WHERE name = 'promo-dec'"), "the new tag stays unused"
    assert _tags(ids["ada"]) == {"vip"}
    assert get_change(report.batch).undone_at is not None


def test_a_tag_the_lead_had_already_is_not_the_change_s_and_stays_after_the_undo(db, now) -> None:
    ids = _people(now)
    report = bulk_tag(SUBSCRIBED, "VIP", now=now)  # any case: the same tag
    assert (report.matched, report.changed) == (3, 2)
    assert report.batch is not None
    undo_change(report.batch, now=now)
    assert _tags(ids["ada"]) == {"vip"}
    assert _tags(ids["bob"]) == set()


def test_undo_of_a_tag_keeps_it_where_the_owner_put_it_back_by_hand(db, now) -> None:
    ids = _people(now)
    report = bulk_tag(SUBSCRIBED, "promo", now=now)
    untag_lead(ids["bob"], ["promo"])
    tag_lead(ids["bob"], ["promo"])  # the owner's own tag now
    assert report.batch is not None
    undone = undo_change(report.batch, now=now)
    assert _tags(ids["bob"]) == {"promo"}
    assert _tags(ids["cy"]) == set()
    assert (undone.restored, undone.kept) == (2, 1)


def test_a_tag_rule_gives_the_bulk_tag_its_yes_and_the_undo_takes_it_back(db, now) -> None:
    ids = _people(now)
    add_tag_rule("Downloaded: *", "downloaded", now=now)
    ask = record_ask(ids["bob"], "downloaded", at=now - dt.timedelta(days=1), now=now)
    step_before = get_lead(ids["bob"]).step
    report = bulk_tag(SUBSCRIBED, "Downloaded: SEO checklist", now=now)
    assert get_lead(ids["bob"]).step == "downloaded"
    notes = [i.note for i in get_timeline(ids["bob"]) if i.kind == "commitment"]
    assert notes == [
        "tag 'Downloaded: SEO checklist', dated at the bulk change that added it: the tag has "
        "no date"
    ]
    assert _sql("SELECT outcome FROM ask WHERE id = ?", [ask]) == [("accepted",)]
    assert report.batch is not None
    undo_change(report.batch, now=now)
    assert get_lead(ids["bob"]).step == step_before
    assert _sql("SELECT outcome FROM ask WHERE id = ?", [ask]) == [("pending",)]
    assert not _sql("SELECT 1 FROM tag_rule_yes")


# --- untag --------------------------------------------------------------------------------


def test_untag_and_its_undo_put_the_tag_back_with_the_import_that_brought_it(
    db, now, tmp_path: Path
) -> None:
    source = tmp_path / "list.csv"
    source.write_text("email,tags\nfay@example.com,spring\ngus@example.com,spring\n")
    imported = import_csv(source, now=now)
    report = bulk_untag(Selection.every_lead(), "spring", now=now + LATER)
    assert report.changed == 2
    assert count_leads(LeadQuery(tags_all=("spring",))) == 0
    assert report.batch is not None
    undo_change(report.batch, now=now + LATER)
    assert count_leads(LeadQuery(tags_all=("spring",))) == 2
    # still the import's: undoing the import takes the leads (and the tag) away
    undo_import(imported.batch_id, now=now + 2 * LATER)
    assert count_leads(LeadQuery()) == 0


def test_untag_of_a_tag_nobody_has_changes_nothing_and_records_nothing(db, now) -> None:
    _people(now)
    report = bulk_untag(Selection.every_lead(), "no-such-tag", now=now)
    assert (report.matched, report.changed, report.batch) == (5, 0, None)
    assert "Nothing to change" in report.message
    assert list_changes() == []


# --- status -------------------------------------------------------------------------------


def test_set_status_keeps_suppressed_leads_and_goes_on_the_timeline(db, now) -> None:
    ids = _people(now)
    report = bulk_set_status(Selection.every_lead(), "subscribed", now=now + LATER)
    assert (report.matched, report.changed, report.kept) == (5, 1, 1)
    assert "keeps its status" in report.message
    assert get_lead(ids["eve"]).status == "subscribed"
    assert get_lead(ids["dee"]).status == "unsubscribed"
    summaries = [item.summary for item in get_timeline(ids["eve"])]
    assert any("Pending confirmation to Subscribed" in s for s in summaries), summaries


def test_a_suppressed_status_can_be_set_in_bulk_and_an_erased_lead_never_changes(db, now) -> None:
    ids = _people(now)
    forget_lead(ids["cy"], now=now)
    report = bulk_set_status(
        Selection(query=LeadQuery(status="erased")), "unsubscribed", now=now + LATER
    )
    assert report.matched == 0
    report = bulk_set_status(Selection.every_lead(), "bounced", now=now + LATER)
    assert report.changed == 4  # not the erased one
    assert _sql("SELECT status FROM lead WHERE id = ?", [ids["cy"]]) == [("erased",)]
    with pytest.raises(ValidationError, match="Forget this person"):
        bulk_set_status(Selection.every_lead(), "erased", now=now)


def test_undo_of_a_status_change_keeps_a_later_edit_field_by_field(db, now) -> None:
    ids = _people(now)
    before = get_lead(ids["bob"]).updated_at
    report = bulk_set_status(SUBSCRIBED, "none", now=now + LATER)
    set_status(ids["ada"], "pending", now=now + 2 * LATER)  # the owner, since
    assert report.batch is not None
    undone = undo_change(report.batch, now=now + 3 * LATER)
    assert (undone.restored, undone.kept) == (2, 1)
    assert "changed since keep" in undone.message
    assert get_lead(ids["bob"]).status == "subscribed"
    assert get_lead(ids["bob"]).updated_at == before
    assert get_lead(ids["ada"]).status == "pending"
    # bob's timeline no longer says it happened; ada's keeps both lines
    assert not [i for i in get_timeline(ids["bob"]) if "to Contact" in i.summary]
    assert len([i for i in get_timeline(ids["ada"]) if i.kind == "status"]) == 2


def test_undo_of_a_status_change_restores_it_on_a_lead_whose_name_was_edited_since(db, now) -> None:
    ids = _people(now)
    report = bulk_set_status(SUBSCRIBED, "none", now=now + LATER)
    update_lead(ids["cy"], now=now + 2 * LATER, first_name="Cy")
    assert report.batch is not None
    undo_change(report.batch, now=now)
    lead = get_lead(ids["cy"])
    assert (lead.status, lead.first_name) == ("subscribed", "Cy")
    assert lead.updated_at == now + 2 * LATER  # the edit's time stays


# --- do not contact ---------------------------------------------------------------------


def test_do_not_contact_on_and_off_and_the_undo(db, now) -> None:
    ids = _people(now)
    set_do_not_contact(ids["ada"], True, now=now)
    report = bulk_do_not_contact(Selection.every_lead(), True, now=now + LATER)
    assert (report.matched, report.changed) == (5, 4)
    assert all(get_lead(i).do_not_contact for i in ids.values())
    set_do_not_contact(ids["bob"], False, now=now + 2 * LATER)
    assert report.batch is not None
    undone = undo_change(report.batch, now=now + 3 * LATER)
    assert (undone.restored, undone.kept) == (3, 1)
    assert get_lead(ids["ada"]).do_not_contact  # had it before the change
    assert not get_lead(ids["cy"]).do_not_contact
    off = bulk_do_not_contact(Selection.every_lead(), False, now=now + 4 * LATER)
    assert off.changed == 1 and not get_lead(ids["ada"]).do_not_contact


# --- snooze -------------------------------------------------------------------------------


def _snooze_of(lead_id: int) -> tuple[object, ...] | None:
    rows = _sql("SELECT until, kind FROM suggestion_snooze WHERE lead_id = ?", [lead_id])
    return rows[0] if rows else None


def test_snooze_and_its_undo_put_back_each_lead_s_own_snooze(db, now) -> None:
    from crm.asking.due import skip, snooze

    ids = _people(now)
    skip(ids["ada"], now=now)
    had = _snooze_of(ids["ada"])
    until = now + dt.timedelta(days=30)
    report = bulk_snooze(SUBSCRIBED, until, now=now)
    assert report.changed == 3
    assert _snooze_of(ids["bob"]) == ("2026-07-15 12:00:00", "snooze")
    snooze(ids["cy"], now + dt.timedelta(days=60), now=now)  # the owner, since
    assert report.batch is not None
    undone = undo_change(report.batch, now=now)
    assert (undone.restored, undone.kept) == (2, 1)
    assert _snooze_of(ids["ada"]) == had
    assert _snooze_of(ids["bob"]) is None
    assert _snooze_of(ids["cy"]) == ("2026-08-14 12:00:00", "snooze")


def test_snooze_into_the_past_is_refused(db, now) -> None:
    _people(now)
    with pytest.raises(ValidationError, match="after today"):
        bulk_snooze(Selection.every_lead(), now - dt.timedelta(days=1), now=now)


# --- delete -------------------------------------------------------------------------------


def _rich_lead(now: dt.datetime) -> int:
    lead = add_lead("zed@example.com", first_name="Zed", tags=["vip", "fair"], now=now)
    add_other_email(lead.id, "zed@work.example", now=now)
    record_commitment(lead.id, "downloaded", at=now, now=now, offer="Guide")
    ask = record_ask(lead.id, "answered", at=now, now=now)
    from crm.asking.asks import set_outcome

    set_outcome(ask, "accepted", at=now, now=now)
    from crm.asking.due import snooze

    snooze(lead.id, now + dt.timedelta(days=3), now=now)
    return lead.id


def test_delete_and_its_undo_bring_back_every_row_exactly(db, now) -> None:
    _people(now)
    _rich_lead(now)
    before = _snapshot()
    report = bulk_delete(Selection.every_lead(), now=now)
    assert report.changed == 6
    assert count_leads(LeadQuery()) == 0
    assert not _sql("SELECT 1 FROM commitment") and not _sql("SELECT 1 FROM lead_tag")
    assert report.batch is not None
    undone = undo_change(report.batch, now=now)
    assert undone.restored == 6
    assert _snapshot() == before
    assert not _sql("SELECT 1 FROM bulk_deleted"), "the kept rows go once they are back"


def test_undo_of_a_delete_gives_fresh_ids_where_new_rows_took_the_old_ones(db, now) -> None:
    _people(now)
    zed = _rich_lead(now)
    yeses = sorted(i.summary for i in get_timeline(zed))
    report = bulk_delete(Selection(query=LeadQuery(search="zed")), now=now)
    # new rows take the deleted lead's ids (SQLite reuses the highest)
    newcomer = add_lead("new@example.com", now=now).id
    record_commitment(newcomer, "downloaded", at=now, now=now)
    assert newcomer == zed
    assert report.batch is not None
    undone = undo_change(report.batch, now=now)
    assert undone.restored == 1
    back = find_lead("zed@example.com")
    assert back.id != zed and back.tags == ("fair", "vip")
    assert back.other_emails == ("zed@work.example",)
    assert sorted(i.summary for i in get_timeline(back.id)) == yeses
    assert get_lead(newcomer).email == "new@example.com"
    # the accepted ask still points at its own lead's yes
    assert _sql(
        "SELECT count(*) FROM commitment c JOIN ask a ON a.id = c.ask_id WHERE c.lead_id = ? "
        "AND a.lead_id = ?",
        [back.id, back.id],
    ) == [(1,)]


def test_a_deleted_lead_whose_address_is_taken_or_forgotten_since_stays_deleted(db, now) -> None:
    ids = _people(now)
    report = bulk_delete(Selection(query=LeadQuery(status="subscribed")), now=now)
    add_lead("ada@example.com", now=now)  # the same person, added again
    again = add_lead("bob@example.com", now=now)
    assert _sql("SELECT count(*) FROM bulk_deleted WHERE data LIKE '%bob@example.com%'") != [(0,)]
    forget_lead(again.id, now=now)  # then forgotten at their request
    # nothing of them stays behind for the undo either
    assert _sql("SELECT count(*) FROM bulk_deleted WHERE data LIKE '%bob@example.com%'") == [(0,)]
    assert report.batch is not None
    undone = undo_change(report.batch, now=now)
    assert (undone.restored, undone.kept) == (1, 2)
    assert "stay deleted" in undone.message
    assert find_lead("cy@example.com").id == ids["cy"]
    with pytest.raises(NotFoundError):
        find_lead("bob@example.com")


# --- the selection ------------------------------------------------------------------------


def test_a_list_of_addresses_selects_by_own_and_other_addresses(db, now) -> None:
    ids = _people(now)
    add_other_email(ids["bob"], "bob@home.example", now=now)
    forget_lead(ids["cy"], now=now)
    selection = Selection(
        emails=("ada@example.com", "bob@home.example", "cy@example.com", "nobody@example.com"),
        words="a list",
    )
    report = bulk_tag(selection, "listed", now=now)
    assert (report.matched, report.changed, report.not_found) == (2, 2, 2)
    assert "2 addresses of the list match no lead" in report.message
    # narrowed by a filter too
    narrowed = Selection(query=LeadQuery(tags_all=("vip",)), emails=selection.emails)
    assert bulk_tag(narrowed, "listed-vip", now=now).matched == 1


def test_selected_ids_and_an_unnamed_selection(db, now) -> None:
    ids = _people(now)
    report = bulk_tag(Selection(lead_ids=(ids["dee"], ids["eve"])), "picked", now=now)
    assert report.changed == 2 and _tags(ids["dee"]) == {"picked"}
    with pytest.raises(ValidationError, match="Name the leads to change"):
        bulk_tag(Selection(), "x", now=now)


def test_a_dry_run_counts_and_changes_nothing(db, now) -> None:
    _people(now)
    before = _snapshot()
    for report in (
        bulk_tag(SUBSCRIBED, "promo", now=now, dry_run=True),
        bulk_delete(SUBSCRIBED, now=now, dry_run=True),
        bulk_set_status(Selection.every_lead(), "none", now=now, dry_run=True),
    ):
        assert report.batch is None and report.dry_run and report.changed > 0
        assert "nothing changed" in report.message
    assert _snapshot() == before
    assert list_changes() == []


# --- all or nothing, the history ----------------------------------------------------------


@pytest.mark.parametrize("verb", list(BulkVerb))
def test_a_change_cancelled_part_way_leaves_nothing(db, now, verb: BulkVerb) -> None:
    _people(now)
    before = _snapshot()
    token = CancelToken()

    def progress(done: int, total: int) -> None:
        if done == 1:  # the selection is made: stop before the batch is closed
            token.cancel()

    run = {
        BulkVerb.TAG: lambda **kw: bulk_tag(SUBSCRIBED, "promo", **kw),
        BulkVerb.UNTAG: lambda **kw: bulk_untag(SUBSCRIBED, "vip", **kw),
        BulkVerb.SET_STATUS: lambda **kw: bulk_set_status(SUBSCRIBED, "none", **kw),
        BulkVerb.DNC: lambda **kw: bulk_do_not_contact(SUBSCRIBED, True, **kw),
        BulkVerb.SNOOZE: lambda **kw: bulk_snooze(SUBSCRIBED, now + LATER, **kw),
        BulkVerb.DELETE: lambda **kw: bulk_delete(SUBSCRIBED, **kw),
    }[verb]
    with pytest.raises(OperationCancelled):
        run(now=now, progress=progress, cancel=token)
    assert _snapshot() == before
    assert list_changes() == [] and not _sql("SELECT 1 FROM import_batch")


def test_the_history_lists_changes_newest_first_and_undoes_each_once(db, now) -> None:
    _people(now)
    first = bulk_tag(SUBSCRIBED, "a", now=now)
    second = bulk_do_not_contact(Selection.every_lead(), True, now=now + LATER)
    assert [c.id for c in list_changes()] == [second.batch, first.batch]
    assert list_imports() == [], "a change is not an import"
    assert first.batch is not None
    undo_change(first.batch, now=now)
    with pytest.raises(ValidationError, match="already undone"):
        undo_change(first.batch, now=now)
    with pytest.raises(NotFoundError, match="no change 999"):
        undo_change(999, now=now)
    with pytest.raises(NotFoundError, match="no import"):
        undo_import(first.batch, now=now)
    listed = list_changes()[1].to_json()
    assert set(listed) == {"id", "kind", "what", "when", "matched", "changed", "undone_at"}
    assert listed["undone_at"] is not None


def test_changes_of_many_leads_are_a_few_statements(db, now) -> None:
    """Set-based: the statements one change runs do not grow with the number of leads."""
    from crm.demo import load_demo

    load_demo(leads=400, now=now)
    counts = []
    conn = database_proxy.connection()
    for size in (10, 300):
        statements: list[str] = []

        def traced(sql: str, statements: list[str] = statements) -> None:
            # a statement is traced again each time a trigger runs inside it, once per row;
            # the change notes for other processes, and the stale marks of the stored next
            # asks written with them, are the change log's, not the change's
            if "change_note" in sql or "next_ask" in sql:
                return
            if not statements or statements[-1] != sql:
                statements.append(sql)

        conn.set_trace_callback(traced)
        try:
            ids = tuple(r[0] for r in _sql(f"SELECT id FROM lead LIMIT {size}"))
            report = bulk_set_status(Selection(lead_ids=ids), "none", now=now + LATER)
            assert report.batch is not None
            undo_change(report.batch, now=now + LATER)
        finally:
            conn.set_trace_callback(None)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_a_killed_bulk_change_leaves_all_or_nothing(db_path: Path, db, now) -> None:
    """Through the command line, killed once its one transaction has started writing:
    the book is as it was."""
    from crm.demo import load_demo
    from crm.store.db import close_database

    load_demo(leads=3000, now=now)
    close_database(db)

    def counts() -> dict[str, int]:
        con = sqlite3.connect(db_path)
        try:
            tables = ("lead", "lead_tag", "commitment", "bulk_deleted", "import_batch")
            return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        finally:
            con.close()

    before = counts()
    wal = db_path.with_name(db_path.name + "-wal")
    start = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm", "--db", str(db_path), "bulk", "delete", "--all"],
        cwd=Path(__file__).resolve().parents[3],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > start + 200_000:
            break
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the delete finished before it could be killed"
    assert counts() == before
