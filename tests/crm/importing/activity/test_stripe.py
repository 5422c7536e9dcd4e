"""Stripe payments export: paid charges as sales, refunds, failed and unpaid charges."""

from __future__ import annotations

import codecs
import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing.activity import gumroad, stripe
from crm.importing.activity.context import ReadContext
from crm.importing.activity.detect import plan_sources
from crm.importing.activity.rows import ActivityRow, Rejected
from crm.importing.activity.table import NO_EMAIL
from crm.importing.decoding import Source, detect_decoding, sources_for

from .newsletter_support import (
    DATA,
    SUBSCRIBER_EXPORTS,
    activity,
    by_action,
    csv_bytes,
    headers_of,
    read_recognised,
    read_source,
    reasons,
    write,
    write_zip,
)
from .revenue_support import revenue

SAMPLE = DATA / "payments" / "unified_payments.csv"
OLD_HEADER = SAMPLE.read_text("utf-8").splitlines()[0]
NEW_HEADER = (
    OLD_HEADER.replace("Description,Created (UTC)", "Description,Seller Message,Created date (UTC)")
    + ",Transfer Group,PaymentIntent ID,Invoice Number,plan (metadata)"
)
HEADER_2014 = (
    "id,Description,Created,Amount,Amount Refunded,Currency,Converted Amount,"
    "Converted Amount Refunded,Fee,Mode,Status,Statement Descriptor,Customer ID,"
    "Customer Description,Customer Email,Captured,Card ID,Card Last4,Card Type,Card Name"
)
CUSTOMERS_HEADER = (
    "id,Description,Email,Name,Created (UTC),Delinquent,Plan,Status,Total Spend,"
    "Payment Count,Refunded Volume,Dispute Losses,tier (metadata)"
)


def charge(header: str = OLD_HEADER, sep: str = ",", **cells: str) -> str:
    """One row under ``header``: a paid 19.00 usd charge unless ``cells`` (columns with
    spaces and brackets written as ``_``, ``Created_UTC``) say otherwise."""
    names = header.split(sep)
    given = {k.replace("_", " "): v for k, v in cells.items()}
    defaults = {
        "id": "ch_1",
        "Description": "Guide",
        "Created (UTC)": "2024-05-02 10:30",
        "Created date (UTC)": "2024-05-02 10:30:15",
        "Created": "2024-05-02 10:30",
        "Amount": "19.00",
        "Amount Refunded": "0.00",
        "Currency": "usd",
        "Status": "Paid",
        "Customer Email": "ada@example.com",
        "Captured": "true",
    }
    out = []
    for name in names:
        key = name.replace("(", "").replace(")", "")
        out.append(given.get(key, given.get(name, defaults.get(name, ""))))
    return sep.join(out)


def _read(tmp_path: Path, header: str, *rows: str, encoding: str = "utf-8") -> list:
    body = "\n".join([header, *rows]) + "\n"
    return read_source(stripe, Source(write(tmp_path / "payments.csv", body, encoding)))


@pytest.fixture(scope="module")
def sample() -> list[ActivityRow | Rejected]:
    return read_recognised(stripe, SAMPLE)[""]


def test_the_sample_gives_its_expected_sales_refunds_and_skips(sample) -> None:
    # EXPECTED.json: 19 rows; purchased 13; skipped failed 2, no_email 1, refunded 3.
    assert len(sample) == 19
    assert by_action(sample) == {"purchased": 16}
    assert reasons(sample) == {"failed": 2, NO_EMAIL: 1}
    sales = activity(sample)
    assert sum(r.refunded == r.amount for r in sales) == 3
    assert sum(r.amount is not None and r.refunded is not None and r.amount > r.refunded
               for r in sales) == 13  # fmt: skip
    assert revenue(sample) == {
        "EUR": Decimal("218.00"),
        "GBP": Decimal("474.00"),
        "USD": Decimal("848.00"),
    }
    assert len({r.key for r in sales}) == 16
    assert {(r.platform, r.at_is_local) for r in sales} == {("stripe", False)}


def test_a_charge_carries_its_money_product_buyer_and_time(sample) -> None:
    first = activity(sample)[0]
    assert (first.row, first.email, first.name, first.product) == (
        1,
        "ZOE.ANGSTROM@EXAMPLE.SE",
        "Zoë Ångström",
        "Strategy session",
    )
    assert (first.amount, first.refunded, first.currency) == (
        Decimal("120.00"),
        Decimal("20.00"),
        "USD",
    )
    assert first.at == dt.datetime(2024, 6, 30, 12, 24)
    assert first.key == "stripe|ch_39mKhztXFn7flIbUyHxgntbI"
    assert first.source_id == "ch_39mKhztXFn7flIbUyHxgntbI"
    refunded = activity(sample)[1]
    assert (refunded.amount, refunded.refunded, refunded.currency) == (
        Decimal("350.00"),
        Decimal("350.00"),
        "EUR",
    )
    skipped = [(r.row, r.reason) for r in sample if isinstance(r, Rejected)]
    assert skipped == [(11, "failed"), (13, "failed"), (14, NO_EMAIL)]


