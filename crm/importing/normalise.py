"""Normalising one record: the cells of a row, read by the plan, become a lead's values.

Nothing here touches the database or an import's counters: a record and its plan go in,
a ``Record`` (with the warnings it raised) or a ``Rejection`` comes out. The same cells
under the same plan always come out the same, which is what lets a re-import skip a
record whose fingerprint a lead still holds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from crm.book.emails import check_email
from crm.book.leads import SUPPRESSED, LeadStatus
from crm.errors import ValidationError
from crm.importing.mapping import NO_WORDS, Target
from crm.importing.plan import MAX_CACHED, Plan
from crm.importing.records import LongRow
from crm.importing.values import (
    parse_date,
    parse_metadata,
    parse_tags,
    split_full_name,
    unescape_cell,
)

S = LeadStatus
# How strong a status is: a stronger one wins when two rows or a row and a lead disagree.
SEVERITY = {
    S.NONE: 0,
    S.PENDING: 1,
    S.SUBSCRIBED: 2,
    S.UNSUBSCRIBED: 3,
    S.BOUNCED: 4,
    S.COMPLAINED: 5,
}
# Where earlier versions kept the rest of a Google e-mail cell ('a@x ::: b@y'): a re-import
# moves it to the lead's other addresses.
_EXTRA_IN_EMAIL_CELL = "secondary_emails"
# Several addresses in one other-address cell: Google's ' ::: ', or a list.
_ADDRESS_SPLIT = re.compile(r"\s*(?::::|[,;])\s*")

# An other address: (address, key, its column's field name, the cell's text).
OtherAddress = tuple[str, str, str, str]


@dataclass(slots=True)
class Record:
    """One kept record, normalised."""

    row: int
    key: str
    email: str
    values: dict[str, str]  # first_name, last_name, company, phone, notes (non-empty only)
    tags: list[str]
    status: LeadStatus
    status_raw: str
    status_at: str | None
    consent_at: str | None
    custom: dict[str, str]
    warnings: list[str]  # raised while normalising, in order
    fp: int | None = None  # the record's fingerprint, when it normalised without a warning
    # Other addresses, and the cells wholly taken as addresses (field name -> text),
    # which are no custom fields (see crm.importing.merge).
    others: list[OtherAddress] | None = None
    moved: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that cannot become a lead: why, and its cells as read."""

    reason: str
    fields: Sequence[str]
    warnings: list[str]


def short(text: str) -> str:
    """A value as a warning quotes it: one line, at most 40 characters."""
    text = " ".join(text.split())
    return text if len(text) <= 40 else text[:39] + "…"


