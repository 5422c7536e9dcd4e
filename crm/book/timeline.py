"""A lead's timeline: recording yeses (commitments) and reading everything back in order.

Each change also keeps the lead's cached columns, through ``crm.book.lead_cache``, in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from crm import changes
from crm.asking.ladder import step_by_key
from crm.asking.pacing import get_pacing
from crm.book import lead_cache
from crm.book.leads import LeadStatus, record_event
from crm.book.offers import offer_id_for
from crm.errors import NotFoundError, ValidationError
from crm.importing.activity.store import ActivityWriter, answered_ask
from crm.importing.labels import platform_words
from crm.money import decimal_text, shown
from crm.store.models import Lead, database_proxy
from crm.timefmt import from_stored, from_stored_required, iso


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One entry of a timeline; ``kind`` is commitment, ask, status, note or import."""

    at: dt.datetime
    kind: str
    summary: str
    id: int
    step: str | None = None
    step_label: str | None = None
    offer: str | None = None
    outcome: str | None = None
    resolved_at: dt.datetime | None = None
    note: str = ""
    source: str = ""
    data: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"at": iso(self.at), "kind": self.kind, "summary": self.summary}
        if self.kind == "commitment":
            out.update(step=self.step, offer=self.offer, note=self.note, source=self.source)
            out.update(self.data)  # a purchase's amount and currency, a booking's meeting
        elif self.kind == "ask":
            out.update(
                ask_id=self.id,
                step=self.step,
                offer=self.offer,
                outcome=self.outcome,
                resolved_at=iso(self.resolved_at),
                note=self.note,
            )
        else:
            out.update(data=self.data)
        return out


def _require_lead(lead_id: int) -> Lead:
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None:
        raise NotFoundError("That lead no longer exists: it may have been deleted.")
    return lead


def record_commitment(
    lead_id: int,
    step_key: str,
    *,
    at: dt.datetime,
    now: dt.datetime,
    offer: str | None = None,
    note: str = "",
    source: str = "manual",
    ask_id: int | None = None,
    batch_id: int | None = None,
) -> int:
    """Log a yes on the lead's timeline; return the commitment id.

    A ``subscribed`` yes moves a lead that never opted in (``none``) or had not confirmed
    (``pending``) to ``subscribed``; a suppressed status is never changed here. A yes that
    answers no ask (``ask_id``) answers the pending ask it takes, as an imported one does:
    a purchase logged by hand answers the "purchased" ask waiting for it.
    """
    changes.note(tables=["commitment", "offer"], leads=[lead_id])
    step = step_by_key(step_key)
    if at > now + dt.timedelta(days=1):
        raise ValidationError("A yes cannot be dated in the future: pick today or an earlier date.")
    with database_proxy.atomic():
        lead = _require_lead(lead_id)
        offer_id = offer_id_for(offer, now=now) if offer and offer.strip() else None
        if ask_id is None:
            ask_id = _answer_pending_ask(lead_id, step.id, offer_id, at)
        cursor = database_proxy.execute_sql(
            "INSERT INTO commitment (lead_id, step_id, offer_id, ask_id, at, source, note, "
            "batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [lead_id, step.id, offer_id, ask_id, at, source, note.strip(), batch_id],
        )
        commitment_id = cursor.lastrowid
        lead_cache.add_yes(lead_id, step.level, at, now=now)
        if step.key == "subscribed" and lead.status in (LeadStatus.NONE, LeadStatus.PENDING):
            Lead.update(status=LeadStatus.SUBSCRIBED.value).where(Lead.id == lead_id).execute()
            record_event(
                lead_id,
                "status",
                "Status changed to Subscribed (logged a subscribe)",
                at,
                {"from": lead.status, "to": LeadStatus.SUBSCRIBED.value},
            )
    return commitment_id


