"""Background jobs: what reaches the window when a job ends."""

from __future__ import annotations

import sqlite3

from crm.errors import StorageError
from ui.workers import TaskRunner


def _failing(exc: BaseException):
    def job(_progress, _cancel):
        raise exc

    return job


def test_a_full_disk_in_a_job_is_a_message_not_a_crash(qtbot, db) -> None:
    runner = TaskRunner()
    failed: list[BaseException] = []
    crashed: list[BaseException] = []
    runner.sig_failed.connect(failed.append)
    runner.sig_crashed.connect(crashed.append)
    with qtbot.waitSignal(runner.sig_failed, timeout=5_000):
        runner.start(_failing(sqlite3.OperationalError("database or disk is full")))
    runner.shutdown()
    assert crashed == []
    assert isinstance(failed[0], StorageError)
    assert failed[0].user_message.startswith("The disk is full")


def test_a_bug_in_a_job_is_still_a_crash(qtbot, db) -> None:
    runner = TaskRunner()
    crashed: list[BaseException] = []
    runner.sig_crashed.connect(crashed.append)
    with qtbot.waitSignal(runner.sig_crashed, timeout=5_000):
        runner.start(_failing(RuntimeError("boom")))
    runner.shutdown()
    assert [type(e) for e in crashed] == [RuntimeError]
