"""Buttondown events export: one row per delivery, open, click, reply, bounce...

``id,token,email_id,subscriber__email,event_type,timestamp,metadata``. The event types
become actions one for one (``delivered`` DELIVERED, ``opened`` OPENED, ``clicked``
CLICKED with the link from the metadata, ``replied`` REPLIED, ``unsubscribed``,
``bounced``, ``complained``). A ``rejected`` event (a send the mail provider refused)
is Rejected with that reason: it says neither a yes nor a status. Any other type is
Rejected too, so a new kind of event is seen in the report, not lost.

``metadata`` is a Python dict repr, read by :func:`crm.importing.values.parse_metadata`
(literals only). A click whose metadata cannot be read is Rejected: without its link it
cannot be matched to an offer. ``timestamp`` carries its offset (``+00:00``).

The key is the event's own ``id``. Exact duplicate rows share it and are both yielded:
the import skips the second. ``email_id`` names the campaign through the subjects of
an emails export in the same ZIP (:func:`read_context`), else the campaign is empty.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from crm.errors import ImportFormatError, ValidationError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    bad_time,
    cell,
    has_columns,
    join_key,
    no_email,
    open_table,
    parse_time,
)
from crm.importing.decoding import Decoding, Source, detect_decoding
from crm.importing.values import parse_metadata

log = logging.getLogger(__name__)

PLATFORM = "buttondown_activity"
SOURCE = "buttondown"  # ActivityRow.platform: the platform key of the subscriber import
ACTIONS = {
    "delivered": Action.DELIVERED,
    "opened": Action.OPENED,
    "clicked": Action.CLICKED,
    "replied": Action.REPLIED,
    "unsubscribed": Action.UNSUBSCRIBED,
    "bounced": Action.BOUNCED,
    "complained": Action.COMPLAINED,
}
REJECTED_SEND = "a 'rejected' event (a send the mail provider refused) is no yes and no status"
# Where a click's link may sit in the metadata: 'url' is the name the samples use.
_URL_KEYS = ("url", "link", "href", "clicked_url")
_LINKS_KEPT = 10_000  # distinct metadata cells remembered per file


def recognises(member: str, headers: Sequence[str]) -> bool:
    """The events export, by its columns (a ZIP member or a plain file alike)."""
    return has_columns(headers, "subscriber__email", "event_type", "timestamp")


def read_context(sources: Sequence[Source]) -> ReadContext:
    """E-mail subjects by id, from an emails export (``id,...,subject,publish_date``)
    beside the events in the same ZIP."""
    titles: dict[str, str] = {}
    for source in sources:
        if source.member is None:
            continue
        try:
            decoding = detect_decoding(source)
            with open_table(source, decoding) as table:
                if not has_columns(table.headers, "id", "subject", "publish_date"):
                    continue
                ident, subject = table.column("id"), table.column("subject")
                for _, fields in table.records():
                    if cell(fields, ident) and cell(fields, subject):
                        titles[cell(fields, ident)] = cell(fields, subject)
        except ImportFormatError as exc:
            # The subjects only name the campaigns: the events read without them.
            log.info("%s not read for subjects: %s", source.member, exc.user_message)
    return ReadContext(titles)


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """Every event of the export, in file order."""
    with open_table(source, decoding) as table:
        email = table.column("subscriber__email", "email")
        kind, when = table.column("event_type"), table.column("timestamp")
        ident, mail, meta = table.column("id"), table.column("email_id"), table.column("metadata")
        if table.headers and (email is None or kind is None):
            raise ImportFormatError(
                f"{source.label} has no 'subscriber__email' and 'event_type' columns, so it is "
                "not a Buttondown events export: export the events log again."
            )
        member = table.member
        # A campaign's clicks repeat a few metadata cells: each is parsed once.
        links: dict[str, str] = {}
        for row, fields in table.records():
            address = cell(fields, email)
            if not address:
                yield no_email(table, row)
                continue
            word = cell(fields, kind).lower()
            action = ACTIONS.get(word)
            if action is None:
                unknown = f"unknown event type '{word[:40]}'"
                yield Rejected(member, row, REJECTED_SEND if word == "rejected" else unknown)
                continue
            written = cell(fields, when)
            try:
                at, at_key = parse_time(written)
            except ValueError as exc:
                yield bad_time(table, row, written, exc)
                continue
            url = ""
            if action is Action.CLICKED:
                text = cell(fields, meta)
                found = links.get(text)
                if found is None:
                    try:
                        details = parse_metadata(text)
                    except ValidationError as exc:
                        yield Rejected(member, row, f"the click's {exc.user_message}")
                        continue
                    found = next((details[k].strip() for k in _URL_KEYS if details.get(k)), "")
                    if len(links) < _LINKS_KEPT:
                        links[text] = found
                url = found
            event_id = cell(fields, ident)
            email_id = cell(fields, mail)
            if event_id:
                key = join_key(SOURCE, event_id)
            else:
                key = join_key(SOURCE, email_id, address.lower(), at_key, action.value, url)
            yield ActivityRow(
                SOURCE,
                member,
                row,
                address,
                action,
                at,
                key,
                url=url,
                campaign=context.titles.get(email_id, ""),
                source_id=event_id,
            )
