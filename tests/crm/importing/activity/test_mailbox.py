"""Mailbox exports (.mbox, .eml) read as replies: sender, date and subject, never the body."""

from __future__ import annotations

import base64
import datetime as dt
import mailbox
import os
import tempfile
import tracemalloc
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity import mailbox as reader
from crm.importing.activity.mailbox import (
    MAX_HEADER_BYTES,
    PLATFORM,
    read_mailbox,
    recognises_mail,
)
from crm.importing.activity.rows import Action, ActivityRow, Rejected

DATA = Path(__file__).resolve().parents[3] / "data"
MAIL = DATA / "activity" / "mail"
OWN = frozenset({"owner@smallyes.test"})


def _read(*names: str, own: frozenset[str] = OWN) -> list[ActivityRow | Rejected]:
    return list(read_mailbox([MAIL / name for name in names], own))


def _rows(out: list[ActivityRow | Rejected]) -> list[ActivityRow]:
    return [r for r in out if isinstance(r, ActivityRow)]


def _rejected(out: list[ActivityRow | Rejected]) -> list[Rejected]:
    return [r for r in out if isinstance(r, Rejected)]


def _message(headers: str, body: str = "Hello.\n") -> str:
    return headers.strip("\n") + "\n\n" + body


# --- the fixture mailbox ---------------------------------------------------------------


def test_an_mbox_gives_one_dated_reply_per_message_from_someone() -> None:
    out = _read("inbox.mbox")
    rows = _rows(out)
    assert [(r.row, r.email, r.at) for r in rows] == [
        (1, "ana@example.org", dt.datetime(2024, 3, 4, 9, 15)),
        (2, "Jordan.Lee@Example.COM", dt.datetime(2024, 3, 5, 21, 40, 12)),
        (7, "zoe@example.com", dt.datetime(2024, 3, 8, 7, 30)),  # -0800: the next UTC day
        (8, "ana@example.org", dt.datetime(2024, 3, 4, 9, 15)),
        (9, "kai@example.de", dt.datetime(2024, 3, 9, 12, 0)),  # -0000: UTC, zone unknown
    ]
    assert all(r.action is Action.REPLIED for r in rows)
    assert all(r.platform == PLATFORM and r.member == "" for r in rows)
    assert all(not r.at_is_local for r in rows)
    # row 3 is the owner's own message: left out, neither a row nor a rejection
    assert [r.row for r in _rejected(out)] == [4, 5, 6]


def test_encoded_words_in_names_and_subjects_are_decoded() -> None:
    rows = {r.row: r for r in _rows(_read("inbox.mbox"))}
    assert rows[1].name == "Ana Sílva"  # =?UTF-8?B?...?=
    assert rows[1].campaign == "Re: Your free launch checklist ✓"
    assert rows[2].campaign == "Re: Café pricing tips"  # =?iso-8859-1?Q?...?=
    assert rows[7].name == "Zoë Chen"  # =?UTF-8?Q?...?=
    assert rows[9].name == "Kai Becker" and rows[9].campaign == "Re: Your free launch checklist"


def test_a_display_name_with_a_comma_is_one_name_and_one_address() -> None:
    rows = {r.row: r for r in _rows(_read("inbox.mbox"))}
    assert (rows[2].name, rows[2].email) == ("Lee, Jordan", "Jordan.Lee@Example.COM")


def test_the_key_is_the_message_id_lower_cased_without_brackets() -> None:
    rows = {r.row: r for r in _rows(_read("inbox.mbox"))}
    assert rows[1].key == "caf-reply-0001@mail.example.org"
    assert rows[1].source_id == "CAF-Reply-0001@Mail.Example.org"
    assert rows[2].key == "20240305.abc@example.com"


def test_a_duplicate_message_id_gives_the_same_key_twice() -> None:
    # the same message twice in one file: both are yielded, the import skips by key
    rows = [r for r in _rows(_read("inbox.mbox")) if r.email == "ana@example.org"]
    assert [r.row for r in rows] == [1, 8]
    assert rows[0].key == rows[1].key


def test_without_a_message_id_the_key_joins_sender_date_and_subject() -> None:
    rows = {r.row: r for r in _rows(_read("inbox.mbox"))}
    assert rows[7].key == "zoe@example.com|2024-03-08T07:30:00|Re: Which topic next?"
    assert rows[7].source_id == ""


