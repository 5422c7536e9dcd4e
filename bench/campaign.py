"""A campaign's plan over every lead of the 100,000-lead demo, against Today's own figure.

Measured: ``crm.asking.eligibility.plan_campaign`` for "downloaded" over the whole book (who
may be asked, and how many are held back by each reason), and the same with the filter the
contract uses (``--max-step subscribed``). Floor: ``crm.asking.due.todays_asks`` over the
same book, every due lead listed with the engine's words for each, measured in the same run. The two
alternate (A B A B), and the ratio is the median of each round's plan time over the Today
time measured just before it. Goal: at most 1x. Then, on a copy of the book, one campaign
to every lead eligible (the asks and the audience file) and its undo, timed once.

    .venv/bin/python bench/campaign.py [--db PATH] [--leads 100000] [--rounds 5]

Without ``--db`` the shared demo database of ``bench/demo_db.py`` is used (built once).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo_db import demo_db  # noqa: E402
from paired import Paired, timed  # noqa: E402

from crm.asking.campaigns import create_campaign, undo_campaign  # noqa: E402
from crm.asking.due import todays_asks  # noqa: E402
from crm.asking.eligibility import plan_campaign  # noqa: E402
from crm.book.filters import LeadFilter  # noqa: E402
from crm.store.db import close_database, open_database  # noqa: E402
from crm.timefmt import utc_now  # noqa: E402

GOAL = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a demo database (default: bench/demo_db.py's)")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = Path(args.db) if args.db else demo_db(args.leads)
    db = open_database(path)
    now = utc_now()
    every, few = LeadFilter(), LeadFilter(max_step="subscribed")
    floor_name = "todays_asks (every due lead listed)"
    pairs = {
        name: Paired(f"campaign plan, {name}", floor_name, unit="ms")
        for name in ("every lead", "max-step subscribed")
    }
    plan: Any = None
    try:
        for _ in range(args.rounds):
            for name, flt in (("every lead", every), ("max-step subscribed", few)):
                floor, items = timed(lambda: todays_asks(now))  # A: Today's own figure
                del items
                took, plan = timed(lambda flt=flt: plan_campaign("downloaded", None, flt, now=now))
                pairs[name].add(took, floor)
        [(leads,)] = db.execute_sql("SELECT count(*) FROM lead").fetchall()
    finally:
        close_database(db)

    print(f"leads: {leads:,}; last plan (max-step subscribed): {plan.eligible:,} eligible")
    print(f"rounds: {args.rounds}, each plan timed right after Today's figure")
    print(pairs["every lead"].line(goal=GOAL))
    print(pairs["max-step subscribed"].line())
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.db"
        shutil.copyfile(path, copy)
        db = open_database(copy)
        try:
            made_s, made = timed(
                lambda: create_campaign(
                    "downloaded", None, every, platform="mailchimp", target=Path(tmp) / "a.csv",
                    now=now,
                )
            )  # fmt: skip
            undo_s, _ = timed(lambda: undo_campaign(made.campaign, now=now))
        finally:
            close_database(db)
    print(f"campaign create, {made.asked:,} asks and their file: {made_s * 1000:6.0f} ms")
    print(f"its undo: {undo_s * 1000:6.0f} ms")
    return 0 if pairs["every lead"].ok(GOAL) else 1


if __name__ == "__main__":
    sys.exit(main())
