"""Benchmark: a bulk tag of every lead of the 100,000-lead demo book, and its undo.

    .venv/bin/python bench/bulk.py [--rounds 3] [--leads 100000]

Two copies of the demo book; per round, in this order (A B A B):

- the floor: one raw ``sqlite3`` ``INSERT INTO lead_tag ... SELECT`` of a new tag for
  every lead, committed, on the first copy (the app's pragmas);
- ``crm.book.bulk.bulk_tag`` of every lead (``Selection.every_lead()``) on the second copy:
  the selection, the batch, the tags with their batch, the tag rules, the history row;
- the floor of the undo: one raw ``DELETE FROM lead_tag WHERE tag_id = ?``, committed;
- ``crm.book.bulk.undo_change`` of that change.

Each ratio is the app's time over the floor measured just before it; the medians are
printed with their goals: bulk tag <= 3x, its undo <= 3x. A bulk delete of every lead
and its undo are timed once at the end, for reading (no goal).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_db import OUT, demo_db  # noqa: E402

from crm.book.bulk import Selection, bulk_delete, bulk_tag, undo_change  # noqa: E402
from crm.store.db import PRAGMAS, close_database, open_database  # noqa: E402

GOALS = {"bulk tag": 3.0, "undo": 3.0}
NOW = dt.datetime(2026, 6, 15, 12, 0, 0)


def _raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for name, value in PRAGMAS.items():
        conn.execute(f"PRAGMA {name} = {value}")
    return conn


def floor_tag(conn: sqlite3.Connection, name: str) -> tuple[float, int]:
    """Seconds for one INSERT ... SELECT of a new tag for every lead (and the tag's id)."""
    tag_id = conn.execute("INSERT INTO tag (name) VALUES (?)", [name]).lastrowid
    assert tag_id is not None
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO lead_tag (lead_id, tag_id) SELECT id, ? FROM lead WHERE status != 'erased'",
        [tag_id],
    )
    conn.execute("COMMIT")
    return time.perf_counter() - started, tag_id


def floor_untag(conn: sqlite3.Connection, tag_id: int) -> float:
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM lead_tag WHERE tag_id = ?", [tag_id])
    conn.execute("COMMIT")
    took = time.perf_counter() - started
    conn.execute("DELETE FROM tag WHERE id = ?", [tag_id])
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--leads", type=int, default=100_000)
    args = parser.parse_args()
    demo = demo_db(args.leads)
    ratios: dict[str, list[float]] = {"bulk tag": [], "undo": []}
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        folder = Path(tmp)
        floor_path, book_path = folder / "floor.db", folder / "book.db"
        shutil.copyfile(demo, floor_path)
        shutil.copyfile(demo, book_path)
        raw = _raw(floor_path)
        db = open_database(book_path)
        try:
            for round_no in range(1, args.rounds + 1):
                base, tag_id = floor_tag(raw, f"floor {round_no}")
                started = time.perf_counter()
                report = bulk_tag(Selection.every_lead(), f"promo {round_no}", now=NOW)
                took = time.perf_counter() - started
                ratios["bulk tag"].append(took / base)
                print(
                    f"round {round_no} bulk tag: {took:.2f} s for {report.changed:,} leads, "
                    f"floor {base:.2f} s, {took / base:.2f}x",
                    flush=True,
                )
                base = floor_untag(raw, tag_id)
                assert report.batch is not None
                started = time.perf_counter()
                undone = undo_change(report.batch, now=NOW)
                took = time.perf_counter() - started
                ratios["undo"].append(took / base)
                print(
                    f"round {round_no} undo: {took:.2f} s for {undone.restored:,} leads, "
                    f"floor {base:.2f} s, {took / base:.2f}x",
                    flush=True,
                )
            started = time.perf_counter()
            deleted = bulk_delete(Selection.every_lead(), now=NOW)
            took = time.perf_counter() - started
            print(f"bulk delete of {deleted.changed:,} leads: {took:.1f} s", flush=True)
            assert deleted.batch is not None
            started = time.perf_counter()
            back = undo_change(deleted.batch, now=NOW)
            print(
                f"its undo: {time.perf_counter() - started:.1f} s, {back.restored:,} back",
                flush=True,
            )
        finally:
            close_database(db)
            raw.close()
    print(f"\nmedians over {args.rounds} rounds (each against the floor just before it):")
    failed = False
    for name, values in ratios.items():
        ratio = statistics.median(values)
        verdict = "ok" if ratio <= GOALS[name] else "OVER"
        failed |= verdict != "ok"
        print(f"  {name:<10} {ratio:6.2f}x the floor   (goal <= {GOALS[name]}x) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
