"""Typeform responses: Results -> Responses -> Download (CSV).

``#`` (the response token) first, one column per question titled with its text (HTML
such as ``<strong>`` dropped), the hidden fields (``utm_source``, ``email``: lower-case
names), then Typeform's own columns: ``Start Date (UTC)``, ``Submit Date (UTC)``,
``Network ID``, and since 2024 ``Response Type``, ``Stage Date (UTC)`` and ``Tags``.
The hidden fields are the run of lower-case names just before Typeform's columns; they
are not answers. A multi-select answer stays as Typeform joins it (``A,B`` or ``A, B``).

A response is ANSWERED at ``Submit Date (UTC)`` (UTC). A ``partial`` response, or one
with no submit date, is Rejected: nobody pressed submit. The email is a question, or a
hidden field, whose title speaks of email (the column whose cells hold addresses when
several do); a response without one is Rejected. The key is the token, unique to the
response, so an exact duplicate row is yielded with the same key and the import skips
it. The file names no form title (``campaign`` is "").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from crm.importing.activity.context import ReadContext
from crm.importing.activity.responses import (
    answered_rows,
    cell,
    email_candidates,
    find_column,
    layout_of,
    recognised_records,
)
from crm.importing.activity.rows import ActivityRow, Rejected
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import fold

PLATFORM = "typeform"
PARTIAL = "a partial response: the form was not submitted"

_TOKEN = "#"
_SUBMIT = "Submit Date (UTC)"
_TYPE = "Response Type"
_SYSTEM = frozenset(
    fold(name)
    for name in (
        _TOKEN,
        _TYPE,
        "Start Date (UTC)",
        "Stage Date (UTC)",
        _SUBMIT,
        "Network ID",
        "Tags",
    )
)
_HIDDEN = re.compile(r"^[a-z][a-z0-9_]*$")
_REFUSAL = (
    "is not a Typeform responses file: it should start with '#' and have a 'Submit Date "
    "(UTC)' column."
)


def recognises(member: str, headers: Sequence[str]) -> bool:
    """``#`` first, and the submit date with the start date or the network id."""
    if not headers or headers[0] != _TOKEN:
        return False
    folded = {fold(h) for h in headers}
    return fold(_SUBMIT) in folded and bool({fold("Start Date (UTC)"), fold("Network ID")} & folded)


def technical_columns(headers: Sequence[str]) -> set[int]:
    """Typeform's own columns and the hidden fields before them."""
    system = {i for i, h in enumerate(headers) if fold(h) in _SYSTEM}
    first = min((i for i in system if i > 0), default=len(headers))
    hidden = set()
    for i in range(first - 1, 0, -1):
        if not _HIDDEN.match(headers[i]):
            break
        hidden.add(i)
    return system | hidden


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """One ANSWERED row per completed response (``context`` is not needed)."""
    with recognised_records(source, decoding, recognises, _REFUSAL) as (headers, records):
        technical = technical_columns(headers)
        candidates = email_candidates(headers, technical - _hidden_email(headers, technical))
        layout = layout_of(headers, (f for _, f in records), technical, candidates)
    token, submit, kind = (find_column(headers, (n,)) for n in (_TOKEN, _SUBMIT, _TYPE))

    def partial(fields: Sequence[str]) -> str:
        submitted = cell(fields, kind).lower() != "partial" and cell(fields, submit)
        return "" if submitted else PARTIAL

    with recognised_records(source, decoding, recognises, _REFUSAL) as (_, records):
        yield from answered_rows(
            records,
            PLATFORM,
            source,
            layout,
            when=submit,
            ident=token,
            refused=partial,
        )


def _hidden_email(headers: Sequence[str], technical: set[int]) -> set[int]:
    """Hidden fields that may carry the address (``email``, ``user_email``)."""
    return {i for i in technical if i > 0 and "email" in headers[i] and _HIDDEN.match(headers[i])}
