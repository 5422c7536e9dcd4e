"""The commitment ladder: the steps a lead climbs, from a click to a purchase.

Each step has a key (stable, used by the CLI and imports), a label and a level (its
order), a flag for the major steps (a call, a sale) and an ask template with
placeholders (``{first_name}``, ``{offer}``, ``{offer_link}`` and the leads' custom fields:
``crm.asking.templates``). The owner may rename, reorder and reword
steps, add steps at any level and remove them; a removed step that yeses or asks use is
merged into another one (they move to it). Keys never change.

Every change to the ladder goes through :func:`save_ladder`, one transaction: the levels
are renumbered 1, 2, ... in the new order and every lead's cached level recomputed with
them. Everything else that depends on a step (acceptance rates, the offers used at a
step, the funnel, Today's suggestions) is worked out from the yeses and asks each time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from peewee import SqliteDatabase

from crm.asking.templates import FIXED_FIELDS, custom_field_names, unknown_placeholders
from crm.book import lead_cache
from crm.changes import note
from crm.errors import ValidationError
from crm.store.models import Step, database_proxy

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StepRow:
    id: int
    key: str
    label: str
    level: int
    major: bool
    description: str
    ask_subject: str
    ask_body: str


def _row(step: Step) -> StepRow:
    return StepRow(
        id=step.id,
        key=step.key,
        label=step.label,
        level=step.level,
        major=bool(step.major),
        description=step.description,
        ask_subject=step.ask_subject,
        ask_body=step.ask_body,
    )


def get_ladder() -> list[StepRow]:
    """Every step, lowest level first."""
    return [_row(s) for s in Step.select().order_by(Step.level, Step.id)]


def step_keys() -> list[str]:
    return [s.key for s in get_ladder()]


def step_by_key(key: str) -> StepRow:
    """The step with this key; an unknown key is refused with the list of valid ones."""
    step = Step.get_or_none(Step.key == key.strip().lower())
    if step is None:
        raise ValidationError(
            f"'{key}' is not a step of the ladder: use one of {', '.join(step_keys())}."
        )
    return _row(step)


def _require_step(key: str) -> Step:
    step = Step.get_or_none(Step.key == key.strip().lower())
    if step is None:
        raise ValidationError(
            f"'{key}' is not a step of the ladder: use one of {', '.join(step_keys())}."
        )
    return step


# ---- checks shared by every way of changing the ladder ---------------------------------

KEY_MAX = 32
_KEY = re.compile(r"[a-z][a-z0-9_]*")
# ``step add KEY`` and ``step remove KEY`` read these words as the action, not as a step.
RESERVED_KEYS = frozenset({"add", "remove"})
# The importer records every newsletter sign-up as a yes at this step, and the suggestion
# engine invites leads to it: it can be renamed and moved, not removed.
SUBSCRIBE_KEY = "subscribed"


def clean_label(label: str) -> str:
    """A step's name with its spaces tidied; a blank or too long one is refused."""
    cleaned = " ".join(label.split())
    if not cleaned:
        raise ValidationError("A step needs a name: type what the lead did, like 'Booked a call'.")
    if len(cleaned) > 60:
        raise ValidationError("A step name can be at most 60 characters: shorten it.")
    return cleaned


def check_template(subject: str, body: str) -> tuple[str, str]:
    """The ask's subject and message, trimmed; only known placeholders are accepted."""
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise ValidationError("The ask needs a subject line: write a short one.")
    if len(subject) > 200:
        raise ValidationError("The ask's subject is too long: keep it under 200 characters.")
    if len(body) > 5000:
        raise ValidationError("The ask's message is too long: keep it under 5,000 characters.")
    unknown = unknown_placeholders(subject, body)
    if unknown:
        custom = custom_field_names()
        fields = ", ".join("{" + name + "}" for name in (*FIXED_FIELDS, *custom[:8]))
        more = " and your leads' other custom fields" if len(custom) > 8 else ""
        raise ValidationError(
            f"The ask uses an unknown placeholder, {{{unknown[0]}}}: use {fields}{more} "
            "(double the braces for a literal one)."
        )
    return subject, body


