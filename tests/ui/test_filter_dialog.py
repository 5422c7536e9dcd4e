"""More filters: the dialog builds the LeadFilter for each kind of filter, round-trips a
whole filter, refuses what cannot hold, and the lead list shows what it finds."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate

from crm.book.filters import LeadFilter
from crm.book.leads import FieldFilter, list_leads, update_custom
from crm.timefmt import to_utc
from ui.leads import filter_dialog
from ui.leads.filter_dialog import FilterDialog, start_of
from ui.leads.table_model import Columns


@pytest.fixture
def dialog(qtbot, people, clock):
    d = FilterDialog(None, LeadFilter(), clock=clock)
    qtbot.addWidget(d)
    return d


def _choose(combo, value) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def shown_emails(window) -> list[str]:
    model = window.leads_page.model
    return [model.index(r, Columns.EMAIL).data() for r in range(model.rowCount())]


def test_nothing_chosen_is_every_lead(dialog) -> None:
    assert dialog.lead_filter() == LeadFilter()


def test_tags_all_of_any_of_and_none_of(dialog) -> None:
    dialog.tags_all.add("vip")
    dialog.tags_all.add("VIP")  # the same tag: kept once
    dialog.tags_any.add("workshop")
    dialog.tags_any.add("  new   tag ")
    dialog.tags_none.add("coach")
    assert [c.text() for c in dialog.tags_all.chips()] == ["vip  ✕"]
    flt = dialog.lead_filter()
    assert flt.tags_all == ("vip",)
    assert flt.tags_any == ("workshop", "new tag")
    assert flt.tags_none == ("coach",)
    dialog.tags_any.chips()[0].click()  # ✕ removes that tag
    assert dialog.lead_filter().tags_any == ("new tag",)


def test_steps_reached_and_the_offer(dialog) -> None:
    _choose(dialog.step, "downloaded")
    assert dialog.lead_filter() == LeadFilter(step="downloaded")
    _choose(dialog.step, None)
    _choose(dialog.min_step, "subscribed")
    _choose(dialog.max_step, "booked")
    _choose(dialog.offer, "Pricing guide")
    assert dialog.lead_filter() == LeadFilter(
        min_step="subscribed", max_step="booked", offer="Pricing guide"
    )


def test_last_yes_after_and_before_are_the_owners_days(dialog) -> None:
    dialog.yes_after.check.setChecked(True)
    dialog.yes_after.date.setDate(QDate(2026, 5, 1))
    assert dialog.lead_filter() == LeadFilter(yes_after=to_utc(dt.datetime(2026, 5, 1)))
    dialog.yes_after.check.setChecked(False)
    dialog.yes_before.check.setChecked(True)
    dialog.yes_before.date.setDate(QDate(2026, 6, 1))
    assert dialog.lead_filter() == LeadFilter(yes_before=to_utc(dt.datetime(2026, 6, 1)))


def test_never_asked_or_not_asked_since(dialog) -> None:
    _choose(dialog.asked, "never")
    assert not dialog.asked_date.isEnabled()
    assert dialog.lead_filter() == LeadFilter(never_asked=True)
    _choose(dialog.asked, "before")
    assert dialog.asked_date.isEnabled()
    dialog.asked_date.setDate(QDate(2026, 4, 2))
    assert dialog.lead_filter() == LeadFilter(asked_before=start_of(QDate(2026, 4, 2)))


def test_engaged_within_days(dialog) -> None:
    assert not dialog.engaged_days.isEnabled()
    dialog.engaged.setChecked(True)
    dialog.engaged_days.setValue(14)
    assert dialog.lead_filter() == LeadFilter(engaged_within=14)


def test_search_status_and_source(dialog) -> None:
    dialog.search.setText("  lovelace ")
    _choose(dialog.status, "subscribed")
    _choose(dialog.source, "manual")
    assert dialog.lead_filter() == LeadFilter(
        search="lovelace", status="subscribed", source="manual"
    )


def test_field_conditions_of_each_kind(qtbot, people, clock, now) -> None:
    update_custom(people["ada"].id, {"plan": "pro", "ZIP": "75001"}, now=now)
    d = FilterDialog(None, LeadFilter(), clock=clock)
    qtbot.addWidget(d)
    # the field names offered are the book's
    row = d.add_condition()
    assert [row.name.itemText(i) for i in range(row.name.count())] == ["plan", "ZIP"]
    wanted = [
        ("plan", "equals", "pro"),
        ("plan", "contains", "pr"),
        ("ZIP", "empty", ""),
        ("score", "above", "10"),
        ("score", "below", "3.5"),
    ]
    row.name.setEditText("plan")
    _choose(row.op, "equals")
    row.value.setText("pro")
    for name, op, value in wanted[1:]:
        r = d.add_condition()
        r.name.setEditText(name)
        _choose(r.op, op)
        if op != "empty":
            r.value.setText(value)
        else:
            assert not r.value.isEnabled()
    assert d.lead_filter().fields == tuple(FieldFilter(*w) for w in wanted)
    d.conditions[0].sig_remove.emit(d.conditions[0])  # its ✕
    assert d.lead_filter().fields == tuple(FieldFilter(*w) for w in wanted[1:])


@pytest.mark.parametrize(
    ("op", "value", "message"),
    [
        ("above", "ten", "'ten' is not a number: “is a number above” compares plan with a number"),
        ("equals", "  ", "Type the value plan should be compared with, or pick “is empty”."),
    ],
)
def test_a_condition_that_cannot_hold_is_refused_in_the_dialog(dialog, op, value, message) -> None:
    row = dialog.add_condition()
    row.name.setEditText("plan")
    _choose(row.op, op)
    row.value.setText(value)
    dialog.accept()
    assert dialog.chosen is None and dialog.error.isVisibleTo(dialog)
    assert dialog.error.text().startswith(message)


def test_a_condition_without_a_field_and_dates_the_wrong_way_round(dialog) -> None:
    row = dialog.add_condition()
    row.name.setEditText(" ")
    dialog.accept()
    assert dialog.error.text() == "Pick the field to compare, or remove that condition with ✕."
    row.sig_remove.emit(row)
    assert dialog.conditions == []
    dialog.yes_after.check.setChecked(True)
    dialog.yes_before.check.setChecked(True)
    dialog.yes_before.date.setDate(QDate(2026, 1, 1))
    dialog.yes_after.date.setDate(QDate(2026, 2, 1))
    dialog.accept()
    assert dialog.chosen is None
    assert "make the second date later" in dialog.error.text()


def test_a_whole_filter_round_trips(qtbot, people, clock, now) -> None:
    update_custom(people["ada"].id, {"plan": "pro"}, now=now)
    flt = LeadFilter(
        search="ada",
        status="subscribed",
        tags_all=("vip",),
        tags_any=("workshop", "coach"),
        tags_none=("press",),
        step="downloaded",
        min_step="subscribed",
        max_step="booked",
        offer="Pricing guide",
        yes_after=to_utc(dt.datetime(2026, 1, 1)),
        yes_before=to_utc(dt.datetime(2026, 7, 1)),
        asked_before=to_utc(dt.datetime(2026, 3, 1)),
        engaged_within=45,
        source="manual",
        fields=(FieldFilter("plan", "equals", "pro"), FieldFilter("ZIP", "empty")),
    )
    d = FilterDialog(None, flt, clock=clock)
    qtbot.addWidget(d)
    assert d.lead_filter() == flt
    # what the book no longer has is kept, and marked
    assert "(no lead has it)" in d.tags_none.chips()[0].text()
    assert "any more" in d.conditions[1].name.toolTip()


def test_a_step_gone_from_the_ladder_is_marked_and_must_be_changed(qtbot, people, clock):
    d = FilterDialog(None, LeadFilter(min_step="quiz"), clock=clock)
    qtbot.addWidget(d)
    assert d.min_step.currentText() == "quiz (no longer on the ladder)"
    d.accept()
    assert d.chosen is None
    assert d.error.text() == (
        "The step 'quiz' is no longer on the ladder: pick another step, or Any step."
    )
    _choose(d.min_step, None)
    d.accept()
    assert d.chosen == LeadFilter()


def test_more_filters_shows_the_leads_and_says_the_filter(people, window, monkeypatch):
    chosen = LeadFilter(tags_all=("vip",), tags_none=("workshop",), min_step="clicked")
    seen: list[LeadFilter] = []

    def run(cls, parent, flt, **_kw):
        seen.append(flt)
        return chosen

    monkeypatch.setattr(FilterDialog, "run", classmethod(run))
    page = window.leads_page
    bar = page.filter_bar
    bar.more.click()
    assert seen == [LeadFilter()]
    assert page.lead_filter == chosen
    expected = [r.email for r in list_leads(chosen.query())]
    assert (
        sorted(shown_emails(window))
        == sorted(expected)
        == [
            "ada@example.com",
            "dan@example.net",
        ]
    )
    assert bar.words.full_text() == "Showing: tag vip · no tag workshop · step at least clicked"
    assert bar.words_row.isVisibleTo(window) and not bar.banner_row.isVisibleTo(window)
    assert bar.tag.currentText() == "vip"
    # the quick controls refine it; the dialog opens on what is shown
    index = bar.status.findData("pending")
    bar.status.setCurrentIndex(index)
    bar.status.activated.emit(index)
    assert shown_emails(window) == ["dan@example.net"]
    bar.more.click()
    assert seen[-1] == LeadFilter(
        status="pending", tags_all=("vip",), tags_none=("workshop",), min_step="clicked"
    )
    bar.clear.click()
    assert len(shown_emails(window)) == 5 and page.lead_filter == LeadFilter()
    assert bar.words_row.isHidden()


def test_several_tags_show_in_the_tag_list_as_a_count(people, window) -> None:
    page = window.leads_page
    page.show_filter(LeadFilter(tags_all=("vip", "workshop")))
    assert page.filter_bar.tag.currentText() == "2 tags"
    assert shown_emails(window) == []
    index = page.filter_bar.tag.findData("workshop")  # one tag picked: that one alone
    page.filter_bar.tag.setCurrentIndex(index)
    page.filter_bar.tag.activated.emit(index)
    assert page.lead_filter.tags_all == ("workshop",)
    assert shown_emails(window) == ["ben@example.com"]


def test_a_chart_period_is_left_out_of_the_dialog_and_said_so(people, window, monkeypatch, now):
    from crm.book.leads import LeadQuery

    notes: list[str] = []

    def run(cls, parent, flt, *, note="", **_kw):
        notes.append(note)
        return flt

    monkeypatch.setattr(filter_dialog.FilterDialog, "run", classmethod(run))
    window.show_leads(LeadQuery(min_level=3, yes_since=now - dt.timedelta(days=30)))
    bar = window.leads_page.filter_bar
    assert bar.chart_active and bar.chip.isVisibleTo(window)
    bar.more.click()
    assert "period is left out" in notes[0]
    # the chart's step came along as the filter's own; the period went
    assert not bar.chart_active
    assert window.leads_page.lead_filter == LeadFilter(min_step="downloaded")
    assert sorted(shown_emails(window)) == ["ada@example.com", "ben@example.com"]
