"""Every domain writer reports what it changed: each table whose rows it wrote, and each
lead it touched, is in the :class:`~crm.changes.Change` it notes (checked against a
snapshot of every table before and after), and the book's change log holds the same
change for other processes (``change_note``, the record of the others, left out of the
snapshot, as are the stored next asks that the change log marks stale from what is noted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from crm.asking import asks, campaigns, due, ladder, pacing, stored
from crm.book import leads, offers, other_emails, timeline
from crm.book.filters import LeadFilter
from crm.changes import Change, collecting
from crm.store.change_log import last_note_id, notes_after
from crm.store.models import database_proxy

FILTER_ALL = LeadFilter()
DATA = Path(__file__).resolve().parents[1] / "data" / "csv"


def _snapshot() -> dict[str, list[tuple]]:
    names = [
        r[0]
        for r in database_proxy.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            f"AND name NOT IN {('change_note', *stored.TABLES)!r}"
        )
    ]
    return {
        n: sorted(database_proxy.execute_sql(f'SELECT * FROM "{n}"').fetchall(), key=repr)
        for n in names
    }


def _lead_ids_in(rows: list[tuple], table: str) -> set[int]:
    columns = [r[1] for r in database_proxy.execute_sql(f'PRAGMA table_info("{table}")')]
    key = "id" if table == "lead" else "lead_id" if "lead_id" in columns else None
    if key is None:
        return set()
    at = columns.index(key)
    return {row[at] for row in rows}


def _written(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, set[int]]:
    """The tables whose rows differ, each with the leads whose rows differ."""
    out: dict[str, set[int]] = {}
    for table in before.keys() | after.keys():
        old, new = set(before.get(table, [])), set(after.get(table, []))
        if old != new:
            out[table] = _lead_ids_in(list(old ^ new), table)
    return out


def _last_note_id() -> int:
    # What the set-up wrote outside any collection is noted first, apart.
    database_proxy.obj.change_log.flush()
    return last_note_id(database_proxy.connection())


def _check(write: Callable[[], object]) -> Change:
    before = _snapshot()
    last = _last_note_id()
    with collecting() as got:
        write()
    written = _written(before, _snapshot())
    change = got.change
    assert written, "the writer under test changed nothing: the check would prove nothing"
    # Another process reading the change log hears the same change.
    logged = notes_after(database_proxy.connection(), last, origin=-1).change
    assert logged.tables == change.tables and logged.settings == change.settings
    assert logged.leads is None if change.leads is None else logged.leads == change.leads
    if change.everything:
        return change
    assert set(written) <= change.tables, f"wrote {set(written)} but noted {change.tables}"
    if change.leads is not None:
        touched = set().union(*written.values())
        assert touched <= change.leads, f"touched leads {touched}, noted {change.leads}"
    return change


@pytest.fixture
def ada(db, now: dt.datetime) -> leads.LeadRow:
    lead = leads.add_lead("ada@example.com", first_name="Ada", now=now, tags=["vip"])
    leads.add_lead("bob@example.com", first_name="Bob", now=now)
    return lead


def test_lead_writers(ada: leads.LeadRow, now: dt.datetime) -> None:
    i = ada.id
    _check(lambda: leads.add_lead("cy@example.com", now=now, tags=["new"]))
    _check(lambda: leads.update_lead(i, now=now, company="Acme"))
    _check(lambda: leads.set_status(i, "unsubscribed", now=now))
    _check(lambda: leads.set_do_not_contact(i, True, now=now))
    _check(lambda: leads.tag_lead(i, ["podcast"]))
    _check(lambda: leads.untag_lead(i, ["podcast"]))
    _check(lambda: other_emails.add_other_email(i, "ada@work.example", now=now))
    _check(lambda: other_emails.remove_other_email(i, "ada@work.example", now=now))
    deleted = leads.delete_lead(i)
    _check(lambda: leads.restore_deleted(deleted))
    _check(lambda: leads.delete_lead(i))


def test_timeline_and_ask_writers(ada: leads.LeadRow, now: dt.datetime) -> None:
    i = ada.id
    _check(lambda: timeline.record_commitment(i, "clicked", at=now, now=now, offer="Guide"))
    _check(lambda: timeline.add_note(i, "Met at the fair", at=now))
    _check(lambda: asks.record_ask(i, "downloaded", at=now, now=now))
    ask = asks.list_asks(i)[0]
    _check(lambda: asks.set_outcome(ask.id, "accepted", at=now, now=now))
    _check(lambda: asks.delete_ask(ask.id))
    yes = timeline.get_timeline(i)[0]
    _check(lambda: timeline.delete_commitment(yes.id))
    _check(lambda: due.snooze(i, now + dt.timedelta(days=3), now=now))


def test_campaign_writers(ada: leads.LeadRow, now: dt.datetime, tmp_path: Path) -> None:
    for lead in leads.list_leads(leads.LeadQuery()):
        timeline.record_commitment(lead.id, "subscribed", at=now, now=now)
    later = now + dt.timedelta(days=10)
    made = _check(
        lambda: campaigns.create_campaign(
            "downloaded", None, [ada.id], platform="kit", target=tmp_path / "a.csv", now=later
        )
    )
    assert made.touches("campaign", "ask")
    batch = campaigns.list_campaigns(later)[0].id
    _check(lambda: campaigns.undo_campaign(batch, now=later))
    _check(lambda: campaigns.mark_asked(FILTER_ALL, "downloaded", None, later))


def test_book_settings_writers(ada: leads.LeadRow, now: dt.datetime) -> None:
    _check(lambda: offers.add_offer("Pricing guide", now=now))
    _check(lambda: offers.rename_offer("Pricing guide", "Price guide"))
    _check(lambda: offers.retire_offer("Price guide"))
    change = _check(lambda: pacing.set_pacing(cooldown_days=9))
    assert change.touches_setting("pacing") and not change.leads
    change = _check(lambda: ladder.rename_step("clicked", "Clicked a link"))
    assert change.touches_setting("ladder")


def test_an_import_notes_what_it_writes_and_a_dry_run_nothing(db, now: dt.datetime) -> None:
    from crm.importing import ImportOptions, import_csv
    from crm.importing.undo import undo_import

    source = DATA / "mailchimp_subscribed.csv"
    with collecting() as dry:
        import_csv(source, ImportOptions(dry_run=True), now=now)
    assert dry.change.empty
    report = None

    def run() -> None:
        nonlocal report
        report = import_csv(source, now=now)

    change = _check(run)
    assert change.leads is None  # an import is "many leads"
    assert report is not None and report.batch_id is not None
    assert _check(lambda: undo_import(report.batch_id, now=now)).everything
