"""Python's cycle collector, kept on the GUI thread.

CPython runs its cyclic garbage collector in whichever thread allocates when a threshold is
crossed. When that is a worker thread (an import, the demo load) and the garbage holds a Qt
widget (a closed dialog kept alive by a lambda's cycle), Qt destroys the widget off the GUI
thread and the process crashes. So automatic collection is turned off, and the GUI thread
collects on a timer with the collector's own thresholds (the policy is ``crm.jobs``'s).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

from crm.jobs import collect_due

INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Owns the timer; create one, parented to the application, at start-up."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(collect_due)
        self._timer.start()
