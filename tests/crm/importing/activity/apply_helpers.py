"""A small activity reader for the apply tests, and helpers to write its files.

The reader reads ``email,timestamp,action,url`` CSVs: one row of evidence per line, the
action an :class:`~crm.importing.activity.rows.Action` value. An ``answered`` row's url
cell holds ``question=answer`` pairs joined by ``;``. A timestamp ending in `` local`` is
wall-clock time without a zone; an empty one is no time. The real readers are tested on
their own; these tests are about what the import makes of the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from crm.importing import ImportOptions, import_csv
from crm.importing.activity import detect
from crm.importing.activity.report import ActivityReport
from crm.importing.activity.rows import Action, ActivityRow, Answer, Rejected
from crm.importing.decoding import Decoding, Source, open_text
from crm.importing.records import RecordReader

PLATFORM = "simple_activity"
ROW_PLATFORM = "buttondown"  # the platform the rows name (their yeses' source)
HEADER = ("email", "timestamp", "action", "url")


def recognises(member: str, headers: Sequence[str]) -> bool:
    return tuple(h.strip().lower() for h in headers) == HEADER


def read(source: Source, decoding: Decoding, context: Any) -> Iterator[ActivityRow | Rejected]:
    member = source.member or ""
    with open_text(source, decoding) as stream:
        reader = RecordReader(stream)
        for number, fields in reader:
            email, stamp, action, url = [*fields, "", "", "", ""][:4]
            email = email.strip()
            if not email:
                yield Rejected(member, number, "no email address")
                continue
            try:
                kind = Action(action.strip())
            except ValueError:
                yield Rejected(member, number, f"'{action}' is not an action")
                continue
            local = stamp.endswith(" local")
            stamp = stamp.removesuffix(" local").strip()
            try:
                at = dt.datetime.fromisoformat(stamp) if stamp else None
            except ValueError:
                yield Rejected(member, number, f"'{stamp}' is not a time")
                continue
            answers: tuple[Answer, ...] = ()
            if kind is Action.ANSWERED:
                pairs = [p.partition("=") for p in url.split(";") if p]
                answers = tuple(Answer(q, a) for q, _, a in pairs)
                url = ""
            yield ActivityRow(
                ROW_PLATFORM,
                member,
                number,
                email,
                kind,
                at,
                "|".join((ROW_PLATFORM, email.lower(), stamp, action, url)),
                at_is_local=local,
                url=url,
                campaign="Spring letter",
                answers=answers,
                name="Nova Reader" if kind is Action.ANSWERED else "",
            )


def use_simple_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The import asks this reader alone (and no mailbox reader)."""
    monkeypatch.setattr(detect, "READERS", (__name__,))
    monkeypatch.setattr(detect, "MAILBOX_READER", __name__ + "_no_mailbox")


def activity_csv(tmp_path: Path, rows: Sequence[Sequence[str]], name: str = "a.csv") -> Path:
    lines = [",".join(HEADER), *(",".join(f'"{c}"' for c in r) for r in rows)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_activity(path: Path, now: dt.datetime, **options: Any) -> ActivityReport:
    report = import_csv(path, ImportOptions(**options), now=now)
    assert isinstance(report, ActivityReport), "imported as a subscriber file"
    return report


def subscriber(email: str, now: dt.datetime, days_ago: int = 60) -> int:
    """A lead who subscribed ``days_ago`` days before ``now``; its id."""
    from crm.book.leads import add_lead
    from crm.book.timeline import record_commitment

    lead = add_lead(email, status="subscribed", now=now)
    record_commitment(lead.id, "subscribed", at=now - dt.timedelta(days=days_ago), now=now)
    return lead.id
