"""The asks after a sale, rule by rule, on hand-built histories (no database)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.asking.pacing import Pacing
from crm.asking.suggest import (
    DAY_US,
    Evidence,
    LadderStep,
    LeadFacts,
    NoSuggestion,
    OfferInfo,
    PastAsk,
    PastYes,
    Prepared,
    Result,
    Rule,
    Suggestion,
    suggest_next_ask,
    to_us,
)
from tests.crm.asking.test_suggest import LADDER, NOW, days

WORKBOOK, COURSE, COACHING, GUIDE, REFERRAL, FREEBIE = 1, 2, 3, 4, 5, 6
OFFERS = {
    WORKBOOK: OfferInfo(WORKBOOK, "Launch workbook", "product", frozenset({"marketing"})),
    COURSE: OfferInfo(
        COURSE, "Pricing course", "product", frozenset({"pricing"}), price=4900, currency="EUR"
    ),
    COACHING: OfferInfo(COACHING, "Coaching", "product", frozenset({"mindset"})),
    GUIDE: OfferInfo(GUIDE, "Pricing guide", "guide", frozenset({"pricing"})),
    REFERRAL: OfferInfo(REFERRAL, "Referral"),
    FREEBIE: OfferInfo(FREEBIE, "Free mini course", "product", frozenset({"pricing"}), price=0),
}
PACING = Pacing()  # a 30-day cooling period


def yes(step: str, ago: float, offer: int | None = None) -> PastYes:
    return PastYes(step, to_us(days(ago)), offer)


def ask(
    step: str, ago: float, outcome: str, offer: int | None = None, answered: float | None = None
) -> PastAsk:
    resolved = to_us(days(answered)) if answered is not None else None
    return PastAsk(step, to_us(days(ago)), outcome, offer, resolved)


def judge(
    *events: PastYes | PastAsk,
    tags: frozenset[str] = frozenset(),
    offers: dict[int, OfferInfo] = OFFERS,
    pacing: Pacing = PACING,
    ladder: tuple[LadderStep, ...] = LADDER,
    now: dt.datetime = NOW,
    **fields: object,
) -> Result:
    base: dict = {"lead_id": 1, "email": "ada@example.com", "first_name": "Ada"}
    base.update(fields)
    yeses = tuple(e for e in events if isinstance(e, PastYes))
    asks = tuple(e for e in events if isinstance(e, PastAsk))
    prep = Prepared(ladder, offers, pacing, Evidence())
    return suggest_next_ask(LeadFacts(**base), tags, yeses, asks, prep, to_us(now))


def bought(ago: float, offer: int | None = WORKBOOK) -> tuple[PastYes, ...]:
    return yes("subscribed", 200), yes("downloaded", 150, GUIDE), yes("purchased", ago, offer)


def test_a_new_buyer_is_asked_how_it_went_not_to_buy_again() -> None:
    result = judge(*bought(12))
    assert isinstance(result, Suggestion)
    assert (result.step, result.offer, result.rule) == ("replied", "Launch workbook", "how it went")
    assert result.ask_label == "How it went"
    assert result.reason.startswith(
        "Bought 'Launch workbook' 12 days ago: ask how it went, or for a short review."
    )
    assert result.subject == "How is Launch workbook working out?"
    assert "Hi Ada," in result.body and "short review" in result.body
    assert "{" not in result.message


def test_a_purchase_without_a_product_still_gets_the_ask() -> None:
    result = judge(*bought(5, offer=None))
    assert isinstance(result, Suggestion)
    assert result.rule == Rule.HOW_IT_WENT and result.offer is None
    assert result.reason.startswith("Bought from you 5 days ago")
    assert result.subject == "How is it working out?"
    assert "my free guide" not in result.message
    assert "How is your order working out for you?" in result.body


def test_after_how_it_went_comes_the_referral() -> None:
    result = judge(*bought(20), ask("replied", 12, "accepted", WORKBOOK, 11), yes("replied", 11))
    assert isinstance(result, Suggestion)
    assert (result.step, result.offer, result.rule) == ("replied", "Referral", "referral")
    assert result.ask_label == "Referral"
    assert "told you how it went 11 days ago" in result.reason
    assert "a referral" in result.reason
    assert result.subject == "Know someone who'd like Launch workbook?"


def test_a_reply_of_their_own_since_the_sale_counts_as_how_it_went() -> None:
    result = judge(*bought(20), yes("replied", 10))
    assert isinstance(result, Suggestion)
    assert result.rule == Rule.REFERRAL


def test_the_referral_ask_names_the_owners_own_referral_offer() -> None:
    offers = {**OFFERS, 7: OfferInfo(7, "Refer a friend", "referral")}
    result = judge(*bought(20), ask("replied", 12, "no_response", WORKBOOK), offers=offers)
    assert isinstance(result, Suggestion)
    assert result.offer == "Refer a friend"
    assert "you asked how it went 12 days ago" in result.reason


def test_a_book_without_a_referral_offer_names_one_to_create() -> None:
    offers = {k: v for k, v in OFFERS.items() if k != REFERRAL}
    result = judge(*bought(20), ask("replied", 12, "no_response", WORKBOOK), offers=offers)
    assert isinstance(result, Suggestion)
    assert (result.rule, result.offer) == (Rule.REFERRAL, "Referral")


def test_a_retired_referral_offer_turns_referral_asks_off() -> None:
    offers = {**OFFERS, REFERRAL: dataclasses.replace(OFFERS[REFERRAL], retired=True)}
    result = judge(*bought(20), ask("replied", 12, "no_response", WORKBOOK), offers=offers)
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.CUSTOMER_COOLING


def test_inside_the_cooling_period_no_ask_to_buy() -> None:
    history = (
        *bought(20),
        ask("replied", 18, "accepted", WORKBOOK, 17),
        ask("replied", 9, "no_response", REFERRAL),
    )
    result = judge(*history)
    assert isinstance(result, NoSuggestion)
    assert result.rule == Rule.CUSTOMER_COOLING
    assert result.until == days(20) + dt.timedelta(days=30)
    assert "No ask to buy again during the 30-day cooling period, until 2026-06-25" in (
        result.reason
    )
    assert "asked how it went and asked for a referral" in result.reason


def test_after_the_cooling_period_the_next_product_matching_their_topics() -> None:
    history = (
        *bought(40),
        ask("replied", 35, "accepted", WORKBOOK, 34),
        ask("replied", 20, "no_response", REFERRAL, 13),
    )
    result = judge(*history)
    assert isinstance(result, Suggestion)
    # the Pricing guide they took makes pricing a topic of theirs; the free mini course is
    # no sale and the workbook is theirs already
    assert (result.step, result.offer, result.rule) == (
        "purchased",
        "Pricing course",
        Rule.NEXT_PRODUCT,
    )
    assert result.ask_label == "Next product"
    assert result.reason.startswith(
        "Bought 'Launch workbook' 40 days ago, and the 30-day cooling period is over: offer "
        "the next product, 'Pricing course' (€49.00), which matches their interest in pricing."
    )
    assert result.subject == "After Launch workbook: Pricing course"
    assert "Pricing course (€49.00) could be the next step" in result.body


def test_their_tags_choose_the_next_product() -> None:
    history = (
        yes("subscribed", 200),
        yes("purchased", 40, WORKBOOK),
        yes("replied", 30),
        ask("replied", 20, "no_response", REFERRAL),
    )
    untagged = judge(*history)
    assert isinstance(untagged, Suggestion)
    assert untagged.offer == "Coaching"  # no topic matches: the first by name
    assert "one they don't have yet." in untagged.reason
    tagged = judge(*history, tags=frozenset({"pricing"}))
    assert isinstance(tagged, Suggestion) and tagged.offer == "Pricing course"


def test_a_longer_cooling_period_holds_the_next_product_back() -> None:
    history = (*bought(40), yes("replied", 30), ask("replied", 20, "no_response", REFERRAL))
    result = judge(*history, pacing=Pacing(customer_cooling_days=60))
    assert isinstance(result, NoSuggestion) and result.rule == Rule.CUSTOMER_COOLING
    assert "60-day cooling period" in result.reason
    result = judge(*history, pacing=Pacing(customer_cooling_days=0))
    assert isinstance(result, Suggestion) and result.rule == Rule.NEXT_PRODUCT


def test_a_product_offered_since_the_sale_is_not_offered_again() -> None:
    history = (
        *bought(90),
        yes("replied", 80),
        ask("replied", 70, "accepted", REFERRAL, 69),
        yes("replied", 69, REFERRAL),
        ask("purchased", 40, "no_response", COURSE),
    )
    result = judge(*history)
    assert isinstance(result, Suggestion) and result.offer == "Coaching"
    everything = (*history, ask("purchased", 20, "no_response", COACHING))
    result = judge(*everything, pacing=Pacing(unanswered_limit=3))  # no pause after two
    assert isinstance(result, NoSuggestion) and result.rule == Rule.TOP
    assert "They have every product you offer" in result.reason


def test_a_declined_purchase_holds_every_ask_back_for_the_back_off() -> None:
    history = (
        *bought(90),
        yes("replied", 80),
        ask("replied", 70, "no_response", REFERRAL),
        ask("purchased", 30, "declined", COURSE, 29),
    )
    result = judge(*history)
    assert isinstance(result, NoSuggestion) and result.rule == Rule.DECLINED
    assert "the next one waits until 2026-07-16" in result.reason
    assert result.until == days(29) + dt.timedelta(days=60)
    # after the back-off the next product (not the declined one) is asked
    later = judge(*history, now=NOW + dt.timedelta(days=32))
    assert isinstance(later, Suggestion) and later.rule == Rule.NEXT_PRODUCT


def test_a_declined_how_it_went_holds_back_the_referral_too() -> None:
    result = judge(*bought(10), ask("replied", 9, "declined", WORKBOOK, 8))
    assert isinstance(result, NoSuggestion) and result.rule == Rule.DECLINED
    later = judge(*bought(90), ask("replied", 80, "declined", WORKBOOK, 79))
    assert isinstance(later, Suggestion) and later.rule == Rule.REFERRAL


def test_a_book_without_products_says_so() -> None:
    offers = {k: v for k, v in OFFERS.items() if OFFERS[k].kind != "product"}
    history = (
        *bought(40, offer=None),
        yes("replied", 30),
        ask("replied", 20, "no_response", REFERRAL),
    )
    result = judge(*history, offers=offers)
    assert isinstance(result, NoSuggestion) and result.rule == Rule.TOP
    assert "You have no product to offer next" in result.reason


def test_a_second_purchase_starts_the_asks_after_it_again() -> None:
    history = (
        *bought(120),
        yes("replied", 110),
        ask("replied", 100, "no_response", REFERRAL),
        ask("purchased", 60, "accepted", COURSE, 10),
        yes("purchased", 10, COURSE),
    )
    result = judge(*history)
    assert isinstance(result, Suggestion) and result.rule == Rule.HOW_IT_WENT
    assert result.offer == "Pricing course"


def test_every_guardrail_still_holds_for_a_buyer() -> None:
    assert judge(*bought(12), status="unsubscribed").rule == Rule.SUPPRESSED
    assert judge(*bought(12), do_not_contact=True).rule == Rule.DO_NOT_CONTACT
    snoozed = judge(*bought(12), snoozed_until=to_us(NOW + dt.timedelta(days=3)))
    assert snoozed.rule == Rule.SNOOZED
    assert judge(*bought(12), ask("replied", 2, "pending", WORKBOOK)).rule == Rule.PENDING
    cooldown = judge(*bought(12), ask("replied", 3, "accepted", WORKBOOK, 2), yes("replied", 2))
    assert cooldown.rule == Rule.COOLDOWN
    # a buyer who never opted in gets the one invitation to subscribe, nothing more
    contact = judge(yes("purchased", 12, WORKBOOK), status="none")
    assert isinstance(contact, Suggestion) and contact.step == "subscribed"


def test_products_and_referrals_are_never_given_away_as_free_offers() -> None:
    result = judge(yes("subscribed", 60), tags=frozenset({"marketing"}))
    assert isinstance(result, Suggestion) and result.step == "downloaded"
    # the marketing workbook is for sale: a free offer is given instead (a product priced
    # 0 is one)
    assert result.offer == "Free mini course"
    only_products = {k: v for k, v in OFFERS.items() if v.kind == "product" and v.price != 0}
    result = judge(yes("subscribed", 60), offers={**only_products, REFERRAL: OFFERS[REFERRAL]})
    assert isinstance(result, Suggestion) and result.step == "downloaded"
    assert result.offer is None  # the ask for a guide, with none of the products named


def test_a_ladder_that_goes_on_above_the_purchase_takes_over_after_the_customer_asks() -> None:
    ladder = (*LADDER, LadderStep("upgraded", "Upgraded", 8, True, "Upgrade?", "Hi {first_name},"))
    offers = {k: v for k, v in OFFERS.items() if v.kind != "product"}
    history = (*bought(40, None), yes("replied", 30), ask("replied", 20, "no_response", REFERRAL))
    result = judge(*history, offers=offers, ladder=ladder)
    assert isinstance(result, Suggestion) and result.step == "upgraded"
    inside = judge(*bought(10, None), yes("replied", 9), ask("replied", 8, "no_response", REFERRAL))
    assert isinstance(inside, NoSuggestion) and inside.rule == Rule.CUSTOMER_COOLING


# --- for every history: no ask to buy inside the cooling period -----------------------------

KEYS = [s.key for s in LADDER]
moments = st.integers(min_value=0, max_value=200 * 24).map(
    lambda h: to_us(NOW - dt.timedelta(hours=h))
)
offer_ids = st.sampled_from([None, *OFFERS])
past_yeses = st.builds(PastYes, st.sampled_from(KEYS), moments, offer_ids)


@st.composite
def past_asks(draw: st.DrawFn) -> PastAsk:
    asked = draw(moments)
    outcome = draw(st.sampled_from(["pending", "accepted", "declined", "no_response"]))
    resolved = None if outcome == "pending" else min(asked + DAY_US, to_us(NOW))
    return PastAsk(draw(st.sampled_from(KEYS)), asked, outcome, draw(offer_ids), resolved)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(past_yeses, max_size=6),
    st.lists(past_asks(), max_size=5),
    st.integers(0, 90),
    st.frozensets(st.sampled_from(["pricing", "marketing", "mindset"]), max_size=2),
)
def test_no_buy_ask_inside_the_cooling_period(
    yeses: list[PastYes], asks: list[PastAsk], cooling: int, tags: frozenset[str]
) -> None:
    pacing = Pacing(customer_cooling_days=cooling)
    result = judge(*yeses, *asks, tags=tags, pacing=pacing)
    assert result.reason.strip()
    if not isinstance(result, Suggestion):
        return
    purchases = [y.at for y in yeses if y.step == "purchased"]
    offer = next((o for o in OFFERS.values() if o.name == result.offer), None)
    if purchases and to_us(NOW) - max(purchases) < cooling * DAY_US:
        assert result.step != "purchased"
        assert offer is None or not offer.for_sale or result.rule == Rule.HOW_IT_WENT
    # a product is asked for only at the purchase, and only one the lead has not bought
    if offer is not None and offer.for_sale and result.step == "purchased":
        assert all(not (y.step == "purchased" and y.offer_id == offer.id) for y in yeses)
    assert "{" not in result.message
