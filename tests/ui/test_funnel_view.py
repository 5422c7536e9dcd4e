"""The Funnel page as a user meets it: numbers beside charts, clicks, exports, empty state.

The ``people`` history (tests/ui/conftest.py): Ada downloaded the Pricing guide (level 3),
Ben booked a call (6), Dan clicked (1), Cleo and Eve have no yes. Ada and Dan are "vip".
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import re
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

import ui.funnel_view as funnel_view
from crm.analytics.funnel import compute_funnel
from crm.book.timeline import record_commitment
from crm.changes import LEAD_TABLES, Change
from ui.funnel_view import ChartTarget, FunnelPage
from ui.leads.table_model import Columns
from ui.style import dark_palette

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _collect_qt_garbage_on_the_gui_thread():
    # Windows of earlier tests sit in reference cycles (a canvas and its figure refer to
    # each other). Left to chance, Python may collect them while a worker thread runs an
    # export, and a Qt widget deleted off the GUI thread crashes. Collect here instead.
    gc.collect()
    yield
    gc.collect()


def open_funnel(window, qtbot) -> FunnelPage:
    window.show()
    qtbot.waitExposed(window)
    page = window.show_page("funnel")
    assert isinstance(page, FunnelPage)
    qtbot.waitUntil(lambda: page.funnel is not None and not page.runner.busy, timeout=10_000)
    return page


@pytest.fixture
def page(people, window, qtbot):
    page = open_funnel(window, qtbot)
    yield page
    page.shutdown()


def shown_emails(window) -> list[str]:
    model = window.leads_page.model
    return sorted(model.index(r, Columns.EMAIL).data() for r in range(model.rowCount()))


def reached(page: FunnelPage) -> list[int]:
    return [s.reached for s in page.funnel.steps]


def test_building_the_main_window_does_not_import_matplotlib(db_path, tmp_path) -> None:
    code = f"""
import sys
from PySide6.QtWidgets import QApplication
from crm.store.db import open_database
app = QApplication([])
open_database({str(db_path)!r})
from ui.main_window import MainWindow
window = MainWindow(__import__("pathlib").Path({str(db_path)!r}))
print("before", "matplotlib" in sys.modules)
window.show_page("funnel")
print("after", "matplotlib.backends.backend_qtagg" in sys.modules)
window.page("funnel").shutdown()
window.leads_page.shutdown()
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["before", "False", "after", "True"]


def test_page_is_registered_on_ctrl_3(window) -> None:
    action = next(a for a in window.view_menu.actions() if a.text() == "Funnel")
    assert action.shortcut().toString() == "Ctrl+3"


def test_numbers_sit_beside_the_chart_and_copy_as_tsv(page, qtbot) -> None:
    assert reached(page) == [3, 2, 2, 1, 1, 1, 0]
    panel = page.panel("funnel")
    assert page.stack.currentWidget() is page.tabs
    assert panel.figure.get_suptitle() == "How far leads climb"
    model = panel.table.numbers
    assert model.rowCount() == 7
    assert [model.index(0, c).data() for c in range(5)] == ["Clicked", "3", "1", "–", "–"]
    # Nobody's subscribe is recorded: the step says so, and downloaded is taken over
    # clicked (2 of 3), not over an untracked step it would always match.
    assert [model.index(1, c).data() for c in range(5)] == [
        "Subscribed",
        "not tracked",
        "0",
        "–",
        "–",
    ]
    assert model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) is None  # nothing to list
    assert "No yes at this step" in model.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(2, 3).data() == "67% of Clicked"  # downloaded: 2 of the 3 who clicked
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0] == "Step\tReached\tTook\tConversion\tDrop-off"
    assert lines[3] == "Downloaded\t2\t1\t67% of Clicked\t1"
    assert len(lines) == 8


def test_clicking_a_funnel_bar_opens_the_leads_who_reached_it(page, window) -> None:
    from matplotlib.backend_bases import MouseEvent

    panel = page.panel("funnel")
    panel.canvas.draw()
    ax = panel.figure.axes[0]
    bar = next(p for p in ax.patches if p.get_gid() == "step:downloaded")
    x, y = ax.transData.transform(
        (bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2)
    )
    MouseEvent("motion_notify_event", panel.canvas, x, y)._process()
    assert panel.canvas.cursor().shape() == Qt.CursorShape.PointingHandCursor
    MouseEvent("button_press_event", panel.canvas, x, y, button=1)._process()
    assert window.current_page_key() == "leads"
    # Ada (downloaded) and Ben (booked) reached "downloaded" or higher.
    assert shown_emails(window) == ["ada@example.com", "ben@example.com"]


