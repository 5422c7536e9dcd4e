"""After every writer of yeses and asks, the lead's cached columns equal a full recompute.

The expected values are computed here in Python from the rows themselves, not with the
SQL that ``crm.book.lead_cache`` runs, so the two definitions check each other.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.asking.asks import delete_ask, record_ask, set_outcome
from crm.asking.campaigns import create_campaign, mark_asked, undo_campaign
from crm.asking.ladder import get_ladder, remove_step, reorder_steps
from crm.book.bulk import Selection, bulk_delete, bulk_tag, undo_change
from crm.book.filters import LeadFilter
from crm.book.leads import LeadQuery, add_lead, delete_lead
from crm.book.tag_rules import add_tag_rule
from crm.book.timeline import delete_commitment, record_commitment
from crm.demo import load_demo
from crm.errors import SmallyesError
from crm.importing import import_csv
from crm.importing.undo import undo_import
from crm.safety.forget import forget_lead
from crm.store.models import database_proxy

DAY = dt.timedelta(days=1)
DATA = Path(__file__).resolve().parents[2] / "data" / "csv"


def _cached() -> dict[int, tuple]:
    rows = database_proxy.execute_sql(
        "SELECT id, level, last_commitment_at, last_ask_at FROM lead"
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _expected() -> dict[int, tuple]:
    level_of = dict(database_proxy.execute_sql("SELECT id, level FROM step").fetchall())
    out: dict[int, list] = {
        lead_id: [0, None, None]
        for (lead_id,) in database_proxy.execute_sql("SELECT id FROM lead").fetchall()
    }
    for lead_id, step_id, at in database_proxy.execute_sql(
        "SELECT lead_id, step_id, at FROM commitment"
    ).fetchall():
        got = out[lead_id]
        got[0] = max(got[0], level_of[step_id])
        got[1] = at if got[1] is None or got[1] < at else got[1]
    for lead_id, asked_at in database_proxy.execute_sql(
        "SELECT lead_id, asked_at FROM ask"
    ).fetchall():
        got = out[lead_id]
        got[2] = asked_at if got[2] is None or got[2] < asked_at else got[2]
    return {k: tuple(v) for k, v in out.items()}


def assert_cache_is_recomputed() -> None:
    assert _cached() == _expected()


def test_yeses_asks_and_their_removal_keep_the_cache(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    late = record_commitment(lead.id, "downloaded", at=now - 2 * DAY, now=now)
    record_commitment(lead.id, "subscribed", at=now - 9 * DAY, now=now)
    assert_cache_is_recomputed()
    early_ask = record_ask(lead.id, "answered", at=now - 5 * DAY, now=now)
    late_ask = record_ask(lead.id, "answered", at=now - 1 * DAY, now=now)
    assert_cache_is_recomputed()
    set_outcome(late_ask, "accepted", at=now, now=now)
    assert_cache_is_recomputed()
    delete_ask(late_ask)
    assert_cache_is_recomputed()
    delete_commitment(late)
    delete_ask(early_ask)
    assert_cache_is_recomputed()
    assert _cached()[lead.id][0] == 2


def test_import_undo_demo_forget_and_delete_keep_the_cache(db, now) -> None:
    load_demo(leads=120, seed=5, now=now)
    assert_cache_is_recomputed()
    report = import_csv(DATA / "mailchimp_subscribed.csv", now=now)
    assert_cache_is_recomputed()
    undo_import(report.batch_id, now=now)
    assert_cache_is_recomputed()
    ids = sorted(_cached())
    forget_lead(ids[0], now=now)
    delete_lead(ids[1])
    assert_cache_is_recomputed()


def test_bulk_changes_and_their_undo_keep_the_cache(db, now) -> None:
    load_demo(leads=120, seed=3, now=now)
    add_tag_rule("Downloaded: *", "downloaded", now=now)
    tagged = bulk_tag(Selection.every_lead(), "Downloaded: Guide", now=now)
    assert_cache_is_recomputed()
    deleted = bulk_delete(Selection(query=LeadQuery(status="subscribed")), now=now)
    assert_cache_is_recomputed()
    assert deleted.batch is not None and tagged.batch is not None
    undo_change(deleted.batch, now=now)
    assert_cache_is_recomputed()
    undo_change(tagged.batch, now=now)


def test_campaigns_marked_asks_and_their_undo_keep_the_cache(db, now, tmp_path) -> None:
    load_demo(leads=150, seed=3, now=now)
    made = create_campaign("downloaded", None, LeadFilter(), platform="generic",
                           target=tmp_path / "a.csv", now=now)  # fmt: skip
    assert made.asked
    assert_cache_is_recomputed()
    marked = mark_asked(LeadFilter(), "answered", None, now + 8 * DAY)
    assert marked.changed and marked.batch is not None
    assert_cache_is_recomputed()
    undo_campaign(marked.batch, now=now)
    undo_campaign(made.campaign, now=now)
    assert_cache_is_recomputed()


def test_ladder_reorder_and_merge_keep_the_cache(db, now) -> None:
    load_demo(leads=80, seed=2, now=now)
    keys = [s.key for s in get_ladder()]
    reorder_steps([keys[1], keys[0], *keys[2:]])
    assert_cache_is_recomputed()
    remove_step("answered", into="replied")
    assert_cache_is_recomputed()


WRITERS = st.lists(
    st.tuples(
        st.sampled_from(["yes", "ask", "accept", "drop_yes", "drop_ask"]),
        st.integers(0, 2),  # which lead
        st.integers(0, 60),  # days ago
        st.sampled_from(["clicked", "subscribed", "downloaded", "answered", "booked"]),
    ),
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(WRITERS)
def test_any_sequence_of_writers_keeps_the_cache(db, now, steps) -> None:
    database_proxy.execute_sql("DELETE FROM lead")
    leads = [add_lead(f"p{i}@example.com", now=now).id for i in range(3)]
    yeses: list[int] = []
    asks: list[int] = []
    for action, who, days, step in steps:
        at = now - days * DAY
        if action == "yes":
            yeses.append(record_commitment(leads[who], step, at=at, now=now))
        elif action == "ask":
            asks.append(record_ask(leads[who], step, at=at, now=now))
        elif action == "accept" and asks:
            with contextlib.suppress(SmallyesError):  # an ask answered before refuses
                set_outcome(asks[-1], "accepted", at=now, now=now)
        elif action == "drop_yes" and yeses:
            delete_commitment(yeses.pop(days % len(yeses)))
        elif action == "drop_ask" and asks:
            delete_ask(asks.pop(days % len(asks)))
        assert_cache_is_recomputed()
