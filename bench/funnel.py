"""Funnel speed on the 100,000-lead demo data, as ratios against a floor measured in the same run.

    .venv/bin/python bench/funnel.py [--db bench/out/funnel100k.db] [--rounds 5] [--no-ui]

- The whole funnel JSON (``compute_funnel(...).to_json()`` serialised, revenue included)
  against the floor:
  one raw sqlite3 GROUP BY over the commitment table. The floor is the per-lead, per-step
  first yes (``GROUP BY lead_id, step_id``), the least any funnel has to read to know who
  took which step; the cheaper per-step count is printed too, for reference. Goal ≤ 3x.
- Each chart's render time (Figure built and drawn to a PNG in memory). Goal < 1 s.
- Opening the Funnel page (offscreen Qt): the longest pause of the event loop while the
  numbers are computed. Goal: no pause a user would see (< 0.1 s).

The demo database is made with ``smallyes-cli demo --leads 100000`` when it is missing.
The numbers alternate with their floors (floor, funnel, floor, funnel, ...): the ratio
quoted is the median of those pairs, with min and max. Charts are the best of their runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from paired import Paired, timed  # noqa: E402

FLOOR_SQL = "SELECT lead_id, step_id, min(at) FROM commitment GROUP BY lead_id, step_id"
STEP_COUNT_SQL = (
    "SELECT step_id, count(DISTINCT lead_id) FROM commitment NOT INDEXED GROUP BY step_id"
)


def ensure_demo(path: Path, leads: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    cli = ROOT / ".venv" / "bin" / "smallyes-cli"
    command = [str(cli)] if cli.exists() else [sys.executable, "-m", "crm"]
    subprocess.run([*command, "--db", str(path), "demo", "--leads", str(leads)], check=True)


def best(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_numbers(path: Path, rounds: int) -> None:
    from crm.analytics.funnel import compute_funnel
    from crm.analytics.revenue import compute_revenue
    from crm.store.db import open_database

    open_database(path)
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA cache_size=-32000")
    counts = raw.execute(
        "SELECT (SELECT count(*) FROM lead), (SELECT count(*) FROM commitment), "
        "(SELECT count(*) FROM ask), (SELECT count(*) FROM sale)"
    ).fetchone()
    print(
        f"data: {counts[0]:,} leads, {counts[1]:,} commitments, {counts[2]:,} asks, "
        f"{counts[3]:,} sales"
    )

    def floor() -> None:
        raw.execute(FLOOR_SQL).fetchall()

    def step_count() -> None:
        raw.execute(STEP_COUNT_SQL).fetchall()

    def funnel_json() -> None:
        json.dumps(compute_funnel().to_json())

    def revenue_json() -> None:
        json.dumps(compute_revenue().to_json())

    # Warm the page cache for all three before timing.
    floor(), step_count(), funnel_json()
    whole = Paired("funnel whole JSON", "GROUP BY lead_id, step_id", unit="ms")
    versus_count = Paired("funnel whole JSON", "GROUP BY step_id (distinct)", unit="ms")
    revenue = Paired("  of which revenue alone", "GROUP BY lead_id, step_id", unit="ms")
    for _ in range(rounds):
        base, _ = timed(floor)
        whole.add(timed(funnel_json)[0], base)
        base, _ = timed(step_count)
        versus_count.add(timed(funnel_json)[0], base)
        base, _ = timed(floor)
        revenue.add(timed(revenue_json)[0], base)
    print(whole.line(goal=3))
    print(versus_count.line())
    print(revenue.line())
    raw.close()


def bench_charts(path: Path, rounds: int) -> None:
    from crm.analytics.charts import ALL_CHARTS, build_chart
    from crm.analytics.funnel import compute_funnel

    funnel = compute_funnel()
    build_chart("funnel", funnel).savefig(io.BytesIO(), format="png")  # first-use costs
    for kind in ALL_CHARTS:
        for theme in ("light", "dark"):

            def render_mem(kind: str = kind, theme: str = theme) -> None:
                build_chart(kind, funnel, theme).savefig(io.BytesIO(), format="png", dpi=150)

            t = best(render_mem, rounds)
            print(
                f"chart {kind:16s} {theme:5s} {t * 1000:7.1f} ms  "
                f"ratio to 1 s goal {t:.2f} ({'ok' if t < 1 else 'MISSED'})"
            )


def bench_ui(path: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from crm.store.db import open_database
    from crm.store.paths import database_path

    app = QApplication.instance() or QApplication([sys.argv[0]])
    db = open_database(path)
    from ui.main_window import MainWindow

    window = MainWindow(database_path(db).resolve())
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer(interval=5)
    timer.timeout.connect(tick)
    result: dict[str, float] = {}

    def open_page() -> None:
        start = time.perf_counter()
        page = window.show_page("funnel")
        result["build"] = time.perf_counter() - start
        gaps.clear()
        last[0] = time.perf_counter()
        timer.start()

        def done(_funnel: object) -> None:
            result["compute"] = time.perf_counter() - start
            result["gap"] = max(gaps, default=0.0)
            page.shutdown()
            app.quit()

        page.runner.sig_finished.connect(done)

    QTimer.singleShot(0, open_page)
    app.exec()
    window.leads_page.shutdown()
    print(
        f"ui: page built in {result['build'] * 1000:.0f} ms; "
        f"numbers in after {result['compute'] * 1000:.0f} ms; longest event-loop pause while "
        f"computing {result['gap'] * 1000:.0f} ms (goal < 100 ms: "
        f"{'ok' if result['gap'] < 0.1 else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "bench" / "out" / "funnel100k.db")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-ui", action="store_true", help="skip the Qt page measurement")
    args = parser.parse_args()
    ensure_demo(args.db, args.leads)
    bench_numbers(args.db, args.rounds)
    bench_charts(args.db, max(args.rounds // 2, 2))
    if not args.no_ui:
        bench_ui(args.db)


if __name__ == "__main__":
    main()
