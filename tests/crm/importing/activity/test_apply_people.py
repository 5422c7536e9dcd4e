"""Who a row is about: matched by address (any case, a lead's other addresses too);
newsletter engagement of strangers is skipped, an answer or a reply makes them a contact
who never opted in, with the answer's questions kept."""

from __future__ import annotations

import pytest

from crm.book.leads import find_lead
from crm.book.other_emails import add_other_email
from crm.book.timeline import get_timeline
from crm.errors import NotFoundError
from crm.importing.activity.store import answers_of_lead
from crm.safety.forget import forget_lead
from crm.store.models import database_proxy
from tests.crm.importing.activity.apply_helpers import (
    activity_csv,
    run_activity,
    subscriber,
    use_simple_reader,
)


@pytest.fixture(autouse=True)
def _reader(monkeypatch: pytest.MonkeyPatch) -> None:
    use_simple_reader(monkeypatch)


def _lead_count() -> int:
    return database_proxy.execute_sql("SELECT count(*) FROM lead").fetchone()[0]


def test_addresses_match_trimmed_in_any_case_and_by_other_addresses(db, now, tmp_path) -> None:
    ada = subscriber("ada@example.com", now)
    add_other_email(ada, "ada.work@example.org", now=now)
    path = activity_csv(
        tmp_path,
        [
            ["  ADA@Example.com ", "2026-06-01 10:00:00", "clicked", "https://example.com/a"],
            ["Ada.Work@example.org", "2026-06-02 10:00:00", "clicked", "https://example.com/b"],
        ],
    )
    report = run_activity(path, now)
    assert report.events == {"clicked": 2}
    assert report.skipped == {}
    assert len([i for i in get_timeline(ada) if i.step == "clicked"]) == 2


def test_clicks_opens_and_deliveries_of_strangers_are_skipped(db, now, tmp_path) -> None:
    subscriber("ada@example.com", now)
    before = _lead_count()
    path = activity_csv(
        tmp_path,
        [
            ["nobody@example.com", "2026-06-01 10:00:00", "clicked", "https://example.com/a"],
            ["nobody@example.com", "2026-06-01 10:00:00", "opened", ""],
            ["nobody@example.com", "2026-06-01 10:00:00", "delivered", ""],
            ["nobody@example.com", "2026-06-01 10:00:00", "unsubscribed", ""],
        ],
    )
    report = run_activity(path, now)
    assert report.skipped == {"unknown_email": 4}
    assert report.created == 0 and report.events == {}
    assert _lead_count() == before
    with pytest.raises(NotFoundError):
        find_lead("nobody@example.com")


def test_an_answer_from_a_stranger_makes_a_contact_with_the_answers(db, now, tmp_path) -> None:
    path = activity_csv(
        tmp_path,
        [
            ["Nova@Example.com", "2026-06-01 10:00:00", "answered",
             "Which topic?=Pricing;Anything else?=More templates"],
            ["rex@example.com", "2026-06-02 11:00:00", "replied", ""],
        ],
    )  # fmt: skip
    report = run_activity(path, now)
    assert report.created == 2
    assert report.events == {"answered": 1, "replied": 1}
    nova = find_lead("nova@example.com")
    assert nova.email == "Nova@Example.com"
    assert nova.status == "none"  # never opted in
    assert (nova.first_name, nova.last_name) == ("Nova", "Reader")
    assert nova.step == "answered"
    assert nova.source == "buttondown"
    (yes,) = [i for i in get_timeline(nova.id) if i.kind == "commitment"]
    answers = answers_of_lead(nova.id)[yes.id]
    assert [(a.question, a.answer) for a in answers] == [
        ("Which topic?", "Pricing"),
        ("Anything else?", "More templates"),
    ]
    assert find_lead("rex@example.com").step == "replied"


def test_a_forgotten_person_is_not_brought_back_by_an_answer(db, now, tmp_path) -> None:
    lead_id = subscriber("gone@example.com", now)
    forget_lead(lead_id, now=now)
    path = activity_csv(tmp_path, [["gone@example.com", "2026-06-01 10:00:00", "answered", "Q=A"]])
    report = run_activity(path, now)
    assert report.created == 0
    assert report.skipped == {"forgotten": 1}
    with pytest.raises(NotFoundError):
        find_lead("gone@example.com")


