"""A shop Smallyes has no reader for, imported as a generic activity file with its money
columns mapped (the import window's mapping, ``smallyes-cli import --map``): revenue per
currency exact, refunds and failed or pending orders skipped, next month's export refunding
what was refunded since, bookings with their meeting, and bad rows refused alone."""

from __future__ import annotations

import json
from pathlib import Path

from crm.book.leads import find_lead
from crm.book.sales import lead_bookings, lead_revenue, lead_sales
from crm.book.timeline import get_timeline
from crm.cli import main
from crm.errors import NotFoundError
from crm.importing import ImportOptions, import_csv
from crm.importing.activity.report import ActivityReport
from crm.importing.mapping import ColumnMap, Target
from crm.importing.undo import undo_import

from .apply_helpers import subscriber
from .shops_support import NOT_A_CURRENCY

ORDERS = (
    Path(__file__).resolve().parents[3]
    / "data"
    / "activity"
    / "generic"
    / ("lemon-squeezy-orders.csv")
)
HEADER = "order_number,user_email,user_name,status,total,currency,refunded_amount,created_at"
TARGETS = {
    "order_number": Target.ORDER,
    "user_email": Target.EMAIL,
    "status": Target.ACTION,
    "total": Target.AMOUNT,
    "currency": Target.CURRENCY,
    "refunded_amount": Target.REFUNDED,
    "created_at": Target.TIME,
}
MAP = ("--map", "email=user_email", "--map", "time=created_at", "--map", "action=status",
       "--map", "amount=total", "--map", "currency=currency", "--map", "refunded=refunded_amount",
       "--map", "order=order_number")  # fmt: skip


def known(email: str) -> bool:
    try:
        find_lead(email)
    except NotFoundError:
        return False
    return True


def mapped(header: str, targets: dict[str, Target]) -> tuple[ColumnMap, ...]:
    """The mapping an owner makes in the window: each named column where it goes."""
    return tuple(
        ColumnMap(i, h, targets.get(h, Target.IGNORE)) for i, h in enumerate(header.split(","))
    )


def run(path: Path, now, header: str = HEADER, targets=TARGETS) -> ActivityReport:
    report = import_csv(path, ImportOptions(mapping=mapped(header, targets)), now=now)
    assert isinstance(report, ActivityReport), "imported as a list of people"
    return report


def test_a_lemon_squeezy_orders_file_imports_its_sales_per_currency(db, now) -> None:
    ada = subscriber("ada@example.com", now)
    report = run(ORDERS, now)
    assert report.platform == "generic_activity"
    assert report.events == {"purchased": 5}
    assert report.skipped == {"refunded": 1, "failed": 1, "not_paid": 1}
    assert report.rejected == 0
    assert report.revenue == {"EUR": 131899, "GBP": 10000, "JPY": 5000, "USD": 4900}
    assert report.to_json()["revenue"] == {
        "EUR": "1318.99",
        "GBP": "100.00",
        "JPY": "5000",
        "USD": "49.00",
    }
    # the buyers nobody knew are contacts; the failed and pending orders made none
    assert report.created == 4
    assert not known("eve@example.com") and not known("fay@example.com")
    assert lead_revenue(ada) == {"JPY": 5000, "USD": 4900}
    assert find_lead("ada@example.com").step == "purchased"
    cy = find_lead("cy@example.com")
    (refunded,) = lead_sales(cy.id)
    assert (refunded.commitment_id, refunded.words) == (None, "$29.00, refunded")
    (partial,) = lead_sales(find_lead("dee@example.com").id)
    assert partial.words == "£120.00, £20.00 refunded"
    assert cy.step != "purchased"


def test_next_months_export_adds_new_orders_and_refunds_the_refunded(db, now, tmp_path) -> None:
    first = run(ORDERS, now)
    lines = ORDERS.read_text(encoding="utf-8").splitlines()
    june = [
        line.replace(",paid,49.00,USD,0.00,", ",refunded,49.00,USD,49.00,")
        if line.startswith("1001,")
        else line.replace(",pending,", ",paid,")
        for line in lines
    ]
    path = tmp_path / "orders-june.csv"
    path.write_text("\n".join(june) + "\n", encoding="utf-8")
    later = run(path, now)
    assert later.events == {"purchased": 1}  # order 1006, paid since
    # order 1006's 49.00 USD in, order 1001's 49.00 USD refunded: nothing left to show
    assert later.refunds_applied == 1 and later.revenue == {}
    assert later.already_imported == 6
    assert lead_revenue(find_lead("ada@example.com").id) == {"JPY": 5000}
    assert later.batch_id is not None and first.batch_id is not None
    undo_import(later.batch_id, now=now)
    assert lead_revenue(find_lead("ada@example.com").id) == {"JPY": 5000, "USD": 4900}


def test_a_refund_row_of_its_own_refunds_the_order_it_names(db, now, tmp_path) -> None:
    run(ORDERS, now)
    refunds = tmp_path / "refunds.csv"
    refunds.write_text(
        "order,email,what,refunded,date\n"
        "1002,bo@example.com,Erstattung,299.00,2026-05-20\n"
        "9999,bo@example.com,refund,5.00,2026-05-21\n",
        encoding="utf-8",
    )
    targets = {"order": Target.ORDER, "email": Target.EMAIL, "what": Target.ACTION,
               "refunded": Target.REFUNDED, "date": Target.TIME}  # fmt: skip
    report = run(refunds, now, "order,email,what,refunded,date", targets)
    assert report.refunds_applied == 1 and report.revenue == {"EUR": -29900}
    assert report.skipped == {"refund_unmatched": 1}
    (sale,) = lead_sales(find_lead("bo@example.com").id)
    assert sale.words == "€1,299.00, €299.00 refunded"


