"""The import itself: stream records, normalise them, merge them into the lead book.

One import is one batch in one transaction (``BEGIN IMMEDIATE``): a cancel or a crash
rolls everything back, and a dry run works everything out without writing. Records are
read in chunks; each chunk's existing leads, tags and subscribe times are loaded with a
few ``IN`` queries, the merge runs in plain Python, and the writes go through
``executemany`` on the raw connection. The file is never held whole: memory grows with
the number of distinct addresses only.

Each lead keeps the fingerprint of the record it was last imported from (with everything
that decides what the record becomes: mapping, policy, batch tag); a record whose
fingerprint a lead still holds is already reflected and is skipped before being
normalised. Triggers (``crm.store.migrations``, v2) forget a lead's fingerprint on any later
change a re-import could redo, so such a lead is compared in full.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from operator import itemgetter
from pathlib import Path
from typing import Any

from crm.asking.ladder import step_by_key
from crm.book.emails import check_email
from crm.book.lead_cache import fold_yes
from crm.book.leads import STATUS_LABELS, SUPPRESSED, LeadStatus, make_search_text
from crm.book.other_emails import other_email_owners
from crm.changes import LEAD_TABLES, note
from crm.errors import ImportFormatError, OperationCancelled, SmallyesError, ValidationError
from crm.importing.decoding import (
    Decoding,
    Source,
    detect_decoding,
    open_text,
    shown_name,
    sources_for,
)
from crm.importing.mapping import (
    DATE_TARGETS,
    NO_WORDS,
    ColumnMap,
    Mapping,
    Target,
    consent_parse,
    with_unnamed_empty_ignored,
)
from crm.importing.platforms import (
    ADDRESS_BOOKS,
    PLATFORMS,
    STATUS_MAPS,
    Detection,
    detect_platform,
)
from crm.importing.records import DELIMITER_NAMES, Header, LongRow, RecordReader
from crm.importing.rejected import RejectedRows, RowError
from crm.importing.values import (
    day_month_order,
    fmt,
    parse_date,
    parse_metadata,
    parse_tags,
    split_full_name,
    unescape_cell,
)
from crm.jobs import CancelToken, Progress, no_progress
from crm.safety.suppression import ForgottenCheck, load_check, unreadable_warning
from crm.store.models import database_proxy
from crm.store.paths import database_path

log = logging.getLogger(__name__)
_to_json = json.JSONEncoder(ensure_ascii=False).encode
_json_keys: dict[str, str] = {}


def _text_json(values: dict[str, str]) -> str:
    """``_to_json`` for a dict of strings, byte for byte, without the encoder's set-up."""
    if not values:
        return "{}"
    keys = _json_keys
    parts = [
        (keys.get(name) or _json_key(name)) + encode_basestring(text)
        for name, text in values.items()
    ]
    return "{" + ", ".join(parts) + "}"


def _json_key(name: str) -> str:
    if len(_json_keys) >= MAX_CACHED:  # column names from many files: stay small
        _json_keys.clear()
    key = _json_keys[name] = encode_basestring(name) + ": "
    return key


POLICIES = ("skip", "fill", "overwrite")
# What an import writes: every lead table, its batch and undo rows, offers its tags name.
IMPORT_TABLES = (*LEAD_TABLES, "import_batch", "import_change", "offer")
CHUNK_ROWS = 4096
BULK_ROWS = 20_000  # from this many new leads on, indexes are rebuilt instead of updated
PROGRESS_EVERY_S = 0.1
PREVIEW_ROWS = 20
SAMPLE_ROWS = 200
MAX_WARNING_TEXTS = 500
MAX_CACHED = 20_000  # distinct tag cells remembered per import
# Fingerprints of stored records are read when there are at most this many per row to
# import (reading one costs about a tenth of normalising a record).
FINGERPRINTS_PER_ROW = 8
FINGERPRINT_VERSION = 10  # bumped whenever the same record would be normalised differently
# Phone columns kept as custom fields that give the phone when no phone column has one
# (address books have several), best first as CSV-FORMATS ranks Outlook's (mobile, then
# primary, home, business); never an assistant's or a switchboard's.
PHONE_FALLBACKS = (
    "primary phone",
    "home phone",
    "business phone",
    "work phone",
    "home phone 2",
    "business phone 2",
    "other phone",
    "car phone",
    "whatsapp",  # Brevo: after its SMS number
    "landline_number",
)
S = LeadStatus
_SEVERITY = {
    S.NONE: 0,
    S.PENDING: 1,
    S.SUBSCRIBED: 2,
    S.UNSUBSCRIBED: 3,
    S.BOUNCED: 4,
    S.COMPLAINED: 5,
}
_STATUSES = {s.value: s for s in LeadStatus}
_LEAD_FIELDS = ("first_name", "last_name", "company", "phone", "notes")
_LEAD_FIELD_AT = {name: i for i, name in enumerate(_LEAD_FIELDS)}
_FIELD_WORDS = {
    "first_name": "first name",
    "last_name": "last name",
    "company": "company",
    "phone": "phone",
    "notes": "notes",
    "status": "status",
    "custom": "custom fields",
    "tags": "tags",
    "timeline": "sign-up date",
    "other_emails": "other addresses",
}
# Where earlier versions kept the rest of a Google e-mail cell ('a@x ::: b@y'): a re-import
# moves it to the lead's other addresses.
_EXTRA_IN_EMAIL_CELL = "secondary_emails"
# Several addresses in one other-address cell: Google's ' ::: ', or a list.
_ADDRESS_SPLIT = re.compile(r"\s*(?::::|[,;])\s*")


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the user chose. ``mapping`` replaces the detected one for a file whose header
    it was made for; ``date_orders`` answers the day/month question per column index."""

    platform: str = "auto"
    on_duplicate: str = "fill"
    tag: str = ""
    dry_run: bool = False
    mapping: Mapping | None = None
    date_orders: tuple[tuple[int, str], ...] = ()
    # The owner's word that the people in a generic file without a status column opted in
    # to the newsletter; without it they are contacts who never did (no consent shown).
    opted_in: bool = False

    def checked(self) -> ImportOptions:
        if self.platform not in ("auto", *PLATFORMS):
            raise ValidationError(
                f"'{self.platform}' is not a platform Smallyes knows: use auto or one of "
                f"{', '.join(PLATFORMS)}."
            )
        if self.on_duplicate not in POLICIES:
            raise ValidationError(
                f"'{self.on_duplicate}' is not a duplicate policy: use skip, fill or overwrite."
            )
        if len(" ".join(self.tag.split())) > 80:
            raise ValidationError("A tag can be at most 80 characters: shorten it.")
        return self


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

    def asks_consent(self, mapping: Mapping | None = None) -> bool:
        """Whether the owner should say if the people in the file opted in (see
        ``ImportOptions.opted_in``), with this mapping or the proposed one."""
        return asks_consent(self.platform, self.mapping if mapping is None else mapping)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))


# --- reading and normalising ---------------------------------------------------------


@dataclass(slots=True)
class _Row:
    """One kept record, normalised."""

    row: int
    key: str
    email: str
    values: dict[str, str]  # first_name, last_name, company, phone, notes (non-empty only)
    tags: list[str]
    status: LeadStatus
    status_raw: str
    status_at: str | None
    consent_at: str | None
    custom: dict[str, str]
    file: str = ""
    fp: int | None = None  # the record's fingerprint, when it normalised without a warning
    # Other addresses: (address, key, column's field name, cell text), and the cells wholly
    # taken as addresses (field name -> text), which are no custom fields (see _update).
    others: list[tuple[str, str, str, str]] | None = None
    moved: dict[str, str] | None = None


def _status_parse(column: ColumnMap) -> str:
    """How a status column's words are read. A generic or hand-mapped one named for
    consent ("Newsletter", "Opt-in") reads no as an unsubscribe, not as a contact."""
    if column.parse in ("", "any"):
        return consent_parse(column.header) or column.parse
    return column.parse


def _vocabulary(parse: str) -> dict[str, LeadStatus | None]:
    """A status column's words. A platform's own words come first; any other word a
    status column may hold (``unsubscribed`` in a file detected as Kit, whose layout is
    a guess) is still read, never ignored into the file's default of subscribed."""
    if not parse or parse.startswith(("bool", "brevo", "receiving", "consent")) or parse == "any":
        return STATUS_MAPS.get(parse or "any", STATUS_MAPS["any"])
    return {**STATUS_MAPS["any"], **STATUS_MAPS.get(parse, {})}


