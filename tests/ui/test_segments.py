"""Segments in the sidebar: saved from the lead list's filter, opened with the same rows,
counted live, renamed, edited and deleted, and a stale one says what no longer matches."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from crm.asking.ladder import add_step, remove_step
from crm.book.filters import LeadFilter
from crm.book.leads import FieldFilter, LeadQuery, list_leads, update_custom
from crm.book.segments import get_segment, list_segments, save_segment
from crm.errors import NotFoundError
from ui import errors, segments
from ui.leads.table_model import Columns

VIP_CLICKED = LeadFilter(tags_all=("vip",), min_step="clicked")


def shown_emails(window) -> list[str]:
    model = window.leads_page.model
    return [model.index(r, Columns.EMAIL).data() for r in range(model.rowCount())]


def click_segment(window, qtbot, name: str) -> None:
    section = window.segments
    item = section.item(name)
    assert item is not None, name
    rect = section.list.visualItemRect(item)
    qtbot.mouseClick(section.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


class Answers(list[str]):
    """The names the owner types into the name dialogs, in order, and the labels shown."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []


@pytest.fixture
def answers(monkeypatch) -> Answers:
    typed = Answers()

    def ask_text(_parent, _title, label, text=""):
        typed.labels.append(label)
        return typed.pop(0) if typed else None

    monkeypatch.setattr(segments, "ask_text", ask_text)
    return typed


def test_save_as_segment_then_open_it_from_the_sidebar_gives_the_same_rows(
    people, window, qtbot, answers
) -> None:
    window.show()
    page, section = window.leads_page, window.segments
    assert section.hint.isVisibleTo(window) and section.names() == []
    page.show_filter(VIP_CLICKED)
    rows = shown_emails(window)
    assert sorted(rows) == ["ada@example.com", "dan@example.net"]
    answers.append("  Warm   VIPs ")
    page.filter_bar.save_segment.click()
    assert [s.name for s in list_segments()] == ["Warm VIPs"]
    assert get_segment("Warm VIPs").filter == VIP_CLICKED
    assert section.names() == ["Warm VIPs"] and not section.hint.isVisibleTo(window)
    qtbot.waitUntil(lambda: section.count_text("Warm VIPs") == "2", timeout=5000)
    assert page.filter_bar.words.full_text().startswith("Segment “Warm VIPs”: tag vip")
    assert window.statusBar().currentMessage().startswith("Saved the segment “Warm VIPs”")

    page.filter_bar.clear.click()
    assert len(shown_emails(window)) == 5
    assert not section.item("Warm VIPs").isSelected()
    click_segment(window, qtbot, "Warm VIPs")
    assert window.current_page_key() == "leads"
    assert shown_emails(window) == rows
    assert page.lead_filter == VIP_CLICKED
    assert section.item("Warm VIPs").isSelected()
    # a change to the filter leaves the segment (the sidebar no longer marks it)
    index = page.filter_bar.status.findData("pending")
    page.filter_bar.status.setCurrentIndex(index)
    page.filter_bar.status.activated.emit(index)
    assert not section.item("Warm VIPs").isSelected()
    assert page.filter_bar.words.full_text().startswith("Showing: status pending")


def test_the_segment_opens_from_another_page(people, window, qtbot, now) -> None:
    save_segment("VIPs", LeadFilter(tags_all=("vip",)), now=now)
    window.segments.reload()
    window.show_page("today")
    click_segment(window, qtbot, "VIPs")
    assert window.current_page_key() == "leads"
    assert sorted(shown_emails(window)) == sorted(
        r.email for r in list_leads(LeadFilter(tags_all=("vip",)).query())
    )


def test_a_taken_name_asks_to_replace(people, window, monkeypatch, answers, now) -> None:
    save_segment("VIPs", LeadFilter(tags_all=("vip",)), now=now)
    replies: list[bool] = [False, True]
    asked: list[str] = []

    def confirm(_parent, _title, text, _ok):
        asked.append(text)
        return replies.pop(0)

    monkeypatch.setattr(segments, "confirm", confirm)
    page = window.leads_page
    page.show_filter(LeadFilter(status="subscribed"))
    answers.append("vips")
    page.filter_bar.save_segment.click()  # declined: the old one stays
    assert asked == ["There is already a segment “vips”. Replace its filter with this one?"]
    assert get_segment("VIPs").filter == LeadFilter(tags_all=("vip",))
    answers.append("vips")
    page.filter_bar.save_segment.click()
    assert get_segment("VIPs").filter == LeadFilter(status="subscribed")
    assert [s.name for s in list_segments()] == ["VIPs"]