def _answer_pending_ask(
    lead_id: int, step_id: int, offer_id: int | None, at: dt.datetime
) -> int | None:
    """Accept the pending ask a new yes answers, by the importers' rule (``answered_ask``:
    the lead's oldest pending ask at the yes's step, about its offer if the ask named one,
    made at most the pacing's follow-up days before it) and through their writer; the
    ask's id, or None."""
    writer = ActivityWriter(database_proxy.connection(), now_text="")
    pending = writer.pending_asks([lead_id]).get(lead_id)
    if not pending:
        return None
    window = dt.timedelta(days=get_pacing().follow_up_days)
    ask = answered_ask(pending, step_id, offer_id, str(at), window)
    if ask is None:
        return None
    changes.note(tables=["ask"], leads=[lead_id])
    writer.accept_ask(ask.id, str(at))
    writer.flush()
    return ask.id


def delete_commitment(commitment_id: int) -> None:
    """Remove one yes logged by mistake and fix the lead's cached columns."""
    changes.note(tables=["commitment"], leads=None)
    with database_proxy.atomic():
        row = database_proxy.execute_sql(
            "SELECT lead_id FROM commitment WHERE id = ?", [commitment_id]
        ).fetchone()
        if row is None:
            raise NotFoundError("That yes is no longer on the timeline.")
        database_proxy.execute_sql("DELETE FROM commitment WHERE id = ?", [commitment_id])
        lead_cache.recompute([row[0]])


def add_note(lead_id: int, text: str, *, at: dt.datetime) -> None:
    """A free-text note on the timeline."""
    changes.note(tables=["lead_event"], leads=[lead_id])
    if not text.strip():
        raise ValidationError("The note is empty: type something to remember.")
    with database_proxy.atomic():
        _require_lead(lead_id)
        record_event(lead_id, "note", text.strip(), at)


_TIMELINE_SQL = """
SELECT 'commitment', c.id, c.at, s.key, s.label, o.name, NULL, NULL, c.note, c.source, NULL
  FROM commitment c JOIN step s ON s.id = c.step_id LEFT JOIN offer o ON o.id = c.offer_id
 WHERE c.lead_id = :lead
UNION ALL
SELECT 'ask', a.id, a.asked_at, s.key, s.label, o.name, a.outcome, a.resolved_at, a.note, '',
       NULL
  FROM ask a JOIN step s ON s.id = a.step_id LEFT JOIN offer o ON o.id = a.offer_id
 WHERE a.lead_id = :lead
UNION ALL
SELECT e.kind, e.id, e.at, NULL, NULL, NULL, NULL, NULL, e.summary, '', e.data
  FROM lead_event e WHERE e.lead_id = :lead
UNION ALL
SELECT 'refunded', s.id, s.at, NULL, NULL, s.product, s.currency, s.amount, '', s.platform,
       NULL
  FROM sale s WHERE s.lead_id = :lead AND s.commitment_id IS NULL
UNION ALL
SELECT 'canceled', b.id, b.booked_at, NULL, NULL, b.event_type, NULL, b.starts_at, '',
       b.platform, NULL
  FROM booking b WHERE b.lead_id = :lead AND b.commitment_id IS NULL AND b.canceled = 1
UNION ALL
SELECT 'imported', b.id, b.started_at, NULL, NULL, NULL, NULL, NULL, b.platform, b.file_name,
       NULL
  FROM lead l JOIN import_batch b ON b.id = l.batch_id WHERE l.id = :lead
"""


