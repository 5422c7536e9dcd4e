"""Campaigns: one pending ask per eligible lead, recorded with its audience file in one go,
answered by later imports, counted per campaign, and undone without losing an answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from crm.asking.asks import list_asks, set_outcome
from crm.asking.campaigns import (
    create_campaign,
    get_campaign,
    list_campaigns,
    mark_asked,
    undo_campaign,
)
from crm.asking.eligibility import plan_campaign
from crm.book.filters import LeadFilter
from crm.book.leads import add_lead, set_status
from crm.book.offers import add_offer
from crm.book.timeline import record_commitment
from crm.errors import NotFoundError, SmallyesError, ValidationError
from crm.importing.activity.links import add_offer_link
from crm.importing.engine import import_csv
from crm.store.models import database_proxy

DAY = dt.timedelta(days=1)
EVERYONE = LeadFilter()


@pytest.fixture
def book(db, now: dt.datetime) -> dict[str, int]:
    """Six subscribers, one unsubscribed; the Pricing guide with its link."""
    ids = {}
    for name in ("ada", "bo", "cy", "dee", "eli", "fay", "gus"):
        lead = add_lead(
            f"{name}@example.com", first_name=name.title(), status="subscribed", now=now - 100 * DAY
        )
        record_commitment(lead.id, "subscribed", at=now - 100 * DAY, now=now)
        ids[name] = lead.id
    set_status(ids["gus"], "unsubscribed", now=now)
    add_offer("Pricing guide", now=now)
    add_offer_link("Pricing guide", "example.com/pricing", now=now)
    return ids


def _count(sql: str, params: list | tuple = ()) -> int:
    return int(database_proxy.execute_sql(sql, params).fetchone()[0])


def _cache_is_right() -> bool:
    """Every lead's cached last ask is the newest of its asks."""
    return not _count(
        "SELECT count(*) FROM lead l WHERE l.last_ask_at IS NOT "
        "(SELECT max(asked_at) FROM ask WHERE lead_id = l.id)"
    )


def test_a_campaign_asks_exactly_whom_the_plan_found(book, now, tmp_path: Path) -> None:
    plan = plan_campaign("downloaded", "Pricing guide", EVERYONE, now=now)
    made = create_campaign(
        "downloaded",
        "Pricing guide",
        EVERYONE,
        platform="kit",
        target=tmp_path / "kit.csv",
        now=now,
    )
    assert made.asked == plan.eligible == 6
    assert made.plan.held_back == plan.held_back
    asks = list_asks(outcome="pending")
    assert len(asks) == 6 and {a.offer for a in asks} == {"Pricing guide"}
    assert book["gus"] not in {a.lead_id for a in asks}
    assert _cache_is_right()
    # asked now: nobody is eligible again at once, each held back by the ask just made
    again = plan_campaign("downloaded", "Pricing guide", EVERYONE, now=now)
    assert again.eligible == 0 and again.held_back["pending_ask"] == 6
    listed = get_campaign(made.campaign, now)
    assert (listed.asked, listed.pending, listed.platform, listed.tag) == (6, 6, "kit", made.tag)
    assert listed.file_name == "kit.csv" and listed.audience == "every lead"


def test_campaign_numbers_follow_the_answers(book, now, tmp_path: Path) -> None:
    asked_at = now - 10 * DAY
    made = create_campaign(
        "downloaded",
        "Pricing guide",
        EVERYONE,
        platform="generic",
        target=tmp_path / "a.csv",
        now=asked_at,
    )
    # a later activity import: Ada and Bo clicked the guide's link, 1 and 3 days after
    clicks = tmp_path / "clicks.csv"
    clicks.write_text(
        "email,timestamp,url,campaign\n"
        f"ada@example.com,{asked_at + DAY:%Y-%m-%d %H:%M:%S},https://example.com/pricing,June\n"
        f"bo@example.com,{asked_at + 3 * DAY:%Y-%m-%d %H:%M:%S},https://example.com/pricing,June\n",
        encoding="utf-8",
    )
    import_csv(clicks, now=now)
    by_lead = {a.lead_id: a.id for a in list_asks()}
    set_outcome(by_lead[book["cy"]], "declined", at=asked_at + 2 * DAY, now=now)
    set_outcome(by_lead[book["dee"]], "no_response", at=asked_at + 8 * DAY, now=now)
    row = get_campaign(made.campaign, now)
    # eli and fay: still pending, but past the 7-day follow-up: no answer, as the engine says
    assert (row.asked, row.accepted, row.declined, row.no_response, row.pending) == (6, 2, 1, 3, 0)
    assert row.conversion == pytest.approx(2 / 6)
    assert row.median_days_to_yes == pytest.approx(2.0)
    assert get_campaign(made.campaign, now - 8 * DAY).pending == 2


