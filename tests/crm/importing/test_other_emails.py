"""An address book's second and third e-mail: the lead's other addresses, not text."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from crm.book.exporting import lead_data
from crm.book.leads import LeadQuery, add_lead, find_lead, list_leads
from crm.cli import main
from crm.importing.undo import undo_import
from crm.safety.forget import forget_lead
from crm.safety.suppression import is_forgotten
from crm.store.models import database_proxy
from tests.crm.importing.conftest import DATA, lead, run, write


def _outlook(tmp_path: Path, *people: tuple[str, str, str]) -> Path:
    """An Outlook file: (email, E-mail 2 Address, E-mail 3 Address) per contact."""
    with (DATA / "outlook_contacts.csv").open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    at = {name: header.index(name) for name in header}
    lines = [",".join(header)]
    for email, second, third in people:
        row = [""] * len(header)
        row[at["First Name"]] = "Ann"
        row[at["E-mail Address"]] = email
        row[at["E-mail 2 Address"]] = f'"{second}"'
        row[at["E-mail 3 Address"]] = f'"{third}"'
        lines.append(",".join(row))
    return write(tmp_path, "outlook.csv", "\n".join(lines) + "\n")


def _stored() -> list[tuple[str, str]]:
    return database_proxy.execute_sql(
        "SELECT l.email, o.email FROM lead_other_email o JOIN lead l ON l.id = o.lead_id "
        "ORDER BY o.id"
    ).fetchall()


def test_google_second_addresses_are_other_addresses(db, now) -> None:
    report = run("google_contacts.csv", now)
    aiko, bruno = lead("aiko@example.jp"), lead("bruno@example.pt")
    assert aiko.other_emails == ("aiko.t@example.com",)  # the rest of the E-mail 1 cell
    assert bruno.other_emails == ("bruno.silva@work.example.pt",)  # E-mail 2 - Value
    assert "E-mail 2 - Value" not in bruno.custom and "secondary_emails" not in aiko.custom
    assert report.created == 2 and report.warnings == 0


def test_outlook_second_and_third_addresses_checked_one_by_one(db, now, tmp_path) -> None:
    path = _outlook(tmp_path, ("ann@example.com", "ann@work.example; ANN@home.example", "nope"))
    report = run(path, now)
    ann = lead("ann@example.com")
    assert ann.other_emails == ("ann@work.example", "ANN@home.example")  # as written
    # the invalid one is skipped with a warning on its row, its cell kept as text
    assert any("row 1:" in w and "'nope'" in w for w in report.warning_texts)
    assert ann.custom == {"E-mail 3 Address": "nope"}


def test_search_finds_a_lead_by_an_other_address(db, now, tmp_path) -> None:
    run("google_contacts.csv", now)
    found = list_leads(LeadQuery(search="silva@work"))
    assert [r.email for r in found] == ["bruno@example.pt"]
    assert find_lead("Bruno.Silva@work.example.pt").email == "bruno@example.pt"


def test_a_later_file_keyed_on_an_other_address_updates_that_lead(db, now, tmp_path) -> None:
    run("google_contacts.csv", now)
    later = write(tmp_path, "later.csv", "email,company\nbruno.silva@work.example.pt,Silva Lda\n")
    report = run(later, now + dt.timedelta(days=1))
    assert (report.created, report.updated) == (0, 1)
    assert lead("bruno@example.pt").company == "Silva Lda"
    assert database_proxy.execute_sql("SELECT count(*) FROM lead").fetchone()[0] == 2


def test_an_other_address_that_is_another_leads_email_stays_apart(db, now, tmp_path) -> None:
    add_lead("ann@work.example", now=now)
    report = run(_outlook(tmp_path, ("ann@example.com", "ann@work.example", "")), now)
    assert lead("ann@example.com").other_emails == ()
    assert lead("ann@work.example").other_emails == ()
    assert any("row 1:" in w and "kept apart" in w for w in report.warning_texts)
    assert lead("ann@example.com").custom == {"E-mail 2 Address": "ann@work.example"}


def test_reimport_adds_nothing_twice_and_undo_removes_what_it_added(db, now, tmp_path) -> None:
    add_lead("bruno@example.pt", now=now)
    first = run("google_contacts.csv", now + dt.timedelta(hours=1))
    again = run("google_contacts.csv", now + dt.timedelta(hours=2))
    assert again.created == 0 and again.updated == 0
    assert len(_stored()) == 2
    undo_import(first.batch_id, now=now + dt.timedelta(hours=3))
    assert _stored() == []  # the updated lead's address too, not only the created lead's
    assert lead("bruno@example.pt").other_emails == ()


def test_forget_erases_other_addresses_and_they_never_come_back(db, now, tmp_path) -> None:
    run("google_contacts.csv", now)
    bruno = lead("bruno@example.pt")
    assert lead_data(bruno.id)["lead"]["other_emails"] == ["bruno.silva@work.example.pt"]
    forget_lead(bruno.id, now=now)
    assert _stored() == [("aiko@example.jp", "aiko.t@example.com")]
    assert is_forgotten("bruno.silva@work.example.pt")
    later = write(tmp_path, "later.csv", "email\nbruno.silva@work.example.pt\n")
    assert run(later, now + dt.timedelta(days=1)).forgotten == 1


def test_cli_show_lists_other_addresses(db_path, now, capsys) -> None:
    assert main(["--db", str(db_path), "import", str(DATA / "google_contacts.csv")]) == 0
    capsys.readouterr()
    assert main(["--db", str(db_path), "show", "bruno@example.pt", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["lead"]["other_emails"] == ["bruno.silva@work.example.pt"]
    assert main(["--db", str(db_path), "show", "bruno@example.pt"]) == 0
    assert "other emails: bruno.silva@work.example.pt" in capsys.readouterr().out
    assert main(["--db", str(db_path), "leads", "--search", "silva@work", "--json"]) == 0
    assert "bruno@example.pt" in capsys.readouterr().out


def test_leads_imported_before_get_their_other_addresses_on_the_next_import(
    db, now, monkeypatch
) -> None:
    from crm.importing import plan

    # An import by the version before: its fingerprints, and the second address as text.
    monkeypatch.setattr(plan, "FINGERPRINT_VERSION", plan.FINGERPRINT_VERSION - 1)
    run("google_contacts.csv", now)
    monkeypatch.undo()
    fps = database_proxy.execute_sql("SELECT import_fp, id FROM lead").fetchall()
    database_proxy.execute_sql("DELETE FROM lead_other_email")
    database_proxy.execute_sql(
        "UPDATE lead SET custom = json_set(custom, '$.\"E-mail 2 - Value\"', "
        "'bruno.silva@work.example.pt') WHERE email_key = 'bruno@example.pt'"
    )
    database_proxy.execute_sql(
        "UPDATE lead SET custom = json_set(custom, '$.secondary_emails', 'aiko.t@example.com') "
        "WHERE email_key = 'aiko@example.jp'"
    )
    for fp, lead_id in fps:  # as that import left them
        database_proxy.execute_sql("UPDATE lead SET import_fp = ? WHERE id = ?", [fp, lead_id])
    assert all(fp for fp, _ in fps)
    report = run("google_contacts.csv", now + dt.timedelta(days=1))
    assert report.updated == 2 and report.unchanged == 0
    bruno, aiko = lead("bruno@example.pt"), lead("aiko@example.jp")
    assert bruno.other_emails == ("bruno.silva@work.example.pt",)
    assert aiko.other_emails == ("aiko.t@example.com",)
    # the text an earlier import kept is now the address: not kept twice
    assert "E-mail 2 - Value" not in bruno.custom and "secondary_emails" not in aiko.custom
    assert bruno.custom["Birthday"] == "1985-07-30"
    # and undoing that import puts the lead back as it was, text included
    undo_import(report.batch_id, now=now + dt.timedelta(days=2))
    assert lead("bruno@example.pt").other_emails == ()
    assert lead("bruno@example.pt").custom["E-mail 2 - Value"] == "bruno.silva@work.example.pt"


def test_a_generic_files_second_email_column_is_an_other_address(db, now, tmp_path) -> None:
    from crm.importing import preview_csv
    from crm.importing.mapping import Target

    path = write(
        tmp_path,
        "list.csv",
        "Email,Name,Secondary email\nzoe@example.com,Zoe,zoe@home.example\n",
    )
    targets = [c.target for c in preview_csv(path).mapping]
    assert targets == [Target.EMAIL, Target.FULL_NAME, Target.OTHER_EMAIL]
    run(path, now)
    assert lead("zoe@example.com").other_emails == ("zoe@home.example",)
    assert lead("zoe@example.com").custom == {}
