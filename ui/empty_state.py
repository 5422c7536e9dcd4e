"""The empty states' shared look: a title, a wrapped sentence and a button, centred."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.style import styled

TEXT_WIDTH = 560


def lay_out_empty_state(
    widget: QWidget, title: str, text: str, *below: QWidget
) -> tuple[QLabel, QLabel]:
    """Put a title, ``text`` (wrapped at a fixed width) and ``below`` (a button) in a
    centred column on ``widget``, a little above the middle; return the two labels."""
    title_label = styled(QLabel(title, alignment=Qt.AlignmentFlag.AlignCenter), "emptyTitle")
    text_label = styled(
        QLabel(text, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True), "emptyText"
    )
    text_label.setFixedWidth(TEXT_WIDTH)
    if text:
        # A wrapped label inside an aligned layout item gets no height for its width.
        text_label.setMinimumHeight(text_label.heightForWidth(TEXT_WIDTH))
    layout = QVBoxLayout(widget)
    layout.addStretch(2)
    layout.addWidget(title_label)
    layout.addSpacing(8)
    layout.addWidget(text_label, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addSpacing(14)
    for item in below:
        layout.addWidget(item, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addStretch(3)
    return title_label, text_label
