"""Mailchimp account export ZIP: granular opens and clicks, campaign titles, keys."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity import mailchimp
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
    zip_source,
)

ZIP = DATA / "mailchimp" / "mailchimp-account-export.zip"
TOP = "8814021/"
OPENS = TOP + "granular_activity/opens/"
CLICKS = TOP + "granular_activity/clicks/"
# member -> (rows, action, distinct keys, campaign title), as the fixture's EXPECTED.json
# counts them (rows; clicks 1812345 holds 2 exact duplicates).
EXPECTED = {
    OPENS + "1812345_spring-pricing-tips.csv": (208, "opened", 208, "Spring pricing tips"),
    CLICKS + "1812345_spring-pricing-tips.csv": (62, "clicked", 60, "Spring pricing tips"),
    OPENS + "1812377_your-free-launch-checklist.csv": (
        182, "opened", 182, "Your free launch checklist"),
    CLICKS + "1812377_your-free-launch-checklist.csv": (
        41, "clicked", 41, "Your free launch checklist"),
    OPENS + "1812411_which-topic-next-2-minute-survey.csv": (
        210, "opened", 210, "Which topic next? (2-minute survey)"),
    CLICKS + "1812411_which-topic-next-2-minute-survey.csv": (
        39, "clicked", 39, "Which topic next? (2-minute survey)"),
}  # fmt: skip


@pytest.fixture(scope="module")
def export() -> dict[str, list[ActivityRow | Rejected]]:
    return read_recognised(mailchimp, ZIP)


def test_only_the_granular_members_are_read(export) -> None:
    # aggregate_activity repeats the opens without times; members and campaigns.csv are
    # not activity.
    assert sorted(export) == sorted(EXPECTED)
    members = {s.member for s in sources_for(ZIP)}
    assert TOP + "aggregate_activity/opened/1812345_spring-pricing-tips.csv" in members
    assert TOP + "campaigns.csv" in members


@pytest.mark.parametrize("member", sorted(EXPECTED))
def test_rows_actions_keys_and_titles_per_member(export, member: str) -> None:
    rows, action, keys, title = EXPECTED[member]
    got = export[member]
    assert by_action(got) == {action: rows}
    assert reasons(got) == {}
    assert len({r.key for r in activity(got)}) == keys
    assert {r.campaign for r in activity(got)} == {title}
    assert {r.platform for r in activity(got)} == {"mailchimp"}
    assert all(r.member == member and not r.at_is_local for r in activity(got))
    assert [r.row for r in got] == list(range(1, rows + 1))


def test_clicks_carry_their_times_and_links(export) -> None:
    spring = activity(export[CLICKS + "1812345_spring-pricing-tips.csv"])
    zoe = sorted({(r.at, r.url) for r in spring if r.email == "zoe.angstrom@example.se"})
    assert zoe == [
        (dt.datetime(2024, 3, 12, 12, 0, 49), "https://smallyes.example/blog/pricing-tips"),
        (dt.datetime(2024, 3, 12, 13, 29, 55), "https://smallyes.example/guides/pricing-checklist"),
    ]
    launch = activity(export[CLICKS + "1812377_your-free-launch-checklist.csv"])
    jose = [r for r in launch if r.email.lower() == "jose.nunez@example.com"]
    # As written: the import lower-cases; the key does already.
    assert [(r.email, r.at) for r in jose] == [
        ("Jose.Nunez@Example.com", dt.datetime(2024, 4, 9, 18, 13, 2))
    ]
    assert jose[0].key == (
        "mailchimp|1812377|jose.nunez@example.com|2024-04-09T18:13:02|clicked|"
        "https://smallyes.example/book-a-call"
    )


def test_a_duplicate_click_has_the_key_of_the_first(export) -> None:
    spring = activity(export[CLICKS + "1812345_spring-pricing-tips.csv"])
    zoe = [r for r in spring if r.email == "zoe.angstrom@example.se"]
    assert len(zoe) == 3 and len({r.key for r in zoe}) == 2


def test_opens_are_opens_with_no_link(export) -> None:
    opens = activity(export[OPENS + "1812377_your-free-launch-checklist.csv"])
    assert {r.action for r in opens} == {Action.OPENED}
    assert {r.url for r in opens} == {""}
    jose = [r for r in opens if r.email == "Jose.Nunez@Example.com"]
    assert [r.at for r in jose] == [dt.datetime(2024, 4, 9, 18, 8, 5)]


def test_keys_do_not_depend_on_the_export_folder(tmp_path: Path, export) -> None:
    # Next month's export has another top folder (its export id): the same click, the
    # same key.
    member = CLICKS + "1812377_your-free-launch-checklist.csv"
    content = _member_bytes(ZIP, member)
    later = write_zip(
        tmp_path / "later.zip",
        {"9920001/granular_activity/clicks/1812377_your-free-launch-checklist.csv": content},
    )
    source = sources_for(later)[0]
    again = read_source(mailchimp, source)
    assert [r.key for r in activity(again)] == [r.key for r in activity(export[member])]


def test_without_campaigns_csv_the_file_name_names_the_campaign(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "export.zip",
        {"granular_activity/opens/1812345_spring-pricing-tips.csv": "Email,Timestamp\n"
         "a@example.com,2024-03-12 09:01:41\n"},
    )  # fmt: skip
    member = "granular_activity/opens/1812345_spring-pricing-tips.csv"
    rows = read_recognised(mailchimp, path)[member]
    assert [(r.campaign, r.key) for r in activity(rows)] == [
        ("Spring pricing tips", "mailchimp|1812345|a@example.com|2024-03-12T09:01:41|opened")
    ]


def test_campaign_titles_come_from_campaigns_csv() -> None:
    context = mailchimp.read_context(sources_for(ZIP))
    assert context.titles["which-topic-next-2-minute-survey"] == (
        "Which topic next? (2-minute survey)"
    )
    assert mailchimp.slug("Which topic next? (2-minute survey)") == (
        "which-topic-next-2-minute-survey"
    )
    assert mailchimp.campaign_of("x/granular_activity/clicks/0042_a_b.csv") == ("42", "a_b")


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_mailchimp_activity(path: Path) -> None:
    headers = headers_of(sources_for(path)[0])
    assert not mailchimp.recognises("", headers)
    # Not even inside a ZIP at a granular path: the columns decide too.
    assert not mailchimp.recognises("granular_activity/clicks/1_x.csv", headers)
    assert not mailchimp.recognises("granular_activity/opens/1_x.csv", headers)


def test_the_other_newsletter_formats_are_not_mailchimp_activity() -> None:
    for source in sources_for(DATA / "substack" / "smallyes-substack-export.zip"):
        assert not mailchimp.recognises(source.member or "", headers_of(source))
    buttondown = sources_for(DATA / "buttondown" / "buttondown-events-export.csv")[0]
    assert not mailchimp.recognises("", headers_of(buttondown))
    # A loose clicks file is a generic activity CSV: a plain file's name is never read.
    assert not mailchimp.recognises("", ("Email", "Timestamp", "Url"))
    assert mailchimp.recognises("a/granular_activity/clicks/1_x.csv", ("Email", "Timestamp", "Url"))
    assert not mailchimp.recognises("a/granular_activity/clicks/1_x.csv", ("Email", "Timestamp"))
    assert mailchimp.recognises("granular_activity\\opens\\1_x.csv", ("Email", "Timestamp"))
    assert not mailchimp.recognises("aggregate_activity/opened/1_x.csv", ("Email", "Timestamp"))


def _member_bytes(path: Path, member: str) -> bytes:
    with zip_source(path, member).open_binary() as handle:
        return handle.read()


def _read_member(tmp_path: Path, content: str | bytes, kind: str = "clicks") -> list:
    member = f"granular_activity/{kind}/77_test.csv"
    path = write_zip(tmp_path / "bad.zip", {member: content})
    return read_source(mailchimp, zip_source(path, member))


def test_a_header_only_member_gives_nothing(tmp_path: Path) -> None:
    assert _read_member(tmp_path, "Email,Timestamp,Url\r\n") == []
    assert _read_member(tmp_path, "") == []


def test_empty_email_and_bad_time_are_rejected_with_their_row(tmp_path: Path) -> None:
    rows = _read_member(
        tmp_path,
        "Email,Timestamp,Url\n"
        " ,2024-03-12 09:04:50,https://x.example/a\n"
        "b@example.com,yesterday,https://x.example/a\n"
        "c@example.com,,https://x.example/a\n",
    )
    assert rows[:2] == [
        Rejected("granular_activity/clicks/77_test.csv", 1, "no email address"),
        Rejected("granular_activity/clicks/77_test.csv", 2, "the time 'yesterday' is not a date"),
    ]
    # No time: the import dates the click; the key says so by an empty time.
    assert activity(rows)[0].at is None and activity(rows)[0].row == 3


def test_a_quoted_newline_stays_in_its_row(tmp_path: Path) -> None:
    rows = _read_member(
        tmp_path,
        'Timestamp,Url,Email,Extra\n2024-03-12 09:04:50,"https://x.example/a",a@example.com,"two\nlines"\n'
        "2024-03-12 09:05:00,https://x.example/b,b@example.com,\n",
    )
    assert [(r.row, r.email, r.url) for r in activity(rows)] == [
        (1, "a@example.com", "https://x.example/a"),
        (2, "b@example.com", "https://x.example/b"),
    ]


def test_a_member_without_its_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="'Email' and 'Timestamp'"):
        _read_member(tmp_path, "Email Address,First Name\na@example.com,A\n")


def test_a_nul_byte_is_refused(tmp_path: Path) -> None:
    member = "granular_activity/opens/77_test.csv"
    path = write_zip(tmp_path / "nul.zip", {member: b"Email,Timestamp\na@x.com\x00,2024-01-01\n"})
    with pytest.raises(ImportFormatError, match=r"binary|NUL"):
        read_source(mailchimp, zip_source(path, member))


_BYTES = st.one_of(
    csv_bytes(
        [b"Email,Timestamp,Url", b"Email,Timestamp"],
        [[b"a@b.co", b" "], [b"2024-03-12 09:04:50", b"2024-02-30 00:00:00", b"soon"],
         [b"https://x", b""]],
    ),
    st.lists(
        st.sampled_from([b"Email", b"Timestamp", b"Url", b",", b";", b'"', b"\n", b"\r\n",
                         b"a@b.co", b"2024-03-12 09:04:50", b"\x00", b"\xe9", b"\xef\xbb\xbf"]),
        max_size=40,
    ).map(b"".join),
)  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BYTES)
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        member = "granular_activity/clicks/1_x.csv"
        path = write_zip(Path(folder) / "f.zip", {member: content})
        plain = write(Path(folder) / "f.csv", content)
        for source in (zip_source(path, member), Source(plain)):
            try:
                rows = list(mailchimp.read(source, detect_decoding(source), ReadContext()))
            except ImportFormatError as exc:
                assert exc.user_message.strip()
            else:
                assert all(isinstance(r, ActivityRow | Rejected) for r in rows)
