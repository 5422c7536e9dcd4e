"""Background jobs: what reaches the window when a job ends."""

from __future__ import annotations

import sqlite3

from crm.book.leads import add_lead
from crm.errors import StorageError
from ui.events import AppEvents
from ui.workers import JobFailure, TaskRunner


def _failing(exc: BaseException):
    def job(_progress, _cancel):
        raise exc

    return job


def test_a_full_disk_in_a_job_is_a_message_not_a_crash(qtbot, db) -> None:
    runner = TaskRunner()
    failed: list[JobFailure] = []
    runner.sig_failed.connect(failed.append)
    with qtbot.waitSignal(runner.sig_failed, timeout=5_000):
        runner.start(_failing(sqlite3.OperationalError("database or disk is full")))
    runner.shutdown()
    assert not failed[0].bug
    assert isinstance(failed[0].error, StorageError)
    assert failed[0].message.startswith("The disk is full")


def test_a_bug_in_a_job_is_still_a_crash(qtbot, db) -> None:
    runner = TaskRunner()
    failed: list[JobFailure] = []
    runner.sig_failed.connect(failed.append)
    with qtbot.waitSignal(runner.sig_failed, timeout=5_000):
        runner.start(_failing(RuntimeError("boom")))
    runner.shutdown()
    assert [type(f.error) for f in failed] == [RuntimeError]
    assert failed[0].bug and "log file" in failed[0].message


def test_what_a_job_wrote_is_published_before_its_result(qtbot, db, now) -> None:
    events = AppEvents()
    runner = TaskRunner(events=events)
    seen: list[object] = []
    events.changed.connect(lambda change, origin: seen.append((change.leads, origin)))
    runner.sig_finished.connect(seen.append)
    with qtbot.waitSignal(runner.sig_finished, timeout=5_000):
        runner.start(lambda _p, _c: add_lead("ada@example.com", now=now).id)
    runner.shutdown()
    lead_id = seen[-1]
    assert seen == [(frozenset({lead_id}), None), lead_id]
