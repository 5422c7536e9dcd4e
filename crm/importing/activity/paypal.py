"""PayPal activity download: Activity -> Statements -> Activity download (``Download.CSV``).

``Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,To Email
Address,Transaction ID,...,Item Title,...,Reference Txn ID,...,Subject,...``; newer files
write ``Amount,Fees,Total`` for ``Gross,Fee,Net`` (and ``Time zone``), with fewer columns.
The file is UTF-8 with a BOM. Every movement of the balance is a row: sales, refunds,
fees, withdrawals, currency conversions, holds.

Values follow the account's locale, so the date order and the decimal mark are decided
per file from its values: a day over 12 decides the order, an amount ending in ``,dd``
makes the comma the decimal mark. When no day decides, a comma decimal mark or a
European or Australian zone says day first and a United States zone month first. The
``TimeZone`` abbreviation (``PST``, ``CEST``, ``GMT+01:00``) gives the offset to UTC; a
zone not known (``IST`` is three) leaves the time local (``at_is_local``).

What each row says:

- ``Gross`` > 0, a payment ``Type`` (Website Payment, Express Checkout Payment, Payment
  Received...) and Status ``Completed``: PURCHASED by ``From Email Address``, the product
  its ``Item Title`` (else ``Subject``), keyed on its ``Transaction ID``. A payment whose
  Status says ``Refunded`` or ``Reversed`` is PURCHASED refunded in full.
- A refund (a Type with ``Refund``, or a chargeback; negative ``Gross``) names its sale in
  ``Reference Txn ID``: it is added to that sale's ``refunded`` when the sale is in the
  file (the refund's row is skipped as ``refund_applied``), else it is a REFUNDED row of
  its own for the import to match (``refunded`` its positive sum, ``source_id`` the sale).
  A sale's refunds are counted up to its gross.
- Pending, held or voided payments are ``not_paid``; denied ones ``failed``; withdrawals,
  conversions, holds, fees, transfers, deposits, the owner's own spending and a refund
  the owner received are ``not_a_sale``; a line of sums is a ``totals_row``.

A refund left as its own row is the buyer's: of its two addresses, the one that is not the
owner's (the owner's being the ``To Email Address`` of the sales), ``To`` first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from crm.errors import ImportFormatError, ValidationError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import Table, bad_time, cell, join_key, no_email, open_table
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import fold
from crm.importing.values import day_month_order, parse_date
from crm.money import check_currency, parse_amount

PLATFORM = "paypal"

NOT_A_SALE = "not_a_sale"
NOT_PAID = "not_paid"
FAILED = "failed"
TOTALS_ROW = "totals_row"
REFUND_APPLIED = "refund_applied"  # folded into its sale's refunded part
NO_REFERENCE = (
    "a refund with no 'Reference Txn ID' names no sale to take it from: download the "
    "activity again with all columns."
)

# Abbreviations PayPal writes in TimeZone -> minutes east of UTC. IST (India, Ireland,
# Israel) and AST (Atlantic, Arabia) are left out: they name more than one offset.
_US_ZONES = {"PST": -480, "PDT": -420, "MST": -420, "MDT": -360, "CST": -360, "CDT": -300,
             "EST": -300, "EDT": -240, "AKST": -540, "AKDT": -480, "HST": -600}  # fmt: skip
_DAY_FIRST_ZONES = {"GMT": 0, "BST": 60, "WET": 0, "WEST": 60, "CET": 60, "CEST": 120,
                    "MEZ": 60, "MESZ": 120, "EET": 120, "EEST": 180, "AEST": 600,
                    "AEDT": 660, "ACST": 570, "ACDT": 630, "AWST": 480, "NZST": 720,
                    "NZDT": 780}  # fmt: skip
_OTHER_ZONES = {"UTC": 0, "Z": 0, "MSK": 180, "JST": 540, "KST": 540, "HKT": 480, "SGT": 480}
OFFSETS: dict[str, int] = {**_US_ZONES, **_DAY_FIRST_ZONES, **_OTHER_ZONES}
_WRITTEN_OFFSET = re.compile(r"^(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?$")

_NOT_A_SALE_TYPE = re.compile(
    r"withdraw|conversion|\bholds?\b|\bfees?\b|transfer|deposit|authori[sz]ation|\bbank\b|"
    r"reserve|release|cash ?back|bonus|tax collected|adjustment",
    re.IGNORECASE,
)
_REFUND_TYPE = re.compile(r"refund|chargeback", re.IGNORECASE)
_PAYMENT_TYPE = re.compile(
    r"payment|received|checkout|donation|invoice|subscription|purchase|\border\b|"
    r"virtual terminal|\bsale\b",
    re.IGNORECASE,
)
_TOTALS = re.compile(r"^(?:totals?|grand total|sum|summe|gesamt)\b", re.IGNORECASE)
_COMMA_CENTS = re.compile(r",\d{2}(?!\d)[^\d.,]*$")
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")

_CAPTURED = frozenset({"completed", "cleared"})
_TAKEN_BACK = frozenset({"refunded", "reversed"})
_PARTLY_REFUNDED = frozenset({"partially refunded"})
_WAITING = frozenset(
    {"pending", "held", "on hold", "unclaimed", "processing", "uncleared", "placed",
     "expired", "voided", "canceled", "cancelled"}
)  # fmt: skip
_FAILED = frozenset({"denied", "failed", "declined"})


def recognises(member: str, headers: Sequence[str]) -> bool:
    """Either generation of the activity download, by its date, zone and money columns."""
    folded = {fold(h) for h in headers}
    return (
        {fold(n) for n in ("Date", "Time", "Type", "Status", "Currency")} <= folded
        and bool({fold("TimeZone"), fold("Time Zone")} & folded)
        and bool({fold("Gross"), fold("Amount")} & folded)
    )


@dataclass(slots=True)
class _Columns:
    date: int | None
    time: int | None
    zone: int | None
    name: int | None
    type: int | None
    status: int | None
    currency: int | None
    gross: int | None
    money: tuple[int | None, ...]  # every amount column, to tell the decimal mark
    sender: int | None
    receiver: int | None
    txn: int | None
    reference: int | None
    item: int | None
    subject: int | None

    @classmethod
    def of(cls, table: Table) -> _Columns:
        gross = table.column("Gross", "Amount")
        money = (gross, table.column("Fee", "Fees"), table.column("Net", "Total"))
        return cls(
            table.column("Date"),
            table.column("Time"),
            table.column("TimeZone", "Time Zone"),
            table.column("Name"),
            table.column("Type"),
            table.column("Status"),
            table.column("Currency"),
            gross,
            (*money, table.column("Balance")),
            table.column("From Email Address"),
            table.column("To Email Address"),
            table.column("Transaction ID"),
            table.column("Reference Txn ID"),
            table.column("Item Title"),
            table.column("Subject"),
        )


@dataclass(frozen=True, slots=True)
class _Style:
    """How the file writes its dates and amounts."""

    order: str  # "dmy", "mdy", or "" when nothing decides
    mark: str  # the decimal mark, "." or ","


@dataclass(slots=True)
class _Money:
    """A sale or a refund that reads: its money, time and currency checked."""

    row: int
    fields: list[str]
    refund: bool
    gross: Decimal
    currency: str
    at: dt.datetime | None
    local: bool
    key: str
    email: str = ""  # a sale's buyer; a refund's is chosen when it is yielded
    taken_back: bool = False  # the payment's status says it was refunded in full
    refunded: Decimal = Decimal("0")  # a sale's refunds found in the file
    applied: bool = False  # a refund added to its sale


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """Every row of the download, in file order, its refunds applied to its sales
    (``context`` is not needed)."""
    with open_table(source, decoding) as table:
        columns = _Columns.of(table)
        if table.headers and (columns.date is None or columns.gross is None):
            raise ImportFormatError(
                f"{source.label} has no 'Date' and 'Gross' (or 'Amount') columns, so it is not "
                "a PayPal activity download: download the activity again as a CSV file."
            )
        records = list(table.records())
    style = style_of([f for _, f in records], columns)
    entries = [_entry(table, columns, style, row, fields) for row, fields in records]
    sales: dict[str, _Money] = {}
    owner: set[str] = set()
    for entry in entries:
        if isinstance(entry, _Money) and not entry.refund:
            sales.setdefault(cell(entry.fields, columns.txn), entry)
            owner.add(cell(entry.fields, columns.receiver).lower())
    sales.pop("", None)
    for entry in entries:
        if isinstance(entry, _Money) and entry.refund:
            sale = sales.get(cell(entry.fields, columns.reference))
            if sale is not None and sale.currency == entry.currency:
                sale.refunded += -entry.gross
                entry.applied = True
    for entry in entries:
        if isinstance(entry, Rejected):
            yield entry
        elif not entry.refund:
            yield _sale_row(table, columns, entry)
        elif entry.applied:
            yield Rejected(table.member, entry.row, REFUND_APPLIED)
        else:
            yield _refund_row(table, columns, entry, owner)


def style_of(rows: Sequence[Sequence[str]], columns: _Columns) -> _Style:
    """The file's date order and decimal mark, from its values."""
    mark = "."
    if any(_COMMA_CENTS.search(cell(f, c)) for f in rows for c in columns.money):
        mark = ","
    order = day_month_order(cell(f, columns.date) for f in rows) or ""
    if not order:
        zones = {cell(f, columns.zone).upper() for f in rows}
        if mark == "," or zones & _DAY_FIRST_ZONES.keys():
            order = "dmy"
        elif zones & _US_ZONES.keys():
            order = "mdy"
    return _Style(order, mark)


