"""Tag rules: tags that mean a yes.

Platforms mark a lead-magnet download with a tag or a group ("Downloaded: SEO checklist").
A rule (``tag_rule``) says which tags mean which yes: a pattern, matched against the whole
tag name in any case, where ``*`` stands for any text ("Downloaded: *"); a step; and
optionally an offer. :func:`apply_tag_rules` gives each lead carrying a matching tag that
yes, once per rule: ``tag_rule_yes`` remembers every lead a rule has answered for, so
applying the rules again adds nothing, and a yes the owner deletes later (its row's
``commitment_id`` goes NULL) is not made again. A lead who already holds a tag-rule yes at
the rule's step and offer (another rule's, or one a removed rule left) gets no second
one: the rule counts that yes as its own.

The rules are applied when one is added (to the tags already stored) and at the end of
every import, in its transaction and with its batch, so undoing the import takes those
yeses back (:func:`undo_tag_rule_yeses`). The book keeps no date per tag (``lead_tag``
has none), so a yes is dated at the import that brought its tag (``lead_tag.batch_id``),
else at the time the rule found it; its note says which. A new yes answers the lead's
pending ask at its step (and offer) within the pacing's answer window, as an imported
yes does (``crm.importing.activity.store.answered_ask``).

Removing a rule keeps the yeses it made unless the owner asks for them to go too: they
are the leads' history, and the tags that gave them are still there.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from crm.asking.ladder import step_by_key
from crm.asking.pacing import get_pacing
from crm.book import lead_cache
from crm.book.leads import tag_lead
from crm.book.offers import offer_id_for
from crm.changes import note
from crm.errors import DuplicateError, NotFoundError, ValidationError
from crm.importing.activity.store import ActivityWriter, answered_ask
from crm.store.models import database_proxy
from crm.timefmt import from_stored_required, iso

SOURCE = "tag rule"  # the source of the yeses the rules make
MAX_PATTERN_CHARS = 80  # a tag's own limit

# The yes's note, worked out in SQL for every lead at once: which tag, and where its date
# comes from.
_NOTE_SQL = (
    "CASE WHEN x.file IS NULL THEN 'tag ''' || x.name || ''', dated when a tag rule found it: "
    "the tag has no date and came from no import' WHEN x.kind = 'change' THEN 'tag ''' || "
    "x.name || ''', dated at the bulk change that added it: the tag has no date' ELSE 'tag "
    "''' || x.name || ''', dated at the import of ' || x.file || ': the tag has no date' END"
)


@dataclass(frozen=True, slots=True)
class TagRule:
    id: int
    pattern: str
    step: str
    step_label: str
    offer: str | None
    created_at: dt.datetime
    yeses: int  # the leads it has given a yes that is still on their timeline

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "step": self.step,
            "offer": self.offer,
            "yeses": self.yeses,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class AppliedRules:
    """What applying the rules made."""

    yeses: int = 0
    resolved_asks: int = 0


@dataclass(frozen=True, slots=True)
class RemovedRule:
    pattern: str
    kept: int  # yeses it made that stay on the timeline
    removed: int  # yeses taken off with it

    @property
    def message(self) -> str:
        text = f"Removed the tag rule '{self.pattern}'"
        if self.removed:
            text += f" and {_made(self.removed)}"
        if self.kept and self.removed:
            return (
                text + f"; {_count(self.kept)} stay{'s' if self.kept == 1 else ''}, as "
                "another rule gives them too."
            )
        if self.kept:
            stays = "stays" if self.kept == 1 else "stay"
            return text + f": {_made(self.kept)} {stays} on the timeline."
        return text + "."

    def to_json(self) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "kept_yeses": self.kept,
            "removed_yeses": self.removed,
            "message": self.message,
        }


def _count(n: int) -> str:
    return f"{n:,} {'yes' if n == 1 else 'yeses'}"


def _made(n: int) -> str:
    """'the yes it made', 'the 3 yeses it made'."""
    return "the yes it made" if n == 1 else f"the {_count(n)} it made"


# -- patterns ---------------------------------------------------------------------------


def clean_pattern(pattern: str) -> str:
    """A pattern as the owner typed it, checked: spaces collapsed like a tag's."""
    text = " ".join(pattern.split())
    if not text:
        raise ValidationError(
            "A tag rule needs the tag it looks for: type it, like 'Downloaded: SEO checklist' "
            "or 'Downloaded: *'."
        )
    if len(text) > MAX_PATTERN_CHARS:
        raise ValidationError(
            f"A tag pattern can be at most {MAX_PATTERN_CHARS} characters: shorten it."
        )
    if not text.replace("*", "").strip():
        raise ValidationError(
            "A pattern of only '*' would match every tag: add the words the tags share, "
            "like 'Downloaded: *'."
        )
    return text


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The pattern as a regular expression over a case-folded tag name (``fullmatch``)."""
    parts = [re.escape(part) for part in clean_pattern(pattern).casefold().split("*")]
    return re.compile(".*".join(parts), re.DOTALL)


def tag_matches(pattern: str, tag: str) -> bool:
    """Whether ``tag`` is one of the tags ``pattern`` means: the whole name, in any case,
    ``*`` standing for any text (none too)."""
    return pattern_regex(pattern).fullmatch(" ".join(tag.split()).casefold()) is not None


# -- the rules --------------------------------------------------------------------------

_RULE_SQL = (
    "SELECT r.id, r.pattern, s.key, s.label, o.name, r.created_at, "
    "(SELECT count(*) FROM tag_rule_yes y WHERE y.rule_id = r.id AND y.commitment_id IS NOT "
    "NULL) FROM tag_rule r JOIN step s ON s.id = r.step_id LEFT JOIN offer o ON o.id = r.offer_id"
)


def _rule_row(row: tuple[Any, ...]) -> TagRule:
    rule_id, pattern, key, label, offer, created, yeses = row
    created_at = created if isinstance(created, dt.datetime) else from_stored_required(created)
    return TagRule(int(rule_id), str(pattern), str(key), str(label), offer, created_at, yeses)


def list_tag_rules() -> list[TagRule]:
    """Every tag rule, by pattern."""
    rows = database_proxy.execute_sql(f"{_RULE_SQL} ORDER BY r.pattern COLLATE NOCASE, r.id")
    return [_rule_row(r) for r in rows.fetchall()]


def get_tag_rule(pattern: str) -> TagRule:
    """The rule with this pattern (any case)."""
    text = " ".join(pattern.split())
    row = database_proxy.execute_sql(
        f"{_RULE_SQL} WHERE r.pattern = ? COLLATE NOCASE", [text]
    ).fetchone()
    if row is None:
        raise NotFoundError(
            f"There is no tag rule for '{text}': check the pattern against the list of rules."
        )
    return _rule_row(row)


def add_tag_rule(
    pattern: str, step: str, *, now: dt.datetime, offer: str | None = None
) -> tuple[TagRule, AppliedRules]:
    """Add a rule and apply it to the tags already stored: the rule, and what it made."""
    text = clean_pattern(pattern)
    step_id = step_by_key(step).id
    offer_id = offer_id_for(offer, now=now, create=False) if offer and offer.strip() else None
    note(tables=["tag_rule"])
    with database_proxy.atomic():
        taken = database_proxy.execute_sql(
            "SELECT pattern FROM tag_rule WHERE pattern = ? COLLATE NOCASE", [text]
        ).fetchone()
        if taken is not None:
            raise DuplicateError(
                f"There is already a tag rule for '{taken[0]}': remove it first to give it "
                "another step or offer."
            )
        rule_id = database_proxy.execute_sql(
            "INSERT INTO tag_rule (pattern, step_id, offer_id, created_at) VALUES (?, ?, ?, ?)",
            [text, step_id, offer_id, now.replace(microsecond=0)],
        ).lastrowid
        applied = apply_tag_rules(now=now, rule_ids=[int(rule_id)])
    return get_tag_rule(text), applied


def remove_tag_rule(pattern: str, *, and_yeses: bool = False) -> RemovedRule:
    """Remove a rule. Its yeses stay on the timeline, unless ``and_yeses``: then those no
    other rule gives go too, and the asks they answered wait for an answer again."""
    rule = get_tag_rule(pattern)
    db = database_proxy
    note(tables=["tag_rule", "tag_rule_yes"])
    with db.atomic():
        made = [
            (int(c), int(lead), bool(shared))
            for c, lead, shared in db.execute_sql(
                "SELECT c.id, c.lead_id, EXISTS (SELECT 1 FROM tag_rule_yes o WHERE "
                "o.commitment_id = c.id AND o.rule_id != y.rule_id) FROM tag_rule_yes y "
                "JOIN commitment c ON c.id = y.commitment_id WHERE y.rule_id = ?",
                [rule.id],
            )
        ]
        gone = [(c, lead) for c, lead, shared in made if not shared] if and_yeses else []
        if gone:
            note(tables=["commitment", "ask", "lead"], leads=[lead for _, lead in gone])
            ids = json.dumps([c for c, _ in gone])
            db.execute_sql(
                "UPDATE ask SET outcome = 'pending', resolved_at = NULL WHERE outcome = "
                "'accepted' AND id IN (SELECT ask_id FROM commitment WHERE id IN "
                "(SELECT value FROM json_each(?)) AND ask_id IS NOT NULL)",
                [ids],
            )
            db.execute_sql(
                "DELETE FROM commitment WHERE id IN (SELECT value FROM json_each(?))", [ids]
            )
            lead_cache.recompute(sorted({lead for _, lead in gone}))
        db.execute_sql("DELETE FROM tag_rule WHERE id = ?", [rule.id])
    return RemovedRule(rule.pattern, len(made) - len(gone), len(gone))


# -- applying them ----------------------------------------------------------------------


def apply_tag_rules(
    *, now: dt.datetime, batch_id: int | None = None, rule_ids: list[int] | None = None
) -> AppliedRules:
    """Give every lead carrying a tag a rule matches the rule's yes, unless the rule has
    answered for that lead before (see the module docstring). ``batch_id``: the import
    this runs at the end of, whose undo takes the yeses back. ``rule_ids``: these rules
    only (None: all). In the caller's transaction, if it holds one."""
    db = database_proxy
    rules = db.execute_sql("SELECT id, pattern, step_id, offer_id FROM tag_rule").fetchall()
    if rule_ids is not None:
        wanted = set(rule_ids)
        rules = [r for r in rules if r[0] in wanted]
    if not rules:
        return AppliedRules()
    tags = db.execute_sql("SELECT id, name FROM tag").fetchall()
    now_text = now.strftime("%Y-%m-%d %H:%M:%S")
    with db.atomic():
        first_new = _next_commitment_id()
        for rule_id, pattern, step_id, offer_id in rules:
            regex = pattern_regex(pattern)
            matching = [tag_id for tag_id, name in tags if regex.fullmatch(name.casefold())]
            if matching:
                _apply_rule(rule_id, step_id, offer_id, json.dumps(matching), batch_id, now_text)
        made = [
            int(lead_id)
            for (lead_id,) in db.execute_sql(
                "SELECT lead_id FROM commitment WHERE id >= ?", [first_new]
            )
        ]
        if not made:
            return AppliedRules()
        resolved = _answer_asks(first_new)
        note(tables=["commitment", "ask", "lead", "tag_rule_yes"], leads=made)
        lead_cache.recompute(made)
    return AppliedRules(len(made), resolved)


