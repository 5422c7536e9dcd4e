"""The 100,000-lead demo database the UI benchmarks share, built once into bench/out/.

It is rebuilt when the schema or the demo generator is newer than the file, so a
benchmark never runs against a stale layout.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm.demo import load_demo  # noqa: E402
from crm.store.db import close_database, open_database  # noqa: E402
from crm.timefmt import utc_now  # noqa: E402

OUT = ROOT / "bench" / "out"
SOURCES = ("crm/store/migrations.py", "crm/demo.py", "crm/store/models.py")


def demo_db(leads: int = 100_000) -> Path:
    """The path of a demo database with ``leads`` leads, building it if needed."""
    path = OUT / f"demo{leads}.db"
    newest_source = max((ROOT / s).stat().st_mtime for s in SOURCES)
    if path.exists() and path.stat().st_mtime >= newest_source:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"building {path.name} ({leads:,} demo leads)...", file=sys.stderr, flush=True)
    db = open_database(path)
    try:
        load_demo(leads=leads, now=utc_now())
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        close_database(db)
    return path


def demo_db_apart(leads: int = 100_000) -> Path:
    """:func:`demo_db`, built (when needed) in a child process: a benchmark measuring its
    children's peak memory must not grow by the build, or the children it starts after
    would count the parent's pages until they exec."""
    import subprocess

    run = subprocess.run(
        [sys.executable, __file__, str(leads)], capture_output=True, text=True, check=True
    )
    return Path(run.stdout.strip())


if __name__ == "__main__":
    print(demo_db(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
