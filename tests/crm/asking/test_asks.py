"""Asks and their outcomes, Today's asks over the database, snoozes and the ask CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from crm.asking.asks import delete_ask, get_ask, list_asks, record_ask, set_outcome
from crm.asking.due import load_evidence, skip, snooze, suggest_for_lead, todays_asks
from crm.asking.suggest import NoSuggestion, Rule
from crm.book.leads import add_lead, get_lead, set_do_not_contact
from crm.book.timeline import get_timeline, record_commitment
from crm.cli import main
from crm.errors import NotFoundError, ValidationError

DAY = dt.timedelta(days=1)


def subscriber(email: str, now: dt.datetime, days_ago: float = 30, **kw: object) -> int:
    lead = add_lead(email, now=now, first_name=kw.pop("first_name", "Ada"), **kw)  # type: ignore[arg-type]
    record_commitment(lead.id, "subscribed", at=now - days_ago * DAY, now=now)
    return lead.id


def test_accepted_ask_records_the_yes_and_correcting_it_removes_it(db, now) -> None:
    lead_id = subscriber("ada@example.com", now)
    ask_id = record_ask(lead_id, "downloaded", at=now - 2 * DAY, now=now, offer="Pricing guide")
    assert get_ask(ask_id).outcome == "pending"
    set_outcome(ask_id, "accepted", at=now - DAY, now=now)
    assert get_lead(lead_id).step == "downloaded"
    yeses = [i for i in get_timeline(lead_id) if i.kind == "commitment" and i.step == "downloaded"]
    assert len(yeses) == 1 and yeses[0].offer == "Pricing guide"
    set_outcome(ask_id, "declined", at=now - DAY, now=now)
    assert get_lead(lead_id).step == "subscribed"


def test_list_and_delete_asks(db, now) -> None:
    lead_id = subscriber("ada@example.com", now)
    first = record_ask(lead_id, "downloaded", at=now - 20 * DAY, now=now)
    second = record_ask(lead_id, "answered", at=now - 5 * DAY, now=now)
    set_outcome(first, "accepted", at=now - 19 * DAY, now=now)
    assert [a.id for a in list_asks(lead_id)] == [second, first]
    assert [a.id for a in list_asks(outcome="pending")] == [second]
    delete_ask(first)
    assert [a.id for a in list_asks(lead_id)] == [second]
    assert get_lead(lead_id).step == "subscribed"  # the yes the ask produced went with it
    with pytest.raises(NotFoundError):
        delete_ask(first)


def test_answer_before_the_ask_is_refused(db, now) -> None:
    lead_id = subscriber("ada@example.com", now)
    ask_id = record_ask(lead_id, "downloaded", at=now - 2 * DAY, now=now)
    with pytest.raises(ValidationError):
        set_outcome(ask_id, "accepted", at=now - 3 * DAY, now=now)


def test_todays_asks_lists_due_leads_best_first_and_leaves_out_the_rest(db, now) -> None:
    warm = subscriber("warm@example.com", now, 40)
    record_commitment(warm, "downloaded", at=now - DAY, now=now, offer="Pricing guide")
    fresh = subscriber("fresh@example.com", now, 5)
    waiting = subscriber("waiting@example.com", now)
    record_ask(waiting, "downloaded", at=now - 2 * DAY, now=now)
    dnc = subscriber("dnc@example.com", now)
    set_do_not_contact(dnc, True, now=now)
    today = subscriber("today@example.com", now, 0.1)  # due tomorrow, not today
    # evidence: leads at "downloaded" say yes to "answered" often
    for i in range(25):
        other = subscriber(f"o{i}@example.com", now, 200)
        record_commitment(other, "downloaded", at=now - 150 * DAY, now=now)
        ask_id = record_ask(other, "answered", at=now - 100 * DAY, now=now)
        set_outcome(ask_id, "accepted" if i < 20 else "declined", at=now - 99 * DAY, now=now)

    items = todays_asks(now)
    ids = [i.lead_id for i in items]
    assert warm in ids and fresh in ids
    assert not {waiting, dnc, today} & set(ids)
    assert ids.index(warm) < ids.index(fresh)  # 80% beats the prior
    scores = [i.suggestion.score for i in items]
    assert scores == sorted(scores, reverse=True)
    assert len(todays_asks(now, limit=1)) == 1
    item = next(i for i in items if i.lead_id == warm)
    assert "20 of 25 leads who downloaded answered when asked" in item.suggestion.reason
    assert item.to_json()["email"] == "warm@example.com"


def test_todays_list_agrees_with_each_leads_own_suggestion(db, now) -> None:
    ids = [subscriber(f"l{i}@example.com", now, 10 + i) for i in range(6)]
    record_ask(ids[0], "downloaded", at=now - 3 * DAY, now=now)
    ask_id = record_ask(ids[1], "downloaded", at=now - 30 * DAY, now=now)
    set_outcome(ask_id, "declined", at=now - 29 * DAY, now=now)
    listed = {i.lead_id: i.suggestion for i in todays_asks(now)}
    for lead_id in ids:
        own = suggest_for_lead(lead_id, now)
        if lead_id in listed:
            assert own == listed[lead_id]
        else:
            assert isinstance(own, NoSuggestion) or own.due >= now


def test_snooze_and_skip_take_a_lead_off_today(db, now) -> None:
    a = subscriber("a@example.com", now)
    b = subscriber("b@example.com", now)
    snooze(a, now + 3 * DAY, now=now)
    until = skip(b, now=now)
    assert until > now
    assert todays_asks(now) == []
    result = suggest_for_lead(a, now)
    assert isinstance(result, NoSuggestion) and result.rule == Rule.SNOOZED
    assert "Skipped" in suggest_for_lead(b, now).reason
    back = {i.lead_id for i in todays_asks(now + 8 * DAY)}
    assert back == {a, b}
    with pytest.raises(ValidationError):
        snooze(a, now - DAY, now=now)


def test_evidence_rates_use_the_level_at_the_time_of_the_ask(db, now) -> None:
    lead_id = subscriber("ada@example.com", now, 100)
    first = record_ask(lead_id, "downloaded", at=now - 90 * DAY, now=now)
    set_outcome(first, "accepted", at=now - 89 * DAY, now=now)
    second = record_ask(lead_id, "answered", at=now - 50 * DAY, now=now)
    set_outcome(second, "no_response", at=now - 40 * DAY, now=now)
    evidence = load_evidence()
    assert evidence.rates[(2, "downloaded")] == (1, 1)
    assert evidence.rates[(3, "answered")] == (0, 1)
    assert evidence.median_days[2] == pytest.approx(11.0)  # subscribed 100 d ago, yes 89 d ago


def test_suggest_for_a_missing_lead(db, now) -> None:
    with pytest.raises(NotFoundError):
        suggest_for_lead(12345, now)


# --- the command line ---------------------------------------------------------------------


def cli(db_path, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_ask_outcome_and_suggest(db_path, capsys) -> None:
    assert cli(db_path, capsys, "add", "ada@example.com", "--first", "Ada")[0] == 0
    cli(db_path, capsys, "log", "ada@example.com", "subscribed", "--at", "2026-05-01")
    code, out, _ = cli(
        db_path, capsys, "ask", "ada@example.com", "downloaded", "--at", "2026-06-01", "--json"
    )
    assert code == 0
    ask_id = json.loads(out)["ask_id"]
    assert cli(db_path, capsys, "outcome", str(ask_id), "accepted", "--at", "2026-06-02")[0] == 0

    code, out, _ = cli(
        db_path, capsys, "suggest", "ada@example.com", "--now", "2026-06-15", "--json"
    )
    one = json.loads(out)
    assert set(one) >= {"email", "step", "offer", "due", "score", "reason", "message"}
    assert one["step"] == "answered" and one["message"].startswith("One quick question")

    code, out, _ = cli(db_path, capsys, "suggest", "--now", "2026-06-15", "--json")
    rows = json.loads(out)
    assert [r["email"] for r in rows] == ["ada@example.com"]
    assert set(rows[0]) >= {"email", "step", "offer", "due", "score", "reason", "message"}

    cli(db_path, capsys, "ask", "ada@example.com", "answered", "--at", "2026-06-14")
    code, out, _ = cli(
        db_path, capsys, "suggest", "ada@example.com", "--now", "2026-06-15", "--json"
    )
    none = json.loads(out)
    assert none["step"] is None and none["reason"].startswith("Waiting for an answer")


def test_cli_refuses_bad_outcome_and_unknown_ask(db_path, capsys) -> None:
    code, _, err = cli(db_path, capsys, "outcome", "99", "accepted")
    assert code == 1 and err.startswith("error: There is no ask number 99")
    cli(db_path, capsys, "add", "ada@example.com")
    code, out, _ = cli(db_path, capsys, "ask", "ada@example.com", "downloaded", "--json")
    ask_id = json.loads(out)["ask_id"]
    code, _, err = cli(db_path, capsys, "outcome", str(ask_id), "maybe")
    assert code == 1 and "'maybe' is not an outcome" in err


def test_cli_pacing_show_and_set(db_path, capsys) -> None:
    code, out, _ = cli(db_path, capsys, "pacing", "cooldown_days=10", "--json")
    assert code == 0 and json.loads(out)["cooldown_days"] == 10
    code, _, err = cli(db_path, capsys, "pacing", "cooldown_days=ten")
    assert code == 1 and "needs a number" in err
    code, out, _ = cli(db_path, capsys, "pacing", "--reset", "--json")
    assert json.loads(out)["cooldown_days"] == 7
