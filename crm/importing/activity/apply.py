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
- a booking is the ``booked`` yes on its event type (an offer of kind "call"), dated when
  the person booked, with its ``booking`` row (the meeting's time); a canceled one keeps
  its row, without a yes;
- a paid sale is the ``purchased`` yes on its product (an offer of kind "product" with
  its price), with its ``sale`` row (amount and refunds in the currency's minor units,
  ``crm.money``); a free "sale" is the ``downloaded`` yes on it; a sale refunded in full
  keeps its row, without a yes; a refund row of its own (PayPal) refunds the sale of the
  book it names, or is counted as unmatched. A later export that says a stored sale was
  refunded, or a stored booking canceled, takes the yes back (its undo puts it back).

People not in the lead book: their opens, clicks and deliveries are skipped (they come
from subscribers, whom the subscriber lists bring in); an answer, a reply, a booking or a
purchase makes them a contact who never opted in. A pending ask whose step (and offer, if
it named one) a lead takes within the pacing's answer window is answered by that yes.

One import is one batch in one transaction: a cancel, a refused row or a crash rolls it
all back, and a dry run works everything out inside the transaction and rolls it back.
Every stored row has its key (``activity_event.key``): a key an earlier batch stored is
``already_imported``, one met earlier in the same import a ``duplicate``, so importing the
same export, or next month's that repeats this month's rows, adds only what is new.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm.asking.pacing import get_pacing
from crm.book import lead_cache
from crm.book.emails import check_email
from crm.book.interests import clean_question, mark_interest, stored_questions
from crm.book.leads import SUPPRESSED, LeadStatus
from crm.book.tag_rules import apply_tag_rules
from crm.errors import OperationCancelled, ValidationError
from crm.importing.activity.detect import ActivitySource, SourcePlan
from crm.importing.activity.links import Links, LinkTarget, is_ignored_link, load_links
from crm.importing.activity.report import (
    OPENED,
    SKIP_CANCELED,
    SKIP_DELIVERY,
    SKIP_DUPLICATE,
    SKIP_FORGOTTEN,
    SKIP_IGNORED_LINK,
    SKIP_NO_EMAIL,
    SKIP_NO_STEP,
    SKIP_REFUND_UNMATCHED,
    SKIP_REFUNDED,
    SKIP_STATUS_KEPT,
    SKIP_UNKNOWN,
    ActivityReport,
    ActivityTally,
)
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.store import ActivityWriter, PendingAsk, answered_ask, key_digest
from crm.importing.decoding import Source, shown_name
from crm.importing.labels import platform_words
from crm.importing.normalise import SEVERITY
from crm.importing.report import ImportReport
from crm.jobs import CancelToken, Progress, no_progress
from crm.money import check_currency, to_minor
from crm.safety.suppression import ForgottenCheck, load_check, unreadable_warning
from crm.store.models import database_proxy
from crm.store.paths import database_path

# The tables an activity import writes, for the change it notes.
ACTIVITY_TABLES = (
    "activity_event",
    "interest_question",
    "commitment",
    "commitment_answer",
    "ask",
    "lead",
    "lead_event",
    "import_batch",
    "import_change",
    "sale",
    "refund",
    "booking",
    "offer",
)
CHUNK_ROWS = 4096
PROGRESS_EVERY_S = 0.1
_BYTES_PER_ROW = 64  # a first guess of a row's size, for the progress bar's total
_REASON_WORD = re.compile(r"[a-z][a-z_]*")


class Effect(StrEnum):
    YES = "yes"  # a yes on the timeline (and its event)
    ENGAGEMENT = "engagement"  # an open or a delivery: stored, never a rung
    STATUS = "status"  # a bounce, unsubscribe or complaint
    SALE = "sale"  # a booking, a sale or a refund: its row, and the yes it is
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
    # what an unknown person's row is counted as when it makes no contact ("": unknown_email)
    unknown: str = ""


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
_SALES = {
    Action.BOOKED: Mapped(Effect.SALE, step="booked", creates=True),
    Action.PURCHASED: Mapped(Effect.SALE, step="purchased", creates=True),
    Action.CANCELED: Mapped(Effect.SALE, unknown=SKIP_CANCELED),
    Action.REFUNDED: Mapped(Effect.SALE, unknown=SKIP_REFUND_UNMATCHED),
}


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
    return _SALES[action]


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


def owner_zone() -> str:
    """This computer's time zone by its name (``Europe/Paris``), "" when it has none to
    tell: ``TZ``, else the zone file ``/etc/localtime`` links to, else ``/etc/timezone``."""
    candidates = [os.environ.get("TZ", "").removeprefix(":")]
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        pass
    else:
        _, found, name = target.partition("zoneinfo/")
        if found:
            candidates.append(name)
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for name in candidates:
        if name and "/" in name:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return name
    return ""


def zone_name(zone: str) -> str:
    """The zone times with none are read in, as the report names it."""
    if zone:
        return zone
    return owner_zone() or dt.datetime.now().astimezone().tzname() or "this computer's time zone"


SubscriberRun = Callable[[list[Source]], ImportReport]


# A row to store, once its key is checked against the book: the row, its address's key,
# its mapping, and its lead (None: a person the row would make a contact).
_Pending = tuple[ActivityRow, str, Mapped, int | None]
# Distinct addresses whose check is remembered in one import: a file repeats its people.
_EMAIL_CACHE = 500_000
_AMOUNTS_KEPT = 10_000  # distinct amounts remembered per import
BULK_ROWS = 50_000  # from this many rows on, a load into a smaller table rebuilds an index


# A tally's rejected, created and dated-at-import counts and its skips, before a file.
_Counts = tuple[int, int, int, dict[str, int]]
# What a row skipped for these reasons is, it stays: a file whose other rows were all
# stored may be remembered as read (the ignored links counted again from the record).
_SKIPS_THAT_STAY = frozenset({SKIP_DUPLICATE, SKIP_IGNORED_LINK, SKIP_DELIVERY})


def source_digest(source: ActivitySource) -> int | None:
    """The content of an activity file, with the reader (and the columns the owner
    mapped) that read it, as a signed 64-bit digest; None when it cannot be told cheaply.
    A ZIP entry is told by its name, size and CRC-32, a plain file by its bytes."""
    columns = getattr(source.context, "columns", None)
    head = f"{source.reader.__name__}|{source.platform}|{columns!r}|"
    entry = source.source
    if entry is not None and entry.member is not None:
        if entry.crc is None:
            return None
        return key_digest(f"{head}zip|{entry.member}|{entry.size}|{entry.crc}")
    path = entry.path if entry is not None else source.path
    if path is None or not path.is_file():
        return None
    with path.open("rb") as handle:
        content = hashlib.file_digest(handle, "blake2b").hexdigest()
    return key_digest(f"{head}file|{content}")


def event_key(row: ActivityRow) -> int:
    """The stored key: the reader's, under its platform (two platforms' row ids never
    meet), as its digest."""
    prefix = row.platform + "|"
    return key_digest(row.key if row.key.startswith(prefix) else prefix + row.key)


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
        interest: tuple[str, ...] = (),
    ) -> None:
        self.path = path
        self.interest = interest
        self.questions: set[str] = set()  # the questions answered in the file, folded
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
        self.emails: dict[str, str] = {}  # an address as written -> its key, once checked
        self.bulk_index: str | None = None  # the index dropped for a large load
        self.steps: dict[str, tuple[int, int]] = {}
        self.links = Links({})
        self.suppression = ForgottenCheck(None, frozenset(), 0)
        self.window = dt.timedelta(days=7)
        self.touched: set[int] = set()  # leads whose yeses changed
        self.changed_status: set[int] = set()
        self.local_labels: list[str] = []
        self.marked: list[str] = []
        self.bytes_total = 1
        self.bytes_done = 0
        self.rows_before = 0  # rows of the sources already read
        self.last_progress = 0.0
        # the files earlier imports read whole, and each source's digest (None: none)
        self.read_whole: dict[int, tuple[int, int]] = {}
        self.digests: dict[int, int | None] = {}
        self.amounts: dict[tuple[Decimal | None, Decimal | None, str], tuple[str, int, int]] = {}

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
        self.writer.conn = database_proxy.connection()
        self.bytes_total = max(1, sum(max(s.size, 1) for s in plan.activity))
        sub: ImportReport | None = None
        try:
            with database_proxy.atomic("IMMEDIATE") as txn:
                if subscribers is not None and plan.subscribers:
                    sub = subscribers(plan.subscribers)
                platform = "+".join(dict.fromkeys(s.platform for s in plan.activity))
                self.writer.start(
                    shown_name(self.path),
                    platform,
                    sub.batch_id if sub is not None else None,
                    plan.kind,
                )
                self.begin(plan)
                for source in plan.activity:
                    self.read_source(source)
                self.finish()
                if not self.dry_run and self.tally.rows:
                    # tags that mean a yes, as this batch's (its undo takes them back)
                    applied = apply_tag_rules(now=self.now, batch_id=self.writer.batch_id)
                    self.tally.tag_rule_yeses = applied.yeses
                if self.dry_run or (self.tally.rows == 0 and (sub is None or sub.rows == 0)):
                    txn.rollback()
        except BaseException:
            self.tally.rejected_rows.close()
            if sub is not None and sub.rejected_rows is not None:
                sub.rejected_rows.close()
            raise
        self.progress(self.tally.rows, self.tally.rows)
        return self.report(plan, platform, sub, time.monotonic() - started)

    def begin(self, plan: SourcePlan) -> None:
        writer = self.writer
        self.leads = writer.lead_index()
        self.steps = {k: (s.id, s.level) for k, s in writer.steps().items()}
        self.links = load_links()
        self.window = dt.timedelta(days=get_pacing().follow_up_days)
        self.read_whole = writer.imported_sources()
        self.digests = {id(s): source_digest(s) for s in plan.activity}
        to_read = [s for s in plan.activity if self.digests[id(s)] not in self.read_whole]
        expected = sum(max(s.size, 1) for s in to_read) / _BYTES_PER_ROW
        if expected >= BULK_ROWS and expected >= writer.event_count_at_most():
            self.bulk_index = writer.drop_bulk_index()
        db_path = database_path(database_proxy.obj)
        self.suppression = load_check(writer.conn.execute, db_path)
        if self.suppression.unreadable:
            self.tally.note(unreadable_warning(self.suppression.unreadable, db_path))

    def read_source(self, source: ActivitySource) -> None:
        tally = self.tally
        tally.file_label = source.label
        digest = self.digests.get(id(source))
        if digest is not None and digest in self.read_whole:
            self.read_before(source, *self.read_whole[digest])
            return
        links, leads, emails = self.links, self.leads, self.emails
        chunk: list[_Pending] = []
        local_seen = False
        rows_at_start = tally.rows
        before = (tally.rejected, tally.created, tally.dated_at_import, dict(tally.skipped))
        opened, skip = Action.OPENED, Effect.SKIP
        for item in source.rows():
            tally.rows += 1
            if isinstance(item, Rejected):
                self.rejected(item)
                continue
            key = emails.get(item.email)
            if key is None:
                key = self.email_key(item)
                if key is None:
                    continue
            mapped = _OPEN if item.action is opened else map_row(item, links)
            if mapped.effect is skip:
                tally.skip(mapped.reason)
                continue
            lead_id = leads.get(key)
            if lead_id is None and not mapped.creates:
                tally.skip(mapped.unknown or SKIP_UNKNOWN)
                continue
            if item.at_is_local:
                local_seen = True
            if item.answers:
                self.questions.update(" ".join(a.question.split()).casefold() for a in item.answers)
            chunk.append((item, key, mapped, lead_id))
            if len(chunk) >= CHUNK_ROWS:
                self.write_chunk(chunk)
                chunk = []
                self.tick()
        self.write_chunk(chunk)
        if local_seen:
            self.local_labels.append(source.label)
        elif digest is not None:
            self.remember(digest, tally.rows - rows_at_start, before)
        self.bytes_done += max(source.size, 1)
        self.rows_before += tally.rows - rows_at_start
        self.tick()

    def read_before(self, source: ActivitySource, rows: int, ignored: int) -> None:
        """A file an earlier import read whole: its rows are counted as the row-by-row
        reading would count them again, without reading them."""
        tally = self.tally
        tally.rows += rows
        if ignored:
            tally.skip(SKIP_IGNORED_LINK, ignored)
        tally.already_imported += rows - ignored
        self.bytes_done += max(source.size, 1)
        self.rows_before += rows
        self.tick()

    def remember(self, digest: int, rows: int, before: _Counts) -> None:
        """Remember a file this import read whole, when reading it again could only find
        its rows stored: none rejected, no contact made, none dated at the import, no
        skip whose reason may change (an unknown person imported later, a step put back)."""
        tally = self.tally
        rejected, created, dated, skipped = before
        if (tally.rejected, tally.created, tally.dated_at_import) != (rejected, created, dated):
            return
        grown = {r: n - skipped.get(r, 0) for r, n in tally.skipped.items()}
        if any(n and r not in _SKIPS_THAT_STAY for r, n in grown.items()):
            return
        self.writer.remember_source(digest, rows, grown.get(SKIP_IGNORED_LINK, 0))

    def email_key(self, item: ActivityRow) -> str | None:
        """The row's address key (remembered for the rows after), or None: rejected."""
        try:
            checked = check_email(item.email)
        except ValidationError as exc:
            self.tally.reject(item.row, exc.user_message, (item.email,))
            return None
        if len(self.emails) >= _EMAIL_CACHE:
            self.emails.clear()
        self.emails[item.email] = checked.key
        return checked.key

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
        stored = self.utc(at, row.at_is_local)
        return None if stored > self.future else str(stored)

    # -- one chunk

    def write_chunk(self, chunk: list[_Pending]) -> None:
        if not chunk:
            return
        writer, tally = self.writer, self.tally
        keys = [event_key(item[0]) for item in chunk]
        stored = writer.stored_keys(list(set(keys)))
        batch = writer.batch_id
        future = self.future
        seen: set[int] = set()
        yeses: list[tuple[ActivityRow, int, int, Mapped, str]] = []
        statuses: list[tuple[ActivityRow, int, int, Mapped, str]] = []
        sales: list[tuple[ActivityRow, int, int, Mapped, str]] = []
        later: list[tuple[ActivityRow, int]] = []  # rows about a stored sale or booking
        engagement = Effect.ENGAGEMENT
        add_event = writer.events.append
        opens = 0
        for (row, key, mapped, lead_id), ek in zip(chunk, keys, strict=True):
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
                    if mapped.effect is Effect.SALE:
                        later.append((row, ek))
                continue
            seen.add(ek)
            at = row.at
            if (
                at is not None
                and not at.microsecond
                and at.tzinfo is None
                and not row.at_is_local
                and at <= future
            ):
                when = str(at)
            else:
                found = self.when(row)
                if found is None:
                    tally.reject(row.row, "the time is in the future", (row.email,))
                    continue
                when = found
            if lead_id is None:
                lead_id = self.contact(row, key)
                if lead_id is None:
                    continue
            if mapped.effect is engagement:
                # the action is a str enum: stored as its value
                add_event((batch, lead_id, ek, row.action, when, row.campaign, row.url,
                           row.platform, None))  # fmt: skip
                if mapped.reason:
                    tally.skip(mapped.reason)
                else:
                    # a platform's total of a person's opens comes as one row
                    opens += getattr(row, "count", 1)
            elif mapped.effect is Effect.STATUS:
                statuses.append((row, lead_id, ek, mapped, when))
            elif mapped.effect is Effect.SALE:
                sales.append((row, lead_id, ek, mapped, when))
            else:
                yeses.append((row, lead_id, ek, mapped, when))
        if opens:
            tally.events[OPENED] = tally.events.get(OPENED, 0) + opens
        if yeses:
            self.write_yeses(yeses)
        if statuses:
            self.write_statuses(statuses)
        if sales:
            self.write_sales(sales)
        if later:
            self.update_stored(later)
        writer.flush()

    def contact(self, row: ActivityRow, key: str) -> int | None:
        """The lead of a person the row makes a contact (one an earlier row of this import
        made, or a new one), or None: they were forgotten at their request."""
        lead_id = self.leads.get(key)
        if lead_id is not None:
            return lead_id
        if self.suppression and self.suppression.holds(key):
            self.tally.skip(SKIP_FORGOTTEN)
            self.tally.forgotten += 1
            return None
        address = check_email(row.email).address
        lead_id = self.writer.new_contact(address, key, row.name, row.platform)
        self.leads[key] = lead_id
        self.touched.add(lead_id)
        self.tally.created += 1
        return lead_id

    def write_yeses(self, yeses: list[tuple[ActivityRow, int, int, Mapped, str]]) -> None:
        asks = self.writer.pending_asks(sorted({lead_id for _, lead_id, _, _, _ in yeses}))
        for row, lead_id, ek, mapped, at in sorted(yeses, key=lambda item: item[4]):
            offer_id = mapped.offer.offer_id if mapped.offer is not None else None
            self.take_yes(row, lead_id, ek, mapped.step, offer_id, at, asks)

    def take_yes(
        self,
        row: ActivityRow,
        lead_id: int,
        ek: int,
        step_key: str,
        offer_id: int | None,
        at: str,
        asks: dict[int, list[PendingAsk]],
        event: bool = True,
    ) -> int | None:
        """Queue the row's yes at ``step_key`` (answering the lead's pending ask it
        answers) and its event (none for a sale or booking: its own row keeps the key);
        the yes's id, or None when the ladder lost the step."""
        writer, tally = self.writer, self.tally
        step = self.steps.get(step_key)
        if step is None:
            # the owner removed the step from the ladder: the evidence is kept
            writer.event(lead_id, ek, row.action, at, row.campaign, row.url,
                         row.platform, None)  # fmt: skip
            tally.skip(SKIP_NO_STEP)
            return None
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
        if event:
            writer.event(lead_id, ek, row.action, at, row.campaign, row.url, row.platform,
                         commitment_id)  # fmt: skip
        self.touched.add(lead_id)
        tally.event(step_key)
        return commitment_id

    # -- sales and bookings

    def write_sales(self, rows: list[tuple[ActivityRow, int, int, Mapped, str]]) -> None:
        writer = self.writer
        asks = writer.pending_asks(sorted({lead_id for _, lead_id, _, m, _ in rows if m.step}))
        for row, lead_id, ek, _mapped, at in sorted(rows, key=lambda item: item[4]):
            action = row.action
            if action is Action.PURCHASED:
                self.write_sale(row, lead_id, ek, at, asks)
            elif action is Action.REFUNDED:
                self.write_refund(row, ek, at)
            else:
                starts = self.stored_time(row.occurs_at, row.at_is_local)
                canceled = action is Action.CANCELED
                commitment_id = None
                if canceled:
                    self.tally.skip(SKIP_CANCELED)
                else:
                    offer_id = writer.offer_for(row.product, "call") if row.product else None
                    commitment_id = self.take_yes(
                        row, lead_id, ek, "booked", offer_id, at, asks, event=False
                    )
                writer.booking(lead_id, commitment_id, ek, at, starts, row.product, canceled,
                               row.platform, row.source_id)  # fmt: skip

    def money(self, row: ActivityRow) -> tuple[str, int, int] | None:
        """The row's currency, amount and refunded part in minor units; None: rejected.
        A shop's prices repeat: each (amount, refund, currency) is worked out once."""
        known = self.amounts.get((row.amount, row.refunded, row.currency))
        if known is not None:
            return known
        try:
            currency = check_currency(row.currency)
            amount = to_minor(row.amount if row.amount is not None else Decimal(0), currency)
            refunded = to_minor(row.refunded or Decimal(0), currency)
        except ValidationError as exc:
            self.tally.reject(row.row, exc.user_message, (row.email,))
            return None
        if amount < 0 or refunded < 0:
            self.tally.reject(row.row, "a sale's amount cannot be negative", (row.email,))
            return None
        found = (currency, amount, min(refunded, amount))
        if len(self.amounts) < _AMOUNTS_KEPT:
            self.amounts[(row.amount, row.refunded, row.currency)] = found
        return found

    def write_sale(
        self, row: ActivityRow, lead_id: int, ek: int, at: str, asks: dict[int, list[PendingAsk]]
    ) -> None:
        writer, tally = self.writer, self.tally
        money = self.money(row)
        if money is None:
            return
        currency, amount, refunded = money
        if amount == 0:
            # a free product (a lead magnet on a shop): a download, not a sale
            offer_id = writer.offer_for(row.product, "") if row.product else None
            self.take_yes(row, lead_id, ek, "downloaded", offer_id, at, asks)
            return
        offer_id = writer.offer_for(row.product, "product", amount, currency)
        if refunded >= amount:
            commitment_id = None
            tally.skip(SKIP_REFUNDED)
        else:
            commitment_id = self.take_yes(
                row, lead_id, ek, "purchased", offer_id, at, asks, event=False
            )
            if commitment_id is None:
                return
            tally.add_revenue(currency, amount - refunded)
        writer.sale(lead_id, commitment_id, ek, at, row.product, currency, amount, refunded,
                    row.platform, row.source_id)  # fmt: skip

    def write_refund(self, row: ActivityRow, ek: int, at: str) -> None:
        """A refund row of its own, of a sale the book holds (this import's or earlier)."""
        writer, tally = self.writer, self.tally
        writer.flush()  # the sale may be this import's, still queued
        sale = writer.sale_by_source(row.platform, row.source_id) if row.source_id else None
        if sale is None:
            tally.skip(SKIP_REFUND_UNMATCHED)
            return
        try:
            refunded = to_minor(row.refunded or Decimal(0), sale.currency)
        except ValidationError as exc:
            tally.reject(row.row, exc.user_message, (row.email,))
            return
        refunded = min(refunded, sale.amount - sale.refunded)
        writer.event(sale.lead_id, ek, Action.REFUNDED, at, row.product, "", row.platform, None)
        if refunded <= 0:
            return
        writer.refund_stored(sale, at, refunded)
        tally.add_revenue(sale.currency, -refunded)
        tally.refunds_applied += 1
        self.touched.add(sale.lead_id)

    def update_stored(self, rows: list[tuple[ActivityRow, int]]) -> None:
        """Rows an earlier import stored: a sale refunded since, a booking canceled since."""
        writer, tally = self.writer, self.tally
        keys = [ek for _, ek in rows]
        sales = writer.sales_by_key(keys)
        bookings = writer.bookings_by_key(keys)
        for row, ek in rows:
            sale = sales.get(ek)
            if sale is not None and row.action is Action.PURCHASED:
                money = self.money(row)
                if money is None or money[0] != sale.currency or money[2] <= sale.refunded:
                    continue
                more = min(money[2], sale.amount) - sale.refunded
                writer.refund_stored(sale, self.now_text, more)
                tally.add_revenue(sale.currency, -more)
                tally.refunds_applied += 1
                self.touched.add(sale.lead_id)
                continue
            booking = bookings.get(ek)
            if booking is not None and row.action is Action.CANCELED and not booking.canceled:
                writer.cancel_stored(booking)
                tally.cancellations_applied += 1
                self.touched.add(booking.lead_id)

    def utc(self, at: dt.datetime, local: bool) -> dt.datetime:
        """``at`` as the book stores times: naive UTC, whole seconds (a zone-less ``local``
        time read in the zone the owner confirmed)."""
        if local:
            aware = at.replace(tzinfo=self.tzinfo) if self.tzinfo else at.astimezone()
            at = aware.astimezone(dt.UTC).replace(tzinfo=None)
        elif at.tzinfo is not None:
            at = at.astimezone(dt.UTC).replace(tzinfo=None)
        return at.replace(microsecond=0) if at.microsecond else at

    def stored_time(self, at: dt.datetime | None, local: bool) -> str | None:
        """A time beside the row's own (a meeting's), as stored; None for none."""
        return None if at is None else str(self.utc(at, local))

    def answered_ask(
        self, asks: list[PendingAsk], step_id: int, offer_id: int | None, at: str
    ) -> PendingAsk | None:
        """The oldest pending ask this yes answers (and takes it off the list)."""
        return answered_ask(asks, step_id, offer_id, at, self.window)

    def write_statuses(self, rows: list[tuple[ActivityRow, int, int, Mapped, str]]) -> None:
        writer, tally = self.writer, self.tally
        states = writer.statuses(sorted({lead_id for _, lead_id, _, _, _ in rows}))
        for row, lead_id, ek, mapped, at in sorted(rows, key=lambda item: item[4]):
            assert mapped.status is not None
            writer.event(lead_id, ek, row.action, at, row.campaign, row.url, row.platform,
                         None)  # fmt: skip
            status, updated_at = states[lead_id]
            have = LeadStatus(status)
            new = suppression_wins(have, mapped.status)
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
        if self.bulk_index is not None:
            self.writer.conn.execute(self.bulk_index)
            self.bulk_index = None
        if self.touched:
            lead_cache.recompute(sorted(self.touched))
        if self.interest:
            self.mark_interest()
        if self.local_labels:
            tally.note(
                f"times in {', '.join(self.local_labels)} had no zone: read as "
                f"{zone_name(self.zone)}"
            )
        if tally.dated_at_import:
            tally.note(
                f"{tally.dated_at_import} rows have no time: their yeses are dated at the import"
            )
        self.writer.finish(
            (tally.rows, tally.created, tally.updated, tally.rejected, tally.duplicates,
             tally.warnings)
        )  # fmt: skip

    def mark_interest(self) -> None:
        """Mark the questions the owner chose as showing interest, once the file showed it
        asks them (or an earlier import stored answers to them)."""
        known = self.questions
        missing = [q for q in self.interest if clean_question(q).casefold() not in known]
        if missing:
            known = known | stored_questions()
            missing = [q for q in missing if clean_question(q).casefold() not in known]
        if missing:
            raise ValidationError(
                f"{shown_name(self.path)} has no question '{clean_question(missing[0])}': "
                "copy a question from the file as it is written, or leave it out."
            )
        self.marked = mark_interest(self.interest, now=self.now)

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
        named = platform
        if sub is not None:
            # A subscriber list that also carries its people's engagement is one platform's
            # file, named once; a ZIP of lists beside activity files names both.
            lists = set(plan.subscribers)
            both = all(a.source in lists for a in plan.activity)
            named = sub.platform if both else f"{sub.platform}+{platform}"
        return ActivityReport(
            batch_id=batch_id,
            file_name=shown_name(self.path),
            platform=named,
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
            tag_rule_yeses=tally.tag_rule_yeses + (sub.tag_rule_yeses if sub else 0),
            rejected_rows=tally.rejected_rows,
            kind=plan.kind,
            events=dict(tally.events),
            already_imported=tally.already_imported,
            skipped=dict(tally.skipped),
            resolved_asks=tally.resolved_asks,
            status_changes=dict(tally.status_changes),
            activity_rows=tally.rows,
            subscribers=sub,
            zone_assumed=zone_name(self.zone) if self.local_labels else "",
            interest=tuple(self.marked),
            revenue={c: v for c, v in tally.revenue.items() if v},
            refunds_applied=tally.refunds_applied,
            cancellations_applied=tally.cancellations_applied,
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
    interest: tuple[str, ...] = (),
) -> ActivityReport:
    """Import the plan's activity sources as one batch (with its subscriber lists first,
    through ``subscribers``, when the ZIP holds both); see the module docstring.
    ``interest`` names questions of the file to mark as showing interest
    (``crm.book.interests``), in the same transaction: a dry run marks nothing."""
    run = _ActivityImport(
        path,
        now=now,
        dry_run=dry_run,
        zone=zone,
        progress=progress,
        cancel=cancel,
        interest=interest,
    )
    return run.run(plan, subscribers)
