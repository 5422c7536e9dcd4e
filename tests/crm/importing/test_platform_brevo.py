"""Brevo (heuristic): UPPERCASE attributes, semicolons, blocklist and double opt-in."""

from __future__ import annotations

from crm.importing import preview_csv
from tests.crm.importing.conftest import DATA, lead, run


def test_detected_by_heuristics_and_shown_for_confirmation() -> None:
    preview = preview_csv(DATA / "brevo_contacts.csv")
    assert preview.platform == "brevo"
    assert preview.heuristic


def test_brevo_semicolons_blocklist_and_double_opt_in(db, now) -> None:
    report = run("brevo_contacts.csv", now)
    assert report.delimiter == ";"
    assert lead("claire.dupont@example.fr").phone == "+33612345678"
    assert lead("blocked@example.fr").status == "unsubscribed"
    assert lead("blocked@example.fr").custom["status_raw"] == "EMAIL_BLACKLISTED=true"
    assert lead("unconfirmed@example.de").status == "pending"
    assert lead("claire.dupont@example.fr").custom["CONTACT ID"] == "11"
