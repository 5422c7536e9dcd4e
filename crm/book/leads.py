"""The lead book: adding, finding, listing, editing, tagging and deleting leads.

Email is the identity: stored as written (trimmed) with a lower-cased unique key. Query
functions return frozen ``LeadRow`` values, never peewee instances.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from peewee import IntegrityError

from crm.asking.ladder import get_ladder, step_by_key
from crm.book.emails import check_email
from crm.book.lead_tables import references
from crm.book.other_emails import (
    OTHER_EMAILS_COLUMN,
    SEARCH_CLAUSE,
    SEARCH_CLAUSE_LONG,
    owner_of,
    split_other_emails,
)
from crm.changes import LEAD_TABLES, note
from crm.errors import DuplicateError, NotFoundError, ValidationError
from crm.money import CURRENCIES, decimal_text
from crm.store.models import Lead, LeadEvent, Tag, database_proxy
from crm.timefmt import from_stored_required, iso

log = logging.getLogger(__name__)


class LeadStatus(StrEnum):
    SUBSCRIBED = "subscribed"
    PENDING = "pending"
    NONE = "none"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    # "Forget this person": the row stays, anonymised, so the funnel's past counts hold.
    ERASED = "erased"


SUPPRESSED = frozenset(
    {LeadStatus.UNSUBSCRIBED, LeadStatus.BOUNCED, LeadStatus.COMPLAINED, LeadStatus.ERASED}
)

STATUS_LABELS = {
    LeadStatus.SUBSCRIBED: "Subscribed",
    LeadStatus.PENDING: "Pending confirmation",
    LeadStatus.NONE: "Contact (not subscribed)",
    LeadStatus.UNSUBSCRIBED: "Unsubscribed",
    LeadStatus.BOUNCED: "Bounced",
    LeadStatus.COMPLAINED: "Complained",
    LeadStatus.ERASED: "Erased",
}

EDITABLE_FIELDS = ("first_name", "last_name", "company", "phone", "notes")


def parse_status(text: str) -> LeadStatus:
    """A status from its name; an unknown one is refused with the valid names."""
    try:
        return LeadStatus(text.strip().lower())
    except ValueError:
        names = ", ".join(s.value for s in LeadStatus)
        raise ValidationError(f"'{text}' is not a lead status: use one of {names}.") from None


@dataclass(frozen=True, slots=True)
class LeadRow:
    id: int
    email: str
    first_name: str
    last_name: str
    company: str
    phone: str
    status: str
    do_not_contact: bool
    tags: tuple[str, ...]
    level: int
    step: str | None
    step_label: str | None
    source: str
    created_at: dt.datetime
    updated_at: dt.datetime
    last_commitment_at: dt.datetime | None
    last_ask_at: dt.datetime | None
    notes: str = ""
    custom: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    other_emails: tuple[str, ...] = ()  # crm.book.other_emails, in the order they were added
    # lifetime revenue net of refunds: currency -> minor units (crm.money), currencies apart
    revenue: dict[str, int] = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def suppressed(self) -> bool:
        return self.status in SUPPRESSED or self.do_not_contact

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "phone": self.phone,
            "status": self.status,
            "do_not_contact": self.do_not_contact,
            "tags": list(self.tags),
            "level": self.level,
            "step": self.step,
            "source": self.source,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "last_commitment_at": iso(self.last_commitment_at),
            "last_ask_at": iso(self.last_ask_at),
            "notes": self.notes,
            "custom": self.custom,
            "other_emails": list(self.other_emails),
            "revenue": {c: decimal_text(v, c) for c, v in sorted(self.revenue.items())},
        }


class SortKey(StrEnum):
    NAME = "name"
    EMAIL = "email"
    COMPANY = "company"
    STATUS = "status"
    LEVEL = "level"
    LAST_YES = "last_yes"
    CREATED = "created"
    SOURCE = "source"
    REVENUE = "revenue"


# A lead's revenue in one currency (the one inlined: an ISO code, checked), as it sorts.
_REVENUE_SQL = (
    "coalesce((SELECT sum(s.amount - s.refunded) FROM sale s WHERE s.lead_id = l.id "
    "AND s.currency = '{c}'), 0)"
)


def main_currency() -> str:
    """The currency most of the book's sales are in ("" for a book without sales): the
    lead list sorts by revenue in it, since amounts in different currencies never add."""
    row = database_proxy.execute_sql(
        "SELECT currency FROM sale GROUP BY currency ORDER BY count(*) DESC, currency LIMIT 1"
    ).fetchone()
    code = str(row[0]) if row is not None else ""
    return code if code in CURRENCIES else ""


def _revenue_order() -> str:
    return _REVENUE_SQL.format(c=main_currency() or "XXX")


_ORDER_SQL = {
    SortKey.NAME: "l.last_name COLLATE NOCASE {d}, l.first_name COLLATE NOCASE {d}",
    SortKey.EMAIL: "l.email_key {d}",
    SortKey.COMPANY: "l.company COLLATE NOCASE {d}",
    SortKey.STATUS: "l.status {d}",
    SortKey.LEVEL: "l.level {d}",
    SortKey.LAST_YES: "l.last_commitment_at {d}",
    SortKey.CREATED: "l.created_at {d}",
    SortKey.SOURCE: "l.source {d}",
    SortKey.REVENUE: "{revenue} {d}",
}
# Orders whose index also holds search_text: a search can walk them cheaply. For the
# others a search scans the table and sorts the matches ('+' keeps SQLite off the index,
# whose row-by-row lookups cost far more when few rows match).
_COVERED = frozenset({SortKey.NAME, SortKey.LAST_YES, SortKey.CREATED})


@dataclass(frozen=True, slots=True)
class FieldFilter:
    """A condition on one custom field: ``op`` is equals, contains, empty, above or below
    (numbers), compared without regard to case."""

    name: str
    op: str
    value: str = ""

    def words(self) -> str:
        if self.op == "empty":
            return f"{self.name} empty"
        sign = {"equals": "=", "contains": "contains", "above": ">", "below": "<"}[self.op]
        return f"{self.name} {sign} {self.value}"

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "op": self.op, "value": self.value}


@dataclass(frozen=True, slots=True)
class LeadQuery:
    """What the lead list shows: filters and sort order, all applied in SQL."""

    search: str = ""
    status: str | None = None
    tag: str | None = None
    step: str | None = None  # the lead's current (highest) step
    min_level: int | None = None  # reached this level or higher
    offer: str | None = None  # took this offer
    # A period (naive UTC, since inclusive, until exclusive) for the yeses: with
    # ``min_level`` a yes at that level or higher inside it, with ``offer`` a yes about the
    # offer inside it, alone any yes inside it. The funnel counts a period's leads so.
    yes_since: dt.datetime | None = None
    yes_until: dt.datetime | None = None
    source: str | None = None
    sort: SortKey = SortKey.NAME
    descending: bool = False
    # the segment filters (crm.book.filters turns the owner's words into these)
    tags_all: tuple[str, ...] = ()  # every one of these tags
    tags_any: tuple[str, ...] = ()  # at least one of them
    tags_none: tuple[str, ...] = ()  # none of them
    max_level: int | None = None  # reached no higher than this level
    last_yes_after: dt.datetime | None = None  # the last yes at or after
    last_yes_before: dt.datetime | None = None  # the last yes before
    never_asked: bool = False
    asked_before: dt.datetime | None = None  # never asked, or last asked before
    engaged_since: dt.datetime | None = None  # opened or clicked at or after
    fields: tuple[FieldFilter, ...] = ()
    nobody: bool = False  # a filter that names a step the ladder no longer has


# The lead ``l`` carries the tag named by the one parameter (any case): the lead list's
# tag filter and the funnel's.
TAGGED = (
    "l.id IN (SELECT lt.lead_id FROM lead_tag lt JOIN tag t ON t.id = lt.tag_id "
    "WHERE t.name = ? COLLATE NOCASE)"
)


def make_search_text(email: str, first_name: str, last_name: str, company: str) -> str:
    """The casefolded text a search matches against."""
    parts = (first_name, last_name, email, company, f"{first_name} {last_name}")
    return "\x1f".join(parts).casefold()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# SQLite refuses a LIKE pattern over 50,000 bytes ("pattern too complex"): a longer
# search is matched with instr(), which has no limit and finds the same rows.
_LIKE_MAX_BYTES = 40_000


def _where(query: LeadQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.search.strip():
        needle = query.search.strip().casefold()
        pattern = f"%{_escape_like(needle)}%"
        # A lead is found by its other addresses too (an address book's second e-mail).
        if len(pattern.encode("utf-8")) <= _LIKE_MAX_BYTES:
            clauses.append(f"(l.search_text LIKE ? ESCAPE '\\' OR {SEARCH_CLAUSE})")
            params += [pattern, pattern]
        else:
            clauses.append(f"(instr(l.search_text, ?) > 0 OR {SEARCH_CLAUSE_LONG})")
            params += [needle, needle]
    if query.status:
        clauses.append("l.status = ?")
        params.append(parse_status(query.status).value)
    elif not query.search.strip():
        # Erased leads are only rows for the funnel's counts. A search needs no clause:
        # their search_text is empty, so it never matches (and the covering index holds).
        clauses.append("l.status != 'erased'")
    if query.tag:
        clauses.append(TAGGED)
        params.append(query.tag.strip())
    if query.step:
        clauses.append("l.level = ?")
        params.append(step_by_key(query.step).level)
    period, period_params = _yes_period(query)
    if query.min_level is not None:
        if period:
            clauses.append(
                "l.id IN (SELECT c.lead_id FROM commitment c JOIN step s ON s.id = c.step_id "
                f"WHERE s.level >= ?{period})"
            )
            params.extend([query.min_level, *period_params])
        else:
            clauses.append("l.level >= ?")
            params.append(query.min_level)
    if query.offer:
        clauses.append(
            "l.id IN (SELECT c.lead_id FROM commitment c JOIN offer o ON o.id = c.offer_id "
            f"WHERE o.name = ? COLLATE NOCASE{period})"
        )
        params.extend([query.offer.strip(), *period_params])
    if period and query.min_level is None and not query.offer:
        clauses.append(f"l.id IN (SELECT c.lead_id FROM commitment c WHERE 1{period})")
        params.extend(period_params)
    if query.source:
        clauses.append("l.source = ?")
        params.append(query.source)
    _segment_clauses(query, clauses, params)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def lead_where(query: LeadQuery) -> tuple[str, list[Any]]:
    """``query``'s WHERE (with its leading `` WHERE ``, or '') and parameters over ``lead l``:
    for writes to every lead a filter matches at once (a bulk change)."""
    return _where(query)


_HAS_TAG = (
    "EXISTS (SELECT 1 FROM lead_tag lt JOIN tag t ON t.id = lt.tag_id WHERE lt.lead_id = l.id "
    "AND t.name IN ({marks}) COLLATE NOCASE)"
)
# A custom field's value as text (numbers and text alike), '' when the lead has none.
_FIELD = "coalesce(CAST(json_extract(l.custom, ?) AS TEXT), '')"
_ENGAGED = (
    "EXISTS (SELECT 1 FROM activity_event e WHERE "
    "e.lead_id = l.id AND e.action IN ('opened', 'clicked') AND e.at >= ?)"
)


def _stored(at: dt.datetime) -> str:
    return at.replace(microsecond=0).isoformat(sep=" ")


def _segment_clauses(query: LeadQuery, clauses: list[str], params: list[Any]) -> None:
    if query.nobody:
        clauses.append("0")
    for tag in query.tags_all:
        clauses.append(TAGGED)
        params.append(tag.strip())
    if query.tags_any:
        clauses.append(_HAS_TAG.format(marks=",".join("?" * len(query.tags_any))))
        params.extend(t.strip() for t in query.tags_any)
    if query.tags_none:
        clauses.append("NOT " + _HAS_TAG.format(marks=",".join("?" * len(query.tags_none))))
        params.extend(t.strip() for t in query.tags_none)
    if query.max_level is not None:
        clauses.append("l.level <= ?")
        params.append(query.max_level)
    if query.last_yes_after is not None:
        clauses.append("l.last_commitment_at >= ?")
        params.append(_stored(query.last_yes_after))
    if query.last_yes_before is not None:
        clauses.append("l.last_commitment_at < ?")
        params.append(_stored(query.last_yes_before))
    if query.never_asked:
        clauses.append("l.last_ask_at IS NULL")
    if query.asked_before is not None:
        clauses.append("(l.last_ask_at IS NULL OR l.last_ask_at < ?)")
        params.append(_stored(query.asked_before))
    if query.engaged_since is not None:
        clauses.append(_ENGAGED)
        params.append(_stored(query.engaged_since))
    for f in query.fields:
        path = '$."' + f.name.replace('"', "") + '"'
        if f.op == "equals":
            clauses.append(f"{_FIELD} = ? COLLATE NOCASE")
            params += [path, f.value]
        elif f.op == "contains":
            clauses.append(f"instr(lower({_FIELD}), lower(?)) > 0")
            params += [path, f.value]
        elif f.op == "empty":
            clauses.append(f"{_FIELD} = ''")
            params.append(path)
        elif f.op in ("above", "below"):
            sign = ">" if f.op == "above" else "<"
            clauses.append(f"({_FIELD} != '' AND CAST(json_extract(l.custom, ?) AS REAL) {sign} ?)")
            params += [path, path, float(f.value)]
        else:
            raise ValidationError(
                f"'{f.op}' is not a field condition: use equals, contains, empty, above or below."
            )


def _yes_period(query: LeadQuery) -> tuple[str, list[Any]]:
    """`` AND c.at ...`` for the query's period of yeses ('' when it has none)."""
    sql, params = "", []
    # Stored times compare as text: 'YYYY-MM-DD HH:MM:SS[.ffffff]'.
    if query.yes_since is not None:
        sql += " AND c.at >= ?"
        params.append(query.yes_since.replace(microsecond=0).isoformat(sep=" "))
    if query.yes_until is not None:
        sql += " AND c.at < ?"
        params.append(query.yes_until.replace(microsecond=0).isoformat(sep=" "))
    return sql, params


