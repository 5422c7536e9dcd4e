"""The import itself: stream records, normalise them, merge them into the lead book.

One import is one batch in one transaction (``BEGIN IMMEDIATE``): a cancel or a crash
rolls everything back, and a dry run works everything out without writing. Each source
is read once (``crm.importing.reading``); its records go in chunks through the plan
(``plan``) and the pure rules (``normalise``, ``merge``); each chunk's stored leads,
tags and subscribe times are read with a few ``IN`` queries and its writes go out
together (``writer``). The file is never held whole: memory grows with the number of
distinct addresses only. What the import tells is in ``report``.

Each lead keeps the fingerprint of the record it was last imported from (with everything
that decides what the record becomes: mapping, policy, batch tag); a record whose
fingerprint a lead still holds is already reflected and is skipped before being
normalised. Triggers (``crm.store.migrations``, v2) forget a lead's fingerprint on any later
change a re-import could redo, so such a lead is compared in full.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from crm.book.other_emails import other_email_owners
from crm.book.tag_rules import apply_tag_rules
from crm.changes import LEAD_TABLES, note
from crm.errors import ImportFormatError, OperationCancelled, SmallyesError, ValidationError
from crm.importing.activity import generic
from crm.importing.activity.apply import ACTIVITY_TABLES, import_activity, local_zone
from crm.importing.activity.detect import ActivitySource, SourcePlan, plan_sources
from crm.importing.decoding import Decoding, Source, detect_decoding, shown_name, sources_for
from crm.importing.mapping import (
    ACTIVITY_TARGETS,
    DATE_TARGETS,
    SINGLE_TARGETS,
    ColumnMap,
    Mapping,
    Target,
    fold,
    is_activity_mapping,
    with_unnamed_empty_ignored,
)
from crm.importing.merge import (
    POLICIES,
    Attached,
    Rules,
    applied,
    is_placeholder,
    merge,
    merge_duplicate,
)
from crm.importing.normalise import Record, Rejection
from crm.importing.normalise import normalise as normalise_record
from crm.importing.others import OtherAddresses
from crm.importing.plain import PlainRow, plain_rows
from crm.importing.plan import Plan, asks_consent, fingerprint_salt
from crm.importing.platforms import ADDRESS_BOOKS, PLATFORMS
from crm.importing.reading import SourceReading, decide_orders
from crm.importing.report import ImportReport, Preview, Tally
from crm.importing.values import fmt
from crm.importing.writer import BatchWriter
from crm.jobs import CancelToken, Progress, no_progress, paused_cycle_collection
from crm.safety.suppression import ForgottenCheck, load_check, unreadable_warning
from crm.store.models import database_proxy
from crm.store.paths import database_path

log = logging.getLogger(__name__)

# What an import writes: every lead table, its batch and undo rows, offers its tags name.
IMPORT_TABLES = (*LEAD_TABLES, "import_batch", "import_change", "offer")
CHUNK_ROWS = 4096
BULK_ROWS = 20_000  # from this many new leads on, indexes are rebuilt instead of updated
PROGRESS_EVERY_S = 0.1
PREVIEW_ROWS = 20
# Fingerprints of stored records are read when there are at most this many per row to
# import (reading one costs about a tenth of normalising a record).
FINGERPRINTS_PER_ROW = 8
# Plain records of a first import take the fast path (crm.importing.plain); off, every
# record is normalised in full (the tests compare the two).
PLAIN_ROWS = True


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
    # The time zone of activity times written without one (a form's local time); empty:
    # this computer's.
    zone: str = ""
    # Questions of a form or survey file to mark as showing interest (crm.book.interests).
    interest: tuple[str, ...] = ()

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
        local_zone(self.zone)
        return self


def preview_csv(
    path: str | Path, platform: str = "auto", plan: SourcePlan | None = None
) -> Preview:
    """Decode, sniff and detect a file and propose its mapping; nothing is written.
    ``plan``: the file's ``plan_sources``, when the caller has it already."""
    options = ImportOptions(platform=platform).checked()
    path = Path(path)
    if options.platform != "auto":
        plan = None
    elif plan is None:
        plan = _mixed_plan(path)
    elif plan.kind != "mixed":
        plan = None
    # a ZIP of member lists and activity: the lists are what there is to map
    sources = plan.subscribers if plan is not None else sources_for(path)
    reading = SourceReading(sources[0], options.platform)
    try:
        orders, undecided = decide_orders(reading, {}, keep=False)
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
        activity: Mapping = ()
        looks = False
        if reading.detection.platform == "generic":
            activity, looks = generic.propose_mapping(reading.header.names, reading.samples)
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
            activity_mapping=activity,
            looks_like_activity=looks,
            activity_sources=len(plan.activity) if plan is not None else 0,
            activity_platforms=(
                tuple(sorted({a.platform for a in plan.activity})) if plan is not None else ()
            ),
        )
    finally:
        reading.close()


