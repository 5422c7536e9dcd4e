"""Gumroad sales export: free downloads, sales, refunds and the totals row."""

from __future__ import annotations

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
)
from .revenue_support import revenue

SAMPLE = DATA / "payments" / "Sales_2024-03-01_2024-06-30.csv"
HEADER = SAMPLE.read_text("utf-8").splitlines()[0]


def sale(header: str = HEADER, sep: str = ",", **cells: str) -> str:
    """One row under ``header``: a 29.00 purchase unless ``cells`` (columns with their
    spaces and signs written as ``_``: ``Sale_Price``, ``Fully_Refunded``) say otherwise."""
    defaults = {
        "Purchase ID": "p1",
        "Item Name": "Workbook",
        "Buyer Name": "Ada",
        "Purchase Email": "ada@example.com",
        "Purchase Date": "2024-05-01",
        "Purchase Time (UTC timezone)": "2024-05-01 14:03:22 UTC",
        "Sale Price ($)": "29.0",
        "Partial Refund ($)": "0.0",
        "Fully Refunded?": "0",
        "Disputed?": "0",
        "Dispute Won?": "0",
    }
    given = {k.replace("_", " "): v for k, v in cells.items()}
    out = []
    for name in header.split(sep):
        short = name.replace(" (UTC timezone)", "").replace(" ($)", "").rstrip("?")
        out.append(given.get(short, defaults.get(name, "")))
    return sep.join(out)


def _read(tmp_path: Path, header: str, *rows: str, encoding: str = "utf-8") -> list:
    body = "\n".join([header, *rows]) + "\n"
    return read_source(gumroad, Source(write(tmp_path / "sales.csv", body, encoding)))


@pytest.fixture(scope="module")
def sample() -> list[ActivityRow | Rejected]:
    return read_recognised(gumroad, SAMPLE)[""]


def test_the_sample_gives_its_downloads_sales_refund_and_totals(sample) -> None:
    # EXPECTED.json: 26 rows; downloaded 16, purchased 8; skipped refunded 1, totals_row 1.
    assert len(sample) == 26
    assert by_action(sample) == {"purchased": 25}
    sales = activity(sample)
    assert sum(r.amount == 0 for r in sales) == 16
    assert sum(r.amount != 0 and r.refunded == r.amount for r in sales) == 1
    assert [r for r in sample if isinstance(r, Rejected)] == [Rejected("", 26, "totals_row")]
    assert reasons(sample) == {"totals_row": 1}
    assert revenue(sample) == {"USD": Decimal("753.00")}
    assert len({r.key for r in sales}) == 25
    assert {(r.platform, r.currency, r.at_is_local) for r in sales} == {("gumroad", "USD", False)}


