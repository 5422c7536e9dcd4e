"""Google Contacts, current and legacy: contacts, never subscribers."""

from __future__ import annotations

from tests.crm.importing.conftest import lead, run, timeline


def test_google_contacts(db, now) -> None:
    report = run("google_contacts.csv", now)
    assert report.platform == "google" and report.statuses == {"none": 2}
    aiko = lead("aiko@example.jp")
    assert aiko.status == "none" and aiko.source == "google"
    assert aiko.other_emails == ("aiko.t@example.com",) and "secondary_emails" not in aiko.custom
    assert aiko.phone == "+81 90 1234 5678"
    assert aiko.tags == ("Clients", "starred")  # '* myContacts' dropped
    assert aiko.company == "Sakura Design"
    assert aiko.custom["Birthday"] == "--04-12"
    assert aiko.notes == "Met at Tokyo meetup.\nLikes tea."
    assert not [i for i in timeline(aiko.email) if i.kind == "commitment"]


def test_google_legacy_layout(db, now) -> None:
    report = run("google_contacts_legacy.csv", now)
    assert report.platform == "google"
    dagny = lead("dagny@example.se")
    assert (dagny.first_name, dagny.last_name, dagny.company) == ("Dagny", "Lind", "Lind AB")
    assert dagny.tags == ("Friends",)
