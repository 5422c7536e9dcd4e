"""Shopify orders export: Orders -> Export -> CSV (``orders_export_1.csv``).

``Name,Email,Financial Status,Paid at,...,Total,...,Lineitem quantity,Lineitem name,...,
Cancelled at,...,Refunded Amount,...``: one line per line item. The order's own columns
(email, status, currency, totals, times) are written on its first line only; the lines
after it repeat ``Name`` (the order name, ``#1001``) and the line-item columns. An order
is read from all its lines, wherever they stand in the file, and gives one row.

``Financial Status`` decides what the order says:

- ``paid``, ``partially_refunded``: PURCHASED, ``amount`` = ``Total``, ``refunded`` =
  ``Refunded Amount``; ``refunded``: PURCHASED refunded in full (the import counts it as
  refunded and keeps it on the timeline); ``partially_paid``: PURCHASED for the part paid
  (``Total`` less ``Outstanding Balance``).
- ``pending``, ``authorized``, ``voided``, ``unpaid``, ``expired``: skipped as ``not_paid``.
- A non-empty ``Cancelled at`` skips the order as ``canceled_order``, whatever its status.

The order is dated at ``Paid at`` (``2024-05-01 10:00:00 +0000``: the shop's offset,
turned into UTC), or ``Created at`` when a paid order has no payment time (a manual
payment). A time an Excel re-save wrote without its offset is local (``at_is_local``).
``product`` is the line item's name, or the first few names joined with ``", "``.
The key is the order name, unique in a shop; an order exported twice gives two rows with
the same key and the import skips the second.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from crm.errors import ImportFormatError, ValidationError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    Table,
    bad_time,
    cell,
    has_columns,
    join_key,
    no_email,
    open_table,
    parse_time,
    written_with_zone,
)
from crm.importing.decoding import Decoding, Source
from crm.money import check_currency, parse_amount

PLATFORM = "shopify"

CANCELED_ORDER = "canceled_order"
NOT_PAID = "not_paid"
NO_NAME = "a line with no order name in 'Name' cannot be told apart: export the orders again."
_PAID = frozenset({"paid", "partially_refunded", "refunded", "partially_paid"})
_NOT_PAID = frozenset({"pending", "authorized", "voided", "unpaid", "expired"})
_ITEMS_NAMED = 3  # line items named in ``product`` before "and N more"
_PRODUCT_CHARS = 200


def recognises(member: str, headers: Sequence[str]) -> bool:
    """The orders export, by the order columns only Shopify writes together."""
    return has_columns(headers, "Name", "Financial Status", "Paid at", "Total")


@dataclass(slots=True)
class _Columns:
    name: int | None
    email: int | None
    status: int | None
    paid_at: int | None
    created_at: int | None
    cancelled_at: int | None
    currency: int | None
    total: int | None
    refunded: int | None
    outstanding: int | None
    item: int | None
    billing_name: int | None
    shipping_name: int | None

    @classmethod
    def of(cls, table: Table) -> _Columns:
        return cls(
            table.column("Name"),
            table.column("Email"),
            table.column("Financial Status"),
            table.column("Paid at"),
            table.column("Created at"),
            table.column("Cancelled at"),
            table.column("Currency"),
            table.column("Total"),
            table.column("Refunded Amount"),
            table.column("Outstanding Balance"),
            table.column("Lineitem name"),
            table.column("Billing Name"),
            table.column("Shipping Name"),
        )

    def order_line(self, fields: Sequence[str]) -> bool:
        """Whether a line carries the order's own columns (its first line)."""
        return any(cell(fields, c) for c in (self.status, self.total, self.currency))


