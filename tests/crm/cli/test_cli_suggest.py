"""``smallyes-cli suggest``: each ask with its group and name, and the daily limit of
personal asks (the asks recorded today count against it; past it, nothing is listed)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from crm.timefmt import utc_now
from tests.crm.cli.test_cli_bad_input import assert_refused, run

KEYS = {"email", "step", "offer", "due", "score", "reason", "message", "warmth", "engagement"}


@pytest.fixture
def when() -> tuple[str, str]:
    """Now, and a moment earlier the same day, as the command line takes them."""
    now = utc_now().replace(microsecond=0)
    start = dt.datetime.combine(now.date(), dt.time())
    earlier = start + (now - start) / 2
    return now.isoformat(), earlier.replace(microsecond=0).isoformat()


@pytest.fixture
def book(db_path: Path, capsys) -> list[str]:
    def ok(*args: str) -> str:
        code, out, err = run(db_path, *args, capsys=capsys)
        assert (code, err) == (0, ""), (args, err)
        return out

    ok("offer", "add", "Focus workbook", "--topics", "focus", "--link", "example.com/focus")
    emails = []
    for i in range(5):
        email = f"lead{i}@example.com"
        ok("add", email, "--first", f"Lead{i}", "--tag", "focus")
        ok("log", email, "subscribed", "--at", "2026-01-01")
        emails.append(email)
    ok("add", "gone@example.com")
    ok("log", "gone@example.com", "subscribed", "--at", "2026-01-01")
    ok("set-status", "gone@example.com", "unsubscribed")
    return emails


def suggest(db_path: Path, capsys, *args: str) -> list[dict]:
    code, out, err = run(db_path, "suggest", *args, "--json", capsys=capsys)
    assert (code, err) == (0, "")
    return json.loads(out)


def test_each_row_carries_its_group_and_the_ask_s_name(db_path, book, when, capsys) -> None:
    rows = suggest(db_path, capsys, "--now", when[0])
    assert sorted(r["email"] for r in rows) == book  # not the unsubscribed lead
    for row in rows:
        assert set(row) == KEYS | {"group", "group_label"}
        assert row["group"] == "downloaded|Focus workbook"
        assert row["group_label"] == "Invite to download the Focus workbook"
        # the message names the offer and points to its link
        assert "Focus workbook" in row["message"]
        assert row["message"].endswith("https://example.com/focus")
    one = suggest(db_path, capsys, book[0], "--now", when[0])
    assert one["group"] == "downloaded|Focus workbook" and set(one) == KEYS | {
        "group",
        "group_label",
    }


def test_asks_recorded_today_count_against_the_daily_limit(db_path, book, when, capsys) -> None:
    now, earlier = when
    assert run(db_path, "pacing", "daily_ask_limit=3", capsys=capsys)[0] == 0
    assert len(suggest(db_path, capsys, "--now", now)) == 3
    assert run(db_path, "ask", book[0], "downloaded", "--at", earlier, capsys=capsys)[0] == 0
    rows = suggest(db_path, capsys, "--now", now)
    assert len(rows) == 2 and book[0] not in {r["email"] for r in rows}
    assert len(suggest(db_path, capsys, "--now", now, "--limit", "1")) == 1
    code, out, _ = run(db_path, "suggest", "--now", now, capsys=capsys)
    assert code == 0
    assert "4 leads have an ask due today; 2 listed for personal asking." in out
    assert "Personal asks today: 1 of 3 made, 2 more to go." in out
    assert "Invite to download the Focus workbook" in out

    for email in book[1:3]:
        assert run(db_path, "ask", email, "downloaded", "--at", earlier, capsys=capsys)[0] == 0
    assert suggest(db_path, capsys, "--now", now) == []
    code, out, _ = run(db_path, "suggest", "--now", now, capsys=capsys)
    assert "2 leads have an ask due today; 0 listed for personal asking." in out
    assert "Daily limit reached: 3 personal asks recorded today, and your limit is 3." in out
    assert "Nothing more is suggested for personal asking today" in out
    assert "pacing daily_ask_limit=N" in out
    # a lead's own next ask is still shown, with the limit said
    code, out, _ = run(db_path, "suggest", book[4], "--now", now, capsys=capsys)
    assert "Invite to download the Focus workbook (downloaded)" in out
    assert "Daily limit reached" in out
    # tomorrow the day's asks start at none: both leads not asked yet are listed again
    tomorrow = (dt.datetime.fromisoformat(now) + dt.timedelta(days=1)).isoformat()
    assert sorted(r["email"] for r in suggest(db_path, capsys, "--now", tomorrow)) == book[3:]


def test_the_pacing_command_sets_the_daily_limit(db_path, capsys) -> None:
    code, out, _ = run(db_path, "pacing", "daily_ask_limit=12", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["daily_ask_limit"] == 12
    code, out, _ = run(db_path, "pacing", capsys=capsys)
    assert "Personal asks a day" in out
    assert_refused(db_path, "pacing", "daily_ask_limit=-2", capsys=capsys, says="between 0 and")
    assert_refused(db_path, "suggest", "--limit", "0", capsys=capsys, says="at least 1")
