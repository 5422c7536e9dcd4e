"""Tally submissions.

No real export was available: ``Topic quiz_Submissions_2026-08-14.csv`` is written from
the format's description (every field quoted, ``Submission ID``, ``Respondent ID``,
``Submitted at`` in UTC, 7-character ids, a title truncated with ``...``, a repeated
title with `` (2)``, multi-select joined with ``", "``). Confidence in its layout: High
for the three first columns and the values, Medium for the question columns.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from crm.errors import ImportFormatError
from crm.importing.activity import tally
from crm.importing.activity.responses import NO_EMAIL
from crm.importing.activity.rows import Action, Answer
from crm.importing.decoding import Source
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

QUIZ = FORMS / "Topic quiz_Submissions_2026-08-14.csv"
HEADER = '"Submission ID","Respondent ID","Submitted at","Email","Which topic?"\n'
TRUNCATED = (
    "Which topics should I write about next? Pick as many as you like, I read every "
    "single one of these..."
)


def test_sample_submissions() -> None:
    rows = read_all(tally, QUIZ)
    got = answered(rows)
    assert len(rows) == 6 and len(got) == 5 and reasons(rows) == {NO_EMAIL: 1}
    assert {r.action for r in got} == {Action.ANSWERED}
    assert {r.campaign for r in got} == {"Topic quiz"}
    assert not any(r.at_is_local for r in got)
    amelie = got[0]
    assert (amelie.email, amelie.name) == ("amelie.dubois@example.fr", "Amélie Dubois")
    assert amelie.at == dt.datetime(2026, 8, 12, 9, 14, 3)
    assert amelie.key == amelie.source_id == "J1Wdz7r"
    assert amelie.answers == (
        Answer(TRUNCATED, "Pricing, Client onboarding"),
        Answer("Anything else?", "Love the checklists"),
    )
    jose = got[1]
    assert jose.email == "Jose.Nunez@Example.com"
    assert jose.answers[1:] == (
        Answer("Anything else?", "Line one\nline two of a longer answer"),
        Answer("Anything else? (2)", "More on pricing please!"),
    )
    # The same submission twice: one key, the import skips the second.
    assert got[2].key == got[3].key == "Zq4Lw2n"
    assert got[4].email == "zoe.angstrom@example.se"  # trimmed
    assert [r.row for r in rows if not hasattr(r, "key")] == [3]


def test_recognises_the_sample() -> None:
    assert tally.recognises("", headers_of(QUIZ))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_taken_for_tally(path: Path) -> None:
    assert not tally.recognises("", headers_of(path))


@pytest.mark.parametrize("name", sorted(set(OTHER_HEADERS) - {"tally"}))
def test_no_other_activity_format_is_taken_for_tally(name: str) -> None:
    assert not tally.recognises("", header_line(OTHER_HEADERS[name]))


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Topic quiz_Submissions_2026-08-14.csv", "Topic quiz"),
        ("Topic quiz_Submissions_2026-08-14 (1).csv", "Topic quiz"),
        ("submissions.csv", ""),
    ],
)
def test_form_title_from_the_file_name(name: str, title: str) -> None:
    assert tally.form_title(Source(Path(name))) == title


def test_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert read_all(tally, write(tmp_path, "f.csv", HEADER)) == []


def test_nul_byte_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError):
        read_all(tally, write(tmp_path, "f.csv", HEADER.encode() + b'"a","b","\x00"\n'))


def test_not_a_tally_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="Tally"):
        read_all(tally, write(tmp_path, "f.csv", "email,name\na@x.org,A\n"))


def test_bad_time_and_semicolon_resave(tmp_path: Path) -> None:
    body = (
        '"Submission ID";"Respondent ID";"Submitted at";"E-mail";"Thème"\r\n'
        '"J1Wdz7r";"mOQ8lXy";"2026-08-14 13:22:05";"a@x.org";"Productivité"\r\n'
        '"K1Wdz7r";"mOQ8lXy";"demain";"b@x.org";"Prix"\r\n'
        '"L1Wdz7r";"mOQ8lXy";"0001-01-01T00:00:00+01:00";"c@x.org";"Prix"\r\n'
    )
    rows = read_all(tally, write(tmp_path, "f.csv", body, "cp1252"))
    assert reasons(rows) == {
        "the time 'demain' is not a date": 1,
        "the time '0001-01-01T00:00:00+01:00' is not a date": 1,
    }
    (row,) = answered(rows)
    assert row.answers == (Answer("Thème", "Productivité"),)
    assert row.at == dt.datetime(2026, 8, 14, 13, 22, 5)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_arbitrary_bytes_give_rows_or_a_format_error(body: bytes) -> None:
    never_raises_but_format_errors(reader_of(tally), HEADER.encode() + body)
    never_raises_but_format_errors(reader_of(tally), body)
