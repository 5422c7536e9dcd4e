"""Unverified layouts (MailerLite, Brevo, Kit, EmailOctopus, Flodesk): detected by
heuristics, and the preview flags them for the user to confirm the mapping."""

from __future__ import annotations

import pytest

from crm.importing import preview_csv
from crm.importing.mapping import Target
from tests.crm.importing.conftest import DATA, lead, run


@pytest.mark.parametrize(
    ("name", "platform"),
    [
        ("mailerlite_subscribers.csv", "mailerlite"),
        ("brevo_contacts.csv", "brevo"),
        ("kit_subscribers.csv", "kit"),
        ("emailoctopus_contacts.csv", "emailoctopus"),
        ("flodesk_subscribers.csv", "flodesk"),
        ("generic_es.csv", "generic"),
    ],
)
def test_heuristic_platforms_ask_for_confirmation(name: str, platform: str) -> None:
    preview = preview_csv(DATA / name)
    assert preview.platform == platform
    assert preview.heuristic


def test_mailerlite(db, now) -> None:
    preview = preview_csv(DATA / "mailerlite_subscribers.csv")
    assert preview.mapping[0].target is Target.EMAIL  # 'Subscriber' holds the address
    run("mailerlite_subscribers.csv", now)
    jose = lead("jose.garcia@example.es")
    assert (jose.first_name, jose.last_name, jose.phone) == ("José", "García", "+34 600 000 000")
    assert jose.tags == ("Clientes", "VIP") and jose.status == "subscribed"


def test_brevo_semicolons_blocklist_and_double_opt_in(db, now) -> None:
    report = run("brevo_contacts.csv", now)
    assert report.delimiter == ";"
    assert lead("claire.dupont@example.fr").phone == "+33612345678"
    assert lead("blocked@example.fr").status == "unsubscribed"
    assert lead("blocked@example.fr").custom["status_raw"] == "EMAIL_BLACKLISTED=true"
    assert lead("unconfirmed@example.de").status == "pending"
    assert lead("claire.dupont@example.fr").custom["CONTACT ID"] == "11"


def test_kit(db, now) -> None:
    run("kit_subscribers.csv", now)
    assert lead("priya@example.in").tags == ("Lead magnet", "Webinar 2024")
    assert lead("tomas@example.mx").status == "unsubscribed"
    assert lead("nia@example.com").status == "pending"


def test_emailoctopus(db, now) -> None:
    report = run("emailoctopus_contacts.csv", now)
    assert report.statuses == {"pending": 1, "subscribed": 1, "unsubscribed": 1}
    assert lead("lukas@example.at").tags == ("Kunde",)


def test_flodesk(db, now) -> None:
    run("flodesk_subscribers.csv", now)
    assert lead("maya@example.com").tags == ("Clients", "Workshop")
    assert lead("old@example.com").status == "unsubscribed"  # archived
    assert lead("gone@example.com").status == "bounced"  # cleaned


def test_a_named_platform_overrides_detection(db, now) -> None:
    report = run("kit_subscribers.csv", now, platform="generic")
    assert report.platform == "generic" and report.platform_label == "Generic CSV"
    # Generic synonyms still find the names and a status column's words.
    priya = lead("priya@example.in")
    assert (priya.first_name, priya.status, priya.source) == ("Priya", "subscribed", "generic")
