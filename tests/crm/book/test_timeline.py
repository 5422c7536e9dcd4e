"""Recording yeses, the cached columns they move, and reading a timeline back."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.asking.asks import record_ask, set_outcome
from crm.book.leads import LeadStatus, add_lead, get_lead, set_status
from crm.book.offers import list_offers
from crm.book.timeline import add_note, delete_commitment, get_timeline, record_commitment
from crm.errors import ValidationError

DAY = dt.timedelta(days=1)


def test_logging_a_yes_moves_level_and_last_yes(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "downloaded", at=now - 3 * DAY, now=now, offer="SEO checklist")
    record_commitment(lead.id, "subscribed", at=now - 10 * DAY, now=now)
    row = get_lead(lead.id)
    assert row.level == 3 and row.step == "downloaded"
    assert row.last_commitment_at == now - 3 * DAY
    assert [o.name for o in list_offers()] == ["SEO checklist"]


def test_subscribed_yes_moves_none_and_pending_but_not_a_suppressed_status(db, now) -> None:
    fresh = add_lead("a@example.com", now=now)
    record_commitment(fresh.id, "subscribed", at=now, now=now)
    assert get_lead(fresh.id).status == LeadStatus.SUBSCRIBED

    gone = add_lead("b@example.com", now=now)
    set_status(gone.id, "unsubscribed", now=now)
    record_commitment(gone.id, "subscribed", at=now, now=now)
    assert get_lead(gone.id).status == LeadStatus.UNSUBSCRIBED


def test_unknown_step_lists_the_valid_ones(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    with pytest.raises(ValidationError) as info:
        record_commitment(lead.id, "teleported", at=now, now=now)
    assert "subscribed" in info.value.user_message
    assert get_timeline(lead.id) == []


def test_a_yes_cannot_be_in_the_future(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    with pytest.raises(ValidationError):
        record_commitment(lead.id, "subscribed", at=now + 5 * DAY, now=now)


def test_timeline_is_newest_first_and_holds_every_kind(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "subscribed", at=now - 20 * DAY, now=now)
    ask = record_ask(lead.id, "downloaded", at=now - 10 * DAY, now=now, offer="Guide")
    set_outcome(ask, "accepted", at=now - 9 * DAY, now=now)
    add_note(lead.id, "Met at the workshop", at=now - 5 * DAY)
    set_status(lead.id, "bounced", now=now)
    items = get_timeline(lead.id)
    assert [i.kind for i in items] == [
        "status",
        "note",
        "commitment",
        "ask",
        "status",
        "commitment",
    ]
    ats = [i.at for i in items]
    assert ats == sorted(ats, reverse=True)
    accepted = items[2]
    assert accepted.step == "downloaded" and accepted.offer == "Guide"
    assert items[3].outcome == "accepted"


def test_deleting_a_yes_recomputes_the_cached_level(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "subscribed", at=now - 2 * DAY, now=now)
    wrong = record_commitment(lead.id, "purchased", at=now - DAY, now=now)
    assert get_lead(lead.id).level == 7
    delete_commitment(wrong)
    row = get_lead(lead.id)
    assert row.level == 2 and row.last_commitment_at == now - 2 * DAY


def test_empty_note_is_refused(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    with pytest.raises(ValidationError):
        add_note(lead.id, "   ", at=now)
