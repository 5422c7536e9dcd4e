"""Helpers for the import tests: the synthetic fixtures, a full dump of every table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from crm.asking import stored
from crm.book.leads import LeadRow, find_lead
from crm.book.timeline import TimelineItem, get_timeline
from crm.importing import ImportOptions, ImportReport, import_csv
from crm.store.models import database_proxy

DATA = Path(__file__).resolve().parents[2] / "data" / "csv"
MESSY = DATA / "messy"


def run(name: str | Path, now: dt.datetime, **options: Any) -> ImportReport:
    path = name if isinstance(name, Path) else DATA / name
    return import_csv(path, ImportOptions(**options), now=now)


def lead(email: str) -> LeadRow:
    return find_lead(email)


def timeline(email: str) -> list[TimelineItem]:
    return get_timeline(find_lead(email).id)


def dump_tables(skip: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: 'exactly as before' is equality.

    Not ``change_note``: it records every write for other processes, an undo's too; nor
    the stored next asks, a cache of the engine's answers that every write marks stale
    (``tests/crm/asking/test_stored_next_asks.py`` checks them against the history).
    """
    skip = (*skip, "change_note", *stored.TABLES)
    names = [
        r[0]
        for r in database_proxy.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        ).fetchall()
    ]
    out = {}
    for name in names:
        if name in skip:
            continue
        rows = database_proxy.execute_sql(f"SELECT * FROM {name}").fetchall()
        out[name] = sorted(rows, key=repr)
    indexes = database_proxy.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    ).fetchall()
    out["sqlite_master indexes"] = indexes
    return out


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


@pytest.fixture
def data() -> Path:
    return DATA