def _local_words(at: dt.datetime) -> str:
    return at.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def _details(lead_id: int) -> dict[int, tuple[dict[str, Any], str]]:
    """commitment id -> what its sale or booking adds (JSON keys, and words)."""
    found: dict[int, tuple[dict[str, Any], str]] = {}
    for cid, currency, amount, refunded in database_proxy.execute_sql(
        "SELECT commitment_id, currency, amount, refunded FROM sale WHERE lead_id = ? "
        "AND commitment_id IS NOT NULL",
        [lead_id],
    ):
        # amount: what was paid; refunded: what went back (net = the difference)
        data: dict[str, Any] = {"amount": decimal_text(int(amount), currency), "currency": currency}
        words = shown(int(amount), currency)
        if refunded:
            data["refunded"] = decimal_text(int(refunded), currency)
            data["net"] = decimal_text(int(amount) - int(refunded), currency)
            words += f", {shown(int(refunded), currency)} refunded"
        found[int(cid)] = (data, words)
    for cid, starts, event_type in database_proxy.execute_sql(
        "SELECT commitment_id, starts_at, event_type FROM booking WHERE lead_id = ? "
        "AND commitment_id IS NOT NULL",
        [lead_id],
    ):
        meeting = from_stored(starts)
        words = f"meeting {_local_words(meeting)}" if meeting else ""
        found[int(cid)] = ({"starts_at": iso(meeting), "event_type": event_type}, words)
    return found


_OUTCOME_WORDS = {
    "pending": "waiting for an answer",
    "accepted": "said yes",
    "declined": "said not now",
    "no_response": "no answer",
}


def get_timeline(lead_id: int) -> list[TimelineItem]:
    """Everything on a lead's timeline, newest first."""
    _require_lead(lead_id)
    rows = database_proxy.execute_sql(_TIMELINE_SQL, {"lead": lead_id}).fetchall()
    details = _details(lead_id)
    items = []
    for kind, item_id, at, key, label, offer, outcome, resolved, note, source, data in rows:
        at = from_stored_required(at)
        if kind == "commitment":
            summary = f"Yes: {label}" + (f" — {offer}" if offer else "")
            detail, words = details.get(item_id, ({}, ""))
            summary += f" ({words})" if words else ""
            items.append(
                TimelineItem(
                    at=at,
                    kind=kind,
                    summary=summary,
                    id=item_id,
                    step=key,
                    step_label=label,
                    offer=offer,
                    note=note,
                    source=source,
                    data=detail,
                )
            )
        elif kind == "refunded":
            # offer: the product; outcome: the currency; resolved: the amount
            amount = shown(int(resolved), str(outcome))
            items.append(
                TimelineItem(
                    at=at,
                    kind="refunded",
                    summary=f"Refunded: {offer or 'a sale'} ({amount}), no longer a yes",
                    id=item_id,
                    data={
                        "product": offer,
                        "currency": outcome,
                        "amount": decimal_text(int(resolved), str(outcome)),
                        "platform": source,
                    },
                )
            )
        elif kind == "canceled":
            meeting = from_stored(resolved)
            when = f", meeting {_local_words(meeting)}" if meeting else ""
            items.append(
                TimelineItem(
                    at=at,
                    kind="canceled",
                    summary=f"Canceled booking: {offer or 'a call'}{when}",
                    id=item_id,
                    data={"event_type": offer, "starts_at": iso(meeting), "platform": source},
                )
            )
        elif kind == "ask":
            summary = f"Asked: {label}" + (f" — {offer}" if offer else "")
            summary += f" ({_OUTCOME_WORDS.get(outcome, outcome)})"
            items.append(
                TimelineItem(
                    at=at,
                    kind=kind,
                    summary=summary,
                    id=item_id,
                    step=key,
                    step_label=label,
                    offer=offer,
                    outcome=outcome,
                    resolved_at=from_stored(resolved),
                    note=note,
                )
            )
        elif kind == "imported":
            # the import that created the lead: told by its batch, not stored per lead
            items.append(
                TimelineItem(
                    at=at,
                    kind="import",
                    summary=f"Imported from {platform_words(note)}",
                    id=item_id,
                    data={"batch_id": item_id, "file": source, "platform": note},
                )
            )
        else:
            items.append(
                TimelineItem(
                    at=at,
                    kind=kind,
                    summary=note,
                    id=item_id,
                    data=json.loads(data or "{}"),
                )
            )
    # At equal times the consequence is shown above its cause (a status above the yes).
    kind_order = {"ask": 0, "commitment": 1, "status": 2, "import": 3, "note": 4}
    items.sort(key=lambda i: (i.at, kind_order.get(i.kind, 5), i.id), reverse=True)
    return items
