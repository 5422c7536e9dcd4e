"""A generic activity file whose columns nothing recognises, mapped by the owner
(``ImportOptions.mapping``, ``smallyes-cli import --map``), and the zone of times written
without one: applied to the stored times and named by the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm.book.leads import add_lead, find_lead
from crm.book.timeline import get_timeline
from crm.cli import main
from crm.errors import ValidationError
from crm.importing import ImportOptions, import_csv, preview_csv
from crm.importing.activity.detect import plan_sources
from crm.importing.activity.generic import columns_from_mapping
from crm.importing.activity.report import ActivityReport
from crm.importing.mapping import ColumnMap, Target
from crm.store.models import database_proxy

DATA = Path(__file__).resolve().parents[3] / "data" / "activity"
ODD = DATA / "generic" / "odd-columns.csv"
FORM = DATA / "forms" / "Pricing interest (Responses) - Form Responses 1.csv"
MAP = ("--map", "email=who", "--map", "time=when it happened", "--map", "action=what",
       "--map", "url=target", "--map", "campaign=mailing")  # fmt: skip


def _cli(capsys, db_path: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _yeses(email: str) -> list[tuple[str, str]]:
    return [
        (i.step or "", i.at.isoformat())
        for i in get_timeline(find_lead(email).id)
        if i.kind == "commitment"
    ]


def test_odd_columns_are_not_recognised_but_proposed_as_activity(db) -> None:
    assert plan_sources(ODD).kind == "subscribers"  # nothing recognises the header
    preview = preview_csv(ODD)
    assert preview.looks_like_activity
    assert [c.target for c in preview.activity_mapping] == [
        Target.EMAIL,
        Target.TIME,
        Target.ACTION,
        Target.URL,
        Target.IGNORE,
    ]
    # a list of people with a sign-up date is not proposed as activity
    assert not preview_csv(DATA.parents[0] / "csv" / "generic_es.csv").looks_like_activity


def test_the_cli_maps_odd_columns_and_imports_them_as_activity(db, db_path, now, capsys) -> None:
    for email in ("ada@example.com", "bo@example.com"):
        add_lead(email, status="subscribed", now=now)
    code, out, err = _cli(capsys, db_path, "import", str(ODD), *MAP, "--zone", "UTC", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["kind"] == "activity" and report["platform"] == "generic_activity"
    assert report["events"] == {"clicked": 2, "opened": 1}
    assert report["skipped"] == {"unknown_email": 1}
    assert _yeses("ada@example.com") == [("clicked", "2026-06-01T10:00:00")]
    stored = database_proxy.execute_sql("SELECT DISTINCT campaign FROM activity_event").fetchall()
    assert stored == [("June letter",)]
    # unmapped, the same file is a list of people: the addresses found by their values
    code, out, err = _cli(capsys, db_path, "import", str(ODD), "--dry-run", "--json")
    assert code == 0, err
    assert "kind" not in json.loads(out)


def test_a_mapping_names_each_column_once_and_says_what_is_missing(db, db_path, capsys) -> None:
    header = ("who", "when", "target", "also when")
    good = [ColumnMap(0, "who", Target.EMAIL), ColumnMap(2, "target", Target.URL)]
    assert columns_from_mapping(good).url == "target"
    twice = [*good, ColumnMap(1, header[1], Target.TIME), ColumnMap(3, header[3], Target.TIME)]
    with pytest.raises(ValidationError, match="Two columns go to 'When they did it'"):
        columns_from_mapping(twice)
    with pytest.raises(ValidationError, match="No column goes to Email"):
        columns_from_mapping(good[1:])
    with pytest.raises(ValidationError, match="what each person did"):
        columns_from_mapping([*good[:1], ColumnMap(1, "when", Target.TIME)])
    code, _, err = _cli(capsys, db_path, "import", str(ODD), "--map", "time=when")
    assert code == 1 and "has no column 'when': use one of 'who'" in err
    code, _, err = _cli(capsys, db_path, "import", str(ODD), "--map", "email")
    assert code == 1 and "write it as FIELD=COLUMN" in err
    code, _, err = _cli(capsys, db_path, "import", str(ODD), "--map", "time=who", "--map",
                        "url=target")  # fmt: skip
    assert code == 1 and "No column goes to Email" in err


def test_times_without_a_zone_are_read_in_the_chosen_zone_and_the_report_says_so(
    db, db_path, now, capsys
) -> None:
    add_lead("ada@example.com", status="subscribed", now=now)
    code, out, err = _cli(
        capsys, db_path, "import", str(ODD), *MAP, "--zone", "Europe/Paris", "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["zone_assumed"] == "Europe/Paris"
    assert "times in odd-columns.csv had no zone: read as Europe/Paris" in report["warning_texts"]
    assert _yeses("ada@example.com") == [("clicked", "2026-06-01T08:00:00")]  # summer: UTC+2
    # the CLI's text says it too
    code, out, _ = _cli(capsys, db_path, "import", str(FORM), "--zone", "America/New_York")
    assert code == 0
    assert "Times had no zone: read as America/New_York." in out
    assert ("answered", "2026-06-13T14:02:49") in _yeses("ada@example.com")  # UTC-4


def test_a_file_whose_times_say_their_zone_assumes_none(db, now) -> None:
    typeform = DATA / "forms" / "typeform-topic-quiz-responses.csv"
    report = import_csv(typeform, ImportOptions(zone="Europe/Paris"), now=now)
    assert isinstance(report, ActivityReport)
    assert report.zone_assumed == "" and report.to_json()["zone_assumed"] is None
    assert report.zone_words == ""