def _mixed_plan(path: Path) -> SourcePlan | None:
    """The plan of a file holding both people and activity (a platform's account ZIP, a
    dashboard export with engagement columns), or None for any other file."""
    try:
        plan = plan_sources(path)
    except SmallyesError:
        return None  # the subscriber reading says what is wrong with the file
    return plan if plan.kind == "mixed" else None


# What ``--map FIELD=COLUMN`` can name: every target but a custom field (the default for
# a column nothing names), and "link" for the URL.
_NAMED_FIELDS = {t.value: t for t in Target if t is not Target.CUSTOM} | {"link": Target.URL}


def named_mapping(path: str | Path, names: Sequence[tuple[str, str]]) -> Preview:
    """The file's preview with the columns the owner named (``(field, column header)``,
    as ``smallyes-cli import --map email=Adresse`` gives them) sent where they say, the
    rest as proposed. Naming a column for the time, the link, the action, the campaign or
    a sale's or booking's field (amount, currency, refunded, product, order, starts) makes
    it an activity file's mapping (its other columns as the activity proposal has them).
    One sentence for a field or a column that is not there."""
    preview = preview_csv(path)
    wanted: dict[int, Target] = {}
    for field, column in names:
        target = _NAMED_FIELDS.get(field.strip().casefold().replace("-", "_"))
        if target is None:
            raise ValidationError(
                f"'{field}' is not a field to map a column to: use one of "
                f"{', '.join(sorted(_NAMED_FIELDS))}."
            )
        index = _column_named(preview.header, column)
        if index is None:
            shown = ", ".join(f"'{h}'" for h in preview.header if h)
            raise ValidationError(
                f"{preview.file_name} has no column '{column}': use one of {shown}."
            )
        wanted[index] = target
    activity = any(t in ACTIVITY_TARGETS for t in wanted.values())
    base = preview.activity_mapping if activity else preview.mapping
    named = set(wanted.values()) - {Target.IGNORE}
    # a column the proposal sent where the owner sent another one is let go
    spare = Target.IGNORE if activity else Target.CUSTOM
    mapping = tuple(
        c.retarget(wanted[c.index])
        if c.index in wanted
        else c.retarget(spare)
        if c.target in named and (activity or c.target in SINGLE_TARGETS)
        else c
        for c in base
    )
    return dataclasses.replace(preview, mapping=mapping)


def _column_named(header: Sequence[str], name: str) -> int | None:
    """The column with this header (exactly, else as ``fold`` compares them)."""
    for index, found in enumerate(header):
        if found == name:
            return index
    wanted = fold(name)
    for index, found in enumerate(header):
        if fold(found) == wanted:
            return index
    return None