@dataclass(slots=True)
class _Order:
    row: int  # the order's first line
    fields: list[str]
    items: list[str] = field(default_factory=list)


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """One row per order, in the order of its first line (``context`` is not needed)."""
    with open_table(source, decoding) as table:
        columns = _Columns.of(table)
        if table.headers and (
            columns.name is None or columns.status is None or columns.total is None
        ):
            raise ImportFormatError(
                f"{source.label} has no 'Name', 'Financial Status' and 'Total' columns, so it "
                "is not a Shopify orders export: export the orders again as a CSV file."
            )
        found: list[_Order | Rejected] = []
        latest: dict[str, _Order] = {}  # order name -> its last order line
        waiting: dict[str, tuple[int, list[str]]] = {}  # item lines before their order line
        for row, fields in table.records():
            name = cell(fields, columns.name)
            item = cell(fields, columns.item)
            if not name:
                found.append(Rejected(table.member, row, NO_NAME))
            elif columns.order_line(fields):
                order = _Order(row, fields)
                early = waiting.pop(name, None)
                if early is not None:
                    order.items.extend(early[1])
                if item:
                    order.items.append(item)
                latest[name] = order
                found.append(order)
            elif name in latest:
                if item:
                    latest[name].items.append(item)
            else:
                _, items = waiting.setdefault(name, (row, []))
                if item:
                    items.append(item)
        for name, (row, _) in waiting.items():
            found.append(
                Rejected(
                    table.member,
                    row,
                    f"order {name[:40]} has line items but no line with its status and total: "
                    "export the orders again.",
                )
            )
        found.sort(key=lambda f: f.row)
        for entry in found:
            yield entry if isinstance(entry, Rejected) else _order_row(table, columns, entry)


def _order_row(table: Table, columns: _Columns, order: _Order) -> ActivityRow | Rejected:
    fields, row, member = order.fields, order.row, table.member
    if cell(fields, columns.cancelled_at):
        return Rejected(member, row, CANCELED_ORDER)
    status = cell(fields, columns.status).lower().replace(" ", "_")
    if status in _NOT_PAID:
        return Rejected(member, row, NOT_PAID)
    if status not in _PAID:
        shown = cell(fields, columns.status)[:40]
        return Rejected(
            member,
            row,
            f"the financial status '{shown}' is not one Shopify writes (paid, pending, "
            "refunded...): check the 'Financial Status' column.",
        )
    email = cell(fields, columns.email)
    if not email:
        return no_email(table, row)
    written = cell(fields, columns.paid_at) or cell(fields, columns.created_at)
    try:
        at, _ = parse_time(written)
    except ValueError as exc:
        return bad_time(table, row, written, exc)
    except OverflowError:  # the first day there is, at an offset east of UTC
        return bad_time(table, row, written)
    try:
        currency = check_currency(cell(fields, columns.currency))
        amount = parse_amount(cell(fields, columns.total))
        refunded_text = cell(fields, columns.refunded)
        refunded = parse_amount(refunded_text) if refunded_text else Decimal("0")
        outstanding_text = cell(fields, columns.outstanding)
        outstanding = parse_amount(outstanding_text) if outstanding_text else Decimal("0")
    except ValidationError as exc:
        return Rejected(member, row, exc.user_message)
    if status == "refunded":
        refunded = amount
    elif status == "partially_paid" and Decimal("0") < outstanding < amount:
        amount -= outstanding
    name = cell(fields, columns.name)
    buyer = cell(fields, columns.billing_name) or cell(fields, columns.shipping_name)
    return ActivityRow(
        PLATFORM,
        member,
        row,
        email,
        Action.PURCHASED,
        at,
        join_key(PLATFORM, name),
        at_is_local=at is not None and not written_with_zone(written),
        name=buyer,
        amount=amount,
        refunded=refunded,
        currency=currency,
        product=product_of(order.items),
        source_id=name,
    )


def product_of(items: Sequence[str]) -> str:
    """An order's product as the timeline names it: its line item, or the first few."""
    names = list(dict.fromkeys(items))
    text = ", ".join(names[:_ITEMS_NAMED])
    if len(names) > _ITEMS_NAMED:
        text += f" and {len(names) - _ITEMS_NAMED} more"
    return text if len(text) <= _PRODUCT_CHARS else text[: _PRODUCT_CHARS - 3] + "..."
