"""The activity import: rows of evidence in, dated yeses, engagement and statuses out.

Each row is matched to a lead by its address (trimmed and lower-cased, a lead's own or one
of its other addresses) and mapped by :func:`map_row`, the ladder mapping:

- a click on an offer's link is a yes on that offer at the link's step; a click on an
  unsubscribe, preference, "view in browser" or tracking link is skipped; any other click
  is the ``clicked`` yes;
- opens are stored as engagement only (never a rung), deliveries as e-mails received;
- an answer is the ``answered`` yes with its questions and answers, a reply ``replied``;
- bounces, unsubscribes and complaints change the status as a subscriber file would
  (suppression wins), dated when they happened;
- bookings and sales are refused for now, with the whole file.

People not in the lead book: their opens, clicks and deliveries are skipped (they come
from subscribers, whom the subscriber lists bring in); an answer or a reply makes them a
contact who never opted in. A pending ask whose step (and offer, if it named one) a lead
takes within the pacing's answer window is answered by that yes.

One import is one batch in one transaction: a cancel, a refused row or a crash rolls it
all back, and a dry run works everything out inside the transaction and rolls it back.
Every stored row has its key (``activity_event.key``): a key an earlier batch stored is
``already_imported``, one met earlier in the same import a ``duplicate``, so importing the
same export, or next month's that repeats this month's rows, adds only what is new.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm.asking.pacing import get_pacing
from crm.book import lead_cache
from crm.book.emails import check_email
from crm.book.leads import SUPPRESSED, LeadStatus
from crm.errors import ImportFormatError, OperationCancelled, ValidationError
from crm.importing.activity.detect import ActivitySource, SourcePlan
from crm.importing.activity.links import Links, LinkTarget, is_ignored_link, load_links
from crm.importing.activity.report import (
    OPENED,
    SKIP_DELIVERY,
    SKIP_DUPLICATE,
    SKIP_FORGOTTEN,
    SKIP_IGNORED_LINK,
    SKIP_NO_EMAIL,
    SKIP_NO_STEP,
    SKIP_STATUS_KEPT,
    SKIP_UNKNOWN,
    ActivityReport,
    ActivityTally,
)
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.store import ActivityWriter, PendingAsk
from crm.importing.decoding import Source, shown_name
from crm.importing.labels import platform_words
from crm.importing.normalise import SEVERITY
from crm.importing.report import ImportReport
from crm.jobs import CancelToken, Progress, no_progress
from crm.safety.suppression import ForgottenCheck, load_check, unreadable_warning
from crm.store.models import database_proxy
from crm.store.paths import database_path
from crm.timefmt import from_stored_required

# The tables an activity import writes, for the change it notes.
ACTIVITY_TABLES = (
    "activity_event",
    "commitment",
    "commitment_answer",
    "ask",
    "lead",
    "lead_event",
    "import_batch",
    "import_change",
)
CHUNK_ROWS = 4096
PROGRESS_EVERY_S = 0.1
LATER_VERSION = "bookings and sales come in a later version"
_BYTES_PER_ROW = 64  # a first guess of a row's size, for the progress bar's total
_REASON_WORD = re.compile(r"[a-z][a-z_]*")


class Effect(StrEnum):
    YES = "yes"  # a yes on the timeline (and its event)
    ENGAGEMENT = "engagement"  # an open or a delivery: stored, never a rung
    STATUS = "status"  # a bounce, unsubscribe or complaint
    SKIP = "skip"  # nothing stored


@dataclass(frozen=True, slots=True)
class Mapped:
    """What one row of evidence becomes (see the module docstring)."""

    effect: Effect
    step: str = ""  # a YES: the step's key
    offer: LinkTarget | None = None  # a YES on an offer (a click on its link)
    reason: str = ""  # a SKIP: why; an ENGAGEMENT that is no open: what it is instead
    status: LeadStatus | None = None  # a STATUS: the status the row says
    creates: bool = False  # an unknown person becomes a contact


_OPEN = Mapped(Effect.ENGAGEMENT)
_DELIVERY = Mapped(Effect.ENGAGEMENT, reason=SKIP_DELIVERY)
_IGNORED_CLICK = Mapped(Effect.SKIP, reason=SKIP_IGNORED_LINK)
_CLICK = Mapped(Effect.YES, step="clicked")
_ANSWER = Mapped(Effect.YES, step="answered", creates=True)
_REPLY = Mapped(Effect.YES, step="replied", creates=True)
_STATUS = {
    Action.UNSUBSCRIBED: Mapped(Effect.STATUS, status=LeadStatus.UNSUBSCRIBED),
    Action.BOUNCED: Mapped(Effect.STATUS, status=LeadStatus.BOUNCED),
    Action.COMPLAINED: Mapped(Effect.STATUS, status=LeadStatus.COMPLAINED),
}
SALES_ACTIONS = frozenset({Action.BOOKED, Action.CANCELED, Action.PURCHASED, Action.REFUNDED})


def map_row(row: ActivityRow, links: Links) -> Mapped:
    """The ladder mapping of one row (pure: the row and the offers' links in)."""
    action = row.action
    if action is Action.OPENED:
        return _OPEN
    if action is Action.CLICKED:
        if is_ignored_link(row.url):
            return _IGNORED_CLICK
        target = links.match(row.url)
        if target is not None:
            return Mapped(Effect.YES, step=target.step, offer=target)
        return _CLICK
    if action is Action.DELIVERED:
        return _DELIVERY
    if action is Action.ANSWERED:
        return _ANSWER
    if action is Action.REPLIED:
        return _REPLY
    if action is Action.DOWNLOADED:
        target = links.match(row.url) if row.url else None
        return Mapped(Effect.YES, step=target.step if target else "downloaded", offer=target,
                      creates=True)  # fmt: skip
    status = _STATUS.get(action)
    if status is not None:
        return status
    where = f"{row.member or 'the file'}, row {row.row}"
    raise ImportFormatError(
        f"The file holds bookings or sales ({where}): {LATER_VERSION} of Smallyes, so "
        "nothing was imported from it."
    )


def suppression_wins(have: LeadStatus, incoming: LeadStatus) -> LeadStatus:
    """The status after a bounce, unsubscribe or complaint: the stronger suppression."""
    if have not in SUPPRESSED or SEVERITY.get(incoming, 0) > SEVERITY.get(have, 0):
        return incoming
    return have


def local_zone(zone: str) -> dt.tzinfo | None:
    """The zone of times written without one: the owner's choice, else this computer's
    (None: Python's own local time)."""
    if not zone:
        return None
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"'{zone}' is not a time zone Smallyes knows: use a name like Europe/Paris."
        ) from None


