"""Mailchimp: subscribed, unsubscribed, cleaned, legacy files and the export ZIP."""

from __future__ import annotations

import zipfile

from crm.book.leads import list_leads
from crm.importing import preview_csv
from crm.importing.undo import list_imports
from tests.crm.importing.conftest import DATA, MESSY, lead, run, timeline


def test_subscribed_file_maps_without_asking(db, now) -> None:
    preview = preview_csv(DATA / "mailchimp_subscribed.csv")
    assert (preview.platform, preview.heuristic) == ("mailchimp", False)
    assert preview.platform_label == "Mailchimp (subscribed)"
    report = run("mailchimp_subscribed.csv", now)
    assert (report.created, report.rejected) == (5, 1)
    assert report.errors[0].row == 5 and "no @" in report.errors[0].reason
    mateo = lead("mateo.garcia@studio.example.com")
    assert mateo.email == "Mateo.Garcia@Studio.example.com"  # kept as typed
    assert (mateo.first_name, mateo.last_name, mateo.company) == (
        "Mateo",
        "García",
        'Studio "Nord"',
    )
    assert mateo.notes == "Met at the fair.\nWants the spring workshop."
    assert mateo.tags == ("VIP", "Workshop, Spring 2024")  # the CSV-in-a-cell tag list
    assert mateo.status == "subscribed" and mateo.source == "mailchimp"
    assert mateo.custom["ZIP Code"] == "1010" and mateo.custom["LEID"] == "414882775"
    assert mateo.custom["status_raw"] == "subscribed"


def test_consent_is_confirm_time_else_optin_time(db, now) -> None:
    run("mailchimp_subscribed.csv", now)
    yes = [i for i in timeline("lena.hoffmann@example.org") if i.kind == "commitment"]
    assert [(i.step, str(i.at)) for i in yes] == [("subscribed", "2021-03-15 05:10:45")]
    yes = [i for i in timeline("mateo.garcia@studio.example.com") if i.kind == "commitment"]
    assert [str(i.at) for i in yes] == ["2022-07-13 10:16:33"]  # no CONFIRM_TIME: opt-in
    anna = lead("asokolova@example.com")
    assert anna.first_name == "Анна"  # stray spaces trimmed
    assert anna.custom["ZIP Code"] == "02139"  # leading zero kept: text


def test_unsubscribed_and_cleaned_files_give_status_events_at_their_dates(db, now) -> None:
    run("mailchimp_unsubscribed.csv", now)
    run("mailchimp_cleaned.csv", now)
    soren = lead("soren.weiss@example.com")
    assert soren.status == "unsubscribed"
    assert soren.custom["UNSUB_REASON"] == "I no longer want to receive these emails"
    status = [i for i in timeline("soren.weiss@example.com") if i.kind == "status"]
    assert [str(i.at) for i in status] == ["2023-05-06 07:08:09"]
    yes = [i for i in timeline("soren.weiss@example.com") if i.kind == "commitment"]
    assert [str(i.at) for i in yes] == ["2020-01-02 10:05:00"]  # they did subscribe, once
    bounced = lead("bounce.me@example.org")
    assert bounced.status == "bounced" and bounced.custom["status_raw"] == "cleaned"
    status = [i for i in timeline("bounce.me@example.org") if i.kind == "status"]
    assert [str(i.at) for i in status] == ["2022-10-10 10:10:10"]


def test_legacy_layout_with_email_type_and_quoted_dates(db, now) -> None:
    report = run("mailchimp_legacy_emailtype.csv", now)
    assert report.platform == "mailchimp" and report.created == 2
    olafur = lead("olafur@example.is")
    assert (olafur.first_name, olafur.last_name) == ("Ólafur", "Þórsson")
    assert olafur.custom["EMAIL_TYPE"] == "html"


def test_export_zip_imports_its_three_files_as_one_batch(db, now, tmp_path) -> None:
    archive = tmp_path / "members_export_3f2a1b0c9d.zip"
    with zipfile.ZipFile(archive, "w") as z:
        # Names are not trusted: the columns decide which file is which.
        z.write(DATA / "mailchimp_subscribed.csv", "a.csv")
        z.write(DATA / "mailchimp_unsubscribed.csv", "b.csv")
        z.write(DATA / "mailchimp_cleaned.csv", "c.csv")
        z.writestr("readme.html", "<p>hi</p>")
    report = run(archive, now)
    assert report.platform == "mailchimp"
    assert report.created == 8 and report.rejected == 1
    assert report.errors[0].reason.startswith("a.csv: ")
    assert report.statuses == {"bounced": 1, "subscribed": 5, "unsubscribed": 2}
    assert len(list_leads()) == 8
    assert [(b.id, b.created, b.rejected) for b in list_imports()] == [(report.batch_id, 8, 1)]


def test_shared_fixture_with_bom(db, now) -> None:
    report = run(MESSY / "utf8_bom_mailchimp.csv", now)
    assert report.platform == "mailchimp" and report.rejected == 0
    assert lead("jose.garcia@example.com").first_name == "José"
