"""The demo database with a year of newsletter activity: the book Today is timed on
once opens and clicks are imported.

A copy of ``demo_db``'s book plus, with a fixed seed, about 2,000,000 opens and 300,000
clicks over 52 weekly campaigns (the sizes of the activity benchmark's Mailchimp ZIP):
each lead has its own open rate, a fifth never open anything, and clicks are "clicked"
yeses whose events point at them, as the activity import stores them. Written with raw
``sqlite3`` (the lead index dropped and built once), so it takes seconds, not an import.
Rebuilt when ``demo_db``'s book is newer.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo_db import OUT, demo_db  # noqa: E402

CAMPAIGNS = 52
OPENS = 2_000_000
CLICKS = 300_000
URLS = ("https://example.com/blog/pricing", "https://example.com/shop", "https://example.com/about")


def activity_db(leads: int = 100_000, seed: int = 15) -> Path:
    """The path of the demo book with a year of activity, building it if needed."""
    base = demo_db(leads)
    path = OUT / f"demo{leads}-activity.db"
    if path.exists() and path.stat().st_mtime >= base.stat().st_mtime:
        return path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    print(f"building {path.name} (a year of activity)...", file=sys.stderr, flush=True)
    shutil.copyfile(base, path)
    conn = sqlite3.connect(path)
    try:
        _seed(conn, random.Random(seed))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return path


def _text(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def _seed(conn: sqlite3.Connection, rng: random.Random) -> None:
    [(newest,)] = conn.execute("SELECT max(at) FROM commitment")
    now = dt.datetime.fromisoformat(newest[:19])
    sent = [now - dt.timedelta(days=7 * (CAMPAIGNS - i), hours=3) for i in range(CAMPAIGNS)]
    ids = [i for (i,) in conn.execute("SELECT id FROM lead WHERE status != 'erased'")]
    [(clicked,)] = conn.execute("SELECT id FROM step WHERE key = 'clicked'")
    [(batch,)] = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM import_batch")
    [(next_yes,)] = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM commitment")
    # each lead's chance to open a campaign; a fifth never open
    rates = {i: 0.0 if rng.random() < 0.2 else rng.random() for i in ids}
    mean = sum(rates.values()) / len(rates)
    scale = OPENS / (len(ids) * CAMPAIGNS * mean)
    click_share = CLICKS / OPENS
    events: list[tuple] = []
    yeses: list[tuple] = []
    key = 0
    for lead_id in ids:
        rate = min(rates[lead_id] * scale, 1.0)
        if not rate:
            continue
        for number, when in enumerate(sent):
            if rng.random() >= rate:
                continue
            opened = when + dt.timedelta(minutes=rng.randrange(1, 4000))
            if opened > now:
                continue
            campaign = f"Weekly letter {number + 1}"
            key += 1
            events.append((batch, lead_id, key, "opened", _text(opened), campaign, "", None))
            if rng.random() < click_share:
                at = _text(opened + dt.timedelta(seconds=rng.randrange(5, 300)))
                key += 1
                yeses.append((next_yes, lead_id, clicked, at, batch))
                events.append((batch, lead_id, key, "clicked", at, campaign, rng.choice(URLS),
                               next_yes))  # fmt: skip
                next_yes += 1
    with conn:
        conn.execute(
            "INSERT INTO import_batch (id, file_name, platform, kind, started_at, finished_at) "
            "VALUES (?, 'account-export.zip', 'mailchimp', 'activity', ?, ?)",
            (batch, _text(now), _text(now)),
        )
        conn.executemany(
            "INSERT INTO commitment (id, lead_id, step_id, at, source, batch_id) "
            "VALUES (?, ?, ?, ?, 'mailchimp', ?)",
            yeses,
        )
        conn.execute("DROP INDEX activity_event_lead")
        conn.executemany(
            "INSERT INTO activity_event (batch_id, lead_id, key, action, at, campaign, url, "
            "platform, commitment_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'mailchimp', ?)",
            events,
        )
        conn.execute("CREATE INDEX activity_event_lead ON activity_event(lead_id, action, at)")
    print(f"  {len(events) - len(yeses):,} opens, {len(yeses):,} clicks", file=sys.stderr)


if __name__ == "__main__":
    print(activity_db())
