"""The lead book: adding, finding, listing, filtering, tagging, status and delete/undo."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.book.leads import (
    LeadQuery,
    LeadStatus,
    SortKey,
    add_lead,
    all_sources,
    all_tags,
    count_leads,
    delete_lead,
    find_lead,
    get_lead,
    list_leads,
    restore_deleted,
    set_do_not_contact,
    set_status,
    tag_lead,
    untag_lead,
    update_lead,
)
from crm.book.timeline import get_timeline, record_commitment
from crm.errors import DuplicateError, NotFoundError, ValidationError


def test_add_lead_stores_trimmed_fields_and_starts_as_none(db, now) -> None:
    lead = add_lead(
        "  Ada.Lovelace@Example.com ",
        first_name=" Ada ",
        last_name="Lovelace",
        company="Engines Ltd",
        tags=["vip", "Engines"],
        now=now,
    )
    assert lead.email == "Ada.Lovelace@Example.com"
    assert lead.first_name == "Ada"
    assert lead.status == LeadStatus.NONE
    assert lead.tags == ("Engines", "vip")
    assert lead.level == 0 and lead.step is None
    assert lead.source == "manual"
    assert find_lead("ada.lovelace@EXAMPLE.com").id == lead.id


def test_same_email_in_another_case_is_refused(db, now) -> None:
    add_lead("ada@example.com", first_name="Ada", now=now)
    with pytest.raises(DuplicateError) as info:
        add_lead("ADA@Example.COM", first_name="Other", now=now)
    assert "already exists" in info.value.user_message
    assert [lead.first_name for lead in list_leads()] == ["Ada"]


def test_invalid_email_is_refused_and_nothing_is_stored(db, now) -> None:
    with pytest.raises(ValidationError):
        add_lead("not-an-email", now=now)
    assert count_leads() == 0


def test_unknown_lead_is_a_clear_error(db) -> None:
    with pytest.raises(NotFoundError) as info:
        find_lead("nobody@example.com")
    assert "nobody@example.com" in info.value.user_message


def _three(now: dt.datetime) -> None:
    add_lead(
        "grace@example.org",
        first_name="Grace",
        last_name="Hopper",
        company="Navy",
        tags=["vip"],
        now=now,
    )
    add_lead(
        "ada@example.com",
        first_name="Ada",
        last_name="Lovelace",
        company="Engines",
        now=now + dt.timedelta(minutes=1),
    )
    add_lead(
        "zoe@example.net",
        first_name="Zoë",
        last_name="Ørsted",
        company="Nørgaard & Co",
        now=now + dt.timedelta(minutes=2),
    )


def test_search_matches_name_email_and_company_case_insensitively(db, now) -> None:
    _three(now)

    def emails(q: str) -> list[str]:
        return [lead.email for lead in list_leads(LeadQuery(search=q))]

    assert emails("hopp") == ["grace@example.org"]
    assert emails("ENGINES") == ["ada@example.com"]
    assert emails("example.net") == ["zoe@example.net"]
    assert emails("ØRSTED") == ["zoe@example.net"]
    assert emails("grace hopper") == ["grace@example.org"]
    assert emails("100%") == []
    assert count_leads(LeadQuery(search="example")) == 3


def test_filters_by_status_tag_step_and_source(db, now) -> None:
    _three(now)
    ada = find_lead("ada@example.com")
    record_commitment(ada.id, "subscribed", at=now, now=now)
    record_commitment(ada.id, "downloaded", at=now, now=now, offer="Pricing guide")
    assert [r.email for r in list_leads(LeadQuery(status="subscribed"))] == ["ada@example.com"]
    assert [r.email for r in list_leads(LeadQuery(tag="VIP"))] == ["grace@example.org"]
    assert [r.email for r in list_leads(LeadQuery(step="downloaded"))] == ["ada@example.com"]
    assert [r.email for r in list_leads(LeadQuery(min_level=2))] == ["ada@example.com"]
    assert [r.email for r in list_leads(LeadQuery(offer="pricing GUIDE"))] == ["ada@example.com"]
    assert count_leads(LeadQuery(source="manual")) == 3
    assert all_sources() == ["manual"]
    with pytest.raises(ValidationError):
        list_leads(LeadQuery(status="asleep"))


def test_sorting_and_paging(db, now) -> None:
    _three(now)
    by_name = [r.last_name for r in list_leads(LeadQuery(sort=SortKey.NAME))]
    assert by_name == ["Hopper", "Lovelace", "Ørsted"]
    newest = [r.email for r in list_leads(LeadQuery(sort=SortKey.CREATED, descending=True))]
    assert newest[0] == "zoe@example.net"
    page = list_leads(LeadQuery(sort=SortKey.EMAIL), offset=1, limit=1)
    assert [r.email for r in page] == ["grace@example.org"]


def test_update_lead_changes_fields_and_refuses_a_taken_email(db, now) -> None:
    _three(now)
    ada = find_lead("ada@example.com")
    updated = update_lead(
        ada.id, company="Analytical Engines", phone="+44 20 1234", now=now + dt.timedelta(hours=1)
    )
    assert updated.company == "Analytical Engines"
    assert updated.updated_at > ada.updated_at
    assert [r.email for r in list_leads(LeadQuery(search="analytical"))] == ["ada@example.com"]
    with pytest.raises(DuplicateError):
        update_lead(ada.id, email="GRACE@example.org", now=now)
    with pytest.raises(ValidationError):
        update_lead(ada.id, email="broken", now=now)
    assert get_lead(ada.id).email == "ada@example.com"


def test_tags_are_added_once_and_removed(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    tag_lead(lead.id, ["vip", "VIP", "  spring   launch "])
    assert get_lead(lead.id).tags == ("spring launch", "vip")
    untag_lead(lead.id, ["Vip"])
    assert get_lead(lead.id).tags == ("spring launch",)
    assert all_tags() == ["spring launch"]
    with pytest.raises(ValidationError):
        tag_lead(lead.id, ["   "])


def test_status_change_goes_on_the_timeline(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    set_status(lead.id, "unsubscribed", now=now)
    items = get_timeline(lead.id)
    assert [i.kind for i in items] == ["status"]
    assert "Unsubscribed" in items[0].summary
    set_do_not_contact(lead.id, True, now=now)
    assert get_lead(lead.id).do_not_contact
    assert get_lead(lead.id).suppressed


def test_delete_and_undo_bring_back_the_lead_with_its_timeline(db, now) -> None:
    lead = add_lead("ada@example.com", first_name="Ada", tags=["vip"], now=now)
    record_commitment(lead.id, "subscribed", at=now, now=now)
    record_commitment(lead.id, "downloaded", at=now, now=now, offer="Guide", note="liked it")
    before = get_timeline(lead.id)
    deleted = delete_lead(lead.id)
    assert count_leads() == 0
    with pytest.raises(NotFoundError):
        get_lead(lead.id)
    restored = restore_deleted(deleted)
    assert restored == get_lead(lead.id)
    assert restored.id == lead.id
    assert restored.tags == ("vip",)
    assert restored.level == 3
    assert get_timeline(lead.id) == before


def test_undo_after_its_ids_were_given_again_brings_the_lead_back_under_new_ones(db, now) -> None:
    """SQLite hands the highest id out again once its row is gone: a lead, an ask and a yes
    added after the delete take the deleted ones' ids, and the undo must not fail or touch
    them."""
    from crm.asking.asks import record_ask

    ada = add_lead("ada@example.com", first_name="Ada", tags=["vip"], now=now)
    asked = record_ask(ada.id, "downloaded", at=now, now=now, offer="Guide")
    record_commitment(ada.id, "downloaded", at=now, now=now, offer="Guide", ask_id=asked)
    before = [(i.kind, i.summary) for i in get_timeline(ada.id)]
    deleted = delete_lead(ada.id)
    bob = add_lead("bob@example.com", first_name="Bob", now=now)
    assert bob.id == ada.id  # the id came back
    bob_ask = record_ask(bob.id, "downloaded", at=now, now=now)
    record_commitment(bob.id, "subscribed", at=now, now=now)
    assert bob_ask == asked
    bob_timeline = get_timeline(bob.id)

    restored = restore_deleted(deleted)

    assert restored.id != bob.id and restored.email == "ada@example.com"
    assert restored.tags == ("vip",)
    assert [(i.kind, i.summary) for i in get_timeline(restored.id)] == before
    assert get_timeline(bob.id) == bob_timeline
    # the restored yes still answers the restored ask, not Bob's
    row = db.execute_sql(
        "SELECT c.ask_id, a.lead_id FROM commitment c JOIN ask a ON a.id = c.ask_id "
        "WHERE c.lead_id = ?",
        [restored.id],
    ).fetchone()
    assert row[1] == restored.id and row[0] != bob_ask


def test_tagging_a_lead_deleted_meanwhile_says_so(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    delete_lead(lead.id)
    with pytest.raises(NotFoundError, match="no longer exists"):
        tag_lead(lead.id, ["vip"])


def test_undo_is_refused_when_the_email_was_taken_again(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    deleted = delete_lead(lead.id)
    add_lead("Ada@example.com", now=now)
    with pytest.raises(DuplicateError):
        restore_deleted(deleted)
    assert count_leads() == 1
