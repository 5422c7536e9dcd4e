"""The fast path of a first import stores exactly what the full path stores.

Every fixture under tests/data/csv, and generated files full of the cases the fast path
must hand back (duplicates, odd addresses and dates, spreadsheet apostrophes, status
words), are imported twice into empty books, with the fast path on and off: every table
and the report must come out the same.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import SmallyesError
from crm.importing import ImportOptions, ImportReport, engine, import_csv
from crm.importing.writer import BatchWriter
from crm.store.db import close_database, open_database
from tests.conftest import NOW
from tests.crm.importing.conftest import DATA, dump_tables

FIXTURES = sorted(p for p in DATA.rglob("*") if p.is_file())


def _outcome(path: Path, book: Path, options: ImportOptions) -> tuple[Any, Any]:
    """The report (or the error) and every table, after importing into an empty book."""
    db = open_database(book)
    try:
        try:
            report = import_csv(path, options, now=NOW)
            shown: Any = dataclasses.replace(report, seconds=0.0)
            if isinstance(getattr(report, "subscribers", None), ImportReport):
                # an activity file's people: their own report, timed too
                shown = dataclasses.replace(
                    shown,
                    subscribers=dataclasses.replace(report.subscribers, seconds=0.0),  # type: ignore[attr-defined]
                )
        except SmallyesError as exc:  # the same error either way is the same outcome
            shown = (type(exc).__name__, str(exc))
        return shown, dump_tables()
    finally:
        close_database(db)


def _both(
    path: Path, folder: Path, template: Path, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> tuple[tuple[Any, Any], tuple[Any, Any], int]:
    """(fast path on, off, how many leads the fast path made)."""
    made = [0]
    real = BatchWriter.create_plain

    def counting(self: BatchWriter, r: Any) -> int:
        made[0] += 1
        return real(self, r)

    monkeypatch.setattr(BatchWriter, "create_plain", counting)
    results = []
    for on in (True, False):
        book = folder / f"book-{on}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{book}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, book)
        monkeypatch.setattr(engine, "PLAIN_ROWS", on)
        results.append(_outcome(path, book, ImportOptions(**options)))
    return results[0], results[1], made[0]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(DATA)))
def test_every_fixture_stores_the_same_rows_either_way(
    path: Path, tmp_path: Path, _template_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, full, _ = _both(path, tmp_path, _template_db, monkeypatch)
    assert fast == full


def test_the_fast_path_is_taken_and_tags_a_batch_the_same(
    tmp_path: Path, _template_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = DATA / "mailchimp_subscribed.csv"
    fast, full, made = _both(path, tmp_path, _template_db, monkeypatch, tag="Spring fair")
    assert fast == full
    assert made > 0


# -- generated files

MAILCHIMP = (
    "Email Address,First Name,Last Name,Company,OPTIN_TIME,CONFIRM_TIME,MEMBER_RATING,NOTES,TAGS,"
    "Discount %"
).split(",")
KIT = "first_name,last_name,email,created_at,status,tags".split(",")

# Plain values most of the time, so that many records take the fast path, and every odd
# case the fast path must leave to normalise now and then.
ODD_EMAILS = [
    "Ann@Example.com",
    " ann@example.com",
    "ben.o'neil@example.org",
    "chloe+news@example.co.uk",
    "dmitri@xn--bcher-kva.de",
    "Eleni <eleni@example.com>",
    "mailto:fatima@example.com",
    "not an email",
    "giulia@example",
    "",
    "zoë@example.com",
]
EMAILS = st.one_of(
    st.integers(0, 40).map(lambda n: f"p{n}@example.com"),
    st.integers(0, 40).map(lambda n: f"p{n}@example.com"),
    st.sampled_from(ODD_EMAILS),
)


def _mostly(plain: list[str], odd: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(plain), st.sampled_from(plain), st.sampled_from(odd))


NAMES = _mostly(["", "Ann", "Lee", "Zoë"], [" Ann ", "O'Connor", "'=SUM(A1)", "  ", "Lee\nSmith"])
DATES = _mostly(
    ["", "2021-03-15 02:27:01", "2019-11-02 23:59:59"],
    [
        "2030-01-01 00:00:00",
        " 2021-03-15 02:27:01",
        "2021-13-15 02:27:01",
        "0000-00-00 00:00:00",
        "2021-03-15T02:27:01Z",
        "15/03/2021",
        "soon",
    ],
)
TEXTS = _mostly(
    ["", "x", "Café", "3", "50%"],
    ["'+44 20 7946 0958", "two\nlines", 'said "maybe"', " ", "%s", "back\\slash"],
)
TAGS = _mostly(["", '"VIP"', '"VIP","Café club"'], ["vip", '"Workshop, Spring 2024"'])
STATUSES = _mostly(["active", "inactive"], ["cancelled", "bounced", "", "weird", "Active"])

MAILCHIMP_ROWS = st.lists(
    st.tuples(EMAILS, NAMES, NAMES, TEXTS, DATES, DATES, TEXTS, TEXTS, TAGS, TEXTS), max_size=25
)
KIT_ROWS = st.lists(st.tuples(NAMES, NAMES, EMAILS, DATES, STATUSES, TAGS), max_size=25)


# each example makes its own books under tmp_path, so sharing the fixture is harmless
FIXTURES_OK = [HealthCheck.function_scoped_fixture]


def _csv(header: list[str], rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=MAILCHIMP_ROWS, tag=st.sampled_from(["", "Fair"]))
def test_generated_mailchimp_files_store_the_same_rows_either_way(
    rows: list[tuple[str, ...]],
    tag: str,
    tmp_path: Path,
    _template_db: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "subscribed_members_export_1a2b3c.csv"
    path.write_text(_csv(MAILCHIMP, rows), encoding="utf-8", newline="")
    fast, full, _ = _both(path, tmp_path, _template_db, monkeypatch, tag=tag)
    assert fast == full


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=KIT_ROWS)
def test_generated_files_with_a_status_column_store_the_same_rows_either_way(
    rows: list[tuple[str, ...]],
    tmp_path: Path,
    _template_db: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "kit_subscribers.csv"
    path.write_text(_csv(KIT, rows), encoding="utf-8", newline="")
    fast, full, _ = _both(path, tmp_path, _template_db, monkeypatch)
    assert fast == full


def test_plain_generated_rows_take_the_fast_path(
    tmp_path: Path, _template_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated files above do reach the fast path: the comparison is not empty."""
    rows = [
        (f"p{i}@example.com", "Ann", "Lee", "", "2021-03-15 02:27:01", "", "3", "", '"VIP"', "5%")
        for i in range(10)
    ]
    path = tmp_path / "subscribed_members_export_1a2b3c.csv"
    path.write_text(_csv(MAILCHIMP, rows), encoding="utf-8", newline="")
    fast, full, made = _both(path, tmp_path, _template_db, monkeypatch)
    assert fast == full
    assert made == 10