def test_no_date_a_malformed_date_and_no_from_are_rejected_with_a_reason() -> None:
    reasons = {r.row: r.reason for r in _rejected(_read("inbox.mbox"))}
    assert reasons == {
        4: "Message 4 in inbox.mbox has no Date header, so the reply cannot be dated.",
        5: "Message 5 in inbox.mbox has a Date that is not a date ('sometime next "
        "Tuesday'), so the reply cannot be dated.",
        6: "Message 6 in inbox.mbox has no From header, so it cannot be matched to anyone.",
    }
    assert all(r.member == "" for r in _rejected(_read("inbox.mbox")))


def test_the_owners_own_messages_are_left_out_whatever_the_case() -> None:
    assert "owner@smallyes.test" not in {r.email.lower() for r in _rows(_read("inbox.mbox"))}
    out = _read("inbox.mbox", own=frozenset({"  OWNER@smallyes.TEST "}))
    assert [r.row for r in out] == [1, 2, 4, 5, 6, 7, 8, 9]
    # without the owner's addresses their message is a reply like any other
    rows = _rows(_read("inbox.mbox", own=frozenset()))
    assert [(r.row, r.email, r.name) for r in rows if r.row == 3] == [
        (3, "Owner@Smallyes.test", "Sam Owner")
    ]


def test_the_body_is_never_returned() -> None:
    out = _read("inbox.mbox", "windows.mbox", "reply.eml", "raw-utf8.eml")
    assert len(out) == 12  # no-date.eml, the 13th message, is refused: its sentence below
    with pytest.raises(ImportFormatError) as refused:
        _read("no-date.eml")
    text = repr(out) + refused.value.user_message
    assert "PRIVATE-BODY-TEXT" not in text
    assert "not-a-header@example.invalid" not in text  # a body line that looks like a header
    assert "checklist.bin" not in text and "the top" not in text


# --- line endings, .eml files, raw 8-bit headers --------------------------------------


def test_windows_line_endings_and_a_folded_subject() -> None:
    out = _read("windows.mbox")
    assert [(r.row, r.email, r.at, r.campaign) for r in _rows(out)] == [
        (
            1,
            "mia@example.com",
            dt.datetime(2024, 4, 1, 8, 0),
            "Re: Booking a call: which day suits you?",
        ),
        (3, "noah@example.com", dt.datetime(2024, 4, 2, 14, 5, 9), "Question about the guide"),
    ]
    assert not _rejected(out)
    assert all("\r" not in r.key + r.campaign + r.name + r.email for r in _rows(out))
    assert [r.key for r in _rows(out)] == ["mia-0001@example.com", "noah-0001@example.com"]


def test_an_eml_with_an_attachment_and_windows_line_endings() -> None:
    [row] = _read("reply.eml")
    assert isinstance(row, ActivityRow)
    assert (row.row, row.email, row.name) == (1, "Lena.Groessl@example.at", "Lena Größl")
    assert row.at == dt.datetime(2024, 4, 10, 16, 20)
    assert row.campaign == "Re: Dein Leitfaden für den Start"
    assert row.key == "lena-0001@example.at"


def test_raw_utf8_headers_are_read_as_utf8() -> None:
    [row] = _read("raw-utf8.eml")
    assert isinstance(row, ActivityRow)
    assert (row.name, row.email) == ("Łukasz Nowak", "lukasz@example.pl")
    assert row.campaign == "Odp: Ankieta – który temat?"
    assert row.key == "lukasz@example.pl|2024-04-11T07:45:30|Odp: Ankieta – który temat?"


def test_raw_windows_1252_headers_are_read_as_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "old.eml"
    path.write_bytes(
        "From: Renée Dupont <renee@example.fr>\nSubject: Re: café\n"
        "Date: Fri, 12 Apr 2024 09:00:00 +0200\n\nMerci.\n".encode("cp1252")
    )
    [row] = read_mailbox([path])
    assert isinstance(row, ActivityRow)
    assert (row.name, row.campaign) == ("Renée Dupont", "Re: café")


def test_raw_8bit_text_beside_an_encoded_word_is_decoded_whole(tmp_path: Path) -> None:
    path = tmp_path / "mixed.eml"
    path.write_bytes(
        "From: Łukasz =?UTF-8?Q?Nowak?= <lukasz@example.pl>\n"
        "Subject: Odp: =?UTF-8?Q?kt=C3=B3ry?= temat – ankieta\n"
        "Date: Thu, 11 Apr 2024 07:45:30 +0000\n\nx\n".encode()
    )
    [row] = read_mailbox([path])
    assert isinstance(row, ActivityRow)
    assert (row.name, row.email) == ("Łukasz Nowak", "lukasz@example.pl")
    assert row.campaign == "Odp: który temat – ankieta"