def test_a_bad_address_is_rejected_and_a_missing_one_skipped(db, now, tmp_path) -> None:
    path = activity_csv(
        tmp_path,
        [
            ["not-an-address", "2026-06-01 10:00:00", "answered", "Q=A"],
            ["", "2026-06-01 10:00:00", "answered", "Q=A"],
        ],
    )
    report = run_activity(path, now)
    assert report.rejected == 1
    assert "not a valid address" in report.errors[0].reason
    assert report.skipped == {"no_email": 1}
    assert report.created == 0


def test_a_time_without_a_zone_is_read_in_the_chosen_zone(db, now, tmp_path) -> None:
    path = activity_csv(
        tmp_path, [["nova@example.com", "2026-06-01 10:00:00 local", "answered", "Q=A"]]
    )
    report = run_activity(path, now, zone="Europe/Paris")
    assert any("Europe/Paris" in w for w in report.warning_texts)
    (yes,) = [i for i in get_timeline(find_lead("nova@example.com").id) if i.kind == "commitment"]
    assert yes.at.isoformat() == "2026-06-01T08:00:00"  # summer time: UTC+2


def test_a_row_without_a_time_is_dated_at_the_import_and_said(db, now, tmp_path) -> None:
    path = activity_csv(tmp_path, [["nova@example.com", "", "answered", "Q=A"]])
    report = run_activity(path, now)
    assert any("dated at the import" in w for w in report.warning_texts)
    (yes,) = [i for i in get_timeline(find_lead("nova@example.com").id) if i.kind == "commitment"]
    assert yes.at == now


def test_a_time_in_the_future_is_rejected(db, now, tmp_path) -> None:
    path = activity_csv(tmp_path, [["nova@example.com", "2030-01-01 10:00:00", "answered", "Q=A"]])
    report = run_activity(path, now)
    assert report.rejected == 1 and report.created == 0


def _rows_of(table: str, lead_id: int) -> int:
    return database_proxy.execute_sql(
        f"SELECT count(*) FROM {table} WHERE lead_id = ?", [lead_id]
    ).fetchone()[0]


def test_forgetting_a_person_erases_what_they_opened_clicked_and_answered(
    db, now, tmp_path
) -> None:
    ada = subscriber("ada@example.com", now)
    path = activity_csv(
        tmp_path,
        [
            ["ada@example.com", "2026-06-01 10:00:00", "opened", ""],
            ["ada@example.com", "2026-06-01 10:01:00", "answered", "Which topic?=My own words"],
        ],
    )
    run_activity(path, now)
    assert (_rows_of("activity_event", ada), _rows_of("commitment_answer", ada)) == (2, 1)
    forget_lead(ada, now=now)
    assert (_rows_of("activity_event", ada), _rows_of("commitment_answer", ada)) == (0, 0)
    # the yes itself stays, for the funnel's counts
    assert _rows_of("commitment", ada) == 2


def test_a_deleted_lead_comes_back_with_its_activity(db, now, tmp_path) -> None:
    from crm.book.leads import delete_lead, restore_deleted

    ada = subscriber("ada@example.com", now)
    path = activity_csv(
        tmp_path,
        [
            ["ada@example.com", "2026-06-01 10:00:00", "opened", ""],
            ["ada@example.com", "2026-06-01 10:01:00", "answered", "Which topic?=Pricing"],
        ],
    )
    run_activity(path, now)
    before = {
        t: database_proxy.execute_sql(f"SELECT * FROM {t} ORDER BY id").fetchall()
        for t in ("activity_event", "commitment_answer", "commitment")
    }
    restore_deleted(delete_lead(ada))
    after = {
        t: database_proxy.execute_sql(f"SELECT * FROM {t} ORDER BY id").fetchall()
        for t in ("activity_event", "commitment_answer", "commitment")
    }
    assert after == before
    assert run_activity(path, now).already_imported == 2
