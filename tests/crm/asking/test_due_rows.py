"""Today reads stored times to the microsecond, as the engine's integer clock needs them."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.asking.asks import record_ask
from crm.asking.due import _us, suggest_for_lead, todays_asks
from crm.asking.suggest import Rule, Suggestion, to_us
from crm.store.models import database_proxy
from tests.crm.asking.test_asks import DAY, subscriber


def _ask_stored_at(lead_id: int, now: dt.datetime, text: str) -> None:
    # the ask is recorded a second before the cooldown ends (so the lead's cached last-ask
    # time passes Today's SQL filter), then its stored time gets a fraction of a second
    record_ask(lead_id, "downloaded", at=now - 7 * DAY - dt.timedelta(seconds=1), now=now)
    database_proxy.execute_sql("UPDATE ask SET asked_at = ? WHERE lead_id = ?", [text, lead_id])


def test_a_fraction_just_under_a_whole_second_is_not_rounded_up(db, now) -> None:
    lead_id = subscriber("ada@example.com", now)
    _ask_stored_at(lead_id, now, "2026-06-08 11:59:59.999600")
    result = suggest_for_lead(lead_id, now)
    assert isinstance(result, Suggestion)
    # due when the cooldown ends: seven days after the ask, to the microsecond
    assert result.due == dt.datetime(2026, 6, 15, 11, 59, 59, 999600)
    [item] = todays_asks(now)
    assert item.lead_id == lead_id and item.suggestion == result


def test_a_fraction_past_the_second_keeps_the_lead_waiting(db, now) -> None:
    lead_id = subscriber("ada@example.com", now)
    _ask_stored_at(lead_id, now, "2026-06-08 12:00:00.0004")  # short fractions are padded
    result = suggest_for_lead(lead_id, now)
    # the pending ask is 400 microseconds short of the follow-up window
    assert result.rule == Rule.PENDING
    assert result.until == dt.datetime(2026, 6, 15, 12, 0, 0, 400)
    assert todays_asks(now) == []


def _read(text: str | None) -> tuple[int | None]:
    return database_proxy.execute_sql(f"SELECT {_us('t')} FROM (SELECT ? AS t)", [text]).fetchone()


@pytest.mark.parametrize(
    "text",
    [
        "2026-06-08 11:59:59",
        "2026-06-08 11:59:59.5",
        "2026-06-08 11:59:59.9994",
        "2026-06-08 11:59:59.999499",
        "2026-06-08 11:59:59.9995",
        "2026-06-08 11:59:59.999500",
        "2026-06-08 11:59:59.999999",
        "2026-12-31 23:59:59.99999",
        "2026-06-08 12:00:00.000001",
        "1969-12-31 23:59:59.999999",
    ],
)
def test_stored_times_read_to_the_exact_microsecond(db, text: str) -> None:
    # whole or partial fractions, and those that SQLite's own reading rounds to the next second
    (read,) = _read(text)
    assert read == to_us(dt.datetime.fromisoformat(text.ljust(26, "0") if "." in text else text))


def test_a_missing_time_stays_missing(db) -> None:
    assert _read(None) == (None,)
