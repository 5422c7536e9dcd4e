"""Merging a normalised record into a stored lead, and two records of one file together.

Pure rules, no database: a ``StoredLead`` (the row as read, by column name) and what is
attached to it (tags, sign-up times, the last status change) go in with the record; a
``Patch`` comes out, or None when the record changes nothing. The rules:

- suppression wins: an unsubscribe, bounce or complaint is never lifted by a record that
  is not newer than it (``merged_status``);
- the policies: ``skip`` leaves a known lead alone, ``fill`` fills what is blank,
  ``overwrite`` replaces what differs; under any of them a blank never overwrites
  (``takes_value``, ``takes_custom``);
- the earliest sign-up of a person in one file is the one kept (``signup_to_add``,
  ``merge_duplicate``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence, Set
from dataclasses import dataclass
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from crm.book.lead_cache import fold_yes
from crm.book.leads import SUPPRESSED, LeadStatus
from crm.importing.normalise import SEVERITY, Record, short
from crm.importing.plan import MAX_CACHED, Plan

S = LeadStatus
POLICIES = ("skip", "fill", "overwrite")
LEAD_FIELDS = ("first_name", "last_name", "company", "phone", "notes")
_STATUSES = {s.value: s for s in LeadStatus}
# What the timeline says changed, by field.
FIELD_WORDS = {
    "first_name": "first name",
    "last_name": "last name",
    "company": "company",
    "phone": "phone",
    "notes": "notes",
    "status": "status",
    "custom": "custom fields",
    "tags": "tags",
    "timeline": "sign-up date",
    "other_emails": "other addresses",
}


class StoredLead(NamedTuple):
    """A lead's row as an import reads it."""

    email_key: str
    id: int
    email: str
    first_name: str
    last_name: str
    company: str
    phone: str
    notes: str
    status: str
    custom: str  # JSON text
    level: int
    last_commitment_at: Any  # stored time text, or None
    updated_at: Any
    import_fp: int | None


@dataclass(frozen=True, slots=True)
class Attached:
    """What a stored lead holds beside its row, as far as merging needs it."""

    tags: Set[int] = frozenset()  # tag ids
    signups: Set[str] = frozenset()  # times of its subscribe yeses
    status_since: str | None = None  # its last status change, when suppressed


@dataclass(frozen=True, slots=True)
class Rules:
    """How a record merges: the duplicate policy, and whether it is a later duplicate
    (in the same file) of a lead an earlier part of the import already wrote."""

    policy: str
    step_level: int  # the subscribe step's level, for the lead's cached level
    late: bool = False


@dataclass(slots=True)
class Patch:
    """What a record changes on a stored lead."""

    fields: dict[str, str]  # lead columns set (LEAD_FIELDS), to their new text
    custom: str | None  # the custom fields' new JSON text
    status: tuple[LeadStatus, LeadStatus] | None  # the status it changes from, and to
    status_at: str | None  # when it took effect (None: at the import)
    status_raw: str  # the file's own word for it
    signup_at: str | None  # a subscribe yes to add to the timeline
    level: int  # the cached level and last-yes time afterwards
    last_yes: Any
    tags: list[int]  # tag ids to add
    others: bool  # the record's other addresses go to the lead
    changed: list[str]  # what changed (FIELD_WORDS keys), in order
    fp: int | None  # the record's fingerprint, if the lead now reflects the record


def is_blank(text: str) -> bool:
    return not text or text.isspace()


def takes_value(have: str, text: str, policy: str) -> bool:
    """Whether an incoming name, company, phone or note replaces the lead's."""
    if policy == "skip" or is_blank(text) or have == text:
        return False
    return not have or policy == "overwrite"


def takes_custom(have: object, text: str, policy: str) -> bool:
    """Whether an incoming custom field replaces the lead's (absent, or only spaces, is
    blank; a value of another type, from a hand edit, is not). An empty text is no cell
    of the file but the 'status_raw' of a duplicate whose stronger status the file gave
    no word for (``merge_duplicate``): under overwrite it replaces the lead's word."""
    if policy == "skip" or text.isspace():
        return False
    if have is None or (isinstance(have, str) and not have.strip()):
        return True
    return policy == "overwrite" and have != text


