"""A generic file without a status column says nothing of consent: its people are contacts
unless the owner says they opted in; a file that has a status keeps its own word."""

from __future__ import annotations

import dataclasses

from crm.importing import preview_csv
from crm.importing.mapping import Target
from tests.crm.importing.conftest import DATA, lead, run, timeline, write
from tests.crm.importing.test_cli_imports import _cli

DAY_FIRST = ((4, "dmy"),)  # 'Fecha de alta' holds 04/05/2023: the owner says day first


def _yes_times(email: str) -> list[str]:
    return [str(i.at) for i in timeline(email) if i.kind == "commitment"]


def test_without_a_word_they_are_contacts(db, now) -> None:
    report = run("generic_es.csv", now)
    assert report.statuses == {"none": 2}
    assert lead("ines@example.es").status == "none" and _yes_times("ines@example.es") == []


def test_opted_in_makes_them_subscribers_dated_by_their_sign_up(db, now) -> None:
    report = run("generic_es.csv", now, opted_in=True, date_orders=DAY_FIRST)
    assert report.statuses == {"subscribed": 2} and report.warnings == 0
    ines = lead("ines@example.es")
    assert ines.status == "subscribed" and ines.step == "subscribed"
    assert ines.custom["status_raw"] == "opted in, as the owner said at import"
    assert _yes_times("ines@example.es") == ["2023-05-04 00:00:00"]  # Fecha de alta, d/m


def test_a_status_column_keeps_its_word(db, now, tmp_path) -> None:
    path = write(
        tmp_path,
        "s.csv",
        "email,status,signup date\na@example.com,unsubscribed,2024-01-02\n"
        "b@example.com,subscribed,2024-01-03\n",
    )
    assert not preview_csv(path).asks_consent()
    report = run(path, now, opted_in=True)
    assert report.statuses == {"subscribed": 1, "unsubscribed": 1}
    assert "'opted in' was ignored: this file says itself who opted in" in report.warning_texts
    assert lead("b@example.com").custom["status_raw"] == "subscribed"  # the file's own word


def test_address_books_stay_contacts(db, now) -> None:
    assert not preview_csv(DATA / "google_contacts.csv").asks_consent()
    report = run("google_contacts.csv", now, opted_in=True)
    assert set(report.statuses) == {"none"}
    assert any("an address book never opted in" in w for w in report.warning_texts)


def test_the_preview_says_when_to_ask(db) -> None:
    preview = preview_csv(DATA / "generic_es.csv")
    assert preview.asks_consent()
    assert not preview_csv(DATA / "mailchimp_subscribed.csv").asks_consent()
    with_status = tuple(
        dataclasses.replace(c, target=Target.STATUS) if c.header == "Etiquetas" else c
        for c in preview.mapping
    )
    assert not preview.asks_consent(with_status)


def test_saying_so_later_upgrades_the_contacts(db, now) -> None:
    run("generic_es.csv", now, date_orders=DAY_FIRST)
    again = run("generic_es.csv", now, opted_in=True, date_orders=DAY_FIRST)
    assert again.updated == 2
    assert lead("pedro@example.mx").status == "subscribed"
    assert _yes_times("pedro@example.mx") == ["2023-06-05 00:00:00"]


def test_the_command_line_flag(db_path, capsys) -> None:
    code, out, _ = _cli(
        capsys, "--db", str(db_path), "import", str(DATA / "generic_es.csv"), "--opted-in", "--json"
    )
    assert code == 0 and '"subscribed": 2' in out
