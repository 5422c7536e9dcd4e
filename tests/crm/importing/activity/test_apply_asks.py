"""Asks answer themselves: a pending ask whose step (and offer, if it named one) the lead
then takes within the pacing's answer window becomes accepted, linked to that yes."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.asking.asks import get_ask, record_ask
from crm.asking.pacing import set_pacing
from crm.book.offers import add_offer
from crm.importing.activity.links import add_offer_link
from crm.importing.undo import undo_import
from crm.store.models import database_proxy
from tests.crm.importing.activity.apply_helpers import (
    activity_csv,
    run_activity,
    subscriber,
    use_simple_reader,
)

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def _click(email: str, at: dt.datetime, url: str = "https://example.com/blog") -> list[str]:
    return [email, at.isoformat(sep=" "), "clicked", url]


def _linked_yes(ask_id: int) -> int | None:
    row = database_proxy.execute_sql(
        "SELECT count(*) FROM commitment WHERE ask_id = ? AND batch_id IS NOT NULL", [ask_id]
    ).fetchone()
    return row[0]


def test_a_pending_ask_taken_within_the_window_is_accepted(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    asked = now - 10 * DAY
    ask = record_ask(ada, "clicked", at=asked, now=now)
    report = run_activity(activity_csv(tmp_path, [_click("ada@example.com", asked + 2 * DAY)]), now)
    assert report.resolved_asks == 1
    got = get_ask(ask)
    assert got.outcome == "accepted"
    assert got.resolved_at == asked + 2 * DAY
    assert _linked_yes(ask) == 1


def test_a_yes_after_the_window_or_before_the_ask_leaves_it_pending(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    asked = now - 20 * DAY
    ask = record_ask(ada, "clicked", at=asked, now=now)
    path = activity_csv(
        tmp_path,
        [_click("ada@example.com", asked + 8 * DAY), _click("ada@example.com", asked - DAY)],
    )
    report = run_activity(path, now)
    assert report.resolved_asks == 0
    assert get_ask(ask).outcome == "pending"


def test_the_window_is_the_pacings(db, now, tmp_path) -> None:
    set_pacing(follow_up_days=14)
    ada = subscriber("ada@example.com", now)
    asked = now - 20 * DAY
    ask = record_ask(ada, "clicked", at=asked, now=now)
    run_activity(activity_csv(tmp_path, [_click("ada@example.com", asked + 12 * DAY)]), now)
    assert get_ask(ask).outcome == "accepted"


def test_another_step_does_not_answer_the_ask(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    ask = record_ask(ada, "answered", at=now - 5 * DAY, now=now)
    run_activity(activity_csv(tmp_path, [_click("ada@example.com", now - 4 * DAY)]), now)
    assert get_ask(ask).outcome == "pending"


def test_an_ask_that_named_an_offer_needs_that_offer(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    add_offer("Pricing guide", now=now)
    add_offer("Launch checklist", now=now)
    add_offer_link("Pricing guide", "example.com/pricing", now=now)
    add_offer_link("Launch checklist", "example.com/launch", now=now)
    ask = record_ask(ada, "downloaded", at=now - 5 * DAY, now=now, offer="Pricing guide")
    run_activity(
        activity_csv(
            tmp_path, [_click("ada@example.com", now - 4 * DAY, "https://example.com/launch")]
        ),
        now,
    )
    assert get_ask(ask).outcome == "pending"
    run_activity(
        activity_csv(
            tmp_path,
            [_click("ada@example.com", now - 3 * DAY, "https://example.com/pricing")],
            name="b.csv",
        ),
        now,
    )
    assert get_ask(ask).outcome == "accepted"


def test_one_yes_answers_one_ask(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    first = record_ask(ada, "clicked", at=now - 6 * DAY, now=now)
    second = record_ask(ada, "clicked", at=now - 5 * DAY, now=now)
    report = run_activity(activity_csv(tmp_path, [_click("ada@example.com", now - 4 * DAY)]), now)
    assert report.resolved_asks == 1
    assert (get_ask(first).outcome, get_ask(second).outcome) == ("accepted", "pending")


def test_undoing_the_import_puts_the_ask_back_to_pending(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    ask = record_ask(ada, "clicked", at=now - 6 * DAY, now=now)
    report = run_activity(activity_csv(tmp_path, [_click("ada@example.com", now - 4 * DAY)]), now)
    assert get_ask(ask).outcome == "accepted"
    undo_import(report.batch_id, now=now)
    got = get_ask(ask)
    assert (got.outcome, got.resolved_at) == ("pending", None)
    assert _linked_yes(ask) == 0
