"""A lead's sales and bookings, read back: lifetime revenue per currency, each purchase
with its amount and refunds, each booking with its meeting.

The rows are written by the activity import (``crm.importing.activity.store``) and by
:func:`record_sale` when the owner logs a sale by hand. Amounts are minor units of their
currency (``crm.money``); currencies are never added together.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crm import changes
from crm.book import lead_cache
from crm.errors import ValidationError
from crm.money import check_currency, decimal_text, shown, to_minor
from crm.store.models import database_proxy
from crm.timefmt import from_stored, from_stored_required, iso


@dataclass(frozen=True, slots=True)
class SaleRow:
    id: int
    commitment_id: int | None  # None: refunded in full, no yes
    at: dt.datetime
    product: str
    currency: str
    amount: int  # gross, minor units
    refunded: int
    platform: str

    @property
    def net(self) -> int:
        return self.amount - self.refunded

    @property
    def words(self) -> str:
        """``€120.00`` or ``€120.00, €20.00 refunded``."""
        text = shown(self.amount, self.currency)
        if self.refunded >= self.amount:
            return f"{text}, refunded"
        if self.refunded:
            return f"{text}, {shown(self.refunded, self.currency)} refunded"
        return text

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "amount": decimal_text(self.amount, self.currency),
            "currency": self.currency,
            "product": self.product,
            "net": decimal_text(self.net, self.currency),
        }
        if self.refunded:
            out["refunded"] = decimal_text(self.refunded, self.currency)
        return out


@dataclass(frozen=True, slots=True)
class BookingRow:
    id: int
    commitment_id: int | None  # None: canceled
    booked_at: dt.datetime
    starts_at: dt.datetime | None
    event_type: str
    canceled: bool
    platform: str

    def to_json(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "starts_at": iso(self.starts_at),
            "canceled": self.canceled,
        }


def lead_sales(lead_id: int) -> list[SaleRow]:
    """The lead's sales, oldest first."""
    return [
        SaleRow(int(i), c, from_stored_required(at), str(p), str(cur), int(a), int(r), str(pl))
        for i, c, at, p, cur, a, r, pl in database_proxy.execute_sql(
            "SELECT id, commitment_id, at, product, currency, amount, refunded, platform "
            "FROM sale WHERE lead_id = ? ORDER BY at, id",
            [lead_id],
        )
    ]


def lead_bookings(lead_id: int) -> list[BookingRow]:
    """The lead's bookings, canceled ones too, oldest first."""
    return [
        BookingRow(int(i), c, from_stored_required(b), from_stored(s), str(e), bool(x), str(p))
        for i, c, b, s, e, x, p in database_proxy.execute_sql(
            "SELECT id, commitment_id, booked_at, starts_at, event_type, canceled, platform "
            "FROM booking WHERE lead_id = ? ORDER BY booked_at, id",
            [lead_id],
        )
    ]


def lead_revenue(lead_id: int) -> dict[str, int]:
    """Lifetime revenue per currency, net of refunds (currencies with none left out)."""
    return {
        str(currency): int(net)
        for currency, net in database_proxy.execute_sql(
            "SELECT currency, sum(amount - refunded) FROM sale WHERE lead_id = ? "
            "GROUP BY currency HAVING sum(amount - refunded) > 0 ORDER BY currency",
            [lead_id],
        )
    }


def revenue_json(revenue: dict[str, int]) -> dict[str, str]:
    """Revenue as JSON gives it: currency -> decimal string."""
    return {c: decimal_text(v, c) for c, v in sorted(revenue.items())}


def revenue_words(revenue: dict[str, int]) -> str:
    """``€218.00 · $848.00``; "" for none."""
    return " · ".join(shown(v, c) for c, v in sorted(revenue.items()))


def record_sale(
    lead_id: int,
    amount: Decimal,
    currency: str,
    *,
    at: dt.datetime,
    now: dt.datetime,
    product: str = "",
    note: str = "",
) -> int:
    """Log a sale by hand: the "purchased" yes (on the product, if named) with its amount;
    the yes's id. The sale's key is its own (no export will bring it again)."""
    # Here, not at the top: the lead list needs this module's revenue words at start-up,
    # and the timeline's writers would load with it.
    from crm.book.timeline import record_commitment
    from crm.importing.activity.store import key_digest

    code = check_currency(currency)
    minor = to_minor(amount, code)
    if minor <= 0:
        raise ValidationError("A sale's amount must be above zero: type what was paid.")
    changes.note(tables=["commitment", "offer", "sale"], leads=[lead_id])
    with database_proxy.atomic():
        commitment_id = record_commitment(
            lead_id, "purchased", at=at, now=now, offer=product or None, note=note
        )
        if product.strip():
            database_proxy.execute_sql(
                "UPDATE offer SET kind = 'product', price = ?, currency = ? WHERE id = "
                "(SELECT offer_id FROM commitment WHERE id = ?) AND kind IN ('', 'product') "
                "AND price IS NULL",
                [minor, code, commitment_id],
            )
        database_proxy.execute_sql(
            "INSERT INTO sale (lead_id, commitment_id, key, at, product, currency, amount, "
            "platform) VALUES (?, ?, ?, ?, ?, ?, ?, 'manual')",
            [
                lead_id,
                commitment_id,
                key_digest(f"manual|{uuid.uuid4()}"),
                at,
                " ".join(product.split()),
                code,
                minor,
            ],
        )
        lead_cache.recompute([lead_id])
    return commitment_id
