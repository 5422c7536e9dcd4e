"""A one-line label that cuts long text short to its width, the whole text in its tooltip:
for a line with nowhere to wrap (an e-mail address, a filter's words)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy

from ui.style import styled


class ElidedLabel(QLabel):
    """One line of text cut short to its width (the tooltip has it whole); ``role`` gives
    it a look from ``ui.style``."""

    def __init__(self, role: str | None = None) -> None:
        super().__init__()
        if role is not None:
            styled(self, role)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))
