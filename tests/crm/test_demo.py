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
