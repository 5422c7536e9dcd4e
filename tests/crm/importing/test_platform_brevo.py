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


def test_without_an_sms_number_whatsapp_then_the_landline_is_the_phone(db, now, tmp_path) -> None:
    from tests.crm.importing.conftest import write

    text = (
        "CONTACT ID;EMAIL;FIRSTNAME;SMS;LANDLINE_NUMBER;WHATSAPP\n"
        "1;a@example.fr;A;+33611111111;+33122222222;+33633333333\n"
        "2;b@example.fr;B;;+33122222222;+33633333333\n"
        "3;c@example.fr;C;;+33122222222;\n"
    )
    run(write(tmp_path, "b.csv", text), now)
    assert [lead(f"{c}@example.fr").phone for c in "abc"] == [
        "+33611111111",
        "+33633333333",
        "+33122222222",
    ]
    assert lead("b@example.fr").custom["WHATSAPP"] == "+33633333333"  # kept as it was


def test_added_time_is_the_sign_up_time(db, now) -> None:
    from tests.crm.importing.conftest import timeline

    run("brevo_contacts.csv", now)
    yes = [str(i.at) for i in timeline("claire.dupont@example.fr") if i.kind == "commitment"]
    assert yes == ["2023-02-03 04:05:06"]
