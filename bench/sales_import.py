"""Benchmark: 100,000 Stripe payments into the 100,000-lead demo book.

    .venv/bin/python bench/sales_import.py [--rows N] [--rounds 3]

Writes (once, into bench/out/, with a fixed seed) a Stripe payments export of ``--rows``
charges: most by the demo book's leads, a fifth by people it does not know (they become
contacts), in three currencies, with partial and full refunds and some failed charges.
Then, alternating in the same run (floor, import, per round):

- the floor: ``csv.reader`` over the file plus one ``sqlite3`` ``executemany`` of
  (email, time, amount, currency, product) into a flat table, in one transaction: the
  activity floor, for a file of sales;
- ``smallyes-cli import FILE --json`` into a fresh copy of the demo book.

Each ratio is the import's time over the floor measured just before it; the median is
printed with its goal (<= 3x), and min and max beside it.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from activity_import import _emails, fresh_book, run_cli  # noqa: E402
from demo_db import OUT, demo_db  # noqa: E402
from paired import Paired  # noqa: E402

GOAL = 3.0
HEADER = (
    "id,Description,Created (UTC),Amount,Amount Refunded,Currency,Converted Amount,"
    "Converted Amount Refunded,Fee,Tax,Converted Currency,Mode,Status,Statement Descriptor,"
    "Customer ID,Customer Description,Customer Email,Captured,Card ID,Card Last4,Card Brand"
).split(",")
PRODUCTS = (("Coaching session", "120.00"), ("Pricing review", "49.00"),
            ("Launch workbook", "29.00"), ("Group programme", "350.00"))  # fmt: skip


def generate(path: Path, emails: list[str], rows: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for n in range(rows):
            known = rng.random() < 0.8
            email = rng.choice(emails) if known else f"buyer{rng.randrange(40_000)}@shop.example"
            product, price = rng.choice(PRODUCTS)
            currency = rng.choices(("eur", "usd", "gbp"), (6, 3, 1))[0]
            roll = rng.random()
            status, refunded, captured = "Paid", "0.00", "true"
            if roll < 0.03:
                status, refunded = "Refunded", price
            elif roll < 0.06:
                refunded = "10.00"
            elif roll < 0.09:
                status, captured = "Failed", "false"
            at = start + dt.timedelta(minutes=rng.randrange(500_000))
            writer.writerow(
                [f"ch_{n:08d}", product, at.strftime("%Y-%m-%d %H:%M"), price, refunded,
                 currency, price, refunded, "1.00", "0.00", "usd", "Live", status,
                 "SMALLYES", f"cus_{n:08d}", "", email, captured, f"card_{n}", "4242", "Visa"]
            )  # fmt: skip


def floor(csv_path: Path, db_path: Path) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    conn.execute(
        "CREATE TABLE sale (email TEXT, at TEXT, amount TEXT, currency TEXT, product TEXT)"
    )
    conn.execute("BEGIN")
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        conn.executemany(
            "INSERT INTO sale VALUES (?, ?, ?, ?, ?)",
            ((r[16], r[2], r[3], r[5], r[1]) for r in reader),
        )
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    demo = demo_db()
    path = OUT / f"stripe-payments-{args.rows}.csv"
    if not path.exists() or path.stat().st_mtime < Path(__file__).stat().st_mtime:
        print(f"writing {path.name} ...", flush=True)
        generate(path, _emails(demo), args.rows)
    pair = Paired(f"{args.rows:,} sales, the whole import process", "in-process floor")
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        folder = Path(tmp)
        for round_no in range(1, args.rounds + 1):
            book = fresh_book(demo, folder)
            base = floor(path, folder / "floor.db")
            took, peak, report = run_cli(book, "import", str(path), "--json")
            ratio = pair.add(took, base)
            print(
                f"round {round_no}: import {took:.2f} s, floor {base:.2f} s, {ratio:.2f}x, "
                f"peak {peak:.0f} MB; events {report.get('events')}, created "
                f"{report.get('created')}, revenue {report.get('revenue')}",
                flush=True,
            )
    print(pair.line(goal=GOAL))
    return 0 if pair.ok(GOAL) else 1


if __name__ == "__main__":
    raise SystemExit(main())
