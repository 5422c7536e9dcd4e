"""Asks after a sale: the next small ask for a customer.

A lead whose highest yes is a purchase (the ladder's ``purchased`` step) is a customer.
Counted from their latest purchase, the engine offers the natural next small asks one at
a time, each with its reason:

1. **how it went**: an ask at the ``replied`` step about the product bought (a reply, or
   a short review), unless they have replied since;
2. **a referral**: an ask at the ``replied`` step about the referral offer;
3. **the next product**, once the owner's cooling period (``Pacing.customer_cooling_days``)
   is over: an ask at the ``purchased`` step about a product (an offer of kind
   ``product`` with a price, or none known) they have not bought nor been offered since,
   the best match of their topics first. Inside the cooling period nothing is asked at
   ``purchased`` and no product is offered.

Every guardrail runs before, as for any lead (``suggest_next_ask``'s hard stops: status,
do not contact, snoozes, pending asks, the cooldown, unanswered asks), a buyer who never
opted in gets only the invitation to subscribe, a "not now" within the back-off holds
every ask back, and a step declined twice is not asked here either.

**Why a referral is an offer, not a step.** The ladder orders yeses by size and the
funnel counts the leads that reach each rung; passing a name on is not a bigger yes than
buying. A ``referred`` step above ``purchased`` would add a rung to every existing book
(a migration), make every buyer look one rung short of the top, and change the funnel the
owner already reads. What a referral ask asks for is a reply (a name, a forwarded
e-mail), so it is an ask at the existing ``replied`` step, told apart from the how-it-went
ask by its offer: the owner's own referral offer (kind ``referral``, such as "Refer a
friend"), else the offer named "Referral", which recording the first referral ask
creates. A referral that comes back is a ``replied`` yes on that offer. Existing books
and their ladders, funnels and ask rates change in nothing; an owner who wants no
referral asks retires that offer.

Pure, like the engine: ``after_sale`` reads the lead's rows and returns what to ask
(``AfterSale``), which ``crm.asking.suggest`` words as its suggestion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from crm.asking.naming import ask_name
from crm.asking.rows import (
    PURCHASED_KEY,
    REFERRAL_KIND,
    REFERRAL_OFFER,
    REPLIED_KEY,
    LadderStep,
    OfferInfo,
    PastAsk,
    PastYes,
    Rule,
    ago_text,
    date_text,
    days_us,
)
from crm.money import shown

# The messages, with the product bought named and without (a purchase logged with no
# offer); ``{first_name}`` is filled in with the suggestion's wording.
REVIEW = (
    "How is {bought} working out?",
    "Hi {first_name},\n\nHow is {bought} working out for you? Hit reply and tell me in a line "
    "or two. If it helped, a short review I could share would mean a lot.",
)
REVIEW_UNNAMED = (
    "How is it working out?",
    "Hi {first_name},\n\nHow is your order working out for you? Hit reply and tell me in a "
    "line or two. If it helped, a short review I could share would mean a lot.",
)
REFERRAL = (
    "Know someone who'd like {bought}?",
    "Hi {first_name},\n\nThank you again for choosing {bought}. If you know someone it could "
    "help too, would you pass this e-mail on, or reply with their name? I'll look after them.",
)
REFERRAL_UNNAMED = (
    "Know someone I could help?",
    "Hi {first_name},\n\nThank you again for your order. If you know someone I could help "
    "too, would you pass this e-mail on, or reply with their name? I'll look after them.",
)
PRODUCT = (
    "After {bought}: {next}",
    "Hi {first_name},\n\nNow that you've had {bought} for a while, {next}{price} could be the "
    "next step. Would you like the details? No pressure either way.",
)
PRODUCT_UNNAMED = (
    "Your next step: {next}",
    "Hi {first_name},\n\nSince your last order, {next}{price} could be the next step. Would "
    "you like the details? No pressure either way.",
)


class CustomerBook:
    """The ladder's reply and purchase steps, the products, the referral offers and the
    cooling period, indexed once for every customer."""

    def __init__(
        self,
        steps: Mapping[str, LadderStep],
        offers: Mapping[int, OfferInfo],
        live: Sequence[OfferInfo],
        cooling_days: int,
    ) -> None:
        self.replied = steps.get(REPLIED_KEY)
        self.purchased = steps.get(PURCHASED_KEY)
        self.offers = offers
        self.referrals = frozenset(o.id for o in offers.values() if o.referral)
        # sorted by name, as ``live`` is
        self.products = [o for o in live if o.for_sale and o.id not in self.referrals]
        self.referral_offer = _referral_offer(offers, live)
        self.cooling_days = cooling_days
        self.cooling = days_us(cooling_days)


def _referral_offer(offers: Mapping[int, OfferInfo], live: Sequence[OfferInfo]) -> OfferInfo | None:
    """The offer a referral ask names: the owner's own (a live offer of kind 'referral'
    first, then the one named 'Referral'), or, in a book with none, a 'Referral' offer that
    recording the ask creates. None when every referral offer is retired: referral asks
    are off."""
    mine = [o for o in live if o.referral]
    if mine:
        return min(mine, key=lambda o: (o.kind != REFERRAL_KIND, o.name.casefold(), o.id))
    if any(o.referral for o in offers.values()):
        return None
    return OfferInfo(0, REFERRAL_OFFER, REFERRAL_KIND)


class AfterSale(NamedTuple):
    """What to ask a customer: an ask at ``step`` about ``offer`` due no sooner than
    ``at``; or, without a step, why nothing (``rule`` and ``why``) and until when (``at``,
    None: it does not lift on its own)."""

    rule: str
    step: LadderStep | None
    offer: OfferInfo | None
    why: str
    subject: str = ""
    body: str = ""
    at: int | None = None


class _Since(NamedTuple):
    """What happened since the latest purchase: times (None: not since) and the products
    asked for."""

    told: int | None  # a reply since the sale (how it went)
    referred: int | None  # a yes on a referral offer
    asked_how: int | None
    asked_referral: int | None
    offered: frozenset[int]


def _since(
    book: CustomerBook, yeses: Sequence[PastYes], asks: Sequence[PastAsk], at: int
) -> _Since:
    referrals = book.referrals
    replied = book.replied.key if book.replied is not None else None
    told = referred = asked_how = asked_referral = None
    offered: set[int] = set()
    for y in yeses:
        if y.at < at:
            continue
        if y.offer_id in referrals:
            referred = _later(referred, y.at)
        elif y.step == replied:
            told = _later(told, y.at)
    for a in asks:
        if a.asked_at < at:
            continue
        if a.offer_id in referrals:
            asked_referral = _later(asked_referral, a.asked_at)
        elif a.step == replied:
            asked_how = _later(asked_how, a.asked_at)
        offer = book.offers.get(a.offer_id) if a.offer_id else None
        if offer is not None and offer.for_sale:
            offered.add(offer.id)
    return _Since(told, referred, asked_how, asked_referral, frozenset(offered))


def _later(held: int | None, at: int) -> int:
    return at if held is None or at > held else held


def _latest_purchase(yeses: Sequence[PastYes], key: str) -> PastYes | None:
    """The latest yes at the purchase step (ties broken by offer, so row order never
    matters)."""
    found: PastYes | None = None
    for y in yeses:
        if y.step == key and (
            found is None or (y.at, y.offer_id or 0) > (found.at, found.offer_id or 0)
        ):
            found = y
    return found


def _filled(message: tuple[str, str], **names: str) -> tuple[str, str]:
    """A message's subject and body with the product names in place."""
    subject, body = message
    for name, value in names.items():
        subject = subject.replace("{" + name + "}", value)
        body = body.replace("{" + name + "}", value)
    return subject, body


