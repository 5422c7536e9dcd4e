"""Offers: the named free things and small products a yes or an ask can be about."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from crm.changes import note
from crm.errors import DuplicateError, ValidationError
from crm.store.models import Offer


@dataclass(frozen=True, slots=True)
class OfferRow:
    id: int
    name: str
    kind: str
    topics: tuple[str, ...]
    retired: bool
    created_at: dt.datetime


def _row(offer: Offer) -> OfferRow:
    topics = tuple(t.strip() for t in offer.topics.split(",") if t.strip())
    return OfferRow(
        id=offer.id,
        name=offer.name,
        kind=offer.kind,
        topics=topics,
        retired=bool(offer.retired),
        created_at=offer.created_at,
    )


def clean_offer_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("An offer needs a name: type what it is, like 'SEO checklist'.")
    if len(cleaned) > 120:
        raise ValidationError("An offer name can be at most 120 characters: shorten it.")
    return cleaned


def offer_id_for(name: str, *, now: dt.datetime, create: bool = True) -> int:
    """The id of the offer with this name (any case), created when new and ``create``."""
    cleaned = clean_offer_name(name)
    offer = Offer.get_or_none(Offer.name == cleaned)
    if offer is None:
        if not create:
            raise ValidationError(f"There is no offer named '{cleaned}': check the name.")
        offer = Offer.create(name=cleaned, created_at=now)
    return offer.id


def list_offers(include_retired: bool = False) -> list[OfferRow]:
    query = Offer.select().order_by(Offer.name)
    if not include_retired:
        query = query.where(Offer.retired == False)  # noqa: E712 - peewee expression
    return [_row(o) for o in query]


def get_offer(offer_id: int) -> OfferRow:
    offer = Offer.get_or_none(Offer.id == offer_id)
    if offer is None:
        raise ValidationError("That offer no longer exists.")
    return _row(offer)


def clean_topics(topics: str | list[str] | tuple[str, ...]) -> str:
    """Topics as stored: lower-case, comma-separated, without repeats."""
    parts = topics.split(",") if isinstance(topics, str) else list(topics)
    seen: list[str] = []
    for part in parts:
        topic = " ".join(part.split()).casefold()
        if topic and topic not in seen:
            seen.append(topic)
    return ",".join(seen)


def _require(name: str) -> Offer:
    offer = Offer.get_or_none(Offer.name == clean_offer_name(name))
    if offer is None:
        raise ValidationError(f"There is no offer named '{name.strip()}': check the name.")
    return offer


def add_offer(
    name: str, *, now: dt.datetime, kind: str = "", topics: str | list[str] = ""
) -> OfferRow:
    note(tables=["offer"])
    cleaned = clean_offer_name(name)
    if Offer.get_or_none(Offer.name == cleaned) is not None:
        raise DuplicateError(f"There is already an offer named '{cleaned}': pick another name.")
    offer = Offer.create(
        name=cleaned,
        kind=" ".join(kind.split()).lower(),
        topics=clean_topics(topics),
        created_at=now,
    )
    return get_offer(offer.id)


def rename_offer(name: str, new_name: str) -> OfferRow:
    note(tables=["offer"])
    offer = _require(name)
    cleaned = clean_offer_name(new_name)
    clash = Offer.get_or_none(Offer.name == cleaned)
    if clash is not None and clash.id != offer.id:
        raise DuplicateError(f"There is already an offer named '{cleaned}': pick another name.")
    Offer.update(name=cleaned).where(Offer.id == offer.id).execute()
    return get_offer(offer.id)


def set_offer_topics(name: str, topics: str | list[str], kind: str | None = None) -> OfferRow:
    note(tables=["offer"])
    offer = _require(name)
    changes: dict = {"topics": clean_topics(topics)}
    if kind is not None:
        changes["kind"] = " ".join(kind.split()).lower()
    Offer.update(**changes).where(Offer.id == offer.id).execute()
    return get_offer(offer.id)


def retire_offer(name: str, retired: bool = True) -> OfferRow:
    """A retired offer stays on past timelines but is no longer suggested."""
    note(tables=["offer"])
    offer = _require(name)
    Offer.update(retired=retired).where(Offer.id == offer.id).execute()
    return get_offer(offer.id)
