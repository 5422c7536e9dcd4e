"""Clicks: an offer's link is a yes on the offer, housekeeping links are no yes, any
other link is the 'clicked' yes; opens are engagement, never a rung."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.book.leads import LeadStatus, find_lead
from crm.book.offers import add_offer
from crm.book.timeline import get_timeline
from crm.importing.activity.apply import Effect, Mapped, map_row
from crm.importing.activity.links import (
    Links,
    LinkTarget,
    add_offer_link,
    is_ignored_link,
    normalise_link,
    offer_links,
    remove_offer_link,
)
from crm.importing.activity.rows import Action, ActivityRow
from crm.importing.activity.store import engagement
from crm.store.models import database_proxy
from tests.crm.importing.activity.apply_helpers import (
    activity_csv,
    run_activity,
    subscriber,
    use_simple_reader,
)


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def _yeses(email: str) -> list[tuple[str | None, str | None, str]]:
    items = get_timeline(find_lead(email).id)
    return sorted((i.step, i.offer, i.source) for i in items if i.kind == "commitment")


def test_a_click_on_an_offer_link_is_a_yes_on_the_offer_at_its_step(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    add_offer("Pricing checklist", now=now, topics="pricing")
    add_offer_link("Pricing checklist", "https://www.Example.com/guides/pricing", now=now)
    path = activity_csv(
        tmp_path,
        [
            ["ada@example.com", "2026-06-01 10:00:00", "clicked",
             "http://example.com/guides/pricing-checklist?utm_source=news"],
            ["ada@example.com", "2026-06-01 10:05:00", "clicked", "https://example.com/blog/tips"],
        ],
    )  # fmt: skip
    report = run_activity(path, now)
    assert report.events == {"downloaded": 1, "clicked": 1}
    assert _yeses("ada@example.com") == [
        ("clicked", None, "buttondown"),
        ("downloaded", "Pricing checklist", "buttondown"),
        ("subscribed", None, "manual"),
    ]
    assert find_lead("ada@example.com").step == "downloaded"


def test_the_longest_matching_link_and_its_own_step_win(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    add_offer("Guides", now=now)
    add_offer("Call", now=now)
    add_offer_link("Guides", "example.com/guides", now=now)
    add_offer_link("Call", "example.com/guides/book-a-call", now=now, step="booked")
    path = activity_csv(
        tmp_path,
        [["ada@example.com", "2026-06-01 10:00:00", "clicked", "https://example.com/guides/book-a-call"]],
    )  # fmt: skip
    report = run_activity(path, now)
    assert report.events == {"booked": 1}
    assert _yeses("ada@example.com") == [
        ("booked", "Call", "buttondown"),
        ("subscribed", None, "manual"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.us1.list-manage.com/unsubscribe?u=1&id=2",
        "https://example.us1.list-manage.com/profile?u=1",
        "https://buttondown.com/smallyes/preferences",
        "https://us1.campaign-archive.com/?u=1&id=2",
        "https://mailchi.mp/example/spring-letter",
        "https://example.com/view-in-browser/123",
        "https://example.com/track/open/abc",
    ],
)
def test_housekeeping_links_are_skipped(db, now, tmp_path, url) -> None:
    subscriber("ada@example.com", now)
    path = activity_csv(tmp_path, [["ada@example.com", "2026-06-01 10:00:00", "clicked", url]])
    report = run_activity(path, now)
    assert report.events == {}
    assert report.skipped == {"ignored_link": 1}
    assert _yeses("ada@example.com") == [("subscribed", None, "manual")]


def test_ordinary_links_are_not_ignored() -> None:
    for url in (
        "https://example.com/blog/pricing-tips",
        "https://form.typeform.com/to/AbC123xy",
        "https://example.com/blog/customer-preferences-survey-results",
    ):
        assert not is_ignored_link(url), url


def test_opens_are_engagement_never_a_rung(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    old = (now - dt.timedelta(days=120)).isoformat(sep=" ")
    recent = (now - dt.timedelta(days=3)).isoformat(sep=" ")
    clicked = (now - dt.timedelta(days=2)).isoformat(sep=" ")
    path = activity_csv(
        tmp_path,
        [
            ["ada@example.com", old, "opened", ""],
            ["ada@example.com", recent, "opened", ""],
            ["ada@example.com", clicked, "clicked", "https://example.com/blog"],
        ],
    )
    report = run_activity(path, now)
    assert report.events == {"opened": 2, "clicked": 1}
    lead = find_lead("ada@example.com")
    assert lead.level == 2 and lead.step == "subscribed"  # 'clicked' sits below subscribed
    assert [i.step for i in get_timeline(lead.id) if i.kind == "commitment"] == [
        "clicked",
        "subscribed",
    ]
    got = engagement(lead.id, now=now)
    assert got.opens_90d == 1
    assert got.last_opened_at == now - dt.timedelta(days=3)
    assert got.clicks_90d == 1 and got.last_clicked_at == now - dt.timedelta(days=2)
    assert got.emails_received == 1  # one campaign
    stored = database_proxy.execute_sql(
        "SELECT action, count(*) FROM activity_event GROUP BY action ORDER BY action"
    ).fetchall()
    assert stored == [("clicked", 1), ("opened", 2)]


def test_deliveries_are_stored_and_counted_as_no_yes(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    path = activity_csv(tmp_path, [["ada@example.com", "2026-06-01 10:00:00", "delivered", ""]])
    report = run_activity(path, now)
    assert report.events == {}
    assert report.skipped == {"delivery_not_a_yes": 1}
    assert engagement(find_lead("ada@example.com").id, now=now).emails_received == 1


def test_links_are_compared_without_scheme_www_and_fragment() -> None:
    assert normalise_link("HTTPS://www.Example.com/A#top") == "example.com/a"
    links = Links({"example.com/a": LinkTarget(1, "A", "downloaded")})
    assert links.match("http://example.com/a/b?x=1") == LinkTarget(1, "A", "downloaded")
    assert links.match("https://example.org/a") is None
    assert links.match("") is None


def test_offer_links_are_listed_and_removed(db, now) -> None:
    add_offer("Guide", now=now)
    add_offer_link("Guide", "https://example.com/guide", now=now)
    assert [(link.offer, link.prefix, link.step) for link in offer_links("Guide")] == [
        ("Guide", "example.com/guide", "downloaded")
    ]
    remove_offer_link("Guide", "http://example.com/guide")
    assert offer_links() == []


def _row(action: Action, url: str = "") -> ActivityRow:
    return ActivityRow("buttondown", "", 1, "ada@example.com", action, None, "k", url=url)


def test_the_ladder_mapping_of_each_action() -> None:
    links = Links({"example.com/guide": LinkTarget(7, "Guide", "downloaded")})
    assert map_row(_row(Action.OPENED), links) == Mapped(Effect.ENGAGEMENT)
    assert map_row(_row(Action.DELIVERED), links) == Mapped(
        Effect.ENGAGEMENT, reason="delivery_not_a_yes"
    )
    assert map_row(_row(Action.CLICKED, "https://example.com/x"), links).step == "clicked"
    on_offer = map_row(_row(Action.CLICKED, "https://example.com/guide/"), links)
    assert (on_offer.step, on_offer.offer) == ("downloaded", LinkTarget(7, "Guide", "downloaded"))
    assert map_row(_row(Action.CLICKED, "https://x.com/unsubscribe"), links).effect is Effect.SKIP
    answered = map_row(_row(Action.ANSWERED), links)
    assert (answered.step, answered.creates) == ("answered", True)
    assert map_row(_row(Action.REPLIED), links).step == "replied"
    assert map_row(_row(Action.BOUNCED), links).status is LeadStatus.BOUNCED
    assert map_row(_row(Action.UNSUBSCRIBED), links).status is LeadStatus.UNSUBSCRIBED
    assert map_row(_row(Action.COMPLAINED), links).status is LeadStatus.COMPLAINED
    assert map_row(_row(Action.BOOKED), links) == Mapped(Effect.SALE, step="booked", creates=True)
    assert map_row(_row(Action.PURCHASED), links).creates
    # a cancellation or a refund of someone the book does not know makes nobody a contact
    assert map_row(_row(Action.CANCELED), links).unknown == "canceled"
    assert map_row(_row(Action.REFUNDED), links).unknown == "refund_unmatched"
