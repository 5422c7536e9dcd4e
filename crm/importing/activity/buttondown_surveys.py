"""Buttondown surveys export.

``survey__identifier,subscriber__email,answer,email_id,automation_id``: one record per
answer a subscriber gave to a survey embedded in an email (or an automation's email).
The survey's identifier (``topic``) is both the question and the campaign: the file
holds no question text and no survey title. The answer is kept as written (radio and
text answers are one value; how a checkbox answer is written is not known, so it is
not split).

The file has no time: rows have ``at`` None and the import dates them. ``email_id``
(the email the survey was in) only goes into the key: a row has no field for it, and
``context.titles`` is not needed. A record with no email or no answer is Rejected.
There is no row id: the key joins the survey, the email or automation, the address and
the answer, so a second, different answer to the same survey stays a second event, and
an exact duplicate row is yielded with the key of the first for the import to skip.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from crm.importing.activity.context import ReadContext
from crm.importing.activity.responses import (
    NO_EMAIL,
    cell,
    find_column,
    join_key,
    recognised_records,
)
from crm.importing.activity.rows import Action, ActivityRow, Answer, Rejected
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import fold

PLATFORM = "buttondown_surveys"
SOURCE = "buttondown"  # ActivityRow.platform: the platform key of the subscriber import
NO_ANSWER = "no answer"

_SURVEY = "survey__identifier"
_EMAIL = "subscriber__email"
_ANSWER = "answer"
_EMAIL_ID = "email_id"
_AUTOMATION = "automation_id"
_REFUSAL = (
    "is not a Buttondown surveys export: it should have the columns 'survey__identifier', "
    "'subscriber__email' and 'answer'."
)


def recognises(member: str, headers: Sequence[str]) -> bool:
    """The survey identifier, the subscriber's email and the answer."""
    folded = {fold(h) for h in headers}
    return {fold(_SURVEY), fold(_EMAIL), fold(_ANSWER)} <= folded


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """One ANSWERED row per answer, with no time."""
    member = source.member or ""
    with recognised_records(source, decoding, recognises, _REFUSAL) as (headers, records):
        survey, email, answer, email_id, automation = (
            find_column(headers, (name,))
            for name in (_SURVEY, _EMAIL, _ANSWER, _EMAIL_ID, _AUTOMATION)
        )
        for row, fields in records:
            address = cell(fields, email)
            if not address:
                yield Rejected(member, row, NO_EMAIL)
                continue
            said = cell(fields, answer)
            if not said:
                yield Rejected(member, row, NO_ANSWER)
                continue
            identifier = cell(fields, survey)
            sent_in = cell(fields, email_id)
            automation_id = cell(fields, automation)
            yield ActivityRow(
                platform=SOURCE,
                member=member,
                row=row,
                email=address,
                action=Action.ANSWERED,
                at=None,
                key=join_key(
                    SOURCE, "survey", identifier, sent_in, automation_id, address.lower(), said
                ),
                campaign=identifier,
                answers=(Answer(identifier, said),),
            )
