"""The activity import reports progress and stops on cancel between chunks; arbitrary
bytes give a report or the importer's own error, never another exception."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import OperationCancelled, SmallyesError
from crm.importing import ImportOptions, import_csv
from crm.importing.activity import apply
from crm.jobs import CancelToken
from crm.store.models import database_proxy
from tests.crm.importing.activity.apply_helpers import (
    HEADER,
    activity_csv,
    run_activity,
    subscriber,
    use_simple_reader,
)


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def _opens(n: int) -> list[list[str]]:
    return [
        ["ada@example.com", f"2026-05-{1 + i // 1440:02d} {i // 60 % 24:02d}:{i % 60:02d}:00",
         "opened", ""]
        for i in range(n)
    ]  # fmt: skip


def test_progress_is_reported_and_ends_at_the_rows_read(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    seen: list[tuple[int, int]] = []
    path = activity_csv(tmp_path, _opens(9000))
    report = import_csv(path, ImportOptions(), now=now, progress=lambda d, t: seen.append((d, t)))
    assert report.rows == 9000
    assert seen[-1] == (9000, 9000)
    assert all(done <= total for done, total in seen)


def test_a_cancel_between_chunks_rolls_everything_back(db, now, tmp_path, monkeypatch) -> None:
    subscriber("ada@example.com", now)
    monkeypatch.setattr(apply, "PROGRESS_EVERY_S", 0.0)
    token = CancelToken()
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if done >= apply.CHUNK_ROWS:
            token.cancel()

    path = activity_csv(tmp_path, _opens(3 * apply.CHUNK_ROWS))
    with pytest.raises(OperationCancelled):
        import_csv(path, ImportOptions(), now=now, progress=progress, cancel=token)
    assert calls  # it got going before the cancel
    assert database_proxy.execute_sql("SELECT count(*) FROM activity_event").fetchone()[0] == 0
    assert database_proxy.execute_sql("SELECT count(*) FROM import_batch").fetchone()[0] == 0


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=300).map(lambda t: (",".join(HEADER) + "\n" + t).encode("utf-8")),
    )
)
def test_arbitrary_bytes_give_a_report_or_the_importers_own_error(db, now, tmp_path, data) -> None:
    path = Path(tmp_path) / "any.csv"
    path.write_bytes(data)
    with contextlib.suppress(SmallyesError):
        import_csv(path, ImportOptions(), now=now)


def test_a_reader_row_rejected_is_counted_with_its_reason(db, now, tmp_path) -> None:
    report = run_activity(
        activity_csv(tmp_path, [["ada@example.com", "2026-05-01 10:00:00", "waved", ""]]), now
    )
    assert report.rejected == 1
    assert "'waved' is not an action" in report.errors[0].reason