def _price(offer: OfferInfo) -> str:
    return f" ({shown(offer.price, offer.currency)})" if offer.price and offer.currency else ""


def after_sale(
    book: CustomerBook,
    yeses: Sequence[PastYes],
    asks: Sequence[PastAsk],
    tags: frozenset[str],
    now: int,
    declined_twice: set[str],
    *,
    at_top: bool,
) -> AfterSale | None:
    """The next ask for a customer (a lead whose highest yes is at the purchase step), or
    why there is none; None when no purchase is among ``yeses``, or when the ladder goes on
    above the purchase (not ``at_top``) and the customer's asks are done, so the usual
    rules take over. Times, ``now`` too, in microseconds since 1970."""
    purchased = book.purchased
    purchase = _latest_purchase(yeses, purchased.key) if purchased is not None else None
    if purchased is None or purchase is None:
        return None
    since = purchase.at
    bought = book.offers.get(purchase.offer_id) if purchase.offer_id else None
    what = f"'{bought.name}'" if bought is not None else "from you"
    name = bought.name if bought is not None else ""
    when = ago_text(since, now)
    done = _since(book, yeses, asks, since)

    def blocked(step: LadderStep) -> bool:
        return step.key in declined_twice

    replied = book.replied
    if replied is not None and not blocked(replied):
        if done.told is None and done.asked_how is None:
            return AfterSale(
                Rule.HOW_IT_WENT,
                replied,
                bought,
                f"Bought {what} {when}: ask how it went, or for a short review.",
                *_filled(REVIEW if bought is not None else REVIEW_UNNAMED, bought=name),
            )
        referral = book.referral_offer
        if referral is not None and done.referred is None and done.asked_referral is None:
            if done.told is not None:
                how = f", and told you how it went {ago_text(done.told, now)}"
            else:
                assert done.asked_how is not None
                how = f", and you asked how it went {ago_text(done.asked_how, now)}"
            return AfterSale(
                Rule.REFERRAL,
                replied,
                referral,
                f"Bought {what} {when}{how}: ask whether they know someone it could help "
                "(a referral).",
                *_filled(REFERRAL if bought is not None else REFERRAL_UNNAMED, bought=name),
            )

    days = book.cooling_days
    until = since + book.cooling
    if now < until:
        return AfterSale(
            Rule.CUSTOMER_COOLING,
            None,
            None,
            f"A customer: bought {what} {when}. No ask to buy again during the {days}-day "
            f"cooling period, until {date_text(until)}{_done_words(done)}.",
            at=until,
        )

    if not blocked(purchased):
        found = _next_product(book, yeses, tags, purchased.key, done)
        if found is not None:
            offer, matched = found
            why = (
                f"Bought {what} {when}, and the {days}-day cooling period is over: offer the "
                f"next product, '{offer.name}'{_price(offer)}"
            )
            why += (
                f", which matches their interest in {', '.join(matched)}."
                if matched
                else ", one they don't have yet."
            )
            message = PRODUCT if bought is not None else PRODUCT_UNNAMED
            return AfterSale(
                Rule.NEXT_PRODUCT,
                purchased,
                offer,
                why,
                *_filled(message, bought=name, next=offer.name, price=_price(offer)),
                at=until,
            )
    if not at_top:
        return None
    return AfterSale(
        Rule.TOP,
        None,
        None,
        f"A customer: bought {what} {when}{_done_words(done)}. "
        f"{_no_product(book, purchased, declined_twice)} "
        "Nothing more to ask for now: thank them, or log a new yes by hand.",
    )


