"""The start-up floor: a bare PySide6 QMainWindow with one label, timed like the app.

Prints ``shown_after_s=<seconds since process start>`` once the label has painted, using
the same clock as ``ui/app.py``: ``ui.startclock``, imported first by both.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ui.startclock import seconds_since_start  # isort: skip

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


class _FirstPaint(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, _report)
        return False


def _report() -> None:
    print(f"shown_after_s={seconds_since_start():.3f}", flush=True)
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