def zone_name(zone: str) -> str:
    if zone:
        return zone
    return dt.datetime.now().astimezone().tzname() or "this computer's time zone"


SubscriberRun = Callable[[list[Source]], ImportReport]


@dataclass(slots=True)
class _Row:
    """A row that will be stored, once its key is checked against the book."""

    row: ActivityRow
    email: str
    key: str  # the address's key
    mapped: Mapped
    lead_id: int | None
    event_key: str


def event_key(row: ActivityRow) -> str:
    """The stored key: the reader's, under its platform (two platforms' row ids never meet)."""
    prefix = row.platform + "|"
    return row.key if row.key.startswith(prefix) else prefix + row.key


class _ActivityImport:
    def __init__(
        self,
        path: Path,
        *,
        now: dt.datetime,
        dry_run: bool,
        zone: str,
        progress: Progress,
        cancel: CancelToken | None,
    ) -> None:
        self.path = path
        self.now = now.replace(microsecond=0)
        self.now_text = str(self.now)
        self.future = self.now + dt.timedelta(days=1)
        self.dry_run = dry_run
        self.zone = zone
        self.tzinfo = local_zone(zone)
        self.progress = progress
        self.cancel = cancel
        self.tally = ActivityTally()
        self.writer = ActivityWriter(None, now_text=self.now_text)
        self.leads: dict[str, int] = {}
        self.steps: dict[str, tuple[int, int]] = {}
        self.links = Links({})
        self.suppression = ForgottenCheck(None, frozenset(), 0)
        self.window = dt.timedelta(days=7)
        self.touched: set[int] = set()  # leads whose yeses changed
        self.changed_status: set[int] = set()
        self.local_labels: list[str] = []
        self.bytes_total = 1
        self.bytes_done = 0
        self.rows_before = 0  # rows of the sources already read
        self.last_progress = 0.0

    # -- progress

    def tick(self) -> None:
        now = time.monotonic()
        if now - self.last_progress < PROGRESS_EVERY_S:
            return
        self.last_progress = now
        if self.cancel is not None and self.cancel.cancelled:
            raise OperationCancelled()
        done = self.tally.rows
        per_row = (self.bytes_done / self.rows_before) if self.rows_before else _BYTES_PER_ROW
        self.progress(done, max(done + 1, int(self.bytes_total / max(per_row, 1))))

    # -- the run

    def run(self, plan: SourcePlan, subscribers: SubscriberRun | None) -> ActivityReport:
        started = time.monotonic()
        database_proxy.execute_sql("SELECT 1")  # this thread's connection is open
        conn = self.writer.conn = database_proxy.connection()
        self.bytes_total = max(1, sum(max(s.size, 1) for s in plan.activity))
        sub: ImportReport | None = None
        try:
            with database_proxy.atomic("IMMEDIATE") as txn:
                if subscribers is not None and plan.subscribers:
                    sub = subscribers(plan.subscribers)
                platform = "+".join(dict.fromkeys(s.platform for s in plan.activity))
                self.writer.start(
                    shown_name(self.path), platform, sub.batch_id if sub is not None else None
                )
                self.begin(conn)
                for source in plan.activity:
                    self.read_source(source)
                self.finish()
                if self.dry_run or (self.tally.rows == 0 and (sub is None or sub.rows == 0)):
                    txn.rollback()
        except BaseException:
            self.tally.rejected_rows.close()
            if sub is not None and sub.rejected_rows is not None:
                sub.rejected_rows.close()
            raise
        self.progress(self.tally.rows, self.tally.rows)
        return self.report(plan, platform, sub, time.monotonic() - started)

    def begin(self, conn: object) -> None:
        writer = self.writer
        self.leads = writer.lead_index()
        self.steps = {k: (s.id, s.level) for k, s in writer.steps().items()}
        self.links = load_links()
        self.window = dt.timedelta(days=get_pacing().follow_up_days)
        db_path = database_path(database_proxy.obj)
        self.suppression = load_check(writer.conn.execute, db_path)
        if self.suppression.unreadable:
            self.tally.note(unreadable_warning(self.suppression.unreadable, db_path))

    def read_source(self, source: ActivitySource) -> None:
        tally = self.tally
        tally.file_label = source.label
        links, leads = self.links, self.leads
        chunk: list[_Row] = []
        local_seen = False
        rows_at_start = tally.rows
        for item in source.rows():
            tally.rows += 1
            if isinstance(item, Rejected):
                self.rejected(item)
                continue
            try:
                checked = check_email(item.email)
            except ValidationError as exc:
                tally.reject(item.row, exc.user_message, (item.email,))
                continue
            mapped = map_row(item, links)
            if mapped.effect is Effect.SKIP:
                tally.skip(mapped.reason)
                continue
            key = checked.key
            lead_id = leads.get(key)
            if lead_id is None and not mapped.creates:
                tally.skip(SKIP_UNKNOWN)
                continue
            if item.at_is_local:
                local_seen = True
            chunk.append(_Row(item, checked.address, key, mapped, lead_id, event_key(item)))
            if len(chunk) >= CHUNK_ROWS:
                self.write_chunk(chunk)
                chunk = []
                self.tick()
        self.write_chunk(chunk)
        if local_seen:
            self.local_labels.append(source.label)
        self.bytes_done += max(source.size, 1)
        self.rows_before += tally.rows - rows_at_start
        self.tick()

    def rejected(self, item: Rejected) -> None:
        """A row the reader could not use: an anonymous answer is skipped, the rest rejected."""
        reason = item.reason.strip()
        if reason == "no email address":
            self.tally.skip(SKIP_NO_EMAIL)
        elif _REASON_WORD.fullmatch(reason):
            self.tally.skip(reason)
        else:
            self.tally.reject(item.row, reason, ())

    def when(self, row: ActivityRow) -> str | None:
        """The row's time as stored (naive UTC, whole seconds), or None when it lies in
        the future; a row without a time is dated at the import."""
        at = row.at
        if at is None:
            self.tally.dated_at_import += 1
            return self.now_text
        if row.at_is_local:
            aware = at.replace(tzinfo=self.tzinfo) if self.tzinfo else at.astimezone()
            at = aware.astimezone(dt.UTC).replace(tzinfo=None)
        elif at.tzinfo is not None:
            at = at.astimezone(dt.UTC).replace(tzinfo=None)
        if at.microsecond:
            at = at.replace(microsecond=0)
        if at > self.future:
            return None
        return str(at)

    # -- one chunk

    def write_chunk(self, chunk: list[_Row]) -> None:
        if not chunk:
            return
        writer, tally = self.writer, self.tally
        stored = writer.stored_keys(list({r.event_key for r in chunk}))
        batch = writer.batch_id
        seen: set[str] = set()
        yeses: list[tuple[_Row, str]] = []
        statuses: list[tuple[_Row, str]] = []
        for r in chunk:
            ek = r.event_key
            if ek in seen:
                tally.skip(SKIP_DUPLICATE)
                tally.duplicates += 1
                continue
            if ek in stored:
                if stored[ek] == batch:
                    tally.skip(SKIP_DUPLICATE)
                    tally.duplicates += 1
                else:
                    tally.already_imported += 1
                continue
            seen.add(ek)
            at = self.when(r.row)
            if at is None:
                tally.reject(r.row.row, "the time is in the future", (r.email,))
                continue
            if r.lead_id is None:
                r.lead_id = self.leads.get(r.key)
                if r.lead_id is None:
                    if self.suppression and self.suppression.holds(r.key):
                        tally.skip(SKIP_FORGOTTEN)
                        tally.forgotten += 1
                        continue
                    r.lead_id = writer.new_contact(r.email, r.key, r.row.name, r.row.platform)
                    self.leads[r.key] = r.lead_id
                    self.touched.add(r.lead_id)
                    tally.created += 1
            effect = r.mapped.effect
            row = r.row
            if effect is Effect.ENGAGEMENT:
                writer.event(
                    r.lead_id, ek, row.action.value, at, row.campaign, row.url, row.platform, None
                )
                if r.mapped.reason:
                    tally.skip(r.mapped.reason)
                else:
                    tally.event(OPENED)
            elif effect is Effect.STATUS:
                statuses.append((r, at))
            else:
                yeses.append((r, at))
        if yeses:
            self.write_yeses(yeses)
        if statuses:
            self.write_statuses(statuses)
        writer.flush()

    def write_yeses(self, yeses: list[tuple[_Row, str]]) -> None:
        writer, tally = self.writer, self.tally
        asks = writer.pending_asks(sorted({r.lead_id for r, _ in yeses if r.lead_id is not None}))
        for r, at in sorted(yeses, key=lambda item: item[1]):
            row, lead_id = r.row, r.lead_id
            assert lead_id is not None
            step = self.steps.get(r.mapped.step)
            if step is None:
                # the owner removed the step from the ladder: the evidence is kept
                writer.event(lead_id, r.event_key, row.action.value, at, row.campaign, row.url,
                             row.platform, None)  # fmt: skip
                tally.skip(SKIP_NO_STEP)
                continue
            offer_id = r.mapped.offer.offer_id if r.mapped.offer is not None else None
            ask = self.answered_ask(asks.get(lead_id, []), step[0], offer_id, at)
            if ask is not None:
                writer.accept_ask(ask.id, at)
                tally.resolved_asks += 1
            commitment_id = writer.yes(
                lead_id,
                step[0],
                offer_id,
                ask.id if ask is not None else None,
                at,
                row.platform,
                _note(row),
                row.answers,
            )
            writer.event(
                lead_id, r.event_key, row.action.value, at, row.campaign, row.url, row.platform,
                commitment_id,
            )  # fmt: skip
            self.touched.add(lead_id)
            tally.event(r.mapped.step)

    def answered_ask(
        self, asks: list[PendingAsk], step_id: int, offer_id: int | None, at: str
    ) -> PendingAsk | None:
        """The oldest pending ask this yes answers (and takes it off the list)."""
        when = from_stored_required(at)
        for ask in asks:
            if ask.step_id != step_id or (ask.offer_id is not None and ask.offer_id != offer_id):
                continue
            asked = from_stored_required(ask.asked_at)
            if asked <= when <= asked + self.window:
                asks.remove(ask)
                return ask
        return None

    def write_statuses(self, rows: list[tuple[_Row, str]]) -> None:
        writer, tally = self.writer, self.tally
        states = writer.statuses(sorted({r.lead_id for r, _ in rows if r.lead_id is not None}))
        for r, at in sorted(rows, key=lambda item: item[1]):
            row, lead_id = r.row, r.lead_id
            assert lead_id is not None and r.mapped.status is not None
            writer.event(lead_id, r.event_key, row.action.value, at, row.campaign, row.url,
                         row.platform, None)  # fmt: skip
            status, updated_at = states[lead_id]
            have = LeadStatus(status)
            new = suppression_wins(have, r.mapped.status)
            if new is have:
                tally.skip(SKIP_STATUS_KEPT)
                continue
            label = platform_words(row.platform)
            writer.change_status(lead_id, have, new, updated_at, at, label, row.action.value)
            states[lead_id] = (new.value, self.now_text)
            tally.status_changes[new.value] = tally.status_changes.get(new.value, 0) + 1
            if lead_id not in self.changed_status:
                self.changed_status.add(lead_id)
                tally.updated += 1

    def finish(self) -> None:
        tally = self.tally
        if self.touched:
            lead_cache.recompute(sorted(self.touched))
        if self.local_labels:
            tally.note(
                f"times in {', '.join(self.local_labels)} have no time zone: they were read "
                f"as {zone_name(self.zone)}"
            )
        if tally.dated_at_import:
            tally.note(
                f"{tally.dated_at_import} rows have no time: their yeses are dated at the import"
            )
        self.writer.finish(
            (tally.rows, tally.created, tally.updated, tally.rejected, tally.duplicates,
             tally.warnings)
        )  # fmt: skip

    # -- the report

    def report(
        self, plan: SourcePlan, platform: str, sub: ImportReport | None, seconds: float
    ) -> ActivityReport:
        tally = self.tally
        warnings = list(tally.warning_texts)
        if plan.ignored:
            shown = ", ".join(plan.ignored[:5]) + (" ..." if len(plan.ignored) > 5 else "")
            warnings.append(f"not imported (neither activity nor a list of people): {shown}")
        if tally.rows == 0 and not tally.rejected:
            warnings.insert(0, "no activity rows: the activity files have a header only")
        wrote = not self.dry_run and (tally.rows > 0 or (sub is not None and sub.rows > 0))
        batch_id = self.writer.batch_id if wrote else None
        first = sub
        rows = tally.rows + (sub.rows if sub else 0)
        return ActivityReport(
            batch_id=batch_id,
            file_name=shown_name(self.path),
            platform=platform if sub is None else f"{sub.platform}+{platform}",
            platform_label=platform_words(platform),
            encoding=first.encoding if first else "",
            delimiter=first.delimiter if first else ",",
            rows=rows,
            created=tally.created + (sub.created if sub else 0),
            updated=tally.updated + (sub.updated if sub else 0),
            unchanged=sub.unchanged if sub else 0,
            duplicates_in_file=tally.duplicates + (sub.duplicates_in_file if sub else 0),
            rejected=tally.rejected + (sub.rejected if sub else 0),
            warnings=tally.warnings + (sub.warnings if sub else 0) + len(plan.ignored[:1]),
            errors=tuple(tally.rejected_rows.shown),
            statuses=dict(sub.statuses) if sub else {},
            warning_texts=tuple((*(sub.warning_texts if sub else ()), *warnings)),
            header=(),
            dry_run=self.dry_run,
            seconds=seconds,
            forgotten=tally.forgotten + (sub.forgotten if sub else 0),
            rejected_rows=tally.rejected_rows,
            kind=plan.kind,
            events=dict(tally.events),
            already_imported=tally.already_imported,
            skipped=dict(tally.skipped),
            resolved_asks=tally.resolved_asks,
            status_changes=dict(tally.status_changes),
            activity_rows=tally.rows,
            subscribers=sub,
        )


def _note(row: ActivityRow) -> str:
    """What the timeline says beside the yes: the campaign, form or subject, and the link."""
    parts = [p for p in (row.campaign, row.url) if p]
    return " — ".join(parts)[:500]


def import_activity(
    path: Path,
    plan: SourcePlan,
    *,
    now: dt.datetime,
    dry_run: bool = False,
    zone: str = "",
    progress: Progress = no_progress,
    cancel: CancelToken | None = None,
    subscribers: SubscriberRun | None = None,
) -> ActivityReport:
    """Import the plan's activity sources as one batch (with its subscriber lists first,
    through ``subscribers``, when the ZIP holds both); see the module docstring."""
    run = _ActivityImport(
        path, now=now, dry_run=dry_run, zone=zone, progress=progress, cancel=cancel
    )
    return run.run(plan, subscribers)


def tables_written() -> Iterable[str]:
    return ACTIVITY_TABLES
