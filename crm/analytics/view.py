"""What the funnel looks at: the filter (period, source, tag), the SQL pieces it turns
into, and the table a chart's numbers are shown in. The funnel and the revenue numbers
both build on it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from crm.book.leads import TAGGED
from crm.errors import ValidationError
from crm.store.models import database_proxy
from crm.timefmt import local


@dataclass(frozen=True, slots=True)
class FunnelFilter:
    """Which yeses and leads the funnel looks at; every part is optional."""

    since: dt.datetime | None = None  # inclusive, naive UTC
    until: dt.datetime | None = None  # exclusive, naive UTC
    source: str | None = None
    tag: str | None = None

    @property
    def has_period(self) -> bool:
        return self.since is not None or self.until is not None

    def period_text(self) -> str:
        """The period in words, in local dates as the user picked them (stored as UTC)."""

        def day(value: dt.datetime) -> str:
            return local(value).date().isoformat()

        last = (self.until - dt.timedelta(seconds=1)) if self.until else None
        if self.since and last:
            return f"{day(self.since)} to {day(last)}"
        if self.since:
            return f"since {day(self.since)}"
        if last:
            return f"until {day(last)}"
        return "all time"

    def describe(self) -> str:
        """Period and filters in one line: 'all time · source mailchimp · tag vip'."""
        parts = [self.period_text()]
        if self.source:
            parts.append(f"source {self.source}")
        if self.tag:
            parts.append(f"tag {self.tag}")
        return " · ".join(parts)


def text_time(value: dt.datetime) -> str:
    # Stored times compare as text: 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
    return value.replace(microsecond=0).isoformat(sep=" ")


class FilterSql:
    """The WHERE pieces a filter turns into, for commitments, asks and leads."""

    def __init__(self, flt: FunnelFilter) -> None:
        self.lead_where: list[str] = []
        self.lead_params: list[Any] = []
        if flt.source:
            self.lead_where.append("l.source = ?")
            self.lead_params.append(flt.source)
        if flt.tag:
            self.lead_where.append(TAGGED)
            self.lead_params.append(flt.tag.strip())
        self.filtered = bool(self.lead_where)

    def period(self, column: str, flt: FunnelFilter) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if flt.since is not None:
            where.append(f"{column} >= ?")
            params.append(text_time(flt.since))
        if flt.until is not None:
            where.append(f"{column} < ?")
            params.append(text_time(flt.until))
        return where, params

    def lead_join(self, alias: str) -> str:
        """A join that keeps rows of leads the filter picks ('' when it picks all)."""
        if not self.filtered:
            return ""
        return f" JOIN lead l ON l.id = {alias}.lead_id AND " + " AND ".join(self.lead_where)


def check_filter(flt: FunnelFilter) -> None:
    if flt.since and flt.until and flt.since >= flt.until:
        raise ValidationError("The period ends before it starts: pick an end after the start.")
    if flt.source is not None and not flt.source.strip():
        raise ValidationError("The source filter is empty: name a source or leave it out.")
    if flt.tag is not None and not flt.tag.strip():
        raise ValidationError("The tag filter is empty: name a tag or leave it out.")
    if (
        flt.tag
        and not database_proxy.execute_sql(
            "SELECT 1 FROM tag WHERE name = ? COLLATE NOCASE", [flt.tag.strip()]
        ).fetchone()
    ):
        raise ValidationError(f"There is no tag named '{flt.tag.strip()}': check the name.")


@dataclass(frozen=True, slots=True)
class NumbersTable:
    """A chart's numbers as text cells, ready for a table view, TSV or a PDF table.

    ``links`` holds, per row, what a click on it should list: ("step", key) for the
    leads that reached a step, ("offer", name) for the takers of an offer, or None.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    links: tuple[tuple[str, str] | None, ...]

    def to_tsv(self) -> str:
        lines = ["\t".join(self.columns), *("\t".join(r) for r in self.rows)]
        return "\n".join(lines) + "\n"
