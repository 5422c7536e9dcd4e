"""Cal.com bookings export: each attendee, each time status, keys, the older header.

No real export was available: ``calcom-insights.csv`` is written from the current
``formatCsvRow`` (ISO UTC times, ``attendeeN`` as ``Name (email)`` beside
``attendeePhoneN``, a booking question last) and ``calcom-insights-older.csv`` from the
older ``getCsvData`` select, whose values were joined unquoted, dates as JavaScript
writes them.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity import calcom
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

CURRENT = DATA / "bookings" / "calcom-insights.csv"
OLDER = DATA / "bookings" / "calcom-insights-older.csv"
CALENDLY = DATA / "bookings" / "events-export.csv"
HEADER = "id,uid,title,createdAt,timeStatus,startTime,userEmail,attendee1,attendeePhone1\n"


@pytest.fixture(scope="module")
def rows() -> list[ActivityRow | Rejected]:
    return read_source(calcom, sources_for(CURRENT)[0])


def test_each_attendee_of_a_kept_booking_is_booked(rows) -> None:
    # 6 bookings: 2 completed, 3 uncompleted (one with two attendees), 1 cancelled,
    # 1 rescheduled (its new slot is the uncompleted row after it).
    assert by_action(rows) == {"booked": 5, "canceled": 1}
    assert reasons(rows) == {"rescheduled": 1}
    assert [r for r in rows if isinstance(r, Rejected)] == [Rejected("", 4, "rescheduled")]
    assert len({r.key for r in activity(rows)}) == 6
    assert {r.platform for r in activity(rows)} == {"calcom"}
    assert not any(r.at_is_local for r in activity(rows))  # ISO UTC
    assert "owner@smallyes.example" not in {r.email for r in activity(rows)}  # the host


def test_a_booking_carries_its_times_title_and_uid(rows) -> None:
    zoe = activity(rows)[0]
    assert (zoe.email, zoe.name, zoe.product) == (
        "zoe.angstrom@example.se",
        "Zoë Ångström",
        "Discovery call",
    )
    # Booked at createdAt, the meeting at startTime, both UTC.
    assert (zoe.at, zoe.occurs_at) == (
        dt.datetime(2024, 3, 19, 15, 49),
        dt.datetime(2024, 3, 26, 9, 0),
    )
    assert zoe.source_id == "9xKq2mVb7TzR1aL4" and zoe.key == "calcom|9xKq2mVb7TzR1aL4"


def test_two_attendees_of_one_booking_are_two_bookings_keyed_by_address(rows) -> None:
    pair = [r for r in activity(rows) if r.row == 2]
    assert [(r.email, r.name, r.key) for r in pair] == [
        (
            "kwame.vanderberg@example.com",
            "Kwame van der Berg",
            "calcom|Qw3Er5Ty7Ui9Op1A|kwame.vanderberg@example.com",
        ),
        (
            "G.Papadopoulos@example.de",
            "Grace Papadopoulos",
            "calcom|Qw3Er5Ty7Ui9Op1A|g.papadopoulos@example.de",
        ),
    ]
    assert {r.product for r in pair} == {"Strategy session, 45 min"}  # a quoted comma
    assert {r.source_id for r in pair} == {"Qw3Er5Ty7Ui9Op1A"}


def test_a_cancelled_booking_keeps_the_key_of_its_booking(rows) -> None:
    [jose] = [r for r in activity(rows) if r.action is Action.CANCELED]
    assert (jose.email, jose.at) == ("jose.nunez@example.com", dt.datetime(2024, 4, 3, 18, 12))
    assert jose.key == "calcom|Zx8Cv6Bn4Ml2Kj0H"


def test_a_rescheduled_booking_is_skipped_and_its_new_slot_booked(rows) -> None:
    eleni = [r for r in activity(rows) if r.email == "eleni.rossi@example.com"]
    assert [(r.row, r.action, r.occurs_at) for r in eleni] == [
        (5, Action.BOOKED, dt.datetime(2024, 6, 12, 7, 0))
    ]


def test_an_attendee_name_with_brackets_keeps_them(rows) -> None:
    ann = activity(rows)[-1]
    assert (ann.name, ann.email) == ("Ann Lee (Sales)", "ann.lee@example.com")
    assert calcom.attendee("ann@example.com") == ("", "ann@example.com")
    assert calcom.attendee("Ann ( ann@example.com )") == ("Ann", "ann@example.com")


def test_the_older_export_is_recognised_and_each_booking_refused_with_what_to_do() -> None:
    assert calcom.recognises("", headers_of(sources_for(OLDER)[0]))
    got = read_source(calcom, sources_for(OLDER)[0])
    assert got == [
        Rejected("", 1, calcom.NO_ATTENDEES),
        Rejected("", 2, calcom.NO_ATTENDEES),
        Rejected("", 3, calcom.NO_ATTENDEES),
        Rejected("", 4, "rescheduled"),
    ]


def _read(tmp_path: Path, body: str, header: str = HEADER, encoding: str = "utf-8") -> list:
    path = write(tmp_path / "renamed.csv", header + body, encoding)
    return read_source(calcom, Source(path))


def test_each_bad_row_is_refused_with_its_reason_while_the_rest_reads(tmp_path: Path) -> None:
    made, meets = "2024-03-19T15:49:00.000Z", "2024-03-26T09:00:00.000Z"
    got = _read(
        tmp_path,
        f"1,u1,Call,{made},accepted,{meets},o@x.com,A (a@example.com),\n"
        f"2,u2,Call,{made},,{meets},o@x.com,B (b@example.com),\n"
        f"3,u3,Call,yesterday,completed,{meets},o@x.com,C (c@example.com),\n"
        f"4,u4,Call,{made},completed,later,o@x.com,D (d@example.com),\n"
        f"5,u5,Call,,completed,{meets},o@x.com,E (e@example.com),\n"
        f"6,u6,Call,{made},uncompleted,{meets},o@x.com,,\n"
        f"7,u7,Call,{made},canceled,{meets},o@x.com,G (g@example.com),\n"
        "8,,Call,2024-03-19T15:49:00+01:00,Completed,,o@x.com,H (h@example.com),\n",
    )
    again = "download the bookings from Cal.com Insights again"
    assert [r for r in got if isinstance(r, Rejected)] == [
        Rejected("", 1, f"the booking's time status 'accepted' is not one Cal.com writes: {again}"),
        Rejected("", 2, f"the booking has no time status: {again}"),
        Rejected("", 3, "the time 'yesterday' is not a date"),
        Rejected("", 4, "the time 'later' is not a date"),
        Rejected("", 5, calcom.UNDATED),
        Rejected("", 6, NO_EMAIL),
    ]
    canceled, kept = activity(got)
    assert (canceled.row, canceled.action) == (7, Action.CANCELED)  # the US spelling too
    # No uid: the booking's id keys it; an offset is read as UTC; no start is no meeting.
    assert (kept.key, kept.at, kept.occurs_at) == (
        "calcom|8",
        dt.datetime(2024, 3, 19, 14, 49),
        None,
    )


@pytest.mark.parametrize(("bom", "encoding"), [("\ufeff", "utf-8"), ("", "cp1252")])
def test_a_resave_with_semicolons_and_a_bom_or_windows_1252(
    tmp_path: Path, bom: str, encoding: str
) -> None:
    got = _read(
        tmp_path,
        "1;u1;Café call;2024-03-19T15:49:00.000Z;completed;2024-03-26T09:00:00.000Z;o@x.com;"
        "Zoë (zoë@example.se);\n",
        header=bom + HEADER.replace(",", ";"),
        encoding=encoding,
    )
    assert [(r.email, r.name, r.product) for r in activity(got)] == [
        ("zoë@example.se", "Zoë", "Café call")
    ]


def test_a_header_only_file_gives_nothing_and_another_file_is_refused(tmp_path: Path) -> None:
    assert _read(tmp_path, "") == []
    with pytest.raises(ImportFormatError, match=r"not a Cal\.com bookings export"):
        _read(tmp_path, "a@example.com,2024-03-19\n", header="Email,Date\n")


@pytest.mark.parametrize("path", [CURRENT, OLDER], ids=lambda p: p.name)
def test_the_import_finds_a_renamed_export_by_its_header(tmp_path: Path, path: Path) -> None:
    renamed = write(tmp_path / "bookings.csv", path.read_bytes())
    plan = plan_sources(renamed)
    assert [(a.platform, a.label) for a in plan.activity] == [("calcom", "bookings.csv")]


@pytest.mark.parametrize("name", sorted(set(OTHER_HEADERS) - {"cal.com"}))
def test_another_formats_header_is_not_claimed(name: str) -> None:
    assert not calcom.recognises("", header_line(OTHER_HEADERS[name]))
    assert calcom.recognises("", header_line(OTHER_HEADERS["cal.com"]))


def test_a_calendly_export_is_not_claimed() -> None:
    assert not calcom.recognises("", headers_of(sources_for(CALENDLY)[0]))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_a_calcom_export(path: Path) -> None:
    assert not calcom.recognises("", headers_of(sources_for(path)[0]))


_BYTES = csv_bytes(
    [HEADER.strip().encode(), HEADER.strip().replace(",", ";").encode()],
    [[b"1", b""], [b"u1", b""], [b"Call", b'"a, b"'],
     [b"2024-03-19T15:49:00.000Z", b"Tue Mar 19 2024", b""],
     [b"completed", b"uncompleted", b"cancelled", b"rescheduled", b"?"],
     [b"2024-03-26T09:00:00.000Z", b"soon"], [b"o@x.com"],
     [b"A (a@b.co)", b"a@b.co", b"(", b"A ()"], [b"+4912", b""]],
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_BYTES, st.binary(max_size=200)))
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Source(write(Path(folder) / "f.csv", content))
        try:
            got = list(calcom.read(source, detect_decoding(source), ReadContext()))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert all(isinstance(r, ActivityRow | Rejected) for r in got)
            assert all(r.at is not None for r in activity(got))