def test_bad_amounts_and_currencies_are_refused_and_the_rest_imports(db, now, tmp_path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        f"{HEADER}\n"
        "1,ada@example.com,Ada,paid,19.00,EUR,0,2026-05-01T10:00:00Z\n"
        "2,bo@example.com,Bo,paid,nineteen,EUR,0,2026-05-01T10:00:00Z\n"
        "3,cy@example.com,Cy,paid,19.00,DOLLARS,0,2026-05-01T10:00:00Z\n"
        "4,dee@example.com,Dee,paid,19.999,USD,0,2026-05-01T10:00:00Z\n"
        "5,eve@example.com,Eve,paid,7.50,usd,0,2026-05-02T10:00:00Z\n",
        encoding="utf-8",
    )
    report = run(path, now)
    assert report.events == {"purchased": 2}
    assert report.revenue == {"EUR": 1900, "USD": 750}
    assert report.rejected == 3
    assert [(e.row, e.reason) for e in report.errors] == [
        (2, "orders.csv: 'nineteen' is not an amount of money: write it like 19.00 or 19,00."),
        (3, f"orders.csv: {NOT_A_CURRENCY}"),
        (4, "orders.csv: 19.999 USD has more decimals than USD has (2): check the amount column."),
    ]
    assert not known("bo@example.com")


def test_bookings_mapped_by_the_owner_keep_their_meeting(db, now, tmp_path) -> None:
    lead_id = subscriber("ada@example.com", now)
    bo = subscriber("bo@example.com", now)
    path = tmp_path / "bookings.csv"
    header = "email,booked,status,event,id,meeting"
    path.write_text(
        f"{header}\n"
        "ada@example.com,2026-05-01T09:00:00Z,booked,Strategy session,bk-1,2026-05-10T14:00:00Z\n"
        "bo@example.com,2026-05-02T09:00:00Z,booked,Intro call,bk-2,2026-05-11T10:00:00Z\n"
        "bo@example.com,2026-05-03T09:00:00Z,canceled,Intro call,bk-2,2026-05-11T10:00:00Z\n",
        encoding="utf-8",
    )
    targets = {"email": Target.EMAIL, "booked": Target.TIME, "status": Target.ACTION,
               "event": Target.PRODUCT, "id": Target.ORDER, "meeting": Target.STARTS}  # fmt: skip
    report = run(path, now, header, targets)
    assert report.events == {"booked": 1}
    # bo's booking is canceled further on in the file: one canceled booking, no yes
    assert report.skipped == {"canceled": 1, "cancel_applied": 1}
    (booking,) = lead_bookings(lead_id)
    assert (booking.event_type, booking.starts_at.isoformat()) == (
        "Strategy session",
        "2026-05-10T14:00:00",
    )
    assert find_lead("ada@example.com").step == "booked"
    (canceled,) = lead_bookings(bo)
    assert canceled.canceled and canceled.commitment_id is None
    assert find_lead("bo@example.com").step == "subscribed"
    assert "canceled" in [i.kind for i in get_timeline(bo)]


def _cli(capsys, db_path: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_maps_the_money_columns(db, db_path, capsys) -> None:
    code, out, err = _cli(capsys, db_path, "import", str(ORDERS), *MAP, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["kind"] == "activity" and report["events"] == {"purchased": 5}
    assert report["revenue"] == {"EUR": "1318.99", "GBP": "100.00", "JPY": "5000", "USD": "49.00"}
    assert report["skipped"] == {"failed": 1, "not_paid": 1, "refunded": 1}
    # a status column named as such is the action too; the same orders add nothing
    again = [a.replace("action=status", "status=status") for a in MAP]
    code, out, err = _cli(capsys, db_path, "import", str(ORDERS), *again, "--json")
    assert code == 0, err
    assert json.loads(out)["already_imported"] == 6
    # the sale fields are named in the refusal of a field that is none
    code, _, err = _cli(capsys, db_path, "import", str(ORDERS), "--map", "price=total")
    assert code == 1 and "'price' is not a field" in err
    assert all(f in err for f in ("amount", "currency", "refunded", "order", "starts"))
    code, _, err = _cli(capsys, db_path, "import", str(ORDERS), "--map", "amount=Total Paid")
    assert code == 1 and "has no column 'Total Paid'" in err


def test_the_cli_refuses_amounts_without_a_currency_column(db, db_path, capsys) -> None:
    # the proposal sends the currency column where it goes: the owner sets it to Ignore
    no_currency = [a.replace("currency=currency", "ignore=currency") for a in MAP]
    code, _, err = _cli(capsys, db_path, "import", str(ORDERS), *no_currency)
    assert code == 1
    assert (
        "lemon-squeezy-orders.csv has amounts in column 'total' but no currency column: map "
        "the column that says each sale's currency (EUR, USD...)."
    ) in err
