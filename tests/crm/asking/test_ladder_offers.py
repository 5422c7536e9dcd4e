"""Editing the ladder, the offers and the pacing, and what those edits change."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3

import pytest

from crm.analytics.funnel import compute_funnel
from crm.asking.asks import record_ask, set_outcome
from crm.asking.due import load_evidence, suggest_for_lead, todays_asks
from crm.asking.ladder import (
    StepEdit,
    StepRemoval,
    StepUse,
    add_step,
    apply_ladder,
    get_ladder,
    key_from_label,
    remove_step,
    rename_step,
    reorder_steps,
    set_major,
    set_template,
    step_by_key,
    step_keys,
    step_uses,
)
from crm.asking.pacing import DEFAULTS, get_pacing, reset_pacing, set_pacing
from crm.asking.suggest import Suggestion
from crm.book.lead_cache import recompute
from crm.book.leads import add_lead, get_lead
from crm.book.offers import add_offer, list_offers, rename_offer, retire_offer, set_offer_topics
from crm.book.timeline import get_timeline, record_commitment
from crm.errors import DuplicateError, ValidationError
from crm.store.models import Lead

DAY = dt.timedelta(days=1)


def test_rename_keeps_the_key_and_shows_in_suggestions(db, now) -> None:
    rename_step("answered", "Took the quiz")
    assert step_by_key("answered").label == "Took the quiz"
    with pytest.raises(ValidationError):
        rename_step("answered", "   ")
    with pytest.raises(ValidationError):
        rename_step("teleported", "Anything")


def test_template_is_used_for_the_message_and_checks_placeholders(db, now) -> None:
    set_template("downloaded", "For {first_name}: {offer}", "Hello {first_name}, here is {offer}.")
    lead = add_lead("ada@example.com", first_name="Ada", tags=["pricing"], now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    add_offer("Pricing guide", now=now, kind="guide", topics="pricing")
    result = suggest_for_lead(lead.id, now)
    assert isinstance(result, Suggestion) and result.step == "downloaded"
    assert result.subject == "For Ada: Pricing guide"
    assert result.body == "Hello Ada, here is Pricing guide."
    with pytest.raises(ValidationError, match="placeholder"):
        set_template("downloaded", "Hi {name}", "")
    with pytest.raises(ValidationError):
        set_template("downloaded", "  ", "body")


def test_reorder_changes_levels_and_recomputes_every_lead(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "answered", at=now - DAY, now=now)
    assert get_lead(lead.id).level == 4
    order = [s.key for s in get_ladder()]
    order.remove("answered")
    order.insert(1, "answered")  # a quiz right after the click
    steps = reorder_steps(order)
    assert [s.key for s in steps] == order
    assert step_by_key("answered").level == 2
    assert get_lead(lead.id).level == 2
    with pytest.raises(ValidationError):
        reorder_steps(order[:-1])


def test_marking_a_step_major_keeps_it_out_of_reach(db, now) -> None:
    set_major("answered", True)
    assert step_by_key("answered").major
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    # answered is two up from subscribed: as a major step it now needs "downloaded" first
    for _ in range(3):
        result = suggest_for_lead(lead.id, now)
        assert isinstance(result, Suggestion) and result.step == "downloaded"


def test_offers_add_rename_topics_retire(db, now) -> None:
    offer = add_offer(" SEO  checklist ", now=now, kind="Checklist", topics="SEO, marketing,seo")
    assert (offer.name, offer.kind, offer.topics) == (
        "SEO checklist",
        "checklist",
        ("seo", "marketing"),
    )
    with pytest.raises(DuplicateError):
        add_offer("seo checklist", now=now)
    add_offer("Pricing guide", now=now)
    with pytest.raises(DuplicateError):
        rename_offer("Pricing guide", "SEO Checklist")
    renamed = rename_offer("seo checklist", "SEO starter checklist")
    assert renamed.name == "SEO starter checklist"
    assert set_offer_topics(renamed.name, ["Local"]).topics == ("local",)
    retire_offer("Pricing guide")
    assert [o.name for o in list_offers()] == ["SEO starter checklist"]
    assert len(list_offers(include_retired=True)) == 2
    retire_offer("Pricing guide", retired=False)
    assert len(list_offers()) == 2
    with pytest.raises(ValidationError):
        rename_offer("No such thing", "x")


def test_retired_offer_is_not_suggested(db, now) -> None:
    add_offer("Pricing guide", now=now, topics="pricing")
    add_offer("Launch checklist", now=now, topics="marketing")
    lead = add_lead("ada@example.com", tags=["pricing"], now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    first = suggest_for_lead(lead.id, now)
    assert isinstance(first, Suggestion) and first.offer == "Pricing guide"
    retire_offer("Pricing guide")
    second = suggest_for_lead(lead.id, now)
    assert isinstance(second, Suggestion) and second.offer == "Launch checklist"


def test_pacing_defaults_are_stored_edited_and_validated(db, now) -> None:
    assert get_pacing() == DEFAULTS
    assert (DEFAULTS.follow_up_days, DEFAULTS.cooldown_days) == (7, 7)
    assert (DEFAULTS.unanswered_limit, DEFAULTS.unanswered_pause_days) == (2, 30)
    assert (DEFAULTS.decline_backoff_days, DEFAULTS.trust_count) == (60, 20)
    assert (DEFAULTS.warm_min_days, DEFAULTS.warm_max_days, DEFAULTS.stall_factor) == (1, 3, 2.0)
    assert set_pacing(cooldown_days="14", prior=0.3).cooldown_days == 14
    assert get_pacing().prior == 0.3
    with pytest.raises(ValidationError, match="between"):
        set_pacing(cooldown_days=-1)
    with pytest.raises(ValidationError, match="whole number"):
        set_pacing(cooldown_days=2.5)
    with pytest.raises(ValidationError, match="not a pacing setting"):
        set_pacing(speed=3)
    with pytest.raises(ValidationError, match="warm window"):
        set_pacing(warm_min_days=5)
    assert reset_pacing() == DEFAULTS and get_pacing() == DEFAULTS


def test_pacing_changes_what_is_suggested(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    ask_id = record_ask(lead.id, "downloaded", at=now - 10 * DAY, now=now)
    set_outcome(ask_id, "no_response", at=now - 9 * DAY, now=now)
    assert isinstance(suggest_for_lead(lead.id, now), Suggestion)
    set_pacing(cooldown_days=14)
    assert "14 days apart" in suggest_for_lead(lead.id, now).reason


def test_a_too_long_ask_message_says_which_part_is_too_long(db) -> None:
    with pytest.raises(ValidationError, match="subject is too long"):
        set_template("downloaded", "s" * 201, "Hi")
    with pytest.raises(ValidationError, match="message is too long: keep it under 5,000"):
        set_template("downloaded", "A guide", "b" * 5001)


# ---- adding and removing steps ----------------------------------------------------------


def _levels() -> dict[str, int]:
    return {s.key: s.level for s in get_ladder()}


def _lead_levels() -> dict[int, int]:
    return dict(Lead.select(Lead.id, Lead.level).tuples())


def test_adding_a_step_at_level_3_moves_the_later_steps_up(db, now) -> None:
    step = add_step("attended_webinar", "Attended  webinar", 3)
    assert (step.key, step.label, step.level, step.major) == (
        "attended_webinar",
        "Attended webinar",
        3,
        False,
    )
    assert [s.key for s in get_ladder()] == [
        "clicked",
        "subscribed",
        "attended_webinar",
        "downloaded",
        "answered",
        "replied",
        "booked",
        "purchased",
    ]
    assert [s.level for s in get_ladder()] == list(range(1, 9))
    top = add_step("renewed", "Renewed", 9, major=True, body="Hi {first_name}, again?")
    assert (top.level, top.major, top.ask_body, top.ask_subject) == (
        9,
        True,
        "Hi {first_name}, again?",
        "Renewed",
    )


def test_a_lead_at_old_level_3_is_at_level_4_after_a_step_is_added_below(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "subscribed", at=now - 3 * DAY, now=now)
    record_commitment(lead.id, "downloaded", at=now - DAY, now=now)
    low = add_lead("bea@example.com", now=now)
    record_commitment(low.id, "subscribed", at=now - DAY, now=now)
    assert get_lead(lead.id).level == 3
    add_step("attended_webinar", "Attended webinar", 3)
    assert get_lead(lead.id).level == 4
    assert get_lead(low.id).level == 2  # below the new step: unchanged
    assert get_lead(lead.id).step == "downloaded"


def test_a_lead_at_level_2_is_suggested_the_step_added_at_3(db, now) -> None:
    lead = add_lead("ada@example.com", first_name="Ada", now=now)
    record_commitment(lead.id, "subscribed", at=now - 30 * DAY, now=now)
    before = suggest_for_lead(lead.id, now)
    assert isinstance(before, Suggestion) and before.step == "downloaded"
    add_step("attended_webinar", "Attended webinar", 3, body="Hi {first_name}, join us live?")
    after = suggest_for_lead(lead.id, now)
    assert isinstance(after, Suggestion) and after.step == "attended_webinar"
    assert after.body == "Hi Ada, join us live?" and after.subject == "Attended webinar"
    # Today's list says the same
    (item,) = todays_asks(now, None)
    assert item.suggestion.step == "attended_webinar"


@pytest.mark.parametrize(
    ("key", "label", "level", "says"),
    [
        ("clicked", "Clicked again", 2, "already has a step 'clicked'"),
        ("Web-inar", "Webinar", 2, "cannot be a step key"),
        ("2nd_call", "Second call", 2, "cannot be a step key"),
        ("x" * 33, "Long", 2, "cannot be a step key"),
        ("add", "Added", 2, "'step add' is a command"),
        ("remove", "Removed", 2, "'step remove' is a command"),
        ("webinar", "Webinar", 0, "from 1 to 8"),
        ("webinar", "Webinar", 9, "from 1 to 8"),
        ("webinar", "   ", 2, "needs a name"),
    ],
)
def test_a_bad_new_step_is_refused_and_nothing_changes(db, now, key, label, level, says) -> None:
    before = get_ladder()
    with pytest.raises(ValidationError, match=re.escape(says)):
        add_step(key, label, level)
    assert get_ladder() == before


def test_a_new_step_with_a_bad_template_is_refused(db) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        add_step("webinar", "Webinar", 3, body="Hi {name}")
    assert "webinar" not in step_keys()


def test_key_from_label(db) -> None:
    taken = step_keys()
    assert key_from_label("Attended webinar", taken) == "attended_webinar"
    assert key_from_label("  Booked a call!  ", taken) == "booked_a_call"
    assert key_from_label("Downloaded", taken) == "downloaded_2"
    assert key_from_label("Café ☕ chat", taken) == "caf_chat"
    assert key_from_label("2026 summit", taken) == "summit"
    assert key_from_label("!!!", taken) == "step"
    assert key_from_label("Add", taken) == "add_step"
    assert len(key_from_label("x" * 80, taken)) == 32


def test_removing_an_unused_step_closes_up_the_levels(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "booked", at=now, now=now)
    change = remove_step("replied")
    assert change.changed and change.backup is None
    assert "replied" not in step_keys()
    assert _levels()["booked"] == 5 and _levels()["purchased"] == 6
    assert [s.level for s in get_ladder()] == list(range(1, 7))
    assert get_lead(lead.id).level == 5


def test_removing_a_used_step_is_refused_with_what_uses_it(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "answered", at=now - 2 * DAY, now=now)
    record_ask(lead.id, "answered", at=now - 3 * DAY, now=now)
    record_ask(lead.id, "answered", at=now - 4 * DAY, now=now)
    before = get_ladder()
    with pytest.raises(ValidationError, match="while 1 yes and 2 asks use it"):
        remove_step("answered")
    assert get_ladder() == before and get_lead(lead.id).level == 4
    assert step_uses()["answered"] == StepUse(yeses=1, asks=2)


@pytest.mark.parametrize(
    ("key", "into", "says"),
    [
        ("answered", "answered", "merged into itself"),
        ("answered", "teleported", "'teleported' is not a step"),
        ("teleported", "answered", "'teleported' is not a step"),
        ("subscribed", "clicked", "'subscribed' step cannot be removed"),
    ],
)
def test_a_bad_merge_is_refused_and_nothing_changes(db, now, key, into, says) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "answered", at=now - DAY, now=now)
    before = get_ladder()
    with pytest.raises(ValidationError, match=re.escape(says)):
        remove_step(key, into)
    assert get_ladder() == before and step_uses()["answered"].yeses == 1


def test_the_last_step_cannot_be_removed(db) -> None:
    for key in ("clicked", "downloaded", "answered", "replied", "booked", "purchased"):
        remove_step(key)
    with pytest.raises(ValidationError, match="at least one step"):
        remove_step("subscribed")
    rename_step("subscribed", "Joined")
    assert [s.key for s in get_ladder()] == ["subscribed"]


def _history(now: dt.datetime) -> dict[str, int]:
    """Three leads: one whose highest yes is 'downloaded', one that went on to 'answered',
    one that only subscribed; asks for 'downloaded' answered both ways."""
    ids = {n: add_lead(f"{n}@example.com", now=now).id for n in ("ada", "bea", "cy")}
    add_offer("Pricing guide", now=now, topics="pricing")
    for name in ids:
        record_commitment(ids[name], "subscribed", at=now - 40 * DAY, now=now)
    record_commitment(ids["bea"], "downloaded", at=now - 25 * DAY, now=now)
    record_commitment(ids["bea"], "answered", at=now - 10 * DAY, now=now)
    # an accepted ask puts its yes on the timeline
    accepted = record_ask(
        ids["ada"], "downloaded", at=now - 22 * DAY, now=now, offer="Pricing guide"
    )
    set_outcome(accepted, "accepted", at=now - 20 * DAY, now=now)
    declined = record_ask(ids["cy"], "downloaded", at=now - 22 * DAY, now=now)
    set_outcome(declined, "declined", at=now - 21 * DAY, now=now)
    return ids


def test_merging_moves_yeses_and_asks_and_recomputes_levels(db, db_path, now) -> None:
    ids = _history(now)
    change = remove_step("downloaded", into="replied")
    assert change.moved == {"downloaded": StepUse(yeses=2, asks=2)}
    assert "downloaded" not in step_keys()
    assert step_uses()["replied"] == StepUse(yeses=2, asks=2)
    assert [s.level for s in get_ladder()] == list(range(1, 7))
    # the timeline shows the yes (with its offer) and the asks at the step merged into
    kinds = [(i.kind, i.step, i.offer) for i in get_timeline(ids["ada"])]
    assert ("commitment", "replied", "Pricing guide") in kinds
    assert ("ask", "replied", "Pricing guide") in kinds
    levels = _lead_levels()
    assert levels == {ids["ada"]: 4, ids["bea"]: 4, ids["cy"]: 2}
    recompute()
    assert _lead_levels() == levels  # the same as a full recompute
    # a safety copy from before the merge, with the step still in it
    assert change.backup is not None and change.backup.parent == db_path.parent / "backups"
    con = sqlite3.connect(change.backup)
    try:
        assert con.execute("SELECT count(*) FROM step WHERE key = 'downloaded'").fetchone() == (1,)
    finally:
        con.close()


def test_after_a_merge_rates_and_offers_follow_the_step_merged_into(db, now) -> None:
    _history(now)
    remove_step("downloaded", into="replied")
    evidence = load_evidence()
    assert evidence.rates == {(2, "replied"): (1, 2)}
    guide = next(o for o in list_offers() if o.name == "Pricing guide")
    assert evidence.offer_steps[guide.id] == frozenset({"replied"})


def test_funnel_counts_after_a_merge(db, now) -> None:
    _history(now)
    remove_step("downloaded", into="answered")
    funnel = compute_funnel()
    reached = {s.key: s.reached for s in funnel.steps}
    assert reached == {
        "clicked": 3,
        "subscribed": 3,
        "answered": 2,
        "replied": 0,
        "booked": 0,
        "purchased": 0,
    }
    took = {s.key: s.took for s in funnel.steps}
    assert took["answered"] == 2  # bea's two yeses there are one lead
    asks = {a.step: (a.asked, a.accepted, a.declined) for a in funnel.asks}
    assert asks == {"answered": (2, 1, 1)}


def test_a_save_can_add_a_step_and_merge_another_into_it(db, now) -> None:
    ids = _history(now)
    edits = [StepEdit("webinar", "Attended webinar", False, "Join us live", "Hi {first_name}")]
    order = ["clicked", "subscribed", "webinar", "answered", "replied", "booked", "purchased"]
    change = apply_ladder(edits, order, [StepRemoval("downloaded", "webinar")])
    assert change.moved == {"downloaded": StepUse(yeses=2, asks=2)}
    assert _levels()["webinar"] == 3 and step_uses()["webinar"].yeses == 2
    assert _lead_levels() == {ids["ada"]: 3, ids["bea"]: 4, ids["cy"]: 2}


def test_chained_merges_move_everything_to_the_last_step(db, now) -> None:
    ids = _history(now)
    order = ["clicked", "subscribed", "replied", "booked", "purchased"]
    change = apply_ladder(
        [], order, [StepRemoval("downloaded", "answered"), StepRemoval("answered", "replied")]
    )
    assert change.moved["answered"] == StepUse(yeses=3, asks=2)
    assert step_uses()["replied"] == StepUse(yeses=3, asks=2)
    assert _lead_levels() == {ids["ada"]: 3, ids["bea"]: 3, ids["cy"]: 2}


def test_a_refused_save_keeps_its_merge_out(db, now) -> None:
    _history(now)
    before, uses = get_ladder(), step_uses()
    order = ["clicked", "subscribed", "answered", "replied", "booked", "purchased"]
    bad = [StepEdit("booked", "", True, "x", "y")]  # a step needs a name
    with pytest.raises(ValidationError, match="needs a name"):
        apply_ladder(bad, order, [StepRemoval("downloaded", "answered")])
    assert get_ladder() == before and step_uses() == uses
