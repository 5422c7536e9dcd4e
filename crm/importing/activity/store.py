"""The database side of the activity import, and what it stored read back.

``activity_event`` holds each stored row of evidence once, by its key (a sale or a
booking is its own evidence: its row holds the key, and no event repeats it): opens and
deliveries live only there (a lead's engagement is a query over them, never timeline
rows); a row that is a yes also has its ``commitment``, which the event points at, and an
answered form its ``commitment_answer`` rows. :class:`ActivityWriter` queues one chunk's
rows and writes them with ``executemany`` inside the batch's transaction, which the
caller holds; it gives yeses their ids itself so their events can point at them.

:func:`undo_activity` is the activity part of undoing a batch (``crm.importing.undo``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from crm.book.interests import interest_topics
from crm.book.leads import STATUS_LABELS, LeadStatus, make_search_text
from crm.importing.activity.rows import Answer
from crm.store.db import MAX_SQL_VARIABLES
from crm.store.models import database_proxy
from crm.timefmt import from_stored, from_stored_required, iso

ENGAGEMENT_DAYS = 90  # "opens in the last 90 days"
# The index a large load drops and builds once at the end (a sorted build beats millions
# of scattered inserts); the key index stays, since every chunk looks keys up in it.
BULK_INDEX = "activity_event_lead"


def key_digest(key: str) -> int:
    """The stored form of an event's key: a signed 64-bit digest. The odds that any two of
    ten million events share one are about three in a million."""
    raw = key.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big", signed=True)


def _parts(values: Sequence[Any]) -> Iterable[tuple[Sequence[Any], str]]:
    """``values`` in statements' worth, each with its ``?`` marks."""
    for start in range(0, len(values), MAX_SQL_VARIABLES):
        part = values[start : start + MAX_SQL_VARIABLES]
        yield part, ",".join("?" * len(part))


@dataclass(frozen=True, slots=True)
class PendingAsk:
    id: int
    step_id: int
    offer_id: int | None
    asked_at: str


def answered_ask(
    asks: list[PendingAsk], step_id: int, offer_id: int | None, at: str, window: dt.timedelta
) -> PendingAsk | None:
    """The oldest of a lead's pending ``asks`` (oldest first) that a yes at ``step_id`` and
    ``offer_id`` dated ``at`` answers: same step, same offer if the ask named one, within
    ``window`` after the ask. It is taken off the list."""
    when = from_stored_required(at)
    for ask in asks:
        if ask.step_id != step_id or (ask.offer_id is not None and ask.offer_id != offer_id):
            continue
        asked = from_stored_required(ask.asked_at)
        if asked <= when <= asked + window:
            asks.remove(ask)
            return ask
    return None


@dataclass(frozen=True, slots=True)
class StoredSale:
    """A sale an earlier import stored, as a later row about it finds it."""

    id: int
    lead_id: int
    commitment_id: int | None
    currency: str
    amount: int
    refunded: int


@dataclass(frozen=True, slots=True)
class StoredBooking:
    id: int
    lead_id: int
    commitment_id: int | None
    canceled: bool


