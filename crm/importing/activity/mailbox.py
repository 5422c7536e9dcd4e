"""Reading a mailbox export (one ``.mbox`` file, or ``.eml`` messages) as replies.

A message from someone is a ``replied`` row dated at its ``Date`` header (UTC), with the
sender's address and name and the subject as its campaign. Only the header block of each
message is read: the body is never read, kept or returned, so a message with a huge
attachment costs no more memory than one without. Messages whose From is one of the
owner's own addresses are left out; a message without a sender address or without a
usable date is a :class:`Rejected` with its reason. A lone ``.eml`` with no Date header at
all is refused (:class:`ImportFormatError`), as recognition would not take it for mail.

Automatic mail is no reply a person wrote: it is a :class:`Rejected` whose reason is the
word ``auto_reply``, which the import counts as skipped. The headers that say so are those
of RFC 3834 and the de facto ones mail programs write: an ``Auto-Submitted`` other than
``no``, an ``X-Autoreply`` or ``X-Autorespond`` (other than ``no``), ``Precedence:
auto_reply``, ``bulk`` or ``junk``. Some out-of-office replies carry none of them, so a
subject that starts the way vacation responders start theirs ("Automatic reply:", "Out of
Office:", "Autoreply:" and their German, French, Spanish, Dutch, Italian and Portuguese
forms) is taken as a sign too, but only at the start and followed by a colon ("Re: out of
office plans" stays a reply). An explicit ``Auto-Submitted: no`` settles it: a reply.

The key is the Message-ID, lower-cased and without its angle brackets, or, for a message
without one, ``sender|date|subject``. The same message twice (a mailbox exported twice
into one file, or a message in both an mbox and an ``.eml``) gives two rows with the same
key: both are yielded and the import skips the second by its key.

Files are recognised by their content, never by their name: an mbox starts with a
``From `` line, an ``.eml`` with RFC 5322 header lines.

Speed: the header classes of ``email.policy.default`` take over a millisecond a message
(a 100,000-message export would take minutes), so the everyday ASCII header is decoded
with ``email.header`` and ``email.utils``, and ``email.policy.default`` reads the rest
(raw 8-bit text mixed with encoded words, unknown charsets). The mbox is split by
scanning it in large blocks, not line by line.
"""

from __future__ import annotations

import datetime as dt
import email.errors
import email.header
import email.policy
import mailbox
import re
import unicodedata
from collections.abc import Iterator, Sequence
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from crm.book.emails import clean_edges
from crm.errors import ImportFormatError
from crm.importing.activity.report import SKIP_AUTO_REPLY
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.decoding import shown_name, sources_for

PLATFORM = "mailbox"
HEAD_BYTES = 64 * 1024  # what recognition reads of a file
# Far above any real header block (long Received chains, DKIM and ARC signatures): past
# it the "headers" are a damaged file, and reading stops there instead of holding it.
MAX_HEADER_BYTES = 1024 * 1024
_SHOWN = 60  # characters of a bad header value quoted in a reason
_CHUNK = 256 * 1024  # bytes scanned at a time for the mbox's separator lines
_SEPARATOR = b"\nFrom "

# A header line's field name: printable ASCII except the colon (RFC 5322 section 3.6.8).
_FIELD = re.compile(rb"^([!-9;-~]+)[ \t]*:")
_SPACES = re.compile(r"\s+")
_AUTO_HEADERS = ("x-autoreply", "x-autorespond")
_NOT_AUTO = frozenset({"no", "false", "0", ""})
_AUTO_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk"})
# The subject prefixes vacation responders write (Outlook and Exchange in several
# languages, most webmail); a colon must follow, so a person's "Out of office plans" is kept.
_AUTO_SUBJECT = re.compile(
    r"(automatic reply|auto[- ]?reply|auto[- ]?response|out of (the )?office( autoreply)?"
    r"|automatische antwort|abwesenheitsnotiz|r[ée]ponse automatique|absence du bureau"
    r"|respuesta autom[áa]tica|automatisch antwoord|risposta automatica"
    r"|resposta autom[áa]tica)\s*:",
    re.IGNORECASE,
)
_PARSER = HeaderParser(policy=email.policy.default)
# The header classes of email.policy.default raise on some malformed values instead of
# recording a defect; such a value is then read as the raw text.
_UNPARSABLE = (ValueError, IndexError, TypeError, AttributeError, email.errors.MessageError)


class _Mbox(mailbox.mbox):
    """The standard mbox, with its table of contents found by scanning the file in large
    blocks: the standard one asks the file its position on every line, which reads a
    mailbox of attachments at about 25 MB/s instead of hundreds.

    The messages are the same ones; a message's end includes the blank line before the
    next separator, which reading headers never reaches.
    """

    # attributes of mailbox's single-file mailboxes that typeshed does not declare
    _file: BinaryIO
    _toc: dict[int, tuple[int, int]] | None
    _next_key: int
    _file_length: int | None

    def _generate_toc(self) -> None:
        starts = _separator_offsets(self._file)
        self._file.seek(0, 2)
        end = self._file.tell()
        stops = [*starts[1:], end] if starts else []
        self._toc = dict(enumerate(zip(starts, stops, strict=True)))
        self._next_key = len(self._toc)
        self._file_length = end


def _separator_offsets(handle: BinaryIO) -> list[int]:
    """Where each line that starts with ``From `` starts: mbox's message separators."""
    handle.seek(0)
    offsets: list[int] = []
    before, offset = b"\n", 0  # the end of the block before (the file's start starts a line)
    while chunk := handle.read(_CHUNK):
        # a separator split between two blocks, found on the joint alone (no copy of chunk)
        joint = before + chunk[: len(_SEPARATOR) - 1]
        at = joint.find(_SEPARATOR)
        while 0 <= at < len(before):
            offsets.append(offset - len(before) + at + 1)
            at = joint.find(_SEPARATOR, at + 1)
        at = chunk.find(_SEPARATOR)
        while at >= 0:
            offsets.append(offset + at + 1)
            at = chunk.find(_SEPARATOR, at + 1)
        before = (before + chunk[-(len(_SEPARATOR) - 1) :])[-(len(_SEPARATOR) - 1) :]
        offset += len(chunk)
    return offsets


class _Lines(Protocol):
    """What a message is read through: an open file, or mailbox's view of one message."""

    def readline(self, size: int, /) -> bytes: ...


def recognises_mail(path: Path) -> bool:
    """True when ``path`` holds an mbox mailbox or an RFC 5322 message (``.eml``), judged
    on at most its first 64 KiB; False for anything else, unreadable files included."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return False
    if _is_mbox(head):
        return True
    fields = _header_fields(head, complete=len(head) < HEAD_BYTES)
    return bool(fields and {"from", "date"} <= fields and fields & {"message-id", "subject", "to"})


def read_mailbox(
    paths: Sequence[Path], own_addresses: frozenset[str] = frozenset()
) -> Iterator[ActivityRow | Rejected]:
    """Every message of ``paths`` (mbox files or ``.eml`` files, in that order) as a
    ``replied`` row or a :class:`Rejected`; the owner's own messages are left out.

    Raises ImportFormatError for a path that is not a readable mailbox or message.
    """
    own = frozenset(clean_edges(address).lower() for address in own_addresses)
    for path in paths:
        yield from _read_file(path, own)


def _read_file(path: Path, own: frozenset[str]) -> Iterator[ActivityRow | Rejected]:
    label = shown_name(path)
    head = _head(path)
    if not head.strip():
        return  # an empty mailbox (a mail program writes a folder with no messages so)
    if _is_mbox(head):
        yield from _read_mbox(path, label, own)
        return
    if not _header_fields(head, complete=len(head) < HEAD_BYTES):
        raise ImportFormatError(
            f"{label} is neither an mbox mailbox nor an e-mail message (.eml): export the "
            "folder from your mail program as .mbox, or save the messages as .eml files."
        )
    with open(path, "rb") as handle:
        row = _message(handle, label, 1, own, lone=True)
    if row is not None:
        yield row


def _head(path: Path) -> bytes:
    """The first bytes of a regular file, or ImportFormatError with what it is instead."""
    if path.is_dir():
        raise ImportFormatError(
            f"{path} is a folder: choose the .mbox file or the .eml files inside it."
        )
    if not path.is_file():
        sources_for(path)  # says why: no such file, a pipe, a device
        raise ImportFormatError(f"{path} cannot be read: choose the mailbox file itself.")
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise ImportFormatError(f"{path} cannot be read ({exc.strerror}).") from exc
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise ImportFormatError(
            f"{shown_name(path)} is a ZIP archive: unzip it and choose the .mbox or .eml "
            "files inside."
        )
    return head


def _read_mbox(path: Path, label: str, own: frozenset[str]) -> Iterator[ActivityRow | Rejected]:
    try:
        # mailbox opens the file for update where it may; nothing here changes it
        box = _Mbox(path, create=False)
    except OSError as exc:
        raise ImportFormatError(f"{path} cannot be read ({exc.strerror}).") from exc
    try:
        for number, key in enumerate(box.iterkeys(), 1):
            handle = box.get_file(key)  # this message alone, after its From_ line
            try:
                row = _message(handle, f"Message {number} in {label}", number, own)
            finally:
                handle.close()
            if row is not None:
                yield row
    except OSError as exc:
        raise ImportFormatError(f"{label} could not be read to its end ({exc}).") from exc
    finally:
        box.close()


def _message(
    handle: _Lines, where: str, number: int, own: frozenset[str], *, lone: bool = False
) -> ActivityRow | Rejected | None:
    """One message's row from its header block; None for the owner's own message.

    ``lone``: the message is a whole ``.eml`` file, refused when it has no Date header."""
    block = _header_block(handle)
    if block is None:
        return Rejected(
            "",
            number,
            f"{where} has more than 1 MiB of headers, so it is damaged or not a message.",
        )
    headers = _PARSER.parsestr(_text(block))
    sender = _raw(headers, "from")
    if not sender:
        return Rejected(
            "", number, f"{where} has no From header, so it cannot be matched to anyone."
        )
    address, name = _address(headers, sender)
    if not address:
        return Rejected(
            "",
            number,
            f"{where} has no sender address in its From header ({_shown(sender)}), so it "
            "cannot be matched to anyone.",
        )
    if address.lower() in own:
        return None
    if _is_automatic(headers):
        return Rejected("", number, SKIP_AUTO_REPLY)
    written = _raw(headers, "date")  # the stdlib date parser reads it as written
    if not written and lone:
        raise ImportFormatError(
            f"{where} has no Date header, so its reply cannot be dated: save the message "
            "from your mail program again, or leave this file out."
        )
    if not written:
        return Rejected("", number, f"{where} has no Date header, so the reply cannot be dated.")
    at = _utc(written)
    if at is None:
        return Rejected(
            "",
            number,
            f"{where} has a Date that is not a date ({_shown(written)}), so the reply "
            "cannot be dated.",
        )
    subject = _clean(_value(headers, "subject") or "")
    message_id = _message_id(_raw(headers, "message-id") or "")
    key = message_id.lower() or f"{address.lower()}|{at.isoformat()}|{subject}"
    return ActivityRow(
        platform=PLATFORM,
        member="",
        row=number,
        email=address,
        action=Action.REPLIED,
        at=at,
        key=key,
        campaign=subject,
        name=name,
        source_id=message_id,
    )


def _is_automatic(headers: Message) -> bool:
    """Whether the headers say a program wrote the message (see the module docstring)."""
    submitted = _raw(headers, "auto-submitted")
    if submitted is not None:
        # "auto-replied; owner-email=..." : the keyword before any parameter decides
        return submitted.split(";", 1)[0].strip().lower() != "no"
    for name in _AUTO_HEADERS:
        value = _raw(headers, name)
        if value is not None and value.lower() not in _NOT_AUTO:
            return True
    precedence = _raw(headers, "precedence")
    if precedence is not None and precedence.lower() in _AUTO_PRECEDENCE:
        return True
    subject = _value(headers, "subject") or ""
    return bool(_AUTO_SUBJECT.match(_clean(subject)))


def _header_block(handle: _Lines) -> bytes | None:
    """The bytes up to the blank line that ends the headers (or the end of the message),
    read line by line and never more than MAX_HEADER_BYTES; None past that."""
    lines: list[bytes] = []
    size = 0
    while line := handle.readline(MAX_HEADER_BYTES + 1 - size):
        if line in (b"\n", b"\r\n"):
            break
        lines.append(line)
        size += len(line)
        if size > MAX_HEADER_BYTES:
            return None
    return b"".join(lines)


def _text(block: bytes) -> str:
    """Header bytes as text: raw 8-bit headers are UTF-8 from modern programs (RFC 6532),
    Windows-1252 from old ones; encoded words (=?UTF-8?B?...?=) stay for the parser."""
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("cp1252", "replace")


def _raw(headers: Message, name: str) -> str | None:
    """The first ``name`` header as written, folding undone; None without one."""
    raw = next((value for field, value in headers.raw_items() if field.lower() == name), None)
    return None if raw is None else _SPACES.sub(" ", raw).strip()


def _value(headers: Message, name: str) -> str | None:
    """The first ``name`` header, encoded words decoded and folding undone; None without one."""
    raw = _raw(headers, name)
    if raw is None:
        return None
    quick = _decode_words(raw)
    return quick if quick is not None else _policy_value(headers, name, raw)


def _policy_value(headers: Message, name: str, raw: str) -> str:
    """The header as email.policy.default decodes it, or ``raw`` when it cannot."""
    try:
        return str(headers[name]).strip()
    except _UNPARSABLE:
        return raw


def _decode_words(text: str) -> str | None:
    """``text`` with its encoded words (=?UTF-8?B?...?=) decoded; None when the quick
    decoder cannot be trusted with it: it garbles raw 8-bit text next to an encoded word."""
    if "=?" not in text:
        return text
    if not text.isascii():
        return None
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (*_UNPARSABLE, LookupError):  # an unknown charset, damaged base64
        return None


def _address(headers: Message, sender: str) -> tuple[str, str]:
    """The first address of the From value ``sender`` and its display name, decoded ("" when
    there is none)."""
    address, name = _first_address(sender)
    decoded = _decode_words(name)
    if decoded is None:
        address, decoded = _first_address(_policy_value(headers, "from", sender))
    return address, _clean(decoded)


def _first_address(sender: str) -> tuple[str, str]:
    try:
        pairs = getaddresses([sender])
    except _UNPARSABLE:
        return "", ""
    for name, address in pairs:
        address = clean_edges(address)
        if "@" in address:
            return address, name
    return "", ""


def _utc(written: str) -> dt.datetime | None:
    """A Date header as naive UTC; a date written with ``-0000`` (no zone known) is UTC."""
    try:
        value = parsedate_to_datetime(written)
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
    except (*_UNPARSABLE, OverflowError):
        return None
    return value


def _message_id(written: str) -> str:
    """The id inside a Message-ID's angle brackets (the whole value without them)."""
    text = "".join(written.split())
    start = text.find("<")
    end = text.find(">", start + 1)
    if start >= 0 and end > start:
        text = text[start + 1 : end]
    return text.strip("<>")


def _clean(text: str) -> str:
    """Control characters (from a damaged encoded word, say) out, whitespace collapsed."""
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return _SPACES.sub(" ", clean_edges(kept))


def _shown(value: str) -> str:
    value = _clean(value)
    return f"'{value[:_SHOWN]}…'" if len(value) > _SHOWN else f"'{value}'"


def _is_mbox(head: bytes) -> bool:
    """A ``From `` separator line followed by header lines, as every mbox starts."""
    if not head.startswith(b"From "):
        return False
    newline = head.find(b"\n")
    if newline < 0:
        return False
    rest = head[newline + 1 :]
    return bool(_header_fields(rest, complete=len(head) < HEAD_BYTES))


def _header_fields(head: bytes, *, complete: bool) -> set[str] | None:
    """The lower-cased field names of a header block at the start of ``head``, or None
    when it does not start with one. ``complete`` is false when ``head`` is cut short, so
    its last, partial line is not judged."""
    lines = head.split(b"\n")
    if not complete:
        lines.pop()
    names: set[str] = set()
    for line in lines:
        line = line.removesuffix(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if not names:
                return None
            continue
        match = _FIELD.match(line)
        if match is None:
            return None
        names.add(match.group(1).decode("ascii").lower())
    return names or None
