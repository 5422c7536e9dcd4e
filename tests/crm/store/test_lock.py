"""Two instances on one database: the lock file, and writers that lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from crm.cli import main
from crm.errors import AlreadyRunningError
from crm.store.lock import acquire_instance_lock, ensure_not_running, lock_path
from tests.crm.safety_helpers import lead_count

ROOT = Path(__file__).resolve().parents[3]


def _holder(db_path: Path) -> subprocess.Popen[str]:
    """Another process that takes the lock and keeps it until killed."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from crm.store.lock import acquire_instance_lock
        lock = acquire_instance_lock(Path({str(db_path)!r}))
        print("locked", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def test_the_second_instance_is_told_the_first_is_running(db_path: Path) -> None:
    proc = _holder(db_path)
    try:
        with pytest.raises(AlreadyRunningError) as caught:
            acquire_instance_lock(db_path)
        assert caught.value.pid == proc.pid
        assert f"process {proc.pid}" in caught.value.user_message
        assert "already open" in caught.value.user_message
    finally:
        _stop(proc)


def test_a_crashed_instance_does_not_block_the_next_start(db_path: Path) -> None:
    proc = _holder(db_path)
    os.kill(proc.pid, signal.SIGKILL)
    _stop(proc)
    assert lock_path(db_path).exists()  # left behind by the crash
    with acquire_instance_lock(db_path) as lock:
        assert lock.held
        assert lock_path(db_path).read_text().strip() == str(os.getpid())
    assert not lock.held


def test_the_lock_is_one_per_database_and_owner_only(db_path: Path, tmp_path: Path) -> None:
    with acquire_instance_lock(db_path):
        with pytest.raises(AlreadyRunningError):
            acquire_instance_lock(db_path)
        with acquire_instance_lock(tmp_path / "other.db"):
            pass
        assert lock_path(db_path).stat().st_mode & 0o077 == 0
    with acquire_instance_lock(db_path):
        pass


def test_restore_refuses_while_a_window_is_open(db_path: Path, tmp_path: Path, capsys) -> None:
    assert main(["--db", str(db_path), "backup", "-o", str(tmp_path / "b.db")]) == 0
    proc = _holder(db_path)
    try:
        before = db_path.read_bytes()
        code = main(["--db", str(db_path), "restore", str(tmp_path / "b.db")])
        err = capsys.readouterr().err
        assert code == 1 and "close the window first, then restore" in err
        assert db_path.read_bytes() == before
    finally:
        _stop(proc)
    ensure_not_running(db_path, "restore")


_WRITER = textwrap.dedent(
    """
    import sys, datetime as dt
    from crm.store.db import open_database
    from crm.book.leads import add_lead, tag_lead
    from crm.book.timeline import record_commitment
    db = open_database(sys.argv[1])
    now = dt.datetime(2026, 6, 15, 12)
    for i in range(int(sys.argv[3])):
        lead = add_lead(f"{sys.argv[2]}-{i}@example.com", now=now)
        tag_lead(lead.id, ["shared", sys.argv[2]])
        record_commitment(lead.id, "subscribed", at=now, now=now)
    db.close()
    """
)


def test_concurrent_writers_lose_nothing(db_path: Path) -> None:
    per_writer = 120
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db_path), f"w{n}", str(per_writer)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0], errors
    assert lead_count(db_path) == 3 * per_writer
    import sqlite3

    con = sqlite3.connect(db_path)
    try:
        assert con.execute("SELECT count(*) FROM commitment").fetchone()[0] == 3 * per_writer
        assert con.execute("SELECT count(*) FROM lead_tag").fetchone()[0] == 6 * per_writer
        assert con.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        con.close()


def test_the_funnel_reads_while_another_program_writes(db, db_path: Path, now) -> None:
    import sqlite3

    from crm.analytics.funnel import compute_funnel
    from tests.crm.safety_helpers import add_people

    add_people(5, now)
    writer = sqlite3.connect(db_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM lead")
    try:
        start = time.monotonic()
        compute_funnel()
        assert time.monotonic() - start < 5  # the busy timeout is 10 s: it did not wait
    finally:
        writer.execute("ROLLBACK")
        writer.close()
