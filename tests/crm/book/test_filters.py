"""Each filter of the lead book, its SQL, and segments saved from them."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.asking.asks import record_ask
from crm.book.filters import LeadFilter, check_filter, parse_field
from crm.book.leads import FieldFilter, add_lead, count_leads, list_leads, tag_lead
from crm.book.segments import delete_segment, get_segment, list_segments, save_segment
from crm.book.timeline import record_commitment
from crm.errors import DuplicateError, NotFoundError, ValidationError
from crm.store.models import database_proxy


@pytest.fixture
def book(db, now):
    """Five leads with known tags, steps, asks, fields and engagement."""
    ids = {}
    for email, status, custom in (
        ("ada@example.com", "subscribed", {"plan": "pro", "score": "12"}),
        ("bo@example.com", "subscribed", {"plan": "free", "score": "3"}),
        ("cy@example.com", "unsubscribed", {"plan": "Pro plus"}),
        ("di@example.com", "subscribed", {}),
        ("ed@example.com", "none", {"plan": ""}),
    ):
        ids[email[:2]] = add_lead(email, status=status, custom=custom, now=now).id
    for who, tags in (("ad", ["vip", "coach"]), ("bo", ["coach"]), ("cy", ["vip"])):
        for tag in tags:
            tag_lead(ids[who], [tag])
    day = dt.timedelta(days=1)
    record_commitment(ids["ad"], "downloaded", at=now - 40 * day, now=now)
    record_commitment(ids["bo"], "subscribed", at=now - 5 * day, now=now)
    record_commitment(ids["cy"], "booked", at=now - 100 * day, now=now)
    record_ask(ids["ad"], "answered", at=now - 30 * day, now=now)
    record_ask(ids["bo"], "downloaded", at=now - 2 * day, now=now)
    database_proxy.execute_sql(
        "INSERT INTO activity_event (lead_id, key, action, at) VALUES (?, 1, 'opened', ?)",
        [ids["di"], now - 3 * day],
    )
    return ids


def emails(flt: LeadFilter, now: dt.datetime) -> set[str]:
    query = flt.query(now=now)
    found = {lead.email[:2] for lead in list_leads(query)}
    assert count_leads(query) == len(found)
    return found


@pytest.mark.parametrize(
    ("flt", "want"),
    [
        (LeadFilter(tags_all=("vip", "coach")), {"ad"}),
        (LeadFilter(tags_any=("vip", "coach")), {"ad", "bo", "cy"}),
        (LeadFilter(tags_none=("vip",)), {"bo", "di", "ed"}),
        (LeadFilter(min_step="downloaded"), {"ad", "cy"}),
        (LeadFilter(max_step="subscribed"), {"bo", "di", "ed"}),
        (LeadFilter(min_step="subscribed", max_step="downloaded"), {"ad", "bo"}),
        (LeadFilter(never_asked=True), {"cy", "di", "ed"}),
        (LeadFilter(engaged_within=7), {"di"}),
        (LeadFilter(engaged_within=1), set()),
        (LeadFilter(status="subscribed", tags_any=("coach",)), {"ad", "bo"}),
        (LeadFilter(fields=(FieldFilter("plan", "equals", "PRO"),)), {"ad"}),
        (LeadFilter(fields=(FieldFilter("plan", "contains", "pro"),)), {"ad", "cy"}),
        (LeadFilter(fields=(FieldFilter("plan", "empty"),)), {"di", "ed"}),
        (LeadFilter(fields=(FieldFilter("score", "above", "10"),)), {"ad"}),
        (LeadFilter(fields=(FieldFilter("score", "below", "10"),)), {"bo"}),
    ],
)
def test_each_filter_selects_its_leads(book, now, flt, want) -> None:
    assert emails(flt, now) == want


def test_the_dates_of_the_last_yes_and_the_last_ask(book, now) -> None:
    ten_days = now - dt.timedelta(days=10)
    assert emails(LeadFilter(yes_after=ten_days), now) == {"bo"}
    assert emails(LeadFilter(yes_before=ten_days), now) == {"ad", "cy"}
    assert emails(LeadFilter(asked_before=ten_days), now) == {"ad", "cy", "di", "ed"}


def test_field_conditions_as_typed() -> None:
    assert parse_field("plan=pro") == FieldFilter("plan", "equals", "pro")
    assert parse_field("plan~pro") == FieldFilter("plan", "contains", "pro")
    assert parse_field("zip=") == FieldFilter("zip", "empty", "")
    assert parse_field("score>10") == FieldFilter("score", "above", "10")
    with pytest.raises(ValidationError, match="not a number"):
        parse_field("score>ten")
    with pytest.raises(ValidationError, match="not a field condition"):
        parse_field("plan")


def test_a_segment_saves_counts_and_survives_what_it_names_going_away(book, now) -> None:
    flt = LeadFilter(tags_all=("vip",), min_step="downloaded")
    seg = save_segment("Warm VIPs", flt, now=now)
    assert seg.count() == 2 and seg.problems == []
    assert get_segment("warm vips").filter == flt
    with pytest.raises(DuplicateError):
        save_segment("WARM VIPS", LeadFilter(), now=now)
    # the tag goes from every lead: the segment still opens and says what no longer matches
    database_proxy.execute_sql("DELETE FROM lead_tag")
    database_proxy.execute_sql("DELETE FROM tag")
    assert get_segment("Warm VIPs").problems == ["no lead has the tag 'vip' any more"]
    assert get_segment("Warm VIPs").count() == 0
    assert [s.name for s in list_segments()] == ["Warm VIPs"]
    delete_segment("warm vips")
    with pytest.raises(NotFoundError):
        get_segment("Warm VIPs")


def test_a_step_gone_from_the_ladder_matches_nobody_and_says_so(book, now) -> None:
    seg = save_segment("Bookers", LeadFilter(min_step="booked"), now=now)
    database_proxy.execute_sql(
        'UPDATE segment SET filter = \'{"min_step": "webinar"}\' WHERE id = ?', [seg.id]
    )
    again = get_segment("Bookers")
    assert again.count() == 0
    assert again.problems == ["the step 'webinar' is no longer on the ladder"]
    with pytest.raises(ValidationError, match="no step 'webinar'"):
        check_filter(again.filter)


def test_a_filter_round_trips_through_json(now) -> None:
    flt = LeadFilter(
        status="subscribed",
        tags_any=("a", "b"),
        yes_after=dt.datetime(2026, 1, 2, 3, 4, 5),
        engaged_within=30,
        fields=(FieldFilter("plan", "contains", "pro"),),
    )
    assert LeadFilter.from_json(flt.to_json()) == flt
    assert LeadFilter.from_json({"unknown_part": 1}) == LeadFilter()


def test_the_words_give_the_dates_as_the_owner_typed_them(db, monkeypatch) -> None:
    import time

    from crm.timefmt import parse_user_datetime

    # East of UTC a typed day starts the evening before in UTC: the words keep the day.
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    try:
        flt = LeadFilter(
            yes_after=parse_user_datetime("2026-05-01"),
            asked_before=parse_user_datetime("2026-06-01"),
        )
        words = flt.describe()
    finally:
        monkeypatch.undo()
        time.tzset()
    assert words == "last yes after 2026-05-01 · not asked since 2026-06-01"
