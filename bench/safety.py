"""Benchmark: data safety on 100,000 leads, each job against its physical floor.

    .venv/bin/python bench/safety.py

Works on a copy of the shared demo database. Floors: a plain file copy for a backup and a
restore (the bytes must be read and written once), a bare ``sqlite3`` SELECT written with
``csv.writer`` for the CSV export, a bare ``VACUUM`` for "Forget this person" (it rewrites
the file on purpose, so no old value survives in free space), and ``quick_check`` itself
for the start-up health check (shown in milliseconds: it is what start-up pays).
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from demo_db import demo_db

from crm.book.exporting import export_leads_csv
from crm.book.leads import list_leads
from crm.safety.backup import backup_now, restore
from crm.safety.forget import forget_lead
from crm.store.db import close_database, open_database
from crm.store.health import quick_check
from crm.timefmt import utc_now


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def row(name: str, job: float, floor: float) -> None:
    print(f"{name:<22}{job:>9.2f} s{floor:>9.2f} s{job / floor:>8.2f}x")


def main() -> int:
    source = demo_db()
    work = Path(tempfile.mkdtemp(prefix="smallyes-bench-"))
    try:
        path = work / "smallyes.db"
        shutil.copyfile(source, path)
        size_mb = path.stat().st_size / 1e6
        print(f"database: {size_mb:.0f} MB, 100,000 leads\n")
        print(f"{'job':<22}{'time':>11}{'floor':>11}{'ratio':>9}")

        check_s = seconds(lambda: quick_check(path))
        print(f"{'quick_check at start':<22}{check_s * 1000:>9.0f} ms")

        db = open_database(path)
        now = utc_now()
        backup = work / "backup.db"
        job = seconds(lambda: backup_now(backup, now=now))
        floor = seconds(lambda: shutil.copyfile(path, work / "plain-copy.db"))
        row("backup now", job, floor)

        out = work / "leads.csv"
        job = seconds(lambda: export_leads_csv(out))
        raw = sqlite3.connect(path)

        def floor_export() -> None:
            with open(work / "floor.csv", "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerows(
                    raw.execute(
                        "SELECT email, first_name, last_name, company, phone, status, "
                        "(SELECT group_concat(t.name, '; ') FROM lead_tag lt JOIN tag t "
                        "ON t.id = lt.tag_id WHERE lt.lead_id = l.id), notes, created_at "
                        "FROM lead l ORDER BY last_name, first_name"
                    )
                )

        row("export 100k to CSV", job, seconds(floor_export))

        lead = list_leads(limit=1)[0]
        job = seconds(lambda: forget_lead(lead.id))
        floor = seconds(lambda: raw.execute("VACUUM"))
        raw.close()
        row("forget one person", job, floor)
        close_database(db)

        job = seconds(lambda: restore(backup, path, now=now))
        floor = seconds(lambda: shutil.copyfile(backup, work / "plain-copy-2.db"))
        row("restore", job, floor)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
