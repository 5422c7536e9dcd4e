"""Google Forms responses: one answer per response, local times, localised columns."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from crm.errors import ImportFormatError
from crm.importing.activity import google_forms
from crm.importing.activity.responses import NO_EMAIL
from crm.importing.activity.rows import Action, Answer
from crm.importing.decoding import Source, detect_decoding, open_text, sources_for
from crm.importing.records import RecordReader
from tests.crm.importing.activity.forms_support import (
    BODIES,
    FORMS,
    OTHER_HEADERS,
    SUBSCRIBER_EXPORTS,
    answered,
    header_line,
    headers_of,
    never_raises_but_format_errors,
    read_all,
    reader_of,
    reasons,
    write,
)

EN = FORMS / "Topic survey (Responses) - Form Responses 1.csv"
FR = FORMS / "Sondage thèmes (réponses) - Réponses au formulaire 1.csv"
HEADER = "Timestamp,Email Address,Which topic interests you more?\n"


def test_en_us_sheet_gives_one_local_answer_per_response() -> None:
    rows = read_all(google_forms, EN)
    got = answered(rows)
    assert len(rows) == len(got) == 27  # EXPECTED.json: rows 27, answered 27
    assert {r.action for r in got} == {Action.ANSWERED}
    assert all(r.at_is_local for r in got)
    assert {r.campaign for r in got} == {"Topic survey"}
    assert {r.platform for r in got} == {"google_forms"}
    assert len({r.key for r in got}) == 27
    jose = next(r for r in got if r.email == "jose.nunez@example.com")
    # 10:04:07 New York wall clock: 14:04:07 UTC once the import applies the zone.
    assert jose.at == dt.datetime(2024, 5, 28, 10, 4, 7)
    assert jose.answers == (
        Answer("Which topic interests you more?", "Pricing"),
        Answer("Anything else you'd like to tell me?", "Love the checklists"),
    )
    assert jose.key == "google_forms|jose.nunez@example.com|2024-05-28T10:04:07"
    assert got[0].at == dt.datetime(2024, 5, 14, 10, 2, 49)
    assert got[3].email == "LARS.SOLER@EXAMPLE.ORG"  # as written; the import lower-cases
    assert got[3].at == dt.datetime(2024, 5, 15, 5, 33, 10)  # an hour without padding
    assert got[1].answers[1] == Answer(
        "Which formats do you like?", "Long guides, Video walkthroughs, Templates"
    )
    assert got[1].answers[2].answer == "Line one\nline two of a longer answer"
    assert [r.row for r in got] == list(range(1, 28))


def test_french_excel_resave_reads_the_same() -> None:
    source = sources_for(FR)[0]
    decoding = detect_decoding(source)
    assert decoding.name == "Windows-1252"
    with open_text(source, decoding) as stream:
        assert RecordReader(stream).delimiter == ";"
    rows = read_all(google_forms, FR)
    got = answered(rows)
    assert len(got) == 15 and not reasons(rows)
    # One response pasted twice: the same key, so the import counts 14 and one duplicate.
    assert len({r.key for r in got}) == 14
    assert {r.campaign for r in got} == {"Sondage thèmes"}
    amelie = next(r for r in got if r.email == "amelie.dubois@example.fr")
    # 17:46:20 Paris wall clock (15:46:20 UTC): day first, as the values say.
    assert amelie.at == dt.datetime(2024, 5, 25, 17, 46, 20) and amelie.at_is_local
    assert amelie.answers[0] == Answer("Quel thème vous intéresse le plus ?", "Tarifs")
    assert got[1].answers[0].answer == "Productivité"
    assert got[-1].at == dt.datetime(2024, 6, 4, 18, 41, 21)


@pytest.mark.parametrize("path", [EN, FR], ids=["en", "fr"])
def test_recognises_both_samples(path: Path) -> None:
    assert google_forms.recognises("", headers_of(path))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_taken_for_a_form(path: Path) -> None:
    assert not google_forms.recognises("", headers_of(path))


@pytest.mark.parametrize("name", sorted(set(OTHER_HEADERS) - {"google forms", "google forms fr"}))
def test_no_other_activity_format_is_taken_for_a_form(name: str) -> None:
    headers = header_line(OTHER_HEADERS[name])
    assert not google_forms.recognises("", headers)
    assert not google_forms.recognises("8814021/granular_activity/opens/1_x.csv", headers)


@pytest.mark.parametrize("line", ["Timestamp,Email", "Timestamp,Email,Url", "Timestamp"])
def test_a_timestamped_list_with_no_question_is_not_a_form(line: str) -> None:
    # Mailchimp's opens and clicks with their columns in another order.
    assert not google_forms.recognises("", header_line(line))


@pytest.mark.parametrize(
    "line",
    [
        "Marca temporal,Dirección de correo electrónico,¿Qué tema?",
        "Zeitstempel,E-Mail-Adresse,Welches Thema?",
        "Timestamp,Which topic interests you more?",
        "Timestamp,Score,Email Address,Q1",
    ],
)
def test_recognises_other_languages_and_forms_without_email(line: str) -> None:
    assert google_forms.recognises("", header_line(line))


def test_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert read_all(google_forms, write(tmp_path, "f.csv", HEADER)) == []


def test_nul_byte_is_a_format_error(tmp_path: Path) -> None:
    path = write(tmp_path, "f.csv", HEADER.encode() + b"5/14/2024 9:03:27,a@x.org,\x00\n")
    with pytest.raises(ImportFormatError):
        read_all(google_forms, path)


def test_not_a_responses_sheet_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="Timestamp"):
        read_all(google_forms, write(tmp_path, "f.csv", "email,name\na@x.org,A\n"))


def test_empty_email_and_bad_time_are_rejected_with_reasons(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "f.csv",
        HEADER + "5/14/2024 9:03:27,,Pricing\n13/13/2024 9:03:27,b@x.org,Pricing\n"
        ",c@x.org,Pricing\n5/14/2024 9:05:00,d@x.org,\n",
    )
    rows = read_all(google_forms, path)
    assert reasons(rows) == {
        NO_EMAIL: 1,
        "the time '13/13/2024 9:03:27' is not a date": 1,
        "the response has no time": 1,
    }
    (ok,) = answered(rows)
    # A submitted form with every question left empty is still an answer.
    assert ok.email == "d@x.org" and ok.answers == () and ok.row == 4


def test_day_first_sheet_named_in_english_is_read_day_first(tmp_path: Path) -> None:
    # en-GB writes 'Timestamp' too: the first value past the 12th decides.
    body = HEADER + "03/05/2024 10:00:00,a@x.org,A\n" * 3 + "25/05/2024 10:00:00,b@x.org,B\n"
    got = answered(read_all(google_forms, write(tmp_path, "f.csv", body)))
    assert got[0].at == dt.datetime(2024, 5, 3, 10, 0, 0)
    assert got[-1].at == dt.datetime(2024, 5, 25, 10, 0, 0)


def test_undecided_times_follow_the_language_of_the_label(tmp_path: Path) -> None:
    en = write(tmp_path, "a.csv", HEADER + "3/5/2024 1:00:00,a@x.org,A\n")
    fr = write(tmp_path, "b.csv", "Horodateur;Adresse e-mail;Q\n03/05/2024 01:00:00;a@x.org;A\n")
    assert answered(read_all(google_forms, en))[0].at == dt.datetime(2024, 3, 5, 1, 0, 0)
    assert answered(read_all(google_forms, fr))[0].at == dt.datetime(2024, 5, 3, 1, 0, 0)


@pytest.mark.parametrize(
    ("written", "at", "local"),
    [
        ("5/14/2024 9:03:27", dt.datetime(2024, 5, 14, 9, 3, 27), True),
        ("18/05/2024 09:45", dt.datetime(2024, 5, 18, 9, 45), True),  # Excel drops seconds
        ("14.05.2024 10:02:49", dt.datetime(2024, 5, 14, 10, 2, 49), True),
        ("2024-05-14 10:02:49", dt.datetime(2024, 5, 14, 10, 2, 49), True),
        ("2024/05/14 9:03:27 PM GMT-4", dt.datetime(2024, 5, 15, 1, 3, 27), False),
        ("2024/05/14 12:03:27 AM GMT+5:30", dt.datetime(2024, 5, 13, 18, 33, 27), False),
        ("5/14/2024 12:30:00 PM", dt.datetime(2024, 5, 14, 12, 30), True),
        ("2024-05-14T10:02:49Z", dt.datetime(2024, 5, 14, 10, 2, 49), False),
        ("2024-05-14 10:02:49 UTC", dt.datetime(2024, 5, 14, 10, 2, 49), False),
    ],
)
def test_time_forms(written: str, at: dt.datetime, local: bool) -> None:
    order = "dmy" if written.startswith("18") else "mdy"
    assert google_forms.parse_stamp(written, order) == (at, local)


@pytest.mark.parametrize(
    "written",
    [
        "13:00 PM",
        "5/14/2024 13:00:00 PM",
        "GMT+2",
        "soon",
        "5/14/2024 9:03:27 GMT+15",
        "0001/01/01 0:00:00 GMT+9",
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_times_that_are_not_dates(written: str) -> None:
    with pytest.raises(ValueError):
        google_forms.parse_stamp(written, "mdy")


def test_email_question_and_name_when_the_form_collects_no_email(tmp_path: Path) -> None:
    body = (
        "Timestamp,Would you like our emails?,Your name,Your email,Rate us [Content],Score\n"
        "5/14/2024 9:03:27,Yes,Ana Ruiz, ana@x.org ,Good,7 / 10\n"
        "5/15/2024 9:03:27,No,,ben@x.org,,\n"
    )
    got = answered(read_all(google_forms, write(tmp_path, "f.csv", body)))
    assert [r.email for r in got] == ["ana@x.org", "ben@x.org"]
    assert [r.name for r in got] == ["Ana Ruiz", ""]
    # Name and email fill their fields; the yes/no question, a grid row and the quiz
    # score are answers.
    assert got[0].answers == (
        Answer("Would you like our emails?", "Yes"),
        Answer("Rate us [Content]", "Good"),
        Answer("Score", "7 / 10"),
    )
    assert got[0].campaign == ""  # a file not named as the sheet names it


def test_order_is_decided_by_the_rows_that_chose_the_email_column(tmp_path: Path) -> None:
    body = (
        "Timestamp,Would you like our emails?,Your email\n"
        "03/05/2024 10:00:00,Yes,a@x.org\n25/05/2024 10:00:00,No,b@x.org\n"
    )
    got = answered(read_all(google_forms, write(tmp_path, "f.csv", body)))
    assert [r.at for r in got] == [dt.datetime(2024, 5, 3, 10), dt.datetime(2024, 5, 25, 10)]
    assert [r.email for r in got] == ["a@x.org", "b@x.org"]


def test_first_and_last_name_questions(tmp_path: Path) -> None:
    body = "Horodateur,Adresse e-mail,Prénom,Nom,Q\n18/05/2024 09:45:20,a@x.org,Zoë,Ångström,Oui\n"
    (row,) = answered(read_all(google_forms, write(tmp_path, "f.csv", body)))
    assert row.name == "Zoë Ångström" and row.answers == (Answer("Q", "Oui"),)


def test_zip_member_names_the_form_and_keys_do_not_depend_on_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Topic survey.csv.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("Topic survey.csv", EN.read_bytes())
    rows = answered(read_all(google_forms, path))
    assert {r.campaign for r in rows} == {"Topic survey"}
    assert {r.member for r in rows} == {"Topic survey.csv"}
    assert [r.key for r in rows] == [r.key for r in answered(read_all(google_forms, EN))]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Topic survey (Responses) - Form Responses 1.csv", "Topic survey"),
        ("Topic survey (Responses) - Form Responses 1 (1).csv", "Topic survey"),
        ("Q&A - 2024 (Respuestas) - Respuestas de formulario 1.csv", "Q&A - 2024"),
        ("Umfrage (Antworten).csv", "Umfrage"),
        ("responses.csv", ""),
    ],
)
def test_form_title_from_the_file_name(name: str, title: str) -> None:
    assert google_forms.form_title(Source(Path(name))) == title


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_arbitrary_bytes_give_rows_or_a_format_error(body: bytes) -> None:
    never_raises_but_format_errors(reader_of(google_forms), HEADER.encode() + body)
    never_raises_but_format_errors(reader_of(google_forms), body)
