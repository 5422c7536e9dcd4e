"""The lead table model: Qt's model checks, paging, and refreshes without resets."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from crm.book.leads import LeadQuery, SortKey, add_lead, delete_lead, update_lead
from ui.leads.table_model import Columns, LeadIdRole, LeadTableModel


def _leads(n: int, now: dt.datetime) -> list[int]:
    return [
        add_lead(f"p{i:02d}@example.com", first_name=f"P{i:02d}", last_name="Doe", now=now).id
        for i in range(n)
    ]


def test_model_passes_qt_model_checks(db, now, qtmodeltester):
    _leads(7, now)
    model = LeadTableModel(clock=lambda: now, page_size=3)
    model.set_query(LeadQuery(sort=SortKey.EMAIL))
    qtmodeltester.check(model)
    while model.canFetchMore():
        model.fetchMore()
    qtmodeltester.check(model)


def test_rows_come_in_pages(db, now):
    ids = _leads(7, now)
    model = LeadTableModel(clock=lambda: now, page_size=3)
    model.set_query(LeadQuery(sort=SortKey.EMAIL))
    assert model.rowCount() == 3 and model.canFetchMore()
    model.fetchMore()
    model.fetchMore()
    assert model.rowCount() == 7 and not model.canFetchMore()
    assert [model.index(r, 0).data(LeadIdRole) for r in range(7)] == ids
    assert model.headerData(Columns.LAST_YES, Qt.Orientation.Horizontal) == "Last yes"


def test_refresh_moves_removes_and_inserts_without_reset(db, now, qtbot):
    ids = _leads(5, now)
    model = LeadTableModel(clock=lambda: now)
    model.set_query(LeadQuery(sort=SortKey.NAME))
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    delete_lead(ids[1])
    update_lead(ids[0], first_name="Zed", now=now)  # moves to the end
    new = add_lead("a@example.com", first_name="Aa", last_name="Doe", now=now).id
    with qtbot.waitSignals([model.rowsRemoved, model.rowsInserted, model.layoutChanged]):
        model.refresh()
    assert not resets
    shown = [model.index(r, 0).data(LeadIdRole) for r in range(model.rowCount())]
    assert shown == [new, ids[2], ids[3], ids[4], ids[0]]
    assert model.index(4, Columns.NAME).data() == "Zed Doe"


def test_a_bounded_refresh_lets_the_rows_below_go_and_fetches_them_again(db, now):
    ids = _leads(12, now)
    model = LeadTableModel(clock=lambda: now, page_size=3)
    model.set_query(LeadQuery(sort=SortKey.EMAIL))
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 12
    update_lead(ids[1], first_name="Bea", now=now)
    model.refresh(keep=5)
    assert model.rowCount() == 5 and model.canFetchMore()
    assert model.index(1, Columns.NAME).data() == "Bea Doe"
    while model.canFetchMore():
        model.fetchMore()
    assert [model.index(r, 0).data(LeadIdRole) for r in range(model.rowCount())] == ids
    model.refresh()  # unbounded: every loaded row again
    assert model.rowCount() == 12


def test_new_query_after_more_leads_does_not_show_a_lead_twice(db, now):
    _leads(4, now)
    model = LeadTableModel(clock=lambda: now, page_size=2)
    model.set_query(LeadQuery(sort=SortKey.NAME))
    add_lead("a@example.com", first_name="Aa", last_name="Doe", now=now)  # shifts offsets
    while model.canFetchMore():
        model.fetchMore()
    shown = [model.index(r, 0).data(LeadIdRole) for r in range(model.rowCount())]
    assert len(shown) == len(set(shown))


def test_opted_out_leads_are_greyed_and_dates_have_exact_tooltips(db, now):
    from crm.book.timeline import record_commitment

    lead = add_lead("x@example.com", status="bounced", now=now)
    record_commitment(lead.id, "clicked", at=now - dt.timedelta(hours=5), now=now)
    model = LeadTableModel(clock=lambda: now)
    model.set_query(LeadQuery())
    assert model.index(0, Columns.NAME).data() == "—"
    assert model.index(0, Columns.LAST_YES).data() == "5 hours ago"
    assert (
        model.index(0, Columns.LAST_YES).data(Qt.ItemDataRole.ToolTipRole).startswith("2026-06-1")
    )
    assert model.index(0, Columns.STATUS).data(Qt.ItemDataRole.ForegroundRole) is not None


def test_a_yes_logged_later_reads_just_now_not_in_the_future(db, now, qtbot):
    """The list was read at 12:00; a yes logged at 12:10 must not read "in 10 min"."""
    from crm.book.leads import get_lead
    from crm.book.timeline import record_commitment

    ids = _leads(3, now)
    times = [now]
    model = LeadTableModel(clock=lambda: times[0])
    model.set_query(LeadQuery(sort=SortKey.EMAIL))
    times[0] = now + dt.timedelta(minutes=10)
    record_commitment(ids[1], "subscribed", at=times[0], now=times[0])
    model.update_lead(get_lead(ids[1]))
    assert model.index(1, Columns.LAST_YES).data() == "just now"
    times[0] = now + dt.timedelta(minutes=40)
    model.fetchMore()  # nothing more to fetch: the now stays that of the last read
    assert model.index(1, Columns.LAST_YES).data() == "just now"
    model.refresh()
    assert model.index(1, Columns.LAST_YES).data() == "30 min ago"


def test_the_list_says_just_now_after_they_said_yes(people, db_path, qtbot, now):
    """Log an ask…, then They said yes a few minutes later: Last yes reads "just now"."""
    from crm.asking.asks import record_ask
    from ui.main_window import MainWindow
    from ui.settings import Settings

    times = [now]
    window = MainWindow(db_path, settings=Settings(), clock=lambda: times[0])
    qtbot.addWidget(window)
    try:
        ada = people["ada"]
        record_ask(ada.id, "answered", at=now, now=now)
        page = window.leads_page
        box = window.suggestion_box
        with qtbot.waitSignal(box.sig_shown, timeout=10_000):
            assert page.select_lead(ada.id)
        times[0] = now + dt.timedelta(minutes=10)
        assert box.waiting is not None
        box.answer_buttons["accepted"].click()
        row = page.model.row_for_id(ada.id)
        assert page.model.index(row, Columns.LAST_YES).data() == "just now"
    finally:
        window.close()
