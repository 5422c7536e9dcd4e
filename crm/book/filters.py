"""A filter of the lead book as the owner says it, saved in segments and given on the
command line: ``LeadFilter``, turned into the lead list's SQL query (``LeadQuery``).

The filter names things (a step's key, a tag, an offer, a custom field), not their ids
or levels, so a segment saved today still means the same after the ladder changes; a part
that names something the book no longer has is kept, and :meth:`LeadFilter.problems`
says which, in words (the segment still opens, matching what the rest says).

``engaged_within`` is a number of days counted back from the moment the query runs, so a
segment of "engaged in the last 30 days" stays current.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from crm.asking.ladder import get_ladder
from crm.book.custom_fields import custom_field_names
from crm.book.leads import FieldFilter, LeadQuery, SortKey, parse_status
from crm.errors import ValidationError
from crm.store.models import database_proxy
from crm.timefmt import iso, local, parse_user_datetime, utc_now

FIELD_OPS = ("equals", "contains", "empty", "above", "below")
_FIELD_SPEC = re.compile(r"^(?P<name>[^=~<>!]+?)\s*(?P<op>=|~|<|>|!=?)\s*(?P<value>.*)$")
_MAX_DAYS = 36_500


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """Which leads: every part optional, all of them must hold."""

    search: str = ""
    status: str | None = None
    tags_all: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    tags_none: tuple[str, ...] = ()
    step: str | None = None  # the lead's highest step, exactly
    min_step: str | None = None
    max_step: str | None = None
    offer: str | None = None  # took this offer
    yes_after: dt.datetime | None = None  # its last yes at or after
    yes_before: dt.datetime | None = None  # its last yes before
    never_asked: bool = False
    asked_before: dt.datetime | None = None  # never asked, or last asked before
    engaged_within: int | None = None  # opened or clicked in the last N days
    source: str | None = None
    fields: tuple[FieldFilter, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return self == LeadFilter()

    def query(
        self,
        sort: SortKey = SortKey.NAME,
        descending: bool = False,
        *,
        strict: bool = False,
        now: dt.datetime | None = None,
    ) -> LeadQuery:
        """The lead list's query as of ``now`` (the engagement window ends there). A step
        the ladder no longer has matches nobody (``strict``: refuses with its name)."""
        levels = {s.key: s.level for s in get_ladder()}

        def level(key: str | None) -> int | None:
            if key is None:
                return None
            if key not in levels:
                if strict:
                    raise ValidationError(
                        f"There is no step '{key}' on the ladder: run 'smallyes-cli ladder' to "
                        "see the keys."
                    )
                return 10_000  # above every step: nobody
            return levels[key]

        level(self.step)  # strict: refuses a step the ladder does not have
        max_level = level(self.max_step)
        if self.max_step is not None and self.max_step not in levels:
            max_level = -1
        return LeadQuery(
            search=self.search,
            status=self.status,
            step=self.step if self.step is None or self.step in levels or strict else None,
            min_level=level(self.min_step),
            offer=self.offer,
            source=self.source,
            sort=sort,
            descending=descending,
            tags_all=self.tags_all,
            tags_any=self.tags_any,
            tags_none=self.tags_none,
            max_level=max_level,
            last_yes_after=self.yes_after,
            last_yes_before=self.yes_before,
            never_asked=self.never_asked,
            asked_before=self.asked_before,
            engaged_since=(
                (now or utc_now()) - dt.timedelta(days=self.engaged_within)
                if self.engaged_within is not None
                else None
            ),
            fields=self.fields,
            nobody=self.step is not None and self.step not in levels and not strict,
        )

    def problems(self) -> list[str]:
        """The parts that name something the book no longer has, in words."""
        found: list[str] = []
        keys = {s.key for s in get_ladder()}
        for what, key in (("step", self.step), ("step", self.min_step), ("step", self.max_step)):
            if key is not None and key not in keys:
                found.append(f"the {what} '{key}' is no longer on the ladder")
        tags = {t.casefold() for t in _names("SELECT name FROM tag")}
        for tag in (*self.tags_all, *self.tags_any, *self.tags_none):
            if tag.casefold() not in tags:
                found.append(f"no lead has the tag '{tag}' any more")
        if self.offer and self.offer.casefold() not in {
            o.casefold() for o in _names("SELECT name FROM offer")
        }:
            found.append(f"there is no offer '{self.offer}' any more")
        if self.fields:
            known = {name.casefold() for name in custom_field_names()}
            for f in self.fields:
                if f.name.casefold() not in known:
                    found.append(f"no lead has the field '{f.name}'")
        return found

    def describe(self) -> str:
        """The filter in one line of words ("status subscribed · tag vip · step ≥ Downloaded")."""
        parts: list[str] = []
        if self.search:
            parts.append(f"search '{self.search}'")
        if self.status:
            parts.append(f"status {self.status}")
        parts += [f"tag {t}" for t in self.tags_all]
        if self.tags_any:
            parts.append("any tag of " + ", ".join(self.tags_any))
        parts += [f"no tag {t}" for t in self.tags_none]
        if self.step:
            parts.append(f"step {self.step}")
        if self.min_step:
            parts.append(f"step at least {self.min_step}")
        if self.max_step:
            parts.append(f"step at most {self.max_step}")
        if self.offer:
            parts.append(f"took {self.offer}")
        if self.yes_after:
            parts.append(f"last yes after {_day(self.yes_after)}")
        if self.yes_before:
            parts.append(f"last yes before {_day(self.yes_before)}")
        if self.never_asked:
            parts.append("never asked")
        if self.asked_before:
            parts.append(f"not asked since {_day(self.asked_before)}")
        if self.engaged_within is not None:
            parts.append(f"engaged in the last {self.engaged_within} days")
        if self.source:
            parts.append(f"source {self.source}")
        parts += [f.words() for f in self.fields]
        return " · ".join(parts) or "every lead"

    def to_json(self) -> dict[str, Any]:
        """The parts that are set, as a segment stores them."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value in (None, "", (), False):
                continue
            if isinstance(value, dt.datetime):
                value = iso(value)
            elif f.name == "fields":
                value = [x.to_json() for x in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LeadFilter:
        """A stored filter; a part this version does not know is left out."""
        names = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in names:
                continue
            if name in ("yes_after", "yes_before", "asked_before"):
                value = parse_user_datetime(value) if value else None
            elif name == "fields":
                value = tuple(FieldFilter(**x) for x in value)
            elif name in ("tags_all", "tags_any", "tags_none"):
                value = tuple(str(v) for v in value)
            values[name] = value
        return cls(**values)


def _day(at: dt.datetime) -> str:
    """The owner's own calendar day of a stored time (a typed date is local midnight)."""
    return local(at).date().isoformat()


def _names(sql: str) -> list[str]:
    return [str(r[0]) for r in database_proxy.execute_sql(sql).fetchall()]


def parse_field(spec: str) -> FieldFilter:
    """A custom-field condition as typed: ``plan=pro`` (equals), ``plan~pro`` (contains),
    ``zip=`` (empty), ``score>10``, ``score<3``."""
    match = _FIELD_SPEC.match(spec.strip())
    if match is None:
        raise ValidationError(
            f"'{spec}' is not a field condition: write NAME=VALUE, NAME~TEXT, NAME= (empty), "
            "NAME>NUMBER or NAME<NUMBER."
        )
    name, op, value = match["name"].strip(), match["op"], match["value"].strip()
    if op == "=":
        return FieldFilter(name, "empty" if value == "" else "equals", value)
    if op == "~":
        return FieldFilter(name, "contains", value)
    if op in "<>":
        try:
            float(value)
        except ValueError:
            raise ValidationError(
                f"'{value}' is not a number: a field compared with < or > needs one, like "
                f"{name}>10."
            ) from None
        return FieldFilter(name, "above" if op == ">" else "below", value)
    raise ValidationError(f"'{spec}': write NAME=VALUE to match a field exactly.")


def check_filter(flt: LeadFilter) -> LeadFilter:
    """A filter as typed, checked: a known status, days in range, steps on the ladder."""
    if flt.status:
        parse_status(flt.status)
    if flt.engaged_within is not None and not 0 <= flt.engaged_within <= _MAX_DAYS:
        raise ValidationError("Engaged within takes a number of days from 0 to 36500.")
    flt.query(strict=True)
    return flt


def as_json_text(flt: LeadFilter) -> str:
    return json.dumps(flt.to_json(), ensure_ascii=False, sort_keys=True)
