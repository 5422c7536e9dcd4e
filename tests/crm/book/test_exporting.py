"""CSV export (formula-safe, importable again) and the per-lead data export."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from crm.asking.asks import record_ask
from crm.book.exporting import escape_cell, export_leads_csv, lead_data, write_lead_data
from crm.book.leads import LeadQuery, LeadRow, add_lead, list_leads, set_status
from crm.book.timeline import add_note, record_commitment
from crm.errors import OperationCancelled, ValidationError
from crm.importing import import_csv
from crm.jobs import CancelToken
from crm.safety.forget import forget_lead
from crm.store.db import close_database, open_database
from tests.crm.safety_helpers import add_people


def _read(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_every_dangerous_prefix_is_escaped(prefix: str) -> None:
    assert escape_cell(f"{prefix}1+2") == f"'{prefix}1+2"


@pytest.mark.parametrize(
    "text", ["Ann", "", "1+2", "ann@example.com", " =1", "'quoted", "a; b", "Lee, Jr.", "a;b=c"]
)
def test_ordinary_cells_are_left_alone(text: str) -> None:
    assert escape_cell(text) == text


def test_the_file_holds_escaped_cells_and_an_importable_header(db, tmp_path, now) -> None:
    add_lead(
        "evil@example.com",
        first_name='=HYPERLINK("http://x.example","click")',
        last_name="@SUM(A1)",
        company="-2+3",
        phone="+44 20 7946 0000",
        notes="-- call back",
        tags=["vip", "=cmd"],
        custom={"-city": "\tBerlin"},
        now=now,
    )
    out = tmp_path / "leads.csv"
    assert export_leads_csv(out) == 1

    header, row = _read(out)
    assert header == [
        "email", "first_name", "last_name", "status", "step", "level", "last_yes", "last_ask",
        "tags", "company", "phone", "source", "created_at", "notes", "'-city",
    ]  # fmt: skip
    record = dict(zip(header, row, strict=True))
    assert record["first_name"] == '\'=HYPERLINK("http://x.example","click")'
    assert record["last_name"] == "'@SUM(A1)"
    assert record["company"] == "'-2+3"
    assert record["phone"] == "'+44 20 7946 0000"
    assert record["notes"] == "'-- call back"
    assert record["tags"] == "'=cmd; vip"
    assert record["'-city"] == "'\tBerlin"
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_excel_option_adds_a_byte_order_mark(db, tmp_path, now) -> None:
    add_lead("zoë@example.com", first_name="Zoë", now=now)
    out = tmp_path / "excel.csv"
    export_leads_csv(out, excel=True)
    assert out.read_bytes().startswith(b'\xef\xbb\xbf"email",')
    assert _read(out, "utf-8-sig")[1][:2] == ["zoë@example.com", "Zoë"]


def test_export_follows_the_list_query_and_skips_erased_leads(db, tmp_path, now) -> None:
    add_people(3, now)
    add_lead("vip@example.com", tags=["VIP"], now=now)
    gone = add_lead("gone@example.com", tags=["VIP"], now=now)
    forget_lead(gone.id)

    everyone, vips = tmp_path / "all.csv", tmp_path / "vip.csv"
    assert export_leads_csv(everyone) == 4
    assert export_leads_csv(vips, LeadQuery(tag="vip")) == 1
    assert [r[0] for r in _read(vips)[1:]] == ["vip@example.com"]
    assert b"erased" not in everyone.read_bytes()


def test_a_cancelled_export_leaves_no_file(db, tmp_path, now) -> None:
    add_people(1200, now)
    token = CancelToken()
    token.cancel()
    out = tmp_path / "x.csv"
    with pytest.raises(OperationCancelled):
        export_leads_csv(out, cancel=token)
    assert list(tmp_path.glob("*x.csv*")) == []


def test_export_to_a_folder_is_refused(db, tmp_path) -> None:
    with pytest.raises(ValidationError, match="folder"):
        export_leads_csv(tmp_path)


def _comparable(lead: LeadRow) -> tuple:
    """What an export carries. The importer adds to a lead on its own: the raw text of
    the status and date columns as custom fields, source "csv", and a subscribe yes for a
    subscribed lead; those are compared separately."""
    return (
        lead.email, lead.first_name, lead.last_name, lead.company, lead.phone, lead.status,
        lead.tags, lead.notes, lead.created_at,
    )  # fmt: skip


def _custom_kept(before: list[LeadRow], after: list[LeadRow]) -> bool:
    return all(
        {k: a.custom.get(k) for k in b.custom} == b.custom
        for b, a in zip(before, after, strict=True)
    )


def _round_trip(tmp_path: Path, db_path: Path, db, now) -> tuple[list[LeadRow], list[LeadRow]]:
    before = list_leads()
    out = tmp_path / "export.csv"
    export_leads_csv(out, excel=True)
    close_database(db)
    other = open_database(tmp_path / "other.db")
    try:
        report = import_csv(out, now=now)
        assert report.rejected == 0
        return before, list_leads()
    finally:
        close_database(other)
        open_database(db_path)


def test_exported_leads_import_back_unchanged(db, db_path, tmp_path, now) -> None:
    add_lead(
        "Ann.Lee@Example.com",
        first_name="Ann",
        last_name="Lee, Jr.",
        company='Lee "Bakes" & Co',
        phone="0049 30 1234",
        notes="Met at the fair.\nWants the guide.",
        tags=["Workshop, Spring 2024", "vip"],
        custom={"City": "Zürich", "Plan": "gold"},
        now=now,
    )
    add_lead("bob@example.com", first_name="Bob", status="subscribed", now=now)
    add_lead("cy@example.com", status="unsubscribed", now=now)

    before, after = _round_trip(tmp_path, db_path, db, now)

    assert [_comparable(r) for r in after] == [_comparable(r) for r in before]
    assert _custom_kept(before, after)


def test_escaped_cells_import_back_unchanged(db, db_path, tmp_path, now) -> None:
    add_lead("dee@example.com", phone="+44 20 7946 0000", last_name="-Dash", now=now)
    before, after = _round_trip(tmp_path, db_path, db, now)
    assert [_comparable(r) for r in after] == [_comparable(r) for r in before]


def test_lead_data_holds_everything_about_the_person(db, tmp_path, now) -> None:
    lead = add_lead(
        "kim@example.com", first_name="Kim", phone="+1 555", tags=["vip"], custom={"k": "v"},
        now=now,
    )  # fmt: skip
    record_commitment(lead.id, "subscribed", at=now, now=now, note="from the fair")
    record_ask(lead.id, "downloaded", at=now, now=now, note="sent the guide link")
    add_note(lead.id, "likes pottery", at=now)
    set_status(lead.id, "unsubscribed", now=now)

    path = write_lead_data(lead.id, tmp_path / "kim.json")

    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == lead_data(lead.id)
    assert data["lead"]["email"] == "kim@example.com"
    assert data["lead"]["phone"] == "+1 555"  # JSON is not a spreadsheet: no escaping
    assert data["lead"]["tags"] == ["vip"] and data["lead"]["custom"] == {"k": "v"}
    kinds = sorted(item["kind"] for item in data["timeline"])
    assert kinds == ["ask", "commitment", "note", "status", "status"]
    text = json.dumps(data)
    for fact in ("from the fair", "sent the guide link", "likes pottery"):
        assert fact in text


def test_a_long_list_is_exported_whole_and_in_the_list_order(db, tmp_path, now, monkeypatch):
    import crm.book.exporting

    monkeypatch.setattr(crm.book.exporting, "PAGE_ROWS", 7)  # several pages, with tied names
    add_people(30, now)
    query = LeadQuery(search="person")
    out = tmp_path / "all.csv"
    assert export_leads_csv(out, query) == 30
    assert [r[0] for r in _read(out)[1:]] == [lead.email for lead in list_leads(query)]


# --- what a mailing needs, first ------------------------------------------------------------


def test_the_export_leads_with_what_a_mailing_needs(db, tmp_path, now) -> None:
    lead = add_lead(
        "ann@example.com",
        first_name="Ann",
        last_name="Lee",
        company="Lee Bakes",
        tags=["vip"],
        status="subscribed",
        source="mailchimp",
        custom={f"MERGE{i}": f"v{i}" for i in range(120)},
        now=now,
    )
    record_commitment(lead.id, "subscribed", at=dt.datetime(2026, 3, 1, 9), now=now)
    record_commitment(lead.id, "downloaded", at=dt.datetime(2026, 5, 2, 23, 30), now=now)
    record_ask(lead.id, "answered", at=dt.datetime(2026, 6, 1, 8), now=now)
    add_lead("bob@example.com", now=now)
    out = tmp_path / "leads.csv"
    export_leads_csv(out)

    header, *rows = _read(out)
    ann, bob = sorted(rows)
    assert header[:14] == [
        "email", "first_name", "last_name", "status", "step", "level", "last_yes", "last_ask",
        "tags", "company", "phone", "source", "created_at", "notes",
    ]  # fmt: skip
    assert header[14:] == sorted(f"MERGE{i}" for i in range(120))  # custom fields after
    record = dict(zip(header, ann, strict=True))
    assert record["status"] == "subscribed"
    assert (record["step"], record["level"]) == ("Downloaded", "3")
    assert (record["last_yes"], record["last_ask"]) == ("2026-05-02", "2026-06-01")
    assert (record["tags"], record["source"]) == ("vip", "mailchimp")
    empty = dict(zip(header, bob, strict=True))
    assert (empty["step"], empty["level"], empty["last_yes"], empty["last_ask"]) == (
        "",
        "0",
        "",
        "",
    )


def test_the_days_are_the_owners_local_days(db, tmp_path, now, monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        lead = add_lead("kiwi@example.com", now=now)
        record_commitment(lead.id, "subscribed", at=dt.datetime(2026, 5, 2, 23, 30), now=now)
        export_leads_csv(tmp_path / "nz.csv")
    finally:
        monkeypatch.undo()
        time.tzset()
    header, row = _read(tmp_path / "nz.csv")
    assert dict(zip(header, row, strict=True))["last_yes"] == "2026-05-03"


# --- formula safety in a spreadsheet that splits on ';' -------------------------------------

PAYLOAD = "x;=cmd|'/C calc'!A0"


def _cells_split_on_semicolons(path: Path) -> list[str]:
    """The cells a spreadsheet that splits on ';' would see: quotes are honoured where
    a cell starts with one, so a ';' between quotes starts no cell."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [cell for row in csv.reader(handle, delimiter=";") for cell in row]


