"""The window's log keeps no address of the people it showed messages about."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.book.leads import add_lead
from crm.changes import LEAD_TABLES, Change
from tests.crm.safety_helpers import logging_to_file
from ui import errors
from ui.leads import dialogs


@pytest.fixture
def log_path() -> Iterator[Path]:
    yield from logging_to_file()


def test_an_undo_refused_because_of_the_address_logs_no_address(
    window, people, now, monkeypatch, log_path: Path
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(errors, "show_message", lambda _p, _t, text, **_k: shown.append(text))
    monkeypatch.setattr(dialogs, "confirm_delete", lambda *_a: True)
    page = window.leads_page
    window.events.publish(Change(LEAD_TABLES, None))
    assert page.select_lead(people["ada"].id)
    page.delete_selected()
    add_lead("ada@example.com", now=now)  # the same address, added again since the delete

    page.undo()

    assert shown and "'ada@example.com' was added since the delete" in shown[0]
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_path.read_text(encoding="utf-8")
    assert "user error: DuplicateError: A lead with the email '…' was added" in text
    assert "ada@example.com" not in text and "Lovelace" not in text
