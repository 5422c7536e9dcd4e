"""Selecting many leads (Shift/Ctrl click, Ctrl+A, all matching the filter) and changing
them at once from the bulk bar, with its undo; the Changes page beside Imports."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QTest

from crm.book.bulk import list_changes
from crm.book.leads import LeadQuery, add_lead, count_leads
from crm.store.models import database_proxy
from ui.changes_page import CHANGES_PAGE, ChangesPage
from ui.leads import bulk_bar
from ui.leads.page import LeadsPage
from ui.leads.table_model import PAGE_SIZE
from ui.main_window import MainWindow

MANY = PAGE_SIZE + 50  # more than the first page the table loads


@pytest.fixture
def many(db: object, now: dt.datetime) -> None:
    with database_proxy.atomic():
        for i in range(MANY):
            add_lead(
                f"p{i:03}@example.com",
                first_name=f"P{i:03}",
                status="subscribed" if i % 5 else "unsubscribed",
                now=now,
            )


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[object]]:
    """The bar's dialogs, answered: a tag, a date, yes to every confirmation (recorded)."""
    asked: dict[str, list[object]] = {"confirm": [], "tag": ["promo"]}
    monkeypatch.setattr(bulk_bar, "ask_tag", lambda _p, _t, _tags: asked["tag"][-1])
    monkeypatch.setattr(bulk_bar, "ask_until", lambda _p, today: today + dt.timedelta(days=9))

    def confirm(_p: object, _title: str, text: str, _action: str) -> bool:
        asked["confirm"].append(text)
        return True

    monkeypatch.setattr(bulk_bar, "confirm_bulk", confirm)
    return asked


def _page(qtbot, window_factory: Callable[[], MainWindow]) -> LeadsPage:
    window = window_factory()
    window.show()
    qtbot.waitExposed(window)
    page = window.leads_page
    qtbot.waitUntil(lambda: page.counts is not None)  # counted once the rows are painted
    return page


def _click(page: LeadsPage, row: int, modifier: Qt.KeyboardModifier) -> None:
    view = page.table
    rect = view.visualRect(page.model.index(row, 0))
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def _run(qtbot, page: LeadsPage, action: Callable[[], None]) -> object:
    with qtbot.waitSignal(page.bulk_bar.sig_finished, timeout=10_000) as blocker:
        action()
    return blocker.args[0]


def test_shift_and_ctrl_click_select_several_and_the_bar_says_how_many(
    qtbot, many, make_window, answers
) -> None:
    page = _page(qtbot, make_window)
    assert page.bulk_bar.isHidden()
    _click(page, 0, Qt.KeyboardModifier.NoModifier)
    assert page.bulk_bar.isHidden(), "one lead has its own actions"
    _click(page, 4, Qt.KeyboardModifier.ShiftModifier)
    _click(page, 2, Qt.KeyboardModifier.ControlModifier)  # off again
    assert len(page.selected_lead_ids()) == 4
    assert page.bulk_bar.isVisible()
    assert page.bulk_bar.count_label.text() == "4 leads selected"
    result = _run(qtbot, page, page.bulk_bar.add_tag)
    assert result.changed == 4  # type: ignore[attr-defined]
    assert count_leads(LeadQuery(tags_all=("promo",))) == 4
    assert answers["confirm"] == [], "four leads: no question"


