"""Funnel numbers on a small history whose answers are worked out by hand below.

The history is the one the CLI contract check builds (five leads, a to e):

    a  subscribed 01-02, downloaded 01-05 (Guide A), asked answered 01-07 -> accepted 01-10,
       booked 01-20                                                   highest level 6
    b  subscribed 01-03, downloaded 01-06 (Guide A), asked answered 01-08 -> declined 01-09
                                                                      highest level 3
    c  subscribed 01-04, downloaded 01-08 (Guide B), purchased 02-01,
       asked booked 02-03 (still pending)                             highest level 7
    d  subscribed 02-02, asked downloaded 02-03 -> no response 02-12  highest level 2
    e  no yes at all                                                  level 0

a and c carry the tag "vip"; d came from "mailchimp", the others were added by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import re
import time

import pytest

from crm.analytics.funnel import FunnelFilter, compute_funnel
from crm.asking.asks import record_ask, set_outcome
from crm.book.leads import add_lead, set_status
from crm.book.timeline import record_commitment
from crm.cli import main
from crm.errors import OperationCancelled, ValidationError
from crm.jobs import CancelToken
from crm.timefmt import parse_user_datetime

KEYS = ("clicked", "subscribed", "downloaded", "answered", "replied", "booked", "purchased")


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-{day}T09:00:00")


@pytest.fixture
def history(db, now) -> dict[str, int]:
    ids = {
        "a": add_lead("a@example.com", tags=["vip"], now=now).id,
        "b": add_lead("b@example.com", now=now).id,
        "c": add_lead("c@example.com", tags=["vip"], now=now).id,
        "d": add_lead("d@example.com", source="mailchimp", now=now).id,
        "e": add_lead("e@example.com", now=now).id,
    }

    def log(who: str, step: str, day: str, offer: str | None = None) -> None:
        record_commitment(ids[who], step, at=at(day), now=now, offer=offer)

    def ask(who: str, step: str, day: str, outcome: str | None, answered: str = "") -> None:
        ask_id = record_ask(ids[who], step, at=at(day), now=now)
        if outcome:
            set_outcome(ask_id, outcome, at=at(answered), now=now)

    log("a", "subscribed", "01-02")
    log("a", "downloaded", "01-05", "Guide A")
    ask("a", "answered", "01-07", "accepted", "01-10")
    log("a", "booked", "01-20")
    log("b", "subscribed", "01-03")
    log("b", "downloaded", "01-06", "Guide A")
    ask("b", "answered", "01-08", "declined", "01-09")
    log("c", "subscribed", "01-04")
    log("c", "downloaded", "01-08", "Guide B")
    ask("c", "booked", "02-03", None)
    log("c", "purchased", "02-01")
    log("d", "subscribed", "02-02")
    ask("d", "downloaded", "02-03", "no_response", "02-12")
    return ids


def by_key(rows, attr="key"):
    return {getattr(r, attr): r for r in rows}


def test_reach_took_conversion_and_drop_off_all_time(history) -> None:
    f = compute_funnel()
    steps = by_key(f.steps)
    assert [s.key for s in f.steps] == list(KEYS)
    # reached: levels are a6 b3 c7 d2 e0, so "at or above" each step:
    assert [steps[k].reached for k in KEYS] == [4, 4, 3, 2, 2, 2, 1]
    # took: who has a yes at exactly the step (a's "answered" came from the accepted ask).
    assert [steps[k].took for k in KEYS] == [0, 4, 3, 1, 0, 1, 1]
    # Nobody's click or reply is recorded: those steps are not tracked.
    assert [steps[k].tracked for k in KEYS] == [False, True, True, True, False, True, True]
    assert steps["clicked"].conversion is None
    # Over the untracked "clicked" (4 / 4) it would read 100% whatever the leads did.
    assert steps["subscribed"].conversion is None
    assert steps["downloaded"].conversion == pytest.approx(0.75)  # 3 / 4
    assert steps["answered"].conversion == pytest.approx(2 / 3)  # 2 / 3
    assert steps["replied"].conversion is None
    # booked is taken over "answered", the nearest tracked step below it.
    assert (steps["booked"].base, steps["booked"].conversion) == ("answered", 1.0)
    assert steps["purchased"].conversion == pytest.approx(0.5)  # 1 / 2
    assert [steps[k].drop_off for k in KEYS] == [0, 0, 1, 1, 0, 0, 1]
    assert f.leads == 5  # e counts as a lead, it just reached nothing
    assert not f.empty


def test_asks_per_step_and_acceptance_rate(history) -> None:
    asks = by_key(compute_funnel().asks, "step")
    assert set(asks) == {"downloaded", "answered", "booked"}
    got = {k: (a.asked, a.accepted, a.declined, a.no_response, a.pending) for k, a in asks.items()}
    assert got == {
        "answered": (2, 1, 1, 0, 0),
        "downloaded": (1, 0, 0, 1, 0),
        "booked": (1, 0, 0, 0, 1),
    }
    assert asks["answered"].acceptance_rate == 0.5
    assert asks["downloaded"].acceptance_rate == 0.0
    assert asks["booked"].acceptance_rate is None  # only a pending ask: no answer yet


def test_offers_takers_went_further_reached_major_and_days(history) -> None:
    offers = by_key(compute_funnel().offers, "offer")
    a, b = offers["Guide A"], offers["Guide B"]
    # Guide A: a and b took it; only a went on (answered 01-10, 5 days later, then booked).
    assert (a.takers, a.went_further, a.reached_major) == (2, 1, 1)
    assert a.median_days_to_next == pytest.approx(5.0)
    # Guide B: c took it on 01-08 and purchased on 02-01, 24 days later.
    assert (b.takers, b.went_further, b.reached_major) == (1, 1, 1)
    assert b.median_days_to_next == pytest.approx(24.0)
    assert list(offers) == ["Guide A", "Guide B"]  # most takers first


def test_paths_into_major_steps(history) -> None:
    paths = [(p.step, p.from_step, p.leads, p.share) for p in compute_funnel().paths]
    # a booked after answering; c purchased straight after downloading.
    assert paths == [("booked", "answered", 1, 1.0), ("purchased", "downloaded", 1, 1.0)]


def test_velocity_between_consecutive_steps(history) -> None:
    v = {(r.from_step, r.to_step): (r.leads, r.median_days) for r in compute_funnel().velocity}
    assert v[("clicked", "subscribed")] == (0, None)
    # a 3 days, b 3 days, c 4 days: median 3.
    assert v[("subscribed", "downloaded")] == (3, pytest.approx(3.0))
    assert v[("downloaded", "answered")] == (1, pytest.approx(5.0))
    # c purchased without booking first: it is not part of booked -> purchased.
    assert v[("booked", "purchased")] == (0, None)


def test_cohorts_by_month_of_first_yes(history) -> None:
    cohorts = compute_funnel().cohorts
    assert [(c.month, c.leads) for c in cohorts] == [("2026-01", 3), ("2026-02", 1)]
    jan, feb = cohorts
    assert [jan.share(k) for k in KEYS] == pytest.approx([1, 1, 1, 2 / 3, 2 / 3, 2 / 3, 1 / 3])
    assert [feb.share(k) for k in KEYS] == [1, 1, 0, 0, 0, 0, 0]


def test_a_period_sees_only_the_yeses_and_asks_inside_it(history) -> None:
    # 01-05 inclusive to 02-01 exclusive: a downloaded/answered/booked, b and c downloaded;
    # every subscribe is before it and c's purchase falls on the excluded end.
    f = compute_funnel(FunnelFilter(since=at("01-05"), until=at("02-01")))
    steps = by_key(f.steps)
    assert [steps[k].reached for k in KEYS] == [3, 3, 3, 1, 1, 1, 0]
    assert [steps[k].took for k in KEYS] == [0, 0, 3, 1, 0, 1, 0]
    assert steps["answered"].conversion == pytest.approx(1 / 3)
    # No purchase is dated inside the period: "purchased" is not tracked there, not 0%.
    assert [steps[k].tracked for k in KEYS] == [False, False, True, True, False, True, False]
    assert steps["purchased"].conversion is None
    asks = by_key(f.asks, "step")
    assert set(asks) == {"answered"}
    assert (asks["answered"].asked, asks["answered"].accepted) == (2, 1)
    offers = by_key(f.offers, "offer")
    assert (offers["Guide A"].takers, offers["Guide A"].went_further) == (2, 1)
    # c's purchase is after the period: Guide B led nowhere inside it.
    assert (offers["Guide B"].went_further, offers["Guide B"].reached_major) == (0, 0)
    assert offers["Guide B"].median_days_to_next is None
    assert [(c.month, c.leads) for c in f.cohorts] == [("2026-01", 3)]
    assert [(p.step, p.from_step) for p in f.paths] == [("booked", "answered")]


def test_tag_and_source_filters_pick_leads(history) -> None:
    vip = compute_funnel(FunnelFilter(tag="VIP"))  # tags match in any case
    assert vip.leads == 2
    assert [s.reached for s in vip.steps] == [2, 2, 2, 2, 2, 2, 1]
    assert {o.offer: o.takers for o in vip.offers} == {"Guide A": 1, "Guide B": 1}
    assert {a.step for a in vip.asks} == {"answered", "booked"}

    mailchimp = compute_funnel(FunnelFilter(source="mailchimp"))
    assert mailchimp.leads == 1
    assert [s.reached for s in mailchimp.steps] == [1, 1, 0, 0, 0, 0, 0]
    assert [(a.step, a.no_response) for a in mailchimp.asks] == [("downloaded", 1)]


def test_suppressed_leads_still_count(history, now) -> None:
    set_status(history["b"], "unsubscribed", now=now)
    set_status(history["c"], "bounced", now=now)
    assert [s.reached for s in compute_funnel().steps] == [4, 4, 3, 2, 2, 2, 1]


def test_bad_filters_are_refused_with_a_reason(history) -> None:
    with pytest.raises(ValidationError, match="no tag named"):
        compute_funnel(FunnelFilter(tag="nobody"))
    with pytest.raises(ValidationError, match="ends before it starts"):
        compute_funnel(FunnelFilter(since=at("02-01"), until=at("01-01")))


def test_an_empty_database_gives_zeros_not_errors(db) -> None:
    f = compute_funnel()
    assert f.empty
    assert all(s.reached == 0 and s.conversion is None for s in f.steps)
    assert f.offers == () and f.cohorts == () and f.paths == ()
    assert f.to_json()["velocity"][0]["median_days"] is None


def test_json_has_the_documented_keys(history) -> None:
    data = compute_funnel().to_json()
    assert set(data) == {"steps", "asks", "offers", "paths", "velocity", "cohorts", "revenue"}
    assert set(data["steps"][0]) == {
        "key",
        "label",
        "level",
        "reached",
        "took",
        "conversion",
        "tracked",
        "tracked_conversion",
        "tracked_base",
    }
    assert set(data["asks"][0]) == {
        "step",
        "asked",
        "accepted",
        "declined",
        "no_response",
        "pending",
    }
    assert set(data["offers"][0]) == {
        "offer",
        "takers",
        "went_further",
        "reached_major",
        "median_days_to_next",
    }


def test_cancel_stops_the_computation(history) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(OperationCancelled):
        compute_funnel(cancel=token)
    assert gc.isenabled()  # the collector paused for the read runs again
    compute_funnel()  # nothing was left behind: a second run works


def test_the_period_is_described_in_local_dates(monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        flt = FunnelFilter(
            since=parse_user_datetime("2026-01-01"), until=parse_user_datetime("2026-02-01")
        )
        assert flt.since == dt.datetime(2025, 12, 31, 23, 0)  # stored as UTC
        assert flt.describe() == "2026-01-01 to 2026-01-31"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_cli_funnel_json_with_an_inclusive_until_day(history, db_path, capsys, monkeypatch):
    monkeypatch.setattr("crm.cli.COMMAND_MODULES", ("crm.cli.funnel",))
    # --until names a whole day: 2026-01-31 runs to midnight, so c's 02-01 purchase is out.
    args = ["--db", str(db_path), "funnel", "--since", "2026-01-05", "--until", "2026-01-31"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["reached"] for s in data["steps"]] == [3, 3, 3, 1, 1, 1, 0]
    assert data["steps"][0]["conversion"] is None
    assert {o["offer"]: o["went_further"] for o in data["offers"]} == {"Guide A": 1, "Guide B": 0}
    assert main(args) == 0
    text = capsys.readouterr().out
    assert text.startswith("Funnel · 2026-01-05 to 2026-01-31")
    assert "Guide A" in text


def test_cli_refuses_a_period_that_ends_before_it_starts(db_path, db, capsys, monkeypatch):
    monkeypatch.setattr("crm.cli.COMMAND_MODULES", ("crm.cli.funnel",))
    args = ["--db", str(db_path), "funnel", "--since", "2026-03-01", "--until", "2026-02-01"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: The period ends before it starts") and err.count("\n") == 1


def test_a_step_reached_before_the_offer_is_not_going_further(db, now) -> None:
    lead = add_lead("f@example.com", now=now).id
    record_commitment(lead, "replied", at=at("03-01"), now=now)
    record_commitment(lead, "downloaded", at=at("03-02"), now=now, offer="Late guide")
    record_commitment(lead, "replied", at=at("03-05"), now=now)  # again, not for the first time
    offer = compute_funnel().offers[0]
    assert (offer.offer, offer.takers, offer.went_further) == ("Late guide", 1, 0)
    record_commitment(lead, "booked", at=at("03-09"), now=now)  # a first: 7 days after
    offer = compute_funnel().offers[0]
    assert (offer.went_further, offer.reached_major) == (1, 1)
    assert offer.median_days_to_next == pytest.approx(7.0)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([], {"period": "all time", "since": None, "until": None, "source": None, "tag": None}),
        (
            [
                "--since",
                "2026-01-05",
                "--until",
                "2026-01-31",
                "--source",
                "manual",
                "--tag",
                "VIP",
            ],
            {
                "period": "2026-01-05 to 2026-01-31",
                "since": "2026-01-05",
                "until": "2026-01-31",
                "source": "manual",
                "tag": "VIP",
            },
        ),
        (["--since", "2026-02-01"], {"period": "since 2026-02-01", "since": "2026-02-01"}),
    ],
)
def test_cli_funnel_json_echoes_the_filter_it_used(
    history, db_path, capsys, monkeypatch, given, expected
) -> None:
    monkeypatch.setattr("crm.cli.COMMAND_MODULES", ("crm.cli.funnel",))
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        assert main(["--db", str(db_path), "funnel", *given, "--json"]) == 0
    finally:
        monkeypatch.undo()
        time.tzset()
    data = json.loads(capsys.readouterr().out)
    assert list(data) == [
        "steps",
        "asks",
        "offers",
        "paths",
        "velocity",
        "cohorts",
        "revenue",
        "filter",
    ]
    full = {"period": "", "since": None, "until": None, "source": None, "tag": None}
    assert data["filter"] == {**full, **expected}


@pytest.mark.parametrize(
    "flt",
    [
        FunnelFilter(),
        FunnelFilter(since=at("01-05"), until=at("02-01")),
        FunnelFilter(since=at("01-06")),
        FunnelFilter(until=at("01-05")),
        FunnelFilter(since=at("01-01"), until=at("03-01"), tag="vip"),
    ],
)
def test_the_lead_list_holds_the_people_each_bar_counts(history, flt) -> None:
    from crm.book.leads import LeadQuery, count_leads, step_by_key

    funnel = compute_funnel(flt)
    base = LeadQuery(source=flt.source, tag=flt.tag, yes_since=flt.since, yes_until=flt.until)
    for step in funnel.steps:
        query = dataclasses.replace(base, min_level=step_by_key(step.key).level)
        assert count_leads(query) == step.reached, step.key
    for offer in funnel.offers:
        assert count_leads(dataclasses.replace(base, offer=offer.offer)) == offer.takers


def test_a_book_of_subscribers_does_not_claim_every_click(db, db_path, now, capsys, monkeypatch):
    from crm.analytics.funnel import NOT_TRACKED, numbers_table

    for i in range(5):
        lead = add_lead(f"s{i}@example.com", source="substack", now=now).id
        record_commitment(lead, "subscribed", at=at("01-02"), now=now)
    funnel = compute_funnel()
    clicked, subscribed = funnel.steps[0], funnel.steps[1]
    assert (clicked.tracked, subscribed.tracked) == (False, True)
    assert subscribed.conversion is None  # not "100% of previous"
    table = numbers_table(funnel, "funnel")
    assert table.rows[0] == ("Clicked", NOT_TRACKED, "0", "–", "–")
    assert table.rows[1] == ("Subscribed", "5", "5", "–", "–")
    assert table.links[:2] == (None, ("step", "subscribed"))
    cohorts = numbers_table(funnel, "cohorts")
    assert cohorts.title == "Cohorts by month of first yes (– where a step is not tracked)"
    assert cohorts.columns[2] == "Clicked"
    assert cohorts.rows[0][2:4] == ("–", "100%")

    monkeypatch.setattr("crm.cli.COMMAND_MODULES", ("crm.cli.funnel",))
    assert main(["--db", str(db_path), "funnel", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    first, second = data["steps"][:2]
    assert (first["key"], first["tracked"], first["took"]) == ("clicked", False, 0)
    assert (second["tracked"], second["tracked_conversion"]) == (True, None)
    # the plain ratio scripts read: 1 subscriber of the 1 lead at or above clicked
    assert second["conversion"] == 1.0
    assert data["cohorts"][0]["reached"]["clicked"] is None
    assert data["cohorts"][0]["reached"]["subscribed"] == 1.0
    assert main(["--db", str(db_path), "funnel"]) == 0
    text = capsys.readouterr().out
    assert re.search(r"Clicked\s+not tracked\s+0", text)
    assert "100%" not in text.split("Asks per step")[0]

    # One recorded click makes the step tracked, and the funnel reads as before.
    record_commitment(lead, "clicked", at=at("01-03"), now=now)
    funnel = compute_funnel()
    assert funnel.steps[0].tracked and funnel.steps[0].reached == 5
    assert funnel.steps[1].conversion == 1.0  # 5 / 5: every subscriber is at or above


def test_a_conversion_across_an_untracked_step_names_the_step_it_is_over(db, now) -> None:
    from crm.analytics.funnel import numbers_table

    for i, step in enumerate(["subscribed", "answered", "answered", "booked"]):
        lead = add_lead(f"g{i}@example.com", now=now).id
        record_commitment(lead, step, at=at("01-02"), now=now)
    funnel = compute_funnel()
    steps = by_key(funnel.steps)
    assert not steps["downloaded"].tracked and not steps["replied"].tracked
    # answered (3) over subscribed (4), skipping the untracked "downloaded".
    assert steps["answered"].base == "subscribed"
    assert steps["answered"].conversion == pytest.approx(0.75)
    assert steps["answered"].drop_off == 1
    rows = {r[0]: r for r in numbers_table(funnel, "funnel").rows}
    assert rows["Answered"][3:] == ("75% of Subscribed", "1")
    assert rows["Booked a call"][3:] == ("33% of Answered", "2")
    assert rows["Subscribed"][3] == "–"
