"""SIGKILL in the middle of a large import leaves the database exactly as it was."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crm.store.db import close_database
from crm.store.health import quick_check
from tests.crm.safety_helpers import add_people

ROOT = Path(__file__).resolve().parents[3]
ROWS = 200_000
TABLES = ("lead", "tag", "lead_tag", "commitment", "ask", "lead_event", "import_batch",
          "import_change")  # fmt: skip

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _counts(path: Path) -> dict[str, int]:
    con = sqlite3.connect(path)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def _big_csv(path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["email", "first_name", "last_name", "company", "tags"])
        out.writerows(
            (f"p{i}@example{i % 97}.com", f"First{i}", "Last", f"Co {i % 500}", "new;spring")
            for i in range(ROWS)
        )


def test_sigkill_mid_import_changes_nothing(db, db_path: Path, tmp_path: Path, now) -> None:
    add_people(50, now)
    close_database(db)
    before = _counts(db_path)
    source = tmp_path / "big.csv"
    _big_csv(source)
    wal = db_path.with_name(db_path.name + "-wal")

    proc = subprocess.Popen(
        [sys.executable, "-m", "crm", "--db", str(db_path), "import", str(source)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Mid-way: the import's one transaction has started spilling pages into the journal.
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the import finished before it could be killed"

    assert quick_check(db_path) == []
    assert _counts(db_path) == before
