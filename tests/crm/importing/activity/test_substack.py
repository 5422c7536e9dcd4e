"""Substack: the full export's opens and deliveries, and the dashboard's engagement totals."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError, NotFoundError
from crm.importing.activity import substack
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.decoding import Source, detect_decoding, sources_for

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
    reasons,
    write,
    write_zip,
    zip_source,
)

ZIP = DATA / "substack" / "smallyes-substack-export.zip"
DASHBOARD_2025 = DATA / "substack" / "substack-dashboard-2025.csv"
DASHBOARD_2024 = TESTS_DATA / "csv" / "substack_dashboard.csv"
DELIVERS = "post_id,timestamp,email,post_type,post_audience,active_subscription\n"
OPENS = DELIVERS.strip() + ",country,city,region,device_type,client_os,client_type,user_agent\n"
# member -> (rows, action, post title), as the fixture's EXPECTED.json counts them.
EXPECTED = {
    "posts/143208771.opens.csv": (46, "opened", "Pricing without fear"),
    "posts/143208771.delivers.csv": (63, "delivered", "Pricing without fear"),
    "posts/144019552.opens.csv": (40, "opened", "The 2-minute survey"),
    "posts/144019552.delivers.csv": (63, "delivered", "The 2-minute survey"),
}


@pytest.fixture(scope="module")
def export() -> dict[str, list[ActivityRow | Rejected]]:
    return read_recognised(substack, ZIP)


def test_only_the_opens_and_deliveries_are_read(export) -> None:
    assert sorted(export) == sorted(EXPECTED)
    members = {s.member for s in sources_for(ZIP)}
    assert {"posts.csv", "email_list.smallyes.csv"} <= members


@pytest.mark.parametrize("member", sorted(EXPECTED))
def test_rows_actions_keys_and_titles_per_member(export, member: str) -> None:
    rows, action, title = EXPECTED[member]
    got = export[member]
    assert by_action(got) == {action: rows}
    assert reasons(got) == {}
    assert len({r.key for r in activity(got)}) == rows
    assert {r.campaign for r in activity(got)} == {title}
    assert {(r.platform, r.count, r.at_is_local) for r in activity(got)} == {("substack", 1, False)}


def test_an_open_keeps_its_time_and_its_key_the_milliseconds(export) -> None:
    first = activity(export["posts/143208771.opens.csv"])[0]
    assert (first.row, first.email, first.at) == (
        1,
        "siobhan.oconnor@example.ie",
        dt.datetime(2024, 3, 20, 7, 5, 8),
    )
    assert (
        first.key
        == "substack|143208771|siobhan.oconnor@example.ie|2024-03-20T07:05:08.743000|opened"
    )


def test_post_titles_by_number_and_full_id() -> None:
    titles = substack.read_context(sources_for(ZIP)).titles
    assert titles["143208771"] == titles["143208771.pricing-without-fear"] == "Pricing without fear"
    assert titles["145550013"] == "Draft notes"


def test_without_posts_csv_the_campaign_is_empty_and_the_key_the_same(
    tmp_path: Path, export
) -> None:
    member = "posts/143208771.opens.csv"
    with zip_source(ZIP, member).open_binary() as handle:
        content = handle.read()
    # Another export of the same data, deeper in a folder, without posts.csv.
    path = write_zip(tmp_path / "later.zip", {"export-2/posts/143208771.opens.csv": content})
    again = read_recognised(substack, path)["export-2/posts/143208771.opens.csv"]
    assert {r.campaign for r in activity(again)} == {""}
    assert [r.key for r in activity(again)] == [r.key for r in activity(export[member])]


def test_a_root_deliveries_member_and_plain_files(tmp_path: Path) -> None:
    row = "143208771,2024-03-20T07:00:18.296Z,a@example.com,newsletter,everyone,false"
    path = write_zip(tmp_path / "x.zip", {"143208771.delivers.csv": DELIVERS + row + "\n"})
    assert by_action(read_recognised(substack, path)["143208771.delivers.csv"]) == {"delivered": 1}
    # A plain file's name is never read: the opens-only columns tell an opens file.
    opens = write(tmp_path / "143208771.delivers.csv", OPENS + row + ",US,,,mobile,iOS,Gmail,M\n")
    assert by_action(read_recognised(substack, opens)[""]) == {"opened": 1}
    delivers = write(tmp_path / "143208771.opens.csv", DELIVERS + row + "\n")
    assert by_action(read_recognised(substack, delivers)[""]) == {"delivered": 1}


def test_the_dashboard_is_a_subscriber_list_with_engagement() -> None:
    for path in (DASHBOARD_2024, DASHBOARD_2025):
        headers = headers_of(sources_for(path)[0])
        assert not substack.recognises("", headers)
        assert substack.recognises_dashboard(headers)


def test_the_dashboard_totals_become_one_click_and_one_open() -> None:
    rows = read_source(substack, Source(DASHBOARD_2025))
    got = [(r.row, r.email, r.action, r.at, r.count, r.name) for r in activity(rows)]
    assert got == [
        (1, "siobhan.oconnor@example.ie", Action.CLICKED, dt.datetime(2025, 3, 2, 8, 16, 30), 3,
         "Siobhán O'Connor"),
        (1, "siobhan.oconnor@example.ie", Action.OPENED, dt.datetime(2025, 3, 2, 8, 15), 12,
         "Siobhán O'Connor"),
        # Opens counted with no last-open time: one row with no time.
        (3, "liam.cortes@example.de", Action.OPENED, None, 5, "Liam Cortés"),
        # 1,200 clicks; no open in 6 months, but the last open's time proves one.
        (5, "r.romero@example.fr", Action.CLICKED, dt.datetime(2024, 6, 30, 18, 5), 1200,
         "Rosa Romero"),
        (5, "r.romero@example.fr", Action.OPENED, dt.datetime(2024, 6, 30, 18, 0), 1,
         "Rosa Romero"),
    ]  # fmt: skip
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 4, "no email address"),
        Rejected("", 6, "'Links clicked' is not a number: 'lots'"),
    ]
    keys = [r.key for r in activity(rows)]
    assert keys[0] == "substack|dashboard|siobhan.oconnor@example.ie|2025-03-02T08:16:30|clicked"
    assert keys[2] == "substack|dashboard|liam.cortes@example.de||opened|count=5"


def test_the_2024_dashboard_reads_its_open_columns() -> None:
    rows = read_source(substack, Source(DASHBOARD_2024))
    assert [(r.email, r.action, r.at, r.count) for r in activity(rows)] == [
        ("ana.souza@example.com.br", Action.OPENED, dt.datetime(2025, 1, 1), 12),
        ("kenji@example.jp", Action.OPENED, dt.datetime(2025, 2, 2), 30),
    ]


def test_a_dashboard_resaved_by_excel_in_windows_1252_with_semicolons(tmp_path: Path) -> None:
    text = (
        "Email;Name;Links clicked;Last clicked at;Emails opened (6mo);Last email open\n"
        "zoë@example.se;Zoë Ångström;2;2025-03-02 08:16:30;0;\n"
    )
    rows = read_source(substack, Source(write(tmp_path / "d.csv", text, "cp1252")))
    assert [(r.email, r.name, r.action, r.count) for r in activity(rows)] == [
        ("zoë@example.se", "Zoë Ångström", Action.CLICKED, 2)
    ]


def test_a_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert read_source(substack, Source(write(tmp_path / "a.csv", OPENS))) == []
    member = "posts/1.opens.csv"
    path = write_zip(tmp_path / "a.zip", {member: ""})
    assert read_source(substack, zip_source(path, member)) == []


def test_a_quoted_newline_an_empty_email_and_a_bad_time(tmp_path: Path) -> None:
    member = "posts/7.opens.csv"
    path = write_zip(
        tmp_path / "a.zip",
        {member: OPENS
         + '7,2024-03-20T07:05:08.743Z,a@example.com,newsletter,everyone,false,'
         + 'US,"New\nYork",,,,,\n'
         + "7,2024-03-20T07:05:09Z,,newsletter,everyone,false,,,,,,,\n"
         + "7,soon,b@example.com,newsletter,everyone,false,,,,,,,\n"},
    )  # fmt: skip
    rows = read_source(substack, zip_source(path, member))
    assert [(r.row, r.email, r.action) for r in activity(rows)] == [
        (1, "a@example.com", Action.OPENED)
    ]
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected(member, 2, "no email address"),
        Rejected(member, 3, "the time 'soon' is not a date"),
    ]


def test_a_nul_byte_and_a_file_without_its_columns_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError):
        read_source(substack, Source(write(tmp_path / "a.csv", OPENS.encode() + b"7,\x00\n")))
    member = "posts/7.opens.csv"
    path = write_zip(tmp_path / "a.zip", {member: "email,when\na@example.com,today\n"})
    with pytest.raises(ImportFormatError, match="not a Substack opens or deliveries file"):
        read_source(substack, zip_source(path, member))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_a_substack_activity_file(path: Path) -> None:
    headers = headers_of(sources_for(path)[0])
    assert not substack.recognises("", headers)
    assert not substack.recognises("posts/1.opens.csv", headers)
    # Only the dashboard carries engagement totals besides its people.
    assert substack.recognises_dashboard(headers) == (path.name == "substack_dashboard.csv")


def test_the_other_newsletter_formats_are_not_substack_activity() -> None:
    for source in sources_for(DATA / "mailchimp" / "mailchimp-account-export.zip"):
        headers = headers_of(source)
        assert not substack.recognises(source.member or "", headers)
        assert not substack.recognises_dashboard(headers)
    buttondown = sources_for(DATA / "buttondown" / "buttondown-events-export.csv")[0]
    assert not substack.recognises("", headers_of(buttondown))
    assert not substack.recognises_dashboard(headers_of(buttondown))
    # The member path counts inside a ZIP: a post's page or the subscriber list is not read.
    assert not substack.recognises("posts/143208771.pricing.csv", DELIVERS.strip().split(","))


_BYTES = st.one_of(
    csv_bytes(
        [OPENS.strip().encode(),
         b"Email,Links clicked,Last clicked at,Emails opened (6mo),Last email open"],
        [[b"7", b"a@b.co"], [b"2024-03-20T07:05:08.743Z", b"1,200", b"-3", b"soon"],
         [b"a@b.co", b"2024-03-20T07:05:08.743Z", b"NaN", b"1e400"],
         [b"2", b"1.5", b"2024-03-20T07:05:08Z"], [b"2024-03-20T07:05:08.743Z", b"03/04/2024"]],
    ),
    st.lists(
        st.sampled_from([OPENS.encode(), b"Email,Links clicked,Last clicked at\n", b"7", b",",
                         b";", b'"', b"\n", b"a@b.co", b"2024-03-20T07:05:08.743Z", b"1,200",
                         b"-3", b"NaN", b"\x00", b"\xe9", b"\xef\xbb\xbf"]),
        max_size=40,
    ).map(b"".join),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BYTES)
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        member = "posts/7.opens.csv"
        path = write_zip(Path(folder) / "f.zip", {member: content})
        plain = write(Path(folder) / "f.csv", content)
        for source in (zip_source(path, member), Source(plain)):
            try:
                rows = list(substack.read(source, detect_decoding(source), ReadContext()))
            except ImportFormatError as exc:
                assert exc.user_message.strip()
            else:
                assert all(isinstance(r, ActivityRow | Rejected) for r in rows)


# --- the dashboard export imported: its people, then their engagement -------------------


def _import(path: Path, now: dt.datetime, **options: object):
    from crm.importing import ImportOptions, import_csv

    return import_csv(path, ImportOptions(**options), now=now)  # type: ignore[arg-type]


def test_the_dashboard_is_planned_as_a_subscriber_list_and_activity() -> None:
    from crm.importing.activity.detect import plan_sources

    for path in (DASHBOARD_2024, DASHBOARD_2025):
        plan = plan_sources(path)
        assert plan.kind == "mixed"
        [activity_source] = plan.activity
        assert activity_source.reader is substack
        assert plan.subscribers == [activity_source.source] and plan.ignored == []
    # A subscriber list with no engagement column stays the subscriber import's alone.
    assert plan_sources(TESTS_DATA / "csv" / "substack_email_list.csv").kind == "subscribers"


def test_a_dashboard_import_brings_its_people_and_their_last_click_and_open(
    db, db_path, now, capsys
) -> None:
    import json

    from crm.book.leads import find_lead
    from crm.book.timeline import get_timeline
    from crm.cli import main
    from crm.importing.activity.store import engagement
    from crm.importing.undo import undo_import

    report = _import(DASHBOARD_2025, now)
    assert report.kind == "mixed"
    assert report.subscribers is not None and report.subscribers.created == 5
    assert report.platform == "generic"  # the subscriber import's reading, as before
    assert report.events == {"clicked": 2, "opened": 18}  # 12 + 5 + 1 opens counted
    siobhan = find_lead("siobhan.oconnor@example.ie")
    yeses = [i for i in get_timeline(siobhan.id) if i.kind == "commitment"]
    assert [(i.step, i.at, i.source) for i in yeses] == [
        ("clicked", dt.datetime(2025, 3, 2, 8, 16, 30), "substack")
    ]
    seen = engagement(siobhan.id, now=now)
    assert seen.last_opened_at == dt.datetime(2025, 3, 2, 8, 15)
    assert seen.last_clicked_at == dt.datetime(2025, 3, 2, 8, 16, 30)
    # The same export again adds nothing; undo takes people and engagement away.
    again = _import(DASHBOARD_2025, now)
    assert again.events == {} and again.already_imported == 5
    undo_import(again.batch_id, now=now)
    undo_import(report.batch_id, now=now)
    with pytest.raises(NotFoundError):
        find_lead("siobhan.oconnor@example.ie")

    assert main(["--db", str(db_path), "import", str(DASHBOARD_2024), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["kind"], out["platform"]) == ("mixed", "substack")
    assert out["statuses"] == {"subscribed": 2, "unsubscribed": 1}  # the subscriber keys
    assert (out["subscriber_rows"], out["activity_rows"]) == (3, 2)
    assert out["events"] == {"opened": 42} and out["created"] == 3
