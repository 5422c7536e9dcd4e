"""The fast path of a first import: plain records straight to a lead row's values.

Most records of a big export are plain: an everyday address, dates in the exact
``YYYY-MM-DD HH:MM:SS`` form or empty, no status word to look up, nothing that raises a
warning. For those ``PlainRows`` works out the values ``normalise`` would give, without
the general machinery (the ``Record``, its dicts, the checked e-mail), as one tuple.
Anything it cannot settle by itself, it leaves to ``normalise``: it returns None and the
record takes the full path. Both give the same stored rows (tests/crm/importing/
test_plain_rows.py proves it on every fixture and on generated files).

Only a plan without the rare features (other addresses, metadata, full names, phone
fallbacks, status dates) gets a fast path at all: ``plain_rows`` returns None for others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import NamedTuple

from crm.book.emails import _PLAIN
from crm.book.leads import SUPPRESSED, LeadStatus
from crm.importing.mapping import Target
from crm.importing.merge import json_key
from crm.importing.normalise import _lead_values, _status, _tags
from crm.importing.plan import Plan
from crm.importing.values import _ZERO_DATES, unescape_cell

# Dates whose meaning the fast path does not take on: a status from a date.
_STATUS_DATES = (Target.UNSUBSCRIBED_AT, Target.BOUNCED_AT)
# The consent time: confirm, else opt-in, else sign-up, else created (as normalise).
_CONSENT_ORDER = (Target.CONFIRM_AT, Target.OPTIN_AT, Target.CONSENT_AT, Target.CREATED_AT)
_NO_SIGNUP = frozenset({LeadStatus.PENDING, LeadStatus.NONE})


class PlainRow(NamedTuple):
    """A record the fast path settled: what ``BatchWriter.create_plain`` stores, and the
    record's row number and cells, to normalise it in full should a duplicate follow."""

    key: str
    row: int
    fields: list[str]
    fp: int | None
    email: str
    first_name: str
    last_name: str
    company: str
    phone: str
    notes: str
    status: LeadStatus
    custom: str  # as stored: JSON text
    signup_at: str | None
    tags: list[str]


def plain_rows(plan: Plan) -> Callable[[int, list[str], int | None], PlainRow | None] | None:
    """The plan's fast path, or None when its records need the full one."""
    if (
        plan.email is None
        or plan.multi
        or plan.others
        or plan.metadata
        or plan.full
        or plan.phone_fallbacks
        or "status_raw" in plan.custom_names
        or any(t in plan.dates for t in _STATUS_DATES)
    ):
        return None
    if not plan.status and plan.default_status in SUPPRESSED:
        return None  # each lead gets a status event: the full path writes it
    width, email_at, now_text = plan.width, plan.email, plan.now_text
    custom_cells, batch_tag = plan.custom_cells, plan.batch_tag
    json_keys = [json_key(name) for name in plan.custom_names]
    has_status, has_tags = bool(plan.status), bool(plan.tags)
    default_status, default_raw = plan.default_status, plan.default_raw
    raw_json = "," + json_key("status_raw")
    # every date cell is checked (one that does not read warns); the consent time is the
    # first non-empty cell of the first target in _CONSENT_ORDER that has one
    date_columns = [index for columns in plan.dates.values() for index, _, _ in columns]
    consent_columns = [
        [index for index, _, _ in plan.dates[target]]
        for target in _CONSENT_ORDER
        if target in plan.dates
    ]
    fullmatch = _PLAIN.fullmatch
    new_row = PlainRow

    def plain(number: int, fields: list[str], fp: int | None) -> PlainRow | None:
        if len(fields) != width:
            return None
        email = fields[email_at]
        if not fullmatch(email) or len(email) > 254 or email.index("@") > 64:
            return None
        key = email.lower()
        if "xn--" in key:
            return None
        for index in date_columns:
            text = fields[index]
            if text and not _plain_date(text, now_text):
                return None
        consent = None
        for columns in consent_columns:
            for index in columns:
                if fields[index]:
                    consent = fields[index]
                    break
            if consent is not None:
                break
        if has_status:
            warnings: list[str] = []
            status, status_raw, said_no = _status(plan, fields, warnings)
            if warnings or status in SUPPRESSED:
                return None
            if said_no:
                consent = None
        else:
            status, status_raw = default_status, default_raw
        values = _lead_values(plan, fields)
        cells = custom_cells(fields)
        escaped = "'" in "".join(cells)
        parts = [
            json_keys[i] + encode_basestring(unescape_cell(text) if escaped else text)
            for i, text in enumerate(cells)
            if text
        ]
        custom = "{" + ",".join(parts)
        if status_raw:
            custom += (raw_json if parts else raw_json[1:]) + encode_basestring(status_raw)
        custom += "}"
        tags = _tags(plan, fields) if has_tags else []
        if batch_tag:
            tags.append(batch_tag)
        get = values.get
        return new_row(
            key,
            number,
            fields,
            fp,
            email,
            get("first_name", ""),
            get("last_name", ""),
            get("company", ""),
            get("phone", ""),
            get("notes", ""),
            status,
            custom,
            consent if consent and status not in _NO_SIGNUP else None,
            tags,
        )

    return plain


def _plain_date(text: str, now_text: str) -> bool:
    """Whether ``parse_date`` keeps the cell as it is, without a warning: the exact
    ``YYYY-MM-DD HH:MM:SS`` form, a real time, not after the import's time."""
    if len(text) != 19 or text[10] != " " or text[4] != "-" or text in _ZERO_DATES:
        return False  # another form, or spaces around it: normalise reads it
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return text <= now_text
