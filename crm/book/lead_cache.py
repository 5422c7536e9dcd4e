"""The lead's cached columns, kept here and nowhere else.

``lead.level`` (the highest step level among the lead's yeses, 0 without any),
``lead.last_commitment_at`` (its newest yes) and ``lead.last_ask_at`` (its newest ask) are
derived from the ``commitment`` and ``ask`` tables and stored on ``lead`` so the lead list
can sort and filter by them without a join. Every writer of a yes or an ask keeps them
through this module, in the same transaction as its own write:

- :func:`add_yes` and :func:`add_ask` after adding one row (they only ever raise a value);
- :func:`fold_yes` and :func:`fold_ask` for a bulk writer (import, demo) that computes its
  rows in Python first, :func:`add_asks` for one that writes them in SQL (a campaign);
- :func:`recompute` after anything that removes rows or changes step levels (delete, undo,
  a ladder change, forget), which is the definition the others must agree with
  (``tests/crm/book/test_lead_cache.py`` checks that after every writer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from crm.changes import note
from crm.store.db import MAX_SQL_VARIABLES
from crm.store.models import database_proxy

# Stored times are text that sorts in time order; bulk writers work on either form.
T = TypeVar("T", str, dt.datetime)


_RECOMPUTE = """
    UPDATE lead SET
      level = coalesce((SELECT max(s.level) FROM commitment c JOIN step s ON s.id = c.step_id
                        WHERE c.lead_id = lead.id), 0),
      last_commitment_at = (SELECT max(at) FROM commitment WHERE lead_id = lead.id),
      last_ask_at = (SELECT max(asked_at) FROM ask WHERE lead_id = lead.id)
    """


def fold_yes(level: int, last_at: T | None, yes_level: int, yes_at: T) -> tuple[int, T]:
    """The cached level and last-yes time once a yes at ``yes_level`` and ``yes_at`` is added."""
    return max(level, yes_level), yes_at if last_at is None or last_at < yes_at else last_at


def fold_ask(last_ask_at: T | None, asked_at: T) -> T:
    """The cached last-ask time once an ask dated ``asked_at`` is added."""
    return asked_at if last_ask_at is None or last_ask_at < asked_at else last_ask_at


def add_yes(lead_id: int, level: int, at: dt.datetime, *, now: dt.datetime) -> None:
    """A yes at step ``level`` dated ``at`` was added to the lead's timeline."""
    database_proxy.execute_sql(
        "UPDATE lead SET level = max(level, ?), last_commitment_at = CASE WHEN "
        "last_commitment_at IS NULL OR last_commitment_at < ? THEN ? ELSE "
        "last_commitment_at END, updated_at = ? WHERE id = ?",
        [level, at, at, now, lead_id],
    )
    note(tables=["lead"], leads=[lead_id])


def add_ask(lead_id: int, asked_at: dt.datetime) -> None:
    """An ask dated ``asked_at`` was recorded for the lead."""
    database_proxy.execute_sql(
        "UPDATE lead SET last_ask_at = CASE WHEN last_ask_at IS NULL OR last_ask_at < ? "
        "THEN ? ELSE last_ask_at END WHERE id = ?",
        [asked_at, asked_at, lead_id],
    )
    note(tables=["lead"], leads=[lead_id])


def add_asks(asked_at: dt.datetime, leads_sql: str, params: Sequence[Any] = ()) -> None:
    """Asks dated ``asked_at`` were recorded for every lead ``leads_sql`` selects (``SELECT
    lead_id ...``, with its ``params``): a campaign's thousands of asks in one statement."""
    database_proxy.execute_sql(
        "UPDATE lead SET last_ask_at = CASE WHEN last_ask_at IS NULL OR last_ask_at < ? "
        f"THEN ? ELSE last_ask_at END WHERE id IN ({leads_sql})",
        [asked_at, asked_at, *params],
    )
    note(tables=["lead"], leads=None)


def recompute(lead_ids: Iterable[int] | None = None) -> None:
    """Recompute the cached columns of these leads (``None``: every lead) from their rows."""
    if lead_ids is None:
        database_proxy.execute_sql(_RECOMPUTE)
        note(tables=["lead"], leads=None)
        return
    ids = list(dict.fromkeys(lead_ids))
    for start in range(0, len(ids), MAX_SQL_VARIABLES):
        part = ids[start : start + MAX_SQL_VARIABLES]
        marks = ",".join("?" * len(part))
        database_proxy.execute_sql(f"{_RECOMPUTE} WHERE id IN ({marks})", part)
    note(tables=["lead"], leads=ids)
