"""What the import makes of sales: purchased yeses with exact money, refunds netted,
free products as downloads, buyers as contacts, refunds arriving later, and undo."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from crm.asking.asks import record_ask
from crm.book.leads import find_lead
from crm.book.sales import lead_revenue, lead_sales
from crm.book.timeline import get_timeline
from crm.importing.undo import undo_import
from crm.store.models import database_proxy

from .apply_helpers import run_activity, subscriber

DATA = Path(__file__).parents[3] / "data" / "activity" / "payments"
STRIPE = (
    "id,Description,Created (UTC),Amount,Amount Refunded,Currency,Status,Captured,"
    "Customer Description,Customer Email"
)


def stripe_csv(tmp_path: Path, rows: list[str], name: str = "payments.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([STRIPE, *rows]) + "\n", encoding="utf-8")
    return path


def count(table: str) -> int:
    return int(database_proxy.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_paid_sale_is_a_purchased_yes_with_its_money(db, now, tmp_path) -> None:
    lead_id = subscriber("ada@example.com", now)
    path = stripe_csv(
        tmp_path,
        [
            "ch_1,Coaching session,2026-05-01 10:00,120.00,0.00,eur,Paid,true,Ada,ada@example.com",
            "ch_2,Workbook,2026-05-02 10:00,5000,0,jpy,Paid,true,Ada,ada@example.com",
            "ch_3,Review,2026-05-03 10:00,49.00,9.50,usd,Paid,true,Ada,ADA@example.com",
        ],
    )
    report = run_activity(path, now)
    assert report.events == {"purchased": 3}
    assert report.revenue == {"EUR": 12000, "JPY": 5000, "USD": 3950}
    assert report.to_json()["revenue"] == {"EUR": "120.00", "JPY": "5000", "USD": "39.50"}
    assert lead_revenue(lead_id) == {"EUR": 12000, "JPY": 5000, "USD": 3950}
    assert find_lead("ada@example.com").step == "purchased"
    offers = database_proxy.execute_sql(
        "SELECT name, kind, price, currency FROM offer ORDER BY name"
    ).fetchall()
    assert offers == [
        ("Coaching session", "product", 12000, "EUR"),
        ("Review", "product", 4900, "USD"),
        ("Workbook", "product", 5000, "JPY"),
    ]
    purchase = next(i for i in get_timeline(lead_id) if i.offer == "Review")
    assert purchase.to_json()["amount"] == "49.00"
    assert purchase.to_json()["refunded"] == "9.50"
    assert purchase.to_json()["currency"] == "USD"


def test_a_sale_refunded_in_full_is_no_yes_but_stays_on_the_timeline(db, now, tmp_path) -> None:
    lead_id = subscriber("ada@example.com", now)
    path = stripe_csv(
        tmp_path,
        [
            "ch_1,Coaching session,2026-05-01 10:00,350.00,350.00,eur,Refunded,true,Ada,"
            "ada@example.com"
        ],
    )
    report = run_activity(path, now)
    assert report.events == {}
    assert report.skipped == {"refunded": 1}
    assert report.revenue == {}
    assert lead_revenue(lead_id) == {}
    assert find_lead("ada@example.com").step == "subscribed"
    refunded = [i for i in get_timeline(lead_id) if i.kind == "refunded"]
    assert len(refunded) == 1 and "Coaching session" in refunded[0].summary
    assert refunded[0].data["amount"] == "350.00"


def test_failed_and_unpaid_payments_are_skipped_and_counted(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    path = stripe_csv(
        tmp_path,
        [
            "ch_1,Coaching,2026-05-01 10:00,49.00,0.00,eur,Failed,false,Ada,ada@example.com",
            "ch_2,Coaching,2026-05-01 11:00,49.00,0.00,eur,Paid,true,Ada,ada@example.com",
        ],
    )
    report = run_activity(path, now)
    assert report.events == {"purchased": 1}
    assert report.skipped == {"failed": 1}


def test_bad_money_refuses_the_row_and_the_rest_imports(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    path = stripe_csv(
        tmp_path,
        [
            "ch_1,A,2026-05-01 10:00,12.345,0.00,usd,Paid,true,Ada,ada@example.com",
            "ch_2,A,2026-05-01 10:00,twelve,0.00,usd,Paid,true,Ada,ada@example.com",
            "ch_3,A,2026-05-01 10:00,12.00,0.00,xyz,Paid,true,Ada,ada@example.com",
            "ch_4,A,not a date,12.00,0.00,usd,Paid,true,Ada,ada@example.com",
            "ch_5,A,2026-05-01 10:00,12.00,0.00,usd,Paid,true,Ada,ada@example.com",
        ],
    )
    report = run_activity(path, now)
    assert report.rejected == 4
    assert report.events == {"purchased": 1}
    assert report.revenue == {"USD": 1200}
    assert all(e.reason for e in report.errors)


def test_a_buyer_not_in_the_book_becomes_a_contact_who_never_opted_in(db, now, tmp_path) -> None:
    path = stripe_csv(
        tmp_path,
        ["ch_1,Course,2026-05-01 10:00,99.00,0.00,gbp,Paid,true,Bo Buyer,bo@example.com"],
    )
    report = run_activity(path, now)
    assert report.created == 1
    lead = find_lead("bo@example.com")
    assert lead.status == "none"
    assert (lead.first_name, lead.last_name) == ("Bo", "Buyer")
    assert lead.step == "purchased"


def test_a_purchase_answers_the_pending_purchase_ask(db, now, tmp_path) -> None:
    lead_id = subscriber("ada@example.com", now)
    record_ask(lead_id, "purchased", at=now - dt.timedelta(days=2), now=now)
    path = stripe_csv(
        tmp_path,
        [
            f"ch_1,Course,{(now - dt.timedelta(days=1)):%Y-%m-%d %H:%M},99.00,0.00,gbp,Paid,"
            "true,Ada,ada@example.com"
        ],
    )
    report = run_activity(path, now)
    assert report.resolved_asks == 1
    outcome = database_proxy.execute_sql("SELECT outcome FROM ask").fetchone()[0]
    assert outcome == "accepted"


def test_reimport_adds_nothing_and_a_later_refund_takes_the_yes_back(db, now, tmp_path) -> None:
    lead_id = subscriber("ada@example.com", now)
    paid = "ch_1,Course,2026-05-01 10:00,100.00,0.00,eur,Paid,true,Ada,ada@example.com"
    first = run_activity(stripe_csv(tmp_path, [paid]), now)
    again = run_activity(stripe_csv(tmp_path, [paid], "again.csv"), now)
    assert again.events == {} and again.already_imported == 1 and again.revenue == {}
    partly = paid.replace("100.00,0.00,eur,Paid", "100.00,30.00,eur,Paid")
    later = run_activity(stripe_csv(tmp_path, [partly], "partly.csv"), now)
    assert later.refunds_applied == 1
    assert later.revenue == {"EUR": -3000}
    assert lead_revenue(lead_id) == {"EUR": 7000}
    whole = paid.replace("100.00,0.00,eur,Paid", "100.00,100.00,eur,Refunded")
    last = run_activity(stripe_csv(tmp_path, [whole], "whole.csv"), now)
    assert last.refunds_applied == 1
    assert lead_revenue(lead_id) == {}
    assert find_lead("ada@example.com").step == "subscribed"
    assert [s.commitment_id for s in lead_sales(lead_id)] == [None]
    # undoing the last import puts the yes back, with its revenue after the partial refund
    assert last.batch_id is not None and later.batch_id is not None
    undo_import(last.batch_id, now=now)
    assert find_lead("ada@example.com").step == "purchased"
    assert lead_revenue(lead_id) == {"EUR": 7000}
    undo_import(later.batch_id, now=now)
    assert lead_revenue(lead_id) == {"EUR": 10000}
    assert first.batch_id is not None
    undo_import(first.batch_id, now=now)
    assert count("sale") == count("refund") == 0
    assert count("offer") == 0  # the product the import made goes with it
    assert find_lead("ada@example.com").step == "subscribed"


def test_undo_takes_back_sales_and_the_contacts_they_made(db, now, tmp_path) -> None:
    sample = tmp_path / "unified_payments.csv"
    shutil.copy(DATA / "unified_payments.csv", sample)
    report = run_activity(sample, now)
    assert report.to_json()["revenue"] == {"EUR": "218.00", "GBP": "474.00", "USD": "848.00"}
    assert count("sale") == 16
    assert report.batch_id is not None
    undo_import(report.batch_id, now=now)
    assert count("sale") == count("refund") == count("lead") == count("commitment") == 0


def test_a_free_product_is_a_download_and_the_totals_row_no_sale(db, now, tmp_path) -> None:
    sample = tmp_path / "sales.csv"
    shutil.copy(DATA / "Sales_2024-03-01_2024-06-30.csv", sample)
    report = run_activity(sample, now)
    assert report.events == {"downloaded": 16, "purchased": 8}
    assert report.skipped == {"refunded": 1, "totals_row": 1}
    assert report.to_json()["revenue"] == {"USD": "753.00"}
    kinds = dict(database_proxy.execute_sql("SELECT name, kind FROM offer").fetchall())
    assert kinds["Pricing checklist (free)"] == ""
    assert kinds["Launch workbook"] == "product"


CALENDLY = (
    "Invitee Name,Invitee Email,Event Type Name,Start Date & Time,End Date & Time,"
    "Event Created Date & Time,Canceled,Invitee UUID"
)


def calendly_csv(tmp_path: Path, rows: list[str], name: str) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([CALENDLY, *rows]) + "\n", encoding="utf-8")
    return path


def test_a_booking_is_booked_and_its_later_cancellation_takes_the_yes_back(
    db, now, tmp_path
) -> None:
    lead_id = subscriber("ada@example.com", now)
    booked = (
        "Ada,ada@example.com,Strategy session,2026-05-10 02:00 pm,2026-05-10 02:45 pm,"
        "2026-05-01 09:30 am,false,inv-1"
    )
    first = run_activity(calendly_csv(tmp_path, [booked], "a.csv"), now, zone="Europe/Berlin")
    assert first.events == {"booked": 1}
    assert find_lead("ada@example.com").step == "booked"
    offer = database_proxy.execute_sql("SELECT name, kind FROM offer").fetchall()
    assert offer == [("Strategy session", "call")]
    when = database_proxy.execute_sql("SELECT booked_at, starts_at FROM booking").fetchone()
    assert [str(w) for w in when] == ["2026-05-01 07:30:00", "2026-05-10 12:00:00"]  # UTC
    yes = next(i for i in get_timeline(lead_id) if i.kind == "commitment" and i.step == "booked")
    assert yes.to_json()["starts_at"] == "2026-05-10T12:00:00Z"
    canceled = booked.replace(",false,", ",true,")
    later = run_activity(calendly_csv(tmp_path, [canceled], "b.csv"), now, zone="Europe/Berlin")
    assert later.cancellations_applied == 1 and later.events == {}
    assert find_lead("ada@example.com").step == "subscribed"
    assert [i.kind for i in get_timeline(lead_id)].count("canceled") == 1
    assert later.batch_id is not None
    undo_import(later.batch_id, now=now)
    assert find_lead("ada@example.com").step == "booked"
    assert database_proxy.execute_sql("SELECT canceled FROM booking").fetchone()[0] == 0


def test_a_canceled_booking_of_someone_unknown_makes_no_contact(db, now, tmp_path) -> None:
    row = (
        "Cy,cy@example.com,Strategy session,2026-05-10 02:00 pm,2026-05-10 02:45 pm,"
        "2026-05-01 09:30 am,true,inv-9"
    )
    report = run_activity(calendly_csv(tmp_path, [row], "c.csv"), now, zone="UTC")
    assert report.skipped == {"canceled": 1}
    assert report.created == 0 and count("lead") == 0
