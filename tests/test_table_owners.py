"""Each table is written by its owner and by the few modules listed beside it with their
reason; a new writer anywhere else fails here (the map is docs/architecture.md's)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# table -> the modules that may write it (the owner first)
WRITERS: dict[str, set[str]] = {
    # The lead's cached columns are crm.book.lead_cache's; the bulk writers (an import, its
    # undo, the demo) write whole rows in batches; forget erases a person in place.
    "lead": {
        "crm.book.leads",
        "crm.book.lead_cache",
        "crm.book.other_emails",  # the updated time of an address change
        "crm.book.timeline",  # a "subscribed" yes subscribes the lead
        "crm.importing.writer",
        "crm.importing.undo",
        "crm.importing.activity.store",  # contacts an answer or reply brings, bounces
        "crm.demo",
        "crm.safety.forget",
        "crm.store.migrations",
        # bulk changes: a status or do-not-contact for many leads at once, and its undo
        "crm.book.bulk",
        # a bulk delete's undo puts every row of the leads back (their tags by name)
        "crm.book.bulk_delete",
    },
    "tag": {
        "crm.book.leads",
        "crm.importing.writer",
        "crm.importing.undo",
        "crm.demo",
        "crm.safety.forget",
        "crm.book.bulk",  # the tag a bulk tag creates; its undo removes it, unused
        "crm.book.bulk_delete",  # a deleted lead's tag, gone since, made again
    },
    "lead_tag": {
        "crm.book.leads",
        "crm.importing.writer",
        "crm.demo",
        "crm.safety.forget",
        "crm.book.bulk",  # a bulk tag or untag (set-wise) and its undo
    },
    "lead_other_email": {"crm.book.other_emails", "crm.importing.writer", "crm.safety.forget"},
    "lead_event": {
        "crm.book.leads",
        "crm.importing.writer",
        "crm.importing.activity.store",  # the dated status change of a bounce or unsubscribe
        "crm.book.bulk",  # the status a bulk change set, on each lead's timeline
        "crm.demo",
        "crm.safety.forget",
        "crm.store.migrations",
    },
    "commitment": {
        "crm.book.timeline",
        "crm.asking.asks",  # an accepted ask's yes, and a corrected answer removing it
        "crm.importing.writer",
        "crm.importing.activity.store",  # the yeses of an activity import (bulk)
        "crm.book.tag_rules",  # the yeses tags mean (bulk), and a removed rule's with it
        "crm.book.bulk",  # undoing a bulk tag takes back the yeses tag rules gave it
        "crm.demo",
        "crm.safety.forget",
    },
    "ask": {
        "crm.asking.asks",
        # an imported yes answers a pending ask; its undo puts the ask back to pending
        "crm.importing.activity.store",
        # a rule removed with its yeses puts the asks they answered back to pending
        "crm.book.tag_rules",
        # a campaign's pending asks, in one statement; its undo deletes those still pending
        "crm.asking.campaigns",
        "crm.demo",
        "crm.safety.forget",
    },
    "tag_rule": {"crm.book.tag_rules"},
    # forget drops the record of which rules answered for the person
    "tag_rule_yes": {"crm.book.tag_rules", "crm.safety.forget"},
    "offer": {
        "crm.book.offers",
        "crm.demo",
        "crm.book.sales",  # a product logged with a sale gets its kind and price
        # the products and event types sales and bookings bring (undo takes them back)
        "crm.importing.activity.store",
    },
    # sales and their refunds, bookings: logged by hand, or brought in bulk by an import
    # (whose undo takes them back); forget keeps the money, without the platform's ids
    "sale": {"crm.book.sales", "crm.importing.activity.store", "crm.demo", "crm.safety.forget"},
    "refund": {"crm.importing.activity.store", "crm.demo"},
    "booking": {"crm.importing.activity.store", "crm.safety.forget"},
    "offer_link": {"crm.importing.activity.links"},
    "segment": {"crm.book.segments"},
    "campaign": {"crm.asking.campaigns", "crm.safety.forget"},
    "activity_event": {"crm.importing.activity.store", "crm.safety.forget"},
    "import_source": {"crm.importing.activity.store"},
    "commitment_answer": {"crm.importing.activity.store", "crm.safety.forget"},
    # the questions marked as showing interest (their answers are read as topics)
    "interest_question": {"crm.book.interests"},
    "step": {"crm.asking.ladder", "crm.store.migrations"},
    "setting": {"crm.asking.pacing"},
    "suggestion_snooze": {"crm.asking.due"},
    # each lead's stored next ask and the evidence it was scored with; every commit marks
    # what it may have changed stale (beside the change note), migrations seed the one row
    "next_ask": {"crm.asking.stored", "crm.store.stale_marks"},
    "next_ask_book": {"crm.asking.stored", "crm.store.stale_marks", "crm.store.migrations"},
    "next_ask_kind": {"crm.asking.stored"},
    "import_batch": {
        "crm.importing.writer",
        "crm.importing.undo",
        "crm.importing.activity.store",  # an activity batch, or the activity part of a ZIP's
        "crm.book.bulk",  # a bulk change is a batch of kind 'change'
    },
    "import_change": {
        "crm.importing.writer",
        "crm.importing.activity.store",  # the before-image of a status it changed
        "crm.safety.forget",
        "crm.book.bulk",  # the before-images of a bulk change
    },
    "bulk_change": {"crm.book.bulk"},
    # forget drops what a bulk delete kept of the person for its undo
    "bulk_deleted": {"crm.book.bulk_delete", "crm.safety.forget"},
    "forgotten_address": {"crm.safety.suppression", "crm.safety.forget"},
    "schema_version": {"crm.store.db"},
    # what each commit changed, for the other processes on the book: written beside every
    # writer's own SQL at its commit, never by the writers themselves
    "change_note": {"crm.store.change_log"},
}

_MODELS = {
    "Lead": "lead",
    "Tag": "tag",
    "Step": "step",
    "Offer": "offer",
    "Ask": "ask",
    "LeadEvent": "lead_event",
    "LeadOtherEmail": "lead_other_email",
    "Commitment": "commitment",
}
_SQL_WRITE = re.compile(
    r"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)",
    re.IGNORECASE,
)
_ORM_WRITE = re.compile(
    rf"\b({'|'.join(_MODELS)})\.(?:create|update|delete|insert|insert_many|replace|"
    r"get_or_create|bulk_create|delete_by_id)\("
)
# Words after UPDATE / DELETE FROM in prose or other statements, not table names.
_NOT_TABLES = {"of", "set", "smallyes", "the", "a", "it", "its", "them", "every", "when", "where"}


def writes() -> dict[str, set[str]]:
    """table -> the modules whose source writes it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "crm").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        text = path.read_text(encoding="utf-8")
        tables = {m.group(1).lower() for m in _SQL_WRITE.finditer(text)}
        tables |= {_MODELS[m.group(1)] for m in _ORM_WRITE.finditer(text)}
        for table in tables - _NOT_TABLES:
            found.setdefault(table, set()).add(module)
    return found


