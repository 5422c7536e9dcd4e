"""Reading a source once: its header and first rows, what they say, then every record.

The first rows decide the platform and the mapping. A generic date column whose first
rows cannot tell day/month from month/day is decided by reading on (``decide_orders``)
until a value does; the records read meanwhile are held, a few in memory and the rest in
an anonymous temporary file, and come out of ``records`` first. So the file is decoded
and parsed once, and memory stays bounded however far the deciding value is.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO

from crm.errors import ImportFormatError
from crm.importing.decoding import Decoding, Source, detect_decoding, open_text, shown_name
from crm.importing.mapping import DATE_TARGETS, Mapping, Target
from crm.importing.platforms import detect_platform
from crm.importing.records import Header, RecordReader
from crm.importing.values import day_month_order

SAMPLE_ROWS = 200  # the first rows: they decide the platform and are previewed
# Records read ahead are held in memory up to this many, or this many characters, then
# written to the temporary file.
_HELD_ROWS = 1024
_HELD_CHARS = 256 * 1024

# A record as read: (row number, fields, bytes of the source read by then).
_Held = tuple[int, list[str], int]


class SourceReading:
    """One source opened for reading: decoding, header, detection, mapping.

    ``mapping`` replaces the detected one when it was made for this header."""

    def __init__(
        self,
        source: Source,
        platform: str = "auto",
        mapping: Mapping | None = None,
        decoding: Decoding | None = None,
    ) -> None:
        self.source = source
        self.decoding = decoding or detect_decoding(source)
        self.bytes_read = 0
        self._on_bytes: Callable[[int], None] | None = None
        self._ahead: _HeldRecords | None = None
        self.stream = open_text(source, self.decoding, self._count)
        try:
            self._open(source, platform, mapping)
        except BaseException:
            self.stream.close()
            raise

    def _count(self, done: int) -> None:
        self.bytes_read = done
        if self._on_bytes is not None:
            self._on_bytes(done)

    def _open(self, source: Source, platform: str, chosen: Mapping | None) -> None:
        self.reader = RecordReader(self.stream)
        header = self.reader.header
        if header is None:
            raise ImportFormatError(
                f"{source.label} is empty: there is nothing to import; export the list again."
            )
        self.header: Header = header
        self.samples: list[list[str]] = []
        self._buffer: list[tuple[int, list[str]]] = []
        rows = iter(self.reader)
        for item in rows:
            self._buffer.append(item)
            self.samples.append(item[1])
            if len(self._buffer) >= SAMPLE_ROWS:
                break
        self._rest = rows
        self._sampled_bytes = self.bytes_read
        self.detection = detect_platform(header.names, self.samples, platform)
        mapping = self.detection.mapping
        if chosen is not None and tuple(c.header for c in chosen) == tuple(header.names):
            mapping = chosen
        self.mapping: Mapping = mapping
        if not any(c.target is Target.EMAIL for c in mapping):
            if source.member is not None:  # a readme or a report beside the export
                raise ImportFormatError(
                    f"'{source.member}' in {shown_name(source.path)} is not a list of people (no "
                    f"email column; it starts {shown_headers(header.names)}): unzip the "
                    "archive and import the CSV file that lists them."
                )
            raise ImportFormatError(
                f"{source.label} has no email column (its columns are "
                f"{shown_headers(header.names)}): add one named 'email', or pick the "
                "email column in the import window."
            )

    def read_ahead(self, columns: list[int], keep: bool = True) -> dict[int, str]:
        """Read on until every one of these date columns has a value that decides its
        day/month order, or the source ends; the orders found. The records read are
        held for ``records`` unless ``keep`` is false (a preview, which imports none)."""
        decided: dict[int, str] = {}
        held = self._ahead = _HeldRecords() if keep else None
        for number, fields in self._rest:
            if held is not None:
                held.add((number, fields, self.bytes_read))
            for i in columns:
                if i not in decided and i < len(fields):
                    found = day_month_order((fields[i],))
                    if found:
                        decided[i] = found
            if len(decided) == len(columns):
                break
        return decided

    def records(
        self, on_bytes: Callable[[int], None] | None = None
    ) -> Iterator[tuple[int, list[str]]]:
        """Every record in order, each once. ``on_bytes`` hears how much of the source was
        read: for the first rows, as much as reading them took; for the records read
        ahead, as much as when each was read; then as the source is read."""
        if on_bytes is not None:
            on_bytes(self._sampled_bytes)
        yield from self._buffer
        self._buffer = []
        if self._ahead is not None:
            last = -1
            for number, fields, done in self._ahead.replay():
                if on_bytes is not None and done != last:
                    last = done
                    on_bytes(done)
                yield number, fields
            self._ahead.close()
            self._ahead = None
        if on_bytes is not None:
            on_bytes(self.bytes_read)
        self._on_bytes = on_bytes
        yield from self._rest

    def close(self) -> None:
        self._on_bytes = None
        if self._ahead is not None:
            self._ahead.close()
            self._ahead = None
        self.stream.close()


class _HeldRecords:
    """Records read ahead of the import, in order: the last few in memory, the others in
    an anonymous temporary file (owner-only, removed when closed, however the program
    ends), as the rejected rows are kept (crm.importing.rejected)."""

    def __init__(self) -> None:
        self._memory: list[_Held] = []
        self._chars = 0  # in the records in memory
        self._file: IO[bytes] | None = None

    def add(self, item: _Held) -> None:
        self._memory.append(item)
        self._chars += sum(map(len, item[1]))
        if len(self._memory) >= _HELD_ROWS or self._chars >= _HELD_CHARS:
            if self._file is None:
                # Kept open past this call: closed by close().
                self._file = tempfile.TemporaryFile(prefix="smallyes-reading-")  # noqa: SIM115
            # pickle, not a text format: the file is this process's own, read back by it.
            pickle.dump(self._memory, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._memory, self._chars = [], 0

    def replay(self) -> Iterator[_Held]:
        if self._file is not None:
            self._file.seek(0)
            while True:
                try:
                    batch: list[_Held] = pickle.load(self._file)
                except EOFError:
                    break
                yield from batch
        yield from self._memory

    def close(self) -> None:
        self._memory = []
        if self._file is not None:
            self._file.close()
            self._file = None


def shown_headers(names: Sequence[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:6] if n)
    return (shown + ", ...") if len(names) > 6 else shown or "unnamed"


def _date_columns_needing_order(reading: SourceReading) -> list[int]:
    if not reading.detection.heuristic:
        return []
    return [c.index for c in reading.mapping if c.target in DATE_TARGETS and not c.parse]


def decide_orders(
    reading: SourceReading, given: dict[int, str], keep: bool = True
) -> tuple[dict[int, str], list[int]]:
    """Day/month order per generic date column: the user's answer, else the first rows,
    else the rest of the file (``SourceReading.read_ahead``). Also the columns left
    undecided: every value in them could be either."""
    orders = dict(given)
    undecided = []
    for index in _date_columns_needing_order(reading):
        if index in orders:
            continue
        found = day_month_order(row[index] for row in reading.samples if index < len(row))
        if found:
            orders[index] = found
        elif found == "":
            undecided.append(index)
    if undecided:
        orders.update(reading.read_ahead(undecided, keep))
        undecided = [i for i in undecided if i not in orders]
    return orders, undecided