def test_an_unknown_charset_keeps_the_readable_text(tmp_path: Path) -> None:
    path = _eml(
        tmp_path,
        "From: =?x-unknown?Q?Ann_Lee?= <ann@example.com>\nSubject: =?x-unknown?Q?Re:_hi?=\n"
        "Date: Mon, 1 Jul 2024 10:00:00 +0000",
    )
    [row] = read_mailbox([path])
    assert isinstance(row, ActivityRow)
    assert (row.email, row.name, row.campaign) == ("ann@example.com", "Ann Lee", "Re: hi")


def test_an_eml_without_a_date_is_refused_naming_the_file() -> None:
    # A lone .eml is the whole file: refused in one sentence, as recognition refuses it.
    with pytest.raises(ImportFormatError) as refused:
        _read("no-date.eml")
    message = refused.value.user_message
    assert message.startswith("no-date.eml has no Date header, so its reply cannot be dated:")
    assert message.count(".") == 1 + message.count(".eml") and "\n" not in message
    # Beside other files, it refuses them too: nothing is kept from such an import.
    with pytest.raises(ImportFormatError, match=r"no-date\.eml has no Date header"):
        _read("reply.eml", "no-date.eml")


def test_several_files_in_order_each_numbered_on_its_own() -> None:
    out = _read("reply.eml", "windows.mbox", "raw-utf8.eml")
    assert [(r.row, r.email) for r in _rows(out)] == [
        (1, "Lena.Groessl@example.at"),
        (1, "mia@example.com"),
        (3, "noah@example.com"),
        (1, "lukasz@example.pl"),
    ]


# --- odd messages -----------------------------------------------------------------------


def _eml(tmp_path: Path, headers: str, body: str = "Hello.\n") -> Path:
    path = tmp_path / "m.eml"
    path.write_text(_message(headers, body), encoding="utf-8", newline="")
    return path


def test_a_header_only_message_is_a_reply(tmp_path: Path) -> None:
    path = tmp_path / "h.eml"
    path.write_bytes(b"From: a@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\nSubject: Hi")
    [row] = read_mailbox([path])
    assert isinstance(row, ActivityRow)
    assert (row.email, row.campaign, row.at) == ("a@example.com", "Hi", dt.datetime(2024, 7, 1, 10))


def test_a_from_without_an_address_is_rejected(tmp_path: Path) -> None:
    path = _eml(tmp_path, "From: Mail Delivery System\nDate: Mon, 1 Jul 2024 10:00:00 +0000")
    [rejected] = read_mailbox([path])
    assert isinstance(rejected, Rejected)
    assert rejected.reason == (
        "m.eml has no sender address in its From header ('Mail Delivery System'), so it "
        "cannot be matched to anyone."
    )


def test_control_characters_and_nul_bytes_leave_names_and_subjects(tmp_path: Path) -> None:
    path = _eml(
        tmp_path,
        "From: Ann\x00 Lee <ann@example.com>\nSubject: =?UTF-8?B?UmU6AAdoaQ==?=\n"
        "Date: Mon, 1 Jul 2024 10:00:00 +0000",
    )
    [row] = read_mailbox([path])
    assert isinstance(row, ActivityRow)
    assert row.email == "ann@example.com"
    assert row.name == "Ann Lee"
    assert row.campaign == "Re: hi"


def test_a_message_id_folded_or_spaced_gives_the_same_key(tmp_path: Path) -> None:
    path = _eml(
        tmp_path,
        "From: a@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n"
        "Message-ID:\n  <Folded.ID@Example.COM>  ",
    )
    [row] = read_mailbox([path])
    assert isinstance(row, ActivityRow)
    assert row.key == "folded.id@example.com"


def test_the_first_of_several_from_addresses_is_the_sender(tmp_path: Path) -> None:
    path = _eml(
        tmp_path, "From: Ann <ann@example.com>, bob@example.com\nDate: 1 Jul 2024 10:00 +0000"
    )
    [row] = read_mailbox([path])
    assert isinstance(row, ActivityRow)
    assert (row.email, row.name, row.at) == ("ann@example.com", "Ann", dt.datetime(2024, 7, 1, 10))


