"""Substack: the full export's opens and deliveries per post, and the dashboard's totals.

**Full export ZIP.** ``posts/<post_id>.opens.csv`` gives one OPENED row per open and
``posts/<post_id>.delivers.csv`` one DELIVERED row per delivery (the import counts them
as e-mails received, never as a yes), both ``post_id,timestamp,email,...`` with ISO
times in UTC (``Z``). The member's name says which of the two it is; a plain file (its
name is never read) is an opens file only when it has an opens-only column (device,
client, place), else it is read as deliveries, the safer guess: a delivery says less
than an open. The post title comes from ``posts.csv`` (:func:`read_context`), whose
``post_id`` is ``<number>.<slug>``; engagement files use the bare number.

**Dashboard subscriber export.** It is a subscriber list first (the subscriber import
reads it, and ``recognises`` is False for it); :func:`recognises_dashboard` says it
also carries engagement, so the import plans it both ways (a ``mixed`` batch: its people
first, as the subscriber import reads them, then this), and :func:`read` turns each
person's totals into at most two rows: one CLICKED at ``Last clicked at`` when ``Links
clicked`` is above 0 (a ``clicked`` yes), one OPENED at ``Last email open`` when ``Emails
opened (6mo)`` is above 0, each with ``count`` set to that total. The opens are
engagement as far as the file allows: the export dates only the last one, so the lead's
last open is right and the report counts the total, but the lead keeps one stored open
(its opens in the last 90 days count it once), since inventing dates for the others
would make the 90-day count up. A last time with a count of 0 (or no count column) is
still one event: the time proves it happened, before the count's window. A count
with no time gives a row with no time (the import dates it), keyed by the count, so a
higher count next month is a new event. The key joins the person and the last time,
so a re-export adds an event only when that time moved. A person with no engagement
gives nothing.

A row with no email is Rejected. Exact duplicate rows are yielded with the same key:
the import skips the second.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal, InvalidOperation

from crm.errors import ImportFormatError
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    Table,
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
from crm.importing.mapping import fold

log = logging.getLogger(__name__)

PLATFORM = "substack_activity"
SOURCE = "substack"  # ActivityRow.platform: the platform key of the subscriber import
_MEMBER = re.compile(r"^(\d+)\.(opens|delivers)\.csv$")
_KINDS = {"opens": Action.OPENED, "delivers": Action.DELIVERED}
# Columns an opens file has and a deliveries file does not.
_OPEN_ONLY = frozenset(
    fold(n) for n in "country city region device_type client_os client_type user_agent ip".split()
)
# The dashboard's engagement columns, by the names the 2024 and 2025 layouts use (the
# first one a file has is read; the longest window first).
CLICK_COUNTS = ("Links clicked", "Link clicks")
CLICK_TIMES = ("Last clicked at",)
OPEN_COUNTS = (
    "Emails opened (6mo)",
    "Emails opened (last 6 months)",
    "num_emails_opened",
    "Emails opened (30d)",
    "Emails opened (7d)",
)
OPEN_TIMES = ("Last email open", "Email last opened at")


def _member_kind(member: str) -> tuple[str, Action] | None:
    """The post id and OPENED or DELIVERED of a ``<post_id>.opens|delivers.csv`` member."""
    match = _MEMBER.match(member_parts(member)[-1]) if member else None
    return (match.group(1), _KINDS[match.group(2)]) if match else None


def _engagement_file(headers: Sequence[str]) -> bool:
    return has_columns(headers, "post_id", "timestamp", "email")


def recognises(member: str, headers: Sequence[str]) -> bool:
    """A full export's opens or deliveries file: a ZIP member by its path and columns, a
    plain file by its columns. False for the dashboard export (see the module)."""
    if not _engagement_file(headers):
        return False
    return not member or _member_kind(member) is not None


def recognises_dashboard(headers: Sequence[str]) -> bool:
    """A dashboard subscriber export with engagement columns, which :func:`read` reads
    as aggregates (the subscriber import reads the same file for its people)."""
    if not has_columns(headers, "Email") or _engagement_file(headers):
        return False
    names = CLICK_COUNTS + CLICK_TIMES + OPEN_COUNTS + OPEN_TIMES
    return any(has_columns(headers, name) for name in names)


def read_context(sources: Sequence[Source]) -> ReadContext:
    """Post titles from ``posts.csv``, by the bare post number and the full post id."""
    titles: dict[str, str] = {}
    for source in sources:
        if not source.member or member_parts(source.member)[-1] != "posts.csv":
            continue
        try:
            with open_table(source, detect_decoding(source)) as table:
                ident, title = table.column("post_id"), table.column("title")
                if ident is None or title is None:
                    continue
                for _, fields in table.records():
                    post, name = cell(fields, ident), cell(fields, title)
                    if post and name:
                        titles[post] = name
                        titles.setdefault(post.split(".", 1)[0], name)
        except ImportFormatError as exc:
            # The titles only name the posts: the opens read without them.
            log.info("posts.csv not read: %s", exc.user_message)
    return ReadContext(titles)


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """An opens or deliveries file row by row, or a dashboard export's totals."""
    with open_table(source, decoding) as table:
        if table.headers and recognises_dashboard(table.headers):
            yield from _dashboard(table)
            return
        email, when = table.column("email"), table.column("timestamp")
        post = table.column("post_id")
        if table.headers and (email is None or when is None):
            raise ImportFormatError(
                f"{source.label} has no 'email' and 'timestamp' columns, so it is not a Substack "
                "opens or deliveries file: import the export ZIP as Substack wrote it."
            )
        found = _member_kind(table.member)
        if found is not None:
            member_post, action = found
        else:
            opens = any(fold(h) in _OPEN_ONLY for h in table.headers)
            member_post, action = "", Action.OPENED if opens else Action.DELIVERED
        for row, fields in table.records():
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
            post_id = (cell(fields, post) or member_post).split(".", 1)[0]
            key = join_key(SOURCE, post_id, address.lower(), at_key, action.value)
            title = context.titles.get(post_id, "")
            yield ActivityRow(SOURCE, table.member, row, address, action, at, key, campaign=title)


