"""A dry run writes nothing, yet tells exactly what the real run then does."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from crm.importing import ImportOptions, engine, import_csv
from tests.crm.importing.conftest import DATA, dump_tables, write

FIXTURES = sorted(p.name for p in DATA.iterdir() if p.suffix in (".csv", ".txt"))


def _dry_then_real(path: Path, now: dt.datetime, **options: object) -> None:
    before = dump_tables()
    dry = import_csv(path, ImportOptions(dry_run=True, **options), now=now)  # type: ignore[arg-type]
    assert dump_tables() == before
    real = import_csv(path, ImportOptions(**options), now=now)  # type: ignore[arg-type]
    # the same report in every respect but the batch, the flag and the time taken
    assert dataclasses.replace(dry, dry_run=False, batch_id=real.batch_id, seconds=0) == (
        dataclasses.replace(real, seconds=0)
    )


@pytest.mark.parametrize("name", FIXTURES)
def test_into_an_empty_book(db, now, name) -> None:
    _dry_then_real(DATA / name, now)


@pytest.mark.parametrize("policy", ["skip", "fill", "overwrite"])
def test_into_a_book_that_has_them_all(db, now, policy) -> None:
    for name in FIXTURES:
        import_csv(DATA / name, ImportOptions(), now=now - dt.timedelta(days=10))
    for name in FIXTURES:
        _dry_then_real(DATA / name, now, on_duplicate=policy, tag="Autumn")


def test_duplicates_across_chunks_and_new_tags(db, now, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(engine, "CHUNK_ROWS", 2)
    rows = [
        "a@example.com,Ada,,Maths",
        "b@example.com,Bo,,",
        "c@example.com,,Young,Sport",
        "A@example.com,,Lovelace,Poetry",  # a duplicate of row 1, two chunks later
        "b@example.com,Bob,,New tag",
    ]
    path = write(tmp_path, "d.csv", "email,first_name,last_name,tags\n" + "\n".join(rows) + "\n")
    _dry_then_real(path, now)
    _dry_then_real(path, now + dt.timedelta(days=1), on_duplicate="overwrite")
