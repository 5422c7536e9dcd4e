"""Every benchmark in turn (`make bench`): each prints its figures beside their floors.

    .venv/bin/python bench/run_all.py [NAME ...]

Names: startup, search, memory, import, import_memory, suggest, funnel, safety,
live_refresh, bulk, campaign, segments, sales_import (default: all;
``bench/activity_import.py`` runs on its own: a year of activity takes minutes). The
figures are ratios against floors measured in the same run: the machine may be busy, so
compare ratios, not absolute times.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = (
    "startup",
    "search",
    "memory",
    "import",
    "import_memory",
    "suggest",
    "funnel",
    "safety",
    "live_refresh",
    "bulk",
    "campaign",
    "segments",
    "sales_import",
)


def main(argv: list[str]) -> int:
    names = argv or list(ORDER)
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        print(f"error: unknown benchmark {', '.join(unknown)}: use {', '.join(ORDER)}.")
        return 1
    failed = []
    for name in names:
        print(f"\n=== {name}", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py")])
        print(f"--- {name}: {time.perf_counter() - start:.0f} s, exit {code}", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
