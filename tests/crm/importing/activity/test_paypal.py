"""PayPal activity download: sales, their refunds, and every row that is no sale."""

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

US = PAYMENTS / "Download.CSV"
EU = PAYMENTS / "Download-EU.CSV"
HEADER = (
    "Date,Time,TimeZone,Name,Type,Status,Currency,Gross,Fee,Net,From Email Address,"
    "To Email Address,Transaction ID,Item Title,Reference Txn ID,Subject\n"
)
OWNER = "me@shop.example"


@pytest.fixture(scope="module")
def us() -> list[ActivityRow | Rejected]:
    return read_recognised(paypal, US)[""]


@pytest.fixture(scope="module")
def eu() -> list[ActivityRow | Rejected]:
    return read_recognised(paypal, EU)[""]


def _by_id(rows: list[ActivityRow | Rejected]) -> dict[str, ActivityRow]:
    return {r.source_id: r for r in activity(rows)}


def test_the_us_sample(us) -> None:
    # 16 rows: 5 sales, a refund of a sale not in the file, a refund and a chargeback
    # applied to theirs, and 8 rows that are no sale.
    assert len(us) == 16
    assert by_action(us) == {"purchased": 5, "refunded": 1}
    assert reasons(us) == {
        "refund_applied": 2,
        "not_a_sale": 5,  # two conversions, a withdrawal, the owner's own bill, a hold
        "not_paid": 1,
        "failed": 1,
        NO_EMAIL: 1,
    }
    # 1,234.00 + (49.00 - 20.00) + 15.00; the 120.00 sale was charged back in full.
    assert revenue(us) == {"USD": Decimal("1278.00"), "EUR": Decimal("35.00")}
    assert {r.platform for r in activity(us)} == {"paypal"}
    assert not any(r.at_is_local for r in activity(us))
    assert len({r.key for r in activity(us)}) == 6


def test_a_sale_and_its_folded_refund(us) -> None:
    sale = _by_id(us)["3MW12265BH827624L"]
    assert (sale.row, sale.action, sale.email, sale.name) == (
        2,
        Action.PURCHASED,
        "chidi.okafor@example.ng",
        "Chidi Okafor",
    )
    assert sale.at == dt.datetime(2024, 5, 3, 18, 2, 9)  # 11:02:09 PDT
    assert (sale.amount, sale.refunded, sale.currency) == (
        Decimal("49.00"),
        Decimal("20.00"),
        "USD",
    )
    assert (sale.product, sale.key) == ("Pricing Workbook", "paypal|3MW12265BH827624L")
    assert Rejected("", 3, "refund_applied") in us
    assert _by_id(us)["7KJ40817VX553140A"].amount == Decimal("1234.00")  # "1,234.00"
    assert _by_id(us)["2GH45678IJ901234H"].product == "Monthly membership"  # its Subject
    charged_back = _by_id(us)["6TB13579MM2468024"]
    assert (charged_back.amount, charged_back.refunded) == (Decimal("120.00"), Decimal("120.00"))


def test_a_refund_of_a_sale_not_in_the_file_is_its_own_row(us) -> None:
    (refund,) = [r for r in activity(us) if r.action is Action.REFUNDED]
    assert (refund.row, refund.email, refund.refunded, refund.currency) == (
        5,
        "ben.hall@example.co.uk",  # the buyer, not the owner who sent it
        Decimal("29.00"),
        "USD",
    )
    assert refund.amount is None
    assert (refund.source_id, refund.key) == ("0AB98765CD432109E", "paypal|5RX08356LL3370622")
    assert refund.at == dt.datetime(2024, 5, 5, 23, 20)


def test_the_european_sample_with_the_newer_header(eu) -> None:
    assert len(eu) == 7
    assert by_action(eu) == {"purchased": 4}
    assert reasons(eu) == {"refund_applied": 1, "not_a_sale": 1, "not_paid": 1}
    # 35,82 + (1.234,00 - 100,00) + 49,00
    assert revenue(eu) == {"EUR": Decimal("1218.82"), "GBP": Decimal("12.00")}
    sales = _by_id(eu)
    winter, summer = sales["5LF10293AB8475610"], sales["8SR56473CD0192837"]
    assert (winter.at, winter.amount) == (dt.datetime(2024, 1, 3, 9, 15), Decimal("35.82"))  # CET
    assert (summer.at, summer.refunded) == (dt.datetime(2024, 5, 2, 12, 3, 22), Decimal("100.00"))
    unknown_zone = sales["3KS90909MN1122334"]
    assert (unknown_zone.at, unknown_zone.at_is_local) == (dt.datetime(2024, 5, 23, 19, 30), True)
    assert not any(r.at_is_local for r in activity(eu) if r is not unknown_zone)


def _read(tmp_path: Path, body: str, header: str = HEADER, encoding: str = "utf-8-sig") -> list:
    path = write(tmp_path / "Download.CSV", header + body, encoding)
    return read_source(paypal, Source(path))


