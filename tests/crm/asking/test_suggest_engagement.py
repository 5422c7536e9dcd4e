"""Newsletter engagement in the engine: warm leads first, cold ones last, in plain words."""

from __future__ import annotations

from typing import Any

import pytest

from crm.asking.suggest import (
    Evidence,
    LeadEngagement,
    Prepared,
    Rule,
    Suggestion,
    Warmth,
    short_url,
    suggest_next_ask,
    to_us,
)
from tests.crm.asking.test_suggest import (
    LADDER,
    NOW,
    OFFER_STEPS,
    OFFERS,
    PACING,
    History,
    days,
    lead,
    yes,
)

# the newest e-mail any lead got: yesterday's newsletter
EVIDENCE = Evidence(offer_steps=OFFER_STEPS, newest_email=to_us(days(1)))


def at(ago: float) -> int:
    return to_us(days(ago))


def engaged(**fields: Any) -> LeadEngagement:
    return LeadEngagement(1, **fields)


def run(
    history: History, engagement: LeadEngagement | None, evidence: Evidence = EVIDENCE
) -> Suggestion:
    prep = Prepared(LADDER, OFFERS, PACING, evidence)
    result = suggest_next_ask(*history, prep, to_us(NOW), engagement)
    assert isinstance(result, Suggestion)
    return result


# a subscriber since 2019 with no yes since
OLD_SUBSCRIBER = lead(yes("subscribed", 2_500))
# fourteen weekly e-mails delivered since late November, none opened
UNOPENED = engaged(unopened=14, unopened_since=at(200), unopened_until=at(2))


def test_clicked_yesterday_comes_before_a_2019_subscriber_who_never_opened() -> None:
    clicker = run(
        lead(yes("subscribed", 2_500), yes("clicked", 1)),
        engaged(last_clicked=at(1), last_click_url="https://example.com/blog"),
    )
    never_seen = run(OLD_SUBSCRIBER, None)  # no opens, clicks nor deliveries imported
    never_opened = run(OLD_SUBSCRIBER, UNOPENED)
    assert clicker.warmth == Warmth.CLICKED
    assert never_seen.warmth == Warmth.NONE
    assert never_opened.warmth == Warmth.COLD
    ranked = sorted([never_opened, never_seen, clicker], key=lambda s: s.warmth, reverse=True)
    assert ranked == [clicker, never_seen, never_opened]


def test_cold_after_months_of_unopened_deliveries_with_its_reason() -> None:
    result = run(OLD_SUBSCRIBER, UNOPENED)
    assert result.warmth == Warmth.COLD
    assert result.engagement == "Cold: asked last"
    assert result.reason.startswith(
        "Cold: hasn't opened any of your 14 e-mails since November: asked last. Best evidence:"
    )


def test_cold_without_deliveries_since_the_last_open() -> None:
    # Mailchimp exports no deliveries: opened in October, and the newsletter went on
    result = run(OLD_SUBSCRIBER, engaged(last_opened=at(250)))
    assert result.warmth == Warmth.COLD
    assert result.reason.startswith(
        "Cold: hasn't opened any of your e-mails since October: asked last."
    )


def test_cold_more_than_a_year_names_the_year() -> None:
    result = run(OLD_SUBSCRIBER, engaged(last_opened=at(500)))
    assert "since January 2025: asked last." in result.reason


@pytest.mark.parametrize(
    ("history", "engagement", "evidence"),
    [
        # opened four months ago: not six months of e-mails unopened
        (OLD_SUBSCRIBER, engaged(last_opened=at(120)), EVIDENCE),
        # never seen opening, no deliveries: no evidence that e-mails reached them
        (OLD_SUBSCRIBER, engaged(), EVIDENCE),
        # a reply two months ago is a yes: not cold, whatever the opens say
        (lead(yes("subscribed", 2_500), yes("replied", 60)), UNOPENED, EVIDENCE),
        # e-mails unopened since four months only
        (OLD_SUBSCRIBER, engaged(unopened=16, unopened_since=at(120), unopened_until=at(2)),
         EVIDENCE),
        # opened long ago, but the last e-mail anyone got is old too: no six months of them
        (OLD_SUBSCRIBER, engaged(last_opened=at(400)), Evidence(newest_email=at(300))),
    ],
)  # fmt: skip
def test_not_cold_without_six_months_of_unopened_e_mails(
    history: History, engagement: LeadEngagement, evidence: Evidence
) -> None:
    result = run(history, engagement, evidence)
    assert result.warmth == Warmth.NONE
    assert "Cold" not in result.reason
    assert result.engagement == ""


