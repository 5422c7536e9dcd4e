"""The lead panel's scrolling fields: switching between leads of very different heights at
window sizes where the scroll bar is only just needed must settle, not loop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

import ui.leads.detail as detail_mod
from crm.book.leads import add_lead
from ui.events import AppEvents
from ui.leads.detail import LeadDetail

MAX_NESTING = 4  # a resize inside a resize is normal; a chain of them is the loop


@pytest.fixture
def nesting(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The deepest the scroll area's event filter was re-entered; a runaway chain is cut
    short (the event is dropped) so that the test reports it instead of overflowing."""
    depth = [0]
    deepest = [0]
    original = detail_mod._FitScrollArea.eventFilter

    def counting(self: QObject, watched: QObject, event: QEvent) -> bool:
        depth[0] += 1
        deepest[0] = max(deepest[0], depth[0])
        try:
            if depth[0] > MAX_NESTING + 2:
                return True
            return original(self, watched, event)
        finally:
            depth[0] -= 1

    monkeypatch.setattr(detail_mod._FitScrollArea, "eventFilter", counting)
    yield deepest


def _settle() -> None:
    QApplication.processEvents()
    # Removed tag chips are deleted later: let them go, as the event loop would.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)


def _heights_around_the_bar(host: QWidget, detail: LeadDetail, tallest: int, width: int):
    """Window heights either side of where the tallest lead's fields stop needing the bar:
    found by trying, since the threshold moves with what the panel shows and the fonts."""
    detail.show_lead(tallest)
    bar = detail.fields_area.verticalScrollBar()
    for height in range(400, 1400, 12):
        host.resize(width, height)
        _settle()
        if bar.maximum() == 0:
            return range(height - 36, height + 18, 3)
    raise AssertionError("the fields needed the scroll bar at every height tried")


def test_switching_leads_at_the_scroll_threshold_settles(db, now, qtbot, nesting):
    ids = [
        add_lead(
            f"p{n}@example.com",
            first_name=f"P{n}",
            tags=[f"t{j}{'x' * (j % 7)}" for j in range(n)],
            now=now,
        ).id
        for n in (0, 2, 14, 22)
    ]
    host = QWidget()
    detail = LeadDetail(AppEvents(), clock=lambda: now)
    # Something that wraps above the timeline, as the next-ask box does.
    detail.insert_above_timeline(QLabel("A longer explanation that wraps. " * 4, wordWrap=True))
    QVBoxLayout(host).addWidget(detail)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    area = detail.fields_area
    seen_bar = seen_no_bar = False
    # Two panel widths where the tag chips wrap differently with and without the bar, and
    # heights either side of where the bar appears (with the test fonts and the panel as it
    # was then, it looped at 442-448 × 582-606 and 550-556 × 558-576 pixels).
    for width in (444, 552):
        for height in _heights_around_the_bar(host, detail, ids[-1], width):
            host.resize(width, height)
            _settle()
            for first, then in zip(ids, ids[::-1], strict=True):
                detail.show_lead(first)
                _settle()
                # As after "Forget": the panel empties, then shows the next lead.
                detail.show_lead(None)
                detail.show_lead(then)
                _settle()
            assert nesting[0] <= MAX_NESTING, f"layout loop at {width}×{height}"
            # Settled: the content fits the viewport beside the bar, or without one.
            bar = area.verticalScrollBar()
            content = area.widget()
            assert content.width() <= area.viewport().width()
            assert content.height() >= content.minimumSizeHint().height()
            seen_bar |= bar.maximum() > 0
            seen_no_bar |= bar.maximum() == 0
    # The sizes tried cross the threshold where the bar appears.
    assert seen_bar and seen_no_bar
