"""Today's asks limited to the best N: the same leads, in the same order, as the head of
the full list, with every due lead counted; blocks of leads change nothing."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from crm.asking import due
from crm.asking.due import load_evidence, median_days, todays_asks, todays_asks_page
from crm.asking.pacing import get_pacing
from crm.asking.suggest import (
    LeadFacts,
    PastAsk,
    PastYes,
    Prepared,
    Suggestion,
    suggest_next_ask,
    to_us,
)
from crm.demo import load_demo
from crm.errors import OperationCancelled, ValidationError
from crm.jobs import CancelToken


def _ranked(items: list[due.TodayItem]) -> list[tuple[int, float, int, str]]:
    return [(i.lead_id, i.suggestion.score, i.suggestion.due_us, i.suggestion.step) for i in items]


@pytest.fixture
def demo(db, now) -> list[due.TodayItem]:
    load_demo(leads=600, now=now)
    full = todays_asks(now)
    assert len(full) > 100  # the demo leaves plenty due
    return full


def test_the_best_n_are_the_first_n_of_the_full_list(demo, now) -> None:
    full = _ranked(demo)
    assert [(-score, due, lead) for lead, score, due, _ in full] == sorted(
        (-score, due, lead) for lead, score, due, _ in full
    )
    for n in (1, 2, 7, 50, len(full) - 1, len(full), len(full) + 10):
        page = todays_asks_page(now, n)
        assert _ranked(page.items) == full[:n]
        assert page.total_due == len(full)
        assert _ranked(todays_asks(now, n)) == full[:n]


def test_without_a_limit_the_page_holds_every_due_lead(demo, now) -> None:
    page = todays_asks_page(now)
    assert _ranked(page.items) == _ranked(demo)
    assert page.total_due == len(demo)
    assert [i.suggestion.message for i in page.items[:20]] == [
        i.suggestion.message for i in demo[:20]
    ]


def test_small_blocks_give_the_same_list_and_count(demo, now, monkeypatch) -> None:
    monkeypatch.setattr(due, "BLOCK_LEADS", 37)
    page = todays_asks_page(now, 25)
    assert _ranked(page.items) == _ranked(demo)[:25]
    assert page.total_due == len(demo)
    assert _ranked(todays_asks(now)) == _ranked(demo)


def test_blocks_with_gaps_in_the_lead_ids_hand_each_lead_its_own_yeses(
    demo, now, monkeypatch
) -> None:
    # deleted leads leave gaps, some as wide as a block: the yeses read up front are still
    # handed to the block (and the lead) they belong to
    ids = [lead_id for (lead_id,) in due._sql("SELECT id FROM lead ORDER BY id")]
    gone = set(ids[40:90]) | set(ids[200::7])
    for lead_id in gone:
        due._sql("DELETE FROM lead WHERE id = ?", [lead_id])
    expected = _ranked(todays_asks(now))  # one block
    assert len(expected) > 50 and not gone & {lead_id for lead_id, *_ in expected}
    monkeypatch.setattr(due, "BLOCK_LEADS", 23)
    page = todays_asks_page(now, 25)
    assert _ranked(page.items) == expected[:25]
    assert page.total_due == len(expected)
    assert _ranked(todays_asks(now)) == expected


def test_medians_streamed_match_the_medians_of_every_history(demo) -> None:
    rows = map(
        PastYes._make,
        due._sql(
            f"SELECT s.key, {due._us('c.at')}, c.offer_id, c.lead_id "
            "FROM commitment c JOIN step s ON s.id = c.step_id ORDER BY c.lead_id"
        ),
    )
    level_of = dict(due._sql("SELECT key, level FROM step"))
    expected = median_days(due._by_lead(rows), level_of)
    assert expected  # the demo's leads climb the ladder
    assert load_evidence().median_days == expected


def test_progress_reaches_the_end_and_cancel_stops(demo, now, monkeypatch) -> None:
    monkeypatch.setattr(due, "BLOCK_LEADS", 100)
    seen: list[tuple[int, int]] = []
    todays_asks_page(now, 5, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] > 0
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    token = CancelToken()
    token.cancel()
    with pytest.raises(OperationCancelled):
        todays_asks_page(now, 5, cancel=token)


def test_an_empty_database_has_nothing_due(db, now) -> None:
    page = todays_asks_page(now, 10)
    assert page.items == [] and page.total_due == 0


def test_the_limit_must_be_positive(db, now) -> None:
    with pytest.raises(ValidationError):
        todays_asks_page(now, 0)


def _stored(text: str | None) -> int | None:
    return None if text is None else to_us(dt.datetime.fromisoformat(text))


def test_every_due_lead_gets_what_the_engine_gives_its_whole_history(demo, now) -> None:
    # the engine run lead by lead on histories read plainly, every field as stored: Today's
    # set-wise loading (blocks, kept yeses, the columns it reads) must not change an answer
    ladder, offers = due._load_ladder(), due._load_offers()
    prep = Prepared(ladder, offers, get_pacing(), load_evidence())
    yeses: dict[int, list[PastYes]] = defaultdict(list)
    for lead_id, key, at, offer_id in due._sql(
        "SELECT c.lead_id, s.key, c.at, c.offer_id FROM commitment c "
        "JOIN step s ON s.id = c.step_id ORDER BY c.id"
    ):
        yeses[lead_id].append(PastYes(key, _stored(at), offer_id))
    asks: dict[int, list[PastAsk]] = defaultdict(list)
    for lead_id, key, at, outcome, offer_id, resolved in due._sql(
        "SELECT a.lead_id, s.key, a.asked_at, a.outcome, a.offer_id, a.resolved_at FROM ask a "
        "JOIN step s ON s.id = a.step_id ORDER BY a.id"
    ):
        asks[lead_id].append(PastAsk(key, _stored(at), outcome, offer_id, _stored(resolved)))
    tags: dict[int, set[str]] = defaultdict(set)
    for lead_id, name in due._sql(
        "SELECT x.lead_id, t.name FROM lead_tag x JOIN tag t ON t.id = x.tag_id"
    ):
        tags[lead_id].add(name.casefold())
    expected = {}
    for lead_id, email, first, status, dnc, until, kind in due._sql(
        "SELECT l.id, l.email, l.first_name, l.status, l.do_not_contact, z.until, z.kind "
        "FROM lead l LEFT JOIN suggestion_snooze z ON z.lead_id = l.id"
    ):
        lead = LeadFacts(lead_id, email, first, status, bool(dnc), _stored(until), kind or "snooze")
        history = (lead, frozenset(tags[lead_id]), tuple(yeses[lead_id]), tuple(asks[lead_id]))
        result = suggest_next_ask(*history, prep, to_us(now))
        if isinstance(result, Suggestion) and result.due < due.end_of_day(now):
            expected[lead_id] = _answer(result)
    assert {i.lead_id: _answer(i.suggestion) for i in demo} == expected


def _answer(s: Suggestion) -> tuple[object, ...]:
    return (s.step, s.offer, s.due_us, s.score, s.rule, s.reason, s.message, s.summary)
