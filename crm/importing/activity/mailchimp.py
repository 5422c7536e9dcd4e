"""Mailchimp account export ZIP: who opened and who clicked each campaign, and when.

The ZIP's ``granular_activity/opens/<web_id>_<name>.csv`` (``Email,Timestamp``) gives
one OPENED row per open, ``granular_activity/clicks/<web_id>_<name>.csv``
(``Email,Timestamp,Url``) one CLICKED row per click; columns are read by name, since
real files may carry more of them or another order. The campaign is the integer before
the first ``_`` of the member's file name (its web id); its title comes from the ZIP's
``campaigns.csv``, matched by the rest of the file name, else that rest itself.

``aggregate_activity/*`` repeats the granular data without times: ``recognises`` is
False for it, so it is never read (reading it too would count every open twice). The
member lists belong to the subscriber import. A plain CSV is never taken for a granular
file, whatever its name: a loose ``Email,Timestamp,Url`` file is a generic activity CSV.

``Timestamp`` is ``YYYY-MM-DD HH:MM:SS`` with no zone, read as UTC as Mailchimp's API
writes times. A row with no email is Rejected. An exact duplicate row (same person,
second and link) is yielded with the same key as the first: the import skips it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence

from crm.errors import ImportFormatError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    bad_time,
    cell,
    has_columns,
    join_key,
    member_parts,
    no_email,
    open_table,
    parse_time,
)
from crm.importing.decoding import Decoding, Source, detect_decoding

log = logging.getLogger(__name__)

PLATFORM = "mailchimp_activity"
SOURCE = "mailchimp"  # ActivityRow.platform: the platform key of the subscriber import
_KINDS = {"opens": Action.OPENED, "clicks": Action.CLICKED}
_SLUG_JUNK = re.compile(r"[^0-9a-z]+")


def _kind(member: str) -> Action | None:
    """OPENED or CLICKED for a ``granular_activity/opens|clicks/*.csv`` member, else None."""
    parts = member_parts(member)
    if len(parts) < 3 or parts[-3] != "granular_activity" or not parts[-1].endswith(".csv"):
        return None
    return _KINDS.get(parts[-2])


def recognises(member: str, headers: Sequence[str]) -> bool:
    """A granular opens or clicks member of an account export ZIP, with the columns
    its reader needs."""
    kind = _kind(member) if member else None
    if kind is None:
        return False
    if kind is Action.CLICKED:
        return has_columns(headers, "Email", "Timestamp", "Url")
    return has_columns(headers, "Email", "Timestamp")


def slug(title: str) -> str:
    """A campaign title as the export writes it in a file name: ``Which topic next?
    (2-minute survey)`` -> ``which-topic-next-2-minute-survey``."""
    return _SLUG_JUNK.sub("-", title.casefold()).strip("-")


def campaign_of(member: str) -> tuple[str, str]:
    """The campaign web id and the rest of a granular member's file name: the id is the
    integer before the first ``_`` (the whole name when there is none)."""
    stem = member.replace("\\", "/").rsplit("/", 1)[-1]
    stem = stem[:-4] if stem.lower().endswith(".csv") else stem
    head, _, rest = stem.partition("_")
    if head.isdigit() and rest:
        return str(int(head)), rest
    return stem, stem


def read_context(sources: Sequence[Source]) -> ReadContext:
    """Campaign titles from the ZIP's ``campaigns.csv``, by their file-name form
    (:func:`slug`): the file has no web id column to match on."""
    titles: dict[str, str] = {}
    for source in sources:
        if not source.member or member_parts(source.member)[-1] != "campaigns.csv":
            continue
        try:
            with open_table(source, detect_decoding(source)) as table:
                title = table.column("Title", "Campaign Title", "Subject")
                if title is None:
                    continue
                for _, fields in table.records():
                    text = cell(fields, title)
                    if text:
                        titles.setdefault(slug(text), text)
        except ImportFormatError as exc:
            # The titles only name the campaigns: without them the file name does.
            log.info("campaigns.csv not read: %s", exc.user_message)
    return ReadContext(titles)


def _title(context: ReadContext, web_id: str, rest: str) -> str:
    found = context.titles.get(web_id) or context.titles.get(slug(rest))
    if found:
        return found
    words = " ".join(rest.replace("-", " ").replace("_", " ").split())
    return words[:1].upper() + words[1:]


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """The opens or clicks of one granular member, one row each."""
    member = source.member or ""
    web_id, rest = campaign_of(member or source.label)
    campaign = _title(context, web_id, rest)
    with open_table(source, decoding) as table:
        email, when = table.column("Email", "Email Address"), table.column("Timestamp")
        url = table.column("Url", "URL", "Link")
        if table.headers and (email is None or when is None):
            raise ImportFormatError(
                f"'{member or source.label}' has no 'Email' and 'Timestamp' columns, so it is "
                "not Mailchimp activity: import the account export ZIP as Mailchimp wrote it."
            )
        action = _kind(member) or (Action.OPENED if url is None else Action.CLICKED)
        clicks = action is Action.CLICKED
        head = join_key(SOURCE, web_id, "")  # the key's fields before the address
        tail = "|" + action.value
        at_email = 0 if email is None else email  # None only for a file with no header
        # A file holds millions of these rows: each cell is trimmed of plain whitespace,
        # and of invisible characters only when its ends are not ASCII (as cell() does).
        for row, fields in table.records():
            address = fields[at_email].strip() if at_email < len(fields) else ""
            if address and not (address[0].isascii() and address[-1].isascii()):
                address = cell(fields, email)
            if not address:
                yield no_email(table, row)
                continue
            written = cell(fields, when)
            try:
                at, at_key = parse_time(written)
            except ValueError as exc:
                yield bad_time(table, row, written, exc)
                continue
            key = f"{head}{address.lower()}|{at_key}{tail}"
            link = ""
            if clicks:
                link = cell(fields, url)
                key = f"{key}|{link}"
            yield ActivityRow(
                SOURCE, member, row, address, action, at, key, url=link, campaign=campaign
            )
