"""Benchmark: what following the book costs an idle window, against the 1% goal.

    .venv/bin/python bench/live_refresh.py [--seconds S] [--db BOOK]

Opens the window offscreen over the 100,000-lead demo book (a copy), lets it settle, then
measures the process's CPU time (``resource.getrusage``: every thread) while it sits idle,
in turns: without the live-refresh check (the floor: the same idle window) and with it,
once a second as the app runs it, ``--seconds`` in all for each, in alternating halves so
both see the same machine load. Goal: the check adds under 1% of one core.

Also times one check on its own (a ``stat`` of the path and ``PRAGMA data_version``, with
nothing changed) beside its floor, the same two calls made bare with ``sqlite3``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from demo_db import demo_db

GOAL_PERCENT = 1.0
SETTLE_S = 10.0  # the window's start-up work (Today's asks on a side thread) ends first
CHECKS = 5000


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def idle_percent(app: QApplication, seconds: float) -> float:
    """The share of one core the process used while its event loop ran ``seconds``."""
    cpu, wall = cpu_s(), time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), app.quit)
    app.exec()
    return 100 * (cpu_s() - cpu) / (time.perf_counter() - wall)


def per_call_us(fn: Callable[[], object], n: int = CHECKS) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="idle time for each mode")
    parser.add_argument("--db", type=Path, help="another book (default: the demo book)")
    args = parser.parse_args()
    source = args.db or demo_db()
    work = Path(tempfile.mkdtemp(prefix="smallyes-bench-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(work)
    try:
        path = work / "smallyes.db"
        shutil.copyfile(source, path)
        from crm.book.leads import LeadQuery, count_leads
        from crm.store.db import close_database, open_database
        from ui.collector import GuiThreadCollector
        from ui.live_refresh import INTERVAL_MS
        from ui.main_window import MainWindow

        app = QApplication([sys.argv[0]])
        GuiThreadCollector(app)  # as the app runs: its timer is part of every idle second
        db = open_database(path)
        window = MainWindow(path.resolve())
        window.show()
        leads = count_leads(LeadQuery())
        print(f"book: {leads:,} leads; the check runs every {INTERVAL_MS} ms")
        idle_percent(app, SETTLE_S)

        live = window.live
        floor, figure = [], []
        half = args.seconds / 2
        for _ in range(2):
            live.stop()
            floor.append(idle_percent(app, half))
            live.start()
            figure.append(idle_percent(app, half))
        floor_pct, figure_pct = sum(floor) / 2, sum(figure) / 2
        cost = figure_pct - floor_pct

        live.stop()
        check_us = per_call_us(live.check)
        raw = sqlite3.connect(path)
        try:
            floor_us = per_call_us(
                lambda: (os.stat(path), raw.execute("PRAGMA data_version").fetchone())
            )
        finally:
            raw.close()
        window.shutdown()
        close_database(db)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nidle window, {args.seconds:.0f} s in each mode (two turns each), share of one core:")
    for name, pct, turns in (
        ("without the check (floor)", floor_pct, floor),
        ("with the check", figure_pct, figure),
    ):
        print(f"  {name:<27}{pct:6.2f} %   (turns: {turns[0]:.2f}, {turns[1]:.2f})")
    verdict = "ok" if cost < GOAL_PERCENT else "OVER"
    label = "the check's cost"
    print(f"  {label:<27}{cost:6.2f} %   (goal < {GOAL_PERCENT:.0f} %): {verdict}")
    share = check_us / (INTERVAL_MS * 1000) * 100
    print(
        f"\none idle check: {check_us:.1f} us, bare stat + PRAGMA data_version {floor_us:.1f} us "
        f"({check_us / floor_us:.1f}x); at one a second {share:.4f} % of one core"
    )
    return 0 if cost < GOAL_PERCENT else 1


if __name__ == "__main__":
    raise SystemExit(main())