# A yes a later row took back (a sale refunded in full, a booking canceled): its row as it
# was, kept in ``import_change`` so undoing the later import puts it back with its id.
YES_REMOVED = "yes_removed"
_YES_COLUMNS = (
    "id", "lead_id", "step_id", "offer_id", "ask_id", "at", "source", "note", "batch_id",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Step:
    id: int
    level: int


class ActivityWriter:
    """Reads and writes one activity batch through ``conn`` (a raw sqlite3 connection)."""

    def __init__(self, conn: Any, *, now_text: str) -> None:
        self.conn = conn
        self.now_text = now_text
        self.batch_id = 0
        self.next_lead = self.next_yes = 0
        self._leads: list[tuple[Any, ...]] = []
        self._yeses: list[tuple[Any, ...]] = []
        # (batch, lead, key, action, at, campaign, url, platform, commitment): see event()
        self.events: list[tuple[Any, ...]] = []
        self._answers: list[tuple[Any, ...]] = []
        self._asks: list[tuple[Any, ...]] = []
        self._statuses: list[tuple[Any, ...]] = []
        self._changes: list[tuple[Any, ...]] = []
        self._timeline: list[tuple[Any, ...]] = []
        self._sales: list[tuple[Any, ...]] = []
        self._refunds: list[tuple[Any, ...]] = []
        self._bookings: list[tuple[Any, ...]] = []
        self.next_sale = 0
        self._offers: dict[str, int] = {}  # name as written, and folded -> id

    # -- the batch

    def start(self, file_name: str, platform: str, batch_id: int | None, kind: str) -> None:
        """Open a new batch of ``kind``, or add to ``batch_id`` (the subscriber part of the
        same ZIP, which makes the batch a mixed one)."""
        conn = self.conn
        if batch_id is None:
            self.batch_id = conn.execute(
                "INSERT INTO import_batch (file_name, platform, kind, started_at) "
                "VALUES (?, ?, ?, ?)",
                (file_name, platform, kind, self.now_text),
            ).lastrowid
        else:
            self.batch_id = batch_id
            conn.execute(
                "UPDATE import_batch SET kind = 'mixed', platform = platform || '+' || ? "
                "WHERE id = ?",
                (platform, batch_id),
            )
        ids = (("next_lead", "lead"), ("next_yes", "commitment"), ("next_sale", "sale"))
        for attr, table in ids:
            last = conn.execute(f"SELECT max(id) FROM {table}").fetchone()[0]
            setattr(self, attr, (last or 0) + 1)

    def finish(self, counts: Sequence[int]) -> None:
        """Add this import's counts to its batch: rows, created, updated, rejected,
        duplicates in the file, warnings."""
        self.conn.execute(
            "UPDATE import_batch SET rows = rows + ?, created = created + ?, "
            "updated = updated + ?, rejected = rejected + ?, "
            "duplicates_in_file = duplicates_in_file + ?, warnings = warnings + ?, "
            "finished_at = ? WHERE id = ?",
            (*counts, self.now_text, self.batch_id),
        )

    # -- reading

    def lead_index(self) -> dict[str, int]:
        """Every address (a lead's own, then its other ones) -> its lead: the import
        matches a row's address with one lookup. A forgotten person's row is nobody's."""
        index = {
            str(key): int(lead_id)
            for key, lead_id in self.conn.execute(
                "SELECT email_key, id FROM lead WHERE status != 'erased'"
            )
        }
        for key, lead_id in self.conn.execute("SELECT email_key, lead_id FROM lead_other_email"):
            index.setdefault(str(key), int(lead_id))
        return index

    def steps(self) -> dict[str, Step]:
        return {
            str(key): Step(int(i), int(level))
            for i, key, level in self.conn.execute("SELECT id, key, level FROM step")
        }

    def imported_sources(self) -> dict[int, tuple[int, int]]:
        """The files read whole by earlier imports: digest -> (rows, rows skipped as
        ignored links)."""
        return {
            int(digest): (int(rows), int(ignored))
            for digest, rows, ignored in self.conn.execute(
                "SELECT digest, rows, ignored FROM import_source"
            )
        }

    def remember_source(self, digest: int, rows: int, ignored: int) -> None:
        """This batch read the file ``digest`` whole (see ``imported_sources``)."""
        self.conn.execute(
            "INSERT OR IGNORE INTO import_source (digest, batch_id, rows, ignored) "
            "VALUES (?, ?, ?, ?)",
            (digest, self.batch_id, rows, ignored),
        )

    def stored_keys(self, keys: Sequence[int]) -> dict[int, int | None]:
        """The keys among ``keys`` stored already, each with the batch that stored it: an
        event's, or a sale's or booking's (which are their own evidence, with no event)."""
        found: dict[int, int | None] = {}
        for part, marks in _parts(keys):
            for table in ("activity_event", "sale", "booking"):
                found.update(
                    self.conn.execute(
                        f"SELECT key, batch_id FROM {table} WHERE key IN ({marks})", part
                    ).fetchall()
                )
        return found

    def statuses(self, lead_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """lead id -> (status, updated_at)."""
        found: dict[int, tuple[str, str]] = {}
        for part, marks in _parts(lead_ids):
            for lead_id, status, updated in self.conn.execute(
                f"SELECT id, status, updated_at FROM lead WHERE id IN ({marks})", part
            ):
                found[lead_id] = (str(status), str(updated))
        return found

    def pending_asks(self, lead_ids: Sequence[int]) -> dict[int, list[PendingAsk]]:
        """The pending asks of these leads, oldest first."""
        found: dict[int, list[PendingAsk]] = {}
        for part, marks in _parts(lead_ids):
            for ask_id, lead_id, step_id, offer_id, asked_at in self.conn.execute(
                "SELECT id, lead_id, step_id, offer_id, asked_at FROM ask WHERE outcome = "
                f"'pending' AND lead_id IN ({marks}) ORDER BY asked_at, id",
                part,
            ):
                found.setdefault(lead_id, []).append(
                    PendingAsk(ask_id, step_id, offer_id, str(asked_at))
                )
        return found

    # -- queuing a chunk's writes

    def new_contact(self, email: str, key: str, name: str, source: str) -> int:
        """Queue a contact who never opted in (a form respondent, a mail sender)."""
        lead_id = self.next_lead
        self.next_lead += 1
        first, last = split_name(name)
        now = self.now_text
        self._leads.append(
            (
                lead_id,
                email,
                key,
                first,
                last,
                source,
                make_search_text(email, first, last, ""),
                now,
                now,
                self.batch_id,
            )
        )
        return lead_id

    def event_count_at_most(self) -> int:
        """An upper bound of the stored events (ids are never reused), read without a scan."""
        return int(self.conn.execute("SELECT max(id) FROM activity_event").fetchone()[0] or 0)

    def drop_bulk_index(self) -> str | None:
        """Drop the lead index for a large load; its SQL, to build it again (``None``:
        already gone). In the batch's transaction, so a rollback brings it back."""
        row = self.conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (BULK_INDEX,)
        ).fetchone()
        if row is None:
            return None
        self.conn.execute(f'DROP INDEX "{BULK_INDEX}"')
        return str(row[0])

    def event(
        self,
        lead_id: int,
        key: int,
        action: str,
        at: str,
        campaign: str,
        url: str,
        platform: str,
        commitment_id: int | None,
    ) -> None:
        """Queue one event; a loop over many appends to ``events`` itself, in this order."""
        self.events.append(
            (self.batch_id, lead_id, key, action, at, campaign, url, platform, commitment_id)
        )

    def yes(
        self,
        lead_id: int,
        step_id: int,
        offer_id: int | None,
        ask_id: int | None,
        at: str,
        source: str,
        note: str,
        answers: Sequence[Answer] = (),
    ) -> int:
        """Queue a yes (with the answers of an answered form); its id."""
        commitment_id = self.next_yes
        self.next_yes += 1
        self._yeses.append(
            (commitment_id, lead_id, step_id, offer_id, ask_id, at, source, note, self.batch_id)
        )
        for answer in answers:
            self._answers.append((commitment_id, lead_id, answer.question, answer.answer))
        return commitment_id

    def accept_ask(self, ask_id: int, at: str) -> None:
        """The ask was answered by a yes of this import."""
        self._asks.append((at, ask_id))

    def change_status(
        self,
        lead_id: int,
        old: LeadStatus,
        new: LeadStatus,
        updated_at: str,
        at: str,
        label: str,
        raw: str,
    ) -> None:
        """Queue a status change dated ``at``, with its before-image for the undo."""
        batch, now = self.batch_id, self.now_text
        self._statuses.append((new.value, now, lead_id))
        self._changes.append((batch, lead_id, "status", old.value, new.value))
        self._changes.append((batch, lead_id, "updated_at", updated_at, now))
        self._timeline.append(
            (
                lead_id,
                at,
                "status",
                f"Status changed from {STATUS_LABELS[old]} to {STATUS_LABELS[new]} (from {label})",
                json.dumps({"from": old.value, "to": new.value, "raw": raw}, ensure_ascii=False),
                batch,
            )
        )

    # -- sales and bookings

    def offer_for(self, name: str, kind: str, price: int | None = None, currency: str = "") -> int:
        """The offer a product or an event type is (by name, any case), made when new as
        this batch's, with the product's price."""
        found = self._offers.get(name)
        if found is not None:
            return found
        cleaned = " ".join(name.split())[:120] or ("A sale" if kind == "product" else "A call")
        folded = cleaned.casefold()
        found = self._offers.get(folded)
        if found is not None:
            self._offers[name] = found
            return found
        row = self.conn.execute(
            "SELECT id FROM offer WHERE name = ? COLLATE NOCASE", (cleaned,)
        ).fetchone()
        if row is not None:
            offer_id = int(row[0])
            if price is not None:
                self.conn.execute(
                    "UPDATE offer SET price = ?, currency = ? WHERE id = ? AND price IS NULL "
                    "AND kind = 'product'",
                    (price, currency, offer_id),
                )
        else:
            offer_id = int(
                self.conn.execute(
                    "INSERT INTO offer (name, kind, topics, retired, created_at, price, currency, "
                    "batch_id) VALUES (?, ?, '', 0, ?, ?, ?, ?)",
                    (cleaned, kind, self.now_text, price, currency, self.batch_id),
                ).lastrowid
            )
        self._offers[folded] = self._offers[name] = offer_id
        return offer_id

    def sale(
        self,
        lead_id: int,
        commitment_id: int | None,
        key: int,
        at: str,
        product: str,
        currency: str,
        amount: int,
        refunded: int,
        platform: str,
        source_id: str,
    ) -> int:
        """Queue a sale (and its refund, dated with it: the exports do not say when); its id."""
        sale_id = self.next_sale
        self.next_sale += 1
        self._sales.append(
            (sale_id, lead_id, commitment_id, key, at, product, currency, amount, refunded,
             platform, source_id, self.batch_id)
        )  # fmt: skip
        if refunded:
            self._refunds.append((sale_id, at, refunded, self.batch_id))
        return sale_id

    def booking(
        self,
        lead_id: int,
        commitment_id: int | None,
        key: int,
        booked_at: str,
        starts_at: str | None,
        event_type: str,
        canceled: bool,
        platform: str,
        source_id: str,
    ) -> None:
        self._bookings.append(
            (lead_id, commitment_id, key, booked_at, starts_at, event_type, int(canceled),
             platform, source_id, self.batch_id)
        )  # fmt: skip

    def sales_by_key(self, keys: Sequence[int]) -> dict[int, StoredSale]:
        found: dict[int, StoredSale] = {}
        for part, marks in _parts(keys):
            for key, *rest in self.conn.execute(
                "SELECT key, id, lead_id, commitment_id, currency, amount, refunded FROM sale "
                f"WHERE key IN ({marks})",
                part,
            ):
                found[int(key)] = StoredSale(*rest)
        return found

    def sale_by_source(self, platform: str, source_id: str) -> StoredSale | None:
        row = self.conn.execute(
            "SELECT id, lead_id, commitment_id, currency, amount, refunded FROM sale "
            "WHERE platform = ? AND source_id = ? AND source_id != '' ORDER BY id LIMIT 1",
            (platform, source_id),
        ).fetchone()
        return StoredSale(*row) if row is not None else None

    def bookings_by_key(self, keys: Sequence[int]) -> dict[int, StoredBooking]:
        found: dict[int, StoredBooking] = {}
        for part, marks in _parts(keys):
            for key, booking_id, lead_id, commitment_id, canceled in self.conn.execute(
                "SELECT key, id, lead_id, commitment_id, canceled FROM booking "
                f"WHERE key IN ({marks})",
                part,
            ):
                found[int(key)] = StoredBooking(booking_id, lead_id, commitment_id, bool(canceled))
        return found

    def refund_stored(self, sale: StoredSale, at: str, amount: int) -> None:
        """A refund, by this batch, of a sale an earlier import stored (written now)."""
        self.conn.execute(
            "INSERT INTO refund (sale_id, at, amount, batch_id) VALUES (?, ?, ?, ?)",
            (sale.id, at, amount, self.batch_id),
        )
        self.conn.execute("UPDATE sale SET refunded = refunded + ? WHERE id = ?", (amount, sale.id))
        if sale.refunded + amount >= sale.amount and sale.commitment_id is not None:
            self.remove_yes(sale.commitment_id, "sale", sale.id)

    def cancel_stored(self, booking: StoredBooking) -> None:
        """A booking an earlier import stored was canceled since (written now)."""
        self.conn.execute("UPDATE booking SET canceled = 1 WHERE id = ?", (booking.id,))
        self.conn.execute(
            "INSERT INTO import_change (batch_id, lead_id, field, before, after) "
            "VALUES (?, ?, 'booking_canceled', '0', ?)",
            (self.batch_id, booking.lead_id, str(booking.id)),
        )
        if booking.commitment_id is not None:
            self.remove_yes(booking.commitment_id, "booking", booking.id)

    def remove_yes(self, commitment_id: int, table: str, row_id: int) -> None:
        """Take back a yes of an earlier import, keeping it for this batch's undo."""
        row = self.conn.execute(
            f"SELECT {', '.join(_YES_COLUMNS)} FROM commitment WHERE id = ?", (commitment_id,)
        ).fetchone()
        if row is None:
            return
        kept = dict(zip(_YES_COLUMNS, row, strict=True))
        self.conn.execute(
            "INSERT INTO import_change (batch_id, lead_id, field, before, after) "
            "VALUES (?, ?, ?, ?, ?)",
            (self.batch_id, kept["lead_id"], YES_REMOVED, json.dumps(kept), f"{table}:{row_id}"),
        )
        # unlinked first: the sale or booking stays, without its yes
        self.conn.execute(f"UPDATE {table} SET commitment_id = NULL WHERE id = ?", (row_id,))
        self.conn.execute(
            "UPDATE activity_event SET commitment_id = NULL WHERE commitment_id = ?",
            (commitment_id,),
        )
        self.conn.execute("DELETE FROM commitment WHERE id = ?", (commitment_id,))

    def flush(self) -> None:
        """Write what is queued, leads first for the rows that point at them."""
        queued = (
            self._leads,
            self._yeses,
            self.events,
            self._answers,
            self._asks,
            self._statuses,
            self._changes,
            self._timeline,
            self._sales,
            self._refunds,
            self._bookings,
        )
        self._leads, self._yeses, self.events, self._answers = [], [], [], []
        self._asks, self._statuses, self._changes, self._timeline = [], [], [], []
        self._sales, self._refunds, self._bookings = [], [], []
        for sql, rows in zip(_WRITES, queued, strict=True):
            if rows:
                self.conn.executemany(sql, rows)


_WRITES = (
    "INSERT INTO lead (id, email, email_key, first_name, last_name, source, status, "
    "search_text, created_at, updated_at, batch_id) VALUES (?, ?, ?, ?, ?, ?, 'none', ?, ?, ?, ?)",
    "INSERT INTO commitment (id, lead_id, step_id, offer_id, ask_id, at, source, note, batch_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO activity_event (batch_id, lead_id, key, action, at, campaign, url, platform, "
    "commitment_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO commitment_answer (commitment_id, lead_id, question, answer) VALUES (?, ?, ?, ?)",
    "UPDATE ask SET outcome = 'accepted', resolved_at = ? WHERE id = ? AND outcome = 'pending'",
    "UPDATE lead SET status = ?, updated_at = ? WHERE id = ?",
    "INSERT INTO import_change (batch_id, lead_id, field, before, after) VALUES (?, ?, ?, ?, ?)",
    "INSERT INTO lead_event (lead_id, at, kind, summary, data, batch_id) VALUES (?, ?, ?, ?, ?, ?)",
    "INSERT INTO sale (id, lead_id, commitment_id, key, at, product, currency, amount, refunded, "
    "platform, source_id, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "INSERT INTO refund (sale_id, at, amount, batch_id) VALUES (?, ?, ?, ?)",
    "INSERT INTO booking (lead_id, commitment_id, key, booked_at, starts_at, event_type, canceled, "
    "platform, source_id, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
)


def split_name(name: str) -> tuple[str, str]:
    """A full name as first and last name: "Last, First" or "First Middle Last"."""
    text = " ".join(name.split())
    if not text:
        return "", ""
    if "," in text:
        last, _, first = text.partition(",")
        return first.strip(), last.strip()
    first, _, last = text.partition(" ")
    return first, last


# -- undo -------------------------------------------------------------------------------


def undo_activity(batch_id: int) -> list[int]:
    """Take back what an activity batch stored: its events, and the asks its yeses
    answered go back to pending. Its yeses, their answers (which go with them), status
    changes and new contacts are undone with every other batch's (``crm.importing.undo``).
    Returns the leads whose cached columns need recomputing. Runs inside the caller's
    transaction."""
    db = database_proxy
    leads = [
        int(lead_id)
        for (lead_id,) in db.execute_sql(
            "SELECT DISTINCT lead_id FROM commitment WHERE batch_id = ?", [batch_id]
        )
    ]
    db.execute_sql(
        "UPDATE ask SET outcome = 'pending', resolved_at = NULL WHERE outcome = 'accepted' "
        "AND id IN (SELECT ask_id FROM commitment WHERE batch_id = ? AND ask_id IS NOT NULL)",
        [batch_id],
    )
    leads.extend(_undo_sales(batch_id))
    db.execute_sql("DELETE FROM activity_event WHERE batch_id = ?", [batch_id])
    db.execute_sql("DELETE FROM import_source WHERE batch_id = ?", [batch_id])
    return leads


def _undo_sales(batch_id: int) -> list[int]:
    """The sales, refunds and bookings of the batch go; the refunds and cancellations it
    brought to earlier imports' sales and bookings are taken back, with the yeses they
    took (their rows as they were, ids and all). Offers the batch made and nothing else
    uses go too (:func:`undo_offers`, once its yeses are gone). The leads whose yeses came
    back."""
    db = database_proxy
    touched = [
        int(s)
        for (s,) in db.execute_sql(
            "SELECT DISTINCT sale_id FROM refund WHERE batch_id = ? AND sale_id IN "
            "(SELECT id FROM sale WHERE batch_id IS NOT ?)",
            [batch_id, batch_id],
        )
    ]
    db.execute_sql("DELETE FROM refund WHERE batch_id = ?", [batch_id])
    for part, marks in _parts(touched):
        db.execute_sql(
            "UPDATE sale SET refunded = coalesce((SELECT sum(r.amount) FROM refund r "
            f"WHERE r.sale_id = sale.id), 0) WHERE id IN ({marks})",
            list(part),
        )
    db.execute_sql(
        "UPDATE booking SET canceled = 0 WHERE id IN (SELECT CAST(after AS INTEGER) FROM "
        "import_change WHERE batch_id = ? AND field = 'booking_canceled')",
        [batch_id],
    )
    leads: list[int] = []
    for lead_id, before, target in db.execute_sql(
        "SELECT lead_id, before, after FROM import_change WHERE batch_id = ? AND field = ? "
        "ORDER BY id DESC",
        [batch_id, YES_REMOVED],
    ).fetchall():
        yes = json.loads(before)
        table, _, row_id = str(target).partition(":")
        if table not in ("sale", "booking"):
            continue
        exists = db.execute_sql(f"SELECT key FROM {table} WHERE id = ?", [int(row_id)]).fetchone()
        if exists is None:
            continue
        db.execute_sql(
            f"INSERT OR IGNORE INTO commitment ({', '.join(_YES_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(_YES_COLUMNS))})",
            [yes[c] for c in _YES_COLUMNS],
        )
        db.execute_sql(
            f"UPDATE {table} SET commitment_id = ? WHERE id = ?", [yes["id"], int(row_id)]
        )
        db.execute_sql(
            "UPDATE activity_event SET commitment_id = ? WHERE key = ?", [yes["id"], exists[0]]
        )
        leads.append(int(lead_id))
    db.execute_sql(
        "DELETE FROM import_change WHERE batch_id = ? AND field IN (?, 'booking_canceled')",
        [batch_id, YES_REMOVED],
    )
    for table in ("sale", "booking"):
        db.execute_sql(f"DELETE FROM {table} WHERE batch_id = ?", [batch_id])
    return leads


def undo_offers(batch_id: int) -> None:
    """Delete the offers an undone batch made, unless something else now uses them."""
    database_proxy.execute_sql(
        "DELETE FROM offer WHERE batch_id = ? AND NOT EXISTS (SELECT 1 FROM commitment c "
        "WHERE c.offer_id = offer.id) AND NOT EXISTS (SELECT 1 FROM ask a WHERE a.offer_id = "
        "offer.id) AND NOT EXISTS (SELECT 1 FROM offer_link k WHERE k.offer_id = offer.id) "
        "AND NOT EXISTS (SELECT 1 FROM tag_rule t WHERE t.offer_id = offer.id)",
        [batch_id],
    )


# -- reading back -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Engagement:
    """A lead's newsletter engagement, from its stored opens, clicks and deliveries."""

    last_opened_at: dt.datetime | None = None
    opens_90d: int = 0
    last_clicked_at: dt.datetime | None = None
    clicks_90d: int = 0
    emails_received: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "last_opened_at": iso(self.last_opened_at),
            "opens_90d": self.opens_90d,
            "last_clicked_at": iso(self.last_clicked_at),
            "clicks_90d": self.clicks_90d,
            "emails_received": self.emails_received,
        }


