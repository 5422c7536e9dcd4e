"""Tally submissions: Submissions -> Download CSV (``<Form name>_Submissions_<date>.csv``).

``"Submission ID","Respondent ID","Submitted at"`` then one column per question, every
field quoted. ``Submitted at`` is ``YYYY-MM-DD HH:MM:SS`` in UTC. Long question titles
come truncated with ``...`` and repeated ones suffixed `` (2)``: they are kept as
written, so two questions never merge. Multi-select answers stay joined with ``", "``.

A submission is ANSWERED at ``Submitted at``; the email is the question whose title
speaks of email (the one whose cells hold addresses when several do), and a submission
without one is Rejected. The key is the submission id, so an exact duplicate row is
yielded with the same key and the import skips it. The form's title is the part of the
file's (or ZIP member's) name before ``_Submissions_``; any other name gives none.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence

from crm.errors import ImportFormatError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.responses import (
    NO_EMAIL,
    SCAN_ROWS,
    answers_of,
    bad_time,
    cell,
    email_candidates,
    find_column,
    join_key,
    open_records,
    pick_email,
    questions,
    read_time,
    who_answered,
)
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import fold

PLATFORM = "tally"

_ID = "Submission ID"
_RESPONDENT = "Respondent ID"
_SUBMITTED = "Submitted at"
_FILE_NAME = re.compile(r"^(?P<title>.+)_Submissions_\d{4}-\d{2}-\d{2}(?: ?\(\d+\))?\.csv$", re.I)


def recognises(member: str, headers: Sequence[str]) -> bool:
    """``Submission ID`` first and a ``Submitted at`` column."""
    return (
        bool(headers)
        and fold(headers[0]) == fold(_ID)
        and find_column(headers, (_SUBMITTED,)) is not None
    )


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """One ANSWERED row per submission (``context`` is not needed)."""
    member = source.member or ""
    with open_records(source, decoding) as (headers, records):
        if not recognises(member, headers):
            raise ImportFormatError(
                f"{source.label} is not a Tally submissions file: it should start with "
                "'Submission ID' and have a 'Submitted at' column."
            )
        ident, submitted = find_column(headers, (_ID,)), find_column(headers, (_SUBMITTED,))
        respondent = find_column(headers, (_RESPONDENT,))
        technical = {i for i in (ident, submitted, respondent) if i is not None}
        candidates = email_candidates(headers, technical)
        sample = (f for _, f in itertools.islice(records, SCAN_ROWS))
        email = pick_email(candidates, sample) if len(candidates) > 1 else None
    if email is None and candidates:
        email = candidates[0]
    who = who_answered(headers, email, technical)
    asked = questions(headers, technical | who.columns)
    campaign = form_title(source)
    with open_records(source, decoding) as (_, records):
        for row, fields in records:
            address = cell(fields, who.email)
            if not address:
                yield Rejected(member, row, NO_EMAIL)
                continue
            written = cell(fields, submitted)
            try:
                at = read_time(written)
            except ValueError:
                yield bad_time(member, row, written)
                continue
            submission = cell(fields, ident)
            yield ActivityRow(
                platform=PLATFORM,
                member=member,
                row=row,
                email=address,
                action=Action.ANSWERED,
                at=at,
                key=submission or join_key(PLATFORM, address.lower(), at.isoformat() if at else ""),
                campaign=campaign,
                answers=answers_of(fields, asked),
                name=who.name(fields),
                source_id=submission,
            )


def form_title(source: Source) -> str:
    """``Topic quiz_Submissions_2026-08-14.csv`` gives ``Topic quiz``; other names ""."""
    found = _FILE_NAME.match(source.label)
    return found.group("title").strip() if found else ""
