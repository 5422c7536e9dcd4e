"""Engagement on screen: Today's column and badge, and the lead panel's engagement line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from crm.asking.suggest import Warmth
from crm.book.leads import add_lead, find_lead
from crm.importing import ImportOptions, import_csv
from tests.crm.asking.test_due_engagement import (
    AFTER_MAILCHIMP,
    AFTER_SUBSTACK,
    MAILCHIMP,
    SUBSTACK,
    _later_post,
)
from tests.ui.today_helpers import cell, group_of, listed
from ui.events import AppEvents
from ui.leads.detail import NO_ENGAGEMENT_TEXT, LeadDetail
from ui.today import TodayColumn, TodayPage, engagement_text

ENGAGEMENT = TodayColumn.ENGAGEMENT
TOOLTIP = Qt.ItemDataRole.ToolTipRole


def _page(qtbot, when: dt.datetime) -> TodayPage:
    page = TodayPage(AppEvents(), clock=lambda: when)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.sig_loaded, timeout=20_000):
        page.reload()
    return page


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
    items = listed(page)
    clicked = next(i for i in items if i.suggestion.warmth == Warmth.CLICKED).lead_id
    # the one who clicked is the first of their ask's group, in bold, with a badge
    assert group_of(page, clicked).items[0].lead_id == clicked
    assert cell(page, clicked, ENGAGEMENT) == "▲ Clicked 2 days ago"
    font = cell(page, clicked, ENGAGEMENT, Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    assert "clicked your link to form" in cell(page, clicked, ENGAGEMENT, TOOLTIP)
    # an opener's badge is plain; a lead nobody saw open anything has none
    opened = next(i for i in items if engagement_text(i).startswith("▲ Opened")).lead_id
    assert cell(page, opened, ENGAGEMENT, Qt.ItemDataRole.FontRole) is None
    quiet = next(i for i in items if i.suggestion.warmth == Warmth.NONE).lead_id
    assert cell(page, quiet, ENGAGEMENT) == ""
    assert cell(page, quiet, ENGAGEMENT, Qt.ItemDataRole.FontRole) is None
    # inside each group the warmest come first
    for group in page.model.groups():
        warmth = [i.suggestion.warmth for i in group.items]
        assert warmth == sorted(warmth, reverse=True)

    page.select_lead(clicked)
    assert page.engagement_label.isVisible()
    assert page.engagement_label.text() == "▲ Clicked 2 days ago"
    assert page.reason.text().startswith("Strike while warm: they clicked your link to")
    page.select_lead(quiet)
    assert not page.engagement_label.isVisible()


def test_today_marks_the_cold_muted_at_the_bottom(qtbot, db, tmp_path: Path, shut) -> None:
    import_csv(SUBSTACK, ImportOptions(), now=AFTER_SUBSTACK)
    import_csv(
        _later_post(tmp_path, "siobhan.oconnor@example.ie"), ImportOptions(), now=AFTER_SUBSTACK
    )
    page = _page(qtbot, AFTER_SUBSTACK)
    shut(page)
    cold = next(i for i in listed(page) if i.suggestion.warmth == Warmth.COLD).lead_id
    group = group_of(page, cold)
    # the cold come last in their group
    assert group.items[-1].suggestion.warmth == Warmth.COLD
    assert cell(page, cold, ENGAGEMENT) == "▼ Cold: asked last"
    muted = QGuiApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
    assert cell(page, cold, ENGAGEMENT, Qt.ItemDataRole.ForegroundRole) == muted
    warm = next(i for i in listed(page) if i.suggestion.warmth != Warmth.COLD).lead_id
    assert cell(page, warm, ENGAGEMENT, Qt.ItemDataRole.ForegroundRole) is None
    page.select_lead(cold)
    assert page.engagement_label.text() == "▼ Cold: asked last"
    assert page.reason.text().startswith("Cold: hasn't opened any of your")


def test_without_activity_the_column_and_badge_stay_hidden(qtbot, db, people, now, shut) -> None:
    page = _page(qtbot, now)
    shut(page)
    assert len(listed(page)) == 4
    assert page.table.isColumnHidden(TodayColumn.ENGAGEMENT)
    page.select_lead(listed(page)[0].lead_id)
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