def test_the_newer_header_with_seller_message_and_payment_intent(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        NEW_HEADER,
        charge(NEW_HEADER, id="py_3Ab", Seller_Message="Payment complete.", Amount="1234.50",
               Amount_Refunded="34.50", Currency="eur", Customer_Description="",
               Card_Name="Ada Lovelace"),
    )  # fmt: skip
    assert stripe.recognises("", NEW_HEADER.split(","))
    [sale] = activity(rows)
    assert (sale.key, sale.amount, sale.refunded, sale.currency) == (
        "stripe|py_3Ab",
        Decimal("1234.50"),
        Decimal("34.50"),
        "EUR",
    )
    assert sale.at == dt.datetime(2024, 5, 2, 10, 30, 15)  # 'Created date (UTC)', seconds
    assert (sale.name, sale.product) == ("Ada Lovelace", "Guide")  # the card's name


def test_the_2014_header_reads_created_as_utc(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        HEADER_2014,
        "ch_2014,,2014-02-03 01:47,19.00,0.00,usd,19.00,0.00,0.85,Live,Paid,SHOP,cus_1,"
        "Ada,ada@example.com,true,card_1,4242,Visa,Ada L",
    )
    [sale] = activity(rows)
    assert (sale.at, sale.at_is_local) == (dt.datetime(2014, 2, 3, 1, 47), False)
    assert (sale.amount, sale.currency, sale.product, sale.name) == (
        Decimal("19.00"),
        "USD",
        "",
        "Ada",
    )


def test_a_few_chosen_columns_in_any_order(tmp_path: Path) -> None:
    header = "Customer Email,Amount,Currency,Captured,Created (UTC),id"
    rows = _read(
        tmp_path,
        header,
        "a@example.com,49.00,gbp,true,2024-05-02 10:30,ch_a",
        "b@example.com,49.00,gbp,false,2024-05-02 10:31,ch_b",
    )
    assert [(r.email, r.amount, r.refunded, r.product) for r in activity(rows)] == [
        ("a@example.com", Decimal("49.00"), Decimal("0.00"), "")
    ]
    assert reasons(rows) == {"not_paid": 1}


def test_zero_decimal_currencies_are_whole_numbers(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        OLD_HEADER,
        charge(id="ch_y", Amount="5000", Amount_Refunded="0", Currency="jpy"),
        charge(id="ch_z", Amount="5000.50", Amount_Refunded="0", Currency="jpy"),
    )
    [sale] = activity(rows)
    assert (sale.amount, sale.refunded, sale.currency) == (Decimal("5000"), Decimal("0"), "JPY")
    [refused] = [r for r in rows if isinstance(r, Rejected)]
    assert refused.row == 2 and "more decimals than JPY has" in refused.reason


def test_each_status_is_a_sale_a_skip_or_a_question(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        OLD_HEADER,
        charge(id="c1", Status="Paid", Captured="false"),  # authorised, never captured
        charge(id="c2", Status="Pending"),
        charge(id="c3", Status="Canceled", Captured="false"),
        charge(id="c4", Status="Blocked", Captured="false"),
        charge(id="c5", Status="Disputed"),
        charge(id="c6", Status="", Captured=""),
        charge(id="c7", Status="", Captured="TRUE"),
        charge(id="c8", Status="Refunded", Amount_Refunded=""),  # refunded in full all the same
        charge(id="c9", Status="Partially refunded", Amount_Refunded="5.00"),
        charge(id="c10", Status="Failed", Customer_Email=""),  # failed before it lacks an address
    )
    assert [(r.row, r.amount, r.refunded) for r in activity(rows)] == [
        (7, Decimal("19.00"), Decimal("0.00")),
        (8, Decimal("19.00"), Decimal("19.00")),
        (9, Decimal("19.00"), Decimal("5.00")),
    ]
    refused = {r.row: r.reason for r in rows if isinstance(r, Rejected)}
    assert {row: refused[row] for row in (1, 2, 3, 4, 10)} == {
        1: "not_paid",
        2: "not_paid",
        3: "not_paid",
        4: "failed",
        10: "failed",
    }
    assert refused[5].startswith("the payment status 'disputed' is not one Smallyes reads")
    assert refused[6].startswith("the payment has no Status or Captured value")


