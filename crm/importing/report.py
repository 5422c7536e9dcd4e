"""What an import tells: its report as it is counted, the preview, the rejected-rows file."""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm.errors import ImportFormatError
from crm.importing.mapping import Mapping
from crm.importing.plan import asks_consent
from crm.importing.records import DELIMITER_NAMES
from crm.importing.rejected import RejectedRows, RowError
from crm.safety.output_files import as_text_cell

log = logging.getLogger(__name__)
MAX_WARNING_TEXTS = 500  # row warnings listed in the report (all of them are counted)


class Tally:
    """An import's counts, warnings and rejected rows as it goes."""

    def __init__(self) -> None:
        self.rows = self.created = self.updated = self.unchanged = 0
        self.duplicates = self.rejected = self.warnings = self.forgotten = 0
        self.statuses: dict[str, int] = {}
        self.warning_texts: list[str] = []
        self.rejected_rows = RejectedRows()
        # the CSV being read, when a ZIP holds several: named in warnings and rejected rows
        self.file_label = ""
        self.file_header: tuple[str, ...] = ()

    def warn(self, row: int, text: str) -> None:
        self.warnings += 1
        if len(self.warning_texts) < MAX_WARNING_TEXTS:
            prefix = f"{self.file_label}: " if self.file_label else ""
            self.warning_texts.append(f"{prefix}row {row}: {text}")

    def note(self, text: str) -> None:
        """A warning about the whole import, not one row: always listed."""
        self.warnings += 1
        self.warning_texts.append(text)

    def reject(self, row: int, reason: str, fields: Sequence[str]) -> None:
        self.rejected += 1
        prefix = f"{self.file_label}: " if self.file_label else ""
        self.rejected_rows.add(
            RowError(row, prefix + reason, tuple(fields), self.file_label, self.file_header)
        )


@dataclass(frozen=True, slots=True)
class ImportReport:
    batch_id: int | None
    file_name: str
    platform: str
    platform_label: str
    encoding: str
    delimiter: str
    rows: int
    created: int
    updated: int
    unchanged: int
    duplicates_in_file: int
    rejected: int
    warnings: int
    errors: tuple[RowError, ...]  # the first rejected rows (row and reason), for showing
    statuses: dict[str, int]
    warning_texts: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    dry_run: bool = False
    seconds: float = 0.0
    forgotten: int = 0  # rows of people forgotten at their request: skipped
    # every rejected row, whole, on disk: what save_rejected writes out
    rejected_rows: RejectedRows | None = field(default=None, repr=False, compare=False)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))

    def to_json(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "platform": self.platform,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "duplicates_in_file": self.duplicates_in_file,
            "rejected": self.rejected,
            "forgotten": self.forgotten,
            "warnings": self.warnings,
            "errors": [e.to_json() for e in self.errors],
            "statuses": dict(self.statuses),
        }


@dataclass(frozen=True, slots=True)
class Preview:
    """What the wizard shows before anything is written."""

    file_name: str
    platform: str
    platform_label: str
    heuristic: bool
    encoding: str
    delimiter: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    mapping: Mapping
    ambiguous_dates: tuple[int, ...]  # column indexes whose day/month order is unknown
    warnings: tuple[str, ...]
    sources: int = 1
    # For a file nothing recognised: the columns it would have as an activity file (who did
    # what, when), and whether its values look like one.
    activity_mapping: Mapping = ()
    looks_like_activity: bool = False

    def asks_consent(self, mapping: Mapping | None = None) -> bool:
        """Whether the owner should say if the people in the file opted in (see
        ``ImportOptions.opted_in``), with this mapping or the proposed one."""
        return asks_consent(self.platform, self.mapping if mapping is None else mapping)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


def save_rejected(report: ImportReport, out: str | Path) -> int:
    """Write the rejected rows, with their row number and reason, as a CSV; return the count.

    Cells starting with = + - @ TAB or CR get a leading apostrophe so a spreadsheet shows
    them as text instead of running them. The file is readable by its owner only: it
    holds names and addresses.
    """
    path = Path(out)
    stored = report.rejected_rows
    errors = stored.rows() if stored is not None else iter(report.errors)
    headers = stored.headers if stored is not None else [e.header for e in report.errors]
    columns, place = _rejected_columns(headers, report.header)
    count = 0
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _O_BINARY, 0o600)
        if hasattr(os, "fchmod"):  # an existing file keeps its mode through O_CREAT
            try:
                os.fchmod(fd, 0o600)
            except OSError:
                log.info("could not make %s owner-only (not its owner, or no such modes)", path)
        with open(fd, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["row", "reason", *columns])
            for error in errors:
                count += 1
                cells = [as_text_cell(f) for f in error.fields]
                if place is not None:  # files of several layouts: each cell under its name
                    spots = place[error.header]
                    spread = [""] * len(columns)
                    for cell, at in zip(cells, spots, strict=False):
                        spread[at] = cell
                    cells = spread + cells[len(spots) :]  # a too-long row keeps its extras
                writer.writerow([error.row, error.reason, *cells])
    except OSError as exc:
        raise ImportFormatError(
            f"The rejected rows could not be saved to {path} ({exc.strerror}): choose "
            "another place."
        ) from exc
    return count


_O_BINARY = getattr(os, "O_BINARY", 0)


def _rejected_columns(
    headers: Sequence[tuple[str, ...]], file_header: tuple[str, ...]
) -> tuple[tuple[str, ...], dict[tuple[str, ...], list[int]] | None]:
    """The rejected rows' columns: the file's header; or, when they come from the CSVs of
    a ZIP with different headers, every name in the order first seen (a name repeated in
    one header is repeated here) and where each header's cells go."""
    headers = list(dict.fromkeys(headers))
    if len(headers) <= 1:
        return (headers[0] if headers and headers[0] else file_header), None
    columns: list[str] = []
    place: dict[tuple[str, ...], list[int]] = {}
    for header in headers:
        seen: dict[str, int] = {}
        spots = []
        for name in header:
            nth = seen[name] = seen.get(name, 0) + 1
            matches = [i for i, c in enumerate(columns) if c == name]
            if len(matches) < nth:
                columns.append(name)
                matches.append(len(columns) - 1)
            spots.append(matches[nth - 1])
        place[header] = spots
    return tuple(columns), place
