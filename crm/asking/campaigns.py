"""Campaigns: one ask to many leads, sent through the owner's newsletter tool.

A campaign is a batch of pending asks, one per eligible lead (``crm.asking.eligibility``
decides who, under every guardrail), at one step and offer, recorded in one transaction
together with the audience file the owner imports into their tool (``crm.asking.audience``):
both or neither. The asks are answered as any ask is: a yes that a later activity import
brings (a download, a booking, a sale) accepts the pending ask it answers; the owner marks
a "not now" or no answer by hand. ``undo_campaign`` deletes exactly the campaign's asks that
are still pending; an ask answered since stays (it is the lead's history now) and the
undo says how many. ``mark_asked`` records the same batch without a file, for asks the
owner sent some other way (``bulk mark-asked``); it is undone the same way.

The ``campaign`` table keeps the step and offer as words, so a later ladder change leaves
a past campaign's name alone; its numbers are counted from its asks (``ask.campaign_id``).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm.asking.audience import (
    PLATFORMS,
    WHAT,
    AudienceRow,
    Platform,
    campaign_tag,
    platform_named,
    write_audience,
)
from crm.asking.eligibility import AskTarget, CampaignPlan, Who, ask_target, plan_for, verdicts_sql
from crm.asking.naming import ask_name
from crm.asking.pacing import get_pacing
from crm.book import lead_cache
from crm.book.filters import LeadFilter
from crm.book.leads import LeadQuery
from crm.changes import note
from crm.errors import NotFoundError, ValidationError
from crm.safety.output_files import check_target
from crm.store.models import database_proxy
from crm.timefmt import from_stored, from_stored_required, iso

MARKED = ""  # the platform of asks marked as asked, with no file


@dataclass(frozen=True, slots=True)
class CampaignRow:
    """A campaign and its numbers so far (``pending``: waiting within the follow-up;
    ``no_response``: marked so, or pending past the follow-up, as the engine counts it)."""

    id: int
    name: str
    step: str
    step_label: str
    offer: str | None
    platform: str
    file_name: str
    tag: str
    audience: str
    created_at: dt.datetime
    undone_at: dt.datetime | None
    asked: int
    accepted: int
    declined: int
    no_response: int
    pending: int
    removed: int  # pending asks its undo deleted
    kept: int  # asks answered before its undo, kept
    median_days_to_yes: float | None
    held_back: dict[str, int]

    @property
    def conversion(self) -> float | None:
        """The share of the leads asked who said yes."""
        return self.accepted / self.asked if self.asked else None

    @property
    def platform_label(self) -> str:
        found = PLATFORMS.get(self.platform)
        return found.label if found is not None else "Marked as asked"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "step": self.step,
            "offer": self.offer,
            "platform": self.platform or None,
            "file": self.file_name or None,
            "tag": self.tag or None,
            "audience": self.audience,
            "created_at": iso(self.created_at),
            "undone_at": iso(self.undone_at),
            "asked": self.asked,
            "accepted": self.accepted,
            "declined": self.declined,
            "no_response": self.no_response,
            "pending": self.pending,
            "conversion": None if self.conversion is None else round(self.conversion, 4),
            "median_days_to_yes": (
                None if self.median_days_to_yes is None else round(self.median_days_to_yes, 2)
            ),
            "removed_by_undo": self.removed,
            "kept_by_undo": self.kept,
            "held_back": self.held_back,
        }


@dataclass(frozen=True, slots=True)
class CampaignResult:
    """What ``create_campaign`` recorded and wrote."""

    campaign: int
    asked: int
    file: Path
    platform: Platform
    tag: str
    plan: CampaignPlan

    @property
    def how(self) -> str:
        """What to do with the file in the tool, in one sentence."""
        return self.platform.how.format(tag=self.tag)

    def to_json(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "asked": self.asked,
            "file": str(self.file),
            "platform": self.platform.key,
            "tag": self.tag,
            "held_back": dict(self.plan.held_back),
        }


@dataclass(frozen=True, slots=True)
class MarkAsked:
    """What ``mark_asked`` did: leads matched, asks recorded, held back by reason, and the
    batch (a campaign without a file) that undoes them."""

    matched: int
    changed: int
    held_back: dict[str, int]
    batch: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "changed": self.changed,
            "held_back": dict(self.held_back),
            "batch": self.batch,
        }


@dataclass(frozen=True, slots=True)
class UndoneCampaign:
    campaign: int
    removed: int
    kept: int

    def to_json(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "removed": self.removed, "kept": self.kept}

    @property
    def words(self) -> str:
        text = f"Campaign {self.campaign} undone: {self.removed:,} pending asks removed"
        if self.kept:
            text += (
                f"; {self.kept:,} answered since stay on the leads' timelines (their answers "
                "are their history)"
            )
        return text + "."


def describe_who(who: Who) -> str:
    """Whom a campaign was aimed at, in words ("status subscribed · tag vip")."""
    if isinstance(who, LeadFilter):
        return who.describe()
    if isinstance(who, LeadQuery):
        q = who
        parts = [f"search '{q.search.strip()}'"] if q.search.strip() else []
        parts += [f"{name} {value}" for name, value in (
            ("status", q.status), ("tag", q.tag), ("step", q.step), ("took", q.offer),
            ("source", q.source),
        ) if value]  # fmt: skip
        if q.min_level is not None:
            parts.append(f"level at least {q.min_level}")
        if q.yes_since or q.yes_until:
            parts.append("a yes in a period")
        return " · ".join(parts) or "every lead"
    n = len(who)
    return f"{n:,} chosen lead{'s' if n != 1 else ''}"


def _record(
    target: AskTarget, who: Who, *, now: dt.datetime, platform: str, for_file: bool
) -> tuple[int, CampaignPlan, list[int]]:
    """Inside the caller's transaction: the campaign's row and one pending ask per eligible
    lead. Returns its id, the plan it followed and the leads asked (in id order)."""
    plan = plan_for(target, who, now=now, for_file=for_file)
    cursor = database_proxy.execute_sql(
        "INSERT INTO campaign (name, step_key, step_label, offer, platform, audience, "
        "held_back, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ask_name(target.step_key, target.step_label, target.offer or None),
            target.step_key,
            target.step_label,
            target.offer or "",
            platform,
            describe_who(who),
            json.dumps(plan.held_back),
            now,
        ],
    )
    campaign_id = int(cursor.lastrowid)
    sql, params = verdicts_sql(target, who, now=now, for_file=for_file)
    database_proxy.execute_sql(
        "INSERT INTO ask (lead_id, step_id, offer_id, asked_at, outcome, note, campaign_id) "
        f"SELECT v.id, ?, ?, ?, 'pending', '', ? FROM ({sql}) v WHERE v.reason IS NULL "
        "ORDER BY v.id",
        [target.step_id, target.offer_id, now, campaign_id, *params],
    )
    leads = [
        int(r[0])
        for r in database_proxy.execute_sql(
            "SELECT lead_id FROM ask WHERE campaign_id = ? ORDER BY lead_id", [campaign_id]
        )
    ]
    database_proxy.execute_sql(
        "UPDATE campaign SET asked = ? WHERE id = ?", [len(leads), campaign_id]
    )
    lead_cache.add_asks(now, "SELECT lead_id FROM ask WHERE campaign_id = ?", [campaign_id])
    note(tables=["campaign", "ask", "lead"], leads=leads)
    return campaign_id, plan, leads


def create_campaign(
    step_key: str,
    offer: str | None,
    who: Who,
    *,
    platform: str,
    target: str | Path,
    now: dt.datetime,
) -> CampaignResult:
    """Ask every eligible lead ``who`` names for ``step_key`` (and ``offer``): record one
    pending ask each, as one campaign, and write the audience file for ``platform`` to
    ``target``. Nothing is recorded unless the file is written, and no file is written for
    a campaign nobody may receive."""
    tool = platform_named(platform)
    path = check_target(target, WHAT)
    ask = ask_target(step_key, offer)
    with database_proxy.atomic():
        campaign_id, plan, _ = _record(ask, who, now=now, platform=tool.key, for_file=True)
        if plan.eligible == 0:
            raise ValidationError(
                "Nobody chosen may be asked for that now (every one of them is held back: "
                "see the plan): nothing was recorded and no file written."
            )
        tag = campaign_tag(campaign_id, ask.step_label, ask.offer)
        rows = [
            AudienceRow(email, first or "", last or "")
            for email, first, last in database_proxy.execute_sql(
                "SELECT l.email, l.first_name, l.last_name FROM ask a JOIN lead l ON "
                "l.id = a.lead_id WHERE a.campaign_id = ? ORDER BY l.id",
                [campaign_id],
            )
        ]
        database_proxy.execute_sql(
            "UPDATE campaign SET tag = ?, file_name = ? WHERE id = ?",
            [tag, path.name, campaign_id],
        )
        write_audience(path, tool, rows, tag)
    return CampaignResult(campaign_id, len(rows), path, tool, tag, plan)


def mark_asked(who: Who, step_key: str, offer: str | None, now: dt.datetime) -> MarkAsked:
    """Record that every eligible lead ``who`` names was asked for ``step_key`` (and
    ``offer``) now, under the same guardrails as a campaign: one batch, undone by
    ``undo_campaign(batch)``. Nobody eligible: nothing is recorded and ``batch`` is None."""
    ask = ask_target(step_key, offer)
    with database_proxy.atomic() as txn:
        batch, plan, leads = _record(ask, who, now=now, platform=MARKED, for_file=False)
        if not leads:
            txn.rollback()
            return MarkAsked(plan.matched, 0, dict(plan.held_back), None)
    return MarkAsked(plan.matched, len(leads), dict(plan.held_back), batch)


def undo_campaign(campaign_id: int, *, now: dt.datetime) -> UndoneCampaign:
    """Delete the campaign's asks that are still pending; those answered since stay."""
    with database_proxy.atomic():
        row = database_proxy.execute_sql(
            "SELECT undone_at FROM campaign WHERE id = ?", [campaign_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(
                f"There is no campaign number {campaign_id}: 'smallyes-cli campaigns' lists them."
            )
        if row[0] is not None:
            raise ValidationError(
                f"Campaign {campaign_id} was undone already ({row[0][:10]}): there is nothing "
                "left to undo."
            )
        leads = [
            int(r[0])
            for r in database_proxy.execute_sql(
                "SELECT lead_id FROM ask WHERE campaign_id = ? AND outcome = 'pending'",
                [campaign_id],
            )
        ]
        database_proxy.execute_sql(
            "DELETE FROM ask WHERE campaign_id = ? AND outcome = 'pending'", [campaign_id]
        )
        [(kept,)] = database_proxy.execute_sql(
            "SELECT count(*) FROM ask WHERE campaign_id = ?", [campaign_id]
        ).fetchall()
        database_proxy.execute_sql(
            "UPDATE campaign SET undone_at = ?, removed = ?, kept = ? WHERE id = ?",
            [now, len(leads), kept, campaign_id],
        )
        lead_cache.recompute(leads)
        note(tables=["campaign", "ask", "lead"], leads=leads)
    return UndoneCampaign(campaign_id, len(leads), int(kept))


_LIST_SQL = """
SELECT c.id, c.name, c.step_key, c.step_label, c.offer, c.platform, c.file_name, c.tag,
       c.audience, c.created_at, c.undone_at, c.asked, c.removed, c.kept, c.held_back,
       coalesce(sum(a.outcome = 'accepted'), 0),
       coalesce(sum(a.outcome = 'declined'), 0),
       coalesce(sum(a.outcome = 'no_response' OR (a.outcome = 'pending' AND a.asked_at <= ?)), 0),
       coalesce(sum(a.outcome = 'pending' AND a.asked_at > ?), 0)
  FROM campaign c LEFT JOIN ask a ON a.campaign_id = c.id
{where}
 GROUP BY c.id
 ORDER BY c.id DESC
"""


def list_campaigns(now: dt.datetime, campaign_id: int | None = None) -> list[CampaignRow]:
    """Every campaign, newest first, with its numbers as of ``now``."""
    cut = (now - dt.timedelta(days=get_pacing().follow_up_days)).isoformat(sep=" ")
    where = "" if campaign_id is None else " WHERE c.id = ?"
    params: list[Any] = [cut, cut] + ([] if campaign_id is None else [campaign_id])
    rows = database_proxy.execute_sql(_LIST_SQL.format(where=where), params).fetchall()
    took: dict[int, list[float]] = defaultdict(list)
    for cid, days in database_proxy.execute_sql(
        "SELECT campaign_id, julianday(resolved_at) - julianday(asked_at) FROM ask "
        "WHERE campaign_id IS NOT NULL AND outcome = 'accepted' AND resolved_at IS NOT NULL"
        + ("" if campaign_id is None else " AND campaign_id = ?"),
        [] if campaign_id is None else [campaign_id],
    ):
        took[int(cid)].append(max(float(days), 0.0))
    out = []
    for r in rows:
        cid = int(r[0])
        out.append(
            CampaignRow(
                id=cid,
                name=r[1],
                step=r[2],
                step_label=r[3],
                offer=r[4] or None,
                platform=r[5],
                file_name=r[6],
                tag=r[7],
                audience=r[8],
                created_at=from_stored_required(r[9]),
                undone_at=from_stored(r[10]),
                asked=int(r[11]),
                removed=int(r[12]),
                kept=int(r[13]),
                held_back={k: int(v) for k, v in json.loads(r[14] or "{}").items() if v},
                accepted=int(r[15]),
                declined=int(r[16]),
                no_response=int(r[17]),
                pending=int(r[18]),
                median_days_to_yes=statistics.median(took[cid]) if took.get(cid) else None,
            )
        )
    return out


def get_campaign(campaign_id: int, now: dt.datetime) -> CampaignRow:
    found = list_campaigns(now, campaign_id)
    if not found:
        raise NotFoundError(
            f"There is no campaign number {campaign_id}: 'smallyes-cli campaigns' lists them."
        )
    return found[0]