def test_a_formula_after_a_semicolon_is_not_a_cell_of_its_own(db, tmp_path, now) -> None:
    add_lead(
        "eve@example.com",
        first_name=PAYLOAD,
        notes="call me;+1 555\n=HYPERLINK(1);@SUM(1)",
        tags=[PAYLOAD, "vip"],
        custom={"City": PAYLOAD, "Plan": 'a;"=1+1'},
        now=now,
    )
    out = tmp_path / "leads.csv"
    export_leads_csv(out)

    raw = out.read_text(encoding="utf-8")
    for line in raw.split("\r\n")[:-1]:
        assert line.startswith('"') and line.endswith('"')  # every cell quoted
    for cell in _cells_split_on_semicolons(out):
        assert not cell.lstrip('"').startswith(("=", "+", "-", "@", "\t", "\r")), cell
    header, row = _read(out)  # a spreadsheet that splits on ',' sees every cell whole
    record = dict(zip(header, row, strict=True))
    assert record["first_name"] == "x;'=cmd|'/C calc'!A0"
    assert record["tags"] == "vip; \"x;'=cmd|'/C calc'!A0\""


def test_tags_and_values_with_semicolons_import_back_whole(db, db_path, tmp_path, now) -> None:
    add_lead(
        "eve@example.com",
        first_name=PAYLOAD,
        last_name="Lee; Jr.",
        notes="call me;+1 555\n=HYPERLINK(1)",
        tags=[PAYLOAD, 'say "hi"; wave', "=cmd", "vip", "Workshop, Spring 2024"],
        custom={"City": PAYLOAD},
        now=now,
    )
    before, after = _round_trip(tmp_path, db_path, db, now)
    assert [_comparable(r) for r in after] == [_comparable(r) for r in before]
    assert after[0].tags == tuple(sorted((PAYLOAD, 'say "hi"; wave', "=cmd", "vip",
                                         "Workshop, Spring 2024"), key=str.casefold))  # fmt: skip
    assert after[0].custom["City"] == PAYLOAD
    assert not {"step", "level", "last_yes", "last_ask", "source"} & set(after[0].custom)


def test_an_export_of_the_earlier_column_order_still_imports(db, tmp_path, now) -> None:
    old = tmp_path / "old.csv"
    old.write_text(
        "email,first_name,last_name,company,phone,status,tags,notes,created_at,City\r\n"
        "ann@example.com,Ann,Lee,,'+44 1,subscribed,vip; Workshop,,2026-01-02T09:00:00Z,Paris\r\n",
        encoding="utf-8",
    )
    report = import_csv(old, now=now)
    assert report.rejected == 0
    (ann,) = list_leads()
    assert (ann.phone, ann.tags, ann.custom["City"]) == ("+44 1", ("vip", "Workshop"), "Paris")


def test_the_importer_knows_the_export_by_its_header(db, tmp_path, now) -> None:
    from crm.importing.platforms import detect_platform

    add_lead("ann@example.com", custom={"City": "Paris"}, now=now)
    export_leads_csv(tmp_path / "e.csv")
    header, row = _read(tmp_path / "e.csv")
    found = detect_platform(header, [row])
    assert found.platform == "smallyes"
    ignored = {c.header for c in found.mapping if c.target == "ignore"}
    assert ignored == {"step", "level", "last_yes", "last_ask", "source"}
