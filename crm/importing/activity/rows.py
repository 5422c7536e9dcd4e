"""The one shape every activity reader gives: a row of evidence, not yet matched to a lead."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Action(StrEnum):
    """What a row says the person did. The ladder mapping turns it into a step (or none)."""

    OPENED = "opened"  # weak signal, never a rung
    DELIVERED = "delivered"  # counted as "emails received", never a rung
    CLICKED = "clicked"
    ANSWERED = "answered"
    REPLIED = "replied"
    DOWNLOADED = "downloaded"  # a free product "sale"
    BOOKED = "booked"
    CANCELED = "canceled"  # a booking that was canceled: no yes
    PURCHASED = "purchased"
    REFUNDED = "refunded"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


@dataclass(frozen=True, slots=True)
class Answer:
    """One question of a form or survey and what the person answered."""

    question: str
    answer: str


# Not frozen: a frozen dataclass sets each of these fields through object.__setattr__,
# four times the cost of building the row, which an import does millions of times.
@dataclass(slots=True)
class ActivityRow:
    """One dated piece of evidence from an activity file.

    ``at`` is naive: UTC when ``at_is_local`` is false, else the wall-clock time the file
    wrote with no zone (Google Forms, Calendly, PayPal), which the import turns into UTC
    with the zone the owner confirms. ``at`` is ``None`` when the file has no time for the
    row (the import dates it at the campaign's send or the import itself, and says so).
    ``key`` identifies the event for an idempotent re-import: the platform's own row id
    where it gives one, else a join of the fields that make the row unique.

    Sales and bookings: a PURCHASED row is one paid sale (an order, a charge) with its
    gross ``amount``, the ``refunded`` part of it (0 or None when nothing was), its
    ``currency`` and ``product``; the import nets them, and a sale whose ``amount`` is 0 is a
    free product (a DOWNLOADED yes on it). A REFUNDED row is a refund written as a row of
    its own (PayPal): ``refunded`` is its sum and ``source_id`` the id of the sale it
    refunds. BOOKED and CANCELED rows are bookings, ``at`` when the person booked,
    ``occurs_at`` the meeting, ``product`` the event type.
    """

    platform: str  # a platform key, as in crm.importing.platforms ("mailchimp", "typeform")
    member: str  # the ZIP member path, or "" for a plain file
    row: int  # 1-based data row number in its file or member, for the report
    email: str  # as written, trimmed; the import checks and lower-cases it
    action: Action
    at: dt.datetime | None
    key: str
    at_is_local: bool = False
    url: str = ""
    campaign: str = ""  # campaign, post, form or event-type title
    answers: tuple[Answer, ...] = ()
    name: str = ""  # the person's name where the file gives one (for a new contact)
    amount: Decimal | None = None  # money in the currency's units, exact (a sale's gross)
    refunded: Decimal | None = None  # the part of ``amount`` refunded (a sale), or a refund's sum
    currency: str = ""  # ISO 4217, upper case
    product: str = ""  # the product or event type a sale or booking is about
    occurs_at: dt.datetime | None = None  # a booking's meeting time (naive, like ``at``)
    source_id: str = ""  # the platform's own id of the row (order, booking, response)
    count: int = 1  # events the row stands for: a Substack dashboard row totals a person's opens


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row a reader could not use, with its one-sentence reason."""

    member: str
    row: int
    reason: str
