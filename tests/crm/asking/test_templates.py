"""Ask messages from templates: {first_name}, {offer}, {offer_link} and custom fields filled
in, an unknown placeholder shown as written (never a crash, never a stand-in), the offer's
link in every ask about it, and no "my free guide" when no offer is set up."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.asking.due import suggest_for_lead, todays_asks_page
from crm.asking.ladder import set_template, step_by_key
from crm.asking.offer_setup import add_offer_with_link
from crm.asking.suggest import (
    NO_OFFER_YET,
    Evidence,
    LeadFacts,
    OfferInfo,
    Prepared,
    Suggestion,
    suggest_next_ask,
    to_us,
)
from crm.asking.templates import (
    custom_fields,
    field_name,
    fill,
    lead_fields,
    placeholders,
    render_message,
)
from crm.book.leads import add_lead
from crm.book.offers import list_offers
from crm.book.timeline import record_commitment
from crm.errors import ValidationError
from crm.importing.activity.links import offer_links
from tests.crm.asking.test_suggest import LADDER, NOW, PACING, yes

DAY = dt.timedelta(days=1)


def test_fixed_and_custom_fields_are_filled_and_unknown_ones_kept() -> None:
    fields = lead_fields("Ada", "Focus workbook", "https://example.com/focus", '{"Plan": "Pro"}')
    out = fill("Hi {first_name}, {offer} for {plan} users: {offer_link} {nope}", fields)
    assert out.text == "Hi Ada, Focus workbook for Pro users: https://example.com/focus {nope}"
    assert out.unfilled == ("nope",)
    # written in any case, with spaces for a field named with them
    assert fill("{First_Name} {PLAN} { plan }", fields).text == "Ada Pro Pro"
    assert fill("{zip code}", lead_fields("", None, "", {"ZIP code": "1010"})).text == "1010"


def test_doubled_braces_are_literal_and_odd_ones_stay() -> None:
    fields = lead_fields("Ada", None, "", "{}")
    assert fill("{{first_name}} is {first_name}", fields).text == "{first_name} is Ada"
    assert fill("a } b { c {} {", fields).text == "a } b { c {} {"


def test_a_fixed_field_is_never_taken_over_by_a_custom_one() -> None:
    fields = lead_fields("Ada", "Guide", "", {"first_name": "X", "Offer": "Y", "city": " "})
    assert fields == {"first_name": "Ada", "offer": "Guide"}
    assert lead_fields("  ", None, "", "{}")["first_name"] == "there"
    assert custom_fields("not json") == {} == custom_fields("[1, 2]")
    assert custom_fields({"Seats": 3, "Tags": ["a"], "Empty": ""}) == {"seats": "3"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("{}ab _\n€first_nameoffer"), max_size=60))
def test_filling_never_fails_on_any_text(template: str) -> None:
    out = fill(template, lead_fields("Ada", None, "", {"plan": "Pro"}))
    assert isinstance(out.text, str)
    assert all(name in placeholders(template) for name in out.unfilled)


def test_the_offer_s_link_follows_a_message_that_names_only_the_offer() -> None:
    fields = lead_fields("Ada", "Focus workbook", "https://example.com/focus", "{}")
    named = render_message("A guide: {offer}", "Hi {first_name},\n\nHere is {offer}.", fields)
    assert named.body == "Hi Ada,\n\nHere is Focus workbook.\n\nhttps://example.com/focus"
    placed = render_message("{offer}", "Get it at {offer_link} today.", fields)
    assert placed.body == "Get it at https://example.com/focus today."
    plain = render_message("Hello", "No offer here.", fields)
    assert plain.body == "No offer here."
    assert field_name("Unsubscribe reason") == "unsubscribe_reason"


def _judge(offers: dict[int, OfferInfo], custom: str = "{}") -> Suggestion:
    lead = LeadFacts(1, "ada@example.com", "Ada", custom=custom)
    prep = Prepared(LADDER, offers, PACING, Evidence())
    result = suggest_next_ask(lead, frozenset(), (yes("subscribed", 30),), (), prep, to_us(NOW))
    assert isinstance(result, Suggestion) and result.step == "downloaded"
    return result


def test_with_no_offer_the_message_keeps_the_placeholder_and_the_reason_says_so() -> None:
    result = _judge({})
    assert "my free guide" not in result.message
    assert "{offer}" in result.message and result.offer is None
    assert result.unfilled == ("offer",)
    assert result.reason.endswith(NO_OFFER_YET)
    assert result.ask_name == "Invite to download a free offer"


def test_the_engine_s_message_links_the_offer_and_fills_custom_fields() -> None:
    offers = {1: OfferInfo(1, "Focus workbook", "guide", link="https://example.com/focus")}
    lead = LeadFacts(1, "ada@example.com", "Ada", custom='{"plan": "Pro"}')
    result = _judge(offers)
    assert result.body.endswith("\n\nhttps://example.com/focus")
    assert result.fields["offer_link"] == "https://example.com/focus"
    steps = tuple(
        s
        if s.key != "downloaded"
        else type(s)(s.key, s.label, s.level, s.major, "For {plan}: {offer}", "{offer_link} {x}")
        for s in LADDER
    )
    prep = Prepared(steps, offers, PACING, Evidence())
    custom = suggest_next_ask(lead, frozenset(), (yes("subscribed", 30),), (), prep, to_us(NOW))
    assert isinstance(custom, Suggestion)
    assert custom.subject == "For Pro: Focus workbook"
    assert custom.body == "https://example.com/focus {x}"
    assert custom.unfilled == ("x",)
    assert custom.fields["plan"] == "Pro"


def test_templates_accept_custom_fields_the_book_has_and_refuse_others(db, now) -> None:
    add_lead("ada@example.com", first_name="Ada", custom={"Plan": "Pro"}, now=now)
    set_template("downloaded", "For {plan} users: {offer}", "Hi {first_name}, {offer_link}")
    assert step_by_key("downloaded").ask_subject == "For {plan} users: {offer}"
    with pytest.raises(ValidationError, match=r"unknown placeholder, \{zip\}: use \{first_name\}"):
        set_template("downloaded", "Hi {zip}", "body")
    with pytest.raises(ValidationError, match=r"\{plan\}"):  # the message names what is known
        set_template("downloaded", "Hi {zip}", "body")


def test_a_lead_s_message_names_the_offer_its_link_and_custom_fields(db, now) -> None:
    add_offer_with_link(
        "Focus workbook", "https://Example.com/focus", now=now - 60 * DAY, topics="focus"
    )
    lead = add_lead("ada@example.com", first_name="Ada", custom={"Plan": "Pro"}, now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    set_template("downloaded", "{offer} for {plan}", "Hi {first_name}, here it is.\n{offer}")
    result = suggest_for_lead(lead.id, now)
    assert isinstance(result, Suggestion)
    assert result.subject == "Focus workbook for Pro"
    assert result.body == "Hi Ada, here it is.\nFocus workbook\n\nhttps://example.com/focus"
    [item] = todays_asks_page(now).items
    assert item.suggestion.message == result.message


def test_a_book_with_no_offer_never_writes_a_stand_in(db, now) -> None:
    lead = add_lead("ada@example.com", first_name="Ada", now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    page = todays_asks_page(now)
    assert page.free_offers == 0
    [item] = page.items
    assert "my free guide" not in item.suggestion.message
    assert "{offer}" in item.suggestion.message
    assert NO_OFFER_YET in item.suggestion.reason


def test_an_offer_and_its_link_go_in_together_or_not_at_all(db, now) -> None:
    with pytest.raises(ValidationError, match="not a web address"):
        add_offer_with_link("Focus workbook", "not a link", now=now)
    with pytest.raises(ValidationError, match="needs an address"):
        add_offer_with_link("Focus workbook", "  ", now=now)
    assert list_offers() == []
    offer = add_offer_with_link("Focus workbook", "example.com/focus", now=now, topics="focus")
    assert offer.topics == ("focus",)
    assert [(link.prefix, link.step) for link in offer_links("Focus workbook")] == [
        ("example.com/focus", "downloaded")
    ]
    with pytest.raises(ValidationError, match="already an offer"):
        add_offer_with_link("focus workbook", "example.com/other", now=now)
    assert [link.prefix for link in offer_links()] == ["example.com/focus"]
