"""Today's asks limited to the best N: the same leads, in the same order, as the head of
the full list, with every due lead counted; blocks of leads change nothing."""

from __future__ import annotations

import pytest

from crm import today
from crm.demo import load_demo
from crm.errors import OperationCancelled, ValidationError
from crm.jobs import CancelToken
from crm.today import load_evidence, median_days, todays_asks, todays_asks_page


def _ranked(items: list[today.TodayItem]) -> list[tuple[int, float, int, str]]:
    return [(i.lead_id, i.suggestion.score, i.suggestion.due_us, i.suggestion.step) for i in items]


@pytest.fixture
def demo(db, now) -> list[today.TodayItem]:
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
    monkeypatch.setattr(today, "BLOCK_LEADS", 37)
    page = todays_asks_page(now, 25)
    assert _ranked(page.items) == _ranked(demo)[:25]
    assert page.total_due == len(demo)
    assert _ranked(todays_asks(now)) == _ranked(demo)


def test_medians_streamed_match_the_medians_of_every_history(demo) -> None:
    rows = today._sql(
        f"SELECT s.key, {today._us('c.at')}, c.lead_id "
        "FROM commitment c JOIN step s ON s.id = c.step_id ORDER BY c.lead_id"
    )
    level_of = dict(today._sql("SELECT key, level FROM step"))
    expected = median_days(today._by_lead(rows), level_of)
    assert expected  # the demo's leads climb the ladder
    assert load_evidence().median_days == expected


def test_progress_reaches_the_end_and_cancel_stops(demo, now, monkeypatch) -> None:
    monkeypatch.setattr(today, "BLOCK_LEADS", 100)
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
