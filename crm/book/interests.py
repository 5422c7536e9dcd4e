"""Form questions the owner marked as showing interest, and the topics their answers give.

A question is marked by its text (compared without regard to case or spacing, as the
forms write it). Nothing is copied when one is marked: a lead's interest topics are read
from the answers stored with its yeses (``commitment_answer``), so marking a question
applies to the answers imported before, unmarking it takes its topics away, and undoing
the import of a form takes away the answers and so the topics with them. Each answer
becomes one topic, or several for a multi-choice answer ("Pricing, Templates"),
case-folded as offers' topics are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from crm.changes import note
from crm.errors import NotFoundError, ValidationError
from crm.store.models import database_proxy
from crm.timefmt import from_stored_required, iso

MAX_QUESTION = 500  # a question's title is a line, not a page


@dataclass(frozen=True, slots=True)
class InterestQuestion:
    question: str
    marked_at: dt.datetime
    leads: int  # leads with an answer to it

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "marked_at": iso(self.marked_at), "leads": self.leads}


def clean_question(question: str) -> str:
    """A question as it is compared and stored: its spacing collapsed."""
    cleaned = " ".join(question.split())
    if not cleaned:
        raise ValidationError(
            "Name the question to mark, as the form shows it, like 'Which topic interests you?'."
        )
    if len(cleaned) > MAX_QUESTION:
        raise ValidationError(
            f"A question can be at most {MAX_QUESTION} characters: copy it from the form."
        )
    return cleaned


def answer_topics(answer: str) -> list[str]:
    """The topics one answer gives: its comma-separated choices, case-folded."""
    found: list[str] = []
    for part in answer.split(","):
        topic = " ".join(part.split()).casefold()
        if topic and topic not in found:
            found.append(topic)
    return found


def stored_questions() -> set[str]:
    """Every question some stored answer has, case-folded."""
    return {
        " ".join(str(q).split()).casefold()
        for (q,) in database_proxy.execute_sql("SELECT DISTINCT question FROM commitment_answer")
    }


def mark_interest(questions: Iterable[str], *, now: dt.datetime) -> list[str]:
    """Mark ``questions`` as showing interest (marking one twice changes nothing); the
    questions as stored. The caller's transaction holds it when there is one (an import
    marks the questions of its file and rolls them back with a dry run)."""
    cleaned = list(dict.fromkeys(clean_question(q) for q in questions))
    if not cleaned:
        return []
    note(tables=["interest_question"], leads=None)
    with database_proxy.atomic():
        for question in cleaned:
            database_proxy.execute_sql(
                "INSERT INTO interest_question (question, created_at) VALUES (?, ?) "
                "ON CONFLICT(question) DO NOTHING",
                [question, now.replace(microsecond=0)],
            )
    return cleaned


def unmark_interest(question: str) -> None:
    """Unmark a question: its answers stop being topics (the answers stay)."""
    cleaned = clean_question(question)
    note(tables=["interest_question"], leads=None)
    with database_proxy.atomic():
        cursor = database_proxy.execute_sql(
            "DELETE FROM interest_question WHERE question = ?", [cleaned]
        )
        if cursor.rowcount == 0:
            raise NotFoundError(
                f"'{cleaned}' is not marked as showing interest: 'interest list' shows the "
                "marked questions."
            )


def list_interest() -> list[InterestQuestion]:
    """The marked questions, in the order they were marked, each with how many leads
    answered it."""
    rows = database_proxy.execute_sql(
        "SELECT q.question, q.created_at, "
        "(SELECT count(DISTINCT a.lead_id) FROM commitment_answer a "
        "  WHERE a.question = q.question COLLATE NOCASE) "
        "FROM interest_question q ORDER BY q.created_at, q.question"
    ).fetchall()
    return [
        InterestQuestion(str(q), from_stored_required(str(at)), int(n or 0)) for q, at, n in rows
    ]


def marked_questions() -> set[str]:
    """The marked questions, case-folded."""
    return {
        str(q).casefold()
        for (q,) in database_proxy.execute_sql("SELECT question FROM interest_question")
    }


# The answers to marked questions (``x``: the answer), matched as the questions are stored
# (spacing collapsed when marked; a form's title is one line already), without regard to
# ASCII case.
_ANSWERS_SQL = (
    "SELECT x.id, x.lead_id, x.answer FROM commitment_answer x "
    "JOIN interest_question q ON q.question = x.question COLLATE NOCASE"
)


def interest_topics(lead_id: int) -> tuple[str, ...]:
    """One lead's interest topics, the most recent answer's first."""
    rows = database_proxy.execute_sql(
        f"{_ANSWERS_SQL} WHERE x.lead_id = ? ORDER BY x.id DESC", [lead_id]
    ).fetchall()
    found: list[str] = []
    for _, _, answer in rows:
        for topic in answer_topics(str(answer)):
            if topic not in found:
                found.append(topic)
    return tuple(found)


def interest_topics_by_lead(
    restrict: str = "", params: Sequence[Any] | dict[str, Any] = ()
) -> dict[int, frozenset[str]]:
    """Every lead's interest topics in one grouped query, whatever the number of leads.
    ``restrict`` narrows it to some leads with a ``WHERE`` on the answer's ``x.lead_id``
    (``" WHERE x.lead_id BETWEEN :lo AND :hi"``). Leads share a few answers, so each
    distinct set of answers is split once."""
    sql = (
        f"SELECT lead_id, group_concat(answer, char(31)) FROM ({_ANSWERS_SQL}{restrict}) "
        "GROUP BY lead_id"
    )
    sets: dict[str, frozenset[str]] = {}
    found: dict[int, frozenset[str]] = {}
    for lead_id, joined in database_proxy.execute_sql(sql, params):
        text = str(joined)
        topics = sets.get(text)
        if topics is None:
            topics = sets[text] = frozenset(
                t for answer in text.split("\x1f") for t in answer_topics(answer)
            )
        if topics:
            found[int(lead_id)] = topics
    return found
