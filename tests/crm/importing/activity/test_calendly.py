"""Calendly scheduled events export: bookings, cancellations, times, keys, recognition."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity import calendly
from crm.importing.activity.context import ReadContext
from crm.importing.activity.detect import plan_sources
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import NO_EMAIL
from crm.importing.decoding import Source, detect_decoding, sources_for

from .forms_support import OTHER_HEADERS, header_line
from .newsletter_support import (
    DATA,
    SUBSCRIBER_EXPORTS,
    activity,
    by_action,
    csv_bytes,
    headers_of,
    read_source,
    reasons,
    write,
)

EXPORT = DATA / "bookings" / "events-export.csv"
# The columns the reader uses, in the export's order, and one row's worth of the rest.
HEADER = (
    "Invitee Name,Invitee Email,Event Type Name,Start Date & Time,Event Created Date & Time,"
    "Canceled,Event UUID,Invitee UUID\n"
)


@pytest.fixture(scope="module")
def rows() -> list[ActivityRow | Rejected]:
    return read_source(calendly, sources_for(EXPORT)[0])


def test_the_sample_gives_its_bookings_and_cancellations(rows) -> None:
    # EXPECTED.json: 16 rows; 12 booked, skipped 3 canceled and 1 duplicate. The
    # duplicate is the import's to skip: it comes as a booking with its twin's key.
    assert len(rows) == 16
    assert by_action(rows) == {"booked": 13, "canceled": 3}
    assert reasons(rows) == {}
    booked = [r for r in activity(rows) if r.action is Action.BOOKED]
    assert len({r.key for r in booked}) == 12
    twins = [r for r in booked if r.email == "BEATRIZ.SANTOS@MAIL.EXAMPLE.COM"]
    assert [r.row for r in twins] == [5, 6] and twins[0].key == twins[1].key
    assert len({r.key for r in activity(rows)}) == 15
    assert {r.platform for r in activity(rows)} == {"calendly"}
    assert all(r.at_is_local for r in activity(rows))  # the exporting user's wall clock
    assert all(r.key == f"calendly|{r.source_id}" for r in booked)


def test_a_canceled_booking_and_a_booking_carry_their_times_and_event_type(rows) -> None:
    jose, zoe = activity(rows)[:2]
    assert (jose.action, jose.email, jose.name, jose.product) == (
        Action.CANCELED,
        "jose.nunez@example.com",
        "José Núñez",
        "Strategy session",
    )
    # Booked at 'Event Created Date & Time', the meeting at 'Start Date & Time'.
    assert (jose.at, jose.occurs_at) == (
        dt.datetime(2024, 3, 19, 16, 49),
        dt.datetime(2024, 3, 20, 16, 30),
    )
    assert jose.source_id == "83af3876-e557-4ecb-8b20-a681cf4301c9"
    assert jose.key == "calendly|83af3876-e557-4ecb-8b20-a681cf4301c9"
    assert (zoe.action, zoe.at, zoe.occurs_at) == (
        Action.BOOKED,
        dt.datetime(2024, 3, 22, 12, 57),  # 12:57 pm is past noon
        dt.datetime(2024, 3, 31, 13, 0),
    )
    pedro = next(r for r in activity(rows) if r.name == "Pedro Okafor")
    assert pedro.at == dt.datetime(2024, 3, 29, 1, 10)  # 01:10 am
    canceled = [r.name for r in activity(rows) if r.action is Action.CANCELED]
    assert canceled == ["José Núñez", "Małgorzata Moreau", "Felix Johansson"]


def _read(tmp_path: Path, body: str, header: str = HEADER, encoding: str = "utf-8") -> list:
    path = write(tmp_path / "renamed.csv", header + body, encoding)
    return read_source(calendly, Source(path))


def test_twelve_hour_twenty_four_hour_and_upper_case_times(tmp_path: Path) -> None:
    got = _read(
        tmp_path,
        "A,a@example.com,Call,2024-03-20 16:30,2024-03-19 16:49,false,e1,i1\n"
        "B,b@example.com,Call,2024-03-20 04:30 PM,2024-03-19 12:05 AM,false,e2,i2\n"
        "C,c@example.com,Call,2024-03-20 12:00 pm,2024-03-19 12:00 am,FALSE,e3,i3\n"
        "D,d@example.com,Call,2024-03-20T15:30:00Z,2024-03-19T15:49:00Z,false,e4,i4\n",
    )
    assert [(r.at, r.occurs_at, r.at_is_local) for r in activity(got)] == [
        (dt.datetime(2024, 3, 19, 16, 49), dt.datetime(2024, 3, 20, 16, 30), True),
        (dt.datetime(2024, 3, 19, 0, 5), dt.datetime(2024, 3, 20, 16, 30), True),
        (dt.datetime(2024, 3, 19, 0, 0), dt.datetime(2024, 3, 20, 12, 0), True),
        # A time written with its zone is UTC already: the import asks no zone for it.
        (dt.datetime(2024, 3, 19, 15, 49), dt.datetime(2024, 3, 20, 15, 30), False),
    ]


def test_each_bad_row_is_refused_with_its_reason_while_the_rest_reads(tmp_path: Path) -> None:
    got = _read(
        tmp_path,
        "A,a@example.com,Call,2024-03-20 04:30 pm,2024-03-19 13:49 pm,false,e1,i1\n"
        "B,b@example.com,Call,2024-03-20 04:30 pm,soon,false,e2,i2\n"
        "C,c@example.com,Call,next week,2024-03-19 04:49 pm,false,e3,i3\n"
        "D,,Call,2024-03-20 04:30 pm,2024-03-19 04:49 pm,false,e4,i4\n"
        "E,e@example.com,Call,2024-03-20 04:30 pm,,false,e5,i5\n"
        "F,f@example.com,Call,,2024-03-19 04:49 pm,true,e6,i6\n",
    )
    assert [r for r in got if isinstance(r, Rejected)] == [
        Rejected("", 1, "the time '2024-03-19 13:49 pm' is not a date"),
        Rejected("", 2, "the time 'soon' is not a date"),
        Rejected("", 3, "the time 'next week' is not a date"),
        Rejected("", 4, NO_EMAIL),
        Rejected("", 5, calendly.UNDATED),
    ]
    # A booking whose meeting time is missing is still a booking (or its cancellation).
    [last] = activity(got)
    assert (last.row, last.action, last.occurs_at) == (6, Action.CANCELED, None)


def test_without_an_invitee_uuid_the_key_joins_the_event_address_and_time(tmp_path: Path) -> None:
    header = "Invitee First Name,Invitee Last Name,Invitee Email,Event Type Name,"
    header += "Start Date & Time,Event Created Date & Time,Canceled,Event UUID\n"
    got = _read(
        tmp_path,
        "Ann,Lee,Ann.Lee@Example.com,Call,2024-03-20 04:30 pm,2024-03-19 04:49 pm,false,e1\n"
        "Ann,Lee,Ann.Lee@Example.com,Call,2024-03-20 04:30 pm,2024-03-19 04:49 pm,true,e1\n",
        header=header,
    )
    booked, canceled = activity(got)
    assert booked.name == "Ann Lee" and booked.source_id == ""
    assert booked.key == "calendly|e1|ann.lee@example.com|2024-03-19T16:49:00"
    assert canceled.key == booked.key


def test_an_excel_resave_with_semicolons_and_day_first_dates(tmp_path: Path) -> None:
    got = _read(
        tmp_path,
        "Zoë;zoë@example.se;Café call;03/04/2024 09:00;19/03/2024 16:49;FALSE;e1;i1\n",
        header=HEADER.replace(",", ";"),
        encoding="cp1252",
    )
    [zoe] = activity(got)
    assert (zoe.email, zoe.product) == ("zoë@example.se", "Café call")
    # 19/03 says day first, so 03/04 is the 3rd of April.
    assert (zoe.at, zoe.occurs_at) == (
        dt.datetime(2024, 3, 19, 16, 49),
        dt.datetime(2024, 4, 3, 9, 0),
    )


def test_a_resave_whose_every_date_could_be_either_order_is_refused_row_by_row(
    tmp_path: Path,
) -> None:
    got = _read(tmp_path, "A,a@example.com,Call,03/04/2024 09:00,02/04/2024 16:49,false,e1,i1\n")
    assert got == [Rejected("", 1, "the time '02/04/2024 16:49' could be day/month or month/day")]


def test_a_header_only_file_gives_nothing_and_another_file_is_refused(tmp_path: Path) -> None:
    assert _read(tmp_path, "") == []
    with pytest.raises(ImportFormatError, match="not a Calendly events export"):
        _read(tmp_path, "a@example.com,2024-03-19\n", header="Email,Date\n")


def test_the_import_finds_a_renamed_export_by_its_header(tmp_path: Path) -> None:
    renamed = write(tmp_path / "my calls.csv", EXPORT.read_bytes())
    plan = plan_sources(renamed)
    assert [(a.platform, a.label) for a in plan.activity] == [("calendly", "my calls.csv")]
    assert plan.subscribers == []


@pytest.mark.parametrize("name", sorted(set(OTHER_HEADERS) - {"calendly"}))
def test_another_formats_header_is_not_claimed(name: str) -> None:
    assert not calendly.recognises("", header_line(OTHER_HEADERS[name]))


def test_the_short_header_of_the_research_notes_is_claimed() -> None:
    assert calendly.recognises("", header_line(OTHER_HEADERS["calendly"]))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_a_calendly_export(path: Path) -> None:
    assert not calendly.recognises("", headers_of(sources_for(path)[0]))


_BYTES = csv_bytes(
    [HEADER.strip().encode(), HEADER.strip().replace(",", ";").encode()],
    [[b"Ann", b""], [b"a@b.co", b" "], [b"Call", b""],
     [b"2024-03-20 04:30 pm", b"03/04/2024 09:00", b"13:00 pm", b""],
     [b"2024-03-19 16:49", b"19/03/2024 16:49", b"soon", b"0000-00-00"],
     [b"true", b"false", b"?"], [b"e1", b""], [b"i1", b""]],
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_BYTES, st.binary(max_size=200)))
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Source(write(Path(folder) / "f.csv", content))
        try:
            got = list(calendly.read(source, detect_decoding(source), ReadContext()))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert all(isinstance(r, ActivityRow | Rejected) for r in got)
            assert all(r.at is not None for r in activity(got))
