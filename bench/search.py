"""Benchmark: search-as-you-type over 100,000 leads, against a raw sqlite3 floor.

    .venv/bin/python bench/search.py [--runs N] [--db BOOK]

For each prefix a user types on the way to a name, email or company, times the first
page the lead table shows (``crm.book.leads.list_leads(query, 0, 200)``, rows turned into
``LeadRow`` values) and, beside it, the floor: a bare ``sqlite3`` LIKE query for the same
200 rows in the same order, fetching raw tuples; the two alternate, each page timed right
after its floor, and the ratio is the median of those pairs (min and max beside it). Also
shows the status bar's match count, which the page runs once typing pauses. Goal: first
page within 50 ms.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from demo_db import demo_db
from paired import Paired, timed

from crm.book.leads import LeadQuery, SortKey, count_leads, list_leads
from crm.store.db import close_database, open_database

GOAL_MS = 50.0
PAGE = 200
# What a user types, one keystroke at a time, in the app's default order (last yes first).
TYPED = ("s", "so", "sof", "sofi", "sofia", "kōhī", "example.org", "zhang9", "xq")


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument(
        "--db", type=Path, help="another book (bench/activity_import.py --keep writes one)"
    )
    args = parser.parse_args()
    path = args.db or demo_db()
    db = open_database(path)
    raw = sqlite3.connect(path)
    floor_sql = (
        "SELECT * FROM lead WHERE search_text LIKE ? ESCAPE '\\' "
        "ORDER BY last_commitment_at DESC, id DESC LIMIT ?"
    )
    print(
        f"{'typed':<13}{'matches':>9}{'first page':>12}{'floor':>9}{'ratio':>8}"
        f"{'min':>7}{'max':>7}{'count':>9}"
    )
    worst = 0.0
    for text in TYPED:
        query = LeadQuery(search=text, sort=SortKey.LAST_YES, descending=True)
        pattern = f"%{text.casefold()}%"
        pair = Paired(text, "raw LIKE", unit="ms")
        for _ in range(args.runs):
            base, _ = timed(lambda p=pattern: raw.execute(floor_sql, (p, PAGE)).fetchall())
            took, _ = timed(lambda q=query: list_leads(q, 0, PAGE))
            pair.add(took, base)
        page_ms = statistics.median(pair.figures) * 1000
        floor_ms = statistics.median(pair.floors) * 1000
        count_ms = median_ms(lambda q=query: count_leads(q), args.runs)
        matches = count_leads(query)
        worst = max(worst, page_ms)
        print(
            f"{text:<13}{matches:>9,}{page_ms:>10.1f}ms{floor_ms:>7.1f}ms"
            f"{pair.median:>7.2f}x{min(pair.ratios):>6.2f}x{max(pair.ratios):>6.2f}x"
            f"{count_ms:>7.1f}ms"
        )
    print(
        f"worst first page: {worst:.1f} ms (goal <= {GOAL_MS:.0f} ms): "
        f"{'ok' if worst <= GOAL_MS else 'OVER'}"
    )
    raw.close()
    close_database(db)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
