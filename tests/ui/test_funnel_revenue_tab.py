"""The Funnel page's Revenue tab: one currency at a time, its charts and tables, exports.

The ``people`` history (tests/ui/conftest.py): Ada downloaded the Pricing guide, Ben
booked a call. ``sales`` adds: Ada bought for EUR 149.00; Ben for EUR 97.00, half of it
refunded, and for USD 49.00.
"""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

import ui.funnel_view as funnel_view
from crm.analytics.charts import EMPTY_TEXT
from crm.changes import Change
from tests.crm.sales_helpers import sell
from ui.funnel_view import NO_SALE_TEXT, REVENUE, ChartTarget, FunnelPage


@pytest.fixture(autouse=True)
def _collect_qt_garbage_on_the_gui_thread():
    # As in test_funnel_view.py: a canvas left to a worker thread's collection crashes.
    gc.collect()
    yield
    gc.collect()


@pytest.fixture
def sales(people, now) -> None:
    day = dt.timedelta(days=1)
    sell(people["ada"].id, now - 2 * day, 14900, product="Pricing workshop", now=now)
    sell(people["ben"].id, now - 12 * dt.timedelta(hours=1), 9700, refunded=4850, now=now)
    sell(people["ben"].id, now - 6 * dt.timedelta(hours=1), 4900, "USD", product="Kit", now=now)


def open_revenue(window, qtbot) -> FunnelPage:
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page("funnel")
    assert isinstance(page, FunnelPage)
    qtbot.waitUntil(lambda: page.funnel is not None and not page.runner.busy, timeout=10_000)
    page.tabs.setCurrentWidget(page.revenue_panel)
    assert page.current_kind() == REVENUE
    return page


@pytest.fixture
def page(sales, window, qtbot):
    page = open_revenue(window, qtbot)
    yield page
    page.shutdown()


def cells(view, row: int) -> list[str]:
    model = view.numbers
    return [model.index(row, c).data() for c in range(model.columnCount())]


def test_each_currency_is_shown_on_its_own(page, tmp_path) -> None:
    panel = page.revenue_panel
    assert panel.currency.isVisible()
    assert [panel.currency.itemText(i) for i in range(panel.currency.count())] == ["EUR", "USD"]
    assert panel.summary.text().startswith(
        "Revenue in EUR: €197.50 net of refunds from 2 purchases by 2 buyers; €39.50 per lead"
    )
    (offers, first_offer), _sources, (_, path_view), _days = panel.tables
    assert offers.text() == "Revenue by first free offer (EUR)"
    assert cells(first_offer, 0) == ["Pricing guide", "1", "1", "100%", "€149.00"]
    assert cells(first_offer, 1) == ["Took no free offer", "4", "1", "25%", "€48.50"]
    assert cells(path_view, 0)[0] == "Downloaded"
    by_offer = panel.figures["revenue-by-offer"]
    assert by_offer.get_suptitle() == "Revenue by the free offer a lead took first, EUR"
    # Every table shows all its rows: none scrolls inside the pane.
    for _, view in panel.tables:
        rows = view.numbers.rowCount()
        assert view.height() >= rows * view.verticalHeader().defaultSectionSize()
    shot = tmp_path / "revenue-tab.png"
    assert page.grab().save(str(shot)) and shot.stat().st_size > 10_000

    panel.currency.setCurrentIndex(1)
    panel.currency.activated.emit(1)
    assert panel.summary.text().startswith("Revenue in USD: $49.00 net of refunds")
    assert by_offer.get_suptitle().endswith(", USD")
    assert panel.figures["time-to-purchase"].get_suptitle().endswith(", USD")
    assert cells(first_offer, 0)[-1] == "$0.00"  # the Pricing guide's taker paid in euros


def test_a_revenue_table_copies_as_tsv(page, qtbot) -> None:
    view = page.revenue_panel.tables[1][1]  # by source
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0] == "Source\tLeads\tBought\tShare\tRevenue"
    assert lines[1] == "manual\t5\t2\t40%\t€197.50"


def test_without_a_sale_the_tab_says_how_to_get_one(people, window, qtbot) -> None:
    page = open_revenue(window, qtbot)
    try:
        panel = page.revenue_panel
        assert panel.summary.text() == NO_SALE_TEXT
        assert not panel.currency.isVisible() and not panel.tables_area.isVisible()
        for figure in panel.figures.values():
            assert EMPTY_TEXT in [t.get_text() for t in figure.axes[0].texts]
    finally:
        page.shutdown()


def test_export_a_revenue_chart_in_the_currency_shown(page, qtbot, tmp_path, monkeypatch):
    panel = page.revenue_panel
    panel.currency.setCurrentIndex(1)
    panel.currency.activated.emit(1)
    target = ChartTarget(tmp_path / "days.svg", 150)
    asked: list[str] = []

    def ask(_parent, kind):
        asked.append(kind)
        return target

    monkeypatch.setattr(funnel_view, "ask_chart_target", ask)
    # The button asks which of the tab's two charts to save.
    page.export_chart_button.click()
    menu = page._revenue_export_menu
    qtbot.waitUntil(menu.isVisible)
    titles = [a.text() for a in menu.actions()]
    assert titles == ["Revenue by first free offer…", "Time to first purchase…"]
    with qtbot.waitSignal(page.sig_export_done, timeout=10_000):
        menu.actions()[1].trigger()
    menu.close()
    assert asked == ["time-to-purchase"]
    text = target.path.read_text(encoding="utf-8")
    assert "Days from a lead's first yes to its first purchase, USD" in text


def test_a_new_sale_refreshes_the_revenue(people, window, now, qtbot) -> None:
    page = open_revenue(window, qtbot)
    try:
        assert page.funnel.revenue.empty
        sell(people["eve"].id, now - dt.timedelta(hours=2), 2500, "GBP", now=now)
        window.events.publish(Change(frozenset({"sale"}), None))
        qtbot.waitUntil(lambda: page.funnel.revenue.codes == ("GBP",), timeout=5000)
        qtbot.waitUntil(lambda: page.revenue_panel.summary.text().startswith("Revenue in GBP"))
        assert not page.revenue_panel.currency.isVisible()  # one currency: nothing to pick
    finally:
        page.shutdown()
