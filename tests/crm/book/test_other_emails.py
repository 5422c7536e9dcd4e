"""A lead's other addresses by hand: one person's each, never two leads'."""

from __future__ import annotations

import pytest

from crm.book.leads import add_lead, delete_lead, find_lead, get_lead, restore_deleted, update_lead
from crm.book.other_emails import add_other_email, remove_other_email
from crm.book.timeline import record_commitment
from crm.errors import DuplicateError, NotFoundError, ValidationError


def test_add_and_remove_an_other_address(db, now) -> None:
    ada = add_lead("ada@example.com", now=now)
    assert add_other_email(ada.id, "  Ada@Work.example ", now=now) == "Ada@Work.example"
    add_other_email(ada.id, "ada@work.example", now=now)  # the same one again: nothing new
    assert get_lead(ada.id).other_emails == ("Ada@Work.example",)
    assert find_lead("ADA@work.example").id == ada.id
    remove_other_email(ada.id, "ada@WORK.example", now=now)
    assert get_lead(ada.id).other_emails == ()
    with pytest.raises(NotFoundError, match="not one of this lead's other addresses"):
        remove_other_email(ada.id, "ada@work.example", now=now)


def test_an_address_is_one_persons(db, now) -> None:
    ada = add_lead("ada@example.com", now=now)
    ben = add_lead("ben@example.com", now=now)
    add_other_email(ada.id, "ada@work.example", now=now)
    with pytest.raises(ValidationError, match="own email already"):
        add_other_email(ada.id, "ADA@example.com", now=now)
    with pytest.raises(DuplicateError, match="email of another lead"):
        add_other_email(ada.id, "ben@example.com", now=now)
    with pytest.raises(DuplicateError, match=r"already an address of the lead ada@example\.com"):
        add_other_email(ben.id, "ada@work.example", now=now)
    with pytest.raises(ValidationError):
        add_other_email(ben.id, "not an address", now=now)
    # Nor can a lead be added, or renamed, to someone's other address.
    with pytest.raises(DuplicateError, match="another address of an existing lead"):
        add_lead("Ada@Work.example", now=now)
    with pytest.raises(DuplicateError, match="another address of an existing lead"):
        update_lead(ben.id, email="ada@work.example", now=now)
    with pytest.raises(DuplicateError, match="one of this lead's other addresses"):
        update_lead(ada.id, email="ada@work.example", now=now)
    assert get_lead(ben.id).other_emails == () and get_lead(ben.id).email == "ben@example.com"
    assert get_lead(ada.id).other_emails == ("ada@work.example",)


def test_a_deleted_lead_comes_back_with_its_other_addresses(db, now) -> None:
    ada = add_lead("ada@example.com", now=now)
    add_other_email(ada.id, "ada@work.example", now=now)
    record_commitment(ada.id, "subscribed", at=now, now=now)
    deleted = delete_lead(ada.id)
    with pytest.raises(NotFoundError):
        find_lead("ada@work.example")  # gone with the lead
    assert restore_deleted(deleted).other_emails == ("ada@work.example",)


def test_a_deleted_lead_whose_other_address_was_given_away_stays_deleted(db, now) -> None:
    ada = add_lead("ada@example.com", now=now)
    add_other_email(ada.id, "ada@work.example", now=now)
    deleted = delete_lead(ada.id)
    add_lead("ada@work.example", now=now)
    with pytest.raises(DuplicateError, match=r"'ada@work\.example' of the deleted lead"):
        restore_deleted(deleted)
    with pytest.raises(NotFoundError):
        find_lead("ada@example.com")


def test_a_forgotten_lead_takes_no_other_address(db, now) -> None:
    from crm.safety.forget import forget_lead

    ada = add_lead("ada@example.com", now=now)
    forget_lead(ada.id, now=now)
    with pytest.raises(ValidationError, match="forgotten"):
        add_other_email(ada.id, "ada@work.example", now=now)
