"""Reading Today's tree in tests: its leads in the order shown, and one lead's cells."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from crm.asking.due import TodayItem
from ui.today import TodayColumn, TodayPage


def listed(page: TodayPage) -> list[TodayItem]:
    """Every listed lead, group after group, in the order shown."""
    return list(page.model.items())


def emails(page: TodayPage) -> list[str]:
    return [item.email for item in listed(page)]


def cell(
    page: TodayPage,
    lead_id: int,
    column: TodayColumn,
    role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole,
) -> Any:
    index = page.model.lead_index(lead_id, column)
    assert index.isValid(), f"lead {lead_id} is not listed"
    return page.model.data(index, role)


def group_of(page: TodayPage, lead_id: int) -> Any:
    return page.model.group(page.model.lead_index(lead_id))
