"""Sales and bookings in a generic activity file: its money, refund and booking columns.

A shop or a booking tool Smallyes has no reader for (Lemon Squeezy, a sheet kept by hand)
is mapped as a generic activity file (:mod:`crm.importing.activity.generic`) with more
columns: ``amount`` (a sale's gross), ``currency``, ``refunded`` (the part of a sale
refunded, or a refund's sum), ``product`` (or event type), ``order`` (the sale's or
booking's own id) and ``starts`` (a booking's meeting). The generic reader says what each
row's action (or status) cell says; this module makes the sales and bookings of it.

- A purchase word (purchased, paid, sale, order...), or an amount with no action, is a sale:
  PURCHASED with its amount, its refunded part (0 without one), currency and product. An
  amount with no action that is negative is a refund.
- A refund word (``refunded``, the status ``partial_refund``) on a row with the order's own
  positive amount, of an order the file holds no sale of, is the order itself (an orders
  export: one row per order, with its status): PURCHASED, refunded by its refunded column,
  or in full for ``refunded``. Its key is the order's, so the same order imported before as
  paid is refunded. Any other refund row is a refund of its own: its sum is the refunded
  column, else the amount's absolute value, and ``source_id`` the order it refunds. A
  refund of a sale the file holds (same order and currency) is added to that sale and
  skipped as ``refund_applied``, whatever the order of the rows; the others are REFUNDED
  rows the import matches to the sales of the book.
- ``failed`` (declined, denied) is skipped as ``failed``; ``pending`` (unpaid, processing,
  voided) and an order canceled before it was paid (a cancel word with an amount) as
  ``not_paid``.
- A booking word is BOOKED, a cancel word CANCELED: the meeting at ``starts``, the event type
  its ``product``, keyed on its id (with the booker's address) so a later cancellation finds
  it. A booking the file also cancels is yielded canceled, its cancellation skipped as
  ``cancel_applied``.

Amounts are read by :func:`crm.money.parse_amount`, the decimal mark decided per file by
the values (an amount ending in ``,dd`` makes the comma the mark, as PayPal's reader
decides it), and kept exact to the currency's places; a bad amount or currency refuses its
row with the sentence saying so. A sale's key is its order id with the buyer's address where
the file has ids, else the buyer, time, product and amount.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from crm.errors import ValidationError
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    Table,
    bad_time,
    cell,
    join_key,
    parse_time,
    written_with_zone,
)
from crm.importing.mapping import fold
from crm.money import check_currency, from_minor, parse_amount, to_minor

FAILED = "failed"
NOT_PAID = "not_paid"
PARTIAL_REFUND = "partial_refund"  # a status word: the order, part of it refunded
REFUND_APPLIED = "refund_applied"  # a refund added to its sale in the same file
CANCEL_APPLIED = "cancel_applied"  # a cancellation of a booking in the same file

DEALS = frozenset({Action.PURCHASED, Action.REFUNDED, Action.BOOKED, Action.CANCELED})
_COMMA_CENTS = re.compile(r",\d{2}(?!\d)[^\d.,]*$")


def _states(**groups: str) -> dict[str, str]:
    return {fold(w): reason for reason, words in groups.items() for w in words.split("|")}


# Payment status words (Lemon Squeezy's API names: paid, refunded, partial_refund, failed,
# pending) that are no action: what a row saying one is. "paid" and "refunded" are actions.
STATE_WORDS = _states(
    partial_refund="partial_refund|partial refund|partially refunded|partly refunded|"
    "teilweise erstattet|teilerstattung|teilweise rückerstattet|remboursement partiel|"
    "partiellement remboursé|reembolso parcial|parcialmente reembolsado",
    failed="failed|declined|denied|payment failed|fehlgeschlagen|abgelehnt|échoué|échec|"
    "refusé|fallido|rechazado|denegado",
    not_paid="pending|unpaid|processing|authorized|on hold|void|voided|expired|ausstehend|"
    "unbezahlt|en attente|impayé|non payé|pendiente|no pagado|impagado",
)


@dataclass(frozen=True, slots=True)
class Said:
    """What a row's action cell (or its amount alone) says it is."""

    action: Action
    partial: bool = False  # the status said the order was partly refunded
    worded: bool = True  # a word said it, not an amount or a link alone


def said_by_word(action: Action | None, state: str, amount: str) -> Said | str:
    """What a row with an action cell is: its Said, or the reason it is no sale
    (``failed``, ``not_paid``); ``action`` is the cell's action word, ``state`` its status word."""
    if action is Action.CANCELED and amount:
        return NOT_PAID  # an order canceled before it was paid, not a booking
    if action is not None:
        return Said(action)
    if state == PARTIAL_REFUND:
        return Said(Action.REFUNDED, partial=True)
    return state