def _line(
    when: str, who: str, kind: str, status: str, money: str, sender: str, receiver: str, ids: str
) -> str:
    """A row of HEADER: ``when`` date and zone, ``money`` currency and gross (net the same),
    ``ids`` transaction id, item title and reference."""
    date, zone = when.split()
    currency, gross = money.split()
    txn, item, reference = ids.split(",")
    return (
        f"{date},10:00:00,{zone},{who},{kind},{status},{currency},{gross},0,{gross},{sender},"
        f"{receiver},{txn},{item},{reference},\n"
    )


def _sale(date: str, zone: str, gross: str, txn: str, currency: str = "EUR") -> str:
    return _line(
        f"{date} {zone}", "Ann", "Website Payment", "Completed", f"{currency} {gross}",
        "a@x.com", OWNER, f"{txn},Guide,",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "day"),
    [
        (["03/04/2024", "14/04/2024"], dt.date(2024, 4, 3)),  # a day over 12, in another row
        (["03/04/2024", "04/14/2024"], dt.date(2024, 3, 4)),
    ],
)
def test_a_day_over_12_decides_the_date_order(tmp_path, rows, day) -> None:
    body = "".join(_sale(d, "UTC", "5.00", f"T{i}") for i, d in enumerate(rows))
    assert activity(_read(tmp_path, body))[0].at.date() == day


@pytest.mark.parametrize(
    ("zone", "gross", "day"),
    [
        ("UTC", '"35,82"', dt.date(2024, 4, 3)),  # a comma decimal mark: day first
        ("PST", "35.82", dt.date(2024, 3, 4)),
        ("GMT", "35.82", dt.date(2024, 4, 3)),
    ],
)
def test_without_such_a_day_the_mark_or_the_zone_decides(tmp_path, zone, gross, day) -> None:
    (sale,) = activity(_read(tmp_path, _sale("03/04/2024", zone, gross, "T1")))
    assert (sale.at.date(), sale.amount) == (day, Decimal("35.82"))


def test_when_nothing_decides_the_date_is_refused(tmp_path) -> None:
    rows = _read(tmp_path, _sale("03/04/2024", "UTC", "5.00", "T1"))
    assert rows == [
        Rejected("", 1, "the time '03/04/2024 10:00:00' could be day/month or month/day")
    ]


def test_time_zones() -> None:
    assert paypal.zone_offset("PST") == -480
    assert paypal.zone_offset("cest") == 120
    assert paypal.zone_offset("GMT+05:30") == 330
    assert paypal.zone_offset("UTC-3") == -180
    assert paypal.zone_offset("IST") is None  # India, Ireland or Israel
    assert paypal.zone_offset("") is None


def test_refunds_that_cannot_be_folded_and_statuses(tmp_path) -> None:
    rows = _read(
        tmp_path,
        _sale("05/14/2024", "EDT", "50.00", "S1", "USD")
        + _line("05/15/2024 EDT", "Ann", "Payment Refund", "Completed", "EUR -10.00",
                OWNER, "a@x.com", "R1,,S1")
        + _line("05/15/2024 EDT", "Ann", "Payment Refund", "Completed", "USD -30.00",
                OWNER, "a@x.com", "R2,,S1")
        + _line("05/15/2024 EDT", "Ann", "Payment Refund", "Completed", "USD -30.00",
                OWNER, "a@x.com", "R3,,S1")
        + _line("05/15/2024 EDT", "Ann", "Payment Refund", "Completed", "USD -5.00",
                OWNER, "a@x.com", "R4,,")
        + _line("05/15/2024 EDT", "Shop", "Payment Refund", "Completed", "USD 8.00",
                "s@shop.example", OWNER, "R5,,X9")
        + _line("05/16/2024 EDT", "Bo", "Website Payment", "Refunded", "USD 20.00",
                "b@x.com", OWNER, "S2,Course,")
        + _line("05/16/2024 EDT", "Cy", "Website Payment", "Reversed", "USD 70.00",
                "c@x.com", OWNER, "S3,Call,")
        + _line("05/16/2024 EDT", "Di", "Website Payment", "Unclaimed", "USD 9.00",
                "d@x.com", OWNER, "S4,Call,")
        + _line("05/16/2024 EDT", "Ed", "Website Payment", "Teleported", "USD 9.00",
                "e@x.com", OWNER, "S5,Call,"),
    )  # fmt: skip
    sales = {r.source_id: r for r in activity(rows) if r.action is Action.PURCHASED}
    # Two refunds of 30.00 on a 50.00 sale: refunded up to its gross.
    assert (sales["S1"].amount, sales["S1"].refunded) == (Decimal("50.00"), Decimal("50.00"))
    assert sales["S1"].at == dt.datetime(2024, 5, 14, 14, 0)  # EDT
    assert (sales["S2"].refunded, sales["S3"].refunded) == (Decimal("20.00"), Decimal("70.00"))
    # A refund in another currency than its sale cannot be netted against it.
    (other,) = [r for r in activity(rows) if r.action is Action.REFUNDED]
    assert (other.row, other.refunded, other.currency, other.source_id, other.email) == (
        2,
        Decimal("10.00"),
        "EUR",
        "S1",
        "a@x.com",
    )
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 3, "refund_applied"),
        Rejected("", 4, "refund_applied"),
        Rejected("", 5, paypal.NO_REFERENCE),
        Rejected("", 6, "not_a_sale"),  # a refund the owner received
        Rejected("", 9, "not_paid"),
        Rejected(
            "",
            10,
            "the status 'Teleported' is not one PayPal writes (Completed, Pending, Denied...): "
            "check the 'Status' column.",
        ),
    ]


