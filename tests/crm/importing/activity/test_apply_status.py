"""Bounces, unsubscribes and complaints in an activity file change the status as a
subscriber file would: suppression wins, the change is dated when it happened, and
undoing the import puts the status back."""

from __future__ import annotations

import pytest

from crm.book.leads import find_lead, get_lead, set_status
from crm.book.timeline import get_timeline
from crm.importing.undo import undo_import
from tests.crm.importing.activity.apply_helpers import (
    activity_csv,
    run_activity,
    subscriber,
    use_simple_reader,
)


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def test_an_unsubscribe_changes_the_status_dated_and_undoable(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    path = activity_csv(tmp_path, [["ada@example.com", "2026-05-20 09:30:00", "unsubscribed", ""]])
    report = run_activity(path, now)
    assert report.status_changes == {"unsubscribed": 1}
    assert report.updated == 1
    assert report.events == {}
    assert get_lead(ada).status == "unsubscribed"
    (change,) = [i for i in get_timeline(ada) if i.kind == "status"]
    assert change.at.isoformat() == "2026-05-20T09:30:00"
    assert change.data == {"from": "subscribed", "to": "unsubscribed", "raw": "unsubscribed"}
    undo_import(report.batch_id, now=now)
    assert get_lead(ada).status == "subscribed"
    assert [i for i in get_timeline(ada) if i.kind == "status"] == []


def test_the_stronger_suppression_wins(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    bob = subscriber("bob@example.com", now)
    set_status(bob, "complained", now=now)
    path = activity_csv(
        tmp_path,
        [
            ["ada@example.com", "2026-05-20 09:30:00", "bounced", ""],
            ["ada@example.com", "2026-05-21 09:30:00", "unsubscribed", ""],
            ["bob@example.com", "2026-05-20 09:30:00", "unsubscribed", ""],
        ],
    )
    report = run_activity(path, now)
    assert get_lead(ada).status == "bounced"
    assert get_lead(bob).status == "complained"
    assert report.status_changes == {"bounced": 1}
    assert report.skipped == {"status_unchanged": 2}


def test_a_complaint_lifts_an_unsubscribe_to_the_stronger_status(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    set_status(ada, "unsubscribed", now=now)
    path = activity_csv(tmp_path, [["ada@example.com", "2026-05-20 09:30:00", "complained", ""]])
    run_activity(path, now)
    assert find_lead("ada@example.com").status == "complained"