class _Importer:
    """One import: reads each source, keeps the tally, and merges chunk by chunk."""

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
        self.tally = Tally()
        self.writer = BatchWriter(None, now_text=self.now_text, dry_run=options.dry_run)
        self.rules = self.late_rules = Rules(options.on_duplicate, 0)  # set in begin()
        self.seen: dict[str, int] = {}  # dedupe key -> row number of its first occurrence
        self.seen_file: dict[str, str] = {}  # the same, which file (ZIP with several CSVs)
        self.suppression = ForgottenCheck(None, frozenset(), 0)  # read in begin()
        self.others = OtherAddresses({}, None)  # read in begin()
        # fingerprint -> (dedupe key, lead id, status) of the leads that reflect a record
        self.fingerprints: dict[int, tuple[str, int, str]] = {}
        # A dry run works everything out but writes nothing: the keys it would have
        # created stand in for the leads later duplicates would find.
        self.would_create: set[str] = set()
        self.bytes_total = 1
        self.bytes_base = 0  # the sources before the current one
        self.bytes_done = 0
        self.last_progress = 0.0
        self.index_decided = False
        self.heartbeat = _Heartbeat(lambda: self.progress(self.tally.rows, self.tally.rows + 1))

    # -- progress

    def tick(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last_progress >= PROGRESS_EVERY_S:
            self.last_progress = now
            if self.cancel is not None and self.cancel.cancelled:
                raise OperationCancelled()
            done = self.tally.rows
            fraction = min(self.bytes_done / self.bytes_total, 1.0)
            total = max(done, int(done / fraction)) if fraction > 0 else done
            self.progress(done, total)

    def db_progress(self) -> int:
        now = time.monotonic()
        if now - self.last_progress >= PROGRESS_EVERY_S:
            self.last_progress = now
            self.progress(self.tally.rows, self.tally.rows + 1)
        return 0

    def on_bytes(self, done: int) -> None:
        self.bytes_done = self.bytes_base + done

    # -- the whole run

    def run(self, sources: list[Source]) -> ImportReport:
        started = time.monotonic()
        decodings = [detect_decoding(s) for s in sources]
        self.bytes_total = max(1, sum(max(s.size, 1) for s in sources))
        readings: list[SourceReading] = []
        options = self.options
        try:
            for source, decoding in zip(sources, decodings, strict=True):
                readings.append(SourceReading(source, options.platform, options.mapping, decoding))
            first = readings[0]
            platforms = list(dict.fromkeys(r.detection.platform for r in readings))
            platform = platforms[0] if len(platforms) == 1 else "+".join(platforms)
            database_proxy.execute_sql("SELECT 1")  # this thread's connection is open
            conn = self.writer.conn = database_proxy.connection()
            # Long statements (index builds, big inserts) still report progress.
            conn.set_progress_handler(self.db_progress, 50_000)
            try:
                with database_proxy.atomic("IMMEDIATE") as txn:
                    self.load(readings, platform, first.decoding.name, first.header.delimiter)
                    # Rebuilding indexes and committing can take a second or two on a big
                    # file; a heartbeat keeps the progress bar alive through them.
                    self.heartbeat.start()
                    if self.writer.dropped_indexes and not options.dry_run:
                        self.writer.restore_indexes()  # a rollback brings them back by itself
                    if not options.dry_run and self.tally.rows:
                        # tags that mean a yes, as this batch's (its undo takes them back)
                        applied = apply_tag_rules(now=self.now, batch_id=self.writer.batch_id)
                        self.tally.tag_rule_yeses = applied.yeses
                    # A file with a header only imports nothing: no batch to list or undo.
                    if options.dry_run or self.tally.rows == 0:
                        txn.rollback()
            finally:
                self.heartbeat.stop()
                conn.set_progress_handler(None, 0)
        finally:
            for reading in readings:
                reading.close()
        self.progress(self.tally.rows, self.tally.rows)
        return self.report(first, platform, decodings, time.monotonic() - started)

    def report(
        self, first: SourceReading, platform: str, decodings: list[Decoding], seconds: float
    ) -> ImportReport:
        tally = self.tally
        warnings = list(tally.warning_texts)
        for d in decodings:
            if d.warning:
                warnings.insert(0, d.warning)
                tally.warnings += 1
        if tally.rows == 0 and not tally.rejected:
            warnings.insert(0, "no data rows: the file has a header only")
        return ImportReport(
            batch_id=None if self.options.dry_run or tally.rows == 0 else self.writer.batch_id,
            file_name=shown_name(self.path),
            platform=platform,
            platform_label=first.detection.label,
            encoding=first.decoding.name,
            delimiter=first.header.delimiter,
            rows=tally.rows,
            created=tally.created,
            updated=tally.updated,
            unchanged=tally.unchanged,
            duplicates_in_file=tally.duplicates,
            rejected=tally.rejected,
            warnings=tally.warnings,
            errors=tuple(tally.rejected_rows.shown),
            statuses=dict(sorted(tally.statuses.items())),
            warning_texts=tuple(warnings),
            header=first.header.names,
            dry_run=self.options.dry_run,
            seconds=seconds,
            forgotten=tally.forgotten,
            tag_rule_yeses=tally.tag_rule_yeses,
            rejected_rows=tally.rejected_rows,
        )

    def load(
        self, readings: list[SourceReading], platform: str, encoding: str, delimiter: str
    ) -> None:
        """Everything that writes, inside the batch's transaction."""
        self.begin(platform, encoding, delimiter)
        tally, writer = self.tally, self.writer
        for reading in readings:
            if len(readings) > 1:
                tally.file_label = reading.source.label
            tally.file_header = reading.header.names
            # Each CSV of a ZIP is its own platform's: the source of the leads and yeses
            # it writes, and the name in their timeline.
            writer.source = reading.detection.source
            writer.label = reading.detection.label.split(" (")[0]
            try:
                self.run_source(reading)
            finally:
                reading.close()
            self.bytes_base += max(reading.source.size, 1)
        # The leads this batch created need no event each: their timeline shows the
        # import from the batch itself (crm.book.timeline).
        self.tick(force=True)
        writer.finish(
            (tally.rows, tally.created, tally.updated, tally.unchanged, tally.rejected,
             tally.duplicates, tally.warnings)
        )  # fmt: skip

    def begin(self, platform: str, encoding: str, delimiter: str) -> None:
        writer, options = self.writer, self.options
        writer.start(
            shown_name(self.path),
            platform,
            encoding,
            delimiter,
            options.on_duplicate,
            self.batch_tag,
        )
        self.rules = Rules(options.on_duplicate, writer.step_level)
        # A later duplicate only fills in what its first occurrence left blank.
        self.late_rules = Rules("fill", writer.step_level, late=True)
        self.load_fingerprints()
        # People forgotten at their request are never imported again (crm.safety.suppression).
        db_path = database_path(database_proxy.obj)
        self.suppression = load_check(writer.execute, db_path)
        if self.suppression.unreadable:
            self.tally.note(unreadable_warning(self.suppression.unreadable, db_path))
        owners = {} if writer.book_was_empty else other_email_owners()
        self.others = OtherAddresses(owners, self.suppression.holds if self.suppression else None)

    def load_fingerprints(self) -> None:
        """Read the stored records' fingerprints, when the file is big enough for the
        rows they spare to pay for reading them."""
        leads = self.writer.lead_count()
        expected_rows = self.bytes_total / 64  # a record is rarely shorter
        if not leads or leads > FINGERPRINTS_PER_ROW * expected_rows:
            return
        self.fingerprints = self.writer.fingerprints()

    def run_source(self, reading: SourceReading) -> None:
        given = dict(self.options.date_orders)
        orders, undecided = decide_orders(reading, given)
        tally = self.tally
        for index in undecided:
            header = reading.header.names[index]
            tally.note(
                f"dates in '{header}' could be day/month or month/day; ambiguous ones were "
                "left out: choose the order in the import window"
            )
        options = self.options
        plan = Plan(
            reading.detection,
            reading.mapping,
            orders,
            options.opted_in,
            now_text=self.now_text,
            batch_tag=self.batch_tag,
        )
        if options.opted_in and not asks_consent(reading.detection.platform, reading.mapping):
            tally.note(
                "'opted in' was ignored: contacts from an address book never opted in"
                if reading.detection.platform in ADDRESS_BOOKS
                else "'opted in' was ignored: this file says itself who opted in"
            )
        salted = fingerprint_salt(plan, options.on_duplicate)
        # Into an empty book nothing is stored to compare with: a plain record is settled
        # by the fast path alone.
        plain = (
            plain_rows(plan)
            if PLAIN_ROWS
            and not options.dry_run
            and self.writer.book_was_empty
            and not self.fingerprints
            and not self.others.owners
            else None
        )
        chunk: dict[str, Record | PlainRow] = {}
        late: list[Record] = []
        seen, seen_file = self.seen, self.seen_file
        file_label = tally.file_label
        normalise = self.normalise
        warn = tally.warn
        stored = self.fingerprints
        statuses = tally.statuses
        # a dry run stores no fingerprint: it needs one only to look stored ones up
        fingerprinting = bool(stored) or not options.dry_run
        forgotten = self.suppression.holds if self.suppression else None
        count = 0
        fp: int | None = None
        hit: tuple[str, int, str] | None = None
        for number, fields in reading.records(self.on_bytes):
            tally.rows += 1
            count += 1
            if fingerprinting:
                digest = salted.copy()
                digest.update("\x1f".join(fields).encode("utf-8", "surrogatepass"))
                fp = int.from_bytes(digest.digest(), "big", signed=True)
                hit = stored.get(fp)
            if hit is not None and hit[0] not in seen:
                # A record this lead already reflects, unchanged since: nothing to do.
                seen[hit[0]] = number
                if file_label:
                    seen_file[hit[0]] = file_label
                tally.unchanged += 1
                statuses[hit[2]] = statuses.get(hit[2], 0) + 1
            elif (
                plain is not None
                and (quick := plain(number, fields, fp)) is not None
                and quick.key not in seen
                and not (forgotten and forgotten(quick.key))
            ):
                seen[quick.key] = number
                if file_label:
                    seen_file[quick.key] = file_label
                chunk[quick.key] = quick
            elif (row := normalise(plan, number, fields, fp)) is not None:
                first_row = seen.get(row.key)
                if forgotten and forgotten(row.key):
                    tally.forgotten += 1
                elif first_row is None:
                    if row.others:
                        self.others.claim(row, warn)
                    seen[row.key] = number
                    if file_label:
                        seen_file[row.key] = file_label
                    chunk[row.key] = row
                else:
                    tally.duplicates += 1
                    where = f"row {first_row}"
                    if file_label:
                        where += f" of {seen_file[row.key]}"
                    warn(number, f"duplicate of {where}")
                    if row.others:
                        self.others.claim(row, warn)
                    if row.key in chunk:
                        first = chunk[row.key]
                        if isinstance(first, PlainRow):
                            # the full record now, to merge the duplicate into
                            full = normalise(plan, first.row, first.fields, first.fp)
                            assert full is not None  # the fast path settles no rejection
                            first = chunk[row.key] = full
                        for text in merge_duplicate(plan, first, row):
                            warn(number, text)
                    else:
                        late.append(row)
            if count >= CHUNK_ROWS:
                self.tick()
                self.write_chunk(list(chunk.values()), late)
                chunk, late, count = {}, [], 0
                self.tick()
        self.write_chunk(list(chunk.values()), late)

    def normalise(
        self, plan: Plan, number: int, fields: list[str], fp: int | None = None
    ) -> Record | None:
        """The record as a row to merge, or None when it is rejected. ``fp`` (its
        fingerprint) is kept only when the record raised no warning: a skipped record
        raises none, so one that does is always read again."""
        row = normalise_record(plan, number, fields)
        if row.warnings:
            warn = self.tally.warn
            for text in row.warnings:
                warn(number, text)
        if isinstance(row, Rejection):
            self.tally.reject(number, row.reason, row.fields)
            return None
        if not row.warnings:
            row.fp = fp
        owners = self.others.owners
        if owners:
            # someone's other address: that lead's record (the same person)
            row.key = owners.get(row.key, row.key)
        return row

    # -- writing a chunk

    def write_chunk(self, chunk: list[Record | PlainRow], late: list[Record]) -> None:
        """Merge one chunk of first occurrences (and later duplicates of earlier chunks)."""
        items = chunk + late
        if not items:
            return
        writer, tally = self.writer, self.tally
        keys = [r.key for r in (late if writer.book_was_empty else items)]
        existing = writer.stored_leads(keys)
        lead_tags, signups, since = writer.attached(existing.values())
        for status, count in Counter(r.status for r in chunk).items():
            tally.statuses[status.value] = tally.statuses.get(status.value, 0) + count
        lead_keys = None if writer.book_was_empty else writer.lead_keys
        records = [r for r in items if not isinstance(r, PlainRow)]
        self.others.settle(records, lead_keys, self.seen, tally.warn)
        late_ids = {id(r) for r in late}
        create_plain = writer.create_plain
        for r in items:
            if isinstance(r, PlainRow):
                create_plain(r)  # new: the fast path runs into an empty book only
                tally.created += 1
                continue
            is_late = id(r) in late_ids
            # the lead as the rows before left it (a second later duplicate in this chunk
            # merges into what the first one filled in)
            found = existing.get(r.key)
            if found is None:
                if is_late and r.key in self.would_create:
                    continue  # merged into a lead the dry run did not write
                self.create(r)
                continue
            if is_placeholder(found):
                if not is_late:
                    tally.unchanged += 1
                    tally.warn(r.row, "the address is a forgotten person's placeholder; left alone")
                continue
            rules = self.late_rules if is_late else self.rules
            # a skipped lead takes no tags: they are not even looked up (nor created)
            tag_ids = [writer.tag_id(t) for t in r.tags] if rules.policy != "skip" else []
            have_tags = lead_tags.setdefault(found.id, set())
            have_signups = signups.setdefault(found.id, set())
            attached = Attached(have_tags, have_signups, since.get(found.id))
            patch = merge(r, found, attached, tag_ids, rules)
            if patch is not None:
                # Later rows of this chunk see what this one added.
                have_tags.update(patch.tags)
                if patch.signup_at is not None:
                    have_signups.add(patch.signup_at)
                writer.update(found, patch)
                existing[r.key] = applied(found, patch, self.now_text)
                if patch.others:
                    self.add_others(found.id, r)
            if is_late:
                continue
            if patch is not None:
                tally.updated += 1
            else:
                tally.unchanged += 1
                if r.fp is not None and r.fp != found.import_fp and found.status == r.status.value:
                    writer.remember(r.fp, found.id)
        if not self.options.dry_run and writer.new_leads and not self.index_decided:
            self.index_decided = True
            self.maybe_drop_indexes(writer.new_leads, writer.new_leads / len(items))
        writer.flush()

    def create(self, r: Record) -> None:
        lead_id = self.writer.create(r)
        self.tally.created += 1
        if self.options.dry_run:
            self.would_create.add(r.key)
        if r.others:
            self.add_others(lead_id, r)

    def add_others(self, lead_id: int, row: Record) -> None:
        """Queue the row's other addresses for its lead; later rows match the lead by them."""
        self.others.add(row)
        self.writer.add_other_emails(lead_id, row.others or ())

    def maybe_drop_indexes(self, new_now: int, new_share: float) -> None:
        """A large load into a small table: drop the secondary indexes now and build them
        once at the end (sorted builds beat 200,000 scattered inserts). Decided at the
        first chunk with new leads: those, and the rest of the file at the same share (new
        members at the end of a long export are a few, not the whole file)."""
        rows = self.tally.rows
        fraction = min(self.bytes_done / self.bytes_total, 1.0) or 1.0
        expected_new = new_now + new_share * max(rows / fraction - rows, 0)
        if expected_new < BULK_ROWS or expected_new < self.writer.lead_count():
            return
        self.writer.drop_indexes()


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
    if options.mapping is not None and is_activity_mapping(options.mapping):
        return _import_activity(
            path, _mapped_activity(path, options), options, now, progress, cancel
        )
    # A platform or a mapping the owner chose says the file is a list of people; a
    # mapping of a file that also holds activity maps its lists, the activity follows.
    if options.platform == "auto" and options.mapping is None:
        plan = plan_sources(path)
        if plan.activity:
            return _import_activity(path, plan, options, now, progress, cancel)
        sources = plan.sources
    elif options.platform == "auto" and (mixed := _mixed_plan(path)) is not None:
        return _import_activity(path, mixed, options, now, progress, cancel)
    else:
        sources = sources_for(path)
    if options.interest:
        raise ValidationError(
            f"{shown_name(path)} is a list of people, with no form answers to mark as "
            "showing interest: leave the questions out, or import the form's export."
        )
    importer = _Importer(path, options, now, progress, cancel)
    try:
        with paused_cycle_collection():
            report = importer.run(sources)
    except BaseException as exc:
        importer.tally.rejected_rows.close()  # the report that would have kept it never comes
        if isinstance(exc, (OSError, UnicodeDecodeError)) and not isinstance(exc, SmallyesError):
            raise ImportFormatError(
                f"{shown_name(path)} could not be read to the end ({exc})."
            ) from exc
        raise
    if not options.dry_run:
        note(tables=IMPORT_TABLES, leads=None)
    return report


def _mapped_activity(path: Path, options: ImportOptions) -> SourcePlan:
    """A generic activity file read by the columns the owner mapped."""
    assert options.mapping is not None
    columns = generic.columns_from_mapping(options.mapping, options.date_orders)
    context = generic.MappedContext(columns=columns)
    plan = SourcePlan(sources_for(path))
    for source in plan.sources:
        label = source.label if source.member is None else source.member
        plan.activity.append(
            ActivitySource(
                label, generic.PLATFORM, generic, source, context=context, size=source.size
            )
        )
    return plan


def _import_activity(
    path: Path,
    plan: SourcePlan,
    options: ImportOptions,
    now: dt.datetime,
    progress: Progress,
    cancel: CancelToken | None,
) -> ImportReport:
    """An activity file, or a ZIP with activity beside its subscriber lists: those lists
    are imported first, in the same batch and transaction (crm.importing.activity)."""

    def subscribers(sources: list[Source]) -> ImportReport:
        # Written for real even in a dry run: the activity after it must see its people;
        # the activity import rolls both back.
        importer = _Importer(
            path, dataclasses.replace(options, dry_run=False), now, progress, cancel
        )
        try:
            with paused_cycle_collection():
                return importer.run(sources)
        except BaseException:
            importer.tally.rejected_rows.close()
            raise

    try:
        report = import_activity(
            path,
            plan,
            now=now,
            dry_run=options.dry_run,
            zone=options.zone,
            progress=progress,
            cancel=cancel,
            subscribers=subscribers,
            interest=options.interest,
        )
    except (OSError, UnicodeDecodeError) as exc:
        if isinstance(exc, SmallyesError):
            raise
        raise ImportFormatError(
            f"{shown_name(path)} could not be read to the end ({exc})."
        ) from exc
    if not options.dry_run:
        note(tables=(*IMPORT_TABLES, *ACTIVITY_TABLES), leads=None)
    return report