def test_bad_rows_are_refused_with_their_reason_while_the_rest_reads(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        OLD_HEADER,
        charge(id="b1", Amount="nineteen"),
        charge(id="b2", Currency="usx"),
        charge(id="b3", Created_UTC="soon"),
        charge(id="b4", Amount_Refunded="20.00"),
        charge(id="b5", Amount="-19.00"),
        charge(id="b6", Customer_Email="  "),
        charge(id="ok"),
    )
    assert [r.key for r in activity(rows)] == ["stripe|ok"]
    assert [(r.row, r.reason) for r in rows if isinstance(r, Rejected)] == [
        (1, "'nineteen' is not an amount of money: write it like 19.00 or 19,00."),
        (2, "'usx' is not an ISO 4217 currency code: write a code such as EUR, USD or JPY."),
        (3, "the time 'soon' is not a date"),
        (4, "the refunded 20.00 USD is more than the sale's 19.00: check the Amount "
            "Refunded column."),
        (5, "the amount -19.00 USD or its refund is negative: check the Amount column."),
        (6, NO_EMAIL),
    ]  # fmt: skip


def test_a_charge_without_an_id_is_keyed_by_its_fields(tmp_path: Path) -> None:
    rows = _read(tmp_path, OLD_HEADER, charge(id="", Customer_Email="Ada@Example.com"))
    assert activity(rows)[0].key == "stripe|ada@example.com|2024-05-02T10:30:00|19.00|USD"


def test_an_excel_resave_with_a_bom_semicolons_and_comma_decimals(tmp_path: Path) -> None:
    header = OLD_HEADER.replace(",", ";")
    body = "\n".join(
        [header, charge(header, ";", Amount="1.234,50", Amount_Refunded="0,00",
                        Created_UTC="30/06/2024 12:24", Customer_Description="Zoë")]
    )  # fmt: skip
    path = write(tmp_path / "payments.csv", codecs.BOM_UTF8 + body.encode("utf-8"))
    [sale] = activity(read_source(stripe, Source(path)))
    assert (sale.amount, sale.at, sale.name) == (
        Decimal("1234.50"),
        dt.datetime(2024, 6, 30, 12, 24),
        "Zoë",
    )
    cp1252 = _read(tmp_path, header, charge(header, ";", Customer_Description="Zoë"),
                   encoding="cp1252")  # fmt: skip
    assert [r.name for r in activity(cp1252)] == ["Zoë"]


def test_a_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert _read(tmp_path, OLD_HEADER) == []


def test_a_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="not a Stripe payments export"):
        _read(tmp_path, CUSTOMERS_HEADER, "cus_1,,a@example.com,Ada,2024-01-01 10:00")


def test_a_renamed_export_is_recognised_by_its_header(tmp_path: Path) -> None:
    renamed = write(tmp_path / "june.csv", SAMPLE.read_bytes())
    [found] = plan_sources(renamed).activity
    assert found.platform == "stripe"
    assert len(list(found.rows())) == 19
    zipped = write_zip(tmp_path / "books.zip", {"2024/payments.csv": SAMPLE.read_bytes()})
    got = read_recognised(stripe, zipped)
    assert list(got) == ["2024/payments.csv"]
    assert {r.member for r in activity(got["2024/payments.csv"])} == {"2024/payments.csv"}


def test_the_header_must_keep_its_key_columns() -> None:
    names = OLD_HEADER.split(",")
    assert stripe.recognises("", names)
    assert stripe.recognises("", [n for n in names if n not in ("Status", "Customer Email")])
    for needed in (["id"], ["Amount"], ["Currency"], ["Status", "Captured"], ["Created (UTC)"],
                   ["Customer Email", "Customer ID"]):  # fmt: skip
        assert not stripe.recognises("", [n for n in names if n not in needed]), needed
    assert not stripe.recognises("", CUSTOMERS_HEADER.split(","))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_a_stripe_export(path: Path) -> None:
    assert not stripe.recognises("", headers_of(sources_for(path)[0]))


def test_the_other_activity_exports_are_not_stripe_exports() -> None:
    others = [p for p in DATA.rglob("*") if p.suffix in (".csv", ".zip") and p != SAMPLE]
    assert DATA / "payments" / "Sales_2024-03-01_2024-06-30.csv" in others
    for path in others:
        for source in sources_for(path):
            assert not stripe.recognises(source.member or "", headers_of(source)), path
    assert not gumroad.recognises("", OLD_HEADER.split(","))


_BYTES = csv_bytes(
    [OLD_HEADER.encode(), OLD_HEADER.replace(",", ";").encode(), HEADER_2014.encode()],
    [[b"ch_1", b""], [b"Guide", b'"A, B"'], [b"2024-05-02 10:30", b"30/06/2024", b"x"],
     [b"19.00", b"5000", b"-1", b"abc", b"1,5"], [b"0.00", b"20.00", b""],
     [b"usd", b"jpy", b"XX", b""]],
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_BYTES, st.binary(max_size=200)))
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Source(write(Path(folder) / "f.csv", content))
        try:
            rows = list(stripe.read(source, detect_decoding(source), ReadContext()))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert all(isinstance(r, ActivityRow | Rejected) for r in rows)
