"""Calendly scheduled events: Scheduled events -> Export (``events-export.csv``).

One row per invitee of a scheduled event: ``Invitee Name``, ``Invitee Email``, ``Event
Type Name``, ``Start Date & Time``, ``Event Created Date & Time``, ``Canceled``
(``true``/``false``), question and response pairs, ``Event UUID``, ``Invitee UUID``...
Times are the exporting user's wall clock with no zone, ``2024-03-19 04:49 pm``; a
24-hour ``16:49`` and an upper-case ``PM`` read the same, so rows are ``at_is_local``.
An Excel re-save may write ``19/03/2024 16:49``: the file's values decide day/month
order, and a file whose every date could be either has those rows refused.

A booking is BOOKED at ``Event Created Date & Time`` (when the person said yes), its
meeting (``occurs_at``) at ``Start Date & Time``, about the event type (``product``).
``Canceled`` true gives a CANCELED row instead, which the import shows and counts as no
yes. The key is the ``Invitee UUID`` (``source_id``), so an exact duplicate row is
yielded with its twin's key and the import skips it. A cancellation keeps the booking's
key: a booking imported before and canceled since is found by it, and the import takes
its yes back. Without an invitee UUID the key joins the event's UUID, the address and the creation
time.

Questions and responses are not read (the import would take them for form answers), nor
are ``Event Price`` (a paid event's sale comes from the payment export) and ``Marked as
No-Show``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from crm.errors import ImportFormatError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.google_forms import parse_stamp
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    Table,
    bad_time,
    cell,
    has_columns,
    join_key,
    no_email,
    open_table,
)
from crm.importing.decoding import Decoding, Source
from crm.importing.values import day_month_order

PLATFORM = "calendly"
UNDATED = (
    "the booking has no 'Event Created Date & Time': export the scheduled events from "
    "Calendly again"
)

_EMAIL = "Invitee Email"
_START = "Start Date & Time"
_CREATED = "Event Created Date & Time"
_TRUE = frozenset({"true", "yes", "1"})
_REFUSAL = (
    "is not a Calendly events export: it needs 'Invitee Email', 'Start Date & Time' and "
    "'Event Created Date & Time' columns, so export the scheduled events from Calendly again."
)


def recognises(member: str, headers: Sequence[str]) -> bool:
    """The invitee's email with the meeting's start and the booking's creation time."""
    return has_columns(headers, _EMAIL, _START, _CREATED)


class _Columns(NamedTuple):
    """Where each column the reader uses is (None: the file has no such column)."""

    email: int | None
    created: int | None
    start: int | None
    canceled: int | None
    invitee: int | None
    event: int | None
    event_type: int | None
    name: int | None
    first_name: int | None
    last_name: int | None

    @classmethod
    def of(cls, table: Table) -> _Columns:
        return cls(
            email=table.column(_EMAIL),
            created=table.column(_CREATED),
            start=table.column(_START),
            canceled=table.column("Canceled"),
            invitee=table.column("Invitee UUID"),
            event=table.column("Event UUID"),
            event_type=table.column("Event Type Name"),
            name=table.column("Invitee Name"),
            first_name=table.column("Invitee First Name"),
            last_name=table.column("Invitee Last Name"),
        )


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """One BOOKED or CANCELED row per invitee, in file order (``context`` is not needed)."""
    with open_table(source, decoding) as table:
        if table.headers and not recognises(table.member, table.headers):
            raise ImportFormatError(f"{source.label} {_REFUSAL}")
        # A scheduled-events export is a few thousand rows: held, so that the day/month
        # order of a re-saved file is decided before its first row is read.
        records = list(table.records())
    columns = _Columns.of(table)
    order = day_month_order(
        cell(fields, column).split(" ", 1)[0]
        for _, fields in records
        for column in (columns.created, columns.start)
    )
    for row, fields in records:
        yield _booking(table, row, fields, columns, order or "")


def _booking(
    table: Table, row: int, fields: Sequence[str], columns: _Columns, order: str
) -> ActivityRow | Rejected:
    address = cell(fields, columns.email)
    if not address:
        return no_email(table, row)
    written, starts = cell(fields, columns.created), cell(fields, columns.start)
    try:
        at, local = parse_stamp(written, order)
    except ValueError as exc:
        return bad_time(table, row, written, exc)
    if at is None:
        return Rejected(table.member, row, UNDATED)
    try:
        occurs_at = parse_stamp(starts, order)[0]
    except ValueError as exc:
        return bad_time(table, row, starts, exc)
    invitee = cell(fields, columns.invitee)
    canceled = cell(fields, columns.canceled).lower() in _TRUE
    if invitee:
        parts = [PLATFORM, invitee]
    else:
        parts = [PLATFORM, cell(fields, columns.event), address.lower(), at.isoformat()]
    names = (cell(fields, columns.first_name), cell(fields, columns.last_name))
    return ActivityRow(
        PLATFORM,
        table.member,
        row,
        address,
        Action.CANCELED if canceled else Action.BOOKED,
        at,
        join_key(*parts),
        at_is_local=local,
        name=cell(fields, columns.name) or " ".join(n for n in names if n),
        product=cell(fields, columns.event_type),
        occurs_at=occurs_at,
        source_id=invitee,
    )