def tag_lead_by_hand(lead_id: int, names: list[str], *, now: dt.datetime) -> AppliedRules:
    """Tag a lead (``crm.book.leads.tag_lead``) and give it at once the yes a rule gives
    those tags, dated now: a tag typed on the lead means what an imported one does."""
    with database_proxy.atomic():
        tag_lead(lead_id, names)
        return apply_tag_rules(now=now)


def _next_commitment_id() -> int:
    (last,) = database_proxy.execute_sql("SELECT max(id) FROM commitment").fetchone()
    return int(last or 0) + 1


def _apply_rule(
    rule_id: int,
    step_id: int,
    offer_id: int | None,
    tag_ids: str,
    batch_id: int | None,
    now_text: str,
) -> None:
    """One rule over every lead carrying one of ``tag_ids`` (a JSON list), in a few
    statements whatever the number of leads."""
    db = database_proxy
    not_answered = (
        "NOT EXISTS (SELECT 1 FROM tag_rule_yes y WHERE y.rule_id = ? AND y.lead_id = lt.lead_id)"
    )
    tagged_unanswered = (
        "SELECT DISTINCT lt.lead_id FROM lead_tag lt WHERE lt.tag_id IN "
        f"(SELECT value FROM json_each(?)) AND {not_answered}"
    )
    # Once the rule has answered for everyone (every import after the first), this one
    # look over the tagged leads is all it costs.
    if not db.execute_sql(f"{tagged_unanswered} LIMIT 1", [tag_ids, rule_id]).fetchone():
        return
    # A tag-rule yes the lead already has at this step and offer is this rule's too.
    db.execute_sql(
        "INSERT INTO tag_rule_yes (rule_id, lead_id, commitment_id, batch_id) "
        "SELECT ?, x.lead_id, x.yes, ? FROM (SELECT lt.lead_id AS lead_id, (SELECT min(c.id) "
        "FROM commitment c WHERE c.lead_id = lt.lead_id AND c.source = ? AND c.step_id = ? "
        f"AND c.offer_id IS ?) AS yes FROM ({tagged_unanswered}) lt) x WHERE x.yes IS NOT NULL",
        [rule_id, batch_id, SOURCE, step_id, offer_id, tag_ids, rule_id],
    )
    first = _next_commitment_id()
    # One yes per lead, from its earliest-dated matching tag (SQLite takes the bare
    # columns of a min() from the row that holds the minimum).
    db.execute_sql(
        "INSERT INTO commitment (lead_id, step_id, offer_id, at, source, note, batch_id) "
        f"SELECT x.lead_id, ?, ?, x.at, ?, {_NOTE_SQL}, ? FROM ("
        "SELECT lt.lead_id AS lead_id, min(coalesce(b.started_at, ?)) AS at, t.name AS name, "
        "b.file_name AS file, b.kind AS kind FROM lead_tag lt JOIN tag t ON t.id = lt.tag_id "
        "LEFT JOIN import_batch b ON b.id = lt.batch_id "
        "WHERE lt.tag_id IN (SELECT value FROM json_each(?)) "
        f"AND {not_answered} GROUP BY lt.lead_id) x ORDER BY x.lead_id",
        [step_id, offer_id, SOURCE, batch_id, now_text, tag_ids, rule_id],
    )
    db.execute_sql(
        "INSERT INTO tag_rule_yes (rule_id, lead_id, commitment_id, batch_id) "
        "SELECT ?, lead_id, id, ? FROM commitment WHERE id >= ?",
        [rule_id, batch_id, first],
    )


