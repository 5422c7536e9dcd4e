"""The shape every long-running domain job shares: a progress callback, a cancel token,
and the garbage-collection policy of jobs and of the window (one place for both).

In the app, automatic cycle collection is off and the GUI thread calls
:func:`collect_due` on a timer (``ui.collector``): CPython collects in whichever thread
crosses a threshold, and a Qt widget freed by a worker thread crashes the process. A job
that builds many long-lived rows pauses collection meanwhile (:func:`paused_cycle_collection`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from crm.errors import OperationCancelled

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    """A progress callback that ignores progress."""


class CancelToken:
    """Set from any thread; the job polls it between batches and raises when set."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise OperationCancelled()


@contextmanager
def paused_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while a job builds 100,000 rows it keeps (Today's histories).

    Hundreds of thousands of long-lived rows would otherwise make it rescan everything
    over and over (about a third of the time); reference counting still frees garbage.
    Afterwards everything still alive goes straight to the oldest generation (what the
    collector would do after scanning it repeatedly), so the first collection after the
    query does not walk all the new rows at once; cycles are found by the next full one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def collect_due() -> int | None:
    """Collect the oldest generation whose threshold is crossed; return it (or None)."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return generation
    return None
