"""An activity import is one batch: a dry run writes nothing, undo puts the book back as
it was (events, yeses, answers, new contacts, statuses, answered asks, cached columns),
and the lead cache agrees with a recompute after both."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm.asking.asks import record_ask
from crm.importing.undo import get_import, undo_import
from crm.store.models import database_proxy
from tests.crm.book.test_lead_cache import assert_cache_is_recomputed
from tests.crm.importing.activity.apply_helpers import (
    activity_csv,
    run_activity,
    subscriber,
    use_simple_reader,
)
from tests.crm.importing.conftest import dump_tables

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def _book(now: dt.datetime, tmp_path: Path) -> Path:
    ada = subscriber("ada@example.com", now)
    subscriber("bob@example.com", now)
    record_ask(ada, "clicked", at=now - 6 * DAY, now=now)
    stamp = (now - 4 * DAY).isoformat(sep=" ")
    return activity_csv(
        tmp_path,
        [
            ["ada@example.com", stamp, "clicked", "https://example.com/blog"],
            ["ada@example.com", stamp, "opened", ""],
            ["bob@example.com", stamp, "unsubscribed", ""],
            ["bob@example.com", stamp, "replied", ""],
            ["nova@example.com", stamp, "answered", "Which topic?=Pricing"],
            ["stranger@example.com", stamp, "opened", ""],
        ],
    )


def _count(table: str) -> int:
    return database_proxy.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_undo_puts_the_book_back_and_the_cache_agrees(db, now, tmp_path) -> None:
    path = _book(now, tmp_path)
    before = dump_tables(skip=("import_batch",))
    report = run_activity(path, now)
    assert report.events == {"clicked": 1, "opened": 1, "replied": 1, "answered": 1}
    assert (report.created, report.resolved_asks, report.updated) == (1, 1, 1)
    assert get_import(report.batch_id).platform == "simple_activity"
    assert_cache_is_recomputed()
    assert _count("commitment_answer") == 1
    undone = undo_import(report.batch_id, now=now)
    assert undone.removed == 1  # the contact the answer made
    assert_cache_is_recomputed()
    assert dump_tables(skip=("import_batch",)) == before
    assert get_import(report.batch_id).undone_at == now


def test_a_dry_run_writes_nothing_and_counts_as_the_import_would(db, now, tmp_path) -> None:
    path = _book(now, tmp_path)
    before = dump_tables()
    dry = run_activity(path, now, dry_run=True)
    assert dry.batch_id is None and dry.dry_run
    assert dump_tables() == before
    real = run_activity(path, now)
    for name in ("events", "skipped", "created", "resolved_asks", "status_changes", "rows"):
        assert getattr(dry, name) == getattr(real, name), name


def test_the_batch_is_of_kind_activity(db, now, tmp_path) -> None:
    report = run_activity(_book(now, tmp_path), now)
    kind, rows = database_proxy.execute_sql(
        "SELECT kind, rows FROM import_batch WHERE id = ?", [report.batch_id]
    ).fetchone()
    assert (kind, rows) == ("activity", 6)


def test_a_header_only_file_writes_no_batch(db, now, tmp_path) -> None:
    report = run_activity(activity_csv(tmp_path, []), now)
    assert report.batch_id is None and report.rows == 0
    assert _count("import_batch") == 0


def test_a_cancelled_import_writes_nothing(db, now, tmp_path) -> None:
    from crm.errors import OperationCancelled
    from crm.importing import ImportOptions, import_csv
    from crm.jobs import CancelToken

    path = _book(now, tmp_path)
    before = dump_tables()
    token = CancelToken()
    token.cancel()
    with pytest.raises(OperationCancelled):
        import_csv(path, ImportOptions(), now=now, cancel=token)
    assert dump_tables() == before
