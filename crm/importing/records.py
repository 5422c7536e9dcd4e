"""Reading CSV records from a text stream (policy rules 2 to 5 and 9).

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

from crm.emails import clean_edges
from crm.errors import ImportFormatError

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MAX_FIELD = 4 * 1024 * 1024  # one cell; a runaway quote is reported, not swallowed
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
        lines = itertools.chain((first,), stream) if first else stream
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
            if any(cell.strip() for cell in raw):
                names = tuple(clean_edges(cell) for cell in raw)
                return Header(names, self.delimiter, self.sep_line)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        number = self.row_number
        while True:
            try:
                for fields in reader:
                    # A blank record: an empty line or only empty/whitespace cells. The
                    # first cell usually settles it without looking at the others.
                    first = fields[0] if fields else ""
                    if (not first or first.isspace()) and not "".join(fields).strip():
                        continue
                    number += 1
                    self.row_number = number
                    yield number, fields
                return
            except csv.Error as exc:
                raise ImportFormatError(_csv_sentence(exc, number + 1)) from exc
            except UnicodeDecodeError as exc:
                raise ImportFormatError(
                    f"Row {number + 1} has bytes that are not valid text: export the file "
                    "again as 'CSV UTF-8'."
                ) from exc


def _first_line(stream: TextIO) -> str:
    try:
        return stream.readline()
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
