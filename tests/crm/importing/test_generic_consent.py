"""A generic file without a status column says nothing of consent: its people are contacts
unless the owner says they opted in; a file that has a status keeps its own word."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from crm.asking.due import todays_asks
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


# --- a yes/no consent column ----------------------------------------------------------

CONSENT_FILES = [
    ("Newsletter", "ja", "nein"),
    ("Einwilligung", "Ja", "Nein"),
    ("Abonniert", "1", "0"),
    ("Opt-in", "yes", "no"),
    ("Consent", "Y", "N"),
    ("Marketing", "true", "false"),
    ("Newsletter abonniert", "x", "nein"),
    ("Consentement", "oui", "non"),
    ("Suscrito", "Sí", "No"),
    ("accepts_email_marketing", "TRUE", "FALSE"),
]


def _consent_file(tmp_path, header: str, yes: str, no: str):
    return write(
        tmp_path,
        "liste.csv",
        f"E-Mail,Vorname,{header}\nja@example.de,Jana,{yes}\nnein@example.de,Nils,{no}\n"
        "leer@example.de,Lea,\n",
    )


@pytest.mark.parametrize(("header", "yes", "no"), CONSENT_FILES)
def test_a_yes_no_consent_column_is_proposed_as_the_status(tmp_path, db, header, yes, no) -> None:
    preview = preview_csv(_consent_file(tmp_path, header, yes, no))
    column = preview.mapping[2]
    assert column.target is Target.STATUS and column.parse == "consent"
    assert not preview.asks_consent()


@pytest.mark.parametrize(("header", "yes", "no"), CONSENT_FILES)
def test_yes_subscribes_no_unsubscribes_blank_says_nothing(
    db, now, tmp_path, header, yes, no
) -> None:
    report = run(_consent_file(tmp_path, header, yes, no), now)
    assert report.statuses == {"subscribed": 1, "unsubscribed": 1, "none": 1}
    assert lead("ja@example.de").status == "subscribed"
    assert lead("ja@example.de").custom["status_raw"] == f"{header}={yes}"
    assert lead("nein@example.de").status == "unsubscribed"
    unsubscribed = [i for i in timeline("nein@example.de") if i.kind == "status"]
    assert [str(i.at) for i in unsubscribed] == [now.strftime("%Y-%m-%d %H:%M:%S")]
    assert lead("leer@example.de").status == "none"
    invited = {item.email for item in todays_asks(now + dt.timedelta(days=30))}
    assert "nein@example.de" not in invited


def test_a_consent_column_mapped_by_hand_reads_no_as_an_unsubscribe(db, now, tmp_path) -> None:
    path = _consent_file(tmp_path, "Newsletter", "ja", "nein")
    preview = preview_csv(path)
    by_hand = tuple(
        c.retarget(Target.CUSTOM).retarget(Target.STATUS) if c.header == "Newsletter" else c
        for c in preview.mapping
    )
    assert by_hand[2].parse == ""
    report = run(path, now, mapping=by_hand)
    assert report.statuses == {"subscribed": 1, "unsubscribed": 1, "none": 1}


def test_a_newsletter_column_of_other_words_stays_a_custom_field(db, now, tmp_path) -> None:
    path = write(
        tmp_path, "n.csv", "email,Newsletter\na@example.com,Weekly\nb@example.com,Monthly\n"
    )
    preview = preview_csv(path)
    assert preview.mapping[1].target is Target.CUSTOM and preview.asks_consent()
    assert run(path, now).statuses == {"none": 2}


def test_a_negative_column_unsubscribes_on_yes_and_says_nothing_on_no(db, now, tmp_path) -> None:
    path = write(
        tmp_path,
        "u.csv",
        "email,Newsletter abgemeldet\na@example.com,ja\nb@example.com,nein\n",
    )
    assert preview_csv(path).mapping[1].parse == "consent-negated"
    report = run(path, now)
    assert report.statuses == {"unsubscribed": 1, "none": 1}


def test_opted_in_is_ignored_when_a_consent_column_says_it(db, now, tmp_path) -> None:
    report = run(_consent_file(tmp_path, "Newsletter", "ja", "nein"), now, opted_in=True)
    assert report.statuses == {"subscribed": 1, "unsubscribed": 1, "none": 1}
    assert "'opted in' was ignored: this file says itself who opted in" in report.warning_texts


def test_excel_s_german_list_with_its_newsletter_column(db, now) -> None:
    report = run(DATA / "messy" / "semicolon_excel_de.csv", now)
    assert report.statuses == {"subscribed": 8, "unsubscribed": 2}
    assert lead("anna.schmidt@example.com").status == "subscribed"
    assert _yes_times("anna.schmidt@example.com") == ["2023-02-03 14:05:00"]  # Angemeldet am
    assert lead("helene.garnier@example.com").status == "unsubscribed"
    assert _yes_times("helene.garnier@example.com") == []
