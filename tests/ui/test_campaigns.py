"""The campaign dialog and the Campaigns page: who may be asked, held back by reason, the
file and the asks made in one go, the numbers per campaign, undo, and the chart."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from crm.asking.asks import list_asks, set_outcome
from crm.asking.campaigns import create_campaign, list_campaigns
from crm.book.filters import LeadFilter
from crm.book.leads import LeadQuery, LeadRow
from crm.book.timeline import record_commitment
from crm.changes import LEAD_TABLES, Change
from ui import campaign_dialog, campaigns_view
from ui.campaign_dialog import CampaignDialog, open_campaign_dialog
from ui.campaigns_view import CampaignsModel, CampaignsPage, Column
from ui.events import AppEvents

DAY = dt.timedelta(days=1)


@pytest.fixture
def subscribers(people: dict[str, LeadRow], now: dt.datetime) -> dict[str, LeadRow]:
    """The people, Ada and Ben subscribed since a month (Ben is past downloaded already)."""
    for name in ("ada", "ben"):
        record_commitment(people[name].id, "subscribed", at=now - 30 * DAY, now=now)
    return people


def _planned(qtbot, dialog: CampaignDialog) -> None:
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=5000)


def test_the_dialog_shows_who_may_be_asked_and_why_the_rest_are_held_back(
    qtbot, subscribers, clock
) -> None:
    dialog = CampaignDialog(AppEvents(), step_key="answered", clock=clock)
    qtbot.addWidget(dialog)
    _planned(qtbot, dialog)
    assert dialog.step.currentData() == "answered"
    assert dialog.who.currentText() == "Every lead"
    # Ada (downloaded) may be asked; Ben is past it; Cleo unsubscribed; Dan and Eve never
    # opted in
    assert dialog.eligible.text() == "1 of 5 leads may be asked now"
    held = dialog.held.text()
    assert held.startswith("Held back (4):")
    assert "unsubscribed, bounced or complained" in held and "never opted in" in held
    # nothing to write to yet: Create waits for a file
    assert not dialog.create_button.isEnabled()


def test_create_writes_the_file_and_records_the_asks(qtbot, subscribers, clock, tmp_path) -> None:
    events = AppEvents()
    dialog = CampaignDialog(events, step_key="answered", clock=clock)
    qtbot.addWidget(dialog)
    _planned(qtbot, dialog)
    dialog.platform.setCurrentIndex(dialog.platform.findData("brevo"))
    target = tmp_path / "brevo.csv"
    dialog.file.setText(str(target))
    assert dialog.create_button.isEnabled()
    with (
        qtbot.waitSignal(events.changed, timeout=5000) as changed,
        qtbot.waitSignal(dialog.sig_created, timeout=5000) as created,
    ):
        dialog.create_button.click()
    made = created.args[0]
    assert changed.args[0].touches("ask", "campaign")
    assert made.asked == 1 and target.exists()
    with target.open(newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [
            ["EMAIL", "FIRSTNAME", "LASTNAME"],
            ["ada@example.com", "Ada", "Lovelace"],
        ]
    assert [a.lead_id for a in list_asks(outcome="pending")] == [subscribers["ada"].id]
    assert dialog.result() == CampaignDialog.DialogCode.Accepted


def test_a_failed_create_says_why_in_the_dialog(qtbot, subscribers, clock, db_path) -> None:
    dialog = CampaignDialog(AppEvents(), step_key="answered", clock=clock)
    qtbot.addWidget(dialog)
    _planned(qtbot, dialog)
    dialog.file.setText(str(db_path))  # the database itself
    dialog.create_button.click()
    qtbot.waitUntil(lambda: not dialog.error.isHidden(), timeout=5000)
    assert "Smallyes database in use" in dialog.error.text()
    assert list_asks() == []


def test_a_today_group_opens_the_dialog_on_its_leads(qtbot, subscribers, clock) -> None:
    ids = [subscribers["ada"].id, subscribers["cleo"].id]
    dialog = open_campaign_dialog(None, "answered", None, ids, events=AppEvents(), clock=clock)
    qtbot.addWidget(dialog)
    _planned(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.who.currentText() == "The 2 leads chosen"
    assert dialog.eligible.text() == "1 of 2 leads may be asked now"
    # another choice of leads plans again
    dialog.who.setCurrentIndex(dialog.who.findText("Every lead"))
    qtbot.waitUntil(lambda: dialog.eligible.text() == "1 of 5 leads may be asked now")


def test_the_leads_filter_asks_them_through_the_dialog(qtbot, window, subscribers, monkeypatch):
    opened: list[tuple] = []
    monkeypatch.setattr(
        campaign_dialog, "open_campaign_dialog", lambda *args, **kw: opened.append(args)
    )
    bar = window.leads_page.filter_bar
    bar.set_query(LeadQuery(status="subscribed"))
    bar.ask.click()
    [(parent, step, offer, who)] = opened
    assert (parent, step, offer) == (window.leads_page, None, None)
    assert isinstance(who, LeadQuery) and who.status == "subscribed"


def _campaign(subscribers, now: dt.datetime, tmp_path: Path) -> int:
    made = create_campaign(
        "answered", None, LeadFilter(), platform="kit", target=tmp_path / "k.csv", now=now - DAY
    )
    return made.campaign


def test_the_campaigns_page_lists_the_numbers_and_undoes(
    qtbot, subscribers, now, clock, tmp_path, monkeypatch
) -> None:
    campaign = _campaign(subscribers, now, tmp_path)
    events = AppEvents()
    page = CampaignsPage(events, clock=clock, new_campaign=lambda parent: None)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    model = page.model
    cell = {c: model.data(model.index(0, c)) for c in Column}
    assert cell[Column.CAMPAIGN] == f"{campaign} · Invite to answer a quick question"
    assert (cell[Column.ASKED], cell[Column.PENDING], cell[Column.TOOL]) == ("1", "1", "Kit")
    # an answer elsewhere reaches the page through the window's events
    [ask] = list_asks()
    set_outcome(ask.id, "accepted", at=now, now=now)
    events.publish(Change(LEAD_TABLES, None))
    qtbot.waitUntil(lambda: model.data(model.index(0, Column.YES)) == "1", timeout=5000)
    assert model.data(model.index(0, Column.CONVERSION)) == "100%"
    chart_texts = [t.get_text() for t in page.figure.axes[0].texts]
    assert "1 asked · 1 yes (100%)" in chart_texts
    # undo: nothing pending is left, the answered ask stays
    page.table.selectRow(0)
    assert page.undo_button.isEnabled()
    monkeypatch.setattr(campaigns_view, "confirm_undo", lambda parent, row: True)
    with qtbot.waitSignal(page.sig_status_message, timeout=5000) as said:
        page.undo_button.click()
    assert "0 pending asks removed; 1 answered since stay" in said.args[0]
    qtbot.waitUntil(lambda: "(undone)" in model.data(model.index(0, Column.CAMPAIGN)))
    assert not page.undo_button.isEnabled()
    assert [a.outcome for a in list_asks()] == ["accepted"]
    assert list_campaigns(now)[0].undone_at is not None


def test_the_page_says_what_a_campaign_is_before_the_first(qtbot, db, clock) -> None:
    page = CampaignsPage(AppEvents(), clock=clock)
    qtbot.addWidget(page)
    page.show()
    # once loaded: the words, and no empty table
    qtbot.waitUntil(lambda: page.empty.isVisible() and not page.table.isVisible(), timeout=5000)
    assert "A campaign asks many leads at once" in page.empty.text()
    assert not page.new_button.isEnabled()  # nothing to open it with


def test_the_campaigns_model_is_a_proper_item_model(
    qtmodeltester, subscribers, now, tmp_path
) -> None:
    _campaign(subscribers, now, tmp_path)
    model = CampaignsModel()
    model.set_rows(list_campaigns(now))
    qtmodeltester.check(model)


def test_the_window_opens_the_campaigns_page_and_its_dialog(qtbot, window, subscribers) -> None:
    page = window.show_page("campaigns")
    assert isinstance(page, CampaignsPage)
    with qtbot.waitSignal(page.new_button.clicked):
        page.new_button.click()
    dialogs = [w for w in page.findChildren(CampaignDialog)]
    assert len(dialogs) == 1
    qtbot.waitUntil(lambda: dialogs[0].plan is not None, timeout=5000)
    dialogs[0].reject()


def test_screenshots_of_the_dialog_and_the_page(qtbot, subscribers, now, clock, tmp_path) -> None:
    _campaign(subscribers, now - 10 * DAY, tmp_path)
    [ask] = list_asks()
    set_outcome(ask.id, "accepted", at=now - 9 * DAY, now=now)
    dialog = CampaignDialog(AppEvents(), step_key="replied", clock=clock)
    qtbot.addWidget(dialog)
    _planned(qtbot, dialog)
    dialog.file.setText(str(tmp_path / "mailchimp-ask-replied.csv"))
    dialog.show()
    page = CampaignsPage(AppEvents(), clock=clock)
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    for name, widget in (("campaign-dialog", dialog), ("campaigns", page)):
        path = tmp_path / f"{name}.png"
        assert widget.grab().save(str(path))
        assert path.stat().st_size > 0
