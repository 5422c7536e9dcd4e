"""Sales written as the sales import stores them, for tests of what reads them."""

from __future__ import annotations

import datetime as dt
import itertools

from crm.book.timeline import record_commitment
from crm.store.models import database_proxy

_keys = itertools.count(1)


def at(day: str, hour: int = 9) -> dt.datetime:
    """A time in 2026 from 'MM-DD' (09:00 unless said)."""
    return dt.datetime.fromisoformat(f"2026-{day}T{hour:02d}:00:00")


def add_offer(
    name: str, kind: str, price: int | None = None, currency: str = "", *, now: dt.datetime
) -> None:
    database_proxy.execute_sql(
        "INSERT INTO offer (name, kind, price, currency, created_at) VALUES (?, ?, ?, ?, ?)",
        (name, kind, price, currency, now),
    )


def sell(
    lead_id: int,
    when: dt.datetime,
    amount: int,
    currency: str = "EUR",
    *,
    refunded: int = 0,
    product: str = "Course",
    now: dt.datetime,
) -> None:
    """A paid sale (``amount`` in minor units) with its "purchased" yes while any of it
    is kept, none once wholly refunded; its refund as a row beside the cached sum."""
    commitment = (
        record_commitment(lead_id, "purchased", at=when, now=now, offer=product)
        if amount > refunded
        else None
    )
    cursor = database_proxy.execute_sql(
        "INSERT INTO sale (lead_id, commitment_id, key, at, product, currency, amount, "
        "refunded, platform) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'stripe')",
        (lead_id, commitment, next(_keys), when, product, currency, amount, refunded),
    )
    if refunded:
        database_proxy.execute_sql(
            "INSERT INTO refund (sale_id, at, amount) VALUES (?, ?, ?)",
            (cursor.lastrowid, when + dt.timedelta(days=2), refunded),
        )
