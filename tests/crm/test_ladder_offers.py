"""Editing the ladder, the offers and the pacing, and what those edits change."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.errors import DuplicateError, ValidationError
from crm.ladder import get_ladder, rename_step, reorder_steps, set_major, set_template, step_by_key
from crm.leads import add_lead, get_lead
from crm.offers import add_offer, list_offers, rename_offer, retire_offer, set_offer_topics
from crm.pacing import DEFAULTS, get_pacing, reset_pacing, set_pacing
from crm.suggest import Suggestion
from crm.timeline import record_commitment
from crm.today import suggest_for_lead

DAY = dt.timedelta(days=1)


def test_rename_keeps_the_key_and_shows_in_suggestions(db, now) -> None:
    rename_step("answered", "Took the quiz")
    assert step_by_key("answered").label == "Took the quiz"
    with pytest.raises(ValidationError):
        rename_step("answered", "   ")
    with pytest.raises(ValidationError):
        rename_step("teleported", "Anything")


def test_template_is_used_for_the_message_and_checks_placeholders(db, now) -> None:
    set_template("downloaded", "For {first_name}: {offer}", "Hello {first_name}, here is {offer}.")
    lead = add_lead("ada@example.com", first_name="Ada", tags=["pricing"], now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    add_offer("Pricing guide", now=now, kind="guide", topics="pricing")
    result = suggest_for_lead(lead.id, now)
    assert isinstance(result, Suggestion) and result.step == "downloaded"
    assert result.subject == "For Ada: Pricing guide"
    assert result.body == "Hello Ada, here is Pricing guide."
    with pytest.raises(ValidationError, match="placeholder"):
        set_template("downloaded", "Hi {name}", "")
    with pytest.raises(ValidationError):
        set_template("downloaded", "  ", "body")


def test_reorder_changes_levels_and_recomputes_every_lead(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "answered", at=now - DAY, now=now)
    assert get_lead(lead.id).level == 4
    order = [s.key for s in get_ladder()]
    order.remove("answered")
    order.insert(1, "answered")  # a quiz right after the click
    steps = reorder_steps(order)
    assert [s.key for s in steps] == order
    assert step_by_key("answered").level == 2
    assert get_lead(lead.id).level == 2
    with pytest.raises(ValidationError):
        reorder_steps(order[:-1])


def test_marking_a_step_major_keeps_it_out_of_reach(db, now) -> None:
    set_major("answered", True)
    assert step_by_key("answered").major
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    # answered is two up from subscribed: as a major step it now needs "downloaded" first
    for _ in range(3):
        result = suggest_for_lead(lead.id, now)
        assert isinstance(result, Suggestion) and result.step == "downloaded"


def test_offers_add_rename_topics_retire(db, now) -> None:
    offer = add_offer(" SEO  checklist ", now=now, kind="Checklist", topics="SEO, marketing,seo")
    assert (offer.name, offer.kind, offer.topics) == (
        "SEO checklist",
        "checklist",
        ("seo", "marketing"),
    )
    with pytest.raises(DuplicateError):
        add_offer("seo checklist", now=now)
    add_offer("Pricing guide", now=now)
    with pytest.raises(DuplicateError):
        rename_offer("Pricing guide", "SEO Checklist")
    renamed = rename_offer("seo checklist", "SEO starter checklist")
    assert renamed.name == "SEO starter checklist"
    assert set_offer_topics(renamed.name, ["Local"]).topics == ("local",)
    retire_offer("Pricing guide")
    assert [o.name for o in list_offers()] == ["SEO starter checklist"]
    assert len(list_offers(include_retired=True)) == 2
    retire_offer("Pricing guide", retired=False)
    assert len(list_offers()) == 2
    with pytest.raises(ValidationError):
        rename_offer("No such thing", "x")


def test_retired_offer_is_not_suggested(db, now) -> None:
    add_offer("Pricing guide", now=now, topics="pricing")
    add_offer("Launch checklist", now=now, topics="marketing")
    lead = add_lead("ada@example.com", tags=["pricing"], now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    first = suggest_for_lead(lead.id, now)
    assert isinstance(first, Suggestion) and first.offer == "Pricing guide"
    retire_offer("Pricing guide")
    second = suggest_for_lead(lead.id, now)
    assert isinstance(second, Suggestion) and second.offer == "Launch checklist"


def test_pacing_defaults_are_stored_edited_and_validated(db, now) -> None:
    assert get_pacing() == DEFAULTS
    assert (DEFAULTS.follow_up_days, DEFAULTS.cooldown_days) == (7, 7)
    assert (DEFAULTS.unanswered_limit, DEFAULTS.unanswered_pause_days) == (2, 30)
    assert (DEFAULTS.decline_backoff_days, DEFAULTS.trust_count) == (60, 20)
    assert (DEFAULTS.warm_min_days, DEFAULTS.warm_max_days, DEFAULTS.stall_factor) == (1, 3, 2.0)
    assert set_pacing(cooldown_days="14", prior=0.3).cooldown_days == 14
    assert get_pacing().prior == 0.3
    with pytest.raises(ValidationError, match="between"):
        set_pacing(cooldown_days=-1)
    with pytest.raises(ValidationError, match="whole number"):
        set_pacing(cooldown_days=2.5)
    with pytest.raises(ValidationError, match="not a pacing setting"):
        set_pacing(speed=3)
    with pytest.raises(ValidationError, match="warm window"):
        set_pacing(warm_min_days=5)
    assert reset_pacing() == DEFAULTS and get_pacing() == DEFAULTS


def test_pacing_changes_what_is_suggested(db, now) -> None:
    from crm.asks import record_ask, set_outcome

    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    ask_id = record_ask(lead.id, "downloaded", at=now - 10 * DAY, now=now)
    set_outcome(ask_id, "no_response", at=now - 9 * DAY, now=now)
    assert isinstance(suggest_for_lead(lead.id, now), Suggestion)
    set_pacing(cooldown_days=14)
    assert "14 days apart" in suggest_for_lead(lead.id, now).reason


def test_a_too_long_ask_message_says_which_part_is_too_long(db) -> None:
    with pytest.raises(ValidationError, match="subject is too long"):
        set_template("downloaded", "s" * 201, "Hi")
    with pytest.raises(ValidationError, match="message is too long: keep it under 5,000"):
        set_template("downloaded", "A guide", "b" * 5001)
