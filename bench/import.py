"""Benchmark: import 200,000 Mailchimp subscribers and compare with the floor.

    .venv/bin/python bench/import.py [--rows N] [--keep DIR]

Generates a Mailchimp "subscribed" export with a fixed seed (some notes with embedded
newlines, 30% empty OPTIN_TIME, tags in Mailchimp's quoted style), then measures:

- the floor: ``csv.reader`` plus one ``sqlite3`` ``executemany`` INSERT of the same rows
  into a table with a unique email index, in one transaction;
- a dry run into the empty database: every record read and checked, nothing written;
- the import into an empty Smallyes database (leads, subscribe yeses, tags);
- a second import of the same file (everything unchanged);
- next month's export: one member in ten changed, 5% new;
- the writes alone: the rows the import stored, replayed with raw ``sqlite3`` into a fresh
  database of the same schema (indexes dropped and rebuilt as the importer does, one
  transaction): what any importer keeping the same data would pay before parsing a byte;
- peak memory of the import (tracemalloc and the process's max RSS);
- the longest gap between progress reports.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import random
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm.importing import ImportOptions, import_csv  # noqa: E402
from crm.store.db import close_database, open_database  # noqa: E402

HEADER = (
    "Email Address,First Name,Last Name,Company,Position,ZIP Code,MEMBER_RATING,OPTIN_TIME,"
    "OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,"
    "LAST_CHANGED,LEID,EUID,NOTES,TAGS"
).split(",")
FIRST = "Anna Ben Chloé Dmitri Eleni Fatima Giulia Hanako Ibrahim Jürgen Kofi Léa Mateo Nora Olu "
FIRST += "Priya Quentin Renée Sören Thandiwe Uma Vikram Wen Xavier Yusuf Zoë 佐藤 Ólafur Åsa"
LAST = "Müller García Nguyen Okafor Sato Dubois Kowalski Rossi Andersson Haddad Ivanova Smith "
LAST += "O'Connor Ng Lefèvre Øster Yılmaz Mensah Costa Novak Tanaka Schmidt Brown 山田"
COMPANIES = ["", "", "Northwind Studio", 'Studio "Nord"', "Kōhī Roasters", "Acme, Inc.", "Café Zoë"]
TAGS = ["Newsletter", "VIP", "Café club", "Workshop, Spring 2024", "Kunde", "Lead magnet"]
NOTES = ["", "", "", "", "Met at the fair", "Call back in May.\nPrefers email.", 'Said "maybe"']


def _ascii(name: str) -> str:
    """Addresses are almost always ASCII even when names are not: Zoë writes zoe@..."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return text.lower().replace("'", "") or "member"


def generate(path: Path, rows: int, seed: int = 20260615) -> None:
    rng = random.Random(seed)
    firsts, lasts = FIRST.split(), LAST.split()
    base = dt.datetime(2018, 1, 1)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(rows):
            first, last = rng.choice(firsts), rng.choice(lasts)
            optin = base + dt.timedelta(seconds=rng.randrange(8 * 365 * 86400))
            confirm = optin + dt.timedelta(seconds=rng.randrange(1, 7200))
            tags = rng.sample(TAGS, rng.randrange(0, 3))
            writer.writerow(
                [
                    f"{_ascii(first)}.{i}@example{i % 97}.com",
                    first,
                    last,
                    rng.choice(COMPANIES),
                    rng.choice(["", "Coach", "Founder & CEO"]),
                    f"{rng.randrange(100000):05d}",
                    rng.randrange(1, 6),
                    "" if rng.random() < 0.3 else optin.strftime("%Y-%m-%d %H:%M:%S"),
                    f"192.0.2.{rng.randrange(256)}",
                    confirm.strftime("%Y-%m-%d %H:%M:%S"),
                    f"198.51.100.{rng.randrange(256)}",
                    f"{rng.uniform(-60, 60):.7f}",
                    f"{rng.uniform(-180, 180):.7f}",
                    rng.randrange(-8, 10),
                    rng.randrange(-8, 10),
                    rng.choice(["Europe/Paris", "America/New_York", "Asia/Tokyo", ""]),
                    rng.choice(["FR", "US", "JP", "DE"]),
                    rng.choice(["IDF", "NY", "13", "BE"]),
                    confirm.strftime("%Y-%m-%d %H:%M:%S"),
                    100000000 + i,
                    f"{rng.getrandbits(40):010x}",
                    rng.choice(NOTES),
                    ",".join(f'"{t}"' for t in tags),
                ]
            )


