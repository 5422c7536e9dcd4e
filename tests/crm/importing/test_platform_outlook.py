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


def test_without_a_mobile_primary_then_home_then_business_phone(db, now, tmp_path) -> None:
    import csv

    from tests.crm.importing.conftest import DATA, write

    with (DATA / "outlook_contacts.csv").open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    at = {name: header.index(name) for name in header}

    def person(email: str, **phones: str) -> list[str]:
        row = [""] * len(header)
        row[at["E-mail Address"]] = email
        for name, value in phones.items():
            row[at[name.replace("_", " ")]] = value
        return row

    people = [
        person("a@example.com", Home_Phone="111", Business_Phone="222", Mobile_Phone="333"),
        person("b@example.com", Home_Phone="111", Business_Phone="222", Primary_Phone="444"),
        person("c@example.com", Home_Phone="111", Business_Phone="222"),
        person("d@example.com", Business_Phone="222", Company_Main_Phone="999"),
        person("e@example.com", Company_Main_Phone="999"),
    ]
    lines = [",".join(header)] + [",".join(p) for p in people]
    report = run(write(tmp_path, "o.csv", "\n".join(lines) + "\n"), now)
    assert report.platform == "outlook"
    phones = [lead(f"{c}@example.com").phone for c in "abcde"]
    assert phones == ["333", "444", "111", "222", ""]  # never the company's switchboard
    assert lead("c@example.com").custom["Business Phone"] == "222"  # kept as it was