class _Plan:
    """A mapping compiled for the row loop."""

    def __init__(
        self, det: Detection, mapping: Mapping, orders: dict[int, str], opted_in: bool = False
    ) -> None:
        self.detection = det
        self.width = len(mapping)
        # Unnamed columns at the end of the header (a trailing delimiter): rows that stop
        # before them are not short (rule 4 ignores such columns when they stay empty).
        self.named_width = max((c.index + 1 for c in mapping if c.header), default=0)
        self.email = next((c.index for c in mapping if c.target is Target.EMAIL), None)
        self.simple = [
            (c.index, c.target.value)
            for c in mapping
            if c.target
            in (Target.FIRST_NAME, Target.LAST_NAME, Target.COMPANY, Target.PHONE, Target.NOTES)
        ]
        self.full = [c.index for c in mapping if c.target is Target.FULL_NAME]
        self.tags = [(c.index, c.parse) for c in mapping if c.target is Target.TAGS]
        self.status = [
            (c.index, _vocabulary(parse), parse, c.header)
            for c in mapping
            if c.target is Target.STATUS
            for parse in (_status_parse(c),)
        ]
        self.default_status, self.default_raw = det.default_status, det.status_raw
        if opted_in and asks_consent(det.platform, mapping):
            self.default_status, self.default_raw = S.SUBSCRIBED, OPTED_IN_RAW
        self.dates: dict[Target, list[tuple[int, str, str]]] = {}
        for c in mapping:
            if c.target in DATE_TARGETS:
                self.dates.setdefault(c.target, []).append(
                    (c.index, orders.get(c.index, c.parse), c.header)
                )
        self.metadata = [c.index for c in mapping if c.parse == "metadata"]
        ranked = {header: rank for rank, header in enumerate(PHONE_FALLBACKS)}
        self.phone_fallbacks = [
            index
            for _, index in sorted(
                (ranked[c.header.lower()], c.index)
                for c in mapping
                if c.target is Target.CUSTOM and c.header.lower() in ranked
            )
        ]
        # Google Contacts puts several values in one cell, joined by ' ::: '.
        self.multi = frozenset(c.index for c in mapping if c.parse == "google")
        self.others = [(c.index, c.field_name) for c in mapping if c.target is Target.OTHER_EMAIL]
        # Raw text kept as custom fields: custom columns, and date/status columns too
        # (their meaning is used, their text is kept). Names are made unique by position.
        keep = [
            c
            for c in mapping
            if c.target in (Target.CUSTOM, Target.STATUS) or c.target in DATE_TARGETS
        ]
        keep = [c for c in keep if c.parse != "metadata"]
        names: dict[str, int] = {}
        self.custom: list[tuple[int, str]] = []
        # The raw text of status and date columns: duplicates merge it by their rules
        # (suppression wins, the earliest sign-up), not first-wins.
        self.status_texts: set[str] = set()
        self.date_texts: set[str] = set()
        for c in keep:
            name = c.field_name
            count = names.get(name, 0)
            names[name] = count + 1
            name = name if not count else f"{name} ({count + 1})"
            self.custom.append((c.index, name))
            if c.target is Target.STATUS:
                self.status_texts.add(name)
            elif c.target in DATE_TARGETS:
                self.date_texts.add(name)
        # The custom cells of a row come out in one C call: a tuple, by plan order.
        self.custom_names = tuple(name for _, name in self.custom)
        indexes = [index for index, _ in self.custom]
        if len(indexes) > 1:
            self.custom_cells: Callable[[list[str]], tuple[str, ...]] = itemgetter(*indexes)
        elif indexes:
            only = indexes[0]
            self.custom_cells = lambda fields: (fields[only],)
        else:
            self.custom_cells = lambda fields: ()


class _Reading:
    """One source opened for reading: decoding, header, detection, plan."""

    def __init__(
        self,
        source: Source,
        options: ImportOptions,
        on_bytes: Callable[[int], None] | None = None,
        decoding: Decoding | None = None,
    ) -> None:
        self.source = source
        self.decoding = decoding or detect_decoding(source)
        self.stream = open_text(source, self.decoding, on_bytes)
        try:
            self._open(source, options)
        except BaseException:
            self.stream.close()
            raise

    def _open(self, source: Source, options: ImportOptions) -> None:
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
        self.detection = detect_platform(header.names, self.samples, options.platform)
        mapping = self.detection.mapping
        if options.mapping is not None and tuple(c.header for c in options.mapping) == tuple(
            header.names
        ):
            mapping = options.mapping
        self.mapping: Mapping = mapping
        if not any(c.target is Target.EMAIL for c in mapping):
            if source.member is not None:  # a readme or a report beside the export
                raise ImportFormatError(
                    f"'{source.member}' in {shown_name(source.path)} is not a list of people (no "
                    f"email column; it starts {_shown_headers(header.names)}): unzip the "
                    "archive and import the CSV file that lists them."
                )
            raise ImportFormatError(
                f"{source.label} has no email column (its columns are "
                f"{_shown_headers(header.names)}): add one named 'email', or pick the "
                "email column in the import window."
            )

    def records(self) -> Iterator[tuple[int, list[str]]]:
        yield from self._buffer
        self._buffer = []
        yield from self._rest

    def close(self) -> None:
        self.stream.close()


def _shown_headers(names: Sequence[str]) -> str:
    shown = ", ".join(f"'{n}'" for n in names[:6] if n)
    return (shown + ", ...") if len(names) > 6 else shown or "unnamed"


def _date_columns_needing_order(reading: _Reading) -> list[int]:
    if not reading.detection.heuristic:
        return []
    return [c.index for c in reading.mapping if c.target in DATE_TARGETS and not c.parse]


def _decide_orders(
    reading: _Reading, given: dict[int, str], full_scan: Callable[[list[int]], dict[int, str]]
) -> tuple[dict[int, str], list[int]]:
    """Day/month order per generic date column: the user's answer, else the values."""
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
        orders.update(full_scan(undecided))
        undecided = [i for i in undecided if i not in orders]
    return orders, undecided


def _scan_orders(source: Source, decoding: Decoding, columns: list[int]) -> dict[int, str]:
    """Read the whole file once for date columns the first rows did not decide."""
    with open_text(source, decoding) as stream:
        reader = RecordReader(stream)
        values: dict[int, list[str]] = {i: [] for i in columns}
        decided: dict[int, str] = {}
        for _, fields in reader:
            for i in columns:
                if i not in decided and i < len(fields):
                    found = day_month_order((fields[i],))
                    if found:
                        decided[i] = found
            if len(decided) == len(columns):
                break
        del values
    return decided


