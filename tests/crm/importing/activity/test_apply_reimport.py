"""Importing the same export again adds nothing; next month's export, which repeats this
month's rows, adds only the new ones; an exact duplicate row in one file is skipped."""

from __future__ import annotations

import pytest

from crm.book.leads import find_lead
from crm.book.timeline import delete_commitment, get_timeline
from crm.importing.undo import undo_import
from crm.store.models import database_proxy
from tests.crm.importing.activity.apply_helpers import (
    activity_csv,
    run_activity,
    subscriber,
    use_simple_reader,
)
from tests.crm.importing.conftest import dump_tables

MAY = [
    ["ada@example.com", "2026-05-01 10:00:00", "clicked", "https://example.com/a"],
    ["ada@example.com", "2026-05-01 10:00:00", "opened", ""],
    ["ada@example.com", "2026-05-03 10:00:00", "unsubscribed", ""],
    ["nova@example.com", "2026-05-02 10:00:00", "answered", "Q=A"],
]
JUNE = [
    ["ada@example.com", "2026-06-01 10:00:00", "clicked", "https://example.com/b"],
    ["nova@example.com", "2026-06-02 10:00:00", "replied", ""],
]


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def _yeses() -> int:
    return database_proxy.execute_sql("SELECT count(*) FROM commitment").fetchone()[0]


def test_the_same_file_again_adds_nothing(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    path = activity_csv(tmp_path, MAY)
    first = run_activity(path, now)
    assert first.events == {"clicked": 1, "opened": 1, "answered": 1}
    before = dump_tables(skip=("import_batch",))
    again = run_activity(path, now)
    assert again.events == {}
    assert again.already_imported == 4
    assert again.created == 0 and again.status_changes == {}
    assert dump_tables(skip=("import_batch",)) == before


def test_next_months_export_adds_only_its_new_rows(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    run_activity(activity_csv(tmp_path, MAY), now)
    yeses = _yeses()
    report = run_activity(activity_csv(tmp_path, MAY + JUNE, name="june.csv"), now)
    assert report.events == {"clicked": 1, "replied": 1}
    assert report.already_imported == 4
    assert _yeses() == yeses + 2


def test_an_exact_duplicate_row_in_one_file_is_skipped(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    report = run_activity(activity_csv(tmp_path, [MAY[0], MAY[1], MAY[0]]), now)
    assert report.events == {"clicked": 1, "opened": 1}
    assert report.skipped == {"duplicate": 1}
    assert report.duplicates_in_file == 1


def test_a_duplicate_far_apart_in_a_long_file_is_skipped_too(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    opens = [
        ["ada@example.com", f"2026-05-01 {h:02d}:{m:02d}:00", "opened", ""]
        for h in range(10)
        for m in range(60)
    ] * 9  # 5,400 rows, more than one chunk: 600 opens, each repeated far apart
    report = run_activity(activity_csv(tmp_path, [MAY[0], *opens, MAY[0]]), now)
    assert report.skipped == {"duplicate": 1 + 8 * 600}
    assert report.events == {"clicked": 1, "opened": 600}


def test_a_yes_the_owner_deleted_does_not_come_back(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    path = activity_csv(tmp_path, [MAY[0]])
    run_activity(path, now)
    (click,) = [i for i in get_timeline(ada) if i.step == "clicked"]
    delete_commitment(click.id)
    report = run_activity(path, now)
    assert report.already_imported == 1 and report.events == {}
    assert [i for i in get_timeline(ada) if i.step == "clicked"] == []


def test_after_an_undo_the_same_file_imports_again(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    path = activity_csv(tmp_path, MAY)
    first = run_activity(path, now)
    undo_import(first.batch_id, now=now)
    again = run_activity(path, now)
    assert again.events == first.events and again.already_imported == 0
    assert find_lead("nova@example.com").step == "answered"
