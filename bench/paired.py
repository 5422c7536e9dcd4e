"""Figures paired with their floors: run in alternating rounds (floor, figure, floor, ...).

These machines are shared: one slow moment moves a single timing, and a floor measured once
at the start makes every later ratio inflate or shrink with the load. So each figure here
is timed right after its own floor, round after round, and what is quoted is the median of
the per-round ratios, with their min and max beside it.

    pair = Paired("import, empty book", "csv.reader + executemany")
    for _ in range(rounds):
        pair.add(figure=..., floor=...)
    print(pair.line(goal=3))
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Paired:
    """One figure and its floor, one (figure, floor) pair per round."""

    name: str
    floor_name: str
    unit: str = "s"
    figures: list[float] = field(default_factory=list)
    floors: list[float] = field(default_factory=list)

    def add(self, figure: float, floor: float) -> float:
        """Record one round; returns its ratio (for a progress line)."""
        self.figures.append(figure)
        self.floors.append(floor)
        return figure / floor

    @property
    def ratios(self) -> list[float]:
        return [f / b for f, b in zip(self.figures, self.floors, strict=True)]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    def ok(self, goal: float) -> bool:
        return self.median <= goal

    def _time(self, values: Sequence[float]) -> str:
        scale, unit = (1000.0, "ms") if self.unit == "ms" else (1.0, "s")
        return f"{statistics.median(values) * scale:.{0 if unit == 'ms' else 2}f} {unit}"

    def line(self, goal: float | None = None) -> str:
        """``name: 4.1 s vs floor 1.4 s; ratio median 2.9x (min 2.7x, max 3.3x, 3 rounds)``."""
        r = self.ratios
        text = (
            f"{self.name}: {self._time(self.figures)} vs {self.floor_name} "
            f"{self._time(self.floors)}; ratio median {statistics.median(r):.2f}x "
            f"(min {min(r):.2f}x, max {max(r):.2f}x, {len(r)} rounds)"
        )
        if goal is not None:
            text += f"; goal <= {goal:g}x: {'ok' if self.ok(goal) else 'OVER'}"
        return text


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds ``fn`` took, and what it returned."""
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


@dataclass(frozen=True)
class Process:
    """What one child process printed, and its own peak memory."""

    stdout: str
    stderr: str
    max_rss_mb: float


def child_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a timed child: as a user's, with compiled modules cached.

    ``PYTHONDONTWRITEBYTECODE`` (set in some shells and containers) would make every child
    compile every module again, a cost an installed Smallyes never pays.
    """
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_process(
    cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[float, Process]:
    """Wall-clock seconds of a whole child process, start to exit, and what it printed.

    A whole process is what a user waits for: interpreter start, imports, the work, exit.
    Its peak RSS is its own (``wait4``): the children's figure from ``getrusage`` would
    count pages a large parent shares with a child until it execs. A failed process stops
    the benchmark with its error, never a figure.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        child = subprocess.Popen(
            list(cmd), stdout=out, stderr=err, text=True, env=child_env(env), cwd=cwd
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Process(out.read(), err.read(), usage.ru_maxrss / 1024)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode}):\n{result.stderr[-2000:]}")
    return elapsed, result