def merged_status(
    have: LeadStatus, record: Record, rules: Rules, status_since: str | None
) -> LeadStatus:
    """Suppression wins; a subscribe only lifts it when it is newer than the suppression."""
    incoming = record.status
    if incoming in SUPPRESSED:
        if SEVERITY[incoming] > SEVERITY[have] or have not in SUPPRESSED:
            return incoming
        return have
    if rules.policy == "skip" or incoming is S.NONE:
        return have
    if have in SUPPRESSED:
        # A later duplicate merges as one in the same chunk would: it never lifts what
        # the first occurrence left, wherever the chunks happen to end.
        since = None if rules.late else status_since
        if record.consent_at and since and record.consent_at > since:
            return incoming
        return have
    return incoming if SEVERITY[incoming] > SEVERITY[have] else have


def first_signup(record: Record) -> str | None:
    """The subscribe yes a record gives: its consent time, unless it is pending or none."""
    status = record.status
    if record.consent_at and status is not S.PENDING and status is not S.NONE:
        return record.consent_at
    return None


def signup_to_add(record: Record, signups: Set[str], rules: Rules) -> str | None:
    """A subscribe yes the lead does not have yet. A later duplicate adds one only when
    it is earlier than every one the lead has: the earliest sign-up is the one kept."""
    at = first_signup(record) if rules.policy != "skip" else None
    if at is None or at in signups:
        return None
    if rules.late and any(have <= at for have in signups):
        return None
    return at


def new_tags(tag_ids: Sequence[int], have: Set[int]) -> list[int]:
    added: list[int] = []
    for tag_id in tag_ids:
        if tag_id not in have and tag_id not in added:
            added.append(tag_id)
    return added


def merge(
    record: Record, lead: StoredLead, attached: Attached, tag_ids: Sequence[int], rules: Rules
) -> Patch | None:
    """What ``record`` changes on ``lead`` (``tag_ids``: the record's tags as ids), or None."""
    policy = rules.policy
    fields: dict[str, str] = {}
    if policy != "skip":
        for name, text in record.values.items():
            have = getattr(lead, name)
            if have != text and takes_value(have, text, policy):
                fields[name] = text
    changed = list(fields)
    custom = _merged_custom(record, lead.custom, policy)
    if custom is not None:
        changed.append("custom")
    old = _STATUSES.get(lead.status) or S(lead.status)
    new = merged_status(old, record, rules, attached.status_since)
    if new is not old:
        changed.append("status")
    level, last_yes = lead.level, lead.last_commitment_at
    signup = signup_to_add(record, attached.signups, rules)
    if signup is not None:
        changed.append("timeline")
        last = None if last_yes is None else str(last_yes)
        level, last_yes = fold_yes(level, last, rules.step_level, signup)
    tags = new_tags(tag_ids, attached.tags) if policy != "skip" else []
    if tags:
        changed.append("tags")
    others = policy != "skip" and bool(record.others)
    if others:
        changed.append("other_emails")
    if not changed:
        return None
    return Patch(
        fields,
        custom,
        (old, new) if new is not old else None,
        record.status_at if new in SUPPRESSED else record.consent_at,
        record.status_raw,
        signup,
        level,
        last_yes,
        tags,
        others,
        changed,
        # the lead now reflects this record, unless merged from a later duplicate or
        # kept at a status the record does not have
        None if rules.late or new is not record.status else record.fp,
    )


def _merged_custom(record: Record, have_text: str, policy: str) -> str | None:
    """The lead's custom fields' new JSON text, or None when they stay as they are."""
    if policy == "skip" or not (record.custom or record.moved):
        return None
    incoming_text = custom_json(record.custom) if record.custom else have_text
    if not record.moved and incoming_text == have_text:
        return None
    have = parse_custom(have_text)
    merged = dict(have)
    for name, text in record.custom.items():
        have_value = merged.get(name)
        if have_value != text and takes_custom(have_value, text, policy):
            merged[name] = text
    # cells an earlier import kept as text that are now other addresses
    for name, text in (record.moved or {}).items():
        if merged.get(name) == text:
            del merged[name]
    return _to_json(merged) if merged != have else None


