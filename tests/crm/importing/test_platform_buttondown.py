"""Buttondown subscriber export: status vocabulary, ';' tags, Python-repr metadata."""

from __future__ import annotations

from tests.crm.importing.conftest import lead, run, timeline


def test_statuses_follow_the_table(db, now) -> None:
    report = run("buttondown_subscribers.csv", now)
    assert report.platform == "buttondown"
    assert report.statuses == {
        "bounced": 1,
        "complained": 1,
        "pending": 1,
        "subscribed": 2,
        "unsubscribed": 1,
    }
    assert lead("agnieszka.wisniewski@studio.example.com").status == "bounced"
    assert lead("complainer@example.org").status == "complained"
    assert lead("waiting@example.org").status == "pending"
    assert lead("mai.le@example.org").custom["status_raw"] == "premium"


def test_metadata_names_and_fields_are_read_as_literals_only(db, now) -> None:
    report = run("buttondown_subscribers.csv", now)
    eleni = lead("eleni.georgiou@studio.example.com")
    assert (eleni.first_name, eleni.last_name) == ("Ελένη", "Γεωργίου")
    agnieszka = lead("agnieszka.wisniewski@studio.example.com")
    assert agnieszka.custom["role"] == "writer" and agnieszka.custom["staff"] == "True"
    # A call in the metadata is not run: the cell is kept as text with a warning.
    waiting = lead("waiting@example.org")
    assert waiting.custom["metadata"].startswith("{'first_name': __import__")
    assert waiting.first_name == ""
    assert any("metadata" in w for w in report.warning_texts)


def test_tags_split_on_semicolons_and_dates_with_offsets(db, now) -> None:
    run("buttondown_subscribers.csv", now)
    soren = lead("soren.weiss@example.com")
    assert soren.tags == ("Customer", "Kunde")
    items = timeline(soren.email)
    assert [str(i.at) for i in items if i.kind == "commitment"] == ["2019-01-07 12:21:54"]
    assert [str(i.at) for i in items if i.kind == "status"] == ["2023-02-03 04:05:06"]
    assert lead("mai.le@example.org").notes == "Met in Porto."
