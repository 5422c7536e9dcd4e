"""The demo data set: realistic, deterministic, and only into an empty database."""

from __future__ import annotations

import pytest

from crm.book.leads import LeadQuery, count_leads, list_leads
from crm.demo import load_demo
from crm.errors import ValidationError


def _snapshot() -> list[tuple]:
    return [(r.email, r.status, r.level, r.tags, r.last_commitment_at) for r in list_leads()]


def test_demo_is_realistic(db, now) -> None:
    report = load_demo(leads=300, seed=3, now=now)
    assert report["leads"] == 300 == count_leads()
    rows = list_leads()
    assert len({r.level for r in rows}) >= 6
    statuses = {r.status for r in rows}
    assert {"subscribed", "unsubscribed", "bounced", "pending", "none"} <= statuses
    assert count_leads(LeadQuery(tag="customer")) > 0
    assert all(r.last_commitment_at is None or r.last_commitment_at <= now for r in rows)
    outcomes = {r[0] for r in db.execute_sql("SELECT DISTINCT outcome FROM ask")}
    assert outcomes == {"pending", "accepted", "declined", "no_response"}


def test_demo_is_deterministic(tmp_path, now) -> None:
    from crm.store.db import close_database, open_database

    snaps = []
    for name in ("a.db", "b.db"):
        database = open_database(tmp_path / name)
        load_demo(leads=120, seed=11, now=now)
        snaps.append(_snapshot())
        close_database(database)
    assert snaps[0] == snaps[1]


def test_demo_refuses_a_database_with_leads(db, now) -> None:
    load_demo(leads=5, now=now)
    with pytest.raises(ValidationError):
        load_demo(leads=5, now=now)
    assert count_leads() == 5


def test_demo_purchases_are_sales_with_amounts(db, now) -> None:
    from crm.analytics.revenue import compute_revenue

    report = load_demo(leads=3000, seed=5, now=now)
    assert report["sales"] > 30
    q = db.execute_sql
    # Every purchase yes is one sale of a priced product, on the same date.
    unsold = q(
        "SELECT count(*) FROM commitment c JOIN step s ON s.id = c.step_id "
        "WHERE s.key = 'purchased' AND NOT EXISTS (SELECT 1 FROM sale x "
        "WHERE x.commitment_id = c.id AND x.at = c.at)"
    ).fetchone()[0]
    assert unsold == 0
    priced = q(
        "SELECT count(*) FROM sale x JOIN commitment c ON c.id = x.commitment_id "
        "JOIN offer o ON o.id = c.offer_id WHERE o.kind = 'product' AND o.price = x.amount "
        "AND o.currency = x.currency AND o.name = x.product"
    ).fetchone()[0]
    assert priced == q("SELECT count(*) FROM sale WHERE commitment_id IS NOT NULL").fetchone()[0]
    # Refunds: some in part, some whole (those have no yes left), each the sum of its rows.
    partly, wholly = q(
        "SELECT sum(refunded > 0 AND refunded < amount), sum(refunded = amount) FROM sale"
    ).fetchone()
    assert partly > 0 and wholly > 0
    assert q("SELECT count(*) FROM sale WHERE refunded = amount AND commitment_id IS NOT NULL"
             ).fetchone()[0] == 0  # fmt: skip
    mismatched = q(
        "SELECT count(*) FROM sale x WHERE x.refunded != coalesce((SELECT sum(r.amount) "
        "FROM refund r WHERE r.sale_id = x.id), 0)"
    ).fetchone()[0]
    assert mismatched == 0
    # Mostly one currency; the funnel's revenue has both, apart.
    revenue = compute_revenue()
    assert revenue.codes == ("EUR", "USD")
    eur, usd = revenue.currencies
    assert eur.purchases > 4 * usd.purchases
    assert eur.purchases > eur.buyers  # some bought twice
    assert sum(o.revenue for o in eur.by_first_offer) == eur.total
