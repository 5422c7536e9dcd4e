"""Running long domain jobs off the GUI thread.

A job is a function ``job(progress, cancel) -> result`` from ``crm``: it reports progress
through the callback, polls the cancel token between batches and raises
``OperationCancelled`` (rolling its transaction back) when asked to stop. ``TaskRunner``
lives on the GUI thread, owns the signals, runs one job at a time on one worker thread,
and delivers every outcome back on the GUI thread: the result, or one :class:`JobFailure`
worded the same way for every page. Given the window's events, it publishes what the job
changed (:mod:`crm.changes`) before the outcome arrives.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QObject, Signal

from crm.changes import NOTHING, Change, collecting
from crm.errors import OperationCancelled, SmallyesError
from crm.jobs import CancelToken
from crm.store.db import close_thread_connection
from crm.store.problems import known_storage_problem

if TYPE_CHECKING:
    from ui.events import AppEvents

log = logging.getLogger(__name__)

Job = Callable[[Callable[[int, int], None], CancelToken], Any]

PROGRESS_INTERVAL_S = 0.1
BUG_MESSAGE = (
    "Something went wrong inside Smallyes; your data is safe (every change is saved whole "
    "or not at all) and the log file has the details."
)


@dataclass(frozen=True, slots=True)
class JobFailure:
    """How a job ended when it did not finish: the one sentence to show, and whether it
    was a bug (already logged with its traceback) rather than a problem the user can fix."""

    error: BaseException
    message: str
    bug: bool


class TaskRunner(QObject):
    """Runs one background job at a time; every signal arrives on the GUI thread."""

    sig_progress = Signal(int, int)
    sig_finished = Signal(object)
    sig_failed = Signal(object)  # a JobFailure
    sig_cancelled = Signal()
    _sig_done = Signal(object)  # carries the Future back to the GUI thread

    _writers: ClassVar[weakref.WeakSet[TaskRunner]] = weakref.WeakSet()

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        writes: bool = False,
        events: AppEvents | None = None,
    ) -> None:
        """``writes``: its jobs change the database (an import, an undo, the demo data);
        ``events``: where what they changed is published, with ``parent`` as its origin."""
        super().__init__(parent)
        self._events = events
        self._change: list[Change] = [NOTHING]
        if writes:
            TaskRunner._writers.add(self)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smallyes-job")
        self._token: CancelToken | None = None
        self._future: Future[Any] | None = None
        self._sig_done.connect(self._on_done)

    @property
    def busy(self) -> bool:
        return self._future is not None and not self._future.done()

    @staticmethod
    def writing() -> bool:
        """Whether a job that changes the database (an import, an undo) is under way."""
        return any(r.busy for r in list(TaskRunner._writers))

    def start(self, job: Job) -> None:
        if self.busy:
            raise RuntimeError("a job is already running")
        token = CancelToken()
        self._token = token
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_S or done >= total:
                last[0] = now
                self.sig_progress.emit(done, total)

        changed: list[Change] = [NOTHING]
        self._change = changed

        def run() -> Any:
            try:
                with collecting() as got:
                    try:
                        return job(progress, token)
                    finally:
                        changed[0] = got.change
            except SmallyesError:
                raise
            except Exception as exc:
                # A full disk or a locked file is the user's to fix, not a bug.
                known = known_storage_problem(exc)
                if known is None:
                    raise
                log.warning("storage problem in a background job", exc_info=exc)
                raise known from exc
            finally:
                close_thread_connection()

        self._future = self._executor.submit(run)
        self._future.add_done_callback(self._sig_done.emit)

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def wait(self) -> None:
        """Block until the running job (if any) has ended; used at shutdown."""
        if self._future is not None:
            # The outcome itself is reported through the signals by _on_done.
            concurrent.futures.wait([self._future])

    def shutdown(self) -> None:
        """Cancel the running job and wait for it: nothing is left half-written."""
        self.cancel()
        self._executor.shutdown(wait=True)

    def _on_done(self, future: Future[Any]) -> None:
        if future is not self._future:
            return
        self._future = None
        if self._events is not None:
            self._events.publish(self._change[0], self.parent())
        exc = future.exception()
        if exc is None:
            self.sig_finished.emit(future.result())
        elif isinstance(exc, OperationCancelled):
            self.sig_cancelled.emit()
        elif isinstance(exc, SmallyesError):
            self.sig_failed.emit(JobFailure(exc, exc.user_message, bug=False))
        else:
            log.error("background job failed", exc_info=exc)
            self.sig_failed.emit(JobFailure(exc, BUG_MESSAGE, bug=True))
