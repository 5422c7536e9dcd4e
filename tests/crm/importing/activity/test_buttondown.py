"""Buttondown events export: each event type, its link, its key."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity import buttondown
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.decoding import Source, detect_decoding, sources_for

from .newsletter_support import (
    DATA,
    SUBSCRIBER_EXPORTS,
    activity,
    by_action,
    csv_bytes,
    headers_of,
    read_recognised,
    read_source,
    reasons,
    write,
    write_zip,
)

EVENTS = DATA / "buttondown" / "buttondown-events-export.csv"
HEADER = "id,token,email_id,subscriber__email,event_type,timestamp,metadata\n"


@pytest.fixture(scope="module")
def events() -> list[ActivityRow | Rejected]:
    return read_recognised(buttondown, EVENTS)[""]


def test_every_event_of_the_sample_becomes_its_action(events) -> None:
    # EXPECTED.json: 282 rows; 144 deliveries, 103 opens, 27 clicks + 1 by an unknown
    # address (the import skips it), 7 replies.
    assert len(events) == 282
    assert by_action(events) == {"delivered": 144, "opened": 103, "clicked": 28, "replied": 7}
    assert reasons(events) == {}
    assert len({r.key for r in activity(events)}) == 282
    assert {r.platform for r in activity(events)} == {"buttondown"}
    assert not any(r.at_is_local for r in activity(events))


def test_clicks_carry_the_link_from_the_metadata(events) -> None:
    clicks = [r for r in activity(events) if r.action is Action.CLICKED]
    assert all(r.url.startswith("https://") for r in clicks)
    assert not any(r.url for r in activity(events) if r.action is not Action.CLICKED)


def test_a_named_person_clicked_then_replied(events) -> None:
    siobhan = [
        (r.action, r.at, r.url)
        for r in activity(events)
        if r.email == "siobhan.oconnor@example.ie" and r.action in (Action.CLICKED, Action.REPLIED)
    ]
    assert siobhan == [
        (
            Action.CLICKED,
            dt.datetime(2024, 4, 2, 19, 45, 12),
            "https://smallyes.example/guides/pricing-checklist",
        ),
        (Action.REPLIED, dt.datetime(2024, 4, 2, 21, 12, 25), ""),
    ]


def test_the_key_is_the_event_id(events) -> None:
    first = activity(events)[0]
    assert first.key == "buttondown|2c6dac45-f547-4244-bb93-49fe078ff7fc"
    assert first.source_id == "2c6dac45-f547-4244-bb93-49fe078ff7fc"
    assert (first.row, first.email, first.at) == (
        1,
        "o.mora@example.de",
        dt.datetime(2024, 4, 2, 14, 0, 6),
    )


def _read(tmp_path: Path, body: str, encoding: str = "utf-8", header: str = HEADER) -> list:
    path = write(tmp_path / "events.csv", header + body, encoding)
    return read_source(buttondown, Source(path))


def test_status_events_rejected_sends_and_unknown_types(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        "e1,t,m1,a@example.com,unsubscribed,2024-03-13 00:16:58+00:00,{}\n"
        "e2,t,m1,b@example.com,bounced,2024-03-13 00:16:58.250000+00:00,{'reason': 'x'}\n"
        "e3,t,m1,c@example.com,complained,2024-03-13 02:16:58+02:00,{}\n"
        "e4,t,m1,d@example.com,rejected,2024-03-13 00:16:58+00:00,{}\n"
        "e5,t,m1,e@example.com,teleported,2024-03-13 00:16:58+00:00,{}\n",
    )
    assert [(r.action, r.at) for r in activity(rows)] == [
        (Action.UNSUBSCRIBED, dt.datetime(2024, 3, 13, 0, 16, 58)),
        (Action.BOUNCED, dt.datetime(2024, 3, 13, 0, 16, 58)),
        (Action.COMPLAINED, dt.datetime(2024, 3, 13, 0, 16, 58)),  # +02:00 read as UTC
    ]
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 4, buttondown.REJECTED_SEND),
        Rejected("", 5, "unknown event type 'teleported'"),
    ]


def test_a_click_with_unreadable_metadata_is_rejected(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        "e1,t,m1,a@example.com,clicked,2024-03-13 00:16:58+00:00,\"{'url': __import__('os')}\"\n"
        "e2,t,m1,b@example.com,opened,2024-03-13 00:16:58+00:00,not a dict\n",
    )
    assert reasons(rows) == {"the click's metadata is not a readable dictionary": 1}
    assert by_action(rows) == {"opened": 1}  # an open needs no metadata


def test_without_an_id_the_key_joins_the_event_fields(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        ",t,m1,A@Example.com,clicked,2024-03-13 00:16:58.5+00:00,{'url': 'https://x.example/a'}\n",
    )
    assert activity(rows)[0].key == (
        "buttondown|m1|a@example.com|2024-03-13T00:16:58.500000|clicked|https://x.example/a"
    )


def test_subjects_from_an_emails_export_name_the_campaign(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "export.zip",
        {
            "emails.csv": "id,secondary_id,subject,publish_date\nm1,3,Pricing tips,2024-03-12\n",
            "events.csv": HEADER + "e1,t,m1,a@example.com,opened,2024-03-13 00:16:58+00:00,{}\n",
        },
    )
    got = read_recognised(buttondown, path)
    assert list(got) == ["events.csv"]
    assert [(r.campaign, r.member) for r in activity(got["events.csv"])] == [
        ("Pricing tips", "events.csv")
    ]


def test_a_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert _read(tmp_path, "") == []
    assert _read(tmp_path, "", header="") == []


def test_an_excel_resave_in_windows_1252_with_semicolons(tmp_path: Path) -> None:
    header = HEADER.replace(",", ";")
    rows = _read(
        tmp_path,
        "e1;t;m1;zoë@example.se;clicked;2024-03-13 00:16:58+00:00;{'url': 'https://x.example/é'}\n",
        encoding="cp1252",
        header=header,
    )
    assert [(r.email, r.url) for r in activity(rows)] == [("zoë@example.se", "https://x.example/é")]


def test_a_quoted_newline_and_an_empty_email(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        "e1,t,m1,a@example.com,replied,2024-03-13 00:16:58+00:00,\"{'note':\n'two lines'}\"\n"
        "e2,t,m1,  ,opened,2024-03-13 00:16:58+00:00,{}\n"
        "e3,t,m1,b@example.com,opened,03/04/2024,{}\n"
        "e4,t,m1,c@example.com,opened,13/03/2024,{}\n",
    )
    # An Excel re-save may rewrite the time: a day over 12 decides, 03/04 cannot.
    assert [(r.row, r.action, r.at) for r in activity(rows)] == [
        (1, Action.REPLIED, dt.datetime(2024, 3, 13, 0, 16, 58)),
        (4, Action.OPENED, dt.datetime(2024, 3, 13)),
    ]
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 2, "no email address"),
        Rejected("", 3, "the time '03/04/2024' could be day/month or month/day"),
    ]


def test_a_nul_byte_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "events.csv", HEADER.encode() + b"e1,t,m1,a@x.com\x00,opened,,{}\n")
    with pytest.raises(ImportFormatError):
        read_source(buttondown, Source(path))


def test_a_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="not a Buttondown events export"):
        _read(tmp_path, "a@example.com\n", header="email\n")


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_buttondown_events(path: Path) -> None:
    assert not buttondown.recognises("", headers_of(sources_for(path)[0]))


def test_the_other_newsletter_formats_are_not_buttondown_events() -> None:
    assert buttondown.recognises("", HEADER.strip().split(","))
    for path in (DATA / "mailchimp" / "mailchimp-account-export.zip",
                 DATA / "substack" / "smallyes-substack-export.zip"):  # fmt: skip
        for source in sources_for(path):
            assert not buttondown.recognises(source.member or "", headers_of(source))
    surveys = ("survey__identifier", "subscriber__email", "answer", "email_id", "automation_id")
    assert not buttondown.recognises("", surveys)


_BYTES = st.one_of(
    csv_bytes(
        [HEADER.strip().encode(), HEADER.strip().replace(",", ";").encode()],
        [[b"e1", b""], [b"t"], [b"m1"], [b"a@b.co", b" "],
         [b"clicked", b"opened", b"rejected", b"delivered", b"?"],
         [b"2024-03-13 00:16:58+00:00", b"03/04/2024", b"soon", b"2024-02-30"],
         [b"{'url': 'x'}", b"\"{'url': 1}\"", b"{", b"{}"]],
    ),
    st.lists(
        st.sampled_from([HEADER.encode(), b"e1", b",", b";", b'"', b"\n", b"clicked", b"opened",
                         b"a@b.co", b"2024-03-13 00:16:58+00:00", b"{'url': 'x'}", b"{", b"'",
                         b"\x00", b"\xe9", b"\xef\xbb\xbf"]),
        max_size=40,
    ).map(b"".join),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BYTES)
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Source(write(Path(folder) / "f.csv", content))
        try:
            rows = list(buttondown.read(source, detect_decoding(source), ReadContext()))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert all(isinstance(r, ActivityRow | Rejected) for r in rows)