def test_every_table_is_written_only_by_its_owner_and_the_listed_modules() -> None:
    found = writes()
    strangers = {
        table: sorted(modules - WRITERS.get(table, set()))
        for table, modules in found.items()
        if modules - WRITERS.get(table, set())
    }
    # Add a new writer here with its reason, or let it go through the owner.
    assert not strangers, f"unlisted writers: {strangers}"


def test_the_map_names_only_real_writers() -> None:
    found = writes()
    stale = {
        table: sorted(modules - found.get(table, set()))
        for table, modules in WRITERS.items()
        if modules - found.get(table, set())
    }
    assert not stale, f"listed but writing nothing there any more: {stale}"


def test_only_the_lead_cache_sets_the_cached_columns() -> None:
    # An assignment, not a comparison on a table alias (``l.level = ?`` filters).
    cached = re.compile(
        r"(?<![.\w])(?:level|last_commitment_at|last_ask_at)\s*=\s*(?:\?|excluded|CASE|MAX)",
        re.IGNORECASE,
    )
    writers = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "crm").rglob("*.py")
        if cached.search(p.read_text(encoding="utf-8"))
    }
    # The import's writer stores the values crm.book.lead_cache folded for each row.
    assert writers <= {"crm.book.lead_cache", "crm.importing.writer"}, writers
