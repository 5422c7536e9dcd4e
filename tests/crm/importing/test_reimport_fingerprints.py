"""Re-imports recognise the records a lead already reflects by their fingerprint, and any
later change to the lead makes it go through the full comparison again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm.book.leads import lead_id_for, untag_lead, update_lead
from crm.book.timeline import delete_commitment
from crm.importing import engine
from crm.store.models import database_proxy
from tests.crm.importing.conftest import dump_tables, lead, run, timeline, write

HEADER = "Email address,First name,Last name,Status,Created at,Tags\n"
ROWS = [
    "ada@example.com,Ada,Lovelace,subscribed,2024-01-02 10:00:00,Maths",
    "bo@example.com,Bo,,subscribed,2024-02-03 10:00:00,",
    "cy@example.com,Cy,Young,unsubscribed,2024-03-04 10:00:00,Sport",
    "di@example.com,Di,Prince,,2024-04-05 10:00:00,",
]


def _sql(sql: str, params: tuple = ()) -> list[tuple]:
    return database_proxy.execute_sql(sql, params).fetchall()


def _fp(email: str) -> int | None:
    return _sql("SELECT import_fp FROM lead WHERE email_key = ?", (email,))[0][0]


@pytest.fixture
def members(tmp_path: Path) -> Path:
    return write(tmp_path, "members.csv", HEADER + "\n".join(ROWS) + "\n")


@pytest.fixture
def imported(db, now, members):
    return run(members, now)


def _again(members: Path, now: dt.datetime, **options):
    return run(members, now + dt.timedelta(days=30), **options)


def test_every_clean_record_leaves_its_fingerprint(imported) -> None:
    assert imported.created == 4
    fps = [fp for (fp,) in _sql("SELECT import_fp FROM lead ORDER BY id")]
    assert None not in fps and len(set(fps)) == 4


def test_a_record_with_a_warning_leaves_none(db, now, tmp_path) -> None:
    path = write(tmp_path, "w.csv", HEADER + "Ada Lovelace <ada@example.com>,Ada,,,,\n")
    report = run(path, now)
    assert report.created == 1 and report.warnings == 1
    assert _fp("ada@example.com") is None
    again = run(path, now)  # compared in full, and still unchanged with its warning
    assert (again.unchanged, again.warnings) == (1, 1)


def test_an_unchanged_reimport_writes_nothing_and_counts_as_before(imported, members, now):
    before = dump_tables(skip=("import_batch",))
    again = _again(members, now)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert again.statuses == imported.statuses
    assert dump_tables(skip=("import_batch",)) == before


def test_the_fingerprints_are_what_spares_the_work(imported, members, now, monkeypatch):
    seen: list[int] = []
    normalise = engine._Importer.normalise

    def counting(self, plan, number, fields, fp=None):
        seen.append(number)
        return normalise(self, plan, number, fields, fp)

    monkeypatch.setattr(engine._Importer, "normalise", counting)
    _again(members, now)
    assert seen == []
    _sql("UPDATE lead SET import_fp = NULL")
    assert _again(members, now).unchanged == 4
    assert seen == [1, 2, 3, 4]
    # compared in full and found unchanged: the fingerprints are remembered again
    assert None not in [fp for (fp,) in _sql("SELECT import_fp FROM lead")]


def test_an_emptied_field_is_filled_again(imported, members, now) -> None:
    update_lead(lead_id_for("ada@example.com"), first_name="", now=now)
    assert _fp("ada@example.com") is None
    again = _again(members, now)
    assert (again.updated, again.unchanged) == (1, 3)
    assert lead("ada@example.com").first_name == "Ada"
    assert _fp("ada@example.com") is not None


def test_a_removed_tag_comes_back(imported, members, now) -> None:
    untag_lead(lead_id_for("ada@example.com"), ["Maths"])
    assert _fp("ada@example.com") is None
    assert _again(members, now).updated == 1
    assert "Maths" in lead("ada@example.com").tags


def test_a_deleted_yes_comes_back(imported, members, now) -> None:
    yes = next(i for i in timeline("bo@example.com") if i.kind == "commitment")
    delete_commitment(yes.id)
    assert _fp("bo@example.com") is None
    assert _again(members, now).updated == 1
    assert [i.kind for i in timeline("bo@example.com")].count("commitment") == 1


def test_a_renamed_tag_is_added_again_under_the_file_s_name(imported, members, now) -> None:
    _sql("UPDATE tag SET name = 'Mathematics' WHERE name = 'Maths'")
    assert _fp("ada@example.com") is None and _fp("bo@example.com") is not None
    assert _again(members, now).updated == 1
    assert {"Maths", "Mathematics"} <= set(lead("ada@example.com").tags)


def test_other_options_mean_other_fingerprints(imported, members, now) -> None:
    tagged = _again(members, now, tag="Spring fair")
    assert tagged.updated == 4
    assert "Spring fair" in lead("di@example.com").tags
    assert _again(members, now, on_duplicate="overwrite").unchanged == 4


def test_a_kept_suppression_is_not_taken_for_the_record(db, now, members) -> None:
    run(members, now)
    update_lead(lead_id_for("bo@example.com"), first_name="Bob", now=now)
    _sql("UPDATE lead SET status = 'unsubscribed' WHERE email_key = 'bo@example.com'")
    again = _again(members, now, on_duplicate="overwrite")
    assert lead("bo@example.com").status == "unsubscribed"  # suppression wins
    assert lead("bo@example.com").first_name == "Bo"
    assert again.updated == 1
    assert _fp("bo@example.com") is None  # the lead is not what the record says


def test_a_duplicate_of_a_recognised_record_is_still_reported(imported, members, now, tmp_path):
    text = HEADER + "\n".join(ROWS) + "\n" + "ADA@example.com,Ada,Byron,,,Poetry\n"
    report = run(write(tmp_path, "dup.csv", text), now)
    assert report.duplicates_in_file == 1
    assert any("row 5: duplicate of row 1" in w for w in report.warning_texts)
    ada = lead("ada@example.com")
    assert ada.last_name == "Lovelace" and "Poetry" in ada.tags


def test_a_small_file_into_a_big_book_does_not_read_the_fingerprints(
    imported, members, now, monkeypatch
) -> None:
    monkeypatch.setattr(engine, "FINGERPRINTS_PER_ROW", 0)
    assert _again(members, now).unchanged == 4
