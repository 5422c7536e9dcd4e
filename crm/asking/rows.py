"""What the next-ask engine reads, and its clock.

The ladder's steps, offers and a lead's yeses and asks as rows (``crm.asking.due`` builds
them from SQL, tests by hand), the names of the engine's rules, and times as whole
microseconds since 1970 with their words ("12 days ago"). ``crm.asking.suggest`` (the
engine) and ``crm.asking.customers`` (its asks after a sale) both build on these;
``crm.asking.suggest`` is where the rest of the code imports them from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

SUBSCRIBE_KEY = "subscribed"
REPLIED_KEY = "replied"
PURCHASED_KEY = "purchased"
PRODUCT_KIND = "product"
REFERRAL_KIND = "referral"
REFERRAL_OFFER = "Referral"  # the offer a referral ask names when the book has none of its own


class Rule:
    """Names of the rules, as shown in reasons and the JSON output."""

    SUPPRESSED = "suppressed"
    DO_NOT_CONTACT = "do not contact"
    SNOOZED = "snoozed"
    PENDING = "waiting for an answer"
    COOLDOWN = "cooldown"
    WEEKLY_CAP = "weekly cap"
    UNANSWERED = "unanswered asks"
    DECLINED = "declined recently"
    INVITE = "invite to subscribe"
    CONFIRM = "reminder to confirm"
    INVITED_ONCE = "invited once"
    TOP = "top of the ladder"
    WARM = "strike while warm"
    EVIDENCE = "best evidence"
    STALLED = "stalled"
    # a customer's asks after a sale (``crm.asking.customers``)
    HOW_IT_WENT = "how it went"
    REFERRAL = "referral"
    NEXT_PRODUCT = "next product"
    CUSTOMER_COOLING = "customer cooling"


# What a customer's ask is for, as a list names it (in place of the step's label).
CUSTOMER_ASKS: Mapping[str, str] = {
    Rule.HOW_IT_WENT: "How it went",
    Rule.REFERRAL: "Referral",
    Rule.NEXT_PRODUCT: "Next product",
}


# ---- inputs ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LadderStep:
    key: str
    label: str
    level: int
    major: bool = False
    ask_subject: str = ""
    ask_body: str = ""


@dataclass(frozen=True, slots=True)
class OfferInfo:
    id: int
    name: str
    kind: str = ""
    topics: frozenset[str] = frozenset()
    retired: bool = False
    price: int | None = None  # a product's price in its currency's minor units
    currency: str = ""
    link: str = ""  # the address an ask about it links to ("" when it has no link)

    @property
    def for_sale(self) -> bool:
        """A product with a price (or none known yet): asked for at a purchase, never given
        away as a free offer. A product priced 0 is a free download."""
        return self.kind == PRODUCT_KIND and self.price != 0

    @property
    def referral(self) -> bool:
        """An offer a referral ask is about (``crm.asking.customers``)."""
        return self.kind == REFERRAL_KIND or self.name.casefold() == REFERRAL_OFFER.casefold()


class PastYes(NamedTuple):
    """A yes on the timeline."""

    step: str  # ladder key
    at: int
    offer_id: int | None = None
    lead_id: int = 0  # groups rows by lead; the engine does not read it


class PastAsk(NamedTuple):
    """An ask the owner made, and its outcome so far."""

    step: str
    asked_at: int
    outcome: str  # pending | accepted | declined | no_response
    offer_id: int | None = None
    # read only for a declined ask (when the back-off starts): may be None for the others
    resolved_at: int | None = None
    lead_id: int = 0


# ---- the clock ------------------------------------------------------------------------

_EPOCH = dt.datetime(1970, 1, 1)
_ONE_US = dt.timedelta(microseconds=1)
DAY_US = 86_400_000_000


def to_us(when: dt.datetime) -> int:
    """A naive UTC time as microseconds since 1970, exactly."""
    return (when - _EPOCH) // _ONE_US


def from_us(us: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=us)


def ago_text(then: int, now: int) -> str:
    """'today', '1 day ago', '12 days ago' (or 'in 3 days'), of times in microseconds."""
    # whole days, floored like timedelta.days
    days = (now - then) // DAY_US if now >= then else -((then - now) // DAY_US + 1)
    if days == 0:
        return "today"
    if days < 0:
        return f"in {-days} day{'s' if days != -1 else ''}"
    return f"{days} day{'s' if days != 1 else ''} ago"


def date_text(when: int) -> str:
    """A time in microseconds as its day, '2026-06-25'."""
    return from_us(when).strftime("%Y-%m-%d")


def days_us(days: float) -> int:
    """A number of days as microseconds (exactly, as a timedelta counts them)."""
    return to_us(_EPOCH + dt.timedelta(days=days))