def _click_bar(panel, gid: str) -> None:
    from matplotlib.backend_bases import MouseEvent

    panel.canvas.draw()
    ax = panel.figure.axes[0]
    bar = next(p for p in ax.patches if p.get_gid() == gid)
    x, y = ax.transData.transform(
        (bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2)
    )
    MouseEvent("button_press_event", panel.canvas, x, y, button=1)._process()


def test_with_a_period_a_bar_lists_the_people_it_counts(page, window, people, now, qtbot) -> None:
    # Cleo downloaded and Eve answered long ago, Eve about the Pricing guide too: in the
    # last 30 days only Ada (downloaded) and Ben (booked) reached "downloaded".
    old = now - dt.timedelta(days=200)
    record_commitment(people["cleo"].id, "downloaded", at=old, now=now)
    record_commitment(people["eve"].id, "answered", at=old, now=now, offer="Pricing guide")
    page.set_filter(period="Last 30 days")
    qtbot.waitUntil(lambda: page.funnel.filter.has_period and not page.runner.busy)
    steps = {s.key: s.reached for s in page.funnel.steps}
    assert steps["downloaded"] == 2

    _click_bar(page.panel("funnel"), "step:downloaded")

    assert window.current_page_key() == "leads"
    assert shown_emails(window) == ["ada@example.com", "ben@example.com"]
    assert "the lead list shows all time" not in window.statusBar().currentMessage()
    chip = window.leads_page.filter_bar.chip
    assert chip.isVisibleTo(window) and "yes dated" in chip.toolTip()

    window.show_page("funnel")
    page.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: page.panel("offers").figure.axes != [])
    takers = {o.offer: o.takers for o in page.funnel.offers}
    assert takers["Pricing guide"] == 1
    _click_bar(page.panel("offers"), "offer:Pricing guide")
    assert shown_emails(window) == ["ada@example.com"]

    # Removing the chart's filter shows everyone again, the period with it.
    window.leads_page.filter_bar.chip_clear.click()
    assert len(shown_emails(window)) == 5


def test_double_clicking_an_offer_row_opens_its_takers(page, window, qtbot) -> None:
    page.tabs.setCurrentIndex(2)
    panel = page.panel("offers")
    assert panel.table.numbers.index(0, 0).data() == "Pricing guide"
    rect = panel.table.visualRect(panel.table.numbers.index(0, 0))
    # A real double-click: the press and release of the first click, then the second.
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_page_key() == "leads"
    assert shown_emails(window) == ["ada@example.com"]


def test_filters_recompute_in_the_background(page, qtbot) -> None:
    page.set_filter(tag="vip")
    qtbot.waitUntil(lambda: page.funnel.filter.tag == "vip" and not page.runner.busy)
    assert reached(page) == [2, 1, 1, 0, 0, 0, 0]  # Ada (3) and Dan (1)
    page.set_filter(period="Last 30 days", tag=None)
    qtbot.waitUntil(lambda: page.funnel.filter.has_period and not page.runner.busy)
    assert reached(page) == [3, 2, 2, 1, 1, 1, 0]  # every yes is within the month


def test_a_new_yes_elsewhere_refreshes_the_numbers(page, window, people, now, qtbot) -> None:
    record_commitment(people["eve"].id, "purchased", at=now, now=now)
    window.events.publish(Change(LEAD_TABLES, frozenset({people["eve"].id})))
    qtbot.waitUntil(lambda: page.funnel.steps[-1].reached == 1, timeout=5000)


def test_export_chart_as_png_at_the_chosen_dpi_and_as_svg(page, qtbot, tmp_path, monkeypatch):
    target = ChartTarget(tmp_path / "funnel.png", 100)
    monkeypatch.setattr(funnel_view, "ask_chart_target", lambda _parent, _kind: target)
    with qtbot.waitSignal(page.sig_export_done, timeout=10_000):
        page.export_chart()
    data = target.path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (800, 480)

    page.tabs.setCurrentIndex(4)
    svg = ChartTarget(tmp_path / "velocity.svg", 150)
    monkeypatch.setattr(funnel_view, "ask_chart_target", lambda _parent, _kind: svg)
    with qtbot.waitSignal(page.sig_export_done, timeout=10_000):
        page.export_chart()
    assert "How long each step takes" in svg.path.read_text(encoding="utf-8")


def test_a_refused_export_says_why_and_that_nothing_was_saved(
    page, window, qtbot, tmp_path, monkeypatch
):
    from ui import errors

    shown: list[str] = []
    monkeypatch.setattr(errors, "show_message", lambda _p, _t, text, **_k: shown.append(text))
    target = ChartTarget(tmp_path / "funnel.bmp", 150)
    monkeypatch.setattr(funnel_view, "ask_chart_target", lambda _parent, _kind: target)
    with qtbot.waitSignal(page.export_runner.sig_failed, timeout=10_000):
        page.export_chart()
    assert shown and "not '.bmp'" in shown[0]
    assert window.statusBar().currentMessage() == "Nothing was saved."
    assert not target.path.exists()


