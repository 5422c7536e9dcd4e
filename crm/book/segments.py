"""Segments: a filter of the lead book saved under a name, with its live count.

The filter is a :class:`crm.book.filters.LeadFilter`; a segment whose filter names a tag,
step, offer or field the book no longer has still opens, matching what the rest says, and
:attr:`SegmentRow.problems` says which part no longer matches.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from crm.book.filters import LeadFilter, as_json_text, check_filter
from crm.book.leads import count_leads
from crm.changes import note
from crm.errors import DuplicateError, NotFoundError, ValidationError
from crm.store.models import database_proxy
from crm.timefmt import from_stored_required, iso

MAX_NAME = 80


@dataclass(frozen=True, slots=True)
class SegmentRow:
    id: int
    name: str
    filter: LeadFilter
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def problems(self) -> list[str]:
        return self.filter.problems()

    def count(self) -> int:
        return count_leads(self.filter.query())

    def to_json(self, count: int | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "filter": self.filter.to_json(),
            "description": self.filter.describe(),
            "count": self.count() if count is None else count,
            "problems": self.problems,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
        }


def clean_segment_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("A segment needs a name: type what it holds, like 'Warm buyers'.")
    if len(cleaned) > MAX_NAME:
        raise ValidationError(f"A segment name can be at most {MAX_NAME} characters: shorten it.")
    return cleaned


def _row(r: tuple[Any, ...]) -> SegmentRow:
    return SegmentRow(
        int(r[0]),
        str(r[1]),
        LeadFilter.from_json(json.loads(r[2] or "{}")),
        from_stored_required(r[3]),
        from_stored_required(r[4]),
    )


_COLUMNS = "id, name, filter, created_at, updated_at"


def list_segments() -> list[SegmentRow]:
    return [
        _row(r)
        for r in database_proxy.execute_sql(
            f"SELECT {_COLUMNS} FROM segment ORDER BY name COLLATE NOCASE"
        ).fetchall()
    ]


def get_segment(name: str) -> SegmentRow:
    row = database_proxy.execute_sql(
        f"SELECT {_COLUMNS} FROM segment WHERE name = ? COLLATE NOCASE",
        [" ".join(name.split())],
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"There is no segment '{name}': run 'smallyes-cli segment list' to see them."
        )
    return _row(row)


def save_segment(
    name: str, flt: LeadFilter, *, now: dt.datetime, replace: bool = False
) -> SegmentRow:
    """Save ``flt`` as ``name`` (``replace``: over a segment of that name)."""
    cleaned = clean_segment_name(name)
    check_filter(flt)
    note(tables=["segment"], leads=None)
    text = as_json_text(flt)
    with database_proxy.atomic():
        found = database_proxy.execute_sql(
            "SELECT id FROM segment WHERE name = ? COLLATE NOCASE", [cleaned]
        ).fetchone()
        if found is not None and not replace:
            raise DuplicateError(
                f"There is already a segment '{cleaned}': pick another name, or replace it."
            )
        if found is not None:
            database_proxy.execute_sql(
                "UPDATE segment SET filter = ?, updated_at = ? WHERE id = ?",
                [text, now, found[0]],
            )
        else:
            database_proxy.execute_sql(
                "INSERT INTO segment (name, filter, created_at, updated_at) VALUES (?, ?, ?, ?)",
                [cleaned, text, now, now],
            )
    return get_segment(cleaned)


def rename_segment(name: str, new_name: str, *, now: dt.datetime) -> SegmentRow:
    seg = get_segment(name)
    cleaned = clean_segment_name(new_name)
    note(tables=["segment"], leads=None)
    clash = database_proxy.execute_sql(
        "SELECT id FROM segment WHERE name = ? COLLATE NOCASE AND id != ?", [cleaned, seg.id]
    ).fetchone()
    if clash is not None:
        raise DuplicateError(f"There is already a segment '{cleaned}': pick another name.")
    database_proxy.execute_sql(
        "UPDATE segment SET name = ?, updated_at = ? WHERE id = ?", [cleaned, now, seg.id]
    )
    return get_segment(cleaned)


def delete_segment(name: str) -> None:
    seg = get_segment(name)
    note(tables=["segment"], leads=None)
    database_proxy.execute_sql("DELETE FROM segment WHERE id = ?", [seg.id])


def segment_counts() -> list[tuple[SegmentRow, int]]:
    """Every segment with its live count, for the sidebar."""
    return [(s, s.count()) for s in list_segments()]