def test_undo_removes_the_pending_asks_and_keeps_the_answered(book, now, tmp_path) -> None:
    made = create_campaign(
        "downloaded",
        "Pricing guide",
        EVERYONE,
        platform="mailchimp",
        target=tmp_path / "m.csv",
        now=now - 2 * DAY,
    )
    by_lead = {a.lead_id: a.id for a in list_asks()}
    set_outcome(by_lead[book["ada"]], "accepted", at=now - DAY, now=now)
    set_outcome(by_lead[book["bo"]], "declined", at=now - DAY, now=now)
    done = undo_campaign(made.campaign, now=now)
    assert (done.removed, done.kept) == (4, 2)
    assert "2 answered since stay" in done.words
    left = list_asks()
    assert {(a.lead_id, a.outcome) for a in left} == {
        (book["ada"], "accepted"),
        (book["bo"], "declined"),
    }
    assert _cache_is_right()
    row = get_campaign(made.campaign, now)
    assert row.undone_at == now and (row.removed, row.kept, row.pending) == (4, 2, 0)
    # Ada's yes is still on her timeline
    assert _count("SELECT count(*) FROM commitment WHERE ask_id = ?", [by_lead[book["ada"]]]) == 1
    # the leads undone are eligible again (Ada took the offer, Bo said not now)
    plan = plan_campaign("downloaded", "Pricing guide", EVERYONE, now=now)
    assert plan.eligible == 4
    with pytest.raises(ValidationError, match="undone already"):
        undo_campaign(made.campaign, now=now)
    with pytest.raises(NotFoundError, match="no campaign number 99"):
        undo_campaign(99, now=now)


def test_nobody_eligible_records_nothing_and_writes_no_file(book, now, tmp_path) -> None:
    target = tmp_path / "none.csv"
    with pytest.raises(ValidationError, match="nothing was recorded"):
        create_campaign(
            "downloaded",
            None,
            LeadFilter(status="unsubscribed"),
            platform="brevo",
            target=target,
            now=now,
        )
    assert not target.exists()
    assert _count("SELECT count(*) FROM campaign") == _count("SELECT count(*) FROM ask") == 0


def test_a_file_that_cannot_be_written_leaves_no_asks(book, now, tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(SmallyesError):
        create_campaign(
            "downloaded", None, EVERYONE, platform="generic", target=blocker / "a.csv", now=now
        )
    assert _count("SELECT count(*) FROM campaign") == _count("SELECT count(*) FROM ask") == 0
    assert _cache_is_right()


def test_campaigns_are_listed_newest_first(book, now, tmp_path) -> None:
    first = create_campaign(
        "downloaded",
        None,
        [book["ada"], book["bo"]],
        platform="kit",
        target=tmp_path / "1.csv",
        now=now - 20 * DAY,
    )
    second = create_campaign(
        "downloaded", None, EVERYONE, platform="kit", target=tmp_path / "2.csv", now=now
    )
    rows = list_campaigns(now)
    assert [r.id for r in rows] == [second.campaign, first.campaign]
    # Ada and Bo's asks of 20 days ago went unanswered past the follow-up: asked again
    assert [r.asked for r in rows] == [6, 2]
    assert rows[1].audience == "2 chosen leads"
    assert rows[0].held_back == {"suppressed": 1}
    assert rows[0].to_json()["id"] == second.campaign


def test_mark_asked_records_a_batch_under_the_same_guardrails(book, now) -> None:
    done = mark_asked(EVERYONE, "downloaded", None, now)
    assert (done.matched, done.changed) == (7, 6)
    assert done.held_back["suppressed"] == 1 and done.batch is not None
    assert _count("SELECT count(*) FROM ask WHERE campaign_id = ?", [done.batch]) == 6
    # nobody left: nothing recorded, no batch
    again = mark_asked(EVERYONE, "downloaded", None, now)
    assert (again.changed, again.batch) == (0, None)
    assert again.held_back["pending_ask"] == 6
    assert _count("SELECT count(*) FROM campaign") == 1
    # an unsubscribed lead is never marked asked, whatever the filter
    assert mark_asked(LeadFilter(status="unsubscribed"), "downloaded", None, now).changed == 0
    undone = undo_campaign(done.batch, now=now)
    assert undone.removed == 6 and _count("SELECT count(*) FROM ask") == 0
    assert _cache_is_right()
