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

import re
from collections.abc import Iterator, Sequence

from crm.importing.activity.context import ReadContext
from crm.importing.activity.responses import (
    answered_rows,
    email_candidates,
    find_column,
    layout_of,
    recognised_records,
)
from crm.importing.activity.rows import ActivityRow, Rejected
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import fold

PLATFORM = "tally"

_ID = "Submission ID"
_RESPONDENT = "Respondent ID"
_SUBMITTED = "Submitted at"
_FILE_NAME = re.compile(r"^(?P<title>.+)_Submissions_\d{4}-\d{2}-\d{2}(?: ?\(\d+\))?\.csv$", re.I)
_REFUSAL = (
    "is not a Tally submissions file: it should start with 'Submission ID' and have a "
    "'Submitted at' column."
)


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
    with recognised_records(source, decoding, recognises, _REFUSAL) as (headers, records):
        ident, submitted = find_column(headers, (_ID,)), find_column(headers, (_SUBMITTED,))
        respondent = find_column(headers, (_RESPONDENT,))
        technical = {i for i in (ident, submitted, respondent) if i is not None}
        candidates = email_candidates(headers, technical)
        layout = layout_of(headers, (f for _, f in records), technical, candidates)
    with recognised_records(source, decoding, recognises, _REFUSAL) as (_, records):
        yield from answered_rows(
            records,
            PLATFORM,
            source,
            layout,
            when=submitted,
            ident=ident,
            campaign=form_title(source),
        )


def form_title(source: Source) -> str:
    """``Topic quiz_Submissions_2026-08-14.csv`` gives ``Topic quiz``; other names ""."""
    found = _FILE_NAME.match(source.label)
    return found.group("title").strip() if found else ""