def applied(lead: StoredLead, patch: Patch, now_text: str) -> StoredLead:
    """The lead's row once the patch is stored."""
    fields: dict[str, Any] = patch.fields
    return lead._replace(
        **fields,
        status=lead.status if patch.status is None else patch.status[1].value,
        custom=lead.custom if patch.custom is None else patch.custom,
        level=patch.level,
        last_commitment_at=patch.last_yes,
        updated_at=now_text,
        import_fp=patch.fp,
    )


def is_placeholder(lead: StoredLead) -> bool:
    """A forgotten person's placeholder address: never revived, never changed."""
    return lead.status == "erased"


def merge_duplicate(plan: Plan, first: Record, dup: Record) -> list[str]:
    """Fold a later row of the same person into the first one; the warnings it raises.
    The first row's values win, but a blank is filled, the stronger status (suppression
    first) and the earliest sign-up are kept, and tags and other addresses add up."""
    warnings: list[str] = []
    for name, text in dup.values.items():
        have = first.values.get(name)
        if not have:
            first.values[name] = text
        elif have != text:
            warnings.append(
                f"{FIELD_WORDS[name]} '{short(text)}' differs from row {first.row}'s "
                f"'{short(have)}'; kept row {first.row}'s"
            )
    dup_wins = SEVERITY[dup.status] > SEVERITY[first.status] and (
        dup.status in SUPPRESSED or first.status not in SUPPRESSED
    )
    by_rule = plan.date_texts | plan.status_texts
    for name, text in dup.custom.items():
        have = first.custom.get(name)
        if have is None or have.isspace() or (dup_wins and name in plan.status_texts):
            first.custom[name] = text
        elif have != text and name != "status_raw" and name not in by_rule and not text.isspace():
            warnings.append(
                f"'{name}' '{short(text)}' differs from row {first.row}'s "
                f"'{short(have)}'; kept row {first.row}'s"
            )
    for tag in dup.tags:
        if tag not in first.tags:
            first.tags.append(tag)
    if dup.others:  # claimed for this lead already (see crm.importing.others): all new to it
        known = {item[1] for item in first.others or ()}
        first.others = (first.others or []) + [o for o in dup.others if o[1] not in known]
    if dup.moved:
        first.moved = {**dup.moved, **(first.moved or {})}
    if dup_wins:
        first.status, first.status_at = dup.status, dup.status_at
        first.status_raw = dup.status_raw
        first.custom["status_raw"] = dup.status_raw
    if first.consent_at is None or (dup.consent_at and dup.consent_at < first.consent_at):
        first.consent_at = dup.consent_at or first.consent_at
    return warnings


# -- custom fields as stored: JSON text

# Compact: no space after ',' and ':'. A lead's custom fields repeat their names in every
# row, so the spaces alone were megabytes of a big book; every reader parses the JSON
# (json.loads, SQLite's json_extract and json_each), so the values read are the same.
COMPACT = (",", ":")
_to_json = json.JSONEncoder(ensure_ascii=False, separators=COMPACT).encode
_json_keys: dict[str, str] = {}


def custom_json(values: dict[str, str]) -> str:
    """``json.dumps(values, ensure_ascii=False, separators=COMPACT)`` for a dict of
    strings, byte for byte, without the encoder's set-up."""
    if not values:
        return "{}"
    keys = _json_keys
    parts = [
        (keys.get(name) or json_key(name)) + encode_basestring(text)
        for name, text in values.items()
    ]
    return "{" + ",".join(parts) + "}"


def json_key(name: str) -> str:
    """A custom field's name as ``custom_json`` writes it before the value."""
    if len(_json_keys) >= MAX_CACHED:  # column names from many files: stay small
        _json_keys.clear()
    key = _json_keys[name] = encode_basestring(name) + ":"
    return key


def parse_custom(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
