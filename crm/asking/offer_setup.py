"""Setting up an offer to ask about: its name, its topic and the link its asks point to.

Today helps an owner with no offer yet add the first one in one step. The offer and its
link go in together or not at all, so a refused link leaves no offer without one; a click
on the link is a yes on the offer (``crm.importing.activity.links``).
"""

from __future__ import annotations

import datetime as dt

from crm.book.offers import OfferRow, add_offer
from crm.importing.activity.links import add_offer_link, clean_link
from crm.store.models import database_proxy


def add_offer_with_link(
    name: str, link: str, *, now: dt.datetime, topics: str = "", kind: str = ""
) -> OfferRow:
    """Add an offer with the link its asks point to (checked first: a bad one adds nothing)."""
    clean_link(link)
    with database_proxy.atomic():
        offer = add_offer(name, now=now, kind=kind, topics=topics)
        add_offer_link(offer.name, link, now=now)
    return offer
