"""Stripe payments export (Payments -> Export, ``unified_payments.csv``): one row per charge.

The owner picks the columns, so the export is known by a subset of them: ``id``,
``Amount``, ``Currency``, ``Status`` or ``Captured``, a created time and ``Customer
Email`` or ``Customer ID``. Three generations are read alike: the old header (``id,
Description,Created (UTC),Amount,Amount Refunded,Currency,...``), the newer one
(``Seller Message`` after ``Description``, ``Created date (UTC)``, ``PaymentIntent ID``
in its tail) and the 2014 one (``Created``, still UTC: Stripe has always written its
export times in UTC, the later headers only say so). Times are ``YYYY-MM-DD HH:MM``
(seconds in newer exports).

A ``Paid`` charge is PURCHASED: ``Amount`` in ``Currency`` (lower case in the file;
major units, ``19.00``, zero-decimal currencies bare, ``5000`` jpy) with ``Amount
Refunded`` as its refunded part. A ``Refunded`` charge was refunded in full: PURCHASED
with ``refunded`` equal to its amount, which the import counts as a refund. ``Failed``
(and a payment Radar blocked) is skipped as ``failed``; an uncaptured charge (``Captured``
false) or a pending, incomplete or canceled one as ``not_paid``. A status this reader does
not know is Rejected with a sentence, so a new kind of charge is seen, not counted as a
sale. A charge with no ``Customer Email`` cannot be matched to anyone (``no_email``).

``Description`` is the product, ``Customer Description`` (else ``Card Name``) the buyer's
name, and the charge id (``ch_...``, ``py_...``) the key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from crm.errors import ImportFormatError, ValidationError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    bad_refund,
    bad_time,
    cell,
    find_column,
    join_key,
    no_email,
    open_table,
    parse_time,
)
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import fold
from crm.money import check_currency, parse_money

PLATFORM = "stripe"

FAILED = "failed"
NOT_PAID = "not_paid"
_CREATED = ("Created date (UTC)", "Created (UTC)", "Created")
_PAID = frozenset({"paid", "succeeded", "partially refunded"})
_REFUNDED = frozenset({"refunded"})
_FAILED = frozenset({"failed", "blocked", "declined"})
_UNPAID = frozenset(
    {
        "pending",
        "uncaptured",
        "incomplete",
        "canceled",
        "cancelled",
        "expired",
        "processing",
        "requires payment method",
        "requires action",
        "requires confirmation",
        "requires capture",
        "authorized",
        "voided",
        "unpaid",
    }
)
_NOT_CAPTURED = frozenset({"false", "0", "no"})
_CAPTURED = frozenset({"true", "1", "yes"})
_REFUSAL = (
    "is not a Stripe payments export: it needs the columns id, Amount, Currency, Status "
    "or Captured, Created (UTC) and Customer Email; tick them in Stripe's export dialog "
    "and export again."
)


def recognises(member: str, headers: Sequence[str]) -> bool:
    """The payments export, by the columns every useful selection of them keeps."""
    folded = [fold(h) for h in headers]
    return all(
        find_column(folded, names) is not None
        for names in (
            ("id",),
            ("Amount",),
            ("Currency",),
            ("Status", "Captured"),
            _CREATED,
            ("Customer Email", "Customer ID"),
        )
    )


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """One PURCHASED row per captured charge, in file order (``context`` is not needed)."""
    with open_table(source, decoding) as table:
        if table.headers and not recognises(table.member, table.headers):
            raise ImportFormatError(f"{source.label} {_REFUSAL}")
        ident, email = table.column("id"), table.column("Customer Email")
        amount_at, refunded_at = table.column("Amount"), table.column("Amount Refunded")
        currency_at, created = table.column("Currency"), table.column(*_CREATED)
        status_at, captured_at = table.column("Status"), table.column("Captured")
        product = table.column("Description")
        names = (table.column("Customer Description"), table.column("Card Name"))
        member = table.member
        for row, fields in table.records():
            status = " ".join(cell(fields, status_at).lower().replace("_", " ").split())
            refused = _unpaid(status, cell(fields, captured_at).lower())
            if refused:
                yield Rejected(member, row, refused)
                continue
            address = cell(fields, email)
            if not address:
                yield no_email(table, row)
                continue
            try:
                currency = check_currency(cell(fields, currency_at))
                amount = parse_money(cell(fields, amount_at), currency)
                refunded = parse_money(cell(fields, refunded_at) or "0", currency)
            except ValidationError as exc:
                yield Rejected(member, row, exc.user_message)
                continue
            if status in _REFUNDED:
                refunded = amount
            if amount < 0 or refunded < 0 or refunded > amount:
                yield Rejected(
                    member, row, bad_refund(amount, refunded, currency, "Amount", "Amount Refunded")
                )
                continue
            written = cell(fields, created)
            try:
                at, at_key = parse_time(written)
            except ValueError as exc:
                yield bad_time(table, row, written, exc)
                continue
            charge = cell(fields, ident)
            if charge:
                key = join_key(PLATFORM, charge)
            else:
                key = join_key(PLATFORM, address.lower(), at_key, str(amount), currency)
            yield ActivityRow(
                PLATFORM,
                member,
                row,
                address,
                Action.PURCHASED,
                at,
                key,
                name=next((cell(fields, i) for i in names if cell(fields, i)), ""),
                amount=amount,
                refunded=refunded,
                currency=currency,
                product=cell(fields, product),
                source_id=charge,
            )


def _unpaid(status: str, captured: str) -> str:
    """Why a charge is no sale (a skip reason, or a sentence for an unknown status),
    or "" for a paid one."""
    if status in _FAILED:
        return FAILED
    if captured in _NOT_CAPTURED or status in _UNPAID:
        return NOT_PAID
    if status in _PAID or status in _REFUNDED or (not status and captured in _CAPTURED):
        return ""
    if not status:
        return "the payment has no Status or Captured value: export it again with those columns."
    shown = status if len(status) <= 30 else status[:30] + "..."
    return (
        f"the payment status '{shown}' is not one Smallyes reads: check the payment in "
        "Stripe and add the sale by hand if it was paid."
    )
