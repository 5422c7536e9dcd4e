"""Form questions marked as showing interest: their answers are topics of the lead, shown
by ``show --json`` and used by the next-ask engine to choose the offer; unmarking, or
undoing the form's import, takes them away again."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crm.asking.due import suggest_for_lead, todays_asks
from crm.asking.suggest import Suggestion
from crm.book.interests import (
    answer_topics,
    interest_topics_by_lead,
    list_interest,
    mark_interest,
    unmark_interest,
)
from crm.book.leads import add_lead, find_lead
from crm.book.offers import add_offer
from crm.book.timeline import record_commitment
from crm.cli import main
from crm.errors import NotFoundError, ValidationError
from crm.importing import ImportOptions, import_csv
from crm.importing.undo import undo_import
from crm.store.models import database_proxy

FORMS = Path(__file__).resolve().parents[2] / "data" / "activity" / "forms"
FORM = FORMS / "Pricing interest (Responses) - Form Responses 1.csv"
QUESTION = "Which topic interests you more?"


def _cli(capsys, db_path: Path, *argv: str) -> object:
    code = main(["--db", str(db_path), *argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _fail(capsys, db_path: Path, *argv: str) -> str:
    code = main(["--db", str(db_path), *argv])
    out, err = capsys.readouterr()
    assert code == 1, out
    return err


@pytest.fixture
def book(db, now: dt.datetime) -> int:
    """A subscriber who will answer the form, and two offers: the one whose name sorts
    first is not about pricing, so only the answer can make the pricing guide win."""
    lead = add_lead("ada@example.com", status="subscribed", now=now)
    record_commitment(lead.id, "subscribed", at=now - dt.timedelta(days=60), now=now)
    add_offer("A checklist", topics="seo", now=now)
    add_offer("Pricing guide", topics="pricing", now=now)
    return lead.id


def _offer(lead_id: int, now: dt.datetime) -> str | None:
    result = suggest_for_lead(lead_id, now)
    assert isinstance(result, Suggestion), result
    return result.offer


def _topics(email: str) -> list[str]:
    from crm.importing.activity.store import lead_topics

    return list(lead_topics(find_lead(email).id))


def test_a_marked_question_makes_the_answer_a_topic_and_the_matching_offer_the_next_ask(
    book, db_path, now, capsys
) -> None:
    assert _offer(book, now) == "A checklist"  # before: nothing says pricing
    out = _cli(capsys, db_path, "import", str(FORM), "--interest", QUESTION)
    assert out["kind"] == "activity" and out["events"] == {"answered": 3}
    assert out["interest_questions"] == [QUESTION]
    shown = _cli(capsys, db_path, "show", "ada@example.com")
    assert shown["lead"]["topics"] == ["pricing"]
    assert _offer(book, now) == "Pricing guide"
    # the same choice for Today, which loads every lead's topics at once
    (item,) = [i for i in todays_asks(now) if i.lead_id == book]
    assert item.suggestion.offer == "Pricing guide"


def test_a_multi_choice_answer_is_one_topic_per_choice_case_folded(book, db_path, now) -> None:
    import_csv(FORM, ImportOptions(interest=(QUESTION, "Which formats do you like?")), now=now)
    assert _topics("cy@example.com") == ["templates", "pricing", "seo"]
    assert _topics("ada@example.com") == ["short emails", "templates", "pricing"]
    assert answer_topics(" Pricing ,  SEO, pricing,") == ["pricing", "seo"]


def test_marking_later_applies_to_stored_answers_and_unmarking_takes_them_away(
    book, db_path, now, capsys
) -> None:
    _cli(capsys, db_path, "import", str(FORM))
    assert _topics("ada@example.com") == []
    assert _offer(book, now) == "A checklist"
    # marked afterwards, in another spelling of the same question
    assert _cli(capsys, db_path, "interest", "add", "which topic  interests you MORE?") == {
        "question": "which topic interests you MORE?",
        "marked": True,
    }
    assert _topics("ada@example.com") == ["pricing"]
    assert _offer(book, now) == "Pricing guide"
    (listed,) = _cli(capsys, db_path, "interest", "list")
    assert listed["leads"] == 3 and listed["question"] == "which topic interests you MORE?"
    _cli(capsys, db_path, "interest", "remove", QUESTION)
    assert _cli(capsys, db_path, "interest", "list") == []
    assert _topics("ada@example.com") == []
    assert _offer(book, now) == "A checklist"
    err = _fail(capsys, db_path, "interest", "remove", QUESTION)
    assert "is not marked as showing interest" in err
    err = _fail(capsys, db_path, "interest", "add", "What is your favourite colour?")
    assert "No imported answer has the question" in err


def test_undoing_the_form_import_takes_its_topics_away(book, db_path, now) -> None:
    report = import_csv(FORM, ImportOptions(interest=(QUESTION,)), now=now)
    assert _topics("ada@example.com") == ["pricing"]
    assert report.batch_id is not None
    undo_import(report.batch_id, now=now)
    assert _topics("ada@example.com") == []
    assert _offer(book, now) == "A checklist"
    assert [q.question for q in list_interest()] == [QUESTION]  # the mark itself stays


def test_a_question_the_file_does_not_ask_refuses_the_import(book, db_path, now, capsys) -> None:
    err = _fail(capsys, db_path, "import", str(FORM), "--interest", "Which colour?")
    assert "has no question 'Which colour?'" in err
    count = database_proxy.execute_sql("SELECT count(*) FROM commitment_answer").fetchone()[0]
    assert count == 0 and list_interest() == []
    # a subscriber list has no answers to mark
    people = FORMS.parents[1] / "csv" / "ghost_members.csv"
    err = _fail(capsys, db_path, "import", str(people), "--interest", QUESTION)
    assert "no form answers to mark" in err


def test_a_dry_run_marks_nothing(book, db_path, now) -> None:
    report = import_csv(FORM, ImportOptions(dry_run=True, interest=(QUESTION,)), now=now)
    assert report.interest == (QUESTION,)  # what the import would mark
    assert list_interest() == []


def test_topics_are_loaded_for_a_block_of_leads_in_one_query(book, db, now) -> None:
    import_csv(FORM, ImportOptions(interest=(QUESTION,)), now=now)
    statements: list[str] = []
    connection = database_proxy.connection()
    connection.set_trace_callback(statements.append)
    try:
        found = interest_topics_by_lead(" WHERE x.lead_id BETWEEN :lo AND :hi", {"lo": 0, "hi": 99})
    finally:
        connection.set_trace_callback(None)
    assert len(statements) == 1
    ids = {find_lead(e).id: e for e in ("ada@example.com", "bo@example.com", "cy@example.com")}
    assert {ids[k]: v for k, v in found.items()} == {
        "ada@example.com": frozenset({"pricing"}),
        "bo@example.com": frozenset({"seo"}),
        "cy@example.com": frozenset({"pricing", "seo"}),
    }


def test_marking_checks_the_question(db, now) -> None:
    with pytest.raises(ValidationError, match="Name the question"):
        mark_interest(["   "], now=now)
    with pytest.raises(NotFoundError):
        unmark_interest("never marked")
