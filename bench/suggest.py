"""Today's asks over 100,000 demo leads, as a ratio of a floor measured beside it.

The headline, as a user waits for it: ``smallyes-cli suggest --limit 500 --json``, the
whole process, against a process that runs one aggregate of every lead's yeses and asks
and prints the 500 most recent (``bench/floor_suggest.py``); goal <= 3x. Then, in-process:

floor: one raw sqlite3 aggregate over all commitments and asks grouped by lead (the least
any engine must read). Measured: Today's page, ``todays_asks_page(now, 500)`` (the stored
next asks brought up to date, the best 500 and the count of every due lead), goal at most 8x
the floor; ``todays_asks`` (every due lead listed, each worked out again for its words, as
``suggest --json`` without a limit prints them); the evidence alone; wording every due
lead's message and reason (suggestions word their texts on first read, so that cost comes
on top when every text is wanted); and the page again right after one yes logged by hand
(on a copy of the book: that lead is worked out again, and the acceptance rates are checked
for a move).

Each round measures the floor right before each figure, so a machine that slows down or
speeds up during the run moves both alike; the ratios' min, median and max over the rounds
are printed, with each figure's median time.

    .venv/bin/python bench/suggest.py [--db PATH] [--leads 100000] [--rounds 5]

Without ``--db`` the shared demo database of ``bench/demo_db.py`` is used (built once).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo_db import demo_db  # noqa: E402
from paired import Paired, run_process, timed  # noqa: E402

from crm.asking.due import load_evidence, todays_asks, todays_asks_page  # noqa: E402
from crm.store.db import close_database, open_database  # noqa: E402
from crm.timefmt import utc_now  # noqa: E402

FLOOR_SQL = """
SELECT lead_id, count(*), max(at) FROM (
  SELECT lead_id, at FROM commitment UNION ALL SELECT lead_id, asked_at FROM ask
) GROUP BY lead_id
"""
GOAL = 8.0
PROCESS_GOAL = 3.0


def _page_after_a_yes(path: Path, rounds: int) -> Paired:
    """Today's page right after one yes logged by hand, each round a different lead, on a
    copy of the book (its stored next asks filled first, as an open window keeps them)."""
    import random
    import shutil
    import tempfile

    from crm.book.timeline import record_commitment
    from crm.changes import collecting

    pair = Paired("todays_asks_page after one logged yes", "floor", unit="ms")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "book.db"
        shutil.copyfile(path, copy)
        raw = sqlite3.connect(copy)
        db = open_database(copy)
        try:
            now = utc_now()
            todays_asks_page(now, 500)
            ids = [r[0] for r in raw.execute("SELECT id FROM lead WHERE status = 'subscribed'")]
            rng = random.Random(7)
            for _ in range(rounds):
                with collecting():
                    record_commitment(rng.choice(ids), "downloaded", at=now, now=now)
                base, _ = timed(lambda: raw.execute(FLOOR_SQL).fetchall())
                took, _ = timed(lambda: todays_asks_page(now, 500))
                pair.add(took, base)
        finally:
            close_database(db)
            raw.close()
    return pair


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a demo database (default: bench/demo_db.py's)")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = Path(args.db) if args.db else demo_db(args.leads)

    process = Paired("suggest --limit 500 --json (whole process)", "floor process")
    suggest_cmd = [sys.executable, "-m", "crm", "--db", str(path), "suggest", "--limit", "500"]
    floor_cmd = [sys.executable, str(ROOT / "bench" / "floor_suggest.py"), str(path)]
    run_process([*suggest_cmd, "--json"], cwd=ROOT)  # warm the file cache and .pyc files
    for _ in range(args.rounds):
        base, _ = run_process(floor_cmd, cwd=ROOT)
        took, _ = run_process([*suggest_cmd, "--json"], cwd=ROOT)
        process.add(took, base)

    raw = sqlite3.connect(path)
    db = open_database(path)
    now = utc_now()
    names = ("evidence", "todays_asks", "page", "words")
    times: dict[str, list[float]] = {name: [] for name in names}
    floors: list[float] = []
    ratios: dict[str, list[float]] = {name: [] for name in names}
    items: list = []
    page: Any = None

    def pair(name: str, fn: Callable[[], Any]) -> Any:
        floor, _ = timed(lambda: raw.execute(FLOOR_SQL).fetchall())
        took, result = timed(fn)
        floors.append(floor)
        times[name].append(took)
        ratios[name].append(took / floor)
        return result

    def word_all() -> None:
        for item in items:
            item.suggestion.message, item.suggestion.reason, item.suggestion.summary  # noqa: B018

    try:
        for _ in range(args.rounds):
            pair("evidence", load_evidence)
            # the previous round's 80,000 suggestions are let go before the clock starts
            items = []
            items = pair("todays_asks", lambda: todays_asks(now))
            # texts are worded on first read: what wording every due lead costs on top (as
            # `suggest --json` without --limit does), where Today words a screenful
            pair("words", word_all)
            page = None
            page = pair("page", lambda: todays_asks_page(now, 500))
    finally:
        close_database(db)
        raw.close()

    after_yes = _page_after_a_yes(path, args.rounds)
    leads = sqlite3.connect(path).execute("SELECT count(*) FROM lead").fetchone()[0]
    labels = {
        "evidence": "evidence alone (rates + medians, as for one lead)",
        "todays_asks": "todays_asks (every due lead listed)",
        "page": "todays_asks_page (the best 500, as Today shows)",
        "words": "  + wording every due lead's message and reason",
    }
    print(f"leads: {leads}, due today: {len(items)}, counted due by the page: {page.total_due}")
    print(f"rounds: {args.rounds}, each figure timed right after its own floor")
    print(f"{'':52} {'median':>8}   ratio to floor: min / median / max")
    print(
        f"{'floor (one aggregate over commitments+asks by lead)':52} "
        f"{statistics.median(floors) * 1000:6.0f} ms"
    )
    for name in ("evidence", "todays_asks", "page", "words"):
        r = ratios[name]
        print(
            f"{labels[name]:52} {statistics.median(times[name]) * 1000:6.0f} ms   "
            f"{min(r):5.2f}x / {statistics.median(r):5.2f}x / {max(r):5.2f}x"
        )
    print(after_yes.line())
    # Today (the page and `suggest --limit`) reads the best few; every due lead listed is
    # what `suggest --json` without a limit prints.
    ratio = statistics.median(ratios["page"])
    print(f"Today's page: {ratio:.2f}x (goal <= {GOAL:g}x) -> {'OK' if ratio <= GOAL else 'OVER'}")
    print(process.line(goal=PROCESS_GOAL))
    return 0 if ratio <= GOAL and process.ok(PROCESS_GOAL) else 1


if __name__ == "__main__":
    sys.exit(main())