def next_month(path: Path, out: Path, seed: int = 20260715) -> tuple[int, int]:
    """The same list a month later: one member in ten changed (a new rating and a new
    LAST_CHANGED, as Mailchimp writes them) and 5% new members at the end."""
    rng = random.Random(seed)
    with (
        open(path, encoding="utf-8", newline="") as src,
        open(out, "w", encoding="utf-8", newline="") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        rating, changed_at = header.index("MEMBER_RATING"), header.index("LAST_CHANGED")
        changed = rows = 0
        for row in reader:
            rows += 1
            if rows % 10 == 0:
                row[rating] = str(rng.randrange(1, 6))
                row[changed_at] = "2026-07-01 09:00:00"
                changed += 1
            writer.writerow(row)
        added = rows // 20
        for i in range(added):
            row = list(row)
            row[0] = f"new.{i}@example.net"
            writer.writerow(row)
    return changed, added


def _fresh(db_path: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return db_path


def floor(path: Path, db_path: Path) -> float:
    _fresh(db_path)
    started = time.perf_counter()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=wal")
    conn.execute("PRAGMA synchronous=normal")
    conn.execute(
        "CREATE TABLE lead (id INTEGER PRIMARY KEY, "
        + ", ".join(f'"{h}" TEXT' for h in HEADER)
        + ")"
    )
    conn.execute('CREATE UNIQUE INDEX lead_email ON lead("Email Address")')
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        marks = ", ".join("?" * len(HEADER))
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO lead VALUES (NULL, {marks})", reader)
        conn.execute("COMMIT")
    conn.close()
    return time.perf_counter() - started


def replay_writes(imported: Path, target: Path) -> float:
    """Time storing again, with raw sqlite3, exactly the rows an import stored."""
    src = sqlite3.connect(imported)
    tables = ("import_batch", "tag", "lead", "commitment", "lead_tag", "lead_event")
    rows = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    src.close()
    close_database(open_database(_fresh(target)))  # the same schema, ladder seeded
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = 1")
    conn.execute("PRAGMA synchronous = normal")
    conn.execute("PRAGMA cache_size = -32000")
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('lead', 'commitment', 'lead_event') AND name NOT IN "
        "('commitment_lead', 'lead_event_lead')"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    for table in tables:
        if rows[table]:
            marks = ", ".join("?" * len(rows[table][0]))
            conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows[table])
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def timed_import(path: Path, now: dt.datetime, measure_memory: bool) -> tuple[float, object, float]:
    stamps: list[float] = []

    def progress(done: int, total: int) -> None:
        stamps.append(time.perf_counter())

    if measure_memory:
        tracemalloc.start()
    started = time.perf_counter()
    report = import_csv(path, ImportOptions(), now=now, progress=progress)
    elapsed = time.perf_counter() - started
    peak = 0.0
    if measure_memory:
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    points = [started, *stamps, started + elapsed]
    gap = max(b - a for a, b in itertools.pairwise(points))
    return elapsed, report, gap if not measure_memory else peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="folder to keep the CSV and databases in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="smallyes-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "subscribed_members_export_bench.csv"
    generate(csv_path, args.rows)
    print(f"file: {csv_path} ({csv_path.stat().st_size / 1e6:.1f} MB, {args.rows:,} rows)")

    floor_s = min(floor(csv_path, folder / f"floor{i}.db") for i in range(2))
    print(f"floor (csv.reader + one executemany INSERT): {floor_s:.2f} s")

    now = dt.datetime(2026, 6, 15, 12, 0, 0)
    db_file = folder / "smallyes.db"
    db = open_database(_fresh(db_file))
    started = time.perf_counter()
    import_csv(csv_path, ImportOptions(dry_run=True), now=now)
    dry_s = time.perf_counter() - started
    print(
        f"dry run into the empty database (reads and checks it all, writes nothing): "
        f"{dry_s:.2f} s  ratio {dry_s / floor_s:.2f}x"
    )
    first_s, report, gap = timed_import(csv_path, now, measure_memory=False)
    print(
        f"import into an empty database: {first_s:.2f} s  ratio {first_s / floor_s:.2f}x  "
        f"(created {report.created:,}, rejected {report.rejected})"  # type: ignore[attr-defined]
    )
    print(f"longest gap between progress reports: {gap * 1000:.0f} ms")
    second_s, report2, gap2 = timed_import(csv_path, now, measure_memory=False)
    print(
        f"second import (all unchanged): {second_s:.2f} s  ratio {second_s / floor_s:.2f}x  "
        f"(unchanged {report2.unchanged:,}, created {report2.created})"  # type: ignore[attr-defined]
    )
    print(f"longest gap between progress reports: {gap2 * 1000:.0f} ms")
    later = folder / "subscribed_members_export_next_month.csv"
    changed, added = next_month(csv_path, later)
    started = time.perf_counter()
    report3 = import_csv(later, ImportOptions(), now=now + dt.timedelta(days=30))
    third_s = time.perf_counter() - started
    print(
        f"next month's export ({changed:,} changed, {added:,} new): {third_s:.2f} s  "
        f"ratio {third_s / floor_s:.2f}x  (created {report3.created:,}, updated "
        f"{report3.updated:,}, unchanged {report3.unchanged:,})"
    )
    close_database(db)

    db_file2 = folder / "smallyes-mem.db"
    db = open_database(_fresh(db_file2))
    _, _, peak = timed_import(csv_path, now, measure_memory=True)
    close_database(db)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak traced Python memory during an import: {peak:.0f} MB; process max RSS {rss:.0f} MB"
    )
    # last: reading every stored row back for the replay would count in the RSS above.
    # The memory run's database holds the first import alone (the other one also holds
    # next month's leads and updates).
    writes_s = replay_writes(db_file2, folder / "replay.db")
    print(
        f"the rows the first import stored, written alone with raw sqlite3: {writes_s:.2f} s  "
        f"ratio {writes_s / floor_s:.2f}x (reading and checking the file are the rest)"
    )


if __name__ == "__main__":
    main()
