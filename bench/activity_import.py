"""Benchmark: a year of Mailchimp activity for the 100,000-lead demo book.

    .venv/bin/python bench/activity_import.py [--opens N] [--clicks N] [--rounds 2] [--keep PATH]

Writes (once, into bench/out/, with a fixed seed) a Mailchimp account export ZIP of 52
weekly campaigns, ``--opens`` open rows and ``--clicks`` click rows over the demo book's
leads (a skewed audience: a third never opens, a few open everything), with
``campaigns.csv``, some clicks on two offers' links and some on unsubscribe links. Then,
alternating in the same run (floor, import, floor, re-import, per round):

- the floor: ``csv.reader`` over each granular member of the ZIP plus one ``sqlite3``
  ``executemany`` of (email, time, url) into a flat table, in one transaction;
- ``smallyes-cli import ZIP --json`` into a fresh copy of the demo book (a child
  process: its peak RSS, from ``os.wait4``, is the memory figure);
- the events and yeses that import stored, written alone with raw ``sqlite3`` into an
  empty book of the same schema (what storing them costs before any reading);
- the same ZIP again into that book (every row already stored).

Each ratio is the import's time over the floor measured just before it; the medians are
printed with their goals: import <= 3x, re-import <= 1.5x, peak memory < 400 MB.
``--keep PATH`` keeps the imported book, for the other benches' ``--db``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from demo_db import OUT, demo_db  # noqa: E402
from paired import run_process  # noqa: E402

CLI = Path(sys.executable).with_name("smallyes-cli")
GOALS = {"import": 3.0, "re-import": 1.5}
GOAL_MB = 400
CAMPAIGNS = 52
OFFER_LINKS = {
    "Pricing guide": "https://coach.example/guides/pricing",
    "Launch checklist": "https://coach.example/free/launch-checklist",
}
OTHER_LINKS = (
    "https://coach.example/blog/first-client",
    "https://coach.example/blog/saying-no",
    "https://coach.example/podcast/12",
    "https://coach.example/about",
)
UNSUBSCRIBE = "https://coach.us21.list-manage.com/unsubscribe?u=5e1f&id=8814021"


def _emails(book: Path) -> list[str]:
    conn = sqlite3.connect(book)
    try:
        return [e for (e,) in conn.execute("SELECT email FROM lead ORDER BY id")]
    finally:
        conn.close()


def generate(path: Path, emails: list[str], opens: int, clicks: int, seed: int = 2026) -> None:
    """The account export: granular opens and clicks per campaign, and campaigns.csv."""
    rng = random.Random(seed)
    # How often each lead opens: a third never, most now and then, a few every time.
    weights = [0.0 if rng.random() < 0.33 else rng.random() ** 3 for _ in emails]
    openers = [i for i, w in enumerate(weights) if w > 0]
    cumulative: list[float] = []
    total = 0.0
    for i in openers:
        total += weights[i]
        cumulative.append(total)
    start = dt.datetime(2025, 12, 2, 9, 0)
    titles = [f"Week {n + 1}: one idea for your business" for n in range(CAMPAIGNS)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        index = io.StringIO()
        writer = csv.writer(index, lineterminator="\n")
        writer.writerow(["Title", "Subject", "List", "Send Date", "Unique Id"])
        for n, title in enumerate(titles):
            sent = start + dt.timedelta(weeks=n)
            writer.writerow([title, title, "Newsletter", sent.strftime("%b %d, %Y %I:%M %p"), n])
        archive.writestr("8814021/campaigns.csv", index.getvalue())
        for n, title in enumerate(titles):
            sent = start + dt.timedelta(weeks=n)
            slug = title.casefold().replace(":", "").replace(" ", "-")
            name = f"{1_812_000 + n}_{slug}.csv"
            for kind, count in (("opens", opens // CAMPAIGNS), ("clicks", clicks // CAMPAIGNS)):
                out = io.StringIO()
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(
                    ["Email", "Timestamp", "Url"] if kind == "clicks" else ["Email", "Timestamp"]
                )
                picks = rng.choices(openers, cum_weights=cumulative, k=count)
                for lead in picks:
                    at = sent + dt.timedelta(seconds=int(rng.expovariate(1 / 20_000)))
                    row = [emails[lead], at.strftime("%Y-%m-%d %H:%M:%S")]
                    if kind == "clicks":
                        roll = rng.random()
                        if roll < 0.1:
                            row.append(rng.choice(list(OFFER_LINKS.values())) + "?utm_source=mc")
                        elif roll < 0.12:
                            row.append(UNSUBSCRIBE)
                        else:
                            row.append(rng.choice(OTHER_LINKS))
                    writer.writerow(row)
                archive.writestr(f"8814021/granular_activity/{kind}/{name}", out.getvalue())


def floor(zip_path: Path, db_path: Path) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    conn.execute("CREATE TABLE activity (email TEXT, at TEXT, url TEXT)")
    conn.execute("BEGIN")
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.namelist():
            if "/granular_activity/" not in member:
                continue
            with archive.open(member) as raw:
                reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
                next(reader)
                rows = (r if len(r) == 3 else (r[0], r[1], "") for r in reader)
                conn.executemany("INSERT INTO activity VALUES (?, ?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def stored_alone(book: Path, folder: Path) -> float:
    """Seconds to write, with raw ``sqlite3`` into an empty book of the same schema, the
    events and yeses the import stored (read back from ``book`` a chunk at a time): what
    the stored rows cost on their own, before a byte of the export is read."""
    target = folder / "alone.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    conn.executescript((ROOT / "crm" / "store" / "schema.sql").read_text(encoding="utf-8"))
    source = sqlite3.connect(book)
    tables = {
        "commitment": "id, lead_id, step_id, offer_id, ask_id, at, source, note, batch_id",
        "activity_event": "batch_id, lead_id, key, action, at, campaign, url, platform, "
        "commitment_id",
    }
    started = time.perf_counter()
    conn.execute("BEGIN")
    for table, columns in tables.items():
        marks = ",".join("?" * len(columns.split(",")))
        cursor = source.execute(f"SELECT {columns} FROM {table} WHERE batch_id IS NOT NULL")
        while rows := cursor.fetchmany(5000):
            conn.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    conn.execute("COMMIT")
    took = time.perf_counter() - started
    source.close()
    conn.close()
    return took


def run_cli(book: Path, *args: str) -> tuple[float, float, dict]:
    """Seconds, peak RSS in MB and the JSON output of one smallyes-cli call."""
    took, run = run_process([str(CLI), "--db", str(book), *args])
    return took, run.max_rss_mb, json.loads(run.stdout) if "--json" in args else {}


def fresh_book(demo: Path, folder: Path) -> Path:
    book = folder / "book.db"
    for suffix in ("", "-wal", "-shm", ".inuse", ".lock"):
        Path(f"{book}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(demo, book)
    for offer, link in OFFER_LINKS.items():
        run_cli(book, "offer", "link", offer, "--link", link)
    return book


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=2_000_000)
    parser.add_argument("--clicks", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="keep the imported book at this path")
    args = parser.parse_args()
    demo = demo_db()
    zip_path = OUT / f"mailchimp-activity-{args.opens}-{args.clicks}.zip"
    if not zip_path.exists() or zip_path.stat().st_mtime < Path(__file__).stat().st_mtime:
        print(f"writing {zip_path.name} ...", flush=True)
        generate(zip_path, _emails(demo), args.opens, args.clicks)
    print(f"{zip_path.name}: {zip_path.stat().st_size / 1e6:.0f} MB zipped", flush=True)

    ratios: dict[str, list[float]] = {"import": [], "re-import": [], "stored alone": []}
    peaks: list[float] = []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        folder = Path(tmp)
        book = folder / "book.db"
        for round_no in range(1, args.rounds + 1):
            book = fresh_book(demo, folder)
            for name in ("import", "re-import"):
                base = floor(zip_path, folder / "floor.db")
                took, peak, report = run_cli(book, "import", str(zip_path), "--json")
                ratios[name].append(took / base)
                peaks.append(peak)
                events = report.get("events", {})
                print(
                    f"round {round_no} {name}: {took:.1f} s, floor {base:.1f} s, "
                    f"{took / base:.2f}x, peak {peak:.0f} MB; events {events}, already "
                    f"{report.get('already_imported')}, skipped {report.get('skipped')}",
                    flush=True,
                )
                if name == "import":
                    base = floor(zip_path, folder / "floor.db")
                    alone = stored_alone(book, folder)
                    ratios["stored alone"].append(alone / base)
                    print(
                        f"round {round_no} the stored rows alone, raw sqlite3: {alone:.1f} s, "
                        f"floor {base:.1f} s, {alone / base:.2f}x",
                        flush=True,
                    )
        if args.keep:
            shutil.copyfile(book, args.keep)
    print(f"\nmedians over {args.rounds} rounds (each against the floor just before it):")
    failed = False
    for name, values in ratios.items():
        ratio = statistics.median(values)
        if name not in GOALS:  # what the import's goal stands against, for reading it
            print(f"  {name:<10} {ratio:6.2f}x the floor")
            continue
        verdict = "ok" if ratio <= GOALS[name] else "OVER"
        failed |= verdict != "ok"
        print(f"  {name:<10} {ratio:6.2f}x the floor   (goal <= {GOALS[name]}x) {verdict}")
    peak = max(peaks)
    verdict = "ok" if peak < GOAL_MB else "OVER"
    failed |= verdict != "ok"
    print(f"  peak memory {peak:5.0f} MB              (goal < {GOAL_MB} MB) {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
