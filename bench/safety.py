"""Benchmark: data safety on 100,000 leads, each job against its physical floor.

    .venv/bin/python bench/safety.py [--rounds 3]

Works on a copy of the shared demo database. Floors: a plain file copy for a backup and a
restore (the bytes must be read and written once), a bare ``sqlite3`` SELECT written with
``csv.writer`` for the CSV export, a bare ``VACUUM`` for "Forget this person" (it rewrites
the file on purpose, so no old value survives in free space), and ``quick_check`` itself
for the start-up health check (shown in milliseconds: it is what start-up pays). Each job
is timed right after its floor, round after round; the median of the ratios is quoted.
"""

from __future__ import annotations

import argparse
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
from paired import Paired

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    source = demo_db()
    work = Path(tempfile.mkdtemp(prefix="smallyes-bench-"))
    pairs = {
        "backup": Paired("backup now", "file copy"),
        "export": Paired("export 100k to CSV", "bare SELECT + csv.writer"),
        "forget": Paired("forget one person", "bare VACUUM"),
        "restore": Paired("restore", "file copy"),
    }
    try:
        path = work / "smallyes.db"
        shutil.copyfile(source, path)
        size_mb = path.stat().st_size / 1e6
        print(f"database: {size_mb:.0f} MB, 100,000 leads")
        check_s = seconds(lambda: quick_check(path))
        print(f"quick_check at start: {check_s * 1000:.0f} ms\n")
        now = utc_now()
        backup = work / "backup.db"
        for _ in range(args.rounds):
            db = open_database(path)
            raw = sqlite3.connect(path)
            base = seconds(lambda: shutil.copyfile(path, work / "plain-copy.db"))
            backup.unlink(missing_ok=True)
            pairs["backup"].add(seconds(lambda: backup_now(backup, now=now)), base)

            def floor_export(raw: sqlite3.Connection = raw) -> None:
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

            base = seconds(floor_export)
            pairs["export"].add(seconds(lambda: export_leads_csv(work / "leads.csv")), base)
            lead = list_leads(limit=1)[0]
            base = seconds(lambda raw=raw: raw.execute("VACUUM"))
            raw.close()
            pairs["forget"].add(seconds(lambda lead=lead: forget_lead(lead.id)), base)
            close_database(db)
            base = seconds(lambda: shutil.copyfile(backup, work / "plain-copy-2.db"))
            pairs["restore"].add(seconds(lambda: restore(backup, path, now=now)), base)
        for pair in pairs.values():
            print(pair.line())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
