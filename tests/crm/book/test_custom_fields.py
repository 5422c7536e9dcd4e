"""Custom fields: their names across the book, their values as text, and editing them."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.book.custom_fields import custom_field_names, field_text, field_value
from crm.book.leads import add_lead, get_lead, update_custom
from crm.changes import collecting
from crm.errors import NotFoundError, ValidationError
from crm.safety.forget import forget_lead


def test_names_are_every_field_the_book_uses_once_whatever_the_case(db, now) -> None:
    add_lead("a@example.com", custom={"plan": "pro", "ZIP": "75001"}, now=now)
    add_lead("b@example.com", custom={"plan": "free", "UNSUB_REASON": "Too many"}, now=now)
    add_lead("c@example.com", custom={"Plan": "team"}, now=now)
    add_lead("d@example.com", now=now)
    # "plan" is the spelling two leads use; one name per field, alphabetically
    assert custom_field_names() == ["plan", "UNSUB_REASON", "ZIP"]


def test_a_forgotten_persons_fields_are_not_named(db, now) -> None:
    lead = add_lead("gone@example.com", custom={"secret field": "x"}, now=now)
    forget_lead(lead.id, now=now)
    assert custom_field_names() == []


def test_values_read_as_text_in_any_case() -> None:
    custom = {"ZIP": "75001", "score": 12, "flags": ["a", "b"]}
    assert field_value(custom, "zip") == "75001"
    assert field_value(custom, "score") == "12"
    assert field_value(custom, "flags") == '["a", "b"]'
    assert field_value(custom, "plan") == ""
    assert field_text(None) == ""


def test_update_sets_changes_and_removes_fields(db, now) -> None:
    lead = add_lead("a@example.com", custom={"ZIP": "75001", "plan": "free"}, now=now)
    later = now + dt.timedelta(hours=1)
    with collecting() as got:
        row = update_custom(lead.id, {"zip": " 10115 ", "plan": "", "tier": "gold"}, now=later)
    # the field keeps the name it had; a blank value removes the field
    assert row.custom == {"ZIP": "10115", "tier": "gold"}
    assert get_lead(lead.id).custom == {"ZIP": "10115", "tier": "gold"}
    assert row.updated_at == later
    assert got.change.touches("lead") and got.change.leads == frozenset({lead.id})


def test_update_refuses_a_field_without_a_name_and_a_missing_lead(db, now) -> None:
    lead = add_lead("a@example.com", custom={"plan": "free"}, now=now)
    with pytest.raises(ValidationError, match="A field needs a name"):
        update_custom(lead.id, {"  ": "x"}, now=now)
    with pytest.raises(ValidationError, match="at most 80 characters"):
        update_custom(lead.id, {"x" * 81: "x"}, now=now)
    assert get_lead(lead.id).custom == {"plan": "free"}
    with pytest.raises(NotFoundError):
        update_custom(lead.id + 99, {"plan": "pro"}, now=now)
