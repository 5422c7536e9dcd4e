"""The commitment ladder: the steps a lead climbs, from a click to a purchase.

Each step has a key (stable, used by the CLI and imports), a label and a level (its
order), a flag for the major steps (a call, a sale) and an ask template with
``{first_name}`` and ``{offer}`` placeholders. The owner may rename, reorder and reword
steps; keys never change.
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import SqliteDatabase

from crm.errors import ValidationError
from crm.models import Step


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


# key, label, level, major, description, ask subject, ask body
DEFAULT_STEPS: tuple[tuple[str, str, int, bool, str, str, str], ...] = (
    (
        "clicked",
        "Clicked",
        1,
        False,
        "Clicked a link or visited a page",
        "Something you might like",
        "Hi {first_name},\n\nI put together something short that might help. Want a look?",
    ),
    (
        "subscribed",
        "Subscribed",
        2,
        False,
        "Joined the newsletter",
        "Would you like the newsletter?",
        "Hi {first_name},\n\nI write a short letter every week with one practical idea. "
        "Would you like to get it? Just reply yes and I'll add you.",
    ),
    (
        "downloaded",
        "Downloaded",
        3,
        False,
        "Downloaded a free guide or content upgrade",
        "A free guide for you: {offer}",
        "Hi {first_name},\n\nI made a short, free guide, {offer}. "
        "Would it be useful to you? Here it is, no strings attached.",
    ),
    (
        "answered",
        "Answered",
        4,
        False,
        "Answered a quiz, survey or preference question",
        "One quick question",
        "Hi {first_name},\n\nOne quick question so I only send you what helps: "
        "what's your biggest challenge right now? One line is plenty.",
    ),
    (
        "replied",
        "Replied",
        5,
        False,
        "Replied, or asked for help",
        "How is it going?",
        "Hi {first_name},\n\nDid you get a chance to try one idea from {offer}? "
        "Hit reply and tell me how it went; I read every answer.",
    ),
    (
        "booked",
        "Booked a call",
        6,
        True,
        "Booked a call, demo or trial",
        "A free 20-minute call?",
        "Hi {first_name},\n\nIf it would help, I have a few free 20-minute slots this week "
        "to look at your situation together. Would you like one?",
    ),
    (
        "purchased",
        "Purchased",
        7,
        True,
        "Bought a product or service",
        "Ready for the next step?",
        "Hi {first_name},\n\nFrom what you've told me, my program could be a good fit. "
        "Would you like the details? No pressure either way.",
    ),
)


def seed_default_ladder(db: SqliteDatabase) -> None:
    """Insert the default steps into a new database."""
    db.execute_sql("DELETE FROM step")
    for key, label, level, major, description, subject, body in DEFAULT_STEPS:
        db.execute_sql(
            "INSERT INTO step (key, label, level, major, description, ask_subject, ask_body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, label, level, int(major), description, subject, body),
        )


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


def step_for_level(level: int) -> StepRow | None:
    """The step at ``level`` (the lowest-id one if two share a level), or None for 0."""
    step = Step.select().where(Step.level == level).order_by(Step.id).first()
    return _row(step) if step else None


def _require_step(key: str) -> Step:
    step = Step.get_or_none(Step.key == key.strip().lower())
    if step is None:
        raise ValidationError(
            f"'{key}' is not a step of the ladder: use one of {', '.join(step_keys())}."
        )
    return step


def rename_step(key: str, label: str) -> StepRow:
    """Give a step a new label; its key (used by imports and the CLI) stays."""
    cleaned = " ".join(label.split())
    if not cleaned:
        raise ValidationError("A step needs a name: type what the lead did, like 'Booked a call'.")
    if len(cleaned) > 60:
        raise ValidationError("A step name can be at most 60 characters: shorten it.")
    step = _require_step(key)
    Step.update(label=cleaned).where(Step.id == step.id).execute()
    return step_by_key(key)


def set_major(key: str, major: bool) -> StepRow:
    """Mark a step as a big ask (a call, a sale): suggested only from the step just below."""
    step = _require_step(key)
    Step.update(major=major).where(Step.id == step.id).execute()
    return step_by_key(key)


def set_template(key: str, subject: str, body: str) -> StepRow:
    """The ask template: ``{first_name}`` and ``{offer}`` are filled in for each lead."""
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise ValidationError("The ask needs a subject line: write a short one.")
    if len(subject) > 200:
        raise ValidationError("The ask's subject is too long: keep it under 200 characters.")
    if len(body) > 5000:
        raise ValidationError("The ask's message is too long: keep it under 5,000 characters.")
    for text in (subject, body):
        try:
            text.format(first_name="", offer="")
        except (KeyError, IndexError, ValueError):
            raise ValidationError(
                "The ask uses an unknown placeholder: only {first_name} and {offer} are filled "
                "in (double the braces for a literal one)."
            ) from None
    step = _require_step(key)
    Step.update(ask_subject=subject, ask_body=body).where(Step.id == step.id).execute()
    return step_by_key(key)


@dataclass(frozen=True, slots=True)
class StepEdit:
    """What the owner wants one step to be: its label, major flag and ask template."""

    key: str
    label: str
    major: bool
    ask_subject: str
    ask_body: str


def save_ladder(edits: list[StepEdit], order: list[str]) -> bool:
    """Apply every edited step and the order in one transaction: a refused value (a blank
    name, an unknown placeholder) stores none of the changes. True when anything changed."""
    from crm.models import database_proxy

    changed = False
    with database_proxy.atomic():
        for edit in edits:
            step = step_by_key(edit.key)
            if edit.label != step.label:
                rename_step(edit.key, edit.label)
                changed = True
            if edit.major != step.major:
                set_major(edit.key, edit.major)
                changed = True
            if (edit.ask_subject, edit.ask_body) != (step.ask_subject, step.ask_body):
                set_template(edit.key, edit.ask_subject, edit.ask_body)
                changed = True
        if [k.strip().lower() for k in order] != step_keys():
            reorder_steps(order)
            changed = True
    return changed


def reorder_steps(keys: list[str]) -> list[StepRow]:
    """Put the steps in this order (levels 1, 2, ...) and recompute every lead's level."""
    from crm.models import database_proxy
    from crm.timeline import refresh_all_levels

    wanted = [k.strip().lower() for k in keys]
    current = step_keys()
    if sorted(wanted) != sorted(current):
        raise ValidationError(
            f"List every step exactly once to reorder the ladder: {', '.join(current)}."
        )
    with database_proxy.atomic():
        for level, key in enumerate(wanted, start=1):
            Step.update(level=level).where(Step.key == key).execute()
        refresh_all_levels()
    return get_ladder()