def preview_csv(path: str | Path, platform: str = "auto") -> Preview:
    """Decode, sniff and detect a file and propose its mapping; nothing is written."""
    options = ImportOptions(platform=platform).checked()
    path = Path(path)
    sources = sources_for(path)
    reading = _Reading(sources[0], options)
    try:
        orders, undecided = _decide_orders(
            reading, {}, lambda cols: _scan_orders(reading.source, reading.decoding, cols)
        )
        mapping = tuple(
            ColumnMap(c.index, c.header, c.target, orders[c.index], c.custom_name)
            if c.index in orders and c.target in DATE_TARGETS
            else c
            for c in reading.mapping
        )
        empty = [
            all(i >= len(row) or not row[i].strip() for row in reading.samples)
            for i in range(len(mapping))
        ]
        mapping = with_unnamed_empty_ignored(mapping, empty)
        warnings = [reading.decoding.warning] if reading.decoding.warning else []
        if len(sources) > 1:
            warnings.append(
                f"{shown_name(path)} holds {len(sources)} CSV files: "
                + ", ".join(s.label for s in sources)
                + "; all of them are imported."
            )
        if not reading.samples:
            warnings.append("the file has a header but no data rows")
        return Preview(
            file_name=shown_name(path),
            platform=reading.detection.platform,
            platform_label=reading.detection.label,
            heuristic=reading.detection.heuristic,
            encoding=reading.decoding.name,
            delimiter=reading.header.delimiter,
            header=reading.header.names,
            rows=tuple(tuple(r) for r in reading.samples[:PREVIEW_ROWS]),
            mapping=mapping,
            ambiguous_dates=tuple(undecided),
            warnings=tuple(warnings),
            sources=len(sources),
        )
    finally:
        reading.close()


# A generic file says nothing of consent unless it has a status column: the owner is asked.
OPTED_IN_RAW = "opted in, as the owner said at import"


def asks_consent(platform: str, mapping: Mapping) -> bool:
    """A generic file with no column mapped to the status: nothing in it says whether
    the people opted in. Address books (Google, Outlook) are contacts by nature."""
    return platform == "generic" and not any(c.target is Target.STATUS for c in mapping)


# --- the import ----------------------------------------------------------------------

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _tag_key(name: str) -> str:
    """Tag names compare like SQLite's NOCASE: ASCII letters only."""
    return name.translate(_ASCII_LOWER)