def test_export_report_writes_every_chart(page, qtbot, tmp_path, monkeypatch) -> None:
    path = tmp_path / "report.pdf"
    monkeypatch.setattr(funnel_view, "ask_report_path", lambda _parent: path)
    with qtbot.waitSignal(page.sig_export_done, timeout=20_000):
        page.export_report()
    pages = re.findall(rb"/Type\s*/Page(?![s\w])", path.read_bytes())
    assert len(pages) == 8  # the cover, five charts, the revenue page, the campaigns


def test_empty_database_says_what_to_do(db, window, qtbot) -> None:
    page = open_funnel(window, qtbot)
    try:
        assert page.stack.currentWidget() is page.empty
        assert page.empty.title.text() == "No data for the chart yet"
        assert "Log a yes" in page.empty.text.text()
        assert not page.export_chart_button.isEnabled()
        page.empty.action.click()
        assert window.current_page_key() == "leads"
    finally:
        page.shutdown()


def test_filters_that_match_nothing_offer_to_widen(page, qtbot) -> None:
    page.period.setCurrentIndex(page.period.findText("Custom…"))
    page._on_period_activated(page.period.currentIndex())
    page.since.setDate(QDate(2020, 1, 1))
    page.until.setDate(QDate(2020, 1, 31))
    qtbot.waitUntil(
        lambda: page.funnel.filter.has_period and page.funnel.empty and not page.runner.busy
    )
    assert page.stack.currentWidget() is page.empty
    assert "Widen the period" in page.empty.text.text()
    page.empty.action.click()
    qtbot.waitUntil(lambda: not page.funnel.filter.has_period and not page.runner.busy)
    assert page.stack.currentWidget() is page.tabs


def test_charts_restyle_when_the_palette_changes(page, qtbot) -> None:
    app = QApplication.instance()
    before = app.palette()
    figure = page.panel("funnel").figure
    light_bg = figure.get_facecolor()
    try:
        app.setPalette(dark_palette())
        qtbot.waitUntil(lambda: figure.get_facecolor() != light_bg)
        window_color = dark_palette().color(dark_palette().ColorRole.Window)
        r, g, b, _ = figure.get_facecolor()
        assert (round(r * 255), round(g * 255), round(b * 255)) == (
            window_color.red(),
            window_color.green(),
            window_color.blue(),
        )
    finally:
        app.setPalette(before)


def test_the_numbers_are_computed_off_the_gui_thread(people, window, qtbot, monkeypatch):
    release = threading.Event()
    threads: list[threading.Thread] = []

    def slow_compute(flt, *, progress, cancel):
        threads.append(threading.current_thread())
        release.wait(10)
        return compute_funnel(flt, progress=progress, cancel=cancel)

    monkeypatch.setattr(funnel_view, "compute_funnel", slow_compute)
    page = window.show_page("funnel")
    try:
        ticks: list[int] = []
        timer = QTimer(interval=10)
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start()
        # The window keeps handling events while the computation waits.
        qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=5000)
        assert page.runner.busy and not page.busy_label.isHidden()
        release.set()
        qtbot.waitUntil(lambda: page.funnel is not None, timeout=10_000)
        assert threads and threads[0] is not threading.main_thread()
    finally:
        release.set()
        page.shutdown()


def test_period_presets_follow_the_clock(page, now) -> None:
    page.set_filter(period="Last 90 days")
    flt = page.current_filter()
    assert flt.until == now and flt.since == now - dt.timedelta(days=90)


def test_a_long_tag_name_does_not_widen_the_window(people, window, qtbot):
    from crm.book.leads import tag_lead

    long_tag = "spring workshop attendees who asked about the advanced pricing course"
    tag_lead(people["ada"].id, [long_tag])
    page = open_funnel(window, qtbot)
    room = 1024 - window.sidebar.width()  # a laptop screen
    page.set_filter(tag=long_tag)
    assert page.runner.busy and page.busy_label.isVisible()
    assert page.minimumSizeHint().width() <= room  # while the numbers are worked out
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=10_000)
    assert page.tag.currentText() == long_tag
    assert page.minimumSizeHint().width() <= room
    page.set_filter(period="Custom…")  # its two dates shown too
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=10_000)
    assert page.since.isVisible() and page.until.isVisible()
    assert page.minimumSizeHint().width() <= room
    page.set_filter(period="All time")
    assert not page.since.isVisible()
    page.shutdown()
