"""Routing: a file every member of which is activity is an activity import; a ZIP with
member lists beside its activity imports the lists first, then the activity, as one
batch of kind 'mixed'; anything else is the subscriber import, as before."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from crm.book.leads import find_lead
from crm.importing import ImportOptions, ImportReport, import_csv
from crm.importing.activity.detect import activity_sources, plan_sources
from crm.importing.activity.report import ActivityReport
from crm.importing.decoding import sources_for
from crm.importing.undo import undo_import
from crm.store.models import database_proxy
from tests.crm.importing.activity.apply_helpers import HEADER, run_activity, use_simple_reader
from tests.crm.importing.conftest import DATA, dump_tables, run

CLICKS = (
    ",".join(HEADER)
    + "\n"
    + "\n".join(
        [
            "lena.hoffmann@example.org,2024-03-12 09:04:50,clicked,https://example.com/guide",
            "mateo.garcia@studio.example.com,2024-03-12 09:05:00,opened,",
            "nobody@example.com,2024-03-12 09:06:00,clicked,https://example.com/guide",
        ]
    )
)
CAMPAIGNS = "Title,Subject,Send Date\nSpring letter,Spring letter,2024-03-12\n"


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def _zip(tmp_path: Path, members: dict[str, str]) -> Path:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _members() -> str:
    return (DATA / "mailchimp_subscribed.csv").read_text(encoding="utf-8")


def test_a_zip_with_lists_and_activity_is_one_mixed_batch(db, now, tmp_path) -> None:
    path = _zip(
        tmp_path,
        {
            "123/lists/members/members_1_news.csv": _members(),
            "123/activity/clicks.csv": CLICKS,
            "123/campaigns.csv": CAMPAIGNS,
        },
    )
    report = run_activity(path, now)
    assert report.kind == "mixed"
    assert report.subscribers is not None and report.subscribers.created == 5
    # the activity sees the people the lists brought in the same run
    assert report.events == {"clicked": 1, "opened": 1}
    assert report.skipped == {"unknown_email": 1}
    assert any("123/campaigns.csv" in w for w in report.warning_texts)
    out = report.to_json()
    assert out["kind"] == "mixed" and out["batch"] == report.batch_id
    assert out["statuses"] == {"subscribed": 5}  # the subscriber report's keys
    assert out["subscriber_rows"] == 6 and out["activity_rows"] == 3
    assert database_proxy.execute_sql("SELECT id, kind FROM import_batch").fetchall() == [
        (report.batch_id, "mixed")
    ]
    assert find_lead("lena.hoffmann@example.org").level == 2


def test_a_mixed_zip_imported_with_the_owner_s_mapping_keeps_its_activity(
    db, now, tmp_path
) -> None:
    # the import window and ``import --map`` pass the member list's mapping
    from crm.importing import preview_csv

    path = _zip(
        tmp_path,
        {"lists/members/members_1_news.csv": _members(), "activity/clicks.csv": CLICKS},
    )
    preview = preview_csv(path)
    assert (preview.sources, preview.activity_sources) == (1, 1)
    assert not any("all of them are imported" in w for w in preview.warnings)
    report = run_activity(path, now, mapping=preview.mapping)
    assert report.kind == "mixed" and report.events == {"clicked": 1, "opened": 1}
    assert report.subscribers is not None and report.subscribers.created == 5
    # a platform named by the owner still reads every file as a list of people
    assert not isinstance(
        import_csv(path, ImportOptions(platform="generic", mapping=preview.mapping), now=now),
        ActivityReport,
    )


def test_undoing_a_mixed_batch_removes_both_parts(db, now, tmp_path) -> None:
    before = dump_tables(skip=("import_batch",))
    path = _zip(
        tmp_path,
        {"lists/members/members_1_news.csv": _members(), "activity/clicks.csv": CLICKS},
    )
    report = run_activity(path, now)
    undo_import(report.batch_id, now=now)
    assert dump_tables(skip=("import_batch",)) == before


def test_a_dry_run_of_a_mixed_zip_counts_the_activity_of_its_new_people(db, now, tmp_path) -> None:
    path = _zip(
        tmp_path,
        {"lists/members/members_1_news.csv": _members(), "activity/clicks.csv": CLICKS},
    )
    before = dump_tables()
    dry = run_activity(path, now, dry_run=True)
    assert dry.events == {"clicked": 1, "opened": 1} and dry.batch_id is None
    assert dump_tables() == before


def test_a_zip_of_activity_only_is_an_activity_batch(db, now, tmp_path) -> None:
    path = _zip(tmp_path, {"a/clicks.csv": CLICKS, "b/clicks.csv": CLICKS})
    report = run_activity(path, now)
    assert report.kind == "activity"
    assert report.skipped == {"unknown_email": 6}


def test_a_subscriber_file_is_imported_as_before(db, now) -> None:
    report = run("mailchimp_subscribed.csv", now)
    assert type(report) is ImportReport
    assert report.created == 5
    kind = database_proxy.execute_sql("SELECT kind FROM import_batch").fetchone()[0]
    assert kind == "subscribers"


def test_a_zip_without_activity_members_is_the_subscriber_import(tmp_path) -> None:
    path = _zip(tmp_path, {"lists/members.csv": _members()})
    plan = plan_sources(path)
    assert plan.kind == "subscribers" and plan.activity == []
    assert [s.member for s in plan.subscribers] == ["lists/members.csv"]


def test_activity_sources_names_each_sources_reader(tmp_path) -> None:
    path = _zip(tmp_path, {"lists/members.csv": _members(), "clicks.csv": CLICKS})
    found = activity_sources(sources_for(path))
    assert [(s.member, m.PLATFORM) for s, m in found] == [("clicks.csv", "simple_activity")]


def test_a_file_of_activity_is_never_taken_for_a_list_of_people(db, now, tmp_path) -> None:
    path = tmp_path / "clicks.csv"
    path.write_text(CLICKS, encoding="utf-8")
    report = run_activity(path, now)
    assert isinstance(report, ActivityReport)
    assert report.created == 0


def test_a_mixed_zip_whose_lists_are_empty_is_still_one_mixed_batch(db, now, tmp_path) -> None:
    header = _members().splitlines()[0] + "\n"
    path = _zip(tmp_path, {"lists/members/members_1_news.csv": header, "clicks.csv": CLICKS})
    report = run_activity(path, now)
    assert report.kind == "mixed"
    assert database_proxy.execute_sql("SELECT kind FROM import_batch").fetchall() == [("mixed",)]
