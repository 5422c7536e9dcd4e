"""What the sales a reader yields bring in, summed as the import nets them."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from crm.importing.activity.rows import Action, ActivityRow, Rejected


def revenue(rows: Iterable[ActivityRow | Rejected]) -> dict[str, Decimal]:
    """The gross less refunds of every sale not refunded in full, per currency."""
    out: dict[str, Decimal] = {}
    for r in rows:
        if not isinstance(r, ActivityRow) or r.action is not Action.PURCHASED:
            continue
        assert r.amount is not None and r.refunded is not None
        if r.amount > r.refunded:
            out[r.currency] = out.get(r.currency, Decimal(0)) + r.amount - r.refunded
    return out