def check_new_key(key: str, taken: Sequence[str]) -> str:
    """The key of a step to add, lower-cased; a malformed, reserved or taken one is refused."""
    cleaned = key.strip().lower()
    if not _KEY.fullmatch(cleaned) or len(cleaned) > KEY_MAX:
        raise ValidationError(
            f"'{key}' cannot be a step key: use lowercase letters, digits and underscores, "
            f"starting with a letter and at most {KEY_MAX} long, like attended_webinar."
        )
    if cleaned in RESERVED_KEYS:
        raise ValidationError(
            f"'{cleaned}' cannot be a step key, as 'step {cleaned}' is a command: pick "
            "another word."
        )
    if cleaned in taken:
        raise ValidationError(
            f"The ladder already has a step '{cleaned}': pick another key, or change that step."
        )
    return cleaned


def key_from_label(label: str, taken: Sequence[str]) -> str:
    """A free key for a new step named ``label``: "Attended webinar" -> attended_webinar."""
    words = re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")
    words = re.sub(r"^[0-9_]+", "", words)[:KEY_MAX].rstrip("_") or "step"
    if words in RESERVED_KEYS:
        words = f"{words}_step"
    key, n = words, 2
    while key in taken:
        suffix = f"_{n}"
        key, n = words[: KEY_MAX - len(suffix)] + suffix, n + 1
    return key


def default_template(label: str) -> tuple[str, str]:
    """The ask template a new step starts with, for the owner to reword."""
    literal = label.replace("{", "{{").replace("}", "}}")
    return literal, "Hi {first_name},"


@dataclass(frozen=True, slots=True)
class StepUse:
    """What refers to a step: yeses, asks, and rows of any other table."""

    yeses: int = 0
    asks: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.yeses + self.asks + self.other

    def __add__(self, more: StepUse) -> StepUse:
        return StepUse(self.yeses + more.yeses, self.asks + more.asks, self.other + more.other)

    def words(self) -> str:
        """ "3 yeses and 1 ask", naming only what there is."""
        parts = []
        if self.yeses:
            parts.append(f"{self.yeses:,} {'yes' if self.yeses == 1 else 'yeses'}")
        if self.asks:
            parts.append(f"{self.asks:,} {'ask' if self.asks == 1 else 'asks'}")
        if self.other:
            parts.append(f"{self.other:,} other {'record' if self.other == 1 else 'records'}")
        if not parts:
            return "nothing"
        return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def _step_references() -> list[tuple[str, str]]:
    """Every (table, column) that refers to a step: a table added later moves with a merge
    too, instead of failing the removal with a foreign key error."""
    rows = database_proxy.execute_sql(
        'SELECT m.name, f."from" FROM sqlite_master m, pragma_foreign_key_list(m.name) f '
        "WHERE m.type = 'table' AND f.\"table\" = 'step' ORDER BY m.name"
    ).fetchall()
    return [(table, column) for table, column in rows]


def step_uses() -> dict[str, StepUse]:
    """For every step key, how many yeses, asks and other rows refer to it."""
    key_of = dict(database_proxy.execute_sql("SELECT id, key FROM step").fetchall())
    counts: dict[str, dict[str, int]] = {key: {} for key in key_of.values()}
    for table, column in _step_references():
        for step_id, n in database_proxy.execute_sql(
            f'SELECT "{column}", count(*) FROM "{table}" GROUP BY "{column}"'
        ).fetchall():
            if step_id in key_of:
                bucket = counts[key_of[step_id]]
                bucket[table] = bucket.get(table, 0) + n
    return {
        key: StepUse(
            c.get("commitment", 0),
            c.get("ask", 0),
            sum(n for t, n in c.items() if t not in ("commitment", "ask")),
        )
        for key, c in counts.items()
    }


def check_removable(key: str, steps_left: int) -> None:
    """Refuse removing the sign-up step or the only step left."""
    if steps_left <= 1:
        raise ValidationError(
            "The ladder needs at least one step: add another before removing this one."
        )
    if key == SUBSCRIBE_KEY:
        raise ValidationError(
            "The 'subscribed' step cannot be removed, as imports record every newsletter "
            "sign-up there: rename it instead."
        )


# ---- changing the ladder --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepEdit:
    """What the owner wants one step to be: its label, major flag and ask template. A key
    that is not on the ladder yet adds that step."""

    key: str
    label: str
    major: bool
    ask_subject: str
    ask_body: str


@dataclass(frozen=True, slots=True)
class StepRemoval:
    """A step to remove; with ``into``, its yeses and asks move to that step first."""

    key: str
    into: str | None = None


@dataclass(frozen=True, slots=True)
class LadderChange:
    """What a save did: whether anything changed, what each merge moved, the safety copy."""

    changed: bool
    moved: dict[str, StepUse]
    backup: Path | None


