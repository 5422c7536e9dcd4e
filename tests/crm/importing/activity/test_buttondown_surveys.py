"""Buttondown surveys export: one answer per record, no time."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from crm.errors import ImportFormatError
from crm.importing.activity import buttondown_surveys
from crm.importing.activity.responses import NO_EMAIL
from crm.importing.activity.rows import Action, Answer
from tests.crm.importing.activity.forms_support import (
    BODIES,
    DATA,
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

SURVEYS = DATA / "activity" / "buttondown" / "buttondown-surveys-export.csv"
HEADER = "survey__identifier,subscriber__email,answer,email_id,automation_id\n"


def test_sample_answers() -> None:
    rows = read_all(buttondown_surveys, SURVEYS)
    got = answered(rows)
    assert len(rows) == len(got) == 17  # EXPECTED.json: rows 17, answered 17
    assert {r.action for r in got} == {Action.ANSWERED}
    assert {r.at for r in got} == {None}  # no time in the file
    assert {r.platform for r in got} == {"buttondown"}
    assert {r.campaign for r in got} == {"topic"}
    assert len({r.key for r in got}) == 17
    siobhan = got[0]
    assert siobhan.email == "siobhan.oconnor@example.ie"
    assert siobhan.answers == (Answer("topic", "Pricing"),)
    assert siobhan.key == (
        "buttondown|survey|topic|30698a1a-87d6-4c4a-a84d-b2a782dc3d36||"
        "siobhan.oconnor@example.ie|Pricing"
    )
    assert got[9].email == "CANCELIK@EXAMPLE.ORG"
    assert got[9].key.endswith("|cancelik@example.org|Client onboarding")


def test_recognises_the_sample() -> None:
    assert buttondown_surveys.recognises("", headers_of(SURVEYS))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_taken_for_surveys(path: Path) -> None:
    assert not buttondown_surveys.recognises("", headers_of(path))


@pytest.mark.parametrize("name", sorted(set(OTHER_HEADERS) - {"buttondown surveys"}))
def test_no_other_activity_format_is_taken_for_surveys(name: str) -> None:
    assert not buttondown_surveys.recognises("", header_line(OTHER_HEADERS[name]))


def test_duplicates_share_a_key_and_a_changed_answer_does_not(tmp_path: Path) -> None:
    body = HEADER + (
        "topic,a@x.org,Pricing,e1,\n"
        "topic,a@x.org,Pricing,e1,\n"
        "topic,a@x.org,Marketing,e1,\n"
        "topic,,Pricing,e1,\n"
        "topic,b@x.org,,e1,\n"
        "welcome,c@x.org,Yes,,auto-9\n"
    )
    rows = read_all(buttondown_surveys, write(tmp_path, "f.csv", body))
    assert reasons(rows) == {NO_EMAIL: 1, buttondown_surveys.NO_ANSWER: 1}
    got = answered(rows)
    assert got[0].key == got[1].key != got[2].key
    assert got[3].campaign == "welcome" and "auto-9" in got[3].key


def test_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert read_all(buttondown_surveys, write(tmp_path, "f.csv", HEADER)) == []


def test_nul_byte_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError):
        read_all(buttondown_surveys, write(tmp_path, "f.csv", HEADER.encode() + b"t,\x00\n"))


def test_not_a_surveys_export_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="Buttondown"):
        read_all(buttondown_surveys, write(tmp_path, "f.csv", "email,name\na@x.org,A\n"))


def test_quoted_newline_in_a_text_answer(tmp_path: Path) -> None:
    body = HEADER + 'feedback,a@x.org,"Line one\nline two",e1,\n'
    (row,) = answered(read_all(buttondown_surveys, write(tmp_path, "f.csv", body)))
    assert row.answers == (Answer("feedback", "Line one\nline two"),)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_arbitrary_bytes_give_rows_or_a_format_error(body: bytes) -> None:
    never_raises_but_format_errors(reader_of(buttondown_surveys), HEADER.encode() + body)
    never_raises_but_format_errors(reader_of(buttondown_surveys), body)