def zone_offset(zone: str) -> int | None:
    """Minutes east of UTC for a TimeZone cell, or None for a zone not known."""
    text = zone.strip().upper()
    if text in OFFSETS:
        return OFFSETS[text]
    match = _WRITTEN_OFFSET.match(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes or 0)
    return -total if sign == "-" else total


def _entry(
    table: Table, columns: _Columns, style: _Style, row: int, fields: list[str]
) -> _Money | Rejected:
    member = table.member
    kind = cell(fields, columns.type)
    txn = cell(fields, columns.txn)
    first = next(
        (t for t in (cell(fields, c) for c in (columns.date, columns.name, columns.type)) if t), ""
    )
    if _TOTALS.match(first) or (not first and not txn):
        return Rejected(member, row, TOTALS_ROW)
    if _NOT_A_SALE_TYPE.search(kind):
        return Rejected(member, row, NOT_A_SALE)
    try:
        gross = parse_amount(cell(fields, columns.gross), style.mark)
    except ValidationError as exc:
        return Rejected(member, row, exc.user_message)
    refund = bool(_REFUND_TYPE.search(kind))
    if refund and gross >= 0:
        return Rejected(member, row, NOT_A_SALE)  # a refund the owner received
    if not refund and (gross <= 0 or not _PAYMENT_TYPE.search(kind)):
        return Rejected(member, row, NOT_A_SALE)
    status = " ".join(cell(fields, columns.status).lower().split())
    paid = _CAPTURED | {""} if refund else _CAPTURED | _TAKEN_BACK | _PARTLY_REFUNDED
    if status not in paid:
        if status in _WAITING:
            return Rejected(member, row, NOT_PAID)
        if status in _FAILED:
            return Rejected(member, row, FAILED)
        shown = cell(fields, columns.status)[:40] or "(empty)"
        return Rejected(
            member,
            row,
            f"the status '{shown}' is not one PayPal writes (Completed, Pending, Denied...): "
            "check the 'Status' column.",
        )
    email = "" if refund else cell(fields, columns.sender)
    if not refund and not email:
        return no_email(table, row)
    if refund and not cell(fields, columns.reference):
        return Rejected(member, row, NO_REFERENCE)
    written = " ".join(t for t in (cell(fields, columns.date), cell(fields, columns.time)) if t)
    try:
        at, local = _time(written, cell(fields, columns.zone), style.order)
    except ValueError as exc:
        return bad_time(table, row, written, exc)
    try:
        currency = check_currency(cell(fields, columns.currency))
    except ValidationError as exc:
        return Rejected(member, row, exc.user_message)
    if txn:
        key = join_key(PLATFORM, txn)
    else:
        key = join_key(PLATFORM, written, cell(fields, columns.sender).lower(), str(gross))
    return _Money(
        row, fields, refund, gross, currency, at, local, key, email, status in _TAKEN_BACK
    )


