"""Application-wide events: every page refreshes from one signal, after any change.

Domain writers note what they change (:mod:`crm.changes`). Whoever runs a domain operation
in the window runs it inside :meth:`AppEvents.publishing` (or through a
:class:`~ui.workers.TaskRunner` given the events), which emits :attr:`AppEvents.changed`
once with the :class:`~crm.changes.Change` and who ran it. Each page decides from that
value what to reload; nobody picks a signal by hand. The domain stays Qt-free.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject, Signal

from crm.changes import Change, collecting


class AppEvents(QObject):
    """The window's one refresh signal, and the one lifecycle signal of its book."""

    # (Change, origin): what an operation wrote, and the object that ran it (or None). The
    # origin already shows the result of its own operation and may skip the refresh.
    changed = Signal(object, object)
    # Another database file took this one's place (a restore): ids held from before, such
    # as an import's batch, now name other things or nothing.
    database_swapped = Signal()

    def publish(self, change: Change, origin: object = None) -> None:
        """Tell every page what changed (nothing is sent for an empty change)."""
        if not change.empty:
            self.changed.emit(change, origin)

    @contextmanager
    def publishing(self, origin: object = None) -> Iterator[None]:
        """Run domain writes inside this block; what they noted is published at its end
        (also when the block fails part-way: a needless refresh costs less than a stale
        view)."""
        with collecting() as got:
            try:
                yield
            finally:
                self.publish(got.change, origin)
