"""A generic activity CSV: columns by header words or by the owner, times, actions, keys."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity import generic
from crm.importing.activity.context import ReadContext
from crm.importing.activity.generic import GenericColumns, guess_columns, read_mapped
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import parse_time
from crm.importing.decoding import Source, detect_decoding, sources_for
from crm.importing.values import parse_date

from .newsletter_support import (
    DATA,
    SUBSCRIBER_EXPORTS,
    TESTS_DATA,
    activity,
    by_action,
    csv_bytes,
    headers_of,
    read_recognised,
    read_source,
    write,
)

CLICK_LOG = DATA / "generic" / "click-log.csv"
EXCEL_DE = DATA / "generic" / "aktivitaet-excel-de.csv"
# Headers of the other activity formats (the forms, bookings and sales readers' files),
# cut to the columns that could look like an email, a time, a link or an action.
OTHER_ACTIVITY_HEADERS = [
    ("Timestamp", "Email Address", "Which topic interests you more?", "Which formats do you like?"),
    ("Horodateur", "Adresse e-mail", "Quel thème vous intéresse le plus ?"),
    ("#", "Which topic interests you more?", "What's your email address?", "utm_source",
     "Start Date (UTC)", "Submit Date (UTC)", "Network ID"),
    ("survey__identifier", "subscriber__email", "answer", "email_id", "automation_id"),
    ("User Name", "Invitee Name", "Invitee Email", "Event Type Name", "Start Date & Time",
     "End Date & Time", "Location", "Event Created Date & Time", "Canceled", "User Email",
     "Event UUID"),
    ("Purchase ID", "Item Name", "Buyer Name", "Purchase Email", "Buyer Email", "Purchase Date",
     "Purchase Time (UTC timezone)", "Sale Price ($)", "Referrer", "Refunded?"),
    ("id", "Description", "Created (UTC)", "Amount", "Currency", "Status", "Customer Email",
     "Captured"),
]  # fmt: skip


def test_a_click_log_is_recognised_and_read_by_its_header_words() -> None:
    assert guess_columns(headers_of(sources_for(CLICK_LOG)[0])) == GenericColumns(
        "email", time="timestamp", url="url", campaign="campaign"
    )
    rows = read_recognised(generic, CLICK_LOG)[""]
    assert [(r.row, r.email, r.action, r.at, r.at_is_local) for r in activity(rows)] == [
        (1, "Zoe.Angstrom@example.se", Action.CLICKED, dt.datetime(2024, 3, 12, 12, 0, 49), False),
        # No zone written: the tool's local time, for the import to place.
        (2, "jose.nunez@example.com", Action.CLICKED, dt.datetime(2024, 4, 9, 18, 13, 2), True),
        (3, "zoe.angstrom@example.se", Action.CLICKED, dt.datetime(2024, 3, 12, 12, 0, 49), False),
    ]  # fmt: skip
    assert [r for r in rows if isinstance(r, Rejected)] == [Rejected("", 4, "no email address")]
    first, _, again = activity(rows)
    # The same click twice (the address in another case): one key, the import skips one.
    assert (
        first.key
        == again.key
        == (
            "generic|Spring pricing tips|zoe.angstrom@example.se|2024-03-12T12:00:49|clicked|"
            "https://smallyes.example/blog/pricing-tips"
        )
    )
    assert (first.campaign, first.url, first.platform) == (
        "Spring pricing tips",
        "https://smallyes.example/blog/pricing-tips",
        "generic",
    )


def test_an_excel_resave_in_windows_1252_with_semicolons_and_german_words() -> None:
    source = sources_for(EXCEL_DE)[0]
    assert detect_decoding(source).name == "Windows-1252"
    assert generic.recognises("", headers_of(source))
    rows = read_source(generic, source)
    assert [(r.email, r.action, r.at, r.campaign, r.url) for r in activity(rows)] == [
        ("jürgen@example.de", Action.CLICKED, dt.datetime(2024, 3, 12, 9, 4), "Frühjahr",
         "https://smallyes.example/grüße"),
        ("renée@example.fr", Action.OPENED, dt.datetime(2024, 3, 13, 10, 0), "Frühjahr", ""),
        ("anna@example.de", Action.REPLIED, dt.datetime(2024, 3, 14, 11, 30), "Frühjahr", ""),
        ("otto@example.de", Action.UNSUBSCRIBED, dt.datetime(2024, 3, 15), "", ""),
    ]  # fmt: skip
    assert all(r.at_is_local for r in activity(rows))
    # A quoted line break keeps its row whole: row 5, one record.
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 5, "unknown action 'Notiz\r\nzwei Zeilen'")
    ]


def test_columns_named_by_the_owner(tmp_path: Path) -> None:
    path = write(
        tmp_path / "log.csv",
        "Who,When,What,Where\n"
        "a@example.com,2024-03-12 09:00:00,download,https://x.example/guide.pdf\n"
        "b@example.com,2024-03-12 10:00:00,,https://x.example/a\n"
        "c@example.com,2024-03-12 11:00:00,,\n",
    )
    assert not generic.recognises("", ("Who", "When", "What", "Where"))
    columns = GenericColumns("Who", time="When", url="Where", action="What", naive_is_utc=True)
    rows = list(read_mapped(Source(path), detect_decoding(Source(path)), columns))
    assert [(r.email, r.action, r.url, r.at_is_local) for r in activity(rows)] == [
        ("a@example.com", Action.DOWNLOADED, "https://x.example/guide.pdf", False),
        ("b@example.com", Action.CLICKED, "https://x.example/a", False),
    ]
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 3, "no action and no link")
    ]
    with pytest.raises(ImportFormatError, match="no column 'Wann' for the time"):
        list(
            read_mapped(Source(path), detect_decoding(Source(path)), GenericColumns("Who", "Wann"))
        )
    with pytest.raises(ImportFormatError, match="a link or an action column"):
        list(
            read_mapped(Source(path), detect_decoding(Source(path)), GenericColumns("Who", "When"))
        )


def test_campaign_ids_are_named_by_the_context(tmp_path: Path) -> None:
    path = write(tmp_path / "l.csv", "email,date,link,campaign\na@x.example,2024-03-12,u,42\n")
    rows = read_recognised(generic, path)[""]
    assert [r.campaign for r in activity(rows)] == ["42"]
    named = list(
        generic.read(Source(path), detect_decoding(Source(path)), ReadContext({"42": "Tips"}))
    )
    assert [r.campaign for r in activity(named)] == ["Tips"]
    assert activity(named)[0].key.startswith("generic|42|a@x.example|2024-03-12T00:00:00|")


def _us_dates(tmp_path: Path, deciding: str) -> Path:
    lines = ["Email,Date,Action"]
    lines += [f"p{i}@example.com,03/04/2024 10:{i % 60:02d},clicked" for i in range(600)]
    lines.append(f"late@example.com,{deciding},opened")
    return write(tmp_path / "us.csv", "\n".join(lines) + "\n")


def test_the_day_month_order_is_decided_by_a_value_far_down(tmp_path: Path) -> None:
    path = _us_dates(tmp_path, "12/25/2024 08:00")
    rows = activity(read_recognised(generic, path)[""])
    assert len(rows) == 601
    assert rows[0].at == dt.datetime(2024, 3, 4, 10, 0)  # month first, as row 601 says
    assert rows[-1].at == dt.datetime(2024, 12, 25, 8, 0)


def test_an_undecidable_order_asks_the_owner(tmp_path: Path) -> None:
    path = _us_dates(tmp_path, "05/06/2024 08:00")
    with pytest.raises(ImportFormatError, match="day/month or month/day"):
        read_recognised(generic, path)
    columns = GenericColumns("Email", time="Date", action="Action", order="dmy")
    rows = activity(read_mapped(Source(path), detect_decoding(Source(path)), columns))
    assert rows[0].at == dt.datetime(2024, 4, 3, 10, 0)
    assert generic.time_order(Source(path), detect_decoding(Source(path)), "Date") == ""


@pytest.mark.parametrize(
    ("written", "at", "local"),
    [
        ("2024-03-12T09:00:00-0500", dt.datetime(2024, 3, 12, 14, 0), False),
        ("2024-03-12 09:00:00+01:00", dt.datetime(2024, 3, 12, 8, 0), False),
        ("2024-03-12 09:00:00 UTC", dt.datetime(2024, 3, 12, 9, 0), False),
        ("2024-03-12T09:00:00.250Z", dt.datetime(2024, 3, 12, 9, 0), False),
        ("2024-03-12 09:00:00", dt.datetime(2024, 3, 12, 9, 0), True),
        ("12.03.2024 09:00", dt.datetime(2024, 3, 12, 9, 0), True),
    ],
)
def test_a_time_with_its_zone_is_utc_and_one_without_is_local(
    tmp_path: Path, written: str, at: dt.datetime, local: bool
) -> None:
    path = write(tmp_path / "l.csv", f"email,timestamp,action\na@example.com,{written},opened\n")
    rows = activity(read_source(generic, Source(path)))
    assert [(r.at, r.at_is_local) for r in rows] == [(at, local)]


_FORMS = st.sampled_from(
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d %H:%M:%S%z",
     "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%d", "%d.%m.%Y %H:%M"]
)  # fmt: skip
_ZONES = st.sampled_from(
    [dt.UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=5, minutes=30))]
)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2099, 1, 1)),
    _FORMS,
    _ZONES,
)
def test_times_read_as_the_subscriber_import_reads_them(when: dt.datetime, form: str, zone) -> None:
    text = when.replace(tzinfo=zone).strftime(form)
    stored = parse_date(text)
    at, key_time = parse_time(text)
    assert stored is not None and at == dt.datetime.fromisoformat(stored)
    assert dt.datetime.fromisoformat(key_time).replace(microsecond=0) == at


def test_bad_values_are_rejected_with_their_row(tmp_path: Path) -> None:
    path = write(
        tmp_path / "l.csv",
        "email,timestamp,action\n"
        "a@example.com,2024-13-45,clicked\n"
        "b@example.com,2024-03-12,teleported\n"
        "c@example.com,,replied\n",
    )
    rows = read_source(generic, Source(path))
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 1, "the time '2024-13-45' is not a date"),
        Rejected("", 2, "unknown action 'teleported'"),
    ]
    assert [(r.row, r.at, r.at_is_local) for r in activity(rows)] == [(3, None, False)]


def test_a_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert read_source(generic, Source(write(tmp_path / "a.csv", "email,timestamp,url\n"))) == []
    assert read_source(generic, Source(write(tmp_path / "b.csv", ""))) == []


def test_a_nul_byte_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", b"email,timestamp,url\na@x.com\x00,2024-01-01,u\n")
    with pytest.raises(ImportFormatError):
        read_source(generic, Source(path))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_a_generic_activity_file(path: Path) -> None:
    assert not generic.recognises("", headers_of(sources_for(path)[0]))


def test_a_subscriber_export_with_activity_like_columns_is_not_generic_activity() -> None:
    # Buttondown's subscriber export has an email, dates and a referrer URL.
    headers = headers_of(sources_for(TESTS_DATA / "csv" / "buttondown_subscribers.csv")[0])
    assert not generic.recognises("", (*headers, "url", "timestamp"))
    assert generic.recognises("", ("email", "timestamp", "url"))


def test_the_other_activity_formats_are_not_generic() -> None:
    for path in (
        DATA / "mailchimp" / "mailchimp-account-export.zip",
        DATA / "substack" / "smallyes-substack-export.zip",
        DATA / "substack" / "substack-dashboard-2025.csv",
        DATA / "buttondown" / "buttondown-events-export.csv",
    ):
        for source in sources_for(path):
            assert not generic.recognises(source.member or "", headers_of(source)), source
    for headers in OTHER_ACTIVITY_HEADERS:
        assert not generic.recognises("", headers), headers


_BYTES = st.one_of(
    csv_bytes(
        [b"email,timestamp,url,action", b"Email;Datum;Aktion", b"sep=;\nemail;date;link"],
        [[b"a@b.co", b" "], [b"03/04/2024", b"13/03/2024", b"13.03.2024 10:00", b"2024-13-45",
                             b"2024-03-12T09:00:00+01:00"],
         [b"https://x", b""], [b"opened", b"teleported", b"", b"geklickt"]],
    ),
    st.lists(
        st.sampled_from([b"email,timestamp,url,action\n", b"Email;Datum;Aktion\n", b"a@b.co",
                         b",", b";", b'"', b"\n", b"03/04/2024", b"13.03.2024 10:00", b"opened",
                         b"https://x", b"\x00", b"\xe9", b"\xef\xbb\xbf", b"sep=;\n"]),
        max_size=40,
    ).map(b"".join),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BYTES)
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Source(write(Path(folder) / "f.csv", content))
        try:
            rows = list(generic.read(source, detect_decoding(source), ReadContext()))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert all(isinstance(r, ActivityRow | Rejected) for r in rows)
            assert by_action(rows).total() + sum(isinstance(r, Rejected) for r in rows) == len(rows)
