"""Gumroad sales export (Sales -> Export, ``Sales_<from>_<to>.csv``): one row per purchase.

The header is Gumroad's fixed list of purchase fields (``Purchase ID,Item Name,Buyer
Name,Purchase Email,Buyer Email,...``) plus one column per custom field, and the last
row totals the money columns (``Totals`` in ``Purchase ID``): it is skipped as
``totals_row``. Money is in US dollars as Ruby prints floats (``29.0``, ``25.66``).

Every purchase is PURCHASED: ``Sale Price ($)`` is its amount (0 for a free product, which
the import makes a download), ``Partial Refund ($)`` its refunded part, or the whole
price when ``Fully Refunded?`` is 1 or a dispute was lost (``Disputed?`` 1, ``Dispute
Won?`` 0: the buyer's bank took the money back). A free trial's sign-up and a pre-order's
card authorisation charged nothing yet: skipped as ``not_paid`` (their later charges are
rows of their own). The buyer is ``Purchase Email`` (given at checkout; ``Buyer Email``,
the account's, when it is blank), named ``Buyer Name``. ``Purchase Time (UTC timezone)``
(``2024-03-01 04:25:04 UTC``) dates it, else ``Purchase Date`` (a UTC day). The key is
the ``Purchase ID``.
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
    has_columns,
    join_key,
    no_email,
    open_table,
    parse_time,
)
from crm.importing.decoding import Decoding, Source
from crm.money import parse_money

PLATFORM = "gumroad"
CURRENCY = "USD"

TOTALS_ROW = "totals_row"
NOT_PAID = "not_paid"
_YES = frozenset({"1", "true", "yes"})
_REFUSAL = (
    "is not a Gumroad sales export: it needs the columns Purchase ID, Item Name, Purchase "
    "Email and Sale Price ($); export the sales again from Gumroad's Sales page."
)


def recognises(member: str, headers: Sequence[str]) -> bool:
    """The sales export, by the purchase fields it always starts with."""
    return has_columns(headers, "Purchase ID", "Item Name", "Purchase Email", "Sale Price ($)")


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """One PURCHASED row per purchase, in file order (``context`` is not needed)."""
    with open_table(source, decoding) as table:
        if table.headers and not recognises(table.member, table.headers):
            raise ImportFormatError(f"{source.label} {_REFUSAL}")
        ident, item = table.column("Purchase ID"), table.column("Item Name")
        emails = (table.column("Purchase Email"), table.column("Buyer Email"))
        buyer = table.column("Buyer Name")
        times = (table.column("Purchase Time (UTC timezone)"), table.column("Purchase Date"))
        price_at, partial_at = table.column("Sale Price ($)"), table.column("Partial Refund ($)")
        full, disputed, won = (
            table.column("Fully Refunded?"),
            table.column("Disputed?"),
            table.column("Dispute Won?"),
        )
        unpaid = (table.column("Free trial purchase?"), table.column("Pre-order authorization?"))
        member = table.member
        for row, fields in table.records():
            purchase = cell(fields, ident)
            if purchase.casefold() == "totals":
                yield Rejected(member, row, TOTALS_ROW)
                continue
            if any(_flag(fields, i) for i in unpaid):
                yield Rejected(member, row, NOT_PAID)
                continue
            address = next((cell(fields, i) for i in emails if cell(fields, i)), "")
            if not address:
                yield no_email(table, row)
                continue
            try:
                amount = parse_money(cell(fields, price_at), CURRENCY)
                refunded = parse_money(cell(fields, partial_at) or "0", CURRENCY)
            except ValidationError as exc:
                yield Rejected(member, row, exc.user_message)
                continue
            if _flag(fields, full) or (_flag(fields, disputed) and not _flag(fields, won)):
                refunded = amount
            if amount < 0 or refunded < 0 or refunded > amount:
                yield Rejected(
                    member,
                    row,
                    bad_refund(amount, refunded, CURRENCY, "Sale Price ($)", "Partial Refund ($)"),
                )
                continue
            written = next((cell(fields, i) for i in times if cell(fields, i)), "")
            try:
                at, at_key = parse_time(written)
            except ValueError as exc:
                yield bad_time(table, row, written, exc)
                continue
            product = cell(fields, item)
            if purchase:
                key = join_key(PLATFORM, purchase)
            else:
                key = join_key(PLATFORM, address.lower(), at_key, product)
            yield ActivityRow(
                PLATFORM,
                member,
                row,
                address,
                Action.PURCHASED,
                at,
                key,
                name=cell(fields, buyer),
                amount=amount,
                refunded=refunded,
                currency=CURRENCY,
                product=product,
                source_id=purchase,
            )


def _flag(fields: Sequence[str], index: int | None) -> bool:
    return cell(fields, index).lower() in _YES
