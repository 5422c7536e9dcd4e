"""The timeline an import writes, and re-imports that add nothing."""

from __future__ import annotations

import datetime as dt

from crm.book.leads import add_lead
from crm.importing import import_csv
from crm.importing.engine import ImportOptions
from crm.store.models import database_proxy
from tests.crm.importing.conftest import DATA, dump_tables, lead, run, timeline, write


def _count(table: str) -> int:
    return database_proxy.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_subscribers_get_a_yes_at_consent_time_and_an_import_event(db, now) -> None:
    run("ghost_members.csv", now)
    items = timeline("renee60@example.com")
    assert [(i.kind, str(i.at)) for i in items] == [
        ("import", str(now)),
        ("commitment", "2019-04-02 14:07:42"),
    ]
    assert items[1].source == "ghost"
    renee = lead("renee60@example.com")
    assert renee.step == "subscribed" and str(renee.last_commitment_at) == "2019-04-02 14:07:42"
    assert items[0].data["batch_id"] is not None


def test_reimport_is_idempotent(db, now) -> None:
    first = run("mailchimp_subscribed.csv", now)
    counts = {t: _count(t) for t in ("lead", "commitment", "lead_event", "lead_tag")}
    leads_before = dump_tables(skip=("import_batch",))
    second = run("mailchimp_subscribed.csv", now + dt.timedelta(days=30))
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
    assert {t: _count(t) for t in counts} == counts
    assert dump_tables(skip=("import_batch",)) == leads_before


def test_next_months_export_adds_only_what_is_new(db, now, tmp_path) -> None:
    header = "email,status,created_at,first_name,subscribed_to_emails,complimentary_plan\n"
    first = write(tmp_path, "a.csv", header + "a@example.com,,2024-01-01T00:00:00Z,A,true,false\n")
    run(first, now)
    second = write(
        tmp_path,
        "b.csv",
        header
        + "a@example.com,,2024-01-01T00:00:00Z,A,true,false\n"
        + "b@example.com,,2024-02-01T00:00:00Z,B,true,false\n",
    )
    report = run(second, now)
    assert (report.created, report.unchanged) == (1, 1)
    assert _count("commitment") == 2


def test_a_contact_becoming_a_subscriber_gets_a_status_event(db, now) -> None:
    add_lead("renee60@example.com", first_name="Renée", now=now - dt.timedelta(days=400))
    report = run("ghost_members.csv", now)
    assert report.updated == 1
    renee = lead("renee60@example.com")
    assert renee.status == "subscribed" and renee.last_name == "Dubois"
    kinds = [(i.kind, str(i.at)) for i in timeline(renee.email)]
    assert ("status", "2019-04-02 14:07:42") in kinds
    assert ("commitment", "2019-04-02 14:07:42") in kinds
    update = next(i for i in timeline(renee.email) if i.kind == "import")
    assert update.summary.startswith("Updated from Ghost:") and "last name" in update.summary


def test_optional_tag_for_everyone_and_dry_run_writes_nothing(db, now) -> None:
    before = dump_tables()
    dry = import_csv(
        DATA / "kit_subscribers.csv", ImportOptions(tag="Spring fair", dry_run=True), now=now
    )
    assert dry.batch_id is None and dry.created == 3
    assert dump_tables() == before
    real = import_csv(DATA / "kit_subscribers.csv", ImportOptions(tag="Spring fair"), now=now)
    assert (real.created, real.updated, real.unchanged) == (dry.created, 0, 0)
    assert "Spring fair" in lead("nia@example.com").tags


def test_an_undated_unsubscribe_is_dated_at_the_import_and_outlasts_older_subscribes(
    db, now, tmp_path
) -> None:
    # EmailOctopus says who unsubscribed but not when: only the sign-up date is known.
    header = "Email address,First name,Status,Created at\n"
    run(
        write(tmp_path, "a.csv", header + "ada@example.com,Ada,UNSUBSCRIBED,2023-01-01 09:00:00\n"),
        now,
    )
    status = [(i.kind, str(i.at)) for i in timeline("ada@example.com") if i.kind == "status"]
    assert status == [("status", str(now))]
    # An old export from another platform, signed up after that sign-up but before this
    # import: not newer than the unsubscribe, which stands.
    old = write(tmp_path, "b.csv", header + "ada@example.com,Ada,SUBSCRIBED,2024-05-01 09:00:00\n")
    run(old, now + dt.timedelta(days=1))
    assert lead("ada@example.com").status == "unsubscribed"


def test_each_csv_of_a_zip_is_the_source_of_what_it_writes(db, now, tmp_path) -> None:
    import zipfile

    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.write(DATA / "ghost_members.csv", "a.csv")
        z.write(DATA / "kit_subscribers.csv", "b.csv")
    report = run(path, now)
    assert report.platform == "ghost+kit"
    for email, source in (("renee60@example.com", "ghost"), ("priya@example.in", "kit")):
        assert lead(email).source == source
        assert [i.source for i in timeline(email) if i.kind == "commitment"] == [source]
