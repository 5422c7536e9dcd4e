"""Asks are named as asks ("Invite to download the Focus workbook"), never by a step's
past-tense label, and each ask has one stable group key."""

from __future__ import annotations

import pytest

from crm.asking.naming import ask_name, group_key, the_offer
from crm.asking.rows import Rule
from crm.store.migrations import DEFAULT_STEPS


@pytest.mark.parametrize(
    ("step", "offer", "rule", "name"),
    [
        ("downloaded", "Focus workbook", "", "Invite to download the Focus workbook"),
        ("downloaded", None, "", "Invite to download a free offer"),
        ("booked", None, "", "Invite to book a call"),
        ("booked", "Strategy call", "", "Invite to book the Strategy call"),
        ("answered", "Business quiz", "", "Invite to answer the Business quiz"),
        ("subscribed", None, Rule.INVITE, "Invite to subscribe"),
        ("subscribed", None, Rule.CONFIRM, "Remind to confirm the subscription"),
        ("replied", "Pricing guide", "", "Ask what they made of the Pricing guide"),
        ("replied", "Launch workbook", Rule.HOW_IT_WENT, "Ask how the Launch workbook went"),
        ("replied", "Referral", Rule.REFERRAL, "Ask for a referral"),
        ("purchased", "Pricing course", Rule.NEXT_PRODUCT, "Invite to buy the Pricing course"),
        ("purchased", None, "", "Invite to buy"),
    ],
)
def test_each_default_step_names_its_ask(step: str, offer: str | None, rule: str, name: str):
    label = next(s[1] for s in DEFAULT_STEPS if s[0] == step)
    assert ask_name(step, label, offer, rule) == name


def test_no_default_step_is_named_by_its_label() -> None:
    for key, label, *_ in DEFAULT_STEPS:
        for offer in (None, "Focus workbook"):
            name = ask_name(key, label, offer)
            assert not name.startswith(label), name
            assert name.split()[0] in ("Invite", "Ask", "Remind")


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("Attended webinar", "Invite to attend webinar"),
        ("Took the quiz", "Invite to take the quiz"),
        ("Replied to survey", "Invite to reply to survey"),
        ("Shipped a sample", "Invite to ship a sample"),
        ("Purchased add-on", "Invite to purchase add-on"),
        ("Webinar", "Ask for: Webinar"),
    ],
)
def test_an_added_step_s_label_becomes_its_ask(label: str, name: str) -> None:
    assert ask_name("custom", label, None) == name
    assert ask_name("custom", label, "Focus day") == f"{name} — Focus day"


def test_an_offer_keeps_its_own_article() -> None:
    assert the_offer("Focus workbook") == "the Focus workbook"
    assert the_offer("The 5-day challenge") == "The 5-day challenge"
    assert the_offer("My pricing notes") == "My pricing notes"
    assert ask_name("downloaded", "Downloaded", "A quick checklist") == (
        "Invite to download A quick checklist"
    )


def test_group_keys_are_the_step_and_offer_and_what_sets_an_ask_apart() -> None:
    assert group_key("downloaded", "Focus workbook") == "downloaded|Focus workbook"
    assert group_key("downloaded", "Focus workbook", Rule.WARM) == "downloaded|Focus workbook"
    assert group_key("booked", None) == "booked|"
    assert group_key("subscribed", None, Rule.INVITE) == "subscribed|"
    assert group_key("subscribed", None, Rule.CONFIRM) == "subscribed||confirm"
    assert group_key("replied", "Launch workbook", Rule.HOW_IT_WENT) == (
        "replied|Launch workbook|how it went"
    )