def test_a_date_out_of_range_is_rejected(tmp_path: Path) -> None:
    path = _eml(tmp_path, "From: a@example.com\nDate: Fri, 31 Dec 9999 23:30:00 -0100")
    [rejected] = read_mailbox([path])
    assert isinstance(rejected, Rejected) and "not a date" in rejected.reason


def test_headers_larger_than_the_cap_are_rejected_without_holding_them(tmp_path: Path) -> None:
    line = "X-Filler: " + "x" * 990 + "\n"
    headers = "From: a@example.com\n" + line * (MAX_HEADER_BYTES // len(line) * 3)
    path = tmp_path / "big.mbox"
    ok = "From: b@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n"
    path.write_text(f"From x\n{headers}\nbody\n\nFrom y\n{ok}\nbody\n", encoding="utf-8")
    tracemalloc.start()
    try:
        out = list(read_mailbox([path]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out[0] == Rejected(
        "", 1, "Message 1 in big.mbox has more than 1 MiB of headers, so it is damaged or "
        "not a message."
    )  # fmt: skip
    assert isinstance(out[1], ActivityRow) and out[1].email == "b@example.com"
    assert peak < 3 * MAX_HEADER_BYTES


def _huge_attachment(size: int) -> str:
    chunk = base64.encodebytes(os.urandom(57 * 1000)).decode()  # 1,000 lines of 76
    return (
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nSee attached.\n\n"
        "--B\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
        + chunk * (size // len(chunk))
        + "\n--B--\n"
    )


@pytest.mark.parametrize(("kind", "newline"), [("mbox", "\n"), ("eml", "\n"), ("eml", "\r\n")])
def test_a_huge_attachment_is_never_held_in_memory(tmp_path: Path, kind: str, newline: str) -> None:
    size = 40 * 1024 * 1024
    message = (
        "From: Big Sender <big@example.com>\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n"
        "Subject: Re: the file\nMessage-ID: <big@example.com>\n" + _huge_attachment(size)
    )
    path = tmp_path / f"big.{kind}"
    with open(path, "w", encoding="ascii", newline=newline) as handle:
        if kind == "mbox":
            handle.write("From big@example.com Mon Jul  1 10:00:00 2024\n" + message + "\n")
            handle.write("From c@example.com Mon Jul  1 11:00:00 2024\n")
            handle.write("From: c@example.com\nDate: Mon, 1 Jul 2024 11:00:00 +0000\n\nhi\n")
        else:
            handle.write(message)
    assert path.stat().st_size > 40_000_000
    tracemalloc.start()
    try:
        out = list(read_mailbox([path]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [r.email for r in _rows(out)] == ["big@example.com"] + (
        ["c@example.com"] * (kind == "mbox")
    )
    assert out[0] == ActivityRow(
        platform=PLATFORM,
        member="",
        row=1,
        email="big@example.com",
        action=Action.REPLIED,
        at=dt.datetime(2024, 7, 1, 10),
        key="big@example.com",
        campaign="Re: the file",
        name="Big Sender",
        source_id="big@example.com",
    )
    assert peak < 2 * 1024 * 1024, f"peak {peak:,} bytes for a {size:,}-byte attachment"


# --- recognising and refusing files ---------------------------------------------------


@pytest.mark.parametrize("name", ["inbox.mbox", "windows.mbox", "reply.eml", "raw-utf8.eml"])
def test_mail_is_recognised_by_its_content(tmp_path: Path, name: str) -> None:
    assert recognises_mail(MAIL / name)
    renamed = tmp_path / "export.csv"  # the name never decides
    renamed.write_bytes((MAIL / name).read_bytes())
    assert recognises_mail(renamed)


def _other_files() -> list[Path]:
    return sorted(
        p for p in DATA.rglob("*") if p.is_file() and MAIL not in p.parents and p.suffix != ".py"
    )


@pytest.mark.parametrize("path", _other_files(), ids=lambda p: str(p.relative_to(DATA)))
def test_subscriber_and_other_activity_files_are_not_mail(path: Path) -> None:
    assert not recognises_mail(path)


def test_the_other_data_files_are_found() -> None:
    assert len([p for p in _other_files() if p.parent.name == "csv"]) >= 20


def test_a_text_starting_with_from_and_a_message_without_a_date_are_not_mail(
    tmp_path: Path,
) -> None:
    assert not recognises_mail(MAIL / "notes.txt")  # "From my desk, ..."
    assert not recognises_mail(MAIL / "no-date.eml")  # From: and Subject:, but no Date:
    only = tmp_path / "only.eml"
    only.write_bytes(b"From: a@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n\nhi\n")
    assert not recognises_mail(only)  # neither Message-ID, Subject nor To
    assert not recognises_mail(tmp_path / "missing.mbox")
    assert not recognises_mail(tmp_path)
    (tmp_path / "empty.mbox").write_bytes(b"")
    assert not recognises_mail(tmp_path / "empty.mbox")


def test_recognition_reads_only_the_first_64_kib(tmp_path: Path) -> None:
    path = tmp_path / "long.eml"
    filler = "".join(
        f"Received: from relay{i}.example.net by mx.example.net\n" for i in range(3000)
    )
    path.write_text(
        "From: a@example.com\n" + filler + "Date: Mon, 1 Jul 2024 10:00:00 +0000\nSubject: x\n\n",
        encoding="ascii",
    )
    assert path.stat().st_size > 64 * 1024
    assert not recognises_mail(path)  # its Date: lies past what is read
    path.write_text(
        "From: a@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\nSubject: x\n" + filler + "\n",
        encoding="ascii",
    )
    assert recognises_mail(path)


def test_a_file_that_is_not_mail_is_refused_with_a_sentence() -> None:
    with pytest.raises(ImportFormatError, match="neither an mbox mailbox nor an e-mail message"):
        _read("notes.txt")
    with pytest.raises(ImportFormatError, match="neither an mbox"):
        list(read_mailbox([DATA / "csv" / "mailchimp_subscribed.csv"]))


def test_a_folder_a_missing_file_and_a_zip_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match=r"is a folder: choose the \.mbox file"):
        list(read_mailbox([tmp_path]))
    with pytest.raises(ImportFormatError, match="There is no file"):
        list(read_mailbox([tmp_path / "missing.mbox"]))
    archive = tmp_path / "mail.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(MAIL / "inbox.mbox", "inbox.mbox")
    with pytest.raises(ImportFormatError, match="ZIP archive: unzip it"):
        list(read_mailbox([archive]))


def test_an_empty_file_has_no_messages(tmp_path: Path) -> None:
    (tmp_path / "Sent").write_bytes(b"")
    (tmp_path / "blank").write_bytes(b"\n\r\n  \n")
    assert list(read_mailbox([tmp_path / "Sent", tmp_path / "blank"])) == []


def test_reading_leaves_the_mailbox_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "inbox.mbox"
    path.write_bytes((MAIL / "inbox.mbox").read_bytes())
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    assert len(list(read_mailbox([path]))) == 9
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def _messages(box: mailbox.mbox) -> list[bytes]:
    out = []
    for key in box.iterkeys():
        handle = box.get_file(key)
        out.append(handle.read().rstrip(b"\r\n"))
        handle.close()
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from([b"From ", b"From", b"\n", b"\r\n", b"\r", b"x", b">From ", b" "]),
        max_size=60,
    ).map(b"".join),
    st.sampled_from([1, 2, 5, 6, 7, 64]),
)
def test_the_mbox_is_split_where_the_standard_mbox_splits_it(content: bytes, chunk: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.mbox"
        path.write_bytes(content)
        expected = mailbox.mbox(path, create=False)
        with mock.patch.object(reader, "_CHUNK", chunk):
            ours = reader._Mbox(path, create=False)
            try:
                assert _messages(ours) == _messages(expected)
            finally:
                ours.close()
                expected.close()


def test_the_fixture_mailboxes_split_as_the_standard_mbox_does() -> None:
    for name in ("inbox.mbox", "windows.mbox"):
        expected = mailbox.mbox(MAIL / name, create=False)
        ours = reader._Mbox(MAIL / name, create=False)
        try:
            assert len(_messages(ours)) == len(_messages(expected)) > 1
            assert _messages(ours) == _messages(expected)
        finally:
            ours.close()
            expected.close()


# --- arbitrary bytes --------------------------------------------------------------------

_PIECES = st.sampled_from(
    [b"From ", b"From: ", b"Date: ", b"Subject: ", b"Message-ID: ", b"To: ", b"\n", b"\r\n",
     b"\r", b" ", b"\t", b":", b"<", b">", b"@", b",", b'"', b"a@example.com", b"=?UTF-8?B?",
     b"=?x-unknown?Q?", b"?=", b"=C3", b"\x00", b"\xc3\xa9", b"\xe9", b"\xff", b"(", b")",
     b"Mon, 1 Jul 2024 10:00:00 +0000", b"31 Feb 99 25:61 +9999", b"-0000", b"\\", b"x"]
)  # fmt: skip
_CONTENT = st.one_of(st.binary(max_size=300), st.lists(_PIECES, max_size=80).map(b"".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CONTENT, st.sampled_from([b"", b"From x\n", b"From: a@b.c\n"]))
def test_arbitrary_bytes_give_rows_or_the_importers_error(content: bytes, start: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f"
        path.write_bytes(start + content)
        assert recognises_mail(path) in (True, False)
        try:
            out = list(read_mailbox([path], OWN))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            for item in out:
                assert isinstance(item, ActivityRow | Rejected)
                if isinstance(item, ActivityRow):
                    assert "@" in item.email and item.at is not None and item.key
                else:
                    assert item.reason.endswith(".")


# --- automatic replies ------------------------------------------------------------------


def _mbox(tmp_path: Path, *messages: str) -> Path:
    path = tmp_path / "auto.mbox"
    parts = [f"From x@example.com Mon Jul  1 10:00:00 2024\n{_message(m)}" for m in messages]
    path.write_text("\n".join(parts), encoding="utf-8", newline="")
    return path


AUTO_HEADERS = [
    "Auto-Submitted: auto-replied",
    "Auto-Submitted: auto-generated; owner-email=x@example.com",
    "Auto-Submitted: Auto-Notified",
    "X-Autoreply: yes",
    "X-Autorespond: Vacation",
    "Precedence: auto_reply",
    "Precedence: bulk",
    "Precedence: JUNK",
    "Subject: Automatic reply: Your pricing guide",
    "Subject: Out of Office: Re: hello",
    "Subject: Out of office AutoReply: hello",
    "Subject: Autoreply: hello",
    "Subject: Auto-Reply: hello",
    "Subject: Automatische Antwort: Ihre Anfrage",
    "Subject: =?UTF-8?Q?R=C3=A9ponse_automatique_:_bonjour?=",
    "Subject: Abwesenheitsnotiz: Preise",
]


@pytest.mark.parametrize("header", AUTO_HEADERS)
def test_an_automatic_reply_is_skipped_as_auto_reply(tmp_path: Path, header: str) -> None:
    head = "From: Ann <ann@example.com>\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n" + header
    if not header.startswith("Subject:"):
        head += "\nSubject: Re: hello"
    assert list(read_mailbox([_eml(tmp_path, head)])) == [Rejected("", 1, "auto_reply")]
    # In an mbox too, next to a reply a person wrote.
    person = "From: bo@example.com\nDate: Mon, 1 Jul 2024 11:00:00 +0000\nSubject: Re: hi"
    out = list(read_mailbox([_mbox(tmp_path, head, person)]))
    assert out[0] == Rejected("", 1, "auto_reply")
    assert isinstance(out[1], ActivityRow) and out[1].email == "bo@example.com"


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: no",
        "Auto-Submitted: No",
        "X-Autoreply: no",
        "Precedence: list",
        "Subject: Re: Out of office plans",
        "Subject: Out of office until Monday, call me",
        "Subject: Re: Automatic reply: hello",  # a person answering the responder
        "Auto-Submitted: no\nSubject: Automatic reply: hello",  # an explicit "no" wins
    ],
)
def test_a_message_a_person_wrote_stays_a_reply(tmp_path: Path, header: str) -> None:
    head = "From: Ann <ann@example.com>\nDate: Mon, 1 Jul 2024 10:00:00 +0000\n" + header
    [row] = read_mailbox([_eml(tmp_path, head)])
    assert isinstance(row, ActivityRow) and row.action is Action.REPLIED


def test_the_import_counts_auto_replies_as_skipped(db, db_path, tmp_path, capsys) -> None:
    import json

    from crm.cli import main

    path = _mbox(
        tmp_path,
        "From: ann@example.com\nDate: Mon, 1 Jul 2024 10:00:00 +0000\nSubject: Re: hi",
        "From: bo@example.com\nDate: Mon, 1 Jul 2024 10:05:00 +0000\nAuto-Submitted: auto-replied"
        "\nSubject: Re: hi",
        "From: cy@example.com\nSubject: Re: hi",
    )
    assert main(["--db", str(db_path), "import", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["events"] == {"replied": 1}
    assert out["skipped"] == {"auto_reply": 1}
    assert out["rejected"] == 1  # the message with no Date, with its reason
    assert out["created"] == 1  # ann; bo's responder made nobody a contact
