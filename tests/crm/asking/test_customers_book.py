"""Asks after a sale on a real small book: a buyer is asked how it went, then for a
referral, nothing to buy inside the cooling period, then the next product; a purchase
logged by hand answers the ask that waited for it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crm.asking.asks import get_ask, list_asks, record_ask, set_outcome
from crm.asking.due import snooze, suggest_for_lead, todays_asks
from crm.asking.pacing import get_pacing, set_pacing
from crm.asking.suggest import NoSuggestion, Rule, Suggestion
from crm.book.leads import add_lead, set_do_not_contact, set_status
from crm.book.offers import add_offer, list_offers
from crm.book.timeline import get_timeline, record_commitment
from crm.cli import main
from crm.errors import ValidationError
from crm.store.models import Offer
from crm.timefmt import utc_now

DAY = dt.timedelta(days=1)


@pytest.fixture
def buyer(db, now) -> int:
    """Ada: subscribed, took the Pricing guide, bought the Launch workbook 12 days ago."""
    add_offer("Launch workbook", kind="product", topics="marketing", now=now - 300 * DAY)
    add_offer("Pricing course", kind="product", topics="pricing", now=now - 300 * DAY)
    add_offer("Mindset coaching", kind="product", topics="mindset", now=now - 300 * DAY)
    add_offer("Pricing guide", kind="guide", topics="pricing", now=now - 300 * DAY)
    # the sales import gives a product its price; the owner's own offers have none yet
    Offer.update(price=4900, currency="EUR").where(Offer.name == "Pricing course").execute()
    lead = add_lead(
        "ada@example.com", first_name="Ada", status="subscribed", now=now - 200 * DAY
    ).id
    record_commitment(lead, "subscribed", at=now - 200 * DAY, now=now)
    record_commitment(lead, "downloaded", at=now - 150 * DAY, now=now, offer="Pricing guide")
    record_commitment(lead, "purchased", at=now - 12 * DAY, now=now, offer="Launch workbook")
    return lead


def _listed(lead_id: int, now: dt.datetime) -> Suggestion | None:
    return next((i.suggestion for i in todays_asks(now) if i.lead_id == lead_id), None)


def test_a_buyer_in_the_cooling_period_is_asked_how_it_went_then_for_a_referral(
    buyer: int, now: dt.datetime
) -> None:
    s = suggest_for_lead(buyer, now)
    assert isinstance(s, Suggestion)
    assert (s.step, s.offer, s.rule) == ("replied", "Launch workbook", Rule.HOW_IT_WENT)
    assert s.reason.startswith(
        "Bought 'Launch workbook' 12 days ago: ask how it went, or for a short review."
    )
    assert s.subject == "How is Launch workbook working out?" and s.body.startswith("Hi Ada,")
    listed = _listed(buyer, now)
    assert listed is not None and listed.step == "replied"  # Today has it, no buy ask

    # asked as Today records it; they answer a day later
    ask_id = record_ask(buyer, s.step, at=now, now=now, offer=s.offer)
    set_outcome(ask_id, "accepted", at=now + DAY, now=now + DAY)
    later = now + 8 * DAY
    s = suggest_for_lead(buyer, later)
    assert isinstance(s, Suggestion)
    assert (s.step, s.offer, s.rule) == ("replied", "Referral", Rule.REFERRAL)
    assert "told you how it went 7 days ago" in s.reason
    assert s.subject == "Know someone who'd like Launch workbook?"

    # recording the referral ask makes the offer it names; it is not asked twice
    record_ask(buyer, s.step, at=later, now=later, offer=s.offer)
    assert "Referral" in [o.name for o in list_offers()]
    quiet = now + 16 * DAY  # 28 days after the sale: inside the 30-day cooling period
    result = suggest_for_lead(buyer, quiet)
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.CUSTOMER_COOLING
    assert result.until == now + 18 * DAY
    assert "No ask to buy again during the 30-day cooling period" in result.reason
    assert "told you how it went and asked for a referral" in result.reason
    assert _listed(buyer, quiet) is None


def test_after_the_cooling_period_the_next_product(buyer: int, now: dt.datetime) -> None:
    record_commitment(buyer, "replied", at=now - 10 * DAY, now=now, note="Loved it")
    record_ask(buyer, "replied", at=now - 9 * DAY, now=now, offer="Referral")
    after = now + 19 * DAY  # 31 days after the sale
    s = suggest_for_lead(buyer, after)
    assert isinstance(s, Suggestion)
    assert (s.step, s.offer, s.rule) == ("purchased", "Pricing course", Rule.NEXT_PRODUCT)
    assert s.reason.startswith(
        "Bought 'Launch workbook' 31 days ago, and the 30-day cooling period is over: offer "
        "the next product, 'Pricing course' (€49.00), which matches their interest in pricing."
    )
    listed = _listed(buyer, after)
    assert listed is not None and listed.offer == "Pricing course"
    # a longer cooling period, set by the owner, holds it back
    set_pacing(customer_cooling_days=45)
    held = suggest_for_lead(buyer, after)
    assert isinstance(held, NoSuggestion) and held.rule == Rule.CUSTOMER_COOLING
    assert held.until == now + 33 * DAY

    # the next purchase, logged by hand, answers the ask and starts the asks after it again
    set_pacing(customer_cooling_days=30)
    ask_id = record_ask(buyer, "purchased", at=after, now=after, offer="Pricing course")
    bought = after + 2 * DAY
    record_commitment(buyer, "purchased", at=bought, now=bought, offer="Pricing course")
    assert get_ask(ask_id).outcome == "accepted"
    s = suggest_for_lead(buyer, bought + 8 * DAY)
    assert isinstance(s, Suggestion)
    assert (s.rule, s.offer) == (Rule.HOW_IT_WENT, "Pricing course")


def test_an_opted_out_buyer_gets_nothing(buyer: int, now: dt.datetime) -> None:
    set_status(buyer, "unsubscribed", now=now)
    result = suggest_for_lead(buyer, now)
    assert isinstance(result, NoSuggestion) and result.rule == Rule.SUPPRESSED
    assert _listed(buyer, now) is None
    after = now + 40 * DAY
    assert isinstance(suggest_for_lead(buyer, after), NoSuggestion)


def test_a_buyer_marked_do_not_contact_or_snoozed_gets_nothing(
    buyer: int, now: dt.datetime
) -> None:
    snooze(buyer, now + 5 * DAY, now=now)
    snoozed = suggest_for_lead(buyer, now)
    assert isinstance(snoozed, NoSuggestion) and snoozed.rule == Rule.SNOOZED
    set_do_not_contact(buyer, True, now=now)
    result = suggest_for_lead(buyer, now + 10 * DAY)
    assert isinstance(result, NoSuggestion) and result.rule == Rule.DO_NOT_CONTACT
    assert _listed(buyer, now + 10 * DAY) is None


def test_a_hand_logged_purchase_answers_the_pending_purchase_ask(db, now) -> None:
    lead = add_lead("bo@example.com", status="subscribed", now=now - 60 * DAY).id
    record_commitment(lead, "booked", at=now - 20 * DAY, now=now)
    ask_id = record_ask(lead, "purchased", at=now - 3 * DAY, now=now)
    yes = record_commitment(lead, "purchased", at=now - DAY, now=now, offer="Launch workbook")
    ask = get_ask(ask_id)
    assert (ask.outcome, ask.resolved_at) == ("accepted", now - DAY)
    entries = {(i.kind, i.id): i for i in get_timeline(lead)}
    assert entries[("ask", ask_id)].summary == "Asked: Purchased (said yes)"
    assert ("commitment", yes) in entries
    # the yes is the ask's: correcting the answer takes it off, as for any accepted ask
    set_outcome(ask_id, "declined", at=now, now=now)
    assert ("commitment", yes) not in {(i.kind, i.id) for i in get_timeline(lead)}


def test_a_hand_logged_yes_answers_only_the_ask_it_takes(db, now) -> None:
    lead = add_lead("cy@example.com", status="subscribed", now=now - 60 * DAY).id
    old = record_ask(lead, "purchased", at=now - 20 * DAY, now=now)  # past the answer window
    other = record_ask(lead, "booked", at=now - 2 * DAY, now=now)
    named = record_ask(lead, "purchased", at=now - 2 * DAY, now=now, offer="Pricing course")
    plain = record_ask(lead, "purchased", at=now - 2 * DAY + dt.timedelta(hours=1), now=now)
    record_commitment(lead, "purchased", at=now - DAY, now=now, offer="Launch workbook")
    outcomes = [get_ask(a).outcome for a in (old, other, named, plain)]
    assert outcomes == ["pending", "pending", "pending", "accepted"]
    # the yes an accepted answer records is that ask's, and answers no other
    more = record_ask(lead, "purchased", at=now - DAY, now=now, offer="Pricing course")
    set_outcome(named, "accepted", at=now, now=now)
    assert get_ask(more).outcome == "pending"
    record_commitment(lead, "purchased", at=now, now=now, offer="Pricing course")
    assert get_ask(more).outcome == "accepted"
    assert get_ask(old).outcome == "pending"


def test_a_purchase_logged_from_the_command_line_answers_the_ask(db_path: Path, capsys) -> None:
    now = utc_now().replace(microsecond=0)

    def cli(*args: str) -> str:
        assert main(["--db", str(db_path), *args]) == 0
        return capsys.readouterr().out

    cli("add", "dee@example.com")
    cli("ask", "dee@example.com", "purchased", "--at", (now - 2 * DAY).isoformat())
    cli("log", "dee@example.com", "purchased", "--at", (now - DAY).isoformat())
    [ask] = json.loads(cli("asks", "dee@example.com", "--json"))
    assert ask["outcome"] == "accepted"
    assert ask["resolved_at"].startswith((now - DAY).date().isoformat())


def test_the_cooling_period_is_a_pacing_setting(db, db_path: Path, capsys) -> None:
    assert get_pacing().customer_cooling_days == 30
    assert set_pacing(customer_cooling_days=0).customer_cooling_days == 0
    for bad, says in (
        ("-1", "between 0 and 365"),
        ("400", "between 0 and 365"),
        ("soon", "a number"),
    ):
        with pytest.raises(ValidationError, match=says):
            set_pacing(customer_cooling_days=bad)
    assert main(["--db", str(db_path), "pacing", "customer_cooling_days=21", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["customer_cooling_days"] == 21
    assert main(["--db", str(db_path), "pacing", "customer_cooling_days=2.5"]) != 0
    assert "Customer cooling period needs a whole number of days" in capsys.readouterr().err


def test_products_and_the_referral_offer_are_not_given_away(buyer: int, now: dt.datetime) -> None:
    record_ask(buyer, "replied", at=now - 10 * DAY, now=now, offer="Referral")
    fresh = add_lead("eve@example.com", status="subscribed", now=now - 30 * DAY).id
    record_commitment(fresh, "subscribed", at=now - 30 * DAY, now=now)
    s = suggest_for_lead(fresh, now)
    assert isinstance(s, Suggestion) and s.step == "downloaded"
    assert s.offer == "Pricing guide"
    assert {a.step for a in list_asks(fresh)} == set()
