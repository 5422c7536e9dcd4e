"""An activity CSV read by column name: its header, its records, its cells and times.

The subscriber import's reading layer does the work (decoding, delimiter sniffing, the
``sep=`` line, header cleaning, quoted newlines, row numbers); this adds what every
activity reader needs on top of it: columns found by name, trimmed cells, times read
with :func:`crm.importing.values.parse_date`, and the event key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import PurePosixPath

from crm.book.emails import clean_edges
from crm.importing.activity.rows import Rejected
from crm.importing.decoding import Decoding, Source, open_text
from crm.importing.mapping import fold
from crm.importing.records import RecordReader
from crm.importing.values import parse_date

NO_EMAIL = "no email address"


class Table:
    """The header of one CSV and its records, with columns looked up by name."""

    def __init__(self, source: Source, reader: RecordReader) -> None:
        self.member = source.member or ""
        self.headers: tuple[str, ...] = reader.header.names if reader.header else ()
        self._reader = reader
        self._folded = [fold(h) for h in self.headers]

    def column(self, *names: str) -> int | None:
        """The first column named one of ``names`` (compared as ``fold`` does), by the
        order of ``names``: the first name is the one preferred."""
        return find_column(self._folded, names)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """``(row number, fields)``; nothing at all for a file with no header."""
        if self.headers:
            yield from self._reader


@contextmanager
def open_table(source: Source, decoding: Decoding) -> Iterator[Table]:
    with open_text(source, decoding) as stream:
        yield Table(source, RecordReader(stream))


def find_column(folded: Sequence[str], names: Sequence[str]) -> int | None:
    """Where the first of ``names`` that a header has is, in headers already ``fold``-ed."""
    for name in names:
        wanted = fold(name)
        for index, header in enumerate(folded):
            if header == wanted:
                return index
    return None


def has_columns(headers: Sequence[str], *names: str) -> bool:
    """Whether every one of ``names`` is a column of ``headers`` (compared as ``fold`` does)."""
    folded = {fold(h) for h in headers}
    return all(fold(n) in folded for n in names)


def cell(fields: Sequence[str], index: int | None) -> str:
    """A cell trimmed of whitespace and invisible characters; "" when the row is short."""
    if index is None or index >= len(fields):
        return ""
    return clean_edges(fields[index])


def parse_time(text: str, order: str = "") -> tuple[dt.datetime | None, str]:
    """A time cell as naive UTC (whole seconds, as the book stores it), and the same time
    for the event key in ISO form with the fraction the file wrote: two opens in one
    second stay two events. ``(None, "")`` for an empty cell; ValueError for a cell
    that is not a date.

    ISO times (what the platforms write) are read here in one step, as
    :func:`crm.importing.values.parse_date` reads them; every other form goes to it."""
    text = text.strip()
    if len(text) >= 19 and text[4:5] == "-" and text[:4].isdigit():
        try:
            if len(text) == 19 and text[16:17] == ":":
                # 'YYYY-MM-DD HH:MM:SS' (Mailchimp): no zone, no fraction
                at = dt.datetime.fromisoformat(text)
                return at, text.replace(" ", "T")  # its isoformat(), without making it
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            pass
        else:
            if value.tzinfo is not None:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            return value.replace(microsecond=0), value.isoformat()
    stored = parse_date(text, order)
    if stored is None:
        return None, ""
    at = dt.datetime.fromisoformat(stored)
    return at, at.isoformat()


def written_with_zone(text: str) -> bool:
    """Whether a time cell says its zone (``Z``, an offset, `` UTC``)."""
    text = text.strip()
    if text.upper().endswith(("Z", " UTC", " GMT")):
        return True
    if text[:4].isdigit() and text[4:5] == "-":
        try:
            return dt.datetime.fromisoformat(text).tzinfo is not None
        except ValueError:
            return False
    return False


def join_key(*parts: str) -> str:
    """An event key from the fields that make the event unique (``|`` between them)."""
    return "|".join(parts)


def no_email(table: Table, row: int) -> Rejected:
    return Rejected(table.member, row, NO_EMAIL)


def bad_time(table: Table, row: int, text: str, error: ValueError | None = None) -> Rejected:
    shown = text if len(text) <= 40 else text[:40] + "..."
    if error is not None and "ambiguous" in str(error):
        return Rejected(table.member, row, f"the time '{shown}' could be day/month or month/day")
    return Rejected(table.member, row, f"the time '{shown}' is not a date")


def bad_refund(
    amount: Decimal, refunded: Decimal, currency: str, amount_column: str, refund_column: str
) -> str:
    """Why a sale's amount and refund cannot both be right, naming the column to check."""
    if amount < 0 or refunded < 0:
        return (
            f"the amount {amount} {currency} or its refund is negative: check the "
            f"{amount_column} column."
        )
    return (
        f"the refunded {refunded} {currency} is more than the sale's {amount}: check the "
        f"{refund_column} column."
    )


def member_parts(member: str) -> tuple[str, ...]:
    """A ZIP member's path, folder by folder, lower-cased (``\\`` read as ``/``)."""
    return PurePosixPath(member.replace("\\", "/").lower()).parts
