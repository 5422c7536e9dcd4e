"""Ladder & offers: the Tag rules tab, and the links of an offer in the Offers tab."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.asking.ladder import step_by_key
from crm.book.leads import add_lead, tag_lead
from crm.book.offers import add_offer
from crm.book.tag_rules import add_tag_rule, list_tag_rules
from crm.book.timeline import get_timeline
from crm.importing.activity.links import add_offer_link, offer_links
from ui import ladder_dialog
from ui.events import AppEvents
from ui.ladder_dialog import LadderDialog

SEO = "Downloaded: SEO checklist"


@pytest.fixture(autouse=True)
def _no_modal_dialogs(monkeypatch) -> None:
    """A test that forgets to answer a question fails at once instead of waiting on exec()."""
    for name in ("choose_rule_removal", "confirm", "ask_text"):
        monkeypatch.setattr(
            ladder_dialog, name, lambda *a, _n=name, **k: pytest.fail(f"unexpected {_n}")
        )


def _changed(*tables: str):
    return lambda change, _origin: change.touches(*tables)


@pytest.fixture
def book(db, now) -> int:
    """Ada carries the tag; the SEO checklist is an offer. Ada's id."""
    add_offer("SEO checklist", now=now)
    add_offer("Pricing guide", now=now)
    lead = add_lead("ada@example.com", now=now)
    tag_lead(lead.id, [SEO])
    return lead.id


def _dialog(qtbot, events: AppEvents, clock) -> LadderDialog:
    dialog = LadderDialog(events, clock=clock)
    qtbot.addWidget(dialog)
    return dialog


def _rule_texts(dialog: LadderDialog) -> list[str]:
    return [dialog.rules.item(i).text() for i in range(dialog.rules.count())]


def test_add_a_rule_in_the_tab_gives_the_tagged_leads_their_yes(qtbot, book, clock) -> None:
    events = AppEvents()
    dialog = _dialog(qtbot, events, clock)
    assert _rule_texts(dialog) == []
    assert not dialog.add_rule_button.isEnabled()  # nothing typed yet
    dialog.pattern_edit.setText("downloaded: *")
    assert dialog.add_rule_button.isEnabled()
    assert dialog.rule_step_box.currentData() == "downloaded"  # the usual yes of a tag
    dialog.rule_offer_box.setCurrentIndex(dialog.rule_offer_box.findText("SEO checklist"))
    with qtbot.waitSignal(events.changed, check_params_cb=_changed("commitment", "tag_rule")):
        dialog.add_rule()
    assert _rule_texts(dialog) == [
        "\u201cdownloaded: *\u201d  \u2192  Downloaded \u2014 SEO checklist   (1 yes)"
    ]
    assert dialog.rules_result.text() == (
        "Added \u201cdownloaded: *\u201d: 1 lead gets a yes from the tags already stored."
    )
    assert dialog.pattern_edit.text() == ""
    [yes] = [i for i in get_timeline(book) if i.kind == "commitment"]
    assert (yes.step, yes.offer, yes.source) == ("downloaded", "SEO checklist", "tag rule")


def test_a_refused_rule_says_why_in_the_tab(qtbot, book, clock) -> None:
    dialog = _dialog(qtbot, AppEvents(), clock)
    dialog.show()
    dialog.tabs.setCurrentIndex(2)
    dialog.pattern_edit.setText("*")
    dialog.add_rule()
    assert dialog.rule_error.isVisible()
    assert "would match every tag" in dialog.rule_error.text()
    assert list_tag_rules() == [] and _rule_texts(dialog) == []
    assert dialog.pattern_edit.text() == "*"  # kept, to be corrected


def test_an_offer_added_in_the_offers_tab_can_be_picked_for_a_rule(
    qtbot, book, clock, monkeypatch
) -> None:
    dialog = _dialog(qtbot, AppEvents(), clock)
    monkeypatch.setattr(ladder_dialog, "ask_text", lambda *a, **k: "Webinar replay")
    dialog.add_offer()
    assert dialog.rule_offer_box.findText("Webinar replay") > 0


