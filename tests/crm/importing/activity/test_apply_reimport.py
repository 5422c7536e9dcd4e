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
    # the batches, and the files they read whole, are the imports' own records
    records = ("import_batch", "import_source")
    before = dump_tables(skip=records)
    again = run_activity(path, now)
    assert again.events == {}
    assert again.already_imported == 4
    assert again.created == 0 and again.status_changes == {}
    assert dump_tables(skip=records) == before


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


def _remembered() -> list[tuple[int, int, int]]:
    return database_proxy.execute_sql(
        "SELECT batch_id, rows, ignored FROM import_source ORDER BY batch_id"
    ).fetchall()


def _read_rows(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources read row by row from now on, by label."""
    from crm.importing.activity.detect import ActivitySource

    read: list[str] = []
    rows = ActivitySource.rows

    def counting(self: ActivitySource):  # type: ignore[no-untyped-def]
        read.append(self.label)
        return rows(self)

    monkeypatch.setattr(ActivitySource, "rows", counting)
    return read


def test_a_file_read_whole_is_counted_again_without_being_read(
    db, now, tmp_path, monkeypatch
) -> None:
    subscriber("ada@example.com", now)
    subscriber("nova@example.com", now)
    unsubscribe = "https://example.list-manage.com/unsubscribe?u=1&id=2"
    rows = [
        MAY[0],
        MAY[1],
        MAY[1],
        ["nova@example.com", "2026-05-02 10:00:00", "clicked", unsubscribe],
    ]
    path = activity_csv(tmp_path, rows)
    first = run_activity(path, now)
    assert first.skipped == {"duplicate": 1, "ignored_link": 1}
    assert _remembered() == [(first.batch_id, 4, 1)]
    read = _read_rows(monkeypatch)
    again = run_activity(path, now)
    assert read == []  # not read: its rows are counted from the record
    assert (again.rows, again.already_imported, again.skipped) == (4, 3, {"ignored_link": 1})
    assert again.events == {}
    # a file that differs by one byte is read row by row
    changed = activity_csv(tmp_path, [*rows, MAY[2]], name="b.csv")
    later = run_activity(changed, now)
    assert read == ["b.csv"] and later.already_imported == 3


def test_a_file_with_people_not_in_the_book_is_read_again(db, now, tmp_path) -> None:
    # the people may be imported in between: their rows must then be stored
    path = activity_csv(tmp_path, [MAY[0], MAY[1]])
    first = run_activity(path, now)
    assert first.skipped == {"unknown_email": 2} and _remembered() == []
    subscriber("ada@example.com", now)
    again = run_activity(path, now)
    assert again.events == {"clicked": 1, "opened": 1}


def test_an_undo_forgets_the_files_its_batch_read(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    path = activity_csv(tmp_path, [MAY[0], MAY[1]])
    first = run_activity(path, now)
    assert len(_remembered()) == 1
    undo_import(first.batch_id, now=now)
    assert _remembered() == []
    assert run_activity(path, now).events == {"clicked": 1, "opened": 1}


def test_a_zip_member_is_told_by_its_name_size_and_crc(db, now, tmp_path, monkeypatch) -> None:
    import zipfile

    subscriber("ada@example.com", now)
    text = activity_csv(tmp_path, [MAY[0], MAY[1]]).read_text(encoding="utf-8")
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("activity/may.csv", text)
    run_activity(path, now)
    read = _read_rows(monkeypatch)
    assert run_activity(path, now).already_imported == 2 and read == []
    with zipfile.ZipFile(path, "w") as archive:  # the same size, another content
        archive.writestr("activity/may.csv", text.replace("10:00:00", "11:00:00"))
    assert run_activity(path, now).events == {"clicked": 1, "opened": 1}
    assert read == ["activity/may.csv"]
