"""The health check: a damaged database is reported plainly and never changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.errors import DatabaseDamagedError
from crm.safety.backup import backup_now
from crm.safety.damage import check_database
from crm.store.db import close_database
from crm.store.health import quick_check
from tests.crm.safety_helpers import add_people, damage


def test_a_healthy_database_passes(db, db_path: Path, now) -> None:
    add_people(20, now)
    assert quick_check(db_path) == []
    check_database(db_path)


def test_a_missing_file_is_not_damaged(tmp_path: Path) -> None:
    assert quick_check(tmp_path / "none.db") == []


def test_a_damaged_database_is_detected_and_left_alone(db, db_path: Path, now) -> None:
    add_people(300, now)
    good = backup_now(now=now)
    close_database(db)
    damage(db_path, pages=(8, 12))
    before = db_path.read_bytes()

    with pytest.raises(DatabaseDamagedError) as caught:
        check_database(db_path)

    message = caught.value.user_message
    assert "damaged" in message and str(good) in message
    assert "\n" not in message
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_sqlite_counts_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "smallyes.db"
    path.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(DatabaseDamagedError, match="restore a backup file you keep elsewhere"):
        check_database(path)
