"""Custom fields as optional columns of the lead list: chosen from the header's menu,
shown with each lead's value, never sorted, and kept for the next start."""

from __future__ import annotations

from PySide6.QtCore import Qt

from crm.book.leads import update_custom
from ui.leads.table_model import Columns, LeadTableModel
from ui.settings import Settings


def menu_entries(window) -> dict[str, bool]:
    menu = window.leads_page.custom_columns.menu()
    return {a.text(): a.isChecked() for a in menu.actions() if a.isEnabled()}


def column_values(window, column: int) -> dict[str, str]:
    model = window.leads_page.model
    return {
        model.index(r, Columns.EMAIL).data(): model.index(r, column).data()
        for r in range(model.rowCount())
    }


def test_the_header_menu_shows_and_hides_a_field_and_remembers_it(people, now, make_window) -> None:
    update_custom(people["ada"].id, {"plan": "pro", "ZIP": "75001"}, now=now)
    update_custom(people["ben"].id, {"plan": "free"}, now=now)
    window = make_window()
    model = window.leads_page.model
    assert model.columnCount() == len(Columns)
    assert menu_entries(window) == {"plan": False, "ZIP": False}
    menu = window.leads_page.custom_columns.menu()
    plan = next(a for a in menu.actions() if a.text() == "plan")
    plan.trigger()  # ticked: the column comes
    assert model.columnCount() == len(Columns) + 1
    column = len(Columns)
    assert model.headerData(column, Qt.Orientation.Horizontal) == "plan"
    values = column_values(window, column)
    assert values["ada@example.com"] == "pro" and values["ben@example.com"] == "free"
    assert values["eve@example.com"] == ""
    assert Settings().leads_custom_columns == ["plan"]
    assert menu_entries(window) == {"plan": True, "ZIP": False}
    window.leads_page.custom_columns.set_shown("ZIP", True)
    window.leads_page.table.horizontalHeader().resizeSection(column + 1, 77)
    window.close()

    again = make_window()
    model = again.leads_page.model
    assert model.custom_columns == ["plan", "ZIP"]
    assert again.leads_page.table.horizontalHeader().sectionSize(column + 1) == 77
    assert column_values(again, column + 1)["ada@example.com"] == "75001"
    again.leads_page.custom_columns.set_shown("plan", False)
    assert model.custom_columns == ["ZIP"]
    assert model.headerData(column, Qt.Orientation.Horizontal) == "ZIP"
    assert Settings().leads_custom_columns == ["ZIP"]


def test_a_field_column_follows_an_edit_and_is_not_sorted(people, window, now) -> None:
    page = window.leads_page
    page.custom_columns.set_shown("plan", True)
    column = len(Columns)
    with window.events.publishing():
        update_custom(people["dan"].id, {"plan": "team"}, now=now)
    assert column_values(window, column)["dan@example.net"] == "team"
    header = page.table.horizontalHeader()
    before = page.model.query.sort
    header.setSortIndicator(column, Qt.SortOrder.AscendingOrder)
    assert page.model.query.sort == before
    assert header.sortIndicatorSection() != column


def test_without_fields_the_menu_says_so(people, window) -> None:
    menu = window.leads_page.custom_columns.menu()
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Show custom fields as columns", "No lead has custom fields yet"]


def test_the_model_with_field_columns_passes_qt_model_checks(people, now, qtmodeltester):
    update_custom(people["ada"].id, {"plan": "pro"}, now=now)
    model = LeadTableModel(clock=lambda: now)
    model.set_custom_columns(["plan", "ZIP"])
    model.set_query(model.query)
    qtmodeltester.check(model)
    model.set_custom_columns(["ZIP"])
    qtmodeltester.check(model)
