"""Benchmark: peak memory of the app with 100,000 leads open.

    .venv/bin/python bench/memory.py

Each figure is the peak RSS of a child process (``os.wait4``):

- the app opened on the 100,000-lead demo database until its lead list has painted
  (``python -m ui --exit-after-show``);
- the app left open and idle for a few seconds, so that the background work the pages
  start on their own (the Today page working out its asks) and the charts' preload are
  included: the figure the goal is about;
- the same window after scrolling to the very end, so that every one of the 100,000
  rows has been fetched into the table model (the worst case of one session);
- the floor: a bare PySide6 QMainWindow with one label (``bench/floor_window.py``).

Goal: under 300 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo_db import ROOT, demo_db_apart

GOAL_MB = 300

IDLE_S = 8
IDLE = textwrap.dedent(
    f"""
    import sys
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from crm.store.db import open_database
    from ui.app import CHARTS_PRELOAD_DELAY_MS, _preload_charts
    from ui.collector import GuiThreadCollector
    from ui.main_window import MainWindow
    from ui.style import setup_style

    app = QApplication([])
    setup_style(app)
    GuiThreadCollector(app)
    open_database(sys.argv[1])
    window = MainWindow(Path(sys.argv[1]), defer_extensions=True)
    window.show()
    QTimer.singleShot(CHARTS_PRELOAD_DELAY_MS, _preload_charts)  # as the app does
    QTimer.singleShot({IDLE_S * 1000}, lambda: app.exit(0))
    app.exec()
    window.shutdown()
    """
)

SCROLL_ALL = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from crm.store.db import open_database
    from ui.main_window import MainWindow
    from ui.style import setup_style

    app = QApplication([])
    setup_style(app)
    db = open_database(sys.argv[1])
    window = MainWindow(__import__("pathlib").Path(sys.argv[1]))
    window.show()
    table = window.leads_page.table

    def scroll() -> None:
        table.scrollToBottom()  # the view fetches the next page as the end comes into view
        if window.leads_page.model.canFetchMore():
            QTimer.singleShot(0, scroll)
        else:
            print(f"rows={window.leads_page.model.rowCount()}", flush=True)
            app.exit(0)

    QTimer.singleShot(0, scroll)
    sys.exit(app.exec())
    """
)


def peak_rss_mb(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[1:]} failed ({proc.returncode}):\n{err}")
    return usage.ru_maxrss / 1024, out.strip()  # ru_maxrss is in KiB on Linux


def main() -> int:
    db = demo_db_apart()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_CONFIG_HOME": home, "XDG_STATE_HOME": home}
        env.setdefault("QT_QPA_PLATFORM", "offscreen" if "DISPLAY" not in env else "xcb")
        painted, _ = peak_rss_mb(
            [sys.executable, "-m", "ui", "--db", str(db), "--exit-after-show"], env
        )
        idle, _ = peak_rss_mb([sys.executable, "-c", IDLE, str(db)], env)
        scrolled, out = peak_rss_mb([sys.executable, "-c", SCROLL_ALL, str(db)], env)
        floor, _ = peak_rss_mb([sys.executable, str(ROOT / "bench" / "floor_window.py")], env)
    figures = (
        ("100,000 leads open, list painted", painted),
        (f"open and idle for {IDLE_S} s", idle),
        (f"after scrolling to the end ({out})", scrolled),
    )
    print(f"platform: {env['QT_QPA_PLATFORM']}; peak RSS; floor (bare QMainWindow) {floor:.0f} MB")
    for name, mb in figures:
        verdict = "ok" if mb < GOAL_MB else "OVER"
        print(f"{name:<44}{mb:6.0f} MB  {mb / floor:5.2f}x floor  goal < {GOAL_MB} MB: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