@pytest.mark.parametrize(("choice", "left"), [(False, 1), (True, 0)])
def test_remove_a_rule_keeping_or_taking_off_its_yeses(
    qtbot, book, now, clock, monkeypatch, choice: bool, left: int
) -> None:
    add_tag_rule(SEO, "downloaded", now=now)
    events = AppEvents()
    dialog = _dialog(qtbot, events, clock)
    asked = []
    monkeypatch.setattr(
        ladder_dialog, "choose_rule_removal", lambda parent, rule: asked.append(rule) or choice
    )
    dialog.rules.setCurrentRow(0)
    with qtbot.waitSignal(events.changed, check_params_cb=_changed("tag_rule")):
        dialog.remove_rule()
    assert [(r.pattern, r.yeses) for r in asked] == [(SEO, 1)]
    assert _rule_texts(dialog) == [] and list_tag_rules() == []
    assert len([i for i in get_timeline(book) if i.kind == "commitment"]) == left
    assert dialog.rules_result.text().startswith(f"Removed the tag rule '{SEO}'")


def test_a_removal_cancelled_keeps_the_rule(qtbot, book, now, clock, monkeypatch) -> None:
    add_tag_rule(SEO, "downloaded", now=now)
    dialog = _dialog(qtbot, AppEvents(), clock)
    monkeypatch.setattr(ladder_dialog, "choose_rule_removal", lambda *a: None)
    dialog.rules.setCurrentRow(0)
    dialog.remove_rule()
    assert len(list_tag_rules()) == 1 and dialog.rules.count() == 1


def _select_offer(dialog: LadderDialog, name: str) -> None:
    for i in range(dialog.offers.count()):
        if dialog.offers.item(i).text() == name:
            dialog.offers.setCurrentRow(i)
            return
    pytest.fail(f"no offer {name}")


def _link_texts(dialog: LadderDialog) -> list[str]:
    return [dialog.links.item(i).text() for i in range(dialog.links.count())]


def test_an_offers_links_are_listed_added_and_removed(qtbot, book, now, clock) -> None:
    add_offer_link("Pricing guide", "https://example.com/pricing", now=now)
    events = AppEvents()
    dialog = _dialog(qtbot, events, clock)
    _select_offer(dialog, "SEO checklist")
    assert _link_texts(dialog) == [] and not dialog.remove_link_button.isEnabled()
    dialog.link_edit.setText("https://www.Example.com/guides/seo")
    with qtbot.waitSignal(events.changed, check_params_cb=_changed("offer_link")):
        dialog.add_link()
    assert dialog.link_edit.text() == ""  # ready for the next one
    dialog.link_edit.setText("example.com/seo-quiz")
    dialog.link_step_box.setCurrentIndex(dialog.link_step_box.findData("answered"))
    dialog.add_link()
    assert _link_texts(dialog) == [
        "example.com/guides/seo  \u2192  Downloaded",
        f"example.com/seo-quiz  \u2192  {step_by_key('answered').label}",
    ]
    assert [(link.prefix, link.step) for link in offer_links("SEO checklist")] == [
        ("example.com/guides/seo", "downloaded"),
        ("example.com/seo-quiz", "answered"),
    ]
    # Another offer's link is refused in words, next to the field.
    dialog.show()
    dialog.tabs.setCurrentIndex(1)
    dialog.link_edit.setText("example.com/pricing")
    dialog.add_link()
    assert dialog.link_error.isVisible()
    assert "already the link of the offer 'Pricing guide'" in dialog.link_error.text()
    assert dialog.link_edit.text() == "example.com/pricing"
    dialog.links.setCurrentRow(0)
    dialog.remove_link()
    assert not dialog.link_error.isVisible()
    assert [link.prefix for link in offer_links("SEO checklist")] == ["example.com/seo-quiz"]
    _select_offer(dialog, "Pricing guide")
    assert _link_texts(dialog) == ["example.com/pricing  \u2192  Downloaded"]


def test_screenshots_of_the_tag_rules_and_links(qtbot, book, now, clock, tmp_path: Path) -> None:
    add_offer_link("SEO checklist", "example.com/guides/seo", now=now)
    add_tag_rule(SEO, "downloaded", offer="SEO checklist", now=now)
    dialog = _dialog(qtbot, AppEvents(), clock)
    dialog.show()
    for index, name in ((1, "offers"), (2, "rules")):
        dialog.tabs.setCurrentIndex(index)
        path = tmp_path / f"{name}.png"
        assert dialog.grab().save(str(path))
        assert path.stat().st_size > 0