def _plan_removals(
    removals: Sequence[StepRemoval], keys: list[str], uses: dict[str, StepUse]
) -> tuple[list[StepRemoval], dict[str, StepUse]]:
    """The removals, checked in order against the ladder as it will be; and what each moves."""
    present = list(keys)
    pending = dict(uses)
    planned, moved = [], {}
    for removal in removals:
        key = removal.key.strip().lower()
        if key not in present:
            raise ValidationError(
                f"'{removal.key}' is not a step of the ladder: use one of {', '.join(present)}."
            )
        check_removable(key, len(present))
        use = pending.pop(key, StepUse())
        into = removal.into.strip().lower() if removal.into is not None else None
        if into is None:
            if use.total:
                raise ValidationError(
                    f"'{key}' cannot be removed while {use.words()} use it: merge it into "
                    "another step, which moves them there."
                )
        else:
            if into == key:
                raise ValidationError(
                    f"'{key}' cannot be merged into itself: pick another step to move its "
                    "yeses and asks to."
                )
            if into not in present:
                raise ValidationError(
                    f"'{removal.into}' is not a step of the ladder: merge into one of "
                    f"{', '.join(k for k in present if k != key)}."
                )
            pending[into] = pending.get(into, StepUse()) + use
            moved[key] = use
        present.remove(key)
        planned.append(StepRemoval(key, into))
    return planned, moved


def _backup_before_merge() -> Path | None:
    """A safety copy of the database file before a merge rewrites which step yeses are at."""
    from crm.safety.backup import backup_before
    from crm.store.paths import database_path

    db = database_proxy.obj
    if not isinstance(db, SqliteDatabase) or db.database in ("", ":memory:"):
        return None
    return backup_before(db, database_path(db), reason="before-step-merge")


def apply_ladder(
    edits: Sequence[StepEdit],
    order: Sequence[str],
    removals: Sequence[StepRemoval] = (),
) -> LadderChange:
    """Add, edit, remove and reorder steps in one transaction: a refused value (a blank
    name, an unknown placeholder, a used step removed without a merge) stores none of the
    changes. New steps are added first and removals run in the order given, so a step can
    be merged into one added in the same save. A merge that moves anything is preceded by
    a safety copy of the database in ``backups/``."""
    current = get_ladder()
    by_key = {s.key: s for s in current}
    keys = [s.key for s in current]
    # --- check everything before writing anything (and before the safety copy)
    added: list[StepEdit] = []
    changes: list[tuple[StepRow, str, bool, str, str]] = []
    removing = {r.key.strip().lower() for r in removals}
    for edit in edits:
        key = edit.key.strip().lower()
        step = by_key.get(key)
        if step is not None and key in removing:
            continue  # what a step about to go would have been does not matter
        wanted_step = (edit.label, edit.major, edit.ask_subject, edit.ask_body)
        if step is not None and wanted_step == (
            step.label,
            step.major,
            step.ask_subject,
            step.ask_body,
        ):
            continue  # untouched: stored values are not checked again
        label = clean_label(edit.label)
        subject, body = check_template(edit.ask_subject, edit.ask_body)
        if step is None:
            key = check_new_key(edit.key, [*keys, *(a.key for a in added)])
            added.append(StepEdit(key, label, edit.major, subject, body))
        elif (label, edit.major, subject, body) != (
            step.label,
            step.major,
            step.ask_subject,
            step.ask_body,
        ):
            changes.append((step, label, edit.major, subject, body))
    after_adds = [*keys, *(a.key for a in added)]
    uses = step_uses() if removals else {}
    planned, moved = _plan_removals(removals, after_adds, uses)
    gone = {r.key for r in planned}
    wanted = [k.strip().lower() for k in order]
    final = [k for k in after_adds if k not in gone]
    if sorted(wanted) != sorted(final):
        raise ValidationError(
            f"List every step exactly once to order the ladder: {', '.join(final)}."
        )
    restructured = bool(added or planned) or wanted != keys
    if not (changes or restructured):
        return LadderChange(False, {}, None)
    note(tables=["step", "commitment", "ask"], leads=None, settings=["ladder"])

    backup = _backup_before_merge() if any(u.total for u in moved.values()) else None

    with database_proxy.atomic():
        for step, label, major, subject, body in changes:
            Step.update(label=label, major=major, ask_subject=subject, ask_body=body).where(
                Step.id == step.id
            ).execute()
        top = max((s.level for s in current), default=0)
        for n, new in enumerate(added, start=1):
            # a level past the top for now: the renumbering below puts it in its place
            Step.insert(
                key=new.key,
                label=new.label,
                level=top + n,
                major=new.major,
                ask_subject=new.ask_subject,
                ask_body=new.ask_body,
            ).execute()
        references = _step_references() if planned else []
        for removal in planned:
            step_id = Step.get(Step.key == removal.key).id
            if removal.into is not None:
                into_id = Step.get(Step.key == removal.into).id
                for table, column in references:
                    database_proxy.execute_sql(
                        f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" = ?',
                        [into_id, step_id],
                    )
            Step.delete().where(Step.id == step_id).execute()
        if restructured:
            for level, key in enumerate(wanted, start=1):
                Step.update(level=level).where(Step.key == key).execute()
            lead_cache.recompute()
    for removal in planned:
        log.info("removed step %s%s", removal.key, f" into {removal.into}" if removal.into else "")
    return LadderChange(True, moved, backup)