def normalise(plan: Plan, number: int, fields: list[str]) -> Record | Rejection:
    """The record as a lead's values, or why it is rejected. ``number`` is its row."""
    warnings: list[str] = []
    warn = warnings.append
    if len(fields) != plan.width:
        fitted = _fitted(plan, fields, warnings)
        if isinstance(fitted, Rejection):
            return fitted
        fields = fitted
    raw_email = fields[plan.email]  # type: ignore[index]
    other_emails = ""
    if plan.multi and ":::" in raw_email and plan.email in plan.multi:
        raw_email, other_emails = (p.strip() for p in raw_email.split(":::", 1))
    try:
        checked = check_email(raw_email)
    except ValidationError as exc:
        reason = exc.user_message.rstrip(".")
        if not raw_email.strip():
            reason = "email is missing"
        return Rejection(reason, fields, warnings)
    if checked.warnings:
        warnings.extend(checked.warnings)
    values = _lead_values(plan, fields)
    cells = plan.custom_cells(fields)
    custom = {name: text for name, text in zip(plan.custom_names, cells, strict=True) if text}
    if "'" in "".join(cells):  # rare: a spreadsheet-safe apostrophe to drop
        custom = {name: unescape_cell(text) for name, text in custom.items()}
    others: list[OtherAddress] | None = None
    moved: dict[str, str] | None = None
    if other_emails or plan.others:
        others, moved = other_addresses(plan, fields, other_emails, custom, warnings)
    for index in plan.metadata:
        try:
            meta = parse_metadata(fields[index])
        except ValidationError as exc:
            warn(f"{exc.user_message}; kept as text")
            if fields[index].strip():
                custom["metadata"] = fields[index]
            continue
        for key, text in meta.items():
            if key in ("first_name", "last_name") and text.strip():
                values.setdefault(key, text.strip())
            elif text:
                custom.setdefault(key, text)
    tags = _tags(plan, fields) if plan.tags else []
    if plan.batch_tag:
        tags.append(plan.batch_tag)
    times = _times(plan, fields, warnings) if plan.dates else {}
    # Dates: consent is confirm, else opt-in, else sign-up, else created.
    consent = (
        times.get(Target.CONFIRM_AT)
        or times.get(Target.OPTIN_AT)
        or times.get(Target.CONSENT_AT)
        or times.get(Target.CREATED_AT)
    )
    if plan.status:
        status, status_raw, said_no = _status(plan, fields, warnings)
    else:
        status, status_raw, said_no = plan.default_status, plan.default_raw, False
    if said_no:
        # A 'no' in a consent column: no yes is known, whatever date the file gives for
        # the sign-up (a customer list's 'registered on', say).
        consent = None
    status_at = None
    unsub = times.get(Target.UNSUBSCRIBED_AT)
    bounced = times.get(Target.BOUNCED_AT)
    if bounced and SEVERITY[status] < SEVERITY[S.BOUNCED]:
        status = S.BOUNCED
    elif unsub and SEVERITY[status] < SEVERITY[S.UNSUBSCRIBED]:
        status = S.UNSUBSCRIBED
    if status in SUPPRESSED:
        status_at = (bounced if status is S.BOUNCED else None) or unsub or bounced
    if status_raw:
        custom["status_raw"] = status_raw
    return Record(
        number,
        checked.key,
        checked.address,
        values,
        tags,
        status,
        status_raw,
        status_at,
        consent,
        custom,
        warnings,
        None,
        others or None,
        moved or None,
    )


def _fitted(plan: Plan, fields: list[str], warnings: list[str]) -> list[str] | Rejection:
    """A row wider or narrower than its header, made as wide; or why it is rejected."""
    width = plan.width
    n = len(fields)
    if n > width:
        # A row far wider than its header was cut when read (LongRow).
        if isinstance(fields, LongRow):
            total, filled = fields.total, fields.filled
        else:
            total, filled = n, any(f.strip() for f in fields[width:])
        if filled:
            return Rejection(f"row has {total:,} fields, header has {width:,}", fields, [])
        warnings.append(f"{total - width:,} extra empty fields at the end were ignored")
        return fields[:width]
    email_here = plan.email is not None and plan.email < n and fields[plan.email]
    if not email_here:
        return Rejection(f"row has {n} fields, header has {width}", fields, [])
    if n < plan.named_width:
        warnings.append(f"row has {n} fields, header has {width}: the rest are empty")
    return fields + [""] * (width - n)


def _lead_values(plan: Plan, fields: list[str]) -> dict[str, str]:
    """First and last name, company, phone and notes: each from its first non-blank cell."""
    values: dict[str, str] = {}
    for index, name in plan.simple:
        text = fields[index]
        if text:
            if index in plan.multi:
                text = text.split(":::", 1)[0]
            if name != "notes":
                text = text.strip()
            elif text.isspace():
                continue  # notes keep their spaces, but spaces alone are a blank
            if "'" in text:  # a spreadsheet-safe apostrophe, at the start or inside
                text = unescape_cell(text)
            if text and name not in values:
                values[name] = text
    for index in plan.full:
        full = fields[index].strip()
        if full[:1] == "'":  # Ghost writes a name that starts with = as '=...
            full = unescape_cell(full)
        if full and "first_name" not in values and "last_name" not in values:
            first, last = split_full_name(full)
            if first:
                values["first_name"] = first
            if last:
                values["last_name"] = last
    if "phone" not in values:
        for index in plan.phone_fallbacks:
            if text := fields[index].strip():
                values["phone"] = text
                break
    return values


