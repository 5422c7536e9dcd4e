"""The stored evidence moves only materially: one yes in a big book re-scores one lead, a
shift of many answers re-scores them all, and a day-old evidence is replaced."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from crm.asking import due, stored
from crm.asking.asks import record_ask, set_outcome
from crm.asking.pacing import Pacing, get_pacing
from crm.asking.suggest import Evidence, to_us
from crm.book.timeline import record_commitment
from crm.demo import load_demo


def _rewritten(now: dt.datetime) -> int:
    """How many stored rows were computed at ``now``."""
    return sum(1 for r in stored.stored_rows().values() if r[2] == to_us(now))


def _generation() -> int:
    return stored.book_row()[0]


@pytest.fixture
def book(db, now) -> int:
    """A demo book of 2,000 leads read once by Today; its lead count."""
    load_demo(leads=2000, now=now)
    due.todays_asks_page(now, 500)
    count = len(stored.stored_rows())
    assert count == 2000
    return count


def _lead_without_yes_today(now: dt.datetime) -> int:
    [(lead_id,)] = stored._sql("SELECT min(id) FROM lead WHERE status = 'subscribed'")
    return int(lead_id)


def test_one_logged_yes_re_scores_only_its_lead(book: int, now: dt.datetime) -> None:
    gen = _generation()
    later = now + dt.timedelta(minutes=5)
    lead = _lead_without_yes_today(now)
    record_commitment(lead, "answered", at=later, now=later)
    page = due.todays_asks_page(later, 500)
    assert _generation() == gen
    assert _rewritten(later) == 1
    # scored with the stored evidence, which a fresh one is within the tolerance of
    _gen, _setup, text, stale = stored.book_row()
    assert not stale and text is not None
    kept = stored.evidence_from_json(text)
    assert kept != due.load_evidence()  # the yes did move it, by a hair
    assert not stored.evidence_moved(kept, due.load_evidence(), get_pacing())
    assert page == due.compute_asks_page(later, 500, evidence=kept)


def test_many_yeses_to_one_step_re_score_every_lead(book: int, now: dt.datetime) -> None:
    gen = _generation()
    later = now + dt.timedelta(minutes=5)
    ids = [r[0] for r in stored._sql("SELECT id FROM lead ORDER BY id LIMIT 300")]
    for lead in ids:
        ask = record_ask(lead, "booked", at=later, now=later)
        set_outcome(ask, "accepted", at=later, now=later)
    due.todays_asks_page(later, 500)
    assert _generation() == gen + 1
    assert _rewritten(later) == book
    _gen, _setup, text, _stale = stored.book_row()
    assert text is not None
    assert stored.evidence_from_json(text) == due.load_evidence()
    assert stored.evidence_time(text) == to_us(later)


def test_a_day_old_evidence_is_replaced(book: int, now: dt.datetime) -> None:
    later = now + dt.timedelta(minutes=5)
    record_commitment(_lead_without_yes_today(now), "answered", at=later, now=later)
    due.todays_asks_page(later, 500)
    gen = _generation()
    a_day_on = now + dt.timedelta(days=1)
    due.todays_asks_page(a_day_on, 500)
    assert _generation() == gen + 1  # the hair it kept out is in now
    assert _rewritten(a_day_on) == book
    _gen, _setup, text, _stale = stored.book_row()
    assert text is not None
    assert stored.evidence_from_json(text) == due.load_evidence()
    assert stored.evidence_time(text) == to_us(a_day_on)


def test_a_day_old_evidence_that_did_not_change_is_stamped_again(
    book: int, now: dt.datetime
) -> None:
    gen = _generation()
    a_day_on = now + dt.timedelta(days=1, minutes=1)
    due.todays_asks_page(a_day_on, 500)
    assert _generation() == gen
    _gen, _setup, text, _stale = stored.book_row()
    assert text is not None and stored.evidence_time(text) == to_us(a_day_on)


_BASE = Evidence(
    rates={(1, "downloaded"): (40, 200), (2, "answered"): (3, 10)},
    median_days={1: 10.0, 2: 40.0},
    offer_steps={1: frozenset({"downloaded"})},
    newest_email=1_000_000_000,
)


@pytest.mark.parametrize(
    ("change", "moved"),
    [
        ({"rates": {(1, "downloaded"): (42, 200), (2, "answered"): (3, 10)}}, False),
        ({"rates": {(1, "downloaded"): (43, 200), (2, "answered"): (3, 10)}}, True),
        ({"rates": {(1, "downloaded"): (40, 200), (2, "answered"): (4, 11)}}, True),
        ({"rates": {**_BASE.rates, (3, "booked"): (4, 4)}}, False),
        ({"rates": {**_BASE.rates, (3, "booked"): (5, 5)}}, True),
        ({"rates": {(1, "downloaded"): (40, 200)}}, True),
        ({"median_days": {1: 10.5, 2: 42.0}}, False),
        ({"median_days": {1: 10.6, 2: 40.0}}, True),
        ({"median_days": {1: 10.0, 2: 42.1}}, True),
        ({"median_days": {1: 10.0}}, True),
        ({"offer_steps": {1: frozenset({"downloaded", "answered"})}}, True),
        ({"newest_email": 1_000_000_000 + stored.DAY_US}, False),
        ({"newest_email": 1_000_000_001 + stored.DAY_US}, True),
        ({"newest_email": None}, True),
    ],
)
def test_the_tolerances(change: dict, moved: bool) -> None:
    fresh = dataclasses.replace(_BASE, **change)
    assert stored.evidence_moved(_BASE, fresh, Pacing()) is moved


def test_evidence_expires_after_a_day_or_read_from_before_it() -> None:
    assert not stored.evidence_expired(0, stored.DAY_US - 1)
    assert stored.evidence_expired(0, stored.DAY_US)
    assert stored.evidence_expired(10, 9)
    assert stored.evidence_expired(None, 0)
