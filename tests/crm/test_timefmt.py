"""Relative times as the lists and the timeline show them."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.timefmt import relative

NOW = dt.datetime(2026, 6, 15, 12, 0, 0)


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (dt.timedelta(seconds=0), "just now"),
        (dt.timedelta(seconds=-59), "just now"),
        (dt.timedelta(minutes=-5), "5 min ago"),
        (dt.timedelta(days=-1), "yesterday"),
        (dt.timedelta(days=-3), "3 days ago"),
        (dt.timedelta(days=-65), "2 months ago"),
        # A moment after "now" (a now read a little earlier, a clock a little ahead).
        (dt.timedelta(seconds=30), "just now"),
        (dt.timedelta(minutes=1), "just now"),
        (dt.timedelta(minutes=5), "just now"),
        # Truly later: still said so.
        (dt.timedelta(minutes=20), "in 20 min"),
        (dt.timedelta(days=1, hours=1), "tomorrow"),
        (dt.timedelta(days=3, hours=1), "in 3 days"),
    ],
)
def test_relative(offset: dt.timedelta, text: str) -> None:
    assert relative(NOW + offset, NOW) == text