def test_a_purchase_carries_its_product_buyer_time_and_refund(sample) -> None:
    first = activity(sample)[0]
    assert (first.email, first.name, first.product, first.amount, first.refunded) == (
        "nora.macdonald80@example.fr",
        "Nora MacDonald",
        "Pricing checklist (free)",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert first.at == dt.datetime(2024, 3, 1, 4, 25, 4)
    assert first.key == "gumroad|XjRK8GXCjHSyZXzGLmqsci=="
    assert first.source_id == "XjRK8GXCjHSyZXzGLmqsci=="
    by_email = {r.email: r for r in activity(sample)}
    partly = by_email["ivan.marin@example.org"]
    assert (partly.amount, partly.refunded) == (Decimal("149.00"), Decimal("49.00"))
    fully = by_email["astrid+news@example.fr"]
    assert (fully.amount, fully.refunded, fully.product) == (
        Decimal("149.00"),
        Decimal("149.00"),
        "Pricing course",
    )
    assert by_email["LUCIABROWN@EXAMPLE.COM"].name == ""  # the address as written


def test_the_buyer_email_and_the_purchase_date_stand_in(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        HEADER,
        sale(Purchase_Email="", Buyer_Email="ada@example.com", Purchase_Time=""),
        sale(Purchase_ID="p2", Purchase_Email="", Buyer_Email=""),
    )
    [got] = activity(rows)
    assert (got.email, got.at, got.at_is_local) == (
        "ada@example.com",
        dt.datetime(2024, 5, 1),
        False,
    )
    assert [r for r in rows if isinstance(r, Rejected)] == [Rejected("", 2, NO_EMAIL)]


def test_disputes_trials_and_pre_orders(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        HEADER,
        sale(Purchase_ID="lost", Disputed="1"),
        sale(Purchase_ID="won", Disputed="1", Dispute_Won="1"),
        sale(Purchase_ID="trial", Free_trial_purchase="1"),
        sale(Purchase_ID="pre", **{"Pre-order_authorization": "1"}),
    )
    assert [(r.source_id, r.refunded) for r in activity(rows)] == [
        ("lost", Decimal("29.00")),  # the bank took the money back
        ("won", Decimal("0.00")),
    ]
    assert reasons(rows) == {"not_paid": 2}


def test_bad_rows_are_refused_with_their_reason_while_the_rest_reads(tmp_path: Path) -> None:
    rows = _read(
        tmp_path,
        HEADER,
        sale(Purchase_ID="b1", Sale_Price="twenty"),
        sale(Purchase_ID="b2", Sale_Price=""),
        sale(Purchase_ID="b3", Partial_Refund="30.0"),
        sale(Purchase_ID="b4", Sale_Price="-29.0"),
        sale(Purchase_ID="b5", Purchase_Time="yesterday"),
        sale(Purchase_ID="b6", Sale_Price="29.999"),
        sale(Purchase_ID="ok"),
    )
    assert [r.key for r in activity(rows)] == ["gumroad|ok"]
    refused = [(r.row, r.reason) for r in rows if isinstance(r, Rejected)]
    assert refused[:5] == [
        (1, "'twenty' is not an amount of money: write it like 19.00 or 19,00."),
        (2, "'(empty)' is not an amount of money: write it like 19.00 or 19,00."),
        (3, "the refunded 30.00 USD is more than the sale's 29.00: check the Partial "
            "Refund ($) column."),
        (4, "the amount -29.00 USD or its refund is negative: check the Sale Price ($) "
            "column."),
        (5, "the time 'yesterday' is not a date"),
    ]  # fmt: skip
    assert refused[5][0] == 6 and "more decimals than USD has" in refused[5][1]


def test_custom_field_columns_and_a_purchase_without_an_id(tmp_path: Path) -> None:
    header = HEADER + ",Company,What do you want to learn?"
    rows = _read(tmp_path, header, sale(header, Purchase_ID=""))
    assert gumroad.recognises("", header.split(","))
    assert activity(rows)[0].key == "gumroad|ada@example.com|2024-05-01T14:03:22|Workbook"


def test_an_excel_resave_with_semicolons_in_windows_1252(tmp_path: Path) -> None:
    header = HEADER.replace(",", ";")
    rows = _read(
        tmp_path,
        header,
        sale(header, ";", Buyer_Name="Zoë", Sale_Price="29,5", Partial_Refund="0"),
        encoding="cp1252",
    )
    assert [(r.name, r.amount, r.refunded) for r in activity(rows)] == [
        ("Zoë", Decimal("29.50"), Decimal("0.00"))
    ]


def test_a_header_only_file_gives_nothing(tmp_path: Path) -> None:
    assert _read(tmp_path, HEADER) == []


def test_a_file_without_its_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="not a Gumroad sales export"):
        _read(tmp_path, "Purchase ID,Item Name,Email", "p1,Workbook,a@example.com")


def test_a_renamed_export_is_recognised_by_its_header(tmp_path: Path) -> None:
    renamed = write(tmp_path / "spring sales.csv", SAMPLE.read_bytes())
    [found] = plan_sources(renamed).activity
    assert found.platform == "gumroad"
    assert len(list(found.rows())) == 26


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_a_gumroad_export(path: Path) -> None:
    assert not gumroad.recognises("", headers_of(sources_for(path)[0]))


def test_the_other_activity_exports_are_not_gumroad_exports() -> None:
    others = [p for p in DATA.rglob("*") if p.suffix in (".csv", ".zip") and p != SAMPLE]
    assert DATA / "payments" / "unified_payments.csv" in others
    for path in others:
        for source in sources_for(path):
            assert not gumroad.recognises(source.member or "", headers_of(source)), path
    assert not stripe.recognises("", HEADER.split(","))


_BYTES = csv_bytes(
    [HEADER.encode(), HEADER.replace(",", ";").encode()],
    [[b"p1", b"Totals", b""], [b"Guide"], [b"Ada", b""], [b"a@b.co", b" "], [b""], [b"0", b"1"],
     [b"2024-03-01", b"x"], [b"2024-03-01 04:25:04 UTC", b"", b"soon"], [b"0.0"], [b"0.0"],
     [b""], [b"0.0"], [b"0.0", b"29.0", b"-1", b"abc", b"29,5"]],
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_BYTES, st.binary(max_size=200)))
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Source(write(Path(folder) / "f.csv", content))
        try:
            rows = list(gumroad.read(source, detect_decoding(source), ReadContext()))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert all(isinstance(r, ActivityRow | Rejected) for r in rows)
