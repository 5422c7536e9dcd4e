"""Benchmark: the sidebar's segment counts on the 100,000-lead demo book.

    .venv/bin/python bench/segments.py [--rounds 5]

A handful of segments an owner would save (subscribed; a tag; step at least downloaded
and engaged within 90 days; never asked and no tag; a custom-field condition). Per
round, for each segment, in this order (A B A B):

- the floor: one raw ``sqlite3`` ``SELECT count(*) FROM lead l WHERE ...`` with the same
  WHERE text and parameters the lead list builds (read once, outside the timing);
- ``Segment.count()`` as the sidebar calls it: the stored filter read back, turned into
  the lead list's query, and counted.

Each ratio is the segment's time over its floor measured just before it; the median over
every segment and round is printed with min and max beside the goal (<= 3x).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_db import OUT, demo_db  # noqa: E402
from paired import Paired  # noqa: E402

from crm.book.filters import LeadFilter  # noqa: E402
from crm.book.leads import FieldFilter, lead_where  # noqa: E402
from crm.book.segments import get_segment, save_segment  # noqa: E402
from crm.store.db import PRAGMAS, close_database, open_database  # noqa: E402

GOAL = 3.0
SEGMENTS = {
    "Subscribed": LeadFilter(status="subscribed"),
    "Tagged": LeadFilter(tags_all=("mindset",)),
    "Warm": LeadFilter(min_step="downloaded", engaged_within=90),
    "Never asked, untagged": LeadFilter(never_asked=True, tags_none=("mindset",)),
    "Plan field": LeadFilter(fields=(FieldFilter("plan", "equals", "pro"),)),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(dir=OUT))
    path = folder / "segments.db"
    shutil.copyfile(demo_db(), path)  # the segments are saved in a copy
    db = open_database(path)
    raw = sqlite3.connect(path, isolation_level=None)
    for name, value in PRAGMAS.items():
        raw.execute(f"PRAGMA {name} = {value}")
    pair = Paired("segment counts", "raw SELECT count(*)", unit="ms")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        with db.atomic():
            for name, flt in SEGMENTS.items():
                save_segment(name, flt, now=now, replace=True)
        for round_no in range(1, args.rounds + 1):
            for name in SEGMENTS:
                where, params = lead_where(get_segment(name).filter.query(now=now))
                started = time.perf_counter()
                (want,) = raw.execute(f"SELECT count(*) FROM lead l{where}", params).fetchone()
                floor = time.perf_counter() - started
                started = time.perf_counter()
                got = get_segment(name).count()
                took = time.perf_counter() - started
                assert got == want, (name, got, want)
                ratio = pair.add(took, floor)
                print(
                    f"round {round_no} {name:<22} {got:>7,} leads: {took * 1000:7.1f} ms, "
                    f"floor {floor * 1000:7.1f} ms, {ratio:5.2f}x",
                    flush=True,
                )
    finally:
        raw.close()
        close_database(db)
        shutil.rmtree(folder)
    print("\n" + pair.line(goal=GOAL))
    return 0 if pair.ok(GOAL) else 1


if __name__ == "__main__":
    raise SystemExit(main())
