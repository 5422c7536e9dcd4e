"""Outlook.com contacts: the 61-column layout, contacts never subscribers."""

from __future__ import annotations

from tests.crm.importing.conftest import lead, run


def test_outlook_contacts(db, now) -> None:
    report = run("outlook_contacts.csv", now)
    assert report.platform == "outlook" and report.statuses == {"none": 2}
    siobhan = lead("siobhan@example.ie")
    assert (siobhan.first_name, siobhan.last_name) == ("Siobhán", "Ní Bhriain")
    assert siobhan.phone == "+353 87 123 4567"
    assert siobhan.custom["Business Postal Code"] == "D02 X285"
    assert lead("raj.patel@example.co.uk").custom["Birthday"] == "0/0/00"
    assert lead("raj.patel@example.co.uk").status == "none"