class _Importer:
    def __init__(
        self,
        path: Path,
        options: ImportOptions,
        now: dt.datetime,
        progress: Progress,
        cancel: CancelToken | None,
    ) -> None:
        self.path = path
        self.options = options
        self.now = now
        self.now_text = fmt(now)
        self.progress = progress
        self.cancel = cancel
        self.batch_tag = " ".join(options.tag.split())
        self.conn: Any = None
        self.batch_id = 0
        self.seen: dict[str, int] = {}  # dedupe key -> row number of its first occurrence
        self.seen_file: dict[str, str] = {}  # the same, which file (ZIP with several CSVs)
        self.rows = self.created = self.updated = self.unchanged = 0
        self.duplicates = self.rejected = self.warnings = self.forgotten = 0
        self.suppression = ForgottenCheck(None, frozenset(), 0)  # read in begin()
        self.rejected_rows = RejectedRows()
        self.warning_texts: list[str] = []
        self.statuses: dict[str, int] = {}
        self.tag_ids: dict[str, int] = {}  # by _tag_key
        self.tag_ids_by_name: dict[str, int] = {}  # by the exact spelling seen in the file
        self.parsed_tags: dict[tuple[str, str], tuple[str, ...]] = {}
        self.next_id = 0
        self.step_id = 0
        self.step_level = 0
        self.bytes_total = 1
        self.bytes_done = 0
        self.last_progress = 0.0
        self.file_label = ""
        self.file_header: tuple[str, ...] = ()
        self.platform_source = ""
        self.platform_label = ""
        self.index_decided = False
        self.book_was_empty = False
        self.heartbeat = _Heartbeat(lambda: self.progress(self.rows, self.rows + 1))
        self.dropped_indexes: list[tuple[str, str]] = []
        # A dry run works everything out but writes nothing: the keys it would have
        # created stand in for the leads later duplicates would find.
        self.dry_run = options.dry_run
        self.would_create: set[str] = set()
        # other address -> its lead's own key: read in begin(), grown by the rows' claims
        self.other_owner: dict[str, str] = {}
        self.claimed: dict[str, str] = {}  # the same, claimed by rows of the current chunk
        self.pending_others: list[tuple[Any, ...]] = []  # lead_other_email rows to write
        # fingerprint -> (dedupe key, lead id, status) of the leads that reflect a record
        self.fingerprints: dict[int, tuple[str, int, str]] = {}

    # -- bookkeeping

    def warn(self, row: int, text: str) -> None:
        self.warnings += 1
        if len(self.warning_texts) < MAX_WARNING_TEXTS:
            prefix = f"{self.file_label}: " if self.file_label else ""
            self.warning_texts.append(f"{prefix}row {row}: {text}")

    def reject(self, row: int, reason: str, fields: Sequence[str]) -> None:
        self.rejected += 1
        prefix = f"{self.file_label}: " if self.file_label else ""
        self.rejected_rows.add(
            RowError(row, prefix + reason, tuple(fields), self.file_label, self.file_header)
        )

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_progress >= PROGRESS_EVERY_S:
            self.last_progress = now
            if self.cancel is not None and self.cancel.cancelled:
                raise OperationCancelled()
            done = self.rows
            fraction = min(self.bytes_done / self.bytes_total, 1.0)
            total = max(done, int(done / fraction)) if fraction > 0 else done
            self.progress(done, total)

    # -- normalising one record

    def normalise(
        self, plan: _Plan, number: int, fields: list[str], fp: int | None = None
    ) -> _Row | None:
        """The record as a row to merge, or None when it is rejected. ``fp`` (its
        fingerprint) is kept only when the record raised no warning: a skipped record
        raises none, so one that does is always read again."""
        warned = self.warnings
        width = plan.width
        n = len(fields)
        if n != width:
            if n > width:
                # A row far wider than its header was cut when read (LongRow).
                if isinstance(fields, LongRow):
                    total, filled = fields.total, fields.filled
                else:
                    total, filled = n, any(f.strip() for f in fields[width:])
                if filled:
                    self.reject(number, f"row has {total:,} fields, header has {width:,}", fields)
                    return None
                self.warn(number, f"{total - width:,} extra empty fields at the end were ignored")
                fields = fields[:width]
            else:
                email_here = plan.email is not None and plan.email < n and fields[plan.email]
                if not email_here:
                    self.reject(number, f"row has {n} fields, header has {width}", fields)
                    return None
                if n < plan.named_width:
                    self.warn(number, f"row has {n} fields, header has {width}: the rest are empty")
                fields = fields + [""] * (width - n)
        raw_email = fields[plan.email]  # type: ignore[index]
        other_emails = ""
        if plan.multi and ":::" in raw_email and plan.email in plan.multi:
            raw_email, other_emails = (p.strip() for p in raw_email.split(":::", 1))
        try:
            checked = check_email(raw_email)
        except ValidationError as exc:
            reason = exc.user_message.rstrip(".")
            if not raw_email.strip():
                reason = "email is missing"
            self.reject(number, reason, fields)
            return None
        for text in checked.warnings:
            self.warn(number, text)
        values: dict[str, str] = {}
        for index, name in plan.simple:
            text = fields[index]
            if text:
                if index in plan.multi:
                    text = text.split(":::", 1)[0]
                if name != "notes":
                    text = text.strip()
                elif text.isspace():
                    continue  # notes keep their spaces, but spaces alone are a blank
                if "'" in text:  # a spreadsheet-safe apostrophe, at the start or inside
                    text = unescape_cell(text)
                if text and name not in values:
                    values[name] = text
        for index in plan.full:
            full = fields[index].strip()
            if full[:1] == "'":  # Ghost writes a name that starts with = as '=...
                full = unescape_cell(full)
            if full and "first_name" not in values and "last_name" not in values:
                first, last = split_full_name(full)
                if first:
                    values["first_name"] = first
                if last:
                    values["last_name"] = last
        if "phone" not in values:
            for index in plan.phone_fallbacks:
                if text := fields[index].strip():
                    values["phone"] = text
                    break
        cells = plan.custom_cells(fields)
        custom = {name: text for name, text in zip(plan.custom_names, cells, strict=True) if text}
        if "'" in "".join(cells):  # rare: a spreadsheet-safe apostrophe to drop
            custom = {name: unescape_cell(text) for name, text in custom.items()}
        others: list[tuple[str, str, str, str]] | None = None
        moved: dict[str, str] | None = None
        if other_emails or plan.others:
            others, moved = self.other_addresses(plan, number, fields, other_emails, custom)
        for index in plan.metadata:
            try:
                meta = parse_metadata(fields[index])
            except ValidationError as exc:
                self.warn(number, f"{exc.user_message}; kept as text")
                if fields[index].strip():
                    custom["metadata"] = fields[index]
                continue
            for key, text in meta.items():
                if key in ("first_name", "last_name") and text.strip():
                    values.setdefault(key, text.strip())
                elif text:
                    custom.setdefault(key, text)
        tags: list[str] = []
        for index, style in plan.tags:
            text = fields[index]
            if text:
                # A list repeats a few tag combinations many times: parse each once.
                parsed = self.parsed_tags.get((text, style))
                if parsed is None:
                    parsed = tuple(parse_tags(text, style))
                    if len(self.parsed_tags) < MAX_CACHED:
                        self.parsed_tags[(text, style)] = parsed
                tags.extend(parsed)
        if self.batch_tag:
            tags.append(self.batch_tag)
        # Dates: consent is confirm, else opt-in, else sign-up, else created.
        times: dict[Target, str | None] = {}
        for target, columns in plan.dates.items():
            for index, order, header in columns:
                text = fields[index]
                if not text:
                    continue
                try:
                    value = parse_date(text, order)
                except ValueError as exc:
                    self.warn(
                        number, f"'{text.strip()}' in {header} is not a date ({exc}); ignored"
                    )
                    continue
                if value is not None and value > self.now_text:
                    self.warn(number, f"'{text.strip()}' in {header} is in the future; ignored")
                    continue
                if value is not None and times.get(target) is None:
                    times[target] = value
        consent = (
            times.get(Target.CONFIRM_AT)
            or times.get(Target.OPTIN_AT)
            or times.get(Target.CONSENT_AT)
            or times.get(Target.CREATED_AT)
        )
        status = plan.default_status
        status_raw = plan.default_raw
        found: LeadStatus | None = None
        said_no = False
        for index, vocab, parse, header in plan.status:
            text = fields[index].strip()
            if parse == "receiving":
                mapped: LeadStatus | None = S.SUBSCRIBED if text else S.UNSUBSCRIBED
                raw = text or "receiving nothing"
            else:
                if not text:
                    continue
                mapped = vocab.get(text.lower(), None)
                raw = f"{header}={text}" if parse.startswith(("bool", "brevo", "consent")) else text
                if text.lower() not in vocab:
                    self.warn(number, f"status '{text}' in {header} is not known; ignored")
                    continue
            if mapped is not None and (found is None or _SEVERITY[mapped] > _SEVERITY[found]):
                found = mapped
                status_raw = raw
                said_no = parse == "consent" and text.lower() in NO_WORDS
            elif found is None and not status_raw:
                status_raw = raw
        if found is not None:
            status = found
            if said_no:
                # A 'no' in a consent column: no yes is known, whatever date the file
                # gives for the sign-up (a customer list's 'registered on', say).
                consent = None
        status_at = None
        unsub = times.get(Target.UNSUBSCRIBED_AT)
        bounced = times.get(Target.BOUNCED_AT)
        if bounced and _SEVERITY[status] < _SEVERITY[S.BOUNCED]:
            status = S.BOUNCED
        elif unsub and _SEVERITY[status] < _SEVERITY[S.UNSUBSCRIBED]:
            status = S.UNSUBSCRIBED
        if status in SUPPRESSED:
            status_at = (bounced if status is S.BOUNCED else None) or unsub or bounced
        if status_raw:
            custom["status_raw"] = status_raw
        key = checked.key
        if self.other_owner:
            # someone's other address: that lead's record (the same person)
            key = self.other_owner.get(key, key)
        return _Row(
            number,
            key,
            checked.address,
            values,
            tags,
            status,
            status_raw,
            status_at,
            consent,
            custom,
            self.file_label,
            fp if self.warnings == warned else None,
            others or None,
            moved or None,
        )

    def other_addresses(
        self,
        plan: _Plan,
        number: int,
        fields: list[str],
        in_email_cell: str,
        custom: dict[str, str],
    ) -> tuple[list[tuple[str, str, str, str]], dict[str, str]]:
        """A record's other addresses, each checked as an email is. A cell with one that
        is not an address is kept whole as a custom field, with a warning."""
        cells = [(_EXTRA_IN_EMAIL_CELL, in_email_cell)] if in_email_cell else []
        cells += [(name, fields[index]) for index, name in plan.others if fields[index].strip()]
        others: list[tuple[str, str, str, str]] = []
        moved: dict[str, str] = {}
        for name, text in cells:
            if "'" in text:
                text = unescape_cell(text)
            whole = True
            for part in _ADDRESS_SPLIT.split(text.strip()):
                if not part:
                    continue
                try:
                    checked = check_email(part)
                except ValidationError as exc:
                    reason = exc.user_message.rstrip(".")
                    self.warn(number, f"'{_short(part)}' in {name}: {reason}; kept as text")
                    whole = False
                    continue
                for warning in checked.warnings:
                    self.warn(number, warning)
                others.append((checked.address, checked.key, name, text))
            if whole:
                moved[name] = text
            else:
                custom[name] = text
        return others, moved

    def claim_others(self, row: _Row) -> None:
        """Keep the row's other addresses that can be its lead's: not another lead's other
        address (stored, or claimed by an earlier row) and not a forgotten person's. Whether
        one is a lead's own email is settled per chunk (``settle_others``)."""
        owners, claimed = self.other_owner, self.claimed
        forgotten = self.suppression.holds if self.suppression else None
        kept: list[tuple[str, str, str, str]] = []
        taken = {row.key}
        warned = self.warnings
        for item in row.others or ():
            address, key, name, text = item
            if key in taken:
                continue
            taken.add(key)
            owner = owners.get(key) or claimed.get(key)
            if owner == row.key:
                continue  # already this lead's (stored, or claimed by an earlier row)
            if forgotten is not None and forgotten(key):
                continue  # never brought back, not even as text
            if owner is None:
                claimed[key] = row.key
                kept.append(item)
                continue
            self.warn(
                row.row, f"{address} is already an address of the lead {owner}; left with that lead"
            )
            self.keep_as_text(row, name, text)
        row.others = kept or None
        if self.warnings != warned:
            row.fp = None  # a record that warns is read again next time

    def settle_others(self, items: list[_Row]) -> None:
        """Drop the claimed other addresses that are a lead's own email (stored, or a row of
        this import): the two stay apart, with a warning. One query per chunk."""
        claims = [r for r in items if r.others]
        self.claimed = {}
        if not claims:
            return
        keys = list({item[1] for r in claims for item in r.others or ()})
        leads: set[str] = set()
        if not self.book_was_empty:
            for start in range(0, len(keys), 30000):
                part = keys[start : start + 30000]
                marks = ",".join("?" * len(part))
                leads.update(
                    k for (k,) in self.conn.execute(
                        f"SELECT email_key FROM lead WHERE email_key IN ({marks})", part
                    )
                )  # fmt: skip
        seen = self.seen
        for r in claims:
            kept = []
            for item in r.others or ():
                address, key, name, text = item
                if key in leads or key in seen:
                    self.warn(
                        r.row,
                        f"{address} is a lead of its own; the two leads are kept apart (merge "
                        "them by hand if they are one person)",
                    )
                    self.keep_as_text(r, name, text)
                    r.fp = None
                else:
                    kept.append(item)
            r.others = kept or None

    @staticmethod
    def keep_as_text(row: _Row, name: str, text: str) -> None:
        """An address not taken stays on the record as the custom field it came in."""
        row.custom.setdefault(name, text)
        if row.moved:
            row.moved.pop(name, None)

    def add_others(self, lead_id: int, row: _Row) -> None:
        """Queue the row's other addresses for its lead; later rows match the lead by them."""
        for address, key, _, _ in row.others or ():
            self.other_owner[key] = row.key
            self.pending_others.append((lead_id, address, key, self.now_text, self.batch_id))

    # -- merging rows of the same file

    def merge_duplicate(self, plan: _Plan, first: _Row, dup: _Row) -> None:
        for name, text in dup.values.items():
            have = first.values.get(name)
            if not have:
                first.values[name] = text
            elif have != text:
                self.warn(
                    dup.row,
                    f"{_FIELD_WORDS[name]} '{_short(text)}' differs from row {first.row}'s "
                    f"'{_short(have)}'; kept row {first.row}'s",
                )
        dup_wins = _SEVERITY[dup.status] > _SEVERITY[first.status] and (
            dup.status in SUPPRESSED or first.status not in SUPPRESSED
        )
        by_rule = plan.date_texts | plan.status_texts
        for name, text in dup.custom.items():
            have = first.custom.get(name)
            if have is None or have.isspace() or (dup_wins and name in plan.status_texts):
                first.custom[name] = text
            elif (
                have != text and name != "status_raw" and name not in by_rule and not text.isspace()
            ):
                self.warn(
                    dup.row,
                    f"'{name}' '{_short(text)}' differs from row {first.row}'s "
                    f"'{_short(have)}'; kept row {first.row}'s",
                )
        for tag in dup.tags:
            if tag not in first.tags:
                first.tags.append(tag)
        if dup.others:  # claimed for this lead already (claim_others): all new to it
            known = {item[1] for item in first.others or ()}
            first.others = (first.others or []) + [o for o in dup.others if o[1] not in known]
        if dup.moved:
            first.moved = {**dup.moved, **(first.moved or {})}
        if dup_wins:
            first.status, first.status_at = dup.status, dup.status_at
            first.status_raw = dup.status_raw
            first.custom["status_raw"] = dup.status_raw
        if first.consent_at is None or (dup.consent_at and dup.consent_at < first.consent_at):
            first.consent_at = dup.consent_at or first.consent_at

    # -- the database side

    def fingerprint_salt(self, reading: _Reading, orders: dict[int, str]) -> Any:
        """A hash primed with everything besides the record itself that decides what the
        record becomes: the mapping, the date orders, the policy, the batch tag."""
        det = reading.detection
        salt = repr(
            (
                FINGERPRINT_VERSION,
                det.platform,
                det.variant,
                det.default_status.value,
                det.status_raw,
                det.source,
                tuple((c.index, c.header, c.target.value, c.parse, c.field_name)
                      for c in reading.mapping),
                sorted(orders.items()),
                self.options.on_duplicate,
                self.batch_tag,
                self.options.opted_in,
            )
        )  # fmt: skip
        return hashlib.blake2b(salt.encode("utf-8", "surrogatepass"), digest_size=8)

    def load_fingerprints(self) -> None:
        """Read the stored records' fingerprints, when the file is big enough for the
        rows they spare to pay for reading them."""
        leads = self.conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        expected_rows = self.bytes_total / 64  # a record is rarely shorter
        if not leads or leads > FINGERPRINTS_PER_ROW * expected_rows:
            return
        self.fingerprints = {
            fp: (key, lead_id, status)
            for fp, key, lead_id, status in self.conn.execute(
                "SELECT import_fp, email_key, id, status FROM lead WHERE import_fp IS NOT NULL"
            )
        }

    def begin(self, platform: str, encoding: str, delimiter: str) -> None:
        conn = self.conn
        cur = conn.execute(
            "INSERT INTO import_batch (file_name, platform, encoding, delimiter, on_duplicate,"
            " tag, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                shown_name(self.path),
                platform,
                encoding,
                delimiter,
                self.options.on_duplicate,
                self.batch_tag,
                self.now_text,
            ),
        )
        self.batch_id = cur.lastrowid
        last_id = conn.execute("SELECT max(id) FROM lead").fetchone()[0]
        self.next_id = (last_id or 0) + 1
        # Into an empty lead book, a first occurrence can only be new: no lookups needed.
        self.book_was_empty = last_id is None
        step = step_by_key("subscribed")
        self.step_id, self.step_level = step.id, step.level
        for tag_id, name in conn.execute("SELECT id, name FROM tag"):
            self.tag_ids[_tag_key(name)] = tag_id
        self.load_fingerprints()
        if not self.book_was_empty:
            self.other_owner = other_email_owners()
        # People forgotten at their request are never imported again (crm.safety.suppression).
        db_path = database_path(database_proxy.obj)
        self.suppression = load_check(lambda sql, args: conn.execute(sql, args), db_path)
        if self.suppression.unreadable:
            self.warnings += 1
            self.warning_texts.append(unreadable_warning(self.suppression.unreadable, db_path))

    def db_progress(self) -> int:
        now = time.monotonic()
        if now - self.last_progress >= PROGRESS_EVERY_S:
            self.last_progress = now
            self.progress(self.rows, self.rows + 1)
        return 0

    def maybe_drop_indexes(self, new_now: int, new_share: float) -> None:
        """A large load into a small table: drop the secondary indexes now and build them
        once at the end (sorted builds beat 200,000 scattered inserts). Same transaction:
        a rollback brings them back untouched. Decided at the first chunk with new leads:
        those, and the rest of the file at the same share (new members at the end of a
        long export are a few, not the whole file)."""
        fraction = min(self.bytes_done / self.bytes_total, 1.0) or 1.0
        expected_new = new_now + new_share * max(self.rows / fraction - self.rows, 0)
        existing = self.conn.execute("SELECT count(*) FROM lead").fetchone()[0]
        if expected_new < BULK_ROWS or expected_new < existing:
            return
        self.dropped_indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "AND tbl_name IN ('lead', 'commitment', 'lead_event') AND name NOT IN "
            "('commitment_lead', 'lead_event_lead')"
        ).fetchall()
        for name, _ in self.dropped_indexes:
            self.conn.execute(f'DROP INDEX "{name}"')

    def restore_indexes(self) -> None:
        for _, sql in self.dropped_indexes:
            self.conn.execute(sql)
        self.dropped_indexes = []

    def tag_id(self, name: str) -> int:
        found = self.tag_ids_by_name.get(name)
        if found is not None:
            return found
        key = _tag_key(name)
        found = self.tag_ids.get(key)
        if found is None:
            if self.dry_run:
                found = -1 - len(self.tag_ids)  # no stored lead has a tag that is not stored
            else:
                found = self.conn.execute(
                    "INSERT INTO tag (name, batch_id) VALUES (?, ?)", (name, self.batch_id)
                ).lastrowid
            self.tag_ids[key] = found
        self.tag_ids_by_name[name] = found
        return found

    def write_chunk(self, chunk: list[_Row], late: list[_Row]) -> None:
        """Merge one chunk of first occurrences (and later duplicates of earlier chunks)."""
        conn = self.conn
        items = chunk + late
        if not items:
            return
        keys = [r.key for r in (late if self.book_was_empty else items)]
        existing: dict[str, tuple[Any, ...]] = {}
        for start in range(0, len(keys), 30000):
            part = keys[start : start + 30000]
            marks = ",".join("?" * len(part))
            cursor = conn.execute(
                "SELECT email_key, id, email, first_name, last_name, company, phone, notes, "
                "status, custom, level, last_commitment_at, updated_at, import_fp FROM lead "
                f"WHERE email_key IN ({marks})",
                part,
            )
            existing.update({row[0]: row for row in cursor})
        lead_tags: dict[int, set[int]] = {}
        commit_times: set[tuple[int, str]] = set()
        if existing:
            ids = [r[1] for r in existing.values()]
            for start in range(0, len(ids), 30000):
                part = ids[start : start + 30000]
                marks = ",".join("?" * len(part))
                for lead_id, tag_id in conn.execute(
                    f"SELECT lead_id, tag_id FROM lead_tag WHERE lead_id IN ({marks})", part
                ):
                    lead_tags.setdefault(lead_id, set()).add(tag_id)
                # '+step_id' keeps SQLite on the lead index: the step index would walk
                # every subscribe in the book for each chunk.
                for lead_id, at in conn.execute(
                    f"SELECT lead_id, at FROM commitment WHERE +step_id = ? AND lead_id IN "
                    f"({marks})",
                    [self.step_id, *part],
                ):
                    commit_times.add((lead_id, str(at)))

        new_leads: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        remembered: list[tuple[int, int]] = []  # (fingerprint, lead id) of unchanged leads
        changes: list[tuple[Any, ...]] = []
        commitments: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        tag_rows: list[tuple[int, int, int]] = []
        source, label = self.platform_source, self.platform_label
        policy = self.options.on_duplicate
        late_ids = {id(r) for r in late}
        for status, count in Counter(r.status for r in chunk).items():
            self.statuses[status.value] = self.statuses.get(status.value, 0) + count
        self.settle_others(items)

        for r in items:
            is_late = id(r) in late_ids
            found = existing.get(r.key)
            if found is None:
                if is_late and r.key in self.would_create:
                    continue  # merged into a lead the dry run did not write
                self._create(r, new_leads, commitments, events, tag_rows, source, label)
                continue
            if found[8] == "erased":
                # A forgotten person's placeholder address: never revived, never changed.
                if not is_late:
                    self.unchanged += 1
                    self.warn(r.row, "the address is a forgotten person's placeholder; left alone")
                continue
            row_policy = "fill" if is_late else policy
            changed = self._update(
                r, found, row_policy, lead_tags, commit_times, updates, changes, commitments,
                events, tag_rows, source, label, is_late,
            )  # fmt: skip
            if is_late:
                continue
            if changed:
                self.updated += 1
            else:
                self.unchanged += 1
                if r.fp is not None and r.fp != found[13] and found[8] == r.status.value:
                    remembered.append((r.fp, found[1]))

        others, self.pending_others = self.pending_others, []
        if self.dry_run:
            return
        if new_leads and not self.index_decided:
            self.index_decided = True
            self.maybe_drop_indexes(len(new_leads), len(new_leads) / len(items))
        if new_leads:
            conn.executemany(
                "INSERT INTO lead (id, email, email_key, first_name, last_name, company, phone,"
                " source, status, notes, custom, search_text, created_at, updated_at, batch_id,"
                " level, last_commitment_at, import_fp) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                new_leads,
            )
        if updates:
            conn.executemany(
                "UPDATE lead SET first_name = ?, last_name = ?, company = ?, phone = ?, "
                "notes = ?, status = ?, custom = ?, search_text = ?, updated_at = ?, "
                "level = ?, last_commitment_at = ?, import_fp = ? WHERE id = ?",
                updates,
            )
        if remembered:
            conn.executemany("UPDATE lead SET import_fp = ? WHERE id = ?", remembered)
        if changes:
            conn.executemany(
                "INSERT INTO import_change (batch_id, lead_id, field, before, after) "
                "VALUES (?, ?, ?, ?, ?)",
                changes,
            )
        if commitments:
            conn.executemany(
                "INSERT INTO commitment (lead_id, step_id, at, source, note, batch_id) "
                "VALUES (?, ?, ?, ?, '', ?)",
                commitments,
            )
        if events:
            conn.executemany(
                "INSERT INTO lead_event (lead_id, at, kind, summary, data, batch_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                events,
            )
        if tag_rows:
            conn.executemany(
                "INSERT OR IGNORE INTO lead_tag (lead_id, tag_id, batch_id) VALUES (?, ?, ?)",
                tag_rows,
            )
        if others:
            conn.executemany(
                "INSERT OR IGNORE INTO lead_other_email (lead_id, email, email_key, created_at,"
                " batch_id) VALUES (?, ?, ?, ?, ?)",
                others,
            )

    def _create(
        self,
        r: _Row,
        new_leads: list[tuple[Any, ...]],
        commitments: list[tuple[Any, ...]],
        events: list[tuple[Any, ...]],
        tag_rows: list[tuple[int, int, int]],
        source: str,
        label: str,
    ) -> None:
        lead_id = self.next_id
        self.next_id += 1
        self.created += 1
        if self.dry_run:
            self.would_create.add(r.key)
        v = r.values
        first, last, company = v.get("first_name", ""), v.get("last_name", ""), v.get("company", "")
        level, last_yes = 0, None
        status = r.status
        if r.consent_at and status is not S.PENDING and status is not S.NONE:
            commitments.append((lead_id, self.step_id, r.consent_at, source, self.batch_id))
            level, last_yes = fold_yes(level, last_yes, self.step_level, r.consent_at)
        if status in SUPPRESSED:
            # Without its own date the suppression happened at some time up to the export:
            # the import's time, never the sign-up's, which would let any later-dated
            # subscribe in another file lift it (rule 8).
            events.append(
                (
                    lead_id,
                    r.status_at or self.now_text,
                    "status",
                    f"{STATUS_LABELS[status]} (from {label})",
                    json.dumps({"to": status.value, "raw": r.status_raw}, ensure_ascii=False),
                    self.batch_id,
                )
            )
        new_leads.append(
            (
                lead_id,
                r.email,
                r.key,
                first,
                last,
                company,
                v.get("phone", ""),
                source,
                status.value,
                v.get("notes", ""),
                _text_json(r.custom),
                make_search_text(r.email, first, last, company),
                self.now_text,
                self.now_text,
                self.batch_id,
                level,
                last_yes,
                r.fp,
            )
        )
        for tag in r.tags:
            tag_rows.append((lead_id, self.tag_id(tag), self.batch_id))
        if r.others:
            self.add_others(lead_id, r)

    def _update(
        self,
        r: _Row,
        found: tuple[Any, ...],
        policy: str,
        lead_tags: dict[int, set[int]],
        commit_times: set[tuple[int, str]],
        updates: list[tuple[Any, ...]],
        changes: list[tuple[Any, ...]],
        commitments: list[tuple[Any, ...]],
        events: list[tuple[Any, ...]],
        tag_rows: list[tuple[int, int, int]],
        source: str,
        label: str,
        late: bool,
    ) -> bool:
        (_, lead_id, email, first, last, company, phone, notes, status, custom_text, level,
         last_yes, updated_at, _) = found  # fmt: skip
        batch = self.batch_id
        current = (first, last, company, phone, notes)
        after: dict[str, str] | None = None  # made on the first change: most rows have none
        changed_fields: list[str] = []
        if policy != "skip":
            for name, text in r.values.items():
                have = current[_LEAD_FIELD_AT[name]]
                if have == text:
                    continue
                if not have or policy == "overwrite":
                    if after is None:
                        after = dict(zip(_LEAD_FIELDS, current, strict=True))
                    after[name] = text
                    changed_fields.append(name)
                    changes.append((batch, lead_id, name, have, text))
        new_custom_text = custom_text
        if policy != "skip" and (r.custom or r.moved):
            incoming_text = _text_json(r.custom) if r.custom else custom_text
            if r.moved or incoming_text != custom_text:
                have_custom = _load_custom(custom_text)
                merged = dict(have_custom)
                for name, text in r.custom.items():
                    if text.isspace():
                        continue  # a blank cell neither fills nor overwrites (rule 8)
                    have = merged.get(name)
                    if (
                        have is None
                        or (isinstance(have, str) and not have.strip())
                        or (policy == "overwrite" and have != text)
                    ):
                        merged[name] = text
                # cells an earlier import kept as text that are now other addresses
                for name, text in (r.moved or {}).items():
                    if merged.get(name) == text:
                        del merged[name]
                if merged != have_custom:
                    new_custom_text = _to_json(merged)
                    changed_fields.append("custom")
                    changes.append((batch, lead_id, "custom", custom_text, new_custom_text))
        # Status: suppression wins; a subscribe only lifts it when it is newer.
        old_status = _STATUSES[status] if status in _STATUSES else S(status)
        new_status = old_status
        incoming = r.status
        if incoming in SUPPRESSED:
            if _SEVERITY[incoming] > _SEVERITY[old_status] or old_status not in SUPPRESSED:
                new_status = incoming
        elif policy != "skip" and incoming is not S.NONE:
            if old_status in SUPPRESSED:
                # A later duplicate merges as one in the same chunk would: it never lifts
                # what the first occurrence left, wherever the chunks happen to end.
                since = None
                if not late:
                    since = self.conn.execute(
                        "SELECT max(at) FROM lead_event WHERE lead_id = ? AND kind = 'status'",
                        (lead_id,),
                    ).fetchone()[0]
                if r.consent_at and since and r.consent_at > str(since):
                    new_status = incoming
            elif _SEVERITY[incoming] > _SEVERITY[old_status]:
                new_status = incoming
        if new_status is not old_status:
            changed_fields.append("status")
            changes.append((batch, lead_id, "status", old_status.value, new_status.value))
            at = (r.status_at if new_status in SUPPRESSED else r.consent_at) or self.now_text
            events.append(
                (
                    lead_id,
                    at,
                    "status",
                    f"Status changed from {STATUS_LABELS[old_status]} to "
                    f"{STATUS_LABELS[new_status]} (from {label})",
                    json.dumps(
                        {"from": old_status.value, "to": new_status.value, "raw": r.status_raw},
                        ensure_ascii=False,
                    ),
                    batch,
                )
            )
        new_level, new_last = level, last_yes
        if (
            policy != "skip"
            and r.consent_at
            and incoming is not S.PENDING
            and incoming is not S.NONE
            and (lead_id, r.consent_at) not in commit_times
            # the earliest sign-up of the same person in one file is the one kept
            and not (late and any(i == lead_id and at <= r.consent_at for i, at in commit_times))
        ):
            commit_times.add((lead_id, r.consent_at))
            commitments.append((lead_id, self.step_id, r.consent_at, source, batch))
            changed_fields.append("timeline")
            new_level, new_last = fold_yes(
                level, None if last_yes is None else str(last_yes), self.step_level, r.consent_at
            )
        if policy != "skip":
            have_tags = lead_tags.setdefault(lead_id, set())
            added = False
            for tag in r.tags:
                tag_id = self.tag_id(tag)
                if tag_id not in have_tags:
                    have_tags.add(tag_id)
                    tag_rows.append((lead_id, tag_id, batch))
                    added = True
            if added:
                changed_fields.append("tags")
            if r.others:
                self.add_others(lead_id, r)
                changed_fields.append("other_emails")
        if not changed_fields:
            return False
        if after is None:
            after = dict(zip(_LEAD_FIELDS, current, strict=True))
        changes.append((batch, lead_id, "updated_at", str(updated_at), self.now_text))
        if new_level != level:
            changes.append((batch, lead_id, "level", str(level), str(new_level)))
        updates.append(
            (
                after["first_name"],
                after["last_name"],
                after["company"],
                after["phone"],
                after["notes"],
                new_status.value,
                new_custom_text,
                make_search_text(email, after["first_name"], after["last_name"], after["company"]),
                self.now_text,
                new_level,
                new_last,
                # the lead now reflects this record, unless merged from a later duplicate
                # or kept at a status the record does not have
                None if late or new_status is not incoming else r.fp,
                lead_id,
            )
        )
        words = ", ".join(dict.fromkeys(_FIELD_WORDS[f] for f in changed_fields))
        events.append(
            (
                lead_id,
                self.now_text,
                "import",
                f"Updated from {label}: {words}",
                json.dumps(
                    {"batch_id": batch, "file": shown_name(self.path), "fields": changed_fields},
                    ensure_ascii=False,
                ),
                batch,
            )
        )
        return True

    # -- the whole run

    def run(self, sources: list[Source]) -> ImportReport:
        started = time.monotonic()
        decodings = [detect_decoding(s) for s in sources]
        self.bytes_total = max(1, sum(max(s.size, 1) for s in sources))
        readings: list[_Reading] = []
        base = [0]

        def on_bytes(n: int) -> None:
            self.bytes_done = base[0] + n

        try:
            for source, decoding in zip(sources, decodings, strict=True):
                readings.append(_Reading(source, self.options, None, decoding))
        finally:
            for reading in readings:
                reading.close()
        first = readings[0]
        platforms = list(dict.fromkeys(r.detection.platform for r in readings))
        platform = platforms[0] if len(platforms) == 1 else "+".join(platforms)
        encoding = first.decoding.name
        delimiter = first.header.delimiter
        self.platform_source = first.detection.source
        self.platform_label = first.detection.label.split(" (")[0]
        database_proxy.execute_sql("SELECT 1")  # this thread's connection is open
        self.conn = database_proxy.connection()
        # Long statements (index builds, big inserts) still report progress.
        self.conn.set_progress_handler(self.db_progress, 50_000)
        try:
            with database_proxy.atomic("IMMEDIATE") as txn:
                self.load(sources, decodings, platform, encoding, delimiter, on_bytes, base)
                # Rebuilding indexes and committing can take a second or two on a big
                # file; a heartbeat keeps the progress bar alive through them.
                self.heartbeat.start()
                if self.dropped_indexes and not self.options.dry_run:
                    self.restore_indexes()  # a rollback brings them back by itself
                # A file with a header only imports nothing: no batch to list or undo.
                if self.options.dry_run or self.rows == 0:
                    txn.rollback()
        finally:
            self.heartbeat.stop()
            self.conn.set_progress_handler(None, 0)
        self.progress(self.rows, self.rows)
        warnings = list(self.warning_texts)
        for d in decodings:
            if d.warning:
                warnings.insert(0, d.warning)
                self.warnings += 1
        if self.rows == 0 and not self.rejected:
            warnings.insert(0, "no data rows: the file has a header only")
        return ImportReport(
            batch_id=None if self.options.dry_run or self.rows == 0 else self.batch_id,
            file_name=shown_name(self.path),
            platform=platform,
            platform_label=first.detection.label,
            encoding=encoding,
            delimiter=delimiter,
            rows=self.rows,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            duplicates_in_file=self.duplicates,
            rejected=self.rejected,
            warnings=self.warnings,
            errors=tuple(self.rejected_rows.shown),
            statuses=dict(sorted(self.statuses.items())),
            warning_texts=tuple(warnings),
            header=first.header.names,
            dry_run=self.options.dry_run,
            seconds=time.monotonic() - started,
            forgotten=self.forgotten,
            rejected_rows=self.rejected_rows,
        )

    def load(
        self,
        sources: list[Source],
        decodings: list[Decoding],
        platform: str,
        encoding: str,
        delimiter: str,
        on_bytes: Callable[[int], None],
        base: list[int],
    ) -> None:
        """Everything that writes, inside the batch's transaction."""
        self.begin(platform, encoding, delimiter)
        for source, decoding in zip(sources, decodings, strict=True):
            if len(sources) > 1:
                self.file_label = source.label
            reading = _Reading(source, self.options, on_bytes, decoding)
            self.file_header = reading.header.names
            # Each CSV of a ZIP is its own platform's: the source of the leads and yeses
            # it writes, and the name in their timeline.
            self.platform_source = reading.detection.source
            self.platform_label = reading.detection.label.split(" (")[0]
            try:
                self.run_source(reading)
            finally:
                reading.close()
            base[0] += max(source.size, 1)
        # The leads this batch created need no event each: their timeline shows the
        # import from the batch itself (crm.book.timeline).
        self.tick(force=True)
        self.conn.execute(
            "UPDATE import_batch SET rows = ?, created = ?, updated = ?, unchanged = ?, "
            "rejected = ?, duplicates_in_file = ?, warnings = ?, finished_at = ? "
            "WHERE id = ?",
            (
                self.rows,
                self.created,
                self.updated,
                self.unchanged,
                self.rejected,
                self.duplicates,
                self.warnings,
                self.now_text,
                self.batch_id,
            ),
        )

    def run_source(self, reading: _Reading) -> None:
        given = dict(self.options.date_orders)
        orders, undecided = _decide_orders(
            reading, given, lambda cols: _scan_orders(reading.source, reading.decoding, cols)
        )
        for index in undecided:
            header = reading.header.names[index]
            self.warnings += 1
            self.warning_texts.append(
                f"dates in '{header}' could be day/month or month/day; ambiguous ones were "
                "left out: choose the order in the import window"
            )
        plan = _Plan(reading.detection, reading.mapping, orders, self.options.opted_in)
        if self.options.opted_in and not asks_consent(reading.detection.platform, reading.mapping):
            self.warnings += 1
            self.warning_texts.append(
                "'opted in' was ignored: contacts from an address book never opted in"
                if reading.detection.platform in ADDRESS_BOOKS
                else "'opted in' was ignored: this file says itself who opted in"
            )
        salted = self.fingerprint_salt(reading, orders)
        chunk: dict[str, _Row] = {}
        late: list[_Row] = []
        seen = self.seen
        normalise = self.normalise
        stored = self.fingerprints
        statuses = self.statuses
        # a dry run stores no fingerprint: it needs one only to look stored ones up
        fingerprinting = bool(stored) or not self.dry_run
        forgotten = self.suppression.holds if self.suppression else None
        count = 0
        fp: int | None = None
        hit: tuple[str, int, str] | None = None
        for number, fields in reading.records():
            self.rows += 1
            count += 1
            if fingerprinting:
                digest = salted.copy()
                digest.update("\x1f".join(fields).encode("utf-8", "surrogatepass"))
                fp = int.from_bytes(digest.digest(), "big", signed=True)
                hit = stored.get(fp)
            if hit is not None and hit[0] not in seen:
                # A record this lead already reflects, unchanged since: nothing to do.
                seen[hit[0]] = number
                if self.file_label:
                    self.seen_file[hit[0]] = self.file_label
                self.unchanged += 1
                statuses[hit[2]] = statuses.get(hit[2], 0) + 1
            elif (row := normalise(plan, number, fields, fp)) is not None:
                first_row = seen.get(row.key)
                if forgotten and forgotten(row.key):
                    self.forgotten += 1
                elif first_row is None:
                    if row.others:
                        self.claim_others(row)
                    seen[row.key] = number
                    if self.file_label:
                        self.seen_file[row.key] = self.file_label
                    chunk[row.key] = row
                else:
                    self.duplicates += 1
                    where = f"row {first_row}"
                    if self.file_label:
                        where += f" of {self.seen_file[row.key]}"
                    self.warn(number, f"duplicate of {where}")
                    if row.others:
                        self.claim_others(row)
                    if row.key in chunk:
                        self.merge_duplicate(plan, chunk[row.key], row)
                    else:
                        late.append(row)
            if count >= CHUNK_ROWS:
                self.tick()
                self.write_chunk(list(chunk.values()), late)
                chunk, late, count = {}, [], 0
                self.tick()
        self.write_chunk(list(chunk.values()), late)


class _Heartbeat:
    """Reports progress from a side thread while one long statement (a commit) runs."""

    def __init__(self, beat: Callable[[], None], every_s: float = PROGRESS_EVERY_S) -> None:
        self._beat, self._every = beat, max(every_s, 0.01)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="import-heartbeat", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._beat()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def _load_custom(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def import_csv(
    path: str | Path,
    options: ImportOptions = ImportOptions(),
    *,
    now: dt.datetime,
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Import one CSV (or ZIP of CSVs) as one batch; see the module docstring."""
    options = options.checked()
    path = Path(path)
    sources = sources_for(path)
    importer = _Importer(path, options, now, progress, cancel)
    try:
        report = importer.run(sources)
    except BaseException as exc:
        importer.rejected_rows.close()  # the report that would have kept it never comes
        if isinstance(exc, (OSError, UnicodeDecodeError)) and not isinstance(exc, SmallyesError):
            raise ImportFormatError(
                f"{shown_name(path)} could not be read to the end ({exc})."
            ) from exc
        raise
    if not options.dry_run:
        note(tables=IMPORT_TABLES, leads=None)
    return report


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
                cells = [_escape(f) for f in error.fields]
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


def _escape(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell
