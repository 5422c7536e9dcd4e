"""Cal.com bookings: Insights -> Download (CSV), one row per booking.

``id,uid,title,createdAt,timeStatus,eventTypeId,eventLength,startTime,endTime,paid,
userEmail,userUsername,...``, then ``attendee1,attendeePhone1,attendee2,...`` (as many
pairs as the booking with the most attendees has) and the booking questions. Each
attendee is ``Name (email)``. ``createdAt`` and ``startTime`` are ISO UTC
(``2024-03-19T16:49:00.000Z``); the ``*_date``/``*_time`` columns repeat them in the
user's zone and are not read. ``userEmail`` is the host, the owner, never a lead.

``timeStatus`` says what became of the booking: ``completed`` (it took place) and
``uncompleted`` (still to come) give each attendee a BOOKED row at ``createdAt``, its
meeting (``occurs_at``) at ``startTime``, about ``title`` (``product``); ``cancelled``
gives CANCELED rows, which the import shows and counts as no yes; ``rescheduled`` (the
old slot of a moved booking, whose new slot is a row of its own) is skipped as
``rescheduled``. Cal.com cannot tell rejected or unconfirmed bookings from the rest.

The key is the booking's ``uid`` (``source_id``), with the attendee's address when the
booking has several, so an exact duplicate row is yielded with its twin's key and the
import skips it. A cancellation keeps the booking's key: a booking imported before and
cancelled since is found by it, and the import takes its yes back.

Older Cal.com versions end the header at ``paid,userEmail,username``, with no attendee
at all: the file is recognised, and each booking refused with a sentence asking for a
download from a current Cal.com.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from crm.errors import ImportFormatError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    Table,
    bad_time,
    cell,
    has_columns,
    join_key,
    no_email,
    open_table,
    parse_time,
)
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import fold

PLATFORM = "calcom"
RESCHEDULED = "rescheduled"
NO_ATTENDEES = (
    "this older Cal.com export names no attendee of the booking: download the bookings "
    "again from Insights in a current Cal.com"
)
UNDATED = "the booking has no 'createdAt' time: download the bookings from Cal.com again"
_ACTIONS = {
    "completed": Action.BOOKED,
    "uncompleted": Action.BOOKED,
    "cancelled": Action.CANCELED,
    "canceled": Action.CANCELED,
}
_ATTENDEE = re.compile(r"attendee(\d+)")  # a folded header: attendee1, attendee2...
_PERSON = re.compile(r"^(?P<name>.*?)\s*\((?P<email>[^()]*)\)$")  # "Name (email)"
_REFUSAL = (
    "is not a Cal.com bookings export: it needs 'uid', 'createdAt', 'timeStatus' and "
    "'startTime' columns, so download the bookings from Cal.com Insights again."
)


def recognises(member: str, headers: Sequence[str]) -> bool:
    """The booking's uid, creation time, time status and start, current or older."""
    return has_columns(headers, "uid", "createdAt", "timeStatus", "startTime")


def attendee_columns(headers: Sequence[str]) -> list[int]:
    """The ``attendeeN`` columns, by N (not the ``attendeePhoneN`` beside them)."""
    found = []
    for index, header in enumerate(headers):
        match = _ATTENDEE.fullmatch(fold(header))
        if match:
            found.append((int(match.group(1)), index))
    return [index for _, index in sorted(found)]


def attendee(text: str) -> tuple[str, str]:
    """``(name, email)`` of an attendee cell: ``Ann (Sales) (ann@example.com)`` gives
    ``("Ann (Sales)", "ann@example.com")``; a cell without brackets is all address."""
    match = _PERSON.match(text)
    if match is None:
        return "", text
    return match.group("name").strip(), match.group("email").strip()


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """Every attendee of every booking, in file order (``context`` is not needed)."""
    with open_table(source, decoding) as table:
        if table.headers and not recognises(table.member, table.headers):
            raise ImportFormatError(f"{source.label} {_REFUSAL}")
        people = attendee_columns(table.headers)
        ident, uid = table.column("id"), table.column("uid")
        title, status = table.column("title"), table.column("timeStatus")
        created, start = table.column("createdAt"), table.column("startTime")
        for row, fields in table.records():
            word = cell(fields, status).lower()
            if word == RESCHEDULED:
                yield Rejected(table.member, row, RESCHEDULED)
                continue
            action = _ACTIONS.get(word)
            if action is None:
                yield _unknown_status(table, row, word)
                continue
            if not people:
                yield Rejected(table.member, row, NO_ATTENDEES)
                continue
            attendees = [attendee(cell(fields, i)) for i in people if cell(fields, i)]
            if not attendees:
                yield no_email(table, row)
                continue
            written, starts = cell(fields, created), cell(fields, start)
            try:
                at = parse_time(written)[0]
            except ValueError as exc:
                yield bad_time(table, row, written, exc)
                continue
            if at is None:
                yield Rejected(table.member, row, UNDATED)
                continue
            try:
                occurs_at = parse_time(starts)[0]
            except ValueError as exc:
                yield bad_time(table, row, starts, exc)
                continue
            booking = cell(fields, uid) or cell(fields, ident)
            product = cell(fields, title)
            for name, email in attendees:
                parts = [PLATFORM, booking]
                if len(attendees) > 1:
                    parts.append(email.lower())
                yield ActivityRow(
                    PLATFORM,
                    table.member,
                    row,
                    email,
                    action,
                    at,
                    join_key(*parts),
                    name=name,
                    product=product,
                    occurs_at=occurs_at,
                    source_id=booking,
                )


def _unknown_status(table: Table, row: int, word: str) -> Rejected:
    if not word:
        said = "the booking has no time status"
    else:
        shown = word if len(word) <= 40 else word[:40] + "..."
        said = f"the booking's time status '{shown}' is not one Cal.com writes"
    return Rejected(table.member, row, f"{said}: download the bookings from Cal.com Insights again")