def test_each_bad_row_is_refused_while_the_rest_reads(tmp_path) -> None:
    rows = _read(
        tmp_path,
        _sale("05/14/2024", "PDT", "12.3.4", "B1", "USD")
        + _sale("05/14/2024", "PDT", "5.00", "B2", "DOLLARS")
        + _sale("13/13/2024", "PDT", "5.00", "B3", "USD")
        + _sale("05/14/2024", "PDT", "5.00", "B4", "USD")
        + _sale("05/14/2024", "PDT", "5.00", "B4", "USD")  # an exact duplicate: the same key
        + _sale("05/14/2024", "PDT", "6.00", "", "USD")  # no transaction id
        + ",,,,,,,1245.00,-3.10,1241.90,,,,,,\n"
        + "Total,,,,,,USD,1245.00,,,,,,,,\n",
    )
    assert [r for r in rows if isinstance(r, Rejected)] == [
        Rejected("", 1, "'12.3.4' is not an amount of money: write it like 19.00 or 19,00."),
        Rejected("", 2, NOT_A_CURRENCY),
        Rejected("", 3, "the time '13/13/2024 10:00:00' is not a date"),
        Rejected("", 7, "totals_row"),
        Rejected("", 8, "totals_row"),
    ]
    keys = [r.key for r in activity(rows)]
    assert keys == ["paypal|B4", "paypal|B4", "paypal|05/14/2024 10:00:00|a@x.com|6.00"]


def test_a_file_without_its_columns_is_refused(tmp_path) -> None:
    with pytest.raises(ImportFormatError, match="not a PayPal activity download"):
        _read(tmp_path, "x,y\n", header="Type,Status\n")
    assert _read(tmp_path, "") == []


def test_both_header_generations_are_recognised_whatever_the_file_is_called(tmp_path) -> None:
    renamed = shutil.copy(US, tmp_path / "paypal may.csv")
    assert paypal.recognises("", headers_of(Source(Path(renamed))))
    assert paypal.recognises("", headers_of(Source(EU)))  # Amount, Fees, Total, "Time zone"
    assert paypal.recognises("", header_line(OTHER_HEADERS["paypal"]))
    personal = '"Date","Time","TimeZone","Name","Type","Status","Currency","Amount","Fees","Total"'
    assert paypal.recognises("", header_line(personal))
    plan = detect.plan_sources(Path(renamed))
    assert [(a.platform, a.reader) for a in plan.activity] == [("paypal", paypal)]
    assert not shopify.recognises("", headers_of(Source(US)))


@pytest.mark.parametrize("name", sorted(set(OTHER_HEADERS) - {"paypal"}))
def test_another_platforms_header_is_not_taken_for_paypal(name: str) -> None:
    assert not paypal.recognises("", header_line(OTHER_HEADERS[name]))


@pytest.mark.parametrize("path", SUBSCRIBER_EXPORTS, ids=lambda p: p.name)
def test_no_subscriber_export_is_taken_for_paypal(path: Path) -> None:
    assert not paypal.recognises("", headers_of(sources_for(path)[0]))


_BYTES = csv_bytes(
    [HEADER.strip().encode(), HEADER.strip().replace(",", ";").encode()],
    [[b"05/14/2024", b"14/05/2024", b"03/04/2024", b"31/12/9999", b"01/01/0001", b"Total", b""],
     [b"10:00:00", b""], [b"PST", b"CEST", b"IST", b"GMT+14:00", b""], [b"Ann"],
     [b"Website Payment", b"Payment Refund", b"General Withdrawal", b"?"],
     [b"Completed", b"Pending", b"Refunded", b""], [b"USD", b"XXX"],
     [b"5.00", b"-5.00", b'"1,234.00"', b'"35,82"', b"x"], [b"0"], [b"5.00"],
     [b"a@b.co", b""], [OWNER.encode(), b""], [b"T1", b"T2", b""], [b"Guide"], [b"T1", b""],
     [b"Subject"]],
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_BYTES, st.sampled_from([US.read_bytes(), EU.read_bytes()])))
def test_arbitrary_bytes_give_rows_or_an_import_error(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = Source(write(Path(folder) / "f.csv", content))
        try:
            rows = list(paypal.read(source, detect_decoding(source), ReadContext()))
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert all(isinstance(r, ActivityRow | Rejected) for r in rows)
