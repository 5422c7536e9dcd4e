"""Typeform responses: completed responses only, hidden fields and Typeform's columns left out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from crm.errors import ImportFormatError
from crm.importing.activity import typeform
from crm.importing.activity.responses import NO_EMAIL
from crm.importing.activity.rows import Action, Answer
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

OLD = FORMS / "typeform-topic-quiz-responses.csv"
HEADER_2024 = (
    "#,<strong>Which topic</strong> interests you?,What's your name?,Pick formats,email,"
    "utm_source,Response Type,Start Date (UTC),Stage Date (UTC),Submit Date (UTC),Network ID,Tags\n"
)


def test_old_layout_sample() -> None:
    rows = read_all(typeform, OLD)
    got = answered(rows)
    assert len(rows) == 26  # EXPECTED.json: rows 26, answered 24, no_email 2
    assert len(got) == 24 and reasons(rows) == {NO_EMAIL: 2}
    assert {r.action for r in got} == {Action.ANSWERED}
    assert not any(r.at_is_local for r in got)
    first = got[0]
    assert first.email == "olga.navarro@studio.example.com"
    assert first.at == dt.datetime(2024, 5, 17, 3, 39, 57)  # Submit Date, not Start Date
    assert first.key == first.source_id == "ocou72v4n0gt5mae46v9hfnrcu0rqll6"
    assert first.platform == "typeform" and first.campaign == ""
    # utm_source, the dates, the network id and the email question are not answers.
    assert first.answers == (
        Answer("Which topic interests you more?", "Productivity"),
        Answer("What should I write about next?", "Pricing for services"),
    )
    zoe = next(r for r in got if r.email == "zoe.angstrom@example.se")
    assert zoe.answers == (Answer("Which topic interests you more?", "Productivity"),)
    assert len({r.key for r in got}) == 24
    rejected_rows = [r.row for r in rows if not hasattr(r, "key")]
    assert rejected_rows == [6, 22]


def test_recognises_both_layouts() -> None:
    assert typeform.recognises("", headers_of(OLD))
    assert typeform.recognises("", header_line(HEADER_2024.strip()))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_taken_for_typeform(path: Path) -> None:
    assert not typeform.recognises("", headers_of(path))


@pytest.mark.parametrize("name", sorted(set(OTHER_HEADERS) - {"typeform", "typeform 2024"}))
def test_no_other_activity_format_is_taken_for_typeform(name: str) -> None:
    assert not typeform.recognises("", header_line(OTHER_HEADERS[name]))


def test_2024_layout_partial_response_hidden_email_html_titles(tmp_path: Path) -> None:
    body = HEADER_2024 + (
        'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6,Pricing,Ana Ruiz,"A, B",ana@x.org,linkedin,completed,'
        "2024-10-05 02:30:00,2024-10-05 02:39:31,2024-10-05 02:39:31,653e97acae,vip\n"
        "b1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6,Marketing,,,ben@x.org,,partial,"
        "2024-10-05 03:00:00,2024-10-05 03:01:00,,653e97acaf,\n"
        # The response type decides, even with a submit date written.
        "d1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6,Marketing,,,dan@x.org,,Partial,"
        "2024-10-05 03:00:00,2024-10-05 03:01:00,2024-10-05 03:01:00,653e97acb1,\n"
        "c1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6,Marketing,,,,,completed,"
        "2024-10-05 04:00:00,2024-10-05 04:01:00,2024-10-05 04:01:00,653e97acb0,\n"
    )
    rows = read_all(typeform, write(tmp_path, "responses.csv", body))
    assert reasons(rows) == {typeform.PARTIAL: 2, NO_EMAIL: 1}
    (ana,) = answered(rows)
    assert ana.email == "ana@x.org" and ana.name == "Ana Ruiz"
    assert ana.at == dt.datetime(2024, 10, 5, 2, 39, 31)
    assert ana.answers == (
        Answer("Which topic interests you?", "Pricing"),
        Answer("Pick formats", "A, B"),
    )


def test_no_submit_date_in_the_old_layout_is_a_partial_response(tmp_path: Path) -> None:
    body = (
        "#,Q,Email,Start Date (UTC),Submit Date (UTC),Network ID\n"
        "tok1,Yes,a@x.org,2024-05-17 03:34:46,,9ce5ba8d68\n"
        "tok2,Yes,b@x.org,2024-05-17 03:34:46,2024-13-45 00:00:00,9ce5ba8d68\n"
    )
    rows = read_all(typeform, write(tmp_path, "f.csv", body))
    assert reasons(rows) == {
        typeform.PARTIAL: 1,
        "the time '2024-13-45 00:00:00' is not a date": 1,
    }


def test_email_question_beats_a_question_about_emails(tmp_path: Path) -> None:
    body = (
        "#,Do you read our emails?,Your e-mail,Submit Date (UTC),Network ID\n"
        "tok1,Every week,a@x.org,2024-05-17 03:39:57,9ce5ba8d68\n"
    )
    (row,) = answered(read_all(typeform, write(tmp_path, "f.csv", body)))
    assert row.email == "a@x.org"
    assert row.answers == (Answer("Do you read our emails?", "Every week"),)


def test_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert read_all(typeform, write(tmp_path, "f.csv", HEADER_2024)) == []


def test_nul_byte_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError):
        read_all(typeform, write(tmp_path, "f.csv", HEADER_2024.encode() + b"tok,\x00\n"))


def test_not_a_typeform_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="Typeform"):
        read_all(typeform, write(tmp_path, "f.csv", "email,name\na@x.org,A\n"))


def test_semicolon_windows_1252_resave(tmp_path: Path) -> None:
    body = (
        "#;Quel thème ?;Votre e-mail;Start Date (UTC);Submit Date (UTC);Network ID\r\n"
        'tok1;"Productivité; prix";a@x.org;2024-05-17 03:34:46;2024-05-17 03:39:57;9ce5ba8d68\r\n'
    )
    (row,) = answered(read_all(typeform, write(tmp_path, "f.csv", body, "cp1252")))
    assert row.answers == (Answer("Quel thème ?", "Productivité; prix"),)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_arbitrary_bytes_give_rows_or_a_format_error(body: bytes) -> None:
    never_raises_but_format_errors(reader_of(typeform), HEADER_2024.encode() + body)
    never_raises_but_format_errors(reader_of(typeform), body)
