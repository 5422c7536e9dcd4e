"""The start-up clock shared by the app and the start-up benchmark's floor window.

Import it first: the clock starts when this module loads (perf_counter) and adds how long
the process had already run, read from /proc on Linux (clock-tick resolution, 10 ms), so the
interpreter's own start counts too. Elsewhere the offset is 0. Standard library only, so
importing it costs the floor window what it costs the app.
"""

from __future__ import annotations

import os
import time

_T0 = time.perf_counter()


def _seconds_since_process_start() -> float:
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            stat = f.read()
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        # Field 22 (starttime), counted after the ')' that ends the command name.
        start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return max(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 0.0)
    except (OSError, ValueError, IndexError):
        return 0.0


_START_OFFSET = _seconds_since_process_start()


def seconds_since_start() -> float:
    """Seconds since the process started (since this module loaded where /proc is missing)."""
    return _START_OFFSET + time.perf_counter() - _T0