def _time(written: str, zone: str, order: str) -> tuple[dt.datetime | None, bool]:
    """A row's Date and Time as naive UTC, or local (True) when its zone is not known."""
    date, _, clock = written.partition(" ")
    year_first = _YEAR_FIRST.match(date)
    if year_first:
        written = "{}-{:0>2}-{:0>2} {}".format(*year_first.groups(), clock).strip()
    stored = parse_date(written, order)
    if stored is None:
        return None, False
    at = dt.datetime.fromisoformat(stored)
    offset = zone_offset(zone)
    if offset is None:
        return at, True
    try:
        return at - dt.timedelta(minutes=offset), False
    except OverflowError:  # the first or last day there is, moved out of the calendar
        raise ValueError("the time is out of range") from None


def _product(fields: Sequence[str], columns: _Columns) -> str:
    return cell(fields, columns.item) or cell(fields, columns.subject)


def _sale_row(table: Table, columns: _Columns, sale: _Money) -> ActivityRow:
    refunded = sale.gross if sale.taken_back else min(sale.refunded, sale.gross)
    return ActivityRow(
        PLATFORM,
        table.member,
        sale.row,
        sale.email,
        Action.PURCHASED,
        sale.at,
        sale.key,
        at_is_local=sale.local,
        name=cell(sale.fields, columns.name),
        amount=sale.gross,
        refunded=refunded,
        currency=sale.currency,
        product=_product(sale.fields, columns),
        source_id=cell(sale.fields, columns.txn),
    )


def _refund_row(
    table: Table, columns: _Columns, refund: _Money, owner: set[str]
) -> ActivityRow | Rejected:
    fields = refund.fields
    candidates = (cell(fields, columns.receiver), cell(fields, columns.sender))
    email = next((a for a in candidates if a and a.lower() not in owner), "")
    if not email:
        return no_email(table, refund.row)
    return ActivityRow(
        PLATFORM,
        table.member,
        refund.row,
        email,
        Action.REFUNDED,
        refund.at,
        refund.key,
        at_is_local=refund.local,
        name=cell(fields, columns.name),
        refunded=-refund.gross,
        currency=refund.currency,
        product=_product(fields, columns),
        source_id=cell(fields, columns.reference),
    )
