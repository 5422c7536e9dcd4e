"""Benchmark: start-up to the first painted lead list with 100,000 leads, against a floor.

    .venv/bin/python bench/startup.py [--runs N] [--db BOOK]

Both figures come from child processes that print ``shown_after_s=`` (seconds since the
process started, /proc-based on Linux): the app with ``--exit-after-show`` over the demo
database, and ``bench/floor_window.py`` (a bare QMainWindow with one label). Runs alternate
(floor, app, floor, app, ...) so each app run is paired with the floor run just before
it; the median of those ratios is quoted, with min and max. Goal: at most 3x the floor.
The app also reports when the rest of the window (Today, Funnel, import, suggestions),
installed just after that first paint, is in place: printed for information.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_db import ROOT, demo_db
from paired import Paired, child_env

GOAL = 3.0


def timings(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """The ``name_after_s=<seconds>`` figures a child process prints."""
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    found = dict(re.findall(r"(\w+)_after_s=([\d.]+)", result.stdout))
    if result.returncode != 0 or "shown" not in found:
        raise SystemExit(f"{cmd[1:]} failed ({result.returncode}):\n{result.stderr}")
    return {name: float(value) for name, value in found.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--db", type=Path, help="another book (bench/activity_import.py --keep writes one)"
    )
    args = parser.parse_args()
    db = args.db or demo_db()
    with tempfile.TemporaryDirectory() as home:
        env = child_env({**os.environ, "XDG_CONFIG_HOME": home, "XDG_STATE_HOME": home})
        env.setdefault("QT_QPA_PLATFORM", "offscreen" if "DISPLAY" not in env else "xcb")
        app_cmd = [sys.executable, "-m", "ui", "--db", str(db), "--exit-after-show"]
        floor_cmd = [sys.executable, str(ROOT / "bench" / "floor_window.py")]
        timings(app_cmd, env)  # warm the OS file cache for both
        timings(floor_cmd, env)
        shown = Paired("start-up to the painted lead list", "bare QMainWindow", unit="ms")
        ready = Paired("every page installed", "bare QMainWindow", unit="ms")
        for _ in range(args.runs):
            base = timings(floor_cmd, env)["shown"]
            run = timings(app_cmd, env)
            shown.add(run["shown"], base)
            ready.add(run.get("ready", run["shown"]), base)
    print(f"platform: {env['QT_QPA_PLATFORM']}, {args.runs} runs each, alternating")
    print("runs (ms): app " + ", ".join(f"{v * 1000:.0f}" for v in shown.figures))
    print("      floor " + ", ".join(f"{v * 1000:.0f}" for v in shown.floors))
    print(shown.line(goal=GOAL))
    # The other pages, the import and the suggestions load just after the first paint.
    print(ready.line())
    return 0 if shown.ok(GOAL) else 1


if __name__ == "__main__":
    raise SystemExit(main())
