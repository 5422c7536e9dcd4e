"""The column plan: a file's mapping compiled once for the row loop.

A plan holds everything besides the record itself that decides what a record becomes:
which cell feeds which field, the day/month order of each date column, the status words,
the batch tag and the import's time. ``fingerprint_salt`` hashes the same things, so a
record seen before under the same plan is known to come out the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from crm.book.leads import LeadStatus
from crm.importing.mapping import DATE_TARGETS, ColumnMap, Mapping, Target, consent_parse
from crm.importing.platforms import STATUS_MAPS, Detection

FINGERPRINT_VERSION = 10  # bumped whenever the same record would be normalised differently
MAX_CACHED = 20_000  # distinct tag cells (and custom field names) remembered per import
# Phone columns kept as custom fields that give the phone when no phone column has one
# (address books have several), best first: mobile, then primary, home, business, as a
# person is most likely reached; never an assistant's or a switchboard's.
PHONE_FALLBACKS = (
    "primary phone",
    "home phone",
    "business phone",
    "work phone",
    "home phone 2",
    "business phone 2",
    "other phone",
    "car phone",
    "whatsapp",  # Brevo: after its SMS number
    "landline_number",
)
# A generic file says nothing of consent unless it has a status column: the owner is asked.
OPTED_IN_RAW = "opted in, as the owner said at import"


def asks_consent(platform: str, mapping: Mapping) -> bool:
    """A generic file with no column mapped to the status: nothing in it says whether
    the people opted in. Address books (Google, Outlook) are contacts by nature."""
    return platform == "generic" and not any(c.target is Target.STATUS for c in mapping)


def _status_parse(column: ColumnMap) -> str:
    """How a status column's words are read. A generic or hand-mapped one named for
    consent ("Newsletter", "Opt-in") reads no as an unsubscribe, not as a contact."""
    if column.parse in ("", "any"):
        return consent_parse(column.header) or column.parse
    return column.parse


def _vocabulary(parse: str) -> dict[str, LeadStatus | None]:
    """A status column's words. A platform's own words come first; any other word a
    status column may hold (``unsubscribed`` in a file detected as Kit, whose layout is
    a guess) is still read, never ignored into the file's default of subscribed."""
    if not parse or parse.startswith(("bool", "brevo", "receiving", "consent")) or parse == "any":
        return STATUS_MAPS.get(parse or "any", STATUS_MAPS["any"])
    return {**STATUS_MAPS["any"], **STATUS_MAPS.get(parse, {})}


class Plan:
    """A mapping compiled for the row loop."""

    def __init__(
        self,
        det: Detection,
        mapping: Mapping,
        orders: dict[int, str],
        opted_in: bool = False,
        *,
        now_text: str,
        batch_tag: str = "",
    ) -> None:
        self.detection = det
        self.mapping = mapping
        self.orders = orders
        self.opted_in = opted_in
        self.batch_tag = batch_tag  # added to every record's tags
        self.now_text = now_text  # a date after it is not believed
        # A list repeats a few tag combinations many times: each is parsed once.
        self.parsed_tags: dict[tuple[str, str], tuple[str, ...]] = {}
        self.width = len(mapping)
        # Unnamed columns at the end of the header (a trailing delimiter): rows that stop
        # before them are not short (rule 4 ignores such columns when they stay empty).
        self.named_width = max((c.index + 1 for c in mapping if c.header), default=0)
        self.email = next((c.index for c in mapping if c.target is Target.EMAIL), None)
        self.simple = [
            (c.index, c.target.value)
            for c in mapping
            if c.target
            in (Target.FIRST_NAME, Target.LAST_NAME, Target.COMPANY, Target.PHONE, Target.NOTES)
        ]
        self.full = [c.index for c in mapping if c.target is Target.FULL_NAME]
        self.tags = [(c.index, c.parse) for c in mapping if c.target is Target.TAGS]
        self.status = [
            (c.index, _vocabulary(parse), parse, c.header)
            for c in mapping
            if c.target is Target.STATUS
            for parse in (_status_parse(c),)
        ]
        self.default_status, self.default_raw = det.default_status, det.status_raw
        if opted_in and asks_consent(det.platform, mapping):
            self.default_status, self.default_raw = LeadStatus.SUBSCRIBED, OPTED_IN_RAW
        self.dates: dict[Target, list[tuple[int, str, str]]] = {}
        for c in mapping:
            if c.target in DATE_TARGETS:
                self.dates.setdefault(c.target, []).append(
                    (c.index, orders.get(c.index, c.parse), c.header)
                )
        self.metadata = [c.index for c in mapping if c.parse == "metadata"]
        ranked = {header: rank for rank, header in enumerate(PHONE_FALLBACKS)}
        self.phone_fallbacks = [
            index
            for _, index in sorted(
                (ranked[c.header.lower()], c.index)
                for c in mapping
                if c.target is Target.CUSTOM and c.header.lower() in ranked
            )
        ]
        # Google Contacts puts several values in one cell, joined by ' ::: '.
        self.multi = frozenset(c.index for c in mapping if c.parse == "google")
        self.others = [(c.index, c.field_name) for c in mapping if c.target is Target.OTHER_EMAIL]
        self._plan_custom(mapping)

    def _plan_custom(self, mapping: Mapping) -> None:
        # Raw text kept as custom fields: custom columns, and date/status columns too
        # (their meaning is used, their text is kept). Names are made unique by position.
        keep = [
            c
            for c in mapping
            if c.target in (Target.CUSTOM, Target.STATUS) or c.target in DATE_TARGETS
        ]
        keep = [c for c in keep if c.parse != "metadata"]
        names: dict[str, int] = {}
        self.custom: list[tuple[int, str]] = []
        # The raw text of status and date columns: duplicates merge it by their rules
        # (suppression wins, the earliest sign-up), not first-wins.
        self.status_texts: set[str] = set()
        self.date_texts: set[str] = set()
        for c in keep:
            name = c.field_name
            count = names.get(name, 0)
            names[name] = count + 1
            name = name if not count else f"{name} ({count + 1})"
            self.custom.append((c.index, name))
            if c.target is Target.STATUS:
                self.status_texts.add(name)
            elif c.target in DATE_TARGETS:
                self.date_texts.add(name)
        # The custom cells of a row come out in one C call: a tuple, by plan order.
        self.custom_names = tuple(name for _, name in self.custom)
        indexes = [index for index, _ in self.custom]
        if len(indexes) > 1:
            self.custom_cells: Callable[[list[str]], tuple[str, ...]] = itemgetter(*indexes)
        elif indexes:
            only = indexes[0]
            self.custom_cells = lambda fields: (fields[only],)
        else:
            self.custom_cells = lambda fields: ()


def fingerprint_salt(plan: Plan, on_duplicate: str) -> Any:
    """A hash primed with everything besides the record itself that decides what the
    record becomes: the mapping, the date orders, the policy, the batch tag."""
    det = plan.detection
    salt = repr(
        (
            FINGERPRINT_VERSION,
            det.platform,
            det.variant,
            det.default_status.value,
            det.status_raw,
            det.source,
            tuple((c.index, c.header, c.target.value, c.parse, c.field_name)
                  for c in plan.mapping),
            sorted(plan.orders.items()),
            on_duplicate,
            plan.batch_tag,
            plan.opted_in,
        )
    )  # fmt: skip
    return hashlib.blake2b(salt.encode("utf-8", "surrogatepass"), digest_size=8)
