"""Shared by the shop and processor readers' tests: the samples and what their sales add up to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from crm.importing.activity.rows import Action, ActivityRow, Rejected

from .newsletter_support import DATA

PAYMENTS = DATA / "payments"
NOT_A_CURRENCY = "'DOLLARS' is not an ISO 4217 currency code: write a code such as EUR, USD or JPY."


def revenue(rows: Iterable[ActivityRow | Rejected]) -> dict[str, Decimal]:
    """Amount less refunds per currency, over the sales not refunded in full."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if isinstance(row, ActivityRow) and row.action is Action.PURCHASED:
            assert row.amount is not None and row.refunded is not None
            if row.amount > row.refunded:
                totals[row.currency] += row.amount - row.refunded
    return dict(totals)