def test_a_click_on_an_offer_link_is_named_in_the_warm_reason() -> None:
    # the click on the guide's link is the yes "downloaded" on that offer, at the same time
    history = lead(yes("subscribed", 400), yes("downloaded", 2, offer=1))
    result = run(history, engaged(last_clicked=at(2), last_click_url="https://x"))
    assert result.rule == Rule.WARM
    assert result.warmth == Warmth.CLICKED
    assert result.engagement == "Clicked 2 days ago"
    assert result.reason.startswith(
        "Strike while warm: they clicked your 'Pricing guide' link 2 days ago, so now is the "
        "time for the ask that builds on it. Builds on their last yes: downloaded (Pricing "
        "guide), 2 days ago."
    )


def test_a_plain_click_names_its_link() -> None:
    history = lead(yes("subscribed", 400), yes("clicked", 2))
    url = "https://www.example.com/blog/pricing/?utm_source=newsletter#top"
    result = run(history, engaged(last_clicked=at(2), last_click_url=url))
    assert result.reason.startswith(
        "Strike while warm: they clicked your link to example.com/blog/pricing 2 days ago, so"
    )


def test_a_click_older_than_the_warm_window_still_ranks_and_is_said() -> None:
    history = lead(yes("subscribed", 400), yes("clicked", 10))
    result = run(history, engaged(last_clicked=at(10)))
    assert result.rule == Rule.EVIDENCE
    assert result.warmth == Warmth.CLICKED
    assert "Warm: clicked a link in your e-mail 10 days ago." in result.reason


def test_recent_opens_rank_and_are_counted_in_the_reason() -> None:
    result = run(OLD_SUBSCRIBER, engaged(last_opened=at(3), opens_90d=5))
    assert result.warmth == Warmth.OPENED
    assert result.engagement == "Opened 3 days ago"
    assert result.reason.startswith(
        "Best evidence: downloaded scores 25% (vs answered 25%). Warm: opened your e-mails 5 "
        "times in the last 90 days, most recently 3 days ago. Builds on their last yes: "
        "subscribed, 2500 days ago."
    )
    one = run(OLD_SUBSCRIBER, engaged(last_opened=at(0.5), opens_90d=1))
    assert "Warm: opened your e-mail today." in one.reason


def test_a_click_and_opens_are_both_said() -> None:
    history = lead(yes("subscribed", 400), yes("clicked", 12))
    result = run(history, engaged(last_clicked=at(12), last_opened=at(1), opens_90d=2))
    assert result.engagement == "Clicked 12 days ago"
    assert (
        "Warm: clicked a link in your e-mail 12 days ago and opened your e-mails 2 times in "
        "the last 90 days, most recently 1 day ago."
    ) in result.reason


def test_engagement_moves_the_rank_never_the_score_or_the_ask() -> None:
    history = lead(yes("subscribed", 400), yes("clicked", 10))
    plain = run(history, None)
    warm = run(history, engaged(last_clicked=at(10)))
    cold = run(OLD_SUBSCRIBER, UNOPENED)
    assert (warm.step, warm.offer, warm.due, warm.score, warm.rule) == (
        plain.step,
        plain.offer,
        plain.due,
        plain.score,
        plain.rule,
    )
    assert cold.score == run(OLD_SUBSCRIBER, None).score


def test_no_engagement_leaves_the_suggestion_as_it_was() -> None:
    history = lead(yes("subscribed", 400), yes("clicked", 2))
    prep = Prepared(LADDER, OFFERS, PACING, EVIDENCE)
    without = suggest_next_ask(*history, prep, to_us(NOW))
    assert isinstance(without, Suggestion)
    assert without == run(history, None)
    assert without.warmth == Warmth.NONE and without.engagement == ""
    assert without.reason.startswith(
        "Strike while warm: they said yes 2 days ago, so now is the time for the ask that "
        "builds on it. Builds on their last yes: clicked, 2 days ago. Never asked before."
    )
    # activity imported for the lead, but nothing lately: the same words
    quiet = run(history, engaged(last_opened=at(60), opens_90d=1))
    assert quiet.warmth == Warmth.NONE
    assert quiet.reason == without.reason
    assert quiet.summary == without.summary


def test_short_url() -> None:
    assert short_url("https://www.example.com/a/b/?q=1") == "example.com/a/b"
    assert short_url("http://user@example.com") == "example.com"
    assert short_url("not a url") == "not a url"
    long = short_url("https://example.com/" + "x" * 80)
    assert len(long) == 48 and long.endswith("…")


def test_a_yes_too_fresh_to_build_on_yet_says_from_when() -> None:
    """The warm window opens a little after the yes: a yes of an hour ago gets its ask from
    the day the window opens, and the reason says so rather than "now"."""
    history = lead(yes("subscribed", 400), yes("clicked", 1 / 24))
    prep = Prepared(LADDER, OFFERS, PACING, EVIDENCE)
    fresh = suggest_next_ask(*history, prep, to_us(NOW))
    assert isinstance(fresh, Suggestion)
    assert fresh.due > NOW
    assert fresh.reason.startswith(
        "Strike while warm: they said yes today, so the ask that builds on it is best made "
        f"from {fresh.due:%Y-%m-%d}, while it is fresh."
    )
    assert "now is the time" not in fresh.reason
