"""Times in Smallyes: stored as naive UTC with whole seconds, shown in local time.

A time without a zone typed by the user (CLI ``--at``, a date picker) is local wall-clock
time; an explicit offset or ``Z`` is honoured. Everything below the UI works in naive UTC.
"""

from __future__ import annotations

import datetime as dt

from crm.errors import ValidationError

UTC = dt.UTC


def utc_now() -> dt.datetime:
    """The current time as naive UTC, whole seconds."""
    return dt.datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def to_utc(value: dt.datetime) -> dt.datetime:
    """Naive UTC for any datetime: aware ones are converted, naive ones are taken as local."""
    if value.tzinfo is None:
        value = value.astimezone()  # naive means local wall-clock time
    return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)


# Typed dates are kept to these years: at datetime's own edges (year 1, year 9999) turning
# local time into UTC or adding a day overflows, and no yes, ask or period lies out there.
FIRST_YEAR = 1900
LAST_YEAR = 2999


def parse_user_datetime(text: str) -> dt.datetime:
    """Parse an ISO date or date-time typed by the user into naive UTC."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            value = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
        else:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"'{text}' is not a date: write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS."
        ) from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            f"'{text}' is out of range: pick a date between {FIRST_YEAR} and {LAST_YEAR}."
        )
    return to_utc(value)


def iso(value: dt.datetime | None) -> str | None:
    """Naive UTC to an ISO 8601 string with a Z, or None."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"


def local(value: dt.datetime) -> dt.datetime:
    """Naive UTC to an aware local datetime, for display."""
    return value.replace(tzinfo=UTC).astimezone()


# A time stored a moment ago can lie a little after the "now" it is shown against (a now
# read a little earlier, a second computer's clock a little ahead): it is still "just now",
# never "in 1 min".
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def relative(value: dt.datetime, now: dt.datetime) -> str:
    """'just now', '5 min ago', 'yesterday', '3 days ago', '2 months ago', 'in 2 days'."""
    seconds = (now - value).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 60 or (future and seconds <= FUTURE_TOLERANCE.total_seconds()):
        return "just now"
    for limit, size, unit in (
        (3600, 60, "min"),
        (86400, 3600, "hour"),
        (86400 * 30, 86400, "day"),
        (86400 * 365, 86400 * 30, "month"),
        (float("inf"), 86400 * 365, "year"),
    ):
        if seconds < limit:
            n = int(seconds // size)
            if unit == "day" and n == 1:
                return "tomorrow" if future else "yesterday"
            label = unit if n == 1 or unit == "min" else unit + "s"
            return f"in {n} {label}" if future else f"{n} {label} ago"
    raise AssertionError("unreachable")


def from_stored(value: object) -> dt.datetime | None:
    """A time as the database hands it back (a datetime, ISO text or NULL)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def from_stored_required(value: object) -> dt.datetime:
    """The same for a NOT NULL column: a missing time there is a damaged row."""
    found = from_stored(value)
    if found is None:
        raise ValueError("a required time is missing from a stored row")
    return found