@dataclass(frozen=True, slots=True)
class DealColumns:
    """The indexes of a file's sale and booking columns (None: not mapped), and how its
    meeting times are read."""

    amount: int | None = None
    currency: int | None = None
    refunded: int | None = None
    product: int | None = None
    order: int | None = None
    starts: int | None = None
    starts_order: str = ""  # the day/month order of the meeting times
    naive_is_utc: bool = False


@dataclass(slots=True)
class Survey:
    """What the whole file says before its rows are read one by one."""

    mark: str = "."  # the decimal mark of its amounts
    amounts: bool = False  # an amount cell is filled
    sold: dict[str, str] = field(default_factory=dict)  # order id -> its sale's currency cell
    refunds: dict[str, Decimal] = field(default_factory=dict)  # order id -> refunds of it
    booked: set[str] = field(default_factory=set)  # booking ids booked
    canceled: set[str] = field(default_factory=set)  # booking ids booked and canceled
    applied: dict[int, str] = field(default_factory=dict)  # row -> REFUND/CANCEL_APPLIED


def survey(
    records: Iterable[tuple[int, list[str]]],
    columns: DealColumns,
    said: Callable[[list[str]], Said | str],
) -> Survey:
    """Read the file once: its decimal mark, its sales and bookings by id, and which of
    its refunds and cancellations are of those."""
    found = Survey()
    money = [i for i in (columns.amount, columns.refunded) if i is not None]
    comma = False
    signed: list[tuple[int, str, str, str, str]] = []  # sales by amount alone, and refunds
    refunds: list[tuple[int, str, str, str, str]] = []
    cancels: list[tuple[int, str]] = []
    for row, fields in records:
        if not comma:
            comma = any(_COMMA_CENTS.search(cell(fields, i)) for i in money)
        if not found.amounts and cell(fields, columns.amount):
            found.amounts = True
        order = cell(fields, columns.order)
        if not order:
            continue
        what = said(fields)
        if isinstance(what, str):
            continue
        action = what.action
        if action is Action.BOOKED:
            found.booked.add(order)
        elif action is Action.CANCELED:
            cancels.append((row, order))
        elif action is Action.PURCHASED or action is Action.REFUNDED:
            entry = (
                row,
                order,
                cell(fields, columns.currency).upper(),
                cell(fields, columns.amount),
                cell(fields, columns.refunded),
            )
            if action is Action.REFUNDED:
                refunds.append(entry)
            elif what.worded:
                found.sold.setdefault(order, entry[2])
            else:
                signed.append(entry)
    found.mark = "," if comma else "."
    for entry in signed:
        amount = _number(entry[3], found.mark)
        if amount is not None and amount < 0:
            refunds.append(entry)
        else:
            found.sold.setdefault(entry[1], entry[2])
    for row, order, currency, amount_text, refunded_text in refunds:
        sale = found.sold.get(order)
        amount = _number(amount_text, found.mark)
        if sale is None or (currency and sale and currency != sale):
            continue  # a refund of no sale of the file, or refused when its row is read
        refunded = _number(refunded_text, found.mark) if refunded_text else amount
        if refunded is None:
            continue  # refused with its reason when the row is read
        found.refunds[order] = found.refunds.get(order, Decimal(0)) + abs(refunded)
        found.applied[row] = REFUND_APPLIED
    for row, order in cancels:
        if order in found.booked:
            found.canceled.add(order)
            found.applied[row] = CANCEL_APPLIED
    return found


def _number(text: str, mark: str) -> Decimal | None:
    if not text:
        return None
    try:
        return parse_amount(text, mark)
    except ValidationError:
        return None


@dataclass(frozen=True, slots=True)
class Written:
    """A row as the generic reader has read it so far."""

    row: int
    fields: list[str]
    email: str
    said: Said
    at: dt.datetime | None
    at_key: str
    local: bool
    campaign: str
    key: str  # the key the row has as any other activity: a booking without id or meeting


