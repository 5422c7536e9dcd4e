"""Asks the owner made, and their outcomes.

An ask is ``pending`` until its outcome is set: ``accepted`` (which records the yes on the
timeline, linked to the ask), ``declined`` ("not now") or ``no_response``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from crm import changes
from crm.asking.ladder import step_by_key
from crm.book import lead_cache
from crm.book.offers import offer_id_for
from crm.book.timeline import record_commitment
from crm.errors import NotFoundError, ValidationError
from crm.store.models import Ask, Lead, database_proxy
from crm.timefmt import from_stored, from_stored_required


class Outcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"


def parse_outcome(text: str) -> Outcome:
    try:
        return Outcome(text.strip().lower())
    except ValueError:
        raise ValidationError(
            f"'{text}' is not an outcome: use accepted, declined or no_response."
        ) from None


@dataclass(frozen=True, slots=True)
class AskRow:
    id: int
    lead_id: int
    step: str
    step_label: str
    offer: str | None
    asked_at: dt.datetime
    outcome: str
    resolved_at: dt.datetime | None
    note: str


def record_ask(
    lead_id: int,
    step_key: str,
    *,
    at: dt.datetime,
    now: dt.datetime,
    offer: str | None = None,
    note: str = "",
) -> int:
    """Record an ask the owner made; it stays pending until its outcome is set."""
    changes.note(tables=["ask", "offer"], leads=[lead_id])
    step = step_by_key(step_key)
    if at > now + dt.timedelta(days=1):
        raise ValidationError("An ask cannot be dated in the future: pick today or earlier.")
    with database_proxy.atomic():
        if not Lead.select().where(Lead.id == lead_id).exists():
            raise NotFoundError("That lead no longer exists: it may have been deleted.")
        offer_id = offer_id_for(offer, now=now) if offer and offer.strip() else None
        ask = Ask.create(lead=lead_id, step=step.id, offer=offer_id, asked_at=at, note=note.strip())
        lead_cache.add_ask(lead_id, at)
    return ask.id


def get_ask(ask_id: int) -> AskRow:
    row = database_proxy.execute_sql(
        "SELECT a.id, a.lead_id, s.key, s.label, o.name, a.asked_at, a.outcome, a.resolved_at,"
        " a.note FROM ask a JOIN step s ON s.id = a.step_id LEFT JOIN offer o ON o.id = "
        "a.offer_id WHERE a.id = ?",
        [ask_id],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"There is no ask number {ask_id}: check the number.")
    return _ask_row(row)


_when = from_stored


def _ask_row(row: tuple) -> AskRow:
    return AskRow(
        id=row[0],
        lead_id=row[1],
        step=row[2],
        step_label=row[3],
        offer=row[4],
        asked_at=from_stored_required(row[5]),
        outcome=row[6],
        resolved_at=_when(row[7]),
        note=row[8],
    )


def set_outcome(ask_id: int, outcome: Outcome | str, *, at: dt.datetime, now: dt.datetime) -> None:
    """Set (or correct) an ask's outcome; ``accepted`` records the yes it produced."""
    result = parse_outcome(str(outcome))
    ask = get_ask(ask_id)
    if result is not Outcome.PENDING and at < ask.asked_at:
        raise ValidationError("An answer cannot come before the ask: pick a later date.")
    # Every answer, not only a yes: a future "not now" would hold the lead back from then.
    if result is not Outcome.PENDING and at > now + dt.timedelta(days=1):
        raise ValidationError("An answer cannot be dated in the future: pick today or earlier.")
    changes.note(tables=["ask", "commitment"], leads=[ask.lead_id])
    with database_proxy.atomic():
        # A corrected outcome replaces the yes an earlier "accepted" recorded.
        database_proxy.execute_sql("DELETE FROM commitment WHERE ask_id = ?", [ask_id])
        resolved = None if result is Outcome.PENDING else at
        Ask.update(outcome=result.value, resolved_at=resolved).where(Ask.id == ask_id).execute()
        if result is Outcome.ACCEPTED:
            record_commitment(
                ask.lead_id,
                ask.step,
                at=at,
                now=now,
                offer=ask.offer,
                source="ask",
                ask_id=ask_id,
                note=ask.note,
            )
        lead_cache.recompute([ask.lead_id])


def list_asks(lead_id: int | None = None, *, outcome: str | None = None) -> list[AskRow]:
    """Asks, newest first: one lead's, or every lead's, optionally with one outcome."""
    where: list[str] = []
    params: list[object] = []
    if lead_id is not None:
        where.append("a.lead_id = ?")
        params.append(lead_id)
    if outcome is not None:
        where.append("a.outcome = ?")
        params.append(parse_outcome(outcome).value)
    sql = (
        "SELECT a.id, a.lead_id, s.key, s.label, o.name, a.asked_at, a.outcome, a.resolved_at,"
        " a.note FROM ask a JOIN step s ON s.id = a.step_id LEFT JOIN offer o ON o.id = "
        "a.offer_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY a.asked_at DESC, a.id DESC"
    )
    return [_ask_row(r) for r in database_proxy.execute_sql(sql, params).fetchall()]


def delete_ask(ask_id: int) -> None:
    """Remove an ask recorded by mistake, with the yes its acceptance recorded."""
    changes.note(tables=["ask", "commitment"], leads=None)
    ask = get_ask(ask_id)
    with database_proxy.atomic():
        database_proxy.execute_sql("DELETE FROM commitment WHERE ask_id = ?", [ask_id])
        database_proxy.execute_sql("DELETE FROM ask WHERE id = ?", [ask_id])
        lead_cache.recompute([ask.lead_id])
