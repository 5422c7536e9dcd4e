"""Application-wide events, so every page refreshes after an import, an edit or a demo load.

Pages receive the one ``AppEvents`` instance from the main window and emit on it after they
change data; every page that shows that data listens. The domain stays Qt-free: these
signals are emitted by the UI code that called the domain function.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal


class AppEvents(QObject):
    """Signals named for what happened to the data."""

    # Leads were added, deleted or restored, or several changed at once.
    leads_changed = Signal()
    # One lead's fields, tags, status or timeline changed; carries the lead id.
    lead_changed = Signal(int)
    # The ladder's steps were renamed, reordered or reworded.
    ladder_changed = Signal()
    # Offers were added or renamed.
    offers_changed = Signal()
    # The whole data set changed under every view (demo loaded, import undone, restore).
    data_replaced = Signal()
    # Another database file took this one's place (a restore): ids held from before, such
    # as an import's batch, now name other things or nothing.
    database_swapped = Signal()

    def connect_data_changed(self, slot: Callable[..., None]) -> None:
        """Call ``slot`` after any change to the data the user sees (for ``lead_changed``
        with the lead id): what a view that shows or copies all of it must follow."""
        for signal in (
            self.leads_changed,
            self.lead_changed,
            self.ladder_changed,
            self.offers_changed,
            self.data_replaced,
        ):
            signal.connect(slot)
