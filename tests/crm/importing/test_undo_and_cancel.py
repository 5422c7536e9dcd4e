"""Batches: cancel and undo leave the database exactly as it was; history lists batches."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.book.leads import add_lead, find_lead, set_status, update_lead
from crm.book.timeline import record_commitment
from crm.errors import NotFoundError, OperationCancelled, ValidationError
from crm.importing import ImportOptions, import_csv
from crm.importing.undo import list_imports, undo_import
from crm.jobs import CancelToken
from tests.crm.importing.conftest import DATA, dump_tables, lead, run, write


def _some_owner_data(now: dt.datetime) -> None:
    add_lead("renee60@example.com", first_name="Renée", tags=["friend"], now=now)
    add_lead("thandiwe.adeyemi@post.example.org", status="subscribed", now=now)
    lead_id = find_lead("thandiwe.adeyemi@post.example.org").id
    record_commitment(lead_id, "subscribed", at=now - dt.timedelta(days=9), now=now)


def test_cancel_leaves_everything_as_it_was(db, now, monkeypatch) -> None:
    _some_owner_data(now)
    before = dump_tables()
    monkeypatch.setattr("crm.importing.engine.CHUNK_ROWS", 1)
    monkeypatch.setattr("crm.importing.engine.PROGRESS_EVERY_S", 0.0)
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 3:
            token.cancel()

    with pytest.raises(OperationCancelled):
        import_csv(DATA / "ghost_members.csv", now=now, progress=progress, cancel=token)
    assert seen and max(seen) >= 3  # it was cancelled mid-way, after writing chunks
    assert dump_tables() == before


def test_cancel_during_a_bulk_load_restores_the_dropped_indexes(db, now, monkeypatch) -> None:
    before = dump_tables()
    monkeypatch.setattr("crm.importing.engine.BULK_ROWS", 1)
    token = CancelToken()
    token.cancel()
    with pytest.raises(OperationCancelled):
        import_csv(DATA / "ghost_members.csv", now=now, cancel=token)
    assert dump_tables() == before


def test_a_bulk_load_rebuilds_the_same_indexes(db, now, monkeypatch) -> None:
    indexes = dump_tables()["sqlite_master indexes"]
    monkeypatch.setattr("crm.importing.engine.BULK_ROWS", 1)
    run("mailchimp_subscribed.csv", now)
    assert dump_tables()["sqlite_master indexes"] == indexes


def test_undo_leaves_everything_as_it_was(db, now) -> None:
    _some_owner_data(now)
    before = dump_tables(skip=("import_batch",))
    report = run("ghost_members.csv", now + dt.timedelta(hours=1), tag="ghost import")
    assert report.created == 3 and report.updated == 2
    assert lead("renee60@example.com").last_name == "Dubois"
    undone = undo_import(report.batch_id, now=now + dt.timedelta(hours=2))
    assert (undone.removed, undone.restored, undone.kept_changes) == (3, 2, 0)
    assert dump_tables(skip=("import_batch",)) == before
    history = list_imports()
    assert [(b.id, b.created, b.updated) for b in history] == [(report.batch_id, 3, 2)]
    assert history[0].undone_at == now + dt.timedelta(hours=2)
    with pytest.raises(ValidationError, match="already undone"):
        undo_import(report.batch_id, now=now)


def test_undo_keeps_the_owners_later_changes_and_says_so(db, now) -> None:
    _some_owner_data(now)
    report = run("ghost_members.csv", now + dt.timedelta(hours=1))
    later = now + dt.timedelta(hours=2)
    renee = find_lead("renee60@example.com")
    update_lead(renee.id, company="Dubois Atelier", now=later)
    created = find_lead("francois.garnier@example.net")
    set_status(created.id, "unsubscribed", now=later)
    undone = undo_import(report.batch_id, now=later + dt.timedelta(hours=1))
    assert (undone.kept_changes, undone.kept_created) == (1, 1)
    assert "2 leads you changed after the import kept those later changes" in undone.message
    renee = lead("renee60@example.com")
    # The owner's company stays; the import's last name (still as imported) goes back.
    assert (renee.company, renee.last_name) == ("Dubois Atelier", "")
    assert lead("francois.garnier@example.net").status == "unsubscribed"
    with pytest.raises(NotFoundError):
        find_lead("hanako.sato+news@studio.example.com")


def test_unknown_batch(db, now) -> None:
    with pytest.raises(NotFoundError, match="no import 42"):
        undo_import(42, now=now)


def test_dry_run_creates_no_batch(db, now) -> None:
    import_csv(DATA / "ghost_members.csv", ImportOptions(dry_run=True), now=now)
    assert list_imports() == []


def test_indexes_are_rebuilt_only_for_a_load_that_is_mostly_new(db, now, monkeypatch, tmp_path):
    from crm.importing import engine, writer

    monkeypatch.setattr(engine, "CHUNK_ROWS", 5)
    monkeypatch.setattr(engine, "BULK_ROWS", 3)
    dropped: list[int] = []
    restore = writer.BatchWriter.restore_indexes

    def spy(self) -> None:
        dropped.append(len(self.dropped_indexes))
        restore(self)

    monkeypatch.setattr(writer.BatchWriter, "restore_indexes", spy)
    header = "email,first_name\n"
    old = [f"old{i}@example.com,Old" for i in range(30)]
    new = [f"new{i}@example.com,New" for i in range(8)]
    run(write(tmp_path, "first.csv", header + "\n".join(old) + "\n"), now)
    assert dropped and dropped[-1] > 0  # 30 new leads into an empty book: a bulk load
    dropped.clear()
    # next month: the same 30 (one changed) and 8 new ones at the end, a few not a load
    old[3] = "old3@example.com,Changed"
    run(write(tmp_path, "later.csv", header + "\n".join(old + new) + "\n"), now)
    assert dropped == []


def test_suppression_after_an_undo_and_across_files(db, now, tmp_path) -> None:
    header = "email,status,subscribed at,unsubscribed at\n"
    subscribed = write(
        tmp_path, "a.csv", header + "ada@example.com,subscribed,2023-01-01 09:00:00,\n"
    )
    unsubscribed = write(
        tmp_path, "b.csv", header + "ada@example.com,unsubscribed,,2024-01-01 09:00:00\n"
    )
    run(subscribed, now)
    b = run(unsubscribed, now + dt.timedelta(hours=1))
    assert lead("ada@example.com").status == "unsubscribed"
    undo_import(b.batch_id, now=now + dt.timedelta(hours=2))
    assert lead("ada@example.com").status == "subscribed"
    # The same unsubscribe again is not taken for a record the lead already reflects.
    again = run(unsubscribed, now + dt.timedelta(hours=3))
    assert again.updated == 1 and lead("ada@example.com").status == "unsubscribed"
    # The older subscribe, imported once more, does not undo it.
    assert run(subscribed, now + dt.timedelta(hours=4)).updated == 0
    assert lead("ada@example.com").status == "unsubscribed"


def test_a_zip_s_unsubscribe_wins_over_its_other_file_s_subscribe(db, now, tmp_path) -> None:
    import zipfile

    header = "email,status,subscribed at,unsubscribed at\n"
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", header + "bo@example.com,subscribed,2022-01-01 09:00:00,\n")
        z.writestr("b.csv", header + "bo@example.com,unsubscribed,,2024-01-01 09:00:00\n")
    report = run(path, now)
    assert (report.created, report.duplicates_in_file) == (1, 1)
    assert lead("bo@example.com").status == "unsubscribed"


@pytest.mark.parametrize("status", ["unsubscribed", "subscribed"])
def test_a_forgotten_person_s_placeholder_is_left_alone(db, now, tmp_path, status) -> None:
    from crm.safety.forget import forget_lead

    add_lead("ada@example.com", first_name="Ada", status="subscribed", now=now)
    placeholder = forget_lead(find_lead("ada@example.com").id).placeholder
    before = dump_tables(skip=("import_batch",))
    path = write(tmp_path, "x.csv", f"email,first_name,status\n{placeholder},Ada,{status}\n")
    report = run(path, now, on_duplicate="overwrite")
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert report.warning_texts == (
        "row 1: the address is a forgotten person's placeholder; left alone",
    )
    assert dump_tables(skip=("import_batch",)) == before


def test_undo_puts_back_its_custom_fields_when_a_later_import_added_others(
    db, now, tmp_path
) -> None:
    add_lead("ada@example.com", first_name="Ada", custom={"source": "fair"}, now=now)
    first = run(write(tmp_path, "a.csv", "email,city\nada@example.com,Paris\n"), now)
    later = now + dt.timedelta(hours=1)
    second = run(write(tmp_path, "b.csv", "email,zip\nada@example.com,01234\n"), later)
    assert lead("ada@example.com").custom == {"source": "fair", "city": "Paris", "zip": "01234"}
    undo_import(first.batch_id, now=later + dt.timedelta(hours=1))
    assert lead("ada@example.com").custom == {"source": "fair", "zip": "01234"}
    undo_import(second.batch_id, now=later + dt.timedelta(hours=2))
    assert lead("ada@example.com").custom == {"source": "fair"}
