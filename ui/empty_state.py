"""The empty states' shared look: a title, a wrapped sentence and a button, centred."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

TEXT_WIDTH = 560


def lay_out_empty_state(widget: QWidget, title: QLabel, text: QLabel, *below: QWidget) -> None:
    """Put ``title``, ``text`` (wrapped at a fixed width) and ``below`` (a button) in a
    centred column on ``widget``, a little above the middle."""
    text.setFixedWidth(TEXT_WIDTH)
    if text.text():
        # A wrapped label inside an aligned layout item gets no height for its width.
        text.setMinimumHeight(text.heightForWidth(TEXT_WIDTH))
    layout = QVBoxLayout(widget)
    layout.addStretch(2)
    layout.addWidget(title)
    layout.addSpacing(8)
    layout.addWidget(text, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addSpacing(14)
    for item in below:
        layout.addWidget(item, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addStretch(3)
