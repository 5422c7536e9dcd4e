"""UI test set-up: settings in a temporary folder, a fixed clock, a main window over a db."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from crm.book.leads import LeadRow, add_lead
from crm.book.timeline import record_commitment
from crm.changes import LEAD_TABLES, Change
from ui.main_window import MainWindow
from ui.safety.actions import SafetyActions, install_safety
from ui.settings import Settings


@pytest.fixture(autouse=True)
def _settings_in_tmp(tmp_path: Path) -> None:
    """Every QSettings the app makes is an INI file under this test's tmp folder."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qs"))


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    """As in the app: no automatic collection, which could free Qt objects on a worker
    thread; the main thread collects after each test instead."""
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture
def clock(now: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: now


@pytest.fixture
def people(db: object, now: dt.datetime) -> dict[str, LeadRow]:
    """A handful of leads with different statuses, tags and steps."""
    specs = [
        ("ada@example.com", "Ada", "Lovelace", "Analytical", ["vip"], "subscribed"),
        ("ben@example.com", "Ben", "Okafor", "Blue Fern", ["workshop"], "subscribed"),
        ("cleo@example.org", "Cleo", "Martin", "", [], "unsubscribed"),
        ("dan@example.net", "Dan", "Zhang", "Cedar", ["vip"], "pending"),
        ("eve@example.com", "Eve", "Adams", "", [], "none"),
    ]
    rows = {}
    for email, first, last, company, tags, status in specs:
        lead = add_lead(
            email,
            first_name=first,
            last_name=last,
            company=company,
            tags=tags,
            status=status,
            now=now - dt.timedelta(days=30),
        )
        rows[first.lower()] = lead
    record_commitment(
        rows["ada"].id, "downloaded", at=now - dt.timedelta(days=3), now=now, offer="Pricing guide"
    )
    record_commitment(rows["ben"].id, "booked", at=now - dt.timedelta(days=1), now=now)
    record_commitment(rows["dan"].id, "clicked", at=now - dt.timedelta(days=10), now=now)
    return rows


@pytest.fixture
def make_window(
    qtbot, db_path: Path, clock: Callable[[], dt.datetime]
) -> Iterator[Callable[[], MainWindow]]:
    windows: list[MainWindow] = []

    def make() -> MainWindow:
        window = MainWindow(db_path, settings=Settings(), clock=clock)
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()  # the app's own shutdown path: background jobs end before the db


@pytest.fixture
def window(db: object, make_window: Callable[[], MainWindow]) -> MainWindow:
    return make_window()


@pytest.fixture
def safety(window: MainWindow, people: dict[str, LeadRow]) -> Iterator[SafetyActions]:
    """The window's safety actions (backup, restore, export, forget), no daily backup."""
    window.events.publish(
        Change(LEAD_TABLES, None)
    )  # the window may have been built before the people
    actions = install_safety(window, None, daily_backup=False)
    yield actions
    actions.shutdown()
