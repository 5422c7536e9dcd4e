"""Pacing settings for suggested asks: how long to wait, when to stop, how much to trust data.

They live in the ``setting`` table (one row per value, key ``pacing.<name>``, JSON value) so
the owner can change them in the app or with ``smallyes-cli pacing``. Missing rows mean the
default.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from crm.changes import note
from crm.errors import ValidationError
from crm.store.models import database_proxy

_PREFIX = "pacing."


@dataclass(frozen=True, slots=True)
class Pacing:
    follow_up_days: int = 7  # a pending ask older than this counts as unanswered
    cooldown_days: int = 7  # no new ask this soon after the last one
    unanswered_limit: int = 2  # this many unanswered asks in a row ...
    unanswered_pause_days: int = 30  # ... pause all asks this long
    decline_backoff_days: int = 60  # after a "not now", no ask to that lead this soon
    warm_min_days: int = 1  # after a new yes, the ask that builds on it is due after ...
    warm_max_days: int = 3  # ... and stays "warm" until this many days
    prior: float = 0.25  # assumed acceptance rate before there is evidence
    weekly_cap: int = 2  # at most this many asks to one lead in any 7 days, all kinds
    trust_count: int = 20  # answered asks needed to trust the owner's own rate fully
    stall_factor: float = 2.0  # stalled: at a level longer than this times the median
    close_scores: float = 0.05  # scores this close count as a tie: the smaller step wins
    customer_cooling_days: int = 30  # after a purchase, no ask to buy again this soon
    daily_ask_limit: int = 20  # personal asks a day; past it, none is suggested until tomorrow


@dataclass(frozen=True, slots=True)
class PacingField:
    name: str
    label: str
    unit: str
    minimum: float
    maximum: float
    help: str


FIELDS: tuple[PacingField, ...] = (
    PacingField(
        "follow_up_days",
        "Wait for an answer",
        "days",
        1,
        60,
        "A pending ask older than this counts as unanswered.",
    ),
    PacingField("cooldown_days", "Cooldown between asks", "days", 0, 90, "No new ask sooner."),
    PacingField(
        "unanswered_limit",
        "Unanswered asks before a pause",
        "asks",
        1,
        10,
        "After this many asks in a row without an answer, pause.",
    ),
    PacingField(
        "unanswered_pause_days",
        "Pause after unanswered asks",
        "days",
        1,
        365,
        "How long the pause lasts.",
    ),
    PacingField(
        "decline_backoff_days",
        "Back off after a 'not now'",
        "days",
        1,
        730,
        "After a 'not now', nothing is suggested to that lead sooner; a step declined twice "
        "is never suggested again.",
    ),
    PacingField(
        "warm_min_days",
        "Warm window starts after",
        "days",
        0,
        30,
        "After a new yes, wait this long before the ask that builds on it.",
    ),
    PacingField(
        "warm_max_days",
        "Warm window ends after",
        "days",
        0,
        60,
        "The yes counts as fresh until then.",
    ),
    PacingField(
        "prior",
        "Assumed acceptance rate",
        "fraction",
        0.01,
        0.99,
        "Used until your own asks give enough evidence.",
    ),
    PacingField(
        "weekly_cap",
        "Asks per lead a week, at most",
        "asks",
        1,
        14,
        "Personal asks and campaigns together: no lead is asked more often in any 7 days.",
    ),
    PacingField(
        "trust_count",
        "Asks needed to trust your rate",
        "asks",
        1,
        1000,
        "Below this, your rate is blended with the assumed one.",
    ),
    PacingField(
        "stall_factor",
        "Stalled after",
        "x median",
        1.0,
        10.0,
        "A lead at its level longer "
        "than this times the usual time gets a different ask at the same level.",
    ),
    PacingField(
        "close_scores",
        "Scores that count as a tie",
        "fraction",
        0.0,
        0.5,
        "Within this, the smaller step wins.",
    ),
    PacingField(
        "customer_cooling_days",
        "Customer cooling period",
        "days",
        0,
        365,
        "After a purchase, no ask to buy anything sooner: first how it went, then a referral.",
    ),
    PacingField(
        "daily_ask_limit",
        "Personal asks a day",
        "asks",
        0,
        1000,
        "Asks recorded today count against it; past it, nothing more is suggested for "
        "personal asking until tomorrow.",
    ),
)
_BY_NAME = {f.name: f for f in FIELDS}
DEFAULTS = Pacing()


def _coerce(name: str, value: Any) -> int | float:
    spec = _BY_NAME.get(name)
    if spec is None:
        raise ValidationError(
            f"'{name}' is not a pacing setting: use one of {', '.join(_BY_NAME)}."
        )
    kind = type(getattr(DEFAULTS, name))
    try:
        number = kind(float(value)) if kind is int else float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
        raise ValidationError(f"{spec.label} needs a number, not '{value}'.") from None
    if kind is int and float(value) != int(float(value)):
        raise ValidationError(f"{spec.label} needs a whole number of {spec.unit}.")
    if not spec.minimum <= number <= spec.maximum:
        raise ValidationError(
            f"{spec.label} must be between {spec.minimum:g} and {spec.maximum:g} {spec.unit}."
        )
    return number


def get_pacing() -> Pacing:
    """The pacing in force: stored values over the defaults."""
    rows = database_proxy.execute_sql(
        "SELECT key, value FROM setting WHERE key LIKE ?", [_PREFIX + "%"]
    ).fetchall()
    stored: dict[str, Any] = {}
    for key, value in rows:
        name = key[len(_PREFIX) :]
        if name in _BY_NAME:
            try:
                stored[name] = _coerce(name, json.loads(value))
            except (ValidationError, json.JSONDecodeError):
                continue  # a damaged value falls back to its default
    return dataclasses.replace(DEFAULTS, **stored)


def set_pacing(**changes: Any) -> Pacing:
    """Store new values (validated together) and return the pacing now in force."""
    clean: dict[str, Any] = {name: _coerce(name, value) for name, value in changes.items()}
    merged = dataclasses.replace(get_pacing(), **clean)
    if merged.warm_min_days > merged.warm_max_days:
        raise ValidationError(
            "The warm window must start before it ends: make its start smaller than its end."
        )
    if clean:
        note(tables=["setting"], settings=["pacing"])
    with database_proxy.atomic():
        for name, value in clean.items():
            database_proxy.execute_sql(
                "INSERT INTO setting (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [_PREFIX + name, json.dumps(value)],
            )
    return merged


def reset_pacing() -> Pacing:
    """Forget every stored pacing value: the defaults apply again."""
    note(tables=["setting"], settings=["pacing"])
    database_proxy.execute_sql("DELETE FROM setting WHERE key LIKE ?", [_PREFIX + "%"])
    return DEFAULTS


def pacing_to_json(pacing: Pacing) -> dict[str, int | float]:
    return dataclasses.asdict(pacing)