def engagement(lead_id: int, *, now: dt.datetime) -> Engagement:
    """The lead's engagement as of ``now``."""
    since = (now - dt.timedelta(days=ENGAGEMENT_DAYS)).strftime("%Y-%m-%d %H:%M:%S")
    last: dict[str, Any] = {}
    recent: dict[str, int] = {}
    for action, newest, count in database_proxy.execute_sql(
        "SELECT action, max(at), sum(at >= ?) FROM activity_event WHERE lead_id = ? AND "
        "action IN ('opened', 'clicked') GROUP BY action",
        [since, lead_id],
    ):
        last[action], recent[action] = newest, int(count or 0)
    # An e-mail received: delivered, or known to have arrived because it was opened or
    # clicked (not every platform exports its deliveries).
    (received,) = database_proxy.execute_sql(
        "SELECT count(DISTINCT platform || '|' || campaign) FROM activity_event WHERE "
        "lead_id = ? AND action IN ('delivered', 'opened', 'clicked') AND campaign != ''",
        [lead_id],
    ).fetchone()
    return Engagement(
        from_stored(last.get("opened")),
        recent.get("opened", 0),
        from_stored(last.get("clicked")),
        recent.get("clicked", 0),
        int(received or 0),
    )


def answers_of_lead(lead_id: int) -> dict[int, tuple[Answer, ...]]:
    """commitment id -> the questions and answers of that answered yes."""
    found: dict[int, list[Answer]] = {}
    for commitment_id, question, answer in database_proxy.execute_sql(
        "SELECT commitment_id, question, answer FROM commitment_answer WHERE lead_id = ? "
        "ORDER BY id",
        [lead_id],
    ):
        found.setdefault(commitment_id, []).append(Answer(question, answer))
    return {k: tuple(v) for k, v in found.items()}


def lead_topics(lead_id: int) -> tuple[str, ...]:
    """The topics of the offers the lead said yes to, most recent yes first, then those
    of its answers to questions marked as showing interest (``crm.book.interests``)."""
    topics: list[str] = []
    for (text,) in database_proxy.execute_sql(
        "SELECT o.topics FROM commitment c JOIN offer o ON o.id = c.offer_id "
        "WHERE c.lead_id = ? ORDER BY c.at DESC, c.id DESC",
        [lead_id],
    ):
        for topic in str(text).split(","):
            topic = topic.strip()
            if topic and topic not in topics:
                topics.append(topic)
    for topic in interest_topics(lead_id):
        if topic not in topics:
            topics.append(topic)
    return tuple(topics)