def _count(text: str) -> int:
    """A total as the dashboard (or a spreadsheet re-save) writes it: ``12``, ``1,200``,
    ``12.0``; empty is 0. ValueError for anything else."""
    cleaned = text.replace(",", "").replace("\u00a0", "").replace(" ", "")
    if not cleaned:
        return 0
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or value < 0 or value != value.to_integral_value():
        raise ValueError(text)
    return int(value)


def _dashboard(table: Table) -> Iterator[ActivityRow | Rejected]:
    email, name = table.column("Email"), table.column("Name")
    pairs = (
        (Action.CLICKED, table.column(*CLICK_COUNTS), table.column(*CLICK_TIMES)),
        (Action.OPENED, table.column(*OPEN_COUNTS), table.column(*OPEN_TIMES)),
    )
    for row, fields in table.records():
        out: list[ActivityRow | Rejected] = []
        address = cell(fields, email)
        for action, count_at, time_at in pairs:
            counted, written = cell(fields, count_at), cell(fields, time_at)
            try:
                count = _count(counted)
            except ValueError:
                header = table.headers[count_at] if count_at is not None else ""
                out = [Rejected(table.member, row, f"'{header}' is not a number: '{counted[:40]}'")]
                break
            try:
                at, at_key = parse_time(written)
            except ValueError as exc:
                out = [bad_time(table, row, written, exc)]
                break
            if at is None and count == 0:
                continue
            parts = [SOURCE, "dashboard", address.lower(), at_key, action.value]
            if at is None:
                parts.append(f"count={count}")
            out.append(
                ActivityRow(
                    SOURCE,
                    table.member,
                    row,
                    address,
                    action,
                    at,
                    join_key(*parts),
                    name=cell(fields, name),
                    count=max(count, 1),
                )
            )
        if out and not address:
            yield no_email(table, row)
            continue
        yield from out
