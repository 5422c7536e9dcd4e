"""Reading CSV records from a text stream: delimiters, quoting, headers, row numbers.

Python's C ``csv`` reader does RFC 4180 quoting: quoted fields may hold delimiters,
doubled quotes and any line ending, and CRLF, LF and a lone CR may be mixed because the
stream is opened with ``newline=""``. This module adds what Excel and the platforms do
around it: a ``sep=X`` first line, delimiter sniffing on the header line, header cells
trimmed of whitespace and invisible characters (NBSP, zero-width, BOM), blank records
skipped, and rows numbered the way the user counts them.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from crm.book.emails import clean_edges
from crm.errors import ImportFormatError

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MAX_FIELD = 4 * 1024 * 1024  # one cell; a runaway quote is reported, not swallowed
# The most columns a header may have: the widest real export (Outlook's, with custom
# fields) has under 200. Beyond it the file is not a list of people.
MAX_COLUMNS = 2000
# The most characters one record may hold (a few cells at the 4 MB limit): the reader
# never holds more than this of the file at once, however its lines run.
MAX_RECORD_CHARS = 8 * 1024 * 1024
_SEP_LINE = re.compile(r"^\ufeff?\s*\"?sep=(.)\"?\s*$", re.IGNORECASE)

csv.field_size_limit(MAX_FIELD)


@dataclass(frozen=True, slots=True)
class Header:
    """The header row: trimmed names by position, and the columns that are kept."""

    names: tuple[str, ...]
    delimiter: str
    sep_line: bool

    @property
    def width(self) -> int:
        return len(self.names)


def sniff_delimiter(line: str) -> str:
    """The most frequent of , ; TAB | outside quotes on the header line (ties: that order)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))
    return best if counts[best] else ","


class LongRow(list[str]):
    """A record with far more fields than its header, cut to a bounded length when read:
    ``total`` is how many fields it had, ``filled`` whether any beyond the header's
    width held text (which decides between ignoring them and rejecting the row)."""

    __slots__ = ("filled", "total")

    def __init__(self, fields: list[str], keep: int, width: int) -> None:
        super().__init__(fields[:keep])
        self.total = len(fields)
        self.filled = bool("".join(fields[width:]).strip())


class _RecordTooLong(Exception):
    pass


def _bounded_lines(stream: TextIO, used: list[int]) -> Iterator[str]:
    """The stream's lines, none longer than MAX_RECORD_CHARS, counting into ``used[0]``
    the characters of the record being read (the reader sets it to 0 at each record)."""
    readline = stream.readline
    limit = MAX_RECORD_CHARS
    while line := readline(limit):
        total = used[0] + len(line)
        if total >= limit:
            raise _RecordTooLong
        used[0] = total
        yield line


class RecordReader:
    """Iterates ``(row_number, fields)`` over a CSV text stream, header first read.

    ``row_number`` counts non-blank data records from 1, a multi-line record once.
    """

    def __init__(self, stream: TextIO, delimiter: str | None = None) -> None:
        first = _first_line(stream)
        sep_line = False
        match = _SEP_LINE.match(first.rstrip("\r\n")) if first else None
        if match:
            sep_line = True
            chosen = delimiter or match.group(1)
            first = _first_line(stream)
        else:
            chosen = delimiter or sniff_delimiter(first)
        self._used = [len(first)]
        rest = _bounded_lines(stream, self._used)
        lines = itertools.chain((first,), rest) if first else rest
        self._reader = csv.reader(lines, delimiter=chosen, quotechar='"', doublequote=True)
        self.delimiter = chosen
        self.sep_line = sep_line
        self.row_number = 0
        self.header = self._read_header()

    def _next_raw(self) -> list[str] | None:
        try:
            return next(self._reader)
        except StopIteration:
            return None
        except _RecordTooLong:
            raise ImportFormatError(
                f"The header row is longer than {MAX_RECORD_CHARS // 1024**2} MB, far more than "
                "the column names of any export: check that this is the right file."
            ) from None
        except csv.Error as exc:
            raise ImportFormatError(_csv_sentence(exc, self.row_number + 1)) from exc
        except UnicodeDecodeError as exc:
            raise ImportFormatError(
                f"Row {self.row_number + 1} has bytes that are not valid text: export the "
                "file again as 'CSV UTF-8'."
            ) from exc

    def _read_header(self) -> Header | None:
        while True:
            raw = self._next_raw()
            if raw is None:
                return None
            self._used[0] = 0
            if any(cell.strip() for cell in raw):
                if len(raw) > MAX_COLUMNS:
                    raise ImportFormatError(
                        f"The header row has {len(raw):,} columns, more than the "
                        f"{MAX_COLUMNS:,} a list of people can have: check that this is the "
                        "right file, or delete the columns you do not need."
                    )
                names = tuple(clean_edges(cell) for cell in raw)
                return Header(names, self.delimiter, self.sep_line)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        number = self.row_number
        used = self._used
        width = self.header.width if self.header is not None else 0
        # A row is cut at this many fields: enough to keep what a rejected row held.
        keep = width + MAX_COLUMNS
        while True:
            try:
                for fields in reader:
                    used[0] = 0
                    # A blank record: an empty line or only empty/whitespace cells. The
                    # first cell usually settles it without looking at the others.
                    first = fields[0] if fields else ""
                    if (not first or first.isspace()) and not "".join(fields).strip():
                        continue
                    number += 1
                    self.row_number = number
                    if len(fields) > keep:
                        fields = LongRow(fields, keep, width)
                    yield number, fields
                return
            except _RecordTooLong:
                raise ImportFormatError(
                    f"Row {number + 1} is longer than {MAX_RECORD_CHARS // 1024**2} MB, which "
                    "usually means a quote that is never closed or a damaged file: check "
                    "that row."
                ) from None
            except csv.Error as exc:
                raise ImportFormatError(_csv_sentence(exc, number + 1)) from exc
            except UnicodeDecodeError as exc:
                raise ImportFormatError(
                    f"Row {number + 1} has bytes that are not valid text: export the file "
                    "again as 'CSV UTF-8'."
                ) from exc


def _first_line(stream: TextIO) -> str:
    try:
        line = stream.readline(MAX_RECORD_CHARS)
        if len(line) == MAX_RECORD_CHARS and not line.endswith(("\n", "\r")):
            raise ImportFormatError(
                f"The first line is longer than {MAX_RECORD_CHARS // 1024**2} MB, far more than "
                "the column names of any export: check that this is the right file."
            )
        return line
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            "The first line has bytes that are not valid text: export the file again as "
            "'CSV UTF-8'."
        ) from exc


def _csv_sentence(exc: csv.Error, row: int) -> str:
    text = str(exc)
    if "field larger" in text:
        return (
            f"Row {row} holds a cell over 4 MB, which usually means a quote that is never "
            "closed: check the quotes around that row."
        )
    return f"Row {row} cannot be read as CSV ({text}): check the quotes around that row."
