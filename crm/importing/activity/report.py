"""What an activity import tells: yeses per step, opens counted, rows skipped and why.

:class:`ActivityReport` is an :class:`~crm.importing.report.ImportReport` too, so whoever
shows an import's report (the import window, ``smallyes-cli import``, the rejected-rows
file) shows this one; its JSON adds the activity counts. A ZIP that holds subscriber
lists and activity files gives one report of kind ``mixed``: the subscriber import's
keys, plus the activity ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm.importing.report import ImportReport, Tally
from crm.money import decimal_text, shown

# Why a row made no yes, as the report counts them.
SKIP_DUPLICATE = "duplicate"  # the same event earlier in this import
SKIP_UNKNOWN = "unknown_email"  # newsletter engagement of someone not in the lead book
SKIP_IGNORED_LINK = "ignored_link"  # unsubscribe, preferences, view in browser, tracking
SKIP_DELIVERY = "delivery_not_a_yes"  # stored, as an e-mail received, but no yes
SKIP_NO_EMAIL = "no_email"  # an anonymous answer
SKIP_FORGOTTEN = "forgotten"  # a person forgotten at their request
SKIP_NO_STEP = "step_not_on_ladder"  # the ladder has no step for it any more
SKIP_STATUS_KEPT = "status_unchanged"  # a bounce or unsubscribe the lead's status already says
SKIP_AUTO_REPLY = "auto_reply"  # a mailbox's automatic reply or bulk mail: nobody wrote it
SKIP_CANCELED = "canceled"  # a canceled booking: on the timeline, no yes
SKIP_REFUNDED = "refunded"  # a sale refunded in full: on the timeline, no yes, no revenue
SKIP_REFUND_UNMATCHED = "refund_unmatched"  # a refund of a sale neither the file nor the book has

OPENED = "opened"  # the events key of opens counted (never a step)


class ActivityTally(Tally):
    """A subscriber import's tally, plus yeses per step, skips by reason and the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.events: dict[str, int] = {}
        self.skipped: dict[str, int] = {}
        self.already_imported = 0
        self.resolved_asks = 0
        self.status_changes: dict[str, int] = {}
        self.dated_at_import = 0
        self.revenue: dict[str, int] = {}  # currency -> minor units, net of refunds
        self.refunds_applied = 0  # sales of earlier imports refunded since
        self.cancellations_applied = 0  # bookings of earlier imports canceled since

    def add_revenue(self, currency: str, minor: int) -> None:
        self.revenue[currency] = self.revenue.get(currency, 0) + minor

    def skip(self, reason: str, rows: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + rows

    def event(self, step: str) -> None:
        self.events[step] = self.events.get(step, 0) + 1


@dataclass(frozen=True, slots=True)
class ActivityReport(ImportReport):
    kind: str = "activity"  # or "mixed": a ZIP of subscriber lists and activity
    events: dict[str, int] = field(default_factory=dict)  # step key -> yeses, "opened" -> opens
    already_imported: int = 0  # rows whose event an earlier import stored
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    resolved_asks: int = 0  # pending asks the imported yeses answered
    status_changes: dict[str, int] = field(default_factory=dict)  # new status -> leads
    activity_rows: int = 0
    # the zone times written without one were read in ("" when every time had its zone)
    zone_assumed: str = ""
    revenue: dict[str, int] = field(default_factory=dict)  # currency -> minor units, net
    refunds_applied: int = 0
    cancellations_applied: int = 0
    interest: tuple[str, ...] = ()  # the questions this import marked as showing interest
    # the subscriber import of a mixed ZIP, as it reports itself
    subscribers: ImportReport | None = field(default=None, repr=False, compare=False)

    @property
    def yeses(self) -> int:
        return sum(n for step, n in self.events.items() if step != OPENED)

    @property
    def zone_words(self) -> str:
        """The assumption made about times without a zone, as a sentence ("" for none)."""
        if not self.zone_assumed:
            return ""
        return f"Times had no zone: read as {self.zone_assumed}."

    @property
    def summary(self) -> str:
        """One line for the owner: what the file added."""
        steps = ", ".join(
            f"{n} {step}" for step, n in sorted(self.events.items()) if step != OPENED
        )
        parts = [f"{self.yeses} yeses" + (f" ({steps})" if steps else "")]
        if self.events.get(OPENED):
            parts.append(f"{self.events[OPENED]} opens")
        if self.already_imported:
            parts.append(f"{self.already_imported} already imported")
        skipped = sum(self.skipped.values())
        if skipped:
            parts.append(f"{skipped} skipped")
        if self.resolved_asks:
            parts.append(f"{self.resolved_asks} asks answered")
        if self.revenue:
            money = ", ".join(shown(v, c) for c, v in sorted(self.revenue.items()))
            parts.append(f"revenue {money}")
        if self.refunds_applied:
            parts.append(f"{self.refunds_applied} earlier sales refunded since")
        if self.cancellations_applied:
            parts.append(f"{self.cancellations_applied} earlier bookings canceled since")
        return ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.subscribers is not None:
            out.update(self.subscribers.to_json())
            out["subscriber_rows"] = self.subscribers.rows
        else:
            out.update(ImportReport.to_json(self))
        out.update(
            kind=self.kind,
            batch=self.batch_id,
            batch_id=self.batch_id,
            file=self.file_name,
            platform=self.platform,
            rows=self.rows,
            activity_rows=self.activity_rows,
            events=dict(sorted(self.events.items())),
            already_imported=self.already_imported,
            tag_rule_yeses=self.tag_rule_yeses,
            skipped=dict(sorted(self.skipped.items())),
            rejected=self.rejected,
            created=self.created,
            resolved_asks=self.resolved_asks,
            status_changes=dict(sorted(self.status_changes.items())),
            duplicates_in_file=self.duplicates_in_file,
            forgotten=self.forgotten,
            warnings=self.warnings,
            warning_texts=list(self.warning_texts),
            errors=[e.to_json() for e in self.errors],
            dry_run=self.dry_run,
            zone_assumed=self.zone_assumed or None,
            interest_questions=list(self.interest),
            revenue={c: decimal_text(v, c) for c, v in sorted(self.revenue.items())},
            refunds_applied=self.refunds_applied,
            cancellations_applied=self.cancellations_applied,
        )
        return out
