"""Sales and bookings in a generic activity file, as the reader gives them: amounts exact
per currency, statuses read as actions, refunds of the file's own sales added to them,
bookings with their meeting, and bad amounts or currencies refused row by row."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from crm.errors import ImportFormatError, ValidationError
from crm.importing.activity import generic
from crm.importing.activity.generic import (
    GenericColumns,
    MappedContext,
    columns_from_mapping,
    read_mapped,
)
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.decoding import Source, detect_decoding
from crm.importing.mapping import ColumnMap, Target

from .newsletter_support import DATA, activity, csv_bytes, write
from .shops_support import NOT_A_CURRENCY, revenue

ORDERS = DATA / "generic" / "lemon-squeezy-orders.csv"
ORDERS_HEADER = "order_number,user_email,user_name,status,total,currency,refunded_amount,created_at"
# A Lemon Squeezy orders file as the owner maps it.
LEMON = GenericColumns(
    "user_email",
    time="created_at",
    action="status",
    amount="total",
    currency="currency",
    refunded="refunded_amount",
    order_id="order_number",
)
# A sheet kept by hand: one row per thing that happened, sales and refunds alike.
LEDGER = GenericColumns(
    "email",
    time="date",
    action="what",
    amount="amount",
    currency="currency",
    refunded="refunded",
    order_id="order",
)
LEDGER_HEADER = "email,date,what,amount,currency,refunded,order\n"


def _read(path: Path, columns: GenericColumns) -> list[ActivityRow | Rejected]:
    source = Source(path)
    return list(read_mapped(source, detect_decoding(source), columns))


def _money(rows: list[ActivityRow | Rejected]) -> list[tuple[Any, ...]]:
    return [
        (r.row, r.action, r.amount, r.refunded, r.currency, r.source_id) for r in activity(rows)
    ]


def _rejected(rows: list[ActivityRow | Rejected]) -> list[tuple[int, str]]:
    return [(r.row, r.reason) for r in rows if isinstance(r, Rejected)]


def test_a_lemon_squeezy_orders_file_reads_its_statuses_and_money() -> None:
    rows = _read(ORDERS, LEMON)
    assert _money(rows) == [
        (1, Action.PURCHASED, Decimal("49.00"), Decimal("0.00"), "USD", "1001"),
        (2, Action.PURCHASED, Decimal("1299.00"), Decimal("0.00"), "EUR", "1002"),
        # refunded: the order itself, refunded in full; partial_refund by its refunded amount
        (3, Action.PURCHASED, Decimal("29.00"), Decimal("29.00"), "USD", "1003"),
        (4, Action.PURCHASED, Decimal("120.00"), Decimal("20.00"), "GBP", "1004"),
        (7, Action.PURCHASED, Decimal("5000"), Decimal("0"), "JPY", "1007"),
        (8, Action.PURCHASED, Decimal("19.99"), Decimal("0.00"), "EUR", "1008"),
    ]
    assert _rejected(rows) == [(5, "failed"), (6, "not_paid")]
    assert revenue(rows) == {
        "USD": Decimal("49.00"),
        "EUR": Decimal("1318.99"),
        "GBP": Decimal("100.00"),
        "JPY": Decimal("5000"),
    }
    first = activity(rows)[0]
    assert first.at == dt.datetime(2026, 5, 1, 10, 0) and not first.at_is_local
    assert first.platform == "generic"


def test_an_order_keeps_its_key_when_its_status_changes(tmp_path: Path) -> None:
    (paid,) = activity(_read(ORDERS, LEMON))[:1]
    later = write(
        tmp_path / "june.csv",
        f"{ORDERS_HEADER}\n1001,ADA@example.com,Ada,refunded,49.00,USD,49.00,2026-05-01T10:00:00Z\n",
    )
    (refunded,) = activity(_read(later, LEMON))
    assert refunded.key == paid.key  # the import finds the stored sale and refunds it
    assert (refunded.amount, refunded.refunded) == (Decimal("49.00"), Decimal("49.00"))


def test_status_and_action_words_in_four_languages(tmp_path: Path) -> None:
    path = write(
        tmp_path / "sheet.csv",
        "email,date,what,amount,currency\n"
        "a@example.com,2026-05-01,bezahlt,10.00,EUR\n"
        "b@example.com,2026-05-01,Payé,10.00,EUR\n"
        "c@example.com,2026-05-01,venta,10.00,EUR\n"
        "d@example.com,2026-05-01,Sale,10.00,EUR\n"
        "e@example.com,2026-05-01,rechazado,10.00,EUR\n"
        "f@example.com,2026-05-01,ausstehend,10.00,EUR\n"
        "g@example.com,2026-05-01,,10.00,EUR\n"
        "h@example.com,2026-05-01,Cancelled,10.00,EUR\n"
        "i@example.com,2026-05-01,teleported,10.00,EUR\n",
    )
    columns = GenericColumns("email", time="date", action="what", amount="amount",
                             currency="currency")  # fmt: skip
    rows = _read(path, columns)
    assert [(r.email[0], r.action) for r in activity(rows)] == [
        (letter, Action.PURCHASED) for letter in "abcdg"
    ]
    # an order canceled before it was paid is no booking
    assert _rejected(rows) == [
        (5, "failed"),
        (6, "not_paid"),
        (8, "not_paid"),
        (9, "unknown action 'teleported'"),
    ]


def test_refunds_of_the_files_own_sales_are_added_to_them_whatever_the_order(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "ledger.csv",
        LEDGER_HEADER + "ada@example.com,2026-05-09,refund,-5.00,EUR,,A1\n"  # before its sale
        "ada@example.com,2026-05-01,sale,30.00,EUR,,A1\n"
        "ada@example.com,2026-05-10,refunded,,EUR,10.00,A1\n"  # its sum in the refunded column
        "bo@example.com,2026-05-02,sale,12.00,USD,,B1\n"
        "bo@example.com,2026-05-03,refund,12.00,,,B1\n"  # a positive amount, no currency
        "cy@example.com,2026-05-04,refund,-7.50,EUR,,OLD-9\n"  # a sale of an earlier import
        "cy@example.com,2026-05-05,refund,-1.00,USD,,A1\n"  # another currency than its sale
        "dee@example.com,2026-05-06,,25.00,EUR,,D1\n"  # no action: the amount makes a sale
        "dee@example.com,2026-05-07,,-25.00,EUR,,D1\n",  # and takes it back
    )
    rows = _read(path, LEDGER)
    assert _money(rows) == [
        (2, Action.PURCHASED, Decimal("30.00"), Decimal("15.00"), "EUR", "A1"),
        (4, Action.PURCHASED, Decimal("12.00"), Decimal("12.00"), "USD", "B1"),
        (6, Action.REFUNDED, None, Decimal("7.50"), "EUR", "OLD-9"),
        (8, Action.PURCHASED, Decimal("25.00"), Decimal("25.00"), "EUR", "D1"),
    ]
    assert _rejected(rows) == [
        (1, "refund_applied"),
        (3, "refund_applied"),
        (5, "refund_applied"),
        (7, "the refund is in USD but order A1 was paid in EUR: check the currency column."),
        (9, "refund_applied"),
    ]
    refund = next(r for r in activity(rows) if r.action is Action.REFUNDED)
    assert refund.key != activity(rows)[0].key and refund.at == dt.datetime(2026, 5, 4)


def test_a_refund_with_no_order_of_the_file_is_left_for_the_import_to_match(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "refunds.csv",
        LEDGER_HEADER + "ada@example.com,2026-06-01,refunded,,,12.00,1001\n"
        "bo@example.com,2026-06-02,refund,,,,1002\n",
    )
    rows = _read(path, LEDGER)
    assert _money(rows) == [(1, Action.REFUNDED, None, Decimal("12.00"), "", "1001")]
    assert _rejected(rows) == [
        (2, "a refund needs its sum: fill in the refunded or the amount column.")
    ]


def test_bad_amounts_and_currencies_refuse_their_row_and_the_rest_reads(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.csv",
        f"{ORDERS_HEADER}\n"
        "1,a@example.com,A,paid,lots,USD,0,2026-05-01T10:00:00Z\n"
        "2,b@example.com,B,paid,19.00,DOLLARS,0,2026-05-01T10:00:00Z\n"
        "3,c@example.com,C,paid,19.999,USD,0,2026-05-01T10:00:00Z\n"
        "4,d@example.com,D,paid,19.00,,0,2026-05-01T10:00:00Z\n"
        "5,e@example.com,E,paid,,USD,0,2026-05-01T10:00:00Z\n"
        "6,f@example.com,F,paid,-19.00,USD,0,2026-05-01T10:00:00Z\n"
        "7,g@example.com,G,partial_refund,19.00,USD,25.00,2026-05-01T10:00:00Z\n"
        "8,h@example.com,H,partial_refund,19.00,USD,,2026-05-01T10:00:00Z\n"
        "9,i@example.com,I,paid,9.00,usd,0,2026-05-01T10:00:00Z\n",
    )
    rows = _read(path, LEMON)
    assert _money(rows) == [(9, Action.PURCHASED, Decimal("9.00"), Decimal("0.00"), "USD", "9")]
    assert _rejected(rows) == [
        (1, "'lots' is not an amount of money: write it like 19.00 or 19,00."),
        (2, NOT_A_CURRENCY),
        (3, "19.999 USD has more decimals than USD has (2): check the amount column."),
        (4, "the sale has no currency: fill in a code such as EUR or USD."),
        (5, "the sale has no amount: fill in the amount column."),
        (6, "the sale's amount -19.00 is negative: check the amount column, or write the row "
            "as a refund."),
        (7, "the refunded 25.00 USD is more than the sale's 19.00: check the refunded column."),
        (8, "a partial refund needs its sum: map the column with the amount refunded, or fill "
            "it in."),
    ]  # fmt: skip


def test_a_sale_with_no_money_columns_says_which_to_map(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "email,timestamp,action\na@example.com,2026-05-01,bought\n")
    rows = generic.read(Source(path), detect_decoding(Source(path)), MappedContext())
    assert _rejected(list(rows)) == [
        (1, "a sale needs its amount and currency: map the columns that hold them.")
    ]


def test_amounts_without_a_currency_column_refuse_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "o.csv", f"{ORDERS_HEADER}\n1,a@example.com,A,paid,5.00,USD,0,\n")
    columns = GenericColumns("user_email", action="status", amount="total")
    with pytest.raises(ImportFormatError) as refused:
        _read(path, columns)
    assert refused.value.user_message == (
        "o.csv has amounts in column 'total' but no currency column: map the column that "
        "says each sale's currency (EUR, USD...)."
    )
    # an amount column left empty is no reason to refuse a click log
    empty = write(tmp_path / "e.csv", "email,url,total\na@example.com,https://x.example,\n")
    clicks = _read(empty, GenericColumns("email", url="url", amount="total"))
    assert [r.action for r in activity(clicks)] == [Action.CLICKED]


def test_the_decimal_mark_is_decided_by_the_files_values(tmp_path: Path) -> None:
    path = write(
        tmp_path / "eu.csv",
        "email;date;what;amount;currency\n"
        "a@example.com;01.05.2026;bezahlt;1.234;EUR\n"  # a thousands point: the file says so
        "b@example.com;02.05.2026;bezahlt;35,82;EUR\n"
        "c@example.com;03.05.2026;bezahlt;1.299,00;EUR\n",
    )
    columns = GenericColumns("email", time="date", action="what", amount="amount",
                             currency="currency")  # fmt: skip
    assert [r.amount for r in activity(_read(path, columns))] == [
        Decimal("1234.00"),
        Decimal("35.82"),
        Decimal("1299.00"),
    ]


def test_bookings_keep_their_meeting_and_a_cancellation_in_the_file_cancels_them(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "bookings.csv",
        "email,booked at,what,event,id,meeting\n"
        "ada@example.com,2026-05-01 09:00,booked,Strategy session,bk-1,2026-05-10 14:00\n"
        "bo@example.com,2026-05-02 09:00,gebucht,Intro call,bk-2,2026-05-11 10:00\n"
        "bo@example.com,2026-05-03 09:00,abgesagt,Intro call,bk-2,2026-05-11 10:00\n"
        "cy@example.com,2026-05-04 09:00,canceled,Intro call,bk-0,2026-05-12 10:00\n"
        "dee@example.com,2026-05-05 09:00,booked,Intro call,,2026-05-13 10:00\n"
        "eve@example.com,2026-05-06 09:00,booked,Intro call,bk-5,soon\n",
    )
    columns = GenericColumns("email", time="booked at", action="what", product="event",
                             order_id="id", starts="meeting", naive_is_utc=True)  # fmt: skip
    rows = _read(path, columns)
    assert [(r.row, r.action, r.product, r.source_id, r.occurs_at) for r in activity(rows)] == [
        (1, Action.BOOKED, "Strategy session", "bk-1", dt.datetime(2026, 5, 10, 14)),
        (2, Action.CANCELED, "Intro call", "bk-2", dt.datetime(2026, 5, 11, 10)),
        (4, Action.CANCELED, "Intro call", "bk-0", dt.datetime(2026, 5, 12, 10)),
        (5, Action.BOOKED, "Intro call", "", dt.datetime(2026, 5, 13, 10)),
    ]
    assert _rejected(rows) == [(3, "cancel_applied"), (6, "the time 'soon' is not a date")]
    # a cancellation in a later file has the booking's key
    later = write(
        tmp_path / "later.csv",
        "email,booked at,what,event,id,meeting\n"
        "ADA@example.com,2026-05-01 09:00,canceled,Strategy session,bk-1,2026-05-10 14:00\n",
    )
    assert activity(_read(later, columns))[0].key == activity(rows)[0].key


def test_the_owners_mapping_names_the_sale_columns_once() -> None:
    header = ORDERS_HEADER.split(",")
    targets = {
        "user_email": Target.EMAIL,
        "created_at": Target.TIME,
        "status": Target.STATUS,  # --map status=status: what the shop says the order is
        "total": Target.AMOUNT,
        "currency": Target.CURRENCY,
        "refunded_amount": Target.REFUNDED,
        "user_name": Target.PRODUCT,
        "order_number": Target.ORDER,
    }
    mapping = [ColumnMap(i, h, targets.get(h, Target.IGNORE)) for i, h in enumerate(header)]
    assert columns_from_mapping(mapping) == GenericColumns(
        "user_email",
        time="created_at",
        action="status",
        amount="total",
        currency="currency",
        refunded="refunded_amount",
        product="user_name",
        order_id="order_number",
    )
    twice = [*mapping, ColumnMap(8, "gross", Target.AMOUNT)]
    with pytest.raises(ValidationError, match="Two columns go to 'Amount paid'"):
        columns_from_mapping(twice)
    # an amount alone says what each row is: a sale
    assert columns_from_mapping(mapping[1:2] + mapping[4:5]).amount == "total"


def test_header_words_guess_the_sale_columns_only_with_a_currency() -> None:
    headers = ("Email", "Date", "Action", "Total", "Currency", "Product", "Order ID", "Start time")
    guessed = generic.guess_columns(headers)
    assert guessed is not None
    found = (guessed.amount, guessed.currency, guessed.product, guessed.order_id, guessed.starts)
    assert found == ("Total", "Currency", "Product", "Order ID", "Start time")
    alone = generic.guess_columns(("Email", "Date", "Action", "Total"))
    assert alone is not None and alone.amount == ""


_SALES_BYTES = csv_bytes(
    [b"email,date,status,total,currency,refunded,order", b"Email;Datum;Status;Betrag"],
    [[b"a@b.co", b""], [b"2024-03-12", b"13.03.2024", b"x"],
     [b"paid", b"refunded", b"partial_refund", b"failed", b"", b"booked", b"canceled", b"?"],
     [b"19.00", b"-5", b"1.234,5", b"(3,00)", b"lots", b"", b"1e9", b"99999999999999999999"],
     [b"EUR", b"jpy", b"XXX", b""], [b"1", b"-2.50", b""], [b"o1", b"o2", b""]],
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SALES_BYTES)
def test_arbitrary_sales_files_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder) / "f.csv", content)
        source = Source(path)
        columns = GenericColumns(
            "email", time="date", action="status", amount="total", currency="currency",
            refunded="refunded", order_id="order",
        )  # fmt: skip
        try:
            rows = list(read_mapped(source, detect_decoding(source), columns))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            for row in rows:
                assert isinstance(row, ActivityRow | Rejected)
                if isinstance(row, ActivityRow) and row.action is Action.PURCHASED:
                    assert row.amount is not None and row.refunded is not None
                    assert 0 <= row.refunded <= row.amount and row.currency
