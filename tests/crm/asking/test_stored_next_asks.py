"""The stored next asks equal a fresh computation after any sequence of writes.

A hypothesis state machine applies random writes through the public domain functions (a
yes, an ask, an answer, a snooze or skip, a status, an import and its undo, an activity
import, bulk tag and status changes and their undo, a delete and its restore, an offer,
the pacing, the clock moving on) and after each one reads Today (which refreshes only what
the writes marked stale or time expired) and checks every stored row and the page against
the same computed from scratch with the stored evidence, and that evidence against a fresh
one: within the tolerances, and less than a day old (the clock moving on replaces it).
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from peewee import IntegrityError

from crm.asking import due, stored
from crm.asking.asks import delete_ask, record_ask, set_outcome
from crm.asking.campaigns import mark_asked, undo_campaign
from crm.asking.ladder import rename_step
from crm.asking.pacing import get_pacing, set_pacing
from crm.book.bulk import (
    Selection,
    bulk_delete,
    bulk_set_status,
    bulk_snooze,
    bulk_tag,
    undo_change,
)
from crm.book.leads import add_lead, delete_lead, restore_deleted, set_status
from crm.book.offers import add_offer, retire_offer
from crm.book.tag_rules import add_tag_rule, tag_lead_by_hand
from crm.book.timeline import delete_commitment, record_commitment
from crm.errors import SmallyesError
from crm.importing import ImportOptions, import_csv
from crm.importing.undo import undo_import
from crm.safety.forget import forget_lead
from crm.store.db import close_database, open_database
from crm.store.models import database_proxy
from tests.conftest import NOW
from tests.crm.importing.activity.apply_helpers import activity_csv, use_simple_reader

DATA = Path(__file__).resolve().parents[2] / "data" / "csv"
EMAILS = ("ada@example.com", "bob@example.com", "cy@example.com", "dee@example.com")
STEPS = ("clicked", "subscribed", "downloaded", "answered", "replied", "booked", "purchased")
STATUSES = ("subscribed", "pending", "none", "unsubscribed")
OUTCOMES = ("accepted", "declined", "no_response")
HOURS = st.integers(min_value=0, max_value=24 * 40)


def _comparable(row: stored.Stored) -> tuple[Any, ...]:
    """A stored row without the generation and the time it was computed."""
    return row[:1] + row[3:]


class StoredNextAsks(RuleBasedStateMachine):
    leads = Bundle("leads")
    asks = Bundle("asks")
    imports = Bundle("imports")
    changes = Bundle("changes")
    deleted = Bundle("deleted")
    campaigns = Bundle("campaigns")

    def __init__(self, template: Path) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="stored-next-asks-"))
        path = self.dir / "book.db"
        shutil.copyfile(template, path)
        self.db = open_database(path)
        self.now = NOW
        self.files = 0

    def teardown(self) -> None:
        close_database(self.db)
        shutil.rmtree(self.dir, ignore_errors=True)

    def _ago(self, hours: int) -> dt.datetime:
        return self.now - dt.timedelta(hours=hours)

    @rule(target=leads, email=st.sampled_from(EMAILS), status=st.sampled_from(STATUSES))
    def add(self, email: str, status: str) -> Any:
        try:
            return add_lead(email, status=status, now=self.now).id
        except SmallyesError:
            return multiple()

    @rule(lead=leads, step=st.sampled_from(STEPS), hours=HOURS)
    def log_yes(self, lead: int, step: str, hours: int) -> None:
        with suppress(SmallyesError):
            record_commitment(lead, step, at=self._ago(hours), now=self.now)

    @rule(target=asks, lead=leads, step=st.sampled_from(STEPS), hours=HOURS)
    def ask(self, lead: int, step: str, hours: int) -> Any:
        try:
            return record_ask(lead, step, at=self._ago(hours), now=self.now)
        except SmallyesError:
            return multiple()

    @rule(ask=asks, outcome=st.sampled_from(OUTCOMES))
    def answer(self, ask: int, outcome: str) -> None:
        with suppress(SmallyesError):
            set_outcome(ask, outcome, at=self.now, now=self.now)

    @rule(lead=leads, days=st.integers(min_value=1, max_value=20), skip=st.booleans())
    def snooze(self, lead: int, days: int, skip: bool) -> None:
        with suppress(SmallyesError):
            if skip:
                due.skip(lead, now=self.now)
            else:
                due.snooze(lead, self.now + dt.timedelta(days=days), now=self.now)

    @rule(lead=leads, status=st.sampled_from(STATUSES))
    def status(self, lead: int, status: str) -> None:
        with suppress(SmallyesError):
            set_status(lead, status, now=self.now)

    @rule(target=imports)
    def import_people(self) -> int:
        report = import_csv(DATA / "ghost_members.csv", ImportOptions(), now=self.now)
        return report.batch_id

    @rule(
        target=imports,
        email=st.sampled_from(EMAILS),
        action=st.sampled_from(("opened", "clicked", "delivered")),
        hours=HOURS,
    )
    def import_activity(self, email: str, action: str, hours: int) -> Any:
        self.files += 1
        stamp = self._ago(hours).isoformat(sep=" ")
        url = "https://example.com/guide" if action == "clicked" else ""
        path = activity_csv(self.dir, [[email, stamp, action, url]], name=f"a{self.files}.csv")
        try:
            return import_csv(path, ImportOptions(), now=self.now).batch_id
        except SmallyesError:
            return multiple()

    @rule(batch=consumes(imports))
    def undo_an_import(self, batch: int) -> None:
        with suppress(SmallyesError):
            undo_import(batch, now=self.now)

    @rule(target=changes, picked=st.lists(st.sampled_from(range(4)), min_size=1, max_size=4))
    def bulk_tag(self, picked: list[int]) -> Any:
        ids = self._lead_ids(picked)
        if not ids:
            return multiple()
        report = bulk_tag(Selection(lead_ids=ids, words="picked"), "vip", now=self.now)
        return report.batch if report.batch is not None else multiple()

    @rule(
        target=changes,
        picked=st.lists(st.sampled_from(range(4)), min_size=1, max_size=4),
        status=st.sampled_from(STATUSES),
    )
    def bulk_status(self, picked: list[int], status: str) -> Any:
        ids = self._lead_ids(picked)
        if not ids:
            return multiple()
        report = bulk_set_status(Selection(lead_ids=ids, words="picked"), status, now=self.now)
        return report.batch if report.batch is not None else multiple()

    @rule(batch=consumes(changes))
    def undo_a_change(self, batch: int) -> None:
        with suppress(SmallyesError):
            undo_change(batch, now=self.now)

    @rule(target=deleted, lead=consumes(leads))
    def delete(self, lead: int) -> Any:
        try:
            return delete_lead(lead)
        except SmallyesError:
            return multiple()

    @rule(target=leads, gone=consumes(deleted))
    def restore(self, gone: Any) -> Any:
        try:
            return restore_deleted(gone).id
        except (SmallyesError, IntegrityError):
            return multiple()  # its id went to a lead added since

    @rule(name=st.sampled_from(("Focus workbook", "Pricing guide")))
    def offer(self, name: str) -> None:
        with suppress(SmallyesError):
            add_offer(name, now=self.now, topics="vip")

    @rule(
        cooldown=st.integers(min_value=1, max_value=10),
        warm_max=st.integers(min_value=2, max_value=5),
    )
    def pacing(self, cooldown: int, warm_max: int) -> None:
        set_pacing(cooldown_days=cooldown, warm_max_days=max(warm_max, get_pacing().warm_min_days))

    @rule(hours=st.integers(min_value=1, max_value=24 * 70))
    def advance_the_clock(self, hours: int) -> None:
        self.now += dt.timedelta(hours=hours)

    @rule(lead=leads)
    def tag_by_hand(self, lead: int) -> None:
        # a deleted lead's tag fails on its foreign key (not a SmallyesError)
        with suppress(SmallyesError, IntegrityError):
            tag_lead_by_hand(lead, ["vip"], now=self.now)

    @rule(step=st.sampled_from(("answered", "replied")))
    def tag_rule(self, step: str) -> None:
        with suppress(SmallyesError):
            add_tag_rule("vip", step, now=self.now)

    @rule(
        target=campaigns,
        picked=st.lists(st.sampled_from(range(4)), min_size=1, max_size=4),
        step=st.sampled_from(STEPS),
    )
    def mark_asked(self, picked: list[int], step: str) -> Any:
        ids = self._lead_ids(picked)
        try:
            done = mark_asked(list(ids), step, None, self.now)
        except SmallyesError:
            return multiple()
        return done.batch if done.batch is not None else multiple()

    @rule(batch=consumes(campaigns))
    def undo_a_campaign(self, batch: int) -> None:
        with suppress(SmallyesError):
            undo_campaign(batch, now=self.now)

    @rule(
        target=changes,
        picked=st.lists(st.sampled_from(range(4)), min_size=1, max_size=4),
        days=st.integers(min_value=1, max_value=20),
    )
    def bulk_snooze(self, picked: list[int], days: int) -> Any:
        ids = self._lead_ids(picked)
        if not ids:
            return multiple()
        until = self.now + dt.timedelta(days=days)
        report = bulk_snooze(Selection(lead_ids=ids, words="picked"), until, now=self.now)
        return report.batch if report.batch is not None else multiple()

    @rule(target=changes, picked=st.lists(st.sampled_from(range(4)), min_size=1, max_size=2))
    def bulk_delete(self, picked: list[int]) -> Any:
        ids = self._lead_ids(picked)
        if not ids:
            return multiple()
        report = bulk_delete(Selection(lead_ids=ids, words="picked"), now=self.now)
        return report.batch if report.batch is not None else multiple()

    @rule(ask=consumes(asks))
    def delete_an_ask(self, ask: int) -> None:
        with suppress(SmallyesError):
            delete_ask(ask)

    @rule(first=st.booleans())
    def delete_a_yes(self, first: bool) -> None:
        found = database_proxy.execute_sql(
            f"SELECT id FROM commitment ORDER BY id {'ASC' if first else 'DESC'} LIMIT 1"
        ).fetchone()
        if found is not None:
            delete_commitment(found[0])

    @rule(label=st.sampled_from(("Downloaded a guide", "Got the guide")))
    def rename_a_step(self, label: str) -> None:
        rename_step("downloaded", label)

    @rule(lead=consumes(leads))
    def forget(self, lead: int) -> None:
        with suppress(SmallyesError):
            forget_lead(lead, now=self.now)

    @rule(name=st.sampled_from(("Focus workbook", "Pricing guide")), retired=st.booleans())
    def retire(self, name: str, retired: bool) -> None:
        with suppress(SmallyesError):
            retire_offer(name, retired)

    def _lead_ids(self, picked: list[int]) -> tuple[int, ...]:
        ids = [r[0] for r in database_proxy.execute_sql("SELECT id FROM lead ORDER BY id")]
        return tuple(sorted({ids[i] for i in picked if i < len(ids)}))

    @invariant()
    def stored_equals_fresh(self) -> None:
        # a book not checked in this process (a command that only reads) computes a few
        # stale leads beside the stored rows, without storing them
        self.db.checked = False
        limited = due.todays_asks_page(self.now, 3)
        kept = _stored_evidence()
        assert limited == due.compute_asks_page(self.now, 3, evidence=kept)
        # a checked one (the window, once its start-up check passed) stores them
        self.db.checked = True
        page = due.todays_asks_page(self.now, per_group=2)
        gen, _setup, evidence, evidence_stale = stored.book_row()
        assert not evidence_stale
        assert evidence is not None
        kept = stored.evidence_from_json(evidence)
        assert page == due.compute_asks_page(self.now, per_group=2, evidence=kept)
        # the stored evidence is within the tolerance of a fresh one, and less than a day old
        assert not stored.evidence_moved(kept, due.load_evidence(), get_pacing())
        assert not stored.evidence_expired(stored.evidence_time(evidence), due.to_us(self.now))
        setup = due.Prepared(due._load_ladder(), due._load_offers(), get_pacing(), kept)
        rows = stored.stored_rows()
        assert {r[1] for r in rows.values()} <= {gen}
        want = {k: _comparable(r) for k, r in due.fresh_rows(self.now, setup, gen).items()}
        assert {k: _comparable(r) for k, r in rows.items()} == want
        for lead_id in list(rows)[:3]:
            assert due.suggest_for_lead(lead_id, self.now) == due.compute_for_lead(
                lead_id, self.now, kept
            )


def _stored_evidence() -> stored.Evidence:
    _gen, _setup, evidence, _stale = stored.book_row()
    assert evidence is not None
    return stored.evidence_from_json(evidence)


def test_stored_next_asks_equal_a_fresh_computation(
    _template_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_simple_reader(monkeypatch)
    run_state_machine_as_test(
        lambda: StoredNextAsks(_template_db),
        settings=settings(
            max_examples=60,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
