"""The shape every long-running domain job shares: a progress callback and a cancel token."""

from __future__ import annotations

import threading
from collections.abc import Callable

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