def test_ctrl_a_then_all_matching_changes_every_lead_the_filter_matches_and_undo(
    qtbot, many, make_window, answers, tmp_path: Path
) -> None:
    page = _page(qtbot, make_window)
    page.table.setFocus()
    QTest.keyClick(page.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(page.selected_lead_ids()) == PAGE_SIZE  # what is loaded, no more
    bar = page.bulk_bar
    assert bar.all_button.isVisible()
    assert bar.all_button.text() == f"Select all {MANY:,} matching"
    bar.all_button.click()
    assert bar.all_matching and bar.count_label.text() == f"All {MANY:,} leads matching the filter"
    assert page.model.loaded_count() == PAGE_SIZE, "nothing more was loaded"

    result = _run(qtbot, page, bar.add_tag)
    assert result.changed == MANY  # type: ignore[attr-defined]
    assert answers["confirm"] == [f"Add the tag “promo” {MANY:,} leads?"]
    assert count_leads(LeadQuery(tags_all=("promo",))) == MANY
    assert bar.result_label.text().startswith(f"Added the tag promo to {MANY:,} leads")
    assert bar.undo_button.isVisible()
    assert not bar.all_matching, "the next action names its leads again"
    # the list shows the new tag without a restart
    qtbot.waitUntil(
        lambda: "promo" in (page.model.lead_at(0).tags if page.model.lead_at(0) else ())
    )
    if os.environ.get("SMALLYES_SHOTS"):
        page.window().grab().save(str(Path(os.environ["SMALLYES_SHOTS"]) / "bulk_bar.png"))

    undone = _run(qtbot, page, bar.undo_last)
    assert undone.restored == MANY  # type: ignore[attr-defined]
    assert count_leads(LeadQuery(tags_all=("promo",))) == 0
    assert not bar.undo_button.isVisible()
    assert "back as they were" in bar.result_label.text()


def test_the_filter_s_matches_only_and_suppressed_leads_keep_their_status(
    qtbot, many, make_window, answers
) -> None:
    page = _page(qtbot, make_window)
    page.show_query(LeadQuery(status="unsubscribed"))
    matching = count_leads(LeadQuery(status="unsubscribed"))
    page.table.selectAll()
    page.bulk_bar.select_all_matching()
    result = _run(qtbot, page, lambda: page.bulk_bar.set_status(bulk_bar.LeadStatus.SUBSCRIBED))
    assert (result.matched, result.changed, result.kept) == (matching, 0, matching)  # type: ignore[attr-defined]
    assert "keep their status" in page.bulk_bar.result_label.text()
    assert count_leads(LeadQuery(status="unsubscribed")) == matching


def test_a_bulk_delete_always_asks_and_a_no_changes_nothing(
    qtbot, many, make_window, answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = _page(qtbot, make_window)
    monkeypatch.setattr(bulk_bar, "confirm_bulk", lambda *_a: False)
    _click(page, 0, Qt.KeyboardModifier.NoModifier)
    _click(page, 1, Qt.KeyboardModifier.ShiftModifier)
    page.delete_selected()  # the Delete key: both, as one change
    assert not page.bulk_bar.runner.busy
    assert count_leads(LeadQuery()) == MANY
    monkeypatch.setattr(bulk_bar, "confirm_bulk", lambda *_a: True)
    result = _run(qtbot, page, page.delete_selected)
    assert result.changed == 2  # type: ignore[attr-defined]
    assert count_leads(LeadQuery()) == MANY - 2
    qtbot.waitUntil(lambda: page.model.row_for_id(1) is None)


def test_snooze_and_do_not_contact_from_the_bar(qtbot, many, make_window, answers, now) -> None:
    page = _page(qtbot, make_window)
    selection = page.table.selectionModel()
    for row in range(3):
        selection.select(
            page.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    result = _run(qtbot, page, page.bulk_bar.snooze)
    assert result.changed == 3  # type: ignore[attr-defined]
    until = database_proxy.execute_sql("SELECT DISTINCT until FROM suggestion_snooze").fetchall()
    assert len(until) == 1 and str(until[0][0]) > str(now + dt.timedelta(days=8))
    page.bulk_bar.dnc_on_action.trigger()
    qtbot.waitUntil(lambda: not page.bulk_bar.runner.busy and len(list_changes()) == 2)
    assert count_leads(LeadQuery()) == MANY
    assert database_proxy.execute_sql(
        "SELECT count(*) FROM lead WHERE do_not_contact"
    ).fetchone() == (3,)


def test_mark_as_asked_holds_back_the_unsubscribed_and_its_undo(
    qtbot, many, make_window, answers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk_bar, "ask_step_and_offer", lambda _p: ("downloaded", None))
    page = _page(qtbot, make_window)
    selection = page.table.selectionModel()
    for row in range(5):  # p000 is unsubscribed: never asked
        selection.select(
            page.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    result = _run(qtbot, page, page.bulk_bar.mark_asked)
    assert (result.matched, result.changed) == (5, 4)  # type: ignore[attr-defined]
    assert "Held back: 1" in page.bulk_bar.result_label.text()
    asked = database_proxy.execute_sql(
        "SELECT l.status FROM ask a JOIN lead l ON l.id = a.lead_id"
    ).fetchall()
    assert asked == [("subscribed",)] * 4
    _run(qtbot, page, page.bulk_bar.undo_last)
    assert database_proxy.execute_sql("SELECT count(*) FROM ask").fetchone() == (0,)


def test_the_changes_page_lists_each_change_beside_imports_and_undoes_it(
    qtbot, many, make_window, answers, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    window = make_window()
    window.show()
    page = window.leads_page
    page.table.selectAll()
    _run(qtbot, page, page.bulk_bar.add_tag)
    titles = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert titles.index("Changes") == titles.index("Imports") + 1
    changes = window.show_page(CHANGES_PAGE)
    assert isinstance(changes, ChangesPage)
    assert changes.table.rowCount() == 1
    assert changes.table.item(0, 1).text() == "Add tag promo · 200 selected leads"
    assert not changes.undo_button.isEnabled()
    changes.table.selectRow(0)
    assert changes.undo_button.isEnabled()
    monkeypatch.setattr("ui.changes_page.confirm_undo", lambda _p, _t: True)
    if os.environ.get("SMALLYES_SHOTS"):
        window.grab().save(str(Path(os.environ["SMALLYES_SHOTS"]) / "changes_page.png"))
    with qtbot.waitSignal(changes.sig_undone, timeout=10_000):
        changes.undo_button.click()
    assert count_leads(LeadQuery(tags_all=("promo",))) == 0
    assert changes.table.item(0, 4).text() == "Undone"
    assert "200 leads back as they were" in changes.status.text()
    # the bar's Undo of that change goes: it was undone here
    assert not page.bulk_bar.undo_button.isVisible()