def save_ladder(
    edits: Sequence[StepEdit], order: Sequence[str], removals: Sequence[StepRemoval] = ()
) -> bool:
    """:func:`apply_ladder`; True when anything changed."""
    return apply_ladder(edits, order, removals).changed


def add_step(
    key: str,
    label: str,
    level: int,
    *,
    major: bool = False,
    subject: str | None = None,
    body: str | None = None,
) -> StepRow:
    """Add a step at ``level`` (1 to one past the top): the steps at and above it move up
    one, and leads' levels with them. Without a template it starts with a plain one."""
    note(tables=["step", "commitment", "ask"], leads=None, settings=["ladder"])
    keys = step_keys()
    cleaned = check_new_key(key, keys)
    if not 1 <= level <= len(keys) + 1:
        raise ValidationError(
            f"Level {level} is outside the ladder: give a level from 1 to {len(keys) + 1} "
            f"({len(keys) + 1} puts the step at the top)."
        )
    name = clean_label(label)
    default_subject, default_body = default_template(name)
    edit = StepEdit(
        cleaned,
        name,
        major,
        subject if subject is not None else default_subject,
        body if body is not None else default_body,
    )
    order = list(keys)
    order.insert(level - 1, cleaned)
    apply_ladder([edit], order)
    return step_by_key(cleaned)


def remove_step(key: str, into: str | None = None) -> LadderChange:
    """Remove a step; with ``into``, first move its yeses and asks to that step (a merge,
    after a safety copy). Levels above close up; leads' levels are recomputed."""
    note(tables=["step", "commitment", "ask"], leads=None, settings=["ladder"])
    step = _require_step(key)
    order = [k for k in step_keys() if k != step.key]
    return apply_ladder([], order, [StepRemoval(step.key, into)])


def rename_step(key: str, label: str) -> StepRow:
    """Give a step a new label; its key (used by imports and the CLI) stays."""
    note(tables=["step"], settings=["ladder"])
    cleaned = clean_label(label)
    step = _require_step(key)
    Step.update(label=cleaned).where(Step.id == step.id).execute()
    return step_by_key(key)


def set_major(key: str, major: bool) -> StepRow:
    """Mark a step as a big ask (a call, a sale): suggested only from the step just below."""
    note(tables=["step"], settings=["ladder"])
    step = _require_step(key)
    Step.update(major=major).where(Step.id == step.id).execute()
    return step_by_key(key)


def set_template(key: str, subject: str, body: str) -> StepRow:
    """The ask template: its placeholders (``crm.asking.templates``) are filled in for each
    lead."""
    note(tables=["step"], settings=["ladder"])
    subject, body = check_template(subject, body)
    step = _require_step(key)
    Step.update(ask_subject=subject, ask_body=body).where(Step.id == step.id).execute()
    return step_by_key(key)


def reorder_steps(keys: list[str]) -> list[StepRow]:
    """Put the steps in this order (levels 1, 2, ...) and recompute every lead's level."""
    note(tables=["step", "commitment", "ask"], leads=None, settings=["ladder"])
    current = step_keys()
    if sorted(k.strip().lower() for k in keys) != sorted(current):
        raise ValidationError(
            f"List every step exactly once to reorder the ladder: {', '.join(current)}."
        )
    apply_ladder([], keys)
    return get_ladder()
