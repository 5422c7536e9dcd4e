"""The start-up floor: a bare PySide6 QMainWindow with one label, timed like the app.

Prints ``shown_after_s=<seconds since process start>`` once the label has painted, using
the same clock as ``ui/app.py`` (perf_counter at the first line plus the process's age
from /proc on Linux).
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import os  # noqa: E402


def _seconds_since_process_start() -> float:
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            stat = f.read()
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return max(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return 0.0


_OFFSET = _seconds_since_process_start()

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow  # noqa: E402


class _FirstPaint(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, _report)
        return False


def _report() -> None:
    print(f"shown_after_s={_OFFSET + time.perf_counter() - _T0:.3f}", flush=True)
    QTimer.singleShot(0, lambda: QApplication.instance().exit(0))


def main() -> int:
    app = QApplication([])
    window = QMainWindow()
    label = QLabel("Hello")
    window.setCentralWidget(label)
    watcher = _FirstPaint()
    label.installEventFilter(watcher)
    window.resize(1280, 800)
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
