"""Audience files: each platform's columns exactly, no blank cell, formula-safe, written as
exports are (never over the database, a folder or a device), and read back by Smallyes'
own subscriber importer as that platform's layout or a generic list."""

from __future__ import annotations

import csv
import datetime as dt
import os
import stat
from pathlib import Path

import pytest

from crm.asking.audience import PLATFORMS, AudienceRow, campaign_tag, header_for, write_audience
from crm.asking.campaigns import create_campaign
from crm.book.filters import LeadFilter
from crm.book.leads import LeadQuery, add_lead, list_leads
from crm.book.timeline import record_commitment
from crm.errors import ValidationError
from crm.importing.engine import ImportOptions, import_csv, preview_csv
from crm.importing.mapping import Target
from crm.store.db import close_database, open_database
from crm.store.models import database_proxy

DAY = dt.timedelta(days=1)
TAG = "Smallyes ask 7 - Downloaded - Focus workbook"
# the header each tool's importer reads, with and without the names
HEADERS = {
    "mailchimp": (["Email Address", "Tags"], ["Email Address", "Tags"]),
    "kit": (["email", "tags"], ["email", "tags"]),
    "mailerlite": (["Email", "Name", "Last name"], ["Email"]),
    "brevo": (["EMAIL", "FIRSTNAME", "LASTNAME"], ["EMAIL"]),
    "generic": (["email", "first_name", "last_name", "tags"], ["email", "tags"]),
}
NAMED = [
    AudienceRow("ada@example.com", "Ada", "Lovelace"),
    AudienceRow("bo@example.com", "=Bo", "O'Neil, Jr"),
]


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_each_platform_gets_exactly_its_columns(tmp_path: Path, platform: str) -> None:
    named, unnamed = HEADERS[platform]
    path = tmp_path / "a.csv"
    assert write_audience(path, PLATFORMS[platform], NAMED, TAG) == named
    rows = rows_of(path)
    assert rows[0] == named
    assert [r[0] for r in rows[1:]] == ["ada@example.com", "bo@example.com"]
    # no blank cell anywhere, and the tag column carries the campaign's tag
    assert all(cell for row in rows for cell in row)
    if "Tags" in named or "tags" in named:
        assert {r[-1] for r in rows[1:]} == {TAG}
    # one lead without a first name: no name column at all, rather than a blank one
    missing = [*NAMED, AudienceRow("cy@example.com", "", "Twombly")]
    assert header_for(PLATFORMS[platform], missing) == unnamed
    assert write_audience(path, PLATFORMS[platform], missing, TAG) == unnamed
    assert all(cell for row in rows_of(path) for cell in row)


def test_names_are_formula_safe_and_addresses_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    write_audience(path, PLATFORMS["brevo"], NAMED, TAG)
    assert rows_of(path)[2] == ["bo@example.com", "'=Bo", "O'Neil, Jr"]


def test_the_file_is_the_owners_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    write_audience(path, PLATFORMS["kit"], NAMED, TAG)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".c.csv.*"))  # no temporary file left behind


def test_a_tag_is_plain_words_any_tool_takes() -> None:
    tag = campaign_tag(12, "Downloaded", 'Pricing, "2026" 🚀 guide; v2')
    assert tag == "Smallyes ask 12 - Downloaded - Pricing 2026 guide v2"
    assert len(campaign_tag(1, "x" * 200, None)) <= 100


def test_an_unknown_platform_is_refused_in_words(db, now, tmp_path: Path) -> None:
    with pytest.raises(
        ValidationError, match="use one of mailchimp, kit, mailerlite, brevo, generic"
    ):
        create_campaign(
            "downloaded", None, LeadFilter(), platform="myspace", target=tmp_path / "x.csv", now=now
        )


def _book(now: dt.datetime) -> None:
    for email, first, last in (
        ("ada@example.com", "Ada", "Lovelace"),
        ("bo@example.com", "Bo", "Diddley"),
        ("cy@example.com", "Cy", "Twombly"),
    ):
        lead = add_lead(email, first_name=first, last_name=last, status="subscribed", now=now)
        record_commitment(lead.id, "subscribed", at=now - 90 * DAY, now=now)


def test_bad_targets_are_refused_before_anything_is_recorded(db, db_path, now, tmp_path) -> None:
    _book(now)
    bad = [
        (db_path, "Smallyes database in use"),
        (Path(f"{db_path}-wal"), "Smallyes database"),
        (tmp_path, "is a folder"),
        (Path("/dev/null"), "device"),
    ]
    for target, words in bad:
        with pytest.raises(ValidationError, match=words):
            create_campaign(
                "downloaded", None, LeadFilter(), platform="generic", target=target, now=now
            )
    assert database_proxy.execute_sql("SELECT count(*) FROM ask").fetchone()[0] == 0
    assert database_proxy.execute_sql("SELECT count(*) FROM campaign").fetchone()[0] == 0


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_the_importer_reads_each_file_back(db, now, tmp_path: Path, platform: str) -> None:
    _book(now)
    path = tmp_path / f"{platform}.csv"
    made = create_campaign(
        "downloaded", None, LeadFilter(), platform=platform, target=path, now=now
    )
    assert made.asked == 3
    # Smallyes' own importer knows the file: as that platform's layout, or a generic list
    preview = preview_csv(path)
    assert preview.platform in (platform, "generic")
    targets = {c.header: c.target for c in preview.mapping}
    assert targets[HEADERS[platform][0][0]] is Target.EMAIL
    # into another book: the same people, with the campaign's tag where the file has one
    close_database(database_proxy.obj)
    other = open_database(tmp_path / "other.db")
    try:
        report = import_csv(path, ImportOptions(opted_in=True), now=now)
        assert report.rejected == 0
        got = {r.email: r for r in list_leads(LeadQuery())}
        assert set(got) == {"ada@example.com", "bo@example.com", "cy@example.com"}
        if platform in ("mailchimp", "kit", "generic"):
            assert all(r.tags == (made.tag,) for r in got.values())
        if platform in ("mailerlite", "brevo", "generic"):
            ada = got["ada@example.com"]
            assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    finally:
        close_database(other)
