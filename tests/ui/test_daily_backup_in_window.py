"""The window's daily backup: none at start-up, one after the day's first change (an
import), and one more at quit after further changes, each holding the leads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import ui.safety.actions as safety_mod
from crm.book.leads import add_lead
from crm.changes import LEAD_TABLES, Change
from crm.safety.backup import list_backups
from tests.crm.safety_helpers import lead_count
from ui.safety.actions import install_safety

DATA = Path(__file__).resolve().parents[1] / "data" / "csv"


def _daily(db_path: Path) -> list[Path]:
    return [b.path for b in list_backups(db_path) if b.reason == "daily"]


@pytest.fixture
def times(now) -> list[dt.datetime]:
    return [now]


@pytest.fixture
def safety(window, monkeypatch, times):
    monkeypatch.setattr(safety_mod, "DAILY_BACKUP_DELAY_MS", 10)
    actions = install_safety(window, None, daily_backup=False, clock=lambda: times[0])
    yield actions
    actions.shutdown()


def test_a_fresh_start_makes_no_backup(qtbot, window, safety, db_path) -> None:
    window.show()
    qtbot.waitExposed(window)
    safety.allow_daily_backups()  # the start-up check passed
    qtbot.wait(200)
    assert not safety.runner.busy
    safety.shutdown()  # quitting without a change
    assert list_backups(db_path) == []


def test_an_import_is_backed_up_and_quitting_after_more_changes_too(
    qtbot, window, safety, db_path, now, times
) -> None:
    safety.allow_daily_backups()
    wizard = window.imports.open(DATA / "mailchimp_subscribed.csv")
    qtbot.addWidget(wizard)
    with (
        qtbot.waitSignal(safety.sig_job_done, timeout=10_000),
        qtbot.waitSignal(wizard._runner.sig_finished, timeout=10_000),
    ):
        wizard.import_button.click()
    imported = window.leads_page.total
    assert imported > 0
    (first,) = _daily(db_path)
    assert lead_count(first) == imported

    # More changes the same day: no second copy while working ...
    lead = add_lead("late@example.com", now=now)
    window.events.publish(Change(LEAD_TABLES, frozenset({lead.id})))
    qtbot.wait(200)
    assert not safety.runner.busy and _daily(db_path) == [first]
    # ... but one at quit, with the day's last state.
    times[0] = now + dt.timedelta(hours=3)
    safety.shutdown()
    daily = _daily(db_path)
    assert len(daily) == 2 and first in daily
    (last,) = [p for p in daily if p != first]
    assert lead_count(last) == imported + 1


def test_changes_before_the_start_up_check_passed_wait_for_it(
    qtbot, window, safety, db_path, now
) -> None:
    lead = add_lead("early@example.com", now=now)
    window.events.publish(Change(LEAD_TABLES, frozenset({lead.id})))
    qtbot.wait(100)
    assert list_backups(db_path) == []  # the file may yet turn out damaged
    with qtbot.waitSignal(safety.sig_job_done, timeout=10_000):
        safety.allow_daily_backups()
    (copy,) = _daily(db_path)
    assert lead_count(copy) == 1