def test_counts_follow_changes_to_the_leads(people, window, qtbot, now) -> None:
    save_segment("VIPs", LeadFilter(tags_all=("vip",)), now=now)
    section = window.segments
    section.reload()
    qtbot.waitUntil(lambda: section.count_text("VIPs") == "2", timeout=5000)
    page = window.leads_page
    assert page.select_lead(people["eve"].id)
    page.detail.add_tag("vip")  # a change made in the window
    qtbot.waitUntil(lambda: section.count_text("VIPs") == "3", timeout=5000)
    from crm.book.leads import untag_lead

    with window.events.publishing():  # a change made elsewhere, as the refresh reports it
        untag_lead(people["ada"].id, ["vip"])
        untag_lead(people["dan"].id, ["vip"])
    qtbot.waitUntil(lambda: section.count_text("VIPs") == "1", timeout=5000)
    assert "VIPs: tag vip (1 lead)" in section.item("VIPs").toolTip(1)


def test_a_stale_segment_opens_and_says_which_part_no_longer_matches(
    people, window, qtbot, now
) -> None:
    add_step("quiz", "Took the quiz", 4)
    update_custom(people["ada"].id, {"plan": "pro"}, now=now)
    flt = LeadFilter(min_step="quiz", fields=(FieldFilter("plan", "equals", "pro"),))
    save_segment("Quiz takers", flt, now=now)
    with window.events.publishing():
        remove_step("quiz")
        update_custom(people["ada"].id, {"plan": ""}, now=now)
    section = window.segments
    section.reload()
    qtbot.waitUntil(lambda: section.count_text("Quiz takers") == "⚠ 0", timeout=5000)
    assert "No longer matches: the step 'quiz' is no longer on the ladder" in (
        section.item("Quiz takers").toolTip(0)
    )
    window.show()
    click_segment(window, qtbot, "Quiz takers")
    bar = window.leads_page.filter_bar
    assert window.leads_page.lead_filter == flt  # kept as saved
    assert bar.banner_row.isVisibleTo(window)
    assert bar.banner.text() == (
        "⚠ Part of the segment “Quiz takers” no longer matches: the step 'quiz' is no "
        "longer on the ladder; no lead has the field 'plan'. Edit the filter to change "
        "that part."
    )
    assert bar.step.currentData() is None  # only the exact step shows in the bar
    assert shown_emails(window) == []
    # a sound segment shows no banner
    save_segment("All VIPs", LeadFilter(tags_all=("vip",)), now=now)
    section.reload()
    click_segment(window, qtbot, "All VIPs")
    assert not bar.banner_row.isVisibleTo(window)


def test_a_stale_step_is_not_saved_again_and_says_what_to_do(
    people, window, monkeypatch, answers
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(errors, "show_message", lambda _p, _t, text, **_k: shown.append(text))
    window.leads_page.show_filter(LeadFilter(max_step="quiz"))
    window.leads_page.filter_bar.save_segment.click()
    assert shown == [
        "The step 'quiz' is no longer on the ladder: change it in More filters first, then "
        "save the segment."
    ]
    assert list_segments() == []


def test_a_chart_period_is_not_kept_and_the_dialog_says_so(people, window, answers, now):
    window.show_leads(LeadQuery(min_level=3, yes_since=now - dt.timedelta(days=30)))
    answers.append("Recent downloaders")
    window.leads_page.filter_bar.save_segment.click()
    assert "has a period, which a segment does not keep" in answers.labels[0]
    # the chart's step is kept as the segment's own, without the period
    assert get_segment("Recent downloaders").filter == LeadFilter(min_step="downloaded")
    assert window.leads_page.filter_bar.chart_active  # the list still shows the period


def test_rename_edit_and_delete_from_the_context_menu(
    people, window, qtbot, monkeypatch, answers, now
) -> None:
    save_segment("VIPs", LeadFilter(tags_all=("vip",)), now=now)
    section = window.segments
    section.reload()
    menu = section.menu_for("VIPs")
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == [
        "Open",
        "Edit filter…",
        "Rename…",
        "Delete…",
    ]
    click_segment(window, qtbot, "VIPs")
    bar = window.leads_page.filter_bar

    answers.append("Best VIPs")
    section.rename("VIPs")
    assert section.names() == ["Best VIPs"]
    assert bar.words.full_text() == "Segment “Best VIPs”: tag vip"
    with pytest.raises(NotFoundError):
        get_segment("VIPs")

    edited = LeadFilter(tags_all=("vip",), status="pending")
    monkeypatch.setattr(segments, "edit_filter", lambda _p, seg: edited)
    section.edit_segment("Best VIPs")
    assert get_segment("Best VIPs").filter == edited
    assert window.leads_page.lead_filter == edited  # the list shows it: it follows
    assert shown_emails(window) == ["dan@example.net"]
    qtbot.waitUntil(lambda: section.count_text("Best VIPs") == "1", timeout=5000)

    monkeypatch.setattr(segments, "confirm", lambda *_a: True)
    section.delete("Best VIPs")
    assert list_segments() == [] and section.names() == []
    assert bar.words.full_text() == "Showing: status pending · tag vip"
    assert window.leads_page.lead_filter == edited  # the leads and the filter stay


def test_an_empty_filter_is_not_saved(people, window, answers) -> None:
    window.segments.save_current()
    assert list_segments() == []
    assert "Pick a filter first" in window.statusBar().currentMessage()
    assert not window.leads_page.filter_bar.save_segment.isEnabled()
