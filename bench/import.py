"""Benchmark: import 200,000 Mailchimp subscribers, each figure paired with its floor.

    .venv/bin/python bench/import.py [--rows N] [--rounds 3] [--keep DIR]

Generates a Mailchimp "subscribed" export with a fixed seed (some notes with embedded
newlines, 30% empty OPTIN_TIME, tags in Mailchimp's quoted style). The floor is a whole
process (``bench/floor_import.py``) that runs ``csv.reader`` plus one ``sqlite3``
``executemany`` INSERT of the same rows into a flat table with a unique email index, in
one transaction. Each round then times, every figure right after its own floor:

- ``smallyes-cli import`` into an empty book, the whole process as a user waits for it
  (leads, subscribe yeses, tags); goal <= 3x;
- the same command again on the same file (everything unchanged); goal <= 1.5x;
- next month's export: one member in ten changed, 5% new;
- ``import --dry-run`` into an empty book: every record read and checked, nothing written;
- the writes alone: the rows the first import stored, replayed with raw ``sqlite3`` into
  a fresh database of the same schema (indexes dropped and rebuilt as the importer does,
  one transaction), against the in-process floor: what any importer keeping the same data
  would pay before parsing a byte.

Then, once: the longest gap between progress reports (in-process) and the peak RSS of the
import processes. Medians of the per-round ratios are quoted, with min and max.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import random
import sqlite3
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from paired import Paired, run_process  # noqa: E402

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


def longest_gap(path: Path, now: dt.datetime) -> float:
    """The longest pause between two progress reports of an in-process import."""
    stamps: list[float] = []

    def progress(done: int, total: int) -> None:
        stamps.append(time.perf_counter())

    started = time.perf_counter()
    import_csv(path, ImportOptions(), now=now, progress=progress)
    points = [started, *stamps, time.perf_counter()]
    return max(b - a for a, b in itertools.pairwise(points))


CLI = [sys.executable, "-m", "crm"]


PEAK_RSS_MB: list[float] = []


def cli_import(book: Path, csv_path: Path, *extra: str) -> tuple[float, dict]:
    """Whole-process seconds of ``smallyes-cli --db BOOK import FILE --json``, and its JSON."""
    took, run = run_process(
        [*CLI, "--db", str(book), "import", str(csv_path), "--json", *extra], cwd=ROOT
    )
    PEAK_RSS_MB.append(run.max_rss_mb)
    return took, json.loads(run.stdout)


def floor_process(csv_path: Path, db_path: Path) -> float:
    _fresh(db_path)
    took, _ = run_process(
        [sys.executable, str(ROOT / "bench" / "floor_import.py"), str(csv_path), str(db_path)]
    )
    return took


def replay_process(imported: Path, target: Path) -> float:
    """:func:`replay_writes` in a child process: it holds every stored row in memory, and
    a parent that grew that large would lend its pages to the import processes it starts
    after (their peak RSS counts them until they exec)."""
    _, run = run_process([sys.executable, __file__, "--replay", str(imported), str(target)])
    return float(run.stdout)


def main() -> int:
    if sys.argv[1:2] == ["--replay"]:
        print(replay_writes(Path(sys.argv[2]), Path(sys.argv[3])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder to keep the CSV and databases in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="smallyes-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / "subscribed_members_export_bench.csv"
    generate(csv_path, args.rows)
    later = folder / "subscribed_members_export_next_month.csv"
    changed, added = next_month(csv_path, later)
    print(f"file: {csv_path} ({csv_path.stat().st_size / 1e6:.1f} MB, {args.rows:,} rows)")
    print(f"next month: {changed:,} changed, {added:,} new")
    book, dry_book = folder / "smallyes.db", folder / "dry.db"
    # An untimed round warms the file cache and the .pyc files for both, and takes the
    # day's backup of this book (the first write of a day copies the book once: a daily
    # cost, not the import's).
    floor_process(csv_path, folder / "floor.db")
    cli_import(_fresh(book), csv_path)

    floor_name = "floor process"
    first = Paired("import, empty book (whole process)", floor_name)
    again = Paired("the same file again", floor_name)
    month = Paired("next month's export", floor_name)
    dry = Paired("dry run into an empty book", floor_name)
    writes = Paired("the rows it stored, written alone with raw sqlite3", "in-process floor")
    reports: dict[str, dict] = {}
    for round_no in range(1, args.rounds + 1):
        _fresh(book)
        base = floor_process(csv_path, folder / "floor.db")
        took, reports["first"] = cli_import(book, csv_path)
        ratio = first.add(took, base)
        print(
            f"round {round_no}: import {took:.2f} s, floor {base:.2f} s, {ratio:.2f}x", flush=True
        )
        base = floor_process(csv_path, folder / "floor.db")
        took, reports["again"] = cli_import(book, csv_path)
        again.add(took, base)
        base = floor_process(csv_path, folder / "floor.db")
        took, reports["month"] = cli_import(book, later)
        month.add(took, base)
        _fresh(dry_book)
        base = floor_process(csv_path, folder / "floor.db")
        took, _ = cli_import(dry_book, csv_path, "--dry-run")
        dry.add(took, base)
        # the replay reads the first import alone: a fresh book gets it once more, untimed
        _fresh(dry_book)
        cli_import(dry_book, csv_path)
        base = floor(csv_path, folder / "floor.db")
        writes.add(replay_process(dry_book, folder / "replay.db"), base)
    rss = max(PEAK_RSS_MB)
    counts = {
        k: {n: v.get(n) for n in ("created", "updated", "unchanged", "rejected")}
        for k, v in reports.items()
    }
    print(f"\nreports: {counts}")
    print(f"medians over {args.rounds} rounds, each figure against the floor just before it:")
    print(first.line(goal=3))
    print(again.line(goal=1.5))
    print(month.line())
    print(dry.line())
    print(writes.line())
    print(f"peak RSS of the import processes: {rss:.0f} MB (goal < 400 MB)")
    now = dt.datetime(2026, 6, 15, 12, 0, 0)
    db = open_database(_fresh(folder / "gap.db"))
    try:
        gap = longest_gap(csv_path, now)
    finally:
        close_database(db)
    print(f"longest gap between progress reports (in-process): {gap * 1000:.0f} ms")
    return 0 if first.ok(3) and again.ok(1.5) and rss < 400 else 1


if __name__ == "__main__":
    raise SystemExit(main())
