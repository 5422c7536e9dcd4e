"""Shopify orders export: one sale per order, read from all its lines."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity import detect, paypal, shopify
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import NO_EMAIL
from crm.importing.decoding import Source, detect_decoding, sources_for

from .forms_support import OTHER_HEADERS, header_line
from .newsletter_support import (
    SUBSCRIBER_EXPORTS,
    activity,
    by_action,
    csv_bytes,
    headers_of,
    read_recognised,
    read_source,
    reasons,
    write,
)
from .shops_support import NOT_A_CURRENCY, PAYMENTS, revenue

ORDERS = PAYMENTS / "orders_export_1.csv"
HEADER = (
    "Name,Email,Financial Status,Paid at,Currency,Total,Created at,Lineitem quantity,"
    "Lineitem name,Billing Name,Cancelled at,Refunded Amount,Outstanding Balance\n"
)


@pytest.fixture(scope="module")
def orders() -> list[ActivityRow | Rejected]:
    return read_recognised(shopify, ORDERS)[""]


def _by_order(rows: list[ActivityRow | Rejected]) -> dict[str, ActivityRow]:
    return {r.source_id: r for r in activity(rows)}


def test_the_sample_gives_one_sale_per_paid_order(orders) -> None:
    # 16 lines, 12 orders: 7 paid or refunded, 3 not paid, 1 canceled, 1 without an email.
    assert len(orders) == 12
    assert by_action(orders) == {"purchased": 7}
    assert reasons(orders) == {"not_paid": 3, "canceled_order": 1, NO_EMAIL: 1}
    assert revenue(orders) == {
        "USD": Decimal("203.98"),  # 29.00 + 64.98 + (120.00 - 10.00); #1004 refunded, #1011 free
        "EUR": Decimal("101.00"),
        "GBP": Decimal("54.00"),
    }
    sales = activity(orders)
    assert {r.platform for r in sales} == {"shopify"}
    assert len({r.key for r in sales}) == 7
    assert not any(r.at_is_local for r in sales)
    # Each skip is reported at its order's first line.
    assert [(r.row, r.reason) for r in orders if isinstance(r, Rejected)] == [
        (6, "not_paid"),  # pending
        (7, "not_paid"),  # voided
        (8, "canceled_order"),  # refunded, but canceled first
        (13, NO_EMAIL),  # a point-of-sale order
        (14, "not_paid"),  # authorized
    ]


def test_an_order_is_dated_at_its_payment_in_utc(orders) -> None:
    first = _by_order(orders)["#1001"]
    assert (first.row, first.email, first.name) == (
        1,
        "olga.navarro@studio.example.com",
        "Olga Navarro",
    )
    assert first.at == dt.datetime(2024, 5, 1, 10, 0, 0)  # Paid at, not Created at
    assert first.key == "shopify|#1001"
    assert (first.amount, first.refunded, first.currency) == (Decimal("29.00"), 0, "USD")
    assert _by_order(orders)["#1002"].at == dt.datetime(2024, 5, 3, 21, 20, 5)  # -0500
    assert _by_order(orders)["#1012"].at == dt.datetime(2024, 5, 20, 20, 5, 0)  # +0100


def test_continuation_lines_name_the_products(orders) -> None:
    sales = _by_order(orders)
    assert sales["#1001"].product == "Pricing Workbook"
    assert sales["#1002"].product == "Client Onboarding Kit, Pricing Workbook, 2nd edition"
    assert sales["#1008"].product == (
        "Pricing Workbook, Client Onboarding Kit, Email Templates Pack and 1 more"
    )
    assert sales["#1008"].amount == Decimal("101.00")  # the order's total, not a line's price


def test_refunds_free_orders_and_statuses(orders) -> None:
    sales = _by_order(orders)
    assert (sales["#1003"].amount, sales["#1003"].refunded) == (Decimal("120.00"), Decimal("10.00"))
    assert (sales["#1004"].amount, sales["#1004"].refunded) == (Decimal("49.00"), Decimal("49.00"))
    assert (sales["#1011"].amount, sales["#1011"].product) == (0, "Free Pricing Checklist")


def _read(tmp_path: Path, body: str, header: str = HEADER, encoding: str = "utf-8") -> list:
    path = write(tmp_path / "orders.csv", header + body, encoding)
    return read_source(shopify, Source(path))


def test_a_refunded_order_is_refunded_in_full_whatever_its_refunded_amount(tmp_path) -> None:
    rows = _read(tmp_path, "#1,a@x.com,refunded,2024-05-01 10:00:00 +0000,USD,30.00,,1,Guide,,,,\n")
    assert [(r.action, r.amount, r.refunded) for r in activity(rows)] == [
        (Action.PURCHASED, Decimal("30.00"), Decimal("30.00"))
    ]


def test_lines_out_of_order_and_an_order_exported_twice(tmp_path) -> None:
    rows = _read(
        tmp_path,
        "#2,,,,,,,1,Second item,,,,\n"  # a re-sorted file: the item line before its order line
        "#1,a@x.com,paid,2024-05-01 10:00:00 +0000,USD,10.00,,1,Guide,,,,\n"
        "#2,b@x.com,paid,2024-05-02 10:00:00 +0000,USD,25.00,,1,First item,Bea Ortiz,,,\n"
        "#1,a@x.com,paid,2024-05-01 10:00:00 +0000,USD,10.00,,1,Guide,,,,\n"
        "#3,,,,,,,1,Lost item,,,,\n",
    )
    assert [(r.row, r.source_id, r.product, r.name) for r in activity(rows)] == [
        (2, "#1", "Guide", ""),
        (3, "#2", "Second item, First item", "Bea Ortiz"),
        (4, "#1", "Guide", ""),  # the same key: the import skips it as a duplicate
    ]
    assert activity(rows)[0].key == activity(rows)[2].key
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected(
            "",
            5,
            "order #3 has line items but no line with its status and total: export the "
            "orders again.",
        )
    ]


def test_each_bad_order_is_refused_while_the_rest_reads(tmp_path) -> None:
    rows = _read(
        tmp_path,
        "#1,a@x.com,paid,2024-05-01 10:00:00 +0000,USD,12.3.4,,1,Guide,,,,\n"
        "#2,b@x.com,paid,2024-05-01 10:00:00 +0000,DOLLARS,12.00,,1,Guide,,,,\n"
        "#3,c@x.com,paid,yesterday,USD,12.00,,1,Guide,,,,\n"
        "#4,d@x.com,shipped,2024-05-01 10:00:00 +0000,USD,12.00,,1,Guide,,,,\n"
        ",e@x.com,paid,2024-05-01 10:00:00 +0000,USD,12.00,,1,Guide,,,,\n"
        "#6,f@x.com,partially_paid,2024-05-01 10:00:00 +0000,USD,100.00,,1,Course,,,,60.00\n"
        "#7,g@x.com,paid,,USD,12.00,2024-05-02 08:00:00 +0200,1,Guide,,,,\n"
        "#8,h@x.com,Partially Refunded,2024-05-03 10:00:00 +0000,EUR,40.00,,1,Guide,,,5.50,\n",
    )
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 1, "'12.3.4' is not an amount of money: write it like 19.00 or 19,00."),
        Rejected("", 2, NOT_A_CURRENCY),
        Rejected("", 3, "the time 'yesterday' is not a date"),
        Rejected(
            "",
            4,
            "the financial status 'shipped' is not one Shopify writes (paid, pending, "
            "refunded...): check the 'Financial Status' column.",
        ),
        Rejected("", 5, shopify.NO_NAME),
    ]
    assert [(r.source_id, r.amount, r.refunded, r.at) for r in activity(rows)] == [
        ("#6", Decimal("40.00"), 0, dt.datetime(2024, 5, 1, 10, 0)),  # the part paid
        ("#7", Decimal("12.00"), 0, dt.datetime(2024, 5, 2, 6, 0)),  # no Paid at: Created at
        ("#8", Decimal("40.00"), Decimal("5.50"), dt.datetime(2024, 5, 3, 10, 0)),
    ]


def test_an_excel_resave_with_semicolons_and_times_without_their_offset(tmp_path) -> None:
    rows = _read(
        tmp_path,
        "#1;zoë@example.se;paid;2024-05-01 10:00;EUR;1.234,50;;1;Café guide;Zoë Å;;0,00;\n",
        header=HEADER.replace(",", ";"),
        encoding="cp1252",
    )
    (sale,) = activity(rows)
    assert (sale.email, sale.amount, sale.product, sale.name) == (
        "zoë@example.se",
        Decimal("1234.50"),
        "Café guide",
        "Zoë Å",
    )
    assert (sale.at, sale.at_is_local) == (dt.datetime(2024, 5, 1, 10, 0), True)


def test_a_long_product_list_is_capped() -> None:
    assert shopify.product_of(["A", "B", "A"]) == "A, B"
    assert shopify.product_of(["x" * 150, "y" * 150]).endswith("y...")
    assert len(shopify.product_of(["x" * 150, "y" * 150])) == 200


def test_a_file_without_its_columns_is_refused(tmp_path) -> None:
    with pytest.raises(ImportFormatError, match="not a Shopify orders export"):
        _read(tmp_path, "#1,a@x.com\n", header="Name,Email\n")
    assert _read(tmp_path, "") == []


def test_recognised_by_header_whatever_the_file_is_called(tmp_path) -> None:
    renamed = shutil.copy(ORDERS, tmp_path / "my sales.txt")
    assert shopify.recognises("", headers_of(Source(Path(renamed))))
    assert shopify.recognises("", header_line(OTHER_HEADERS["shopify"]))
    plan = detect.plan_sources(Path(renamed))
    assert [(a.platform, a.reader) for a in plan.activity] == [("shopify", shopify)]
    assert not paypal.recognises("", headers_of(Source(ORDERS)))


@pytest.mark.parametrize("name", sorted(set(OTHER_HEADERS) - {"shopify"}))
def test_another_platforms_header_is_not_taken_for_shopify(name: str) -> None:
    assert not shopify.recognises("", header_line(OTHER_HEADERS[name]))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_taken_for_shopify(path: Path) -> None:
    assert not shopify.recognises("", headers_of(sources_for(path)[0]))


_BYTES = csv_bytes(
    [HEADER.strip().encode(), HEADER.strip().replace(",", ";").encode()],
    [[b"#1", b"#2", b""], [b"a@b.co", b""], [b"paid", b"refunded", b"pending", b"?"],
     [b"2024-05-01 10:00:00 +0000", b"0001-01-01 00:00:00 +0100", b"05/06/2024", b"soon"],
     [b"USD", b"usd", b"XXX"], [b"10.00", b"1,234.00", b"12,5", b"-", b""], [b""],
     [b"1"], [b"Guide", b""], [b"Ana"], [b"", b"2024-05-02"], [b"1.00", b"x"], [b"5", b""]],
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_BYTES, st.just(ORDERS.read_bytes())))
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Source(write(Path(folder) / "f.csv", content))
        try:
            rows = list(shopify.read(source, detect_decoding(source), ReadContext()))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert all(isinstance(r, ActivityRow | Rejected) for r in rows)