def _answer_asks(first_new: int) -> int:
    """Asks answer themselves: the new yeses (ids from ``first_new``) answer the pending
    asks they take, as an imported yes does. How many were answered."""
    db = database_proxy
    yeses = db.execute_sql(
        "SELECT c.id, c.lead_id, c.step_id, c.offer_id, c.at FROM commitment c "
        "WHERE c.id >= ? AND EXISTS (SELECT 1 FROM ask a WHERE a.lead_id = c.lead_id "
        "AND a.outcome = 'pending') ORDER BY c.at, c.id",
        [first_new],
    ).fetchall()
    if not yeses:
        return 0
    writer = ActivityWriter(db.connection(), now_text="")
    pending = writer.pending_asks(sorted({int(row[1]) for row in yeses}))
    window = dt.timedelta(days=get_pacing().follow_up_days)
    links: list[tuple[int, int]] = []
    for commitment_id, lead_id, step_id, offer_id, at in yeses:
        ask = answered_ask(pending.get(lead_id, []), step_id, offer_id, str(at), window)
        if ask is not None:
            writer.accept_ask(ask.id, str(at))
            links.append((ask.id, commitment_id))
    writer.flush()
    if links:
        db.connection().executemany("UPDATE commitment SET ask_id = ? WHERE id = ?", links)
    return len(links)


def undo_tag_rule_yeses(batch_id: int) -> None:
    """Forget which leads the rules answered for in an import being undone, and for the
    yeses its undo removes: the rules may give those leads a yes again later (the owner
    did not delete it). Before the undo deletes the batch's yeses, in its transaction."""
    note(tables=["tag_rule_yes"])
    database_proxy.execute_sql(
        "DELETE FROM tag_rule_yes WHERE batch_id = ? OR commitment_id IN "
        "(SELECT id FROM commitment WHERE batch_id = ?)",
        [batch_id, batch_id],
    )