def _next_product(
    book: CustomerBook,
    yeses: Sequence[PastYes],
    tags: frozenset[str],
    key: str,
    done: _Since,
) -> tuple[OfferInfo, list[str]] | None:
    """A product the customer has not bought nor been offered since the sale, the best
    match of their topics (their tags, interests and the topics of their offers) first,
    then by name; with the topics it matches."""
    bought = {y.offer_id for y in yeses if y.step == key and y.offer_id}
    choices = [o for o in book.products if o.id not in bought and o.id not in done.offered]
    if not choices:
        return None
    profile = set(tags)
    for y in yeses:
        offer = book.offers.get(y.offer_id) if y.offer_id else None
        if offer is not None:
            profile |= offer.topics
    # book.products is sorted by name, so min keeps the first of equal matches
    best = min(choices, key=lambda o: -len(o.topics & profile))
    return best, sorted(best.topics & profile)


def _done_words(done: _Since) -> str:
    """'; asked how it went and asked for a referral': the asks made since the sale, or
    ""."""
    parts = []
    if done.told is not None:
        parts.append("told you how it went")
    elif done.asked_how is not None:
        parts.append("asked how it went")
    if done.referred is not None:
        parts.append("passed on a referral")
    elif done.asked_referral is not None:
        parts.append("asked for a referral")
    return "; " + " and ".join(parts) if parts else ""


def _no_product(book: CustomerBook, purchased: LadderStep, declined_twice: set[str]) -> str:
    """Why no next product is asked for."""
    if not book.products:
        return (
            "You have no product to offer next: add one as an offer of kind 'product' "
            "(smallyes-cli offer add NAME --kind product)."
        )
    if purchased.key in declined_twice:
        return f'They said "not now" twice to "{ask_name(purchased.key, purchased.label, None)}".'
    return "They have every product you offer, or were offered it since the sale."
