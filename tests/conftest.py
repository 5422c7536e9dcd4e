"""Test set-up shared by every test: headless Qt, private user folders, one database each."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from crm.store.db import close_database, open_database

# A fixed "now" for everything time-dependent.
NOW = dt.datetime(2026, 6, 15, 12, 0, 0)


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point every user folder (data, logs, settings) into a temporary folder."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.delenv("SMALLYES_DB", raising=False)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty database, made once and copied for each test (fast)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = open_database(path)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    close_database(db)
    return path


@pytest.fixture
def db_path(tmp_path: Path, _template_db: Path) -> Path:
    path = tmp_path / "smallyes.db"
    shutil.copyfile(_template_db, path)
    return path


@pytest.fixture
def db(db_path: Path) -> Iterator[object]:
    """A fresh database file for this test, opened and bound to the models."""
    database = open_database(db_path)
    yield database
    close_database(database)


@pytest.fixture
def now() -> dt.datetime:
    return NOW
