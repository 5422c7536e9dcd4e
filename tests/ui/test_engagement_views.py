"""Engagement on screen: Today's column and badge, and the lead panel's engagement line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from crm.book.leads import add_lead, find_lead
from crm.importing import ImportOptions, import_csv
from tests.crm.asking.test_due_engagement import (
    AFTER_MAILCHIMP,
    AFTER_SUBSTACK,
    MAILCHIMP,
    SUBSTACK,
    _later_post,
)
from ui.events import AppEvents
from ui.leads.detail import NO_ENGAGEMENT_TEXT, LeadDetail
from ui.today import TodayColumn, TodayPage


def _page(qtbot, when: dt.datetime) -> TodayPage:
    page = TodayPage(AppEvents(), clock=lambda: when)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.sig_loaded, timeout=20_000):
        page.reload()
    return page


def _cell(page: TodayPage, row: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole):
    return page.model.data(page.model.index(row, TodayColumn.ENGAGEMENT), role)


@pytest.fixture
def shut() -> Callable[[TodayPage], None]:
    pages: list[TodayPage] = []
    yield pages.append
    for page in pages:
        page.shutdown()


def test_today_shows_who_clicked_first_in_bold_with_a_badge(qtbot, db, shut) -> None:
    import_csv(MAILCHIMP, ImportOptions(), now=AFTER_MAILCHIMP)
    page = _page(qtbot, AFTER_MAILCHIMP)
    shut(page)
    assert not page.table.isColumnHidden(TodayColumn.ENGAGEMENT)
    header = page.model.headerData(
        TodayColumn.ENGAGEMENT, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole
    )
    assert header == "Engagement"
    assert _cell(page, 0) == "▲ Clicked 2 days ago"
    font = _cell(page, 0, Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    assert "clicked your link to form" in _cell(page, 0, Qt.ItemDataRole.ToolTipRole)
    # an opener's badge is plain; a lead nobody saw open anything has none
    texts = [_cell(page, r) for r in range(page.model.rowCount())]
    opened = texts.index(next(t for t in texts if t.startswith("▲ Opened")))
    assert _cell(page, opened, Qt.ItemDataRole.FontRole) is None
    assert texts[-1] == "" and _cell(page, len(texts) - 1, Qt.ItemDataRole.FontRole) is None

    page.table.selectRow(0)
    assert page.engagement_label.isVisible()
    assert page.engagement_label.text() == "▲ Clicked 2 days ago"
    assert page.reason.text().startswith("Strike while warm: they clicked your link to")
    page.table.selectRow(len(texts) - 1)
    assert not page.engagement_label.isVisible()


def test_today_marks_the_cold_muted_at_the_bottom(qtbot, db, tmp_path: Path, shut) -> None:
    import_csv(SUBSTACK, ImportOptions(), now=AFTER_SUBSTACK)
    import_csv(
        _later_post(tmp_path, "siobhan.oconnor@example.ie"), ImportOptions(), now=AFTER_SUBSTACK
    )
    page = _page(qtbot, AFTER_SUBSTACK)
    shut(page)
    last = page.model.rowCount() - 1
    assert _cell(page, last) == "▼ Cold: asked last"
    muted = QGuiApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
    assert _cell(page, last, Qt.ItemDataRole.ForegroundRole) == muted
    assert _cell(page, 0, Qt.ItemDataRole.ForegroundRole) is None
    page.table.selectRow(last)
    assert page.engagement_label.text() == "▼ Cold: asked last"
    assert page.reason.text().startswith("Cold: hasn't opened any of your")


def test_without_activity_the_column_and_badge_stay_hidden(qtbot, db, people, now, shut) -> None:
    page = _page(qtbot, now)
    shut(page)
    assert page.model.rowCount() == 4
    assert page.table.isColumnHidden(TodayColumn.ENGAGEMENT)
    page.table.selectRow(0)
    assert page.selected_item() is not None
    assert not page.engagement_label.isVisible()


def test_the_lead_panel_shows_engagement_or_says_there_is_none(qtbot, db) -> None:
    now = AFTER_MAILCHIMP
    import_csv(MAILCHIMP, ImportOptions(), now=now)
    newcomer = add_lead("nell@example.com", first_name="Nell", now=now)
    detail = LeadDetail(AppEvents(), clock=lambda: now)
    qtbot.addWidget(detail)
    detail.show()
    detail.show_lead(find_lead("priya.girard58@mail.example.com").id)
    assert detail.engagement.text() == (
        "Last opened yesterday · 3 opens in the last 90 days\n"
        "Last clicked 2 days ago · 1 click in the last 90 days\n"
        "2 e-mails received"
    )
    assert detail.engagement.toolTip().startswith("Last opened 2024-05-")
    detail.show_lead(newcomer.id)
    assert detail.engagement.text() == NO_ENGAGEMENT_TEXT == "No e-mail activity imported yet."
    assert detail.engagement.toolTip() == ""