_COLUMNS = (
    "l.id, l.email, l.first_name, l.last_name, l.company, l.phone, l.status, "
    "l.do_not_contact, l.level, l.source, l.created_at, l.updated_at, "
    "l.last_commitment_at, l.last_ask_at, l.notes, l.custom, "
    "(SELECT group_concat(t.name, char(31)) FROM lead_tag lt JOIN tag t ON t.id = lt.tag_id "
    "WHERE lt.lead_id = l.id), "
    f"{OTHER_EMAILS_COLUMN}, "
    "(SELECT group_concat(s.currency || ':' || (s.amount - s.refunded)) FROM sale s "
    "WHERE s.lead_id = l.id AND s.amount > s.refunded)"
)


def _revenue(text: str | None) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in text.split(",") if text else ():
        currency, _, net = part.partition(":")
        found[currency] = found.get(currency, 0) + int(net)
    return found


def _dt(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    text = str(value)
    return dt.datetime.fromisoformat(text)


def _rows(sql: str, params: Sequence[Any]) -> list[LeadRow]:
    ladder = {s.level: s for s in get_ladder()}
    out = []
    for r in database_proxy.execute_sql(sql, params).fetchall():
        step = ladder.get(r[8])
        tags = tuple(sorted(r[16].split("\x1f"), key=str.casefold)) if r[16] else ()
        out.append(
            LeadRow(
                id=r[0],
                email=r[1],
                first_name=r[2],
                last_name=r[3],
                company=r[4],
                phone=r[5],
                status=r[6],
                do_not_contact=bool(r[7]),
                tags=tags,
                level=r[8],
                step=step.key if step else None,
                step_label=step.label if step else None,
                source=r[9],
                created_at=from_stored_required(r[10]),
                updated_at=from_stored_required(r[11]),
                last_commitment_at=_dt(r[12]),
                last_ask_at=_dt(r[13]),
                notes=r[14],
                custom=json.loads(r[15] or "{}"),
                other_emails=split_other_emails(r[17]),
                revenue=_revenue(r[18]),
            )
        )
    return out


def _filters_beyond_search(query: LeadQuery) -> bool:
    return any(
        (
            query.tags_all,
            query.tags_any,
            query.tags_none,
            query.max_level is not None,
            query.last_yes_after,
            query.last_yes_before,
            query.never_asked,
            query.asked_before,
            query.engaged_since is not None,
            query.fields,
            query.nobody,
            query.status,
            query.tag,
            query.step,
            query.min_level is not None,
            query.offer,
            query.yes_since,
            query.yes_until,
            query.source,
        )
    )


# The values each order sorts by (before the final id), for keyset paging. Only the last
# yes can be NULL: SQLite sorts NULLs first ascending and last descending.
_SORT_COLUMNS = {
    SortKey.NAME: ("l.last_name COLLATE NOCASE", "l.first_name COLLATE NOCASE"),
    SortKey.EMAIL: ("l.email_key",),
    SortKey.COMPANY: ("l.company COLLATE NOCASE",),
    SortKey.STATUS: ("l.status",),
    SortKey.LEVEL: ("l.level",),
    SortKey.LAST_YES: ("l.last_commitment_at",),
    SortKey.CREATED: ("l.created_at",),
    SortKey.SOURCE: ("l.source",),
    SortKey.REVENUE: ("{revenue}",),
}


def _after(query: LeadQuery, lead_id: int, revenue: str = "") -> tuple[str, list[Any]]:
    """A condition for the rows that follow lead ``lead_id`` in ``query``'s order
    (``revenue``: the revenue sort's expression, when the query sorts by it).

    Paging from the last row shown starts the index walk there, where OFFSET would walk
    (and filter) every row before it: the 500th page costs what the first one does.
    """
    columns = tuple(c.format(revenue=revenue) for c in _SORT_COLUMNS[SortKey(query.sort)])
    anchor = database_proxy.execute_sql(
        f"SELECT {', '.join(columns)} FROM lead l WHERE l.id = ?", [lead_id]
    ).fetchone()
    if anchor is None:
        raise NotFoundError("That lead no longer exists: it may have been deleted.")
    if anchor[0] is None:  # a lead without a yes yet: among the NULLs of the last yes
        column = columns[0]
        if query.descending:
            return f"({column} IS NULL AND l.id < ?)", [lead_id]
        return f"({column} IS NOT NULL OR l.id > ?)", [lead_id]
    keys = ", ".join((*columns, "l.id"))
    marks = ", ".join("?" for _ in range(len(columns) + 1))
    clause = f"({keys}) {'<' if query.descending else '>'} ({marks})"
    if query.sort == SortKey.LAST_YES and query.descending:
        clause = f"({clause} OR {columns[0]} IS NULL)"
    return clause, [*anchor, lead_id]


def list_leads(
    query: LeadQuery = LeadQuery(),
    offset: int = 0,
    limit: int | None = None,
    *,
    after: int | None = None,
) -> list[LeadRow]:
    """One page (or all) of the leads matching ``query``, in its order.

    ``after`` (a lead id) starts the page just after that lead instead of at ``offset``:
    the cheap way to fetch the next page of a long list.
    """
    where, params = _where(query)
    sort = SortKey(query.sort)
    # the book's main currency, looked up once for the page's order and its anchor
    revenue = _revenue_order() if sort is SortKey.REVENUE else ""
    if after is not None:
        clause, extra = _after(query, after, revenue)
        where = f"{where} AND {clause}" if where else f" WHERE {clause}"
        params = [*params, *extra]
    direction = "DESC" if query.descending else "ASC"
    if (sort is SortKey.STATUS and query.status) or (sort is SortKey.SOURCE and query.source):
        # the filter pins the sort column to one value: the order is the ids', which the
        # filter's own index walks already (no sort of every matching row)
        order = f"l.id {direction}"
    else:
        order = _ORDER_SQL[sort].format(d=direction, revenue=revenue)
        if _filters_beyond_search(query) or (query.search.strip() and sort not in _COVERED):
            order = "+" + order.replace(", l.", ", +l.")
        order = f"{order}, l.id {direction}"
    sql = f"SELECT {_COLUMNS} FROM lead l{where} ORDER BY {order}"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params = [*params, limit, offset]
    return _rows(sql, params)


def count_leads(query: LeadQuery = LeadQuery()) -> int:
    where, params = _where(query)
    return database_proxy.execute_sql(f"SELECT count(*) FROM lead l{where}", params).fetchone()[0]


def get_lead(lead_id: int) -> LeadRow:
    rows = _rows(f"SELECT {_COLUMNS} FROM lead l WHERE l.id = ?", [lead_id])
    if not rows:
        raise NotFoundError("That lead no longer exists: it may have been deleted.")
    return rows[0]


def find_lead(email: str) -> LeadRow:
    """The lead with this email (its own, or one of its other addresses), in any case;
    unknown addresses are refused.

    A forgotten person's anonymous row is nobody's: its placeholder address names no one,
    and a note, tag, yes or status put on it would bring personal data back.
    """
    key = email.strip().lower()
    rows = _rows(
        f"SELECT {_COLUMNS} FROM lead l WHERE l.email_key = ? AND l.status != 'erased'", [key]
    )
    if not rows and (owner := owner_of(key)) is not None:
        rows = _rows(f"SELECT {_COLUMNS} FROM lead l WHERE l.id = ?", [owner])
    if not rows:
        raise NotFoundError(f"No lead has the email '{email.strip()}': check the address.")
    return rows[0]


def lead_id_for(email: str) -> int:
    return find_lead(email).id


def _clean_text(value: str | None) -> str:
    return (value or "").strip()


def add_lead(
    email: str,
    *,
    first_name: str = "",
    last_name: str = "",
    company: str = "",
    phone: str = "",
    notes: str = "",
    tags: Iterable[str] = (),
    source: str = "manual",
    status: LeadStatus | str = LeadStatus.NONE,
    custom: dict[str, Any] | None = None,
    now: dt.datetime,
) -> LeadRow:
    """Add a lead; a second lead with the same email in any case is refused."""
    checked = check_email(email)
    status = parse_status(str(status))
    first, last, comp = _clean_text(first_name), _clean_text(last_name), _clean_text(company)
    with database_proxy.atomic():
        if Lead.select().where(Lead.email_key == checked.key).exists():
            raise DuplicateError(
                f"A lead with the email '{checked.address}' already exists: open it instead."
            )
        _refuse_other_address(checked.address, checked.key)
        try:
            lead = Lead.create(
                email=checked.address,
                email_key=checked.key,
                first_name=first,
                last_name=last,
                company=comp,
                phone=_clean_text(phone),
                notes=notes.strip(),
                source=source,
                status=status.value,
                custom=json.dumps(custom or {}, ensure_ascii=False),
                search_text=make_search_text(checked.address, first, last, comp),
                created_at=now,
                updated_at=now,
            )
        except IntegrityError:
            raise DuplicateError(
                f"A lead with the email '{checked.address}' already exists: open it instead."
            ) from None
        tag_lead(lead.id, tags)
    note(tables=["lead", "lead_event", "lead_tag", "tag"], leads=[lead.id])
    return get_lead(lead.id)


def _refuse_other_address(address: str, key: str, lead_id: int | None = None) -> None:
    """An address that is a lead's other address names that person already."""
    owner = owner_of(key)
    if owner is None:
        return
    if owner == lead_id:
        raise DuplicateError(
            f"'{address}' is one of this lead's other addresses: remove it there first to "
            "make it the main email."
        )
    raise DuplicateError(
        f"'{address}' is another address of an existing lead: open that lead instead "
        "(search for the address)."
    )


def update_lead(lead_id: int, *, now: dt.datetime, **fields: str) -> LeadRow:
    """Change editable fields (and the email, which must stay unique)."""
    note(tables=["lead", "lead_event"], leads=[lead_id])
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None:
        raise NotFoundError("That lead no longer exists: it may have been deleted.")
    unknown = set(fields) - {*EDITABLE_FIELDS, "email"}
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    with database_proxy.atomic():
        if "email" in fields:
            checked = check_email(fields.pop("email"))
            if (
                checked.key != lead.email_key
                and Lead.select().where(Lead.email_key == checked.key).exists()
            ):
                raise DuplicateError(
                    f"Another lead already has the email '{checked.address}': "
                    "use a different address."
                )
            if checked.key != lead.email_key:
                _refuse_other_address(checked.address, checked.key, lead_id)
            lead.email, lead.email_key = checked.address, checked.key
        for name, value in fields.items():
            setattr(lead, name, value.strip() if name != "notes" else value)
        lead.search_text = make_search_text(
            lead.email, lead.first_name, lead.last_name, lead.company
        )
        lead.updated_at = now
        lead.save()
    return get_lead(lead_id)


MAX_FIELD_NAME = 80


def clean_field_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("A field needs a name: type one, like plan or ZIP.")
    if len(cleaned) > MAX_FIELD_NAME:
        raise ValidationError(
            f"A field name can be at most {MAX_FIELD_NAME} characters: shorten it."
        )
    return cleaned


def update_custom(lead_id: int, values: dict[str, str], *, now: dt.datetime) -> LeadRow:
    """Set the lead's custom fields in ``values`` (a blank value removes the field); a name
    the lead has in another case changes that field. The other fields stay as they are."""
    note(tables=["lead"], leads=[lead_id])
    with database_proxy.atomic():
        row = database_proxy.execute_sql(
            "SELECT custom FROM lead WHERE id = ? AND status != 'erased'", [lead_id]
        ).fetchone()
        if row is None:
            raise NotFoundError("That lead no longer exists: it may have been deleted.")
        custom: dict[str, Any] = json.loads(row[0] or "{}")
        for name, value in values.items():
            cleaned = clean_field_name(name)
            key = next((k for k in custom if k.casefold() == cleaned.casefold()), cleaned)
            text = value.strip()
            if text:
                custom[key] = text
            else:
                custom.pop(key, None)
        Lead.update(custom=json.dumps(custom, ensure_ascii=False), updated_at=now).where(
            Lead.id == lead_id
        ).execute()
    return get_lead(lead_id)


def record_event(
    lead_id: int,
    kind: str,
    summary: str,
    at: dt.datetime,
    data: dict[str, Any] | None = None,
    batch_id: int | None = None,
) -> None:
    """Put a status change, note or import on the lead's timeline."""
    note(tables=["lead_event"], leads=[lead_id])
    LeadEvent.create(
        lead=lead_id,
        kind=kind,
        summary=summary,
        at=at,
        data=json.dumps(data or {}, ensure_ascii=False),
        batch=batch_id,
    )


def set_status(lead_id: int, status: LeadStatus | str, *, now: dt.datetime) -> LeadRow:
    """The owner changes a lead's status explicitly; the change goes on the timeline."""
    note(tables=["lead", "lead_event"], leads=[lead_id])
    new = parse_status(str(status))
    if new is LeadStatus.ERASED:
        raise ValidationError("A lead is erased with Forget this person, not by its status.")
    lead = Lead.get_or_none(Lead.id == lead_id)
    if lead is None:
        raise NotFoundError("That lead no longer exists: it may have been deleted.")
    if lead.status != new.value:
        with database_proxy.atomic():
            old = lead.status
            Lead.update(status=new.value, updated_at=now).where(Lead.id == lead_id).execute()
            record_event(
                lead_id,
                "status",
                f"Status changed from {STATUS_LABELS[LeadStatus(old)]} to {STATUS_LABELS[new]}",
                now,
                {"from": old, "to": new.value},
            )
    return get_lead(lead_id)


def set_do_not_contact(lead_id: int, flag: bool, *, now: dt.datetime) -> LeadRow:
    note(tables=["lead", "lead_event"], leads=[lead_id])
    lead = get_lead(lead_id)
    if lead.do_not_contact != flag:
        with database_proxy.atomic():
            Lead.update(do_not_contact=flag, updated_at=now).where(Lead.id == lead_id).execute()
            record_event(
                lead_id,
                "status",
                "Marked do not contact" if flag else "Do not contact removed",
                now,
                {"do_not_contact": flag},
            )
    return get_lead(lead_id)


def _clean_tag(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError("A tag cannot be empty: type a word or two.")
    if len(cleaned) > 80:
        raise ValidationError("A tag can be at most 80 characters: shorten it.")
    return cleaned


def clean_tag(name: str) -> str:
    """A tag name as stored: inner whitespace folded; refused when empty or too long."""
    return _clean_tag(name)


def tag_ids(names: Iterable[str]) -> list[int]:
    """Ids for tag names, creating the tags that do not exist yet (case-insensitive)."""
    ids = []
    for name in names:
        tag, _ = Tag.get_or_create(name=_clean_tag(name))
        ids.append(tag.id)
    return ids


def tag_lead(lead_id: int, names: Iterable[str], batch_id: int | None = None) -> None:
    note(tables=["lead_tag", "tag"], leads=[lead_id])
    with database_proxy.atomic():
        if not database_proxy.execute_sql("SELECT 1 FROM lead WHERE id = ?", [lead_id]).fetchone():
            raise NotFoundError("That lead no longer exists: it may have been deleted.")
        for tid in tag_ids(names):
            database_proxy.execute_sql(
                "INSERT OR IGNORE INTO lead_tag (lead_id, tag_id, batch_id) VALUES (?, ?, ?)",
                (lead_id, tid, batch_id),
            )


def untag_lead(lead_id: int, names: Iterable[str]) -> list[str]:
    """Remove these tags from the lead; the names (trimmed) it carried and lost."""
    note(tables=["lead_tag", "tag"], leads=[lead_id])
    removed = []
    with database_proxy.atomic():
        for name in names:
            cursor = database_proxy.execute_sql(
                "DELETE FROM lead_tag WHERE lead_id = ? AND tag_id IN "
                "(SELECT id FROM tag WHERE name = ? COLLATE NOCASE)",
                (lead_id, name.strip()),
            )
            if cursor.rowcount > 0:
                removed.append(name.strip())
    return removed


def all_tags() -> list[str]:
    """Tags that at least one lead carries, alphabetically."""
    sql = (
        "SELECT t.name FROM tag t WHERE EXISTS (SELECT 1 FROM lead_tag lt WHERE lt.tag_id = t.id)"
        " ORDER BY t.name COLLATE NOCASE"
    )
    return [r[0] for r in database_proxy.execute_sql(sql).fetchall()]


def all_sources() -> list[str]:
    sql = "SELECT DISTINCT source FROM lead ORDER BY source"
    return [r[0] for r in database_proxy.execute_sql(sql).fetchall()]


# --- delete and undo -------------------------------------------------------------------

_CHILD_TABLES = (
    "ask",
    "commitment",
    "lead_event",
    "import_change",
    "lead_other_email",
    "activity_event",
    "commitment_answer",
    "sale",
    "refund",  # by its sale: it has no lead of its own
    "booking",
)
_CHILD_WHERE = {"refund": "sale_id IN (SELECT id FROM sale WHERE lead_id = ?)"}


@dataclass(frozen=True, slots=True)
class DeletedLead:
    """Everything a deleted lead had, so the delete can be undone exactly."""

    email: str
    lead: dict[str, Any]
    tags: tuple[tuple[str, int | None], ...]
    children: dict[str, list[dict[str, Any]]]


def _select_dicts(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    cursor = database_proxy.execute_sql(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _insert_dict(table: str, row: dict[str, Any]) -> None:
    cols = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    database_proxy.execute_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(row.values()))


def delete_lead(lead_id: int) -> DeletedLead:
    """Delete a lead with its timeline; return what is needed to undo it."""
    note(tables=LEAD_TABLES, leads=[lead_id])
    with database_proxy.atomic():
        leads = _select_dicts("SELECT * FROM lead WHERE id = ?", [lead_id])
        if not leads:
            raise NotFoundError("That lead no longer exists: it may have been deleted.")
        tags = tuple(
            (r[0], r[1])
            for r in database_proxy.execute_sql(
                "SELECT t.name, lt.batch_id FROM lead_tag lt JOIN tag t ON t.id = lt.tag_id "
                "WHERE lt.lead_id = ?",
                [lead_id],
            ).fetchall()
        )
        children = {
            table: _select_dicts(
                f"SELECT * FROM {table} WHERE {_CHILD_WHERE.get(table, 'lead_id = ?')} ORDER BY id",
                [lead_id],
            )
            for table in _CHILD_TABLES
        }
        database_proxy.execute_sql("DELETE FROM lead WHERE id = ?", [lead_id])
    return DeletedLead(email=leads[0]["email"], lead=leads[0], tags=tags, children=children)


def _id_taken(table: str, row_id: int) -> bool:
    sql = f"SELECT 1 FROM {table} WHERE id = ?"
    return database_proxy.execute_sql(sql, [row_id]).fetchone() is not None


def restore_deleted(deleted: DeletedLead) -> LeadRow:
    """Undo a delete: the lead comes back with its timeline, asks and tags, under the same
    ids. SQLite gives the highest id again once its row is gone, so a lead (or a yes, an
    ask) added since the delete may hold one: the kept row then comes back under a new id,
    and the kept rows that point at it follow."""
    note(tables=LEAD_TABLES, leads=[deleted.lead["id"]])
    with database_proxy.atomic():
        if Lead.select().where(Lead.email_key == deleted.lead["email_key"]).exists():
            raise DuplicateError(
                f"A lead with the email '{deleted.email}' was added since the delete: "
                "the deleted one cannot come back beside it."
            )
        others = deleted.children.get("lead_other_email", [])
        for address, key, own in (
            (deleted.email, deleted.lead["email_key"], True),
            *((r["email"], r["email_key"], False) for r in others),
        ):
            if owner_of(key) is not None or (
                not own and Lead.select().where(Lead.email_key == key).exists()
            ):
                raise DuplicateError(
                    f"The address '{address}' of the deleted lead was given to another lead "
                    "since the delete: the deleted one cannot come back beside it."
                )
        lead_row = dict(deleted.lead)
        if (
            lead_row.get("batch_id") is not None
            and not database_proxy.execute_sql(
                "SELECT 1 FROM import_batch WHERE id = ?", [lead_row["batch_id"]]
            ).fetchone()
        ):
            lead_row["batch_id"] = None
        if _id_taken("lead", lead_row["id"]):
            del lead_row["id"]
        _insert_dict("lead", lead_row)
        lead_id = int(
            lead_row.get("id")
            or database_proxy.execute_sql("SELECT last_insert_rowid()").fetchone()[0]
        )
        moved: dict[str, dict[int, int]] = {}  # table -> kept id -> the id it came back as
        pointing: dict[str, dict[str, str]] | None = None  # read once a row has moved
        for table in _CHILD_TABLES:
            if moved and pointing is None:
                pointing = references()
            refs = pointing.get(table, {}) if pointing is not None else {}
            for kept in deleted.children.get(table, []):
                row = dict(kept)
                if "lead_id" in row:
                    row["lead_id"] = lead_id
                for column, target in refs.items():
                    if row.get(column) in moved.get(target, {}):
                        row[column] = moved[target][row[column]]
                if "batch_id" in row and row["batch_id"] is not None:
                    exists = database_proxy.execute_sql(
                        "SELECT 1 FROM import_batch WHERE id = ?", [row["batch_id"]]
                    ).fetchone()
                    if not exists:
                        row["batch_id"] = None
                if table == "import_change" and row.get("batch_id") is None:
                    continue
                old_id = row.get("id")
                if old_id is not None and _id_taken(table, old_id):
                    del row["id"]
                    _insert_dict(table, row)
                    new_id = database_proxy.execute_sql("SELECT last_insert_rowid()").fetchone()
                    moved.setdefault(table, {})[old_id] = int(new_id[0])
                else:
                    _insert_dict(table, row)
        for name, batch_id in deleted.tags:
            tag_lead(lead_id, [name])
            if batch_id is not None:
                database_proxy.execute_sql(
                    "UPDATE lead_tag SET batch_id = ? WHERE lead_id = ? AND tag_id = "
                    "(SELECT id FROM tag WHERE name = ? COLLATE NOCASE) AND EXISTS "
                    "(SELECT 1 FROM import_batch WHERE id = ?)",
                    [batch_id, lead_id, name, batch_id],
                )
        if lead_id != deleted.lead["id"]:
            note(tables=LEAD_TABLES, leads=[lead_id])
    return get_lead(lead_id)