class Deals:
    """Makes the sales, refunds and bookings of one generic file (see the module docstring)."""

    def __init__(self, table: Table, columns: DealColumns, found: Survey, source: str) -> None:
        self.table = table
        self.columns = columns
        self.found = found
        self.source = source  # ActivityRow.platform

    def applied(self, row: int) -> Rejected | None:
        """A refund or cancellation already added to its sale or booking in this file."""
        reason = self.found.applied.get(row)
        return Rejected(self.table.member, row, reason) if reason else None

    def row(self, written: Written) -> ActivityRow | Rejected:
        action = written.said.action
        if action is Action.BOOKED or action is Action.CANCELED:
            return self._booking(written)
        columns, fields = self.columns, written.fields
        try:
            currency = _currency(cell(fields, columns.currency))
            amount = self._amount(cell(fields, columns.amount), currency)
            refunded = self._amount(cell(fields, columns.refunded), currency)
        except ValidationError as exc:
            return self._refused(written, exc.user_message)
        refunded = abs(refunded) if refunded is not None else None
        order = cell(fields, columns.order)
        if action is Action.PURCHASED and not written.said.worded and (amount or 0) < 0:
            action = Action.REFUNDED  # a ledger's refund: the money going back
        if action is Action.REFUNDED:
            if amount is None or amount < 0 or (order and order in self.found.sold):
                return self._refund(written, order, currency, amount, refunded)
            if refunded is None:
                if written.said.partial:
                    return self._refused(
                        written,
                        "a partial refund needs its sum: map the column with the amount "
                        "refunded, or fill it in.",
                    )
                refunded = amount
            return self._sale(written, order, currency, amount, refunded)
        if amount is None:
            if columns.amount is None:
                return self._refused(
                    written,
                    "a sale needs its amount and currency: map the columns that hold them.",
                )
            return self._refused(written, "the sale has no amount: fill in the amount column.")
        if amount < 0:
            return self._refused(
                written,
                f"the sale's amount {amount} is negative: check the amount column, or write "
                "the row as a refund.",
            )
        return self._sale(written, order, currency, amount, refunded or Decimal(0))

    def _amount(self, text: str, currency: str) -> Decimal | None:
        """An amount cell, exact to the currency's places; None for an empty one."""
        if not text:
            return None
        value = parse_amount(text, self.found.mark)
        return from_minor(to_minor(value, currency), currency) if currency else value

    def _sale(
        self, written: Written, order: str, currency: str, amount: Decimal, refunded: Decimal
    ) -> ActivityRow | Rejected:
        if not currency:
            return self._refused(
                written, "the sale has no currency: fill in a code such as EUR or USD."
            )
        if refunded > amount:
            return self._refused(
                written,
                f"the refunded {refunded} {currency} is more than the sale's {amount}: check "
                "the refunded column.",
            )
        refunded = min(refunded + self.found.refunds.get(order, Decimal(0)), amount)
        product = cell(written.fields, self.columns.product)
        email = written.email.lower()
        if order:
            key = join_key(self.source, "sale", order, email)
        else:
            key = join_key(self.source, "sale", written.campaign, email, written.at_key,
                           product, str(amount), currency)  # fmt: skip
        return ActivityRow(
            self.source,
            self.table.member,
            written.row,
            written.email,
            Action.PURCHASED,
            written.at,
            key,
            at_is_local=written.local,
            campaign=written.campaign,
            amount=amount,
            refunded=refunded,
            currency=currency,
            product=product,
            source_id=order,
        )

    def _refund(
        self,
        written: Written,
        order: str,
        currency: str,
        amount: Decimal | None,
        refunded: Decimal | None,
    ) -> ActivityRow | Rejected:
        sold = self.found.sold.get(order) if order else None
        if sold and currency and sold != currency:
            return self._refused(
                written,
                f"the refund is in {currency} but order {order[:40]} was paid in {sold[:12]}: "
                "check the currency column.",
            )
        if refunded is None:
            refunded = abs(amount) if amount is not None else None
        if refunded is None:
            return self._refused(
                written, "a refund needs its sum: fill in the refunded or the amount column."
            )
        key = join_key(self.source, "refund", order, written.email.lower(), written.at_key,
                       str(refunded))  # fmt: skip
        return ActivityRow(
            self.source,
            self.table.member,
            written.row,
            written.email,
            Action.REFUNDED,
            written.at,
            key,
            at_is_local=written.local,
            campaign=written.campaign,
            refunded=refunded,
            currency=currency,
            product=cell(written.fields, self.columns.product),
            source_id=order,
        )

    def _booking(self, written: Written) -> ActivityRow | Rejected:
        columns, fields = self.columns, written.fields
        meeting = cell(fields, columns.starts)
        try:
            starts, starts_key = parse_time(meeting, columns.starts_order)
        except ValueError as exc:
            return bad_time(self.table, written.row, meeting, exc)
        order = cell(fields, columns.order)
        product = cell(fields, columns.product)
        action = written.said.action
        if order and order in self.found.canceled:
            action = Action.CANCELED  # the file cancels it further on
        email = written.email.lower()
        if order:
            key = join_key(self.source, "booking", order, email)
        elif starts is not None:
            key = join_key(self.source, "booking", email, starts_key, product)
        else:
            key = written.key
        local = written.local
        if written.at is None and starts is not None:
            local = not columns.naive_is_utc and not written_with_zone(meeting)
        return ActivityRow(
            self.source,
            self.table.member,
            written.row,
            written.email,
            action,
            written.at,
            key,
            at_is_local=local,
            campaign=written.campaign,
            product=product,
            occurs_at=starts,
            source_id=order,
        )

    def _refused(self, written: Written, reason: str) -> Rejected:
        return Rejected(self.table.member, written.row, reason)


def _currency(text: str) -> str:
    return check_currency(text) if text else ""