def _tags(plan: Plan, fields: list[str]) -> list[str]:
    tags: list[str] = []
    cache = plan.parsed_tags
    for index, style in plan.tags:
        text = fields[index]
        if text:
            parsed = cache.get((text, style))
            if parsed is None:
                parsed = tuple(parse_tags(text, style))
                if len(cache) < MAX_CACHED:
                    cache[(text, style)] = parsed
            tags.extend(parsed)
    return tags


def _times(plan: Plan, fields: list[str], warnings: list[str]) -> dict[Target, str | None]:
    """Each date target's first readable, not future, date."""
    times: dict[Target, str | None] = {}
    for target, columns in plan.dates.items():
        for index, order, header in columns:
            text = fields[index]
            if not text:
                continue
            try:
                value = parse_date(text, order)
            except ValueError as exc:
                warnings.append(f"'{text.strip()}' in {header} is not a date ({exc}); ignored")
                continue
            if value is not None and value > plan.now_text:
                warnings.append(f"'{text.strip()}' in {header} is in the future; ignored")
                continue
            if value is not None and times.get(target) is None:
                times[target] = value
    return times


def _status(plan: Plan, fields: list[str], warnings: list[str]) -> tuple[LeadStatus, str, bool]:
    """The strongest status the status columns give (else the file's default), its raw
    text, and whether it is a 'no' in a consent column."""
    status = plan.default_status
    status_raw = plan.default_raw
    found: LeadStatus | None = None
    said_no = False
    for index, vocab, parse, header in plan.status:
        text = fields[index].strip()
        if parse == "receiving":
            mapped: LeadStatus | None = S.SUBSCRIBED if text else S.UNSUBSCRIBED
            raw = text or "receiving nothing"
        else:
            if not text:
                continue
            mapped = vocab.get(text.lower(), None)
            raw = f"{header}={text}" if parse.startswith(("bool", "brevo", "consent")) else text
            if text.lower() not in vocab:
                warnings.append(f"status '{text}' in {header} is not known; ignored")
                continue
        if mapped is not None and (found is None or SEVERITY[mapped] > SEVERITY[found]):
            found = mapped
            status_raw = raw
            said_no = parse == "consent" and text.lower() in NO_WORDS
        elif found is None and not status_raw:
            status_raw = raw
    if found is not None:
        status = found
    return status, status_raw, found is not None and said_no


def other_addresses(
    plan: Plan,
    fields: list[str],
    in_email_cell: str,
    custom: dict[str, str],
    warnings: list[str],
) -> tuple[list[OtherAddress], dict[str, str]]:
    """A record's other addresses, each checked as an email is. A cell with one that
    is not an address is kept whole as a custom field, with a warning."""
    cells = [(_EXTRA_IN_EMAIL_CELL, in_email_cell)] if in_email_cell else []
    cells += [(name, fields[index]) for index, name in plan.others if fields[index].strip()]
    others: list[OtherAddress] = []
    moved: dict[str, str] = {}
    for name, text in cells:
        if "'" in text:
            text = unescape_cell(text)
        whole = True
        for part in _ADDRESS_SPLIT.split(text.strip()):
            if not part:
                continue
            try:
                checked = check_email(part)
            except ValidationError as exc:
                reason = exc.user_message.rstrip(".")
                warnings.append(f"'{short(part)}' in {name}: {reason}; kept as text")
                whole = False
                continue
            warnings.extend(checked.warnings)
            others.append((checked.address, checked.key, name, text))
        if whole:
            moved[name] = text
        else:
            custom[name] = text
    return others, moved
