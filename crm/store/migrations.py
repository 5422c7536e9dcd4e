"""The schema, as an ordered and append-only list of migrations.

Each migration is a function of the open database; ``crm.store.db`` runs the ones a file has
not seen yet, in order, inside one transaction, after a backup. Never edit a migration
that has shipped: add a new one, with its change to ``schema.sql`` (the schema as it is
today, which a test compares with what these build). A migration works on the database
alone and imports nothing from the domain, whose code changes later: the data it seeds is
written here as it was when it shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from peewee import SqliteDatabase

Migration = Callable[[SqliteDatabase], None]

_V1 = """
CREATE TABLE import_batch (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    platform TEXT NOT NULL,
    encoding TEXT NOT NULL DEFAULT '',
    delimiter TEXT NOT NULL DEFAULT '',
    on_duplicate TEXT NOT NULL DEFAULT 'fill',
    tag TEXT NOT NULL DEFAULT '',
    rows INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    duplicates_in_file INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    started_at DATETIME NOT NULL,
    finished_at DATETIME,
    undone_at DATETIME
);

CREATE TABLE lead (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    company TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'manual',
    status TEXT NOT NULL DEFAULT 'none',
    do_not_contact INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '',
    custom TEXT NOT NULL DEFAULT '{}',
    search_text TEXT NOT NULL DEFAULT '',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL,
    level INTEGER NOT NULL DEFAULT 0,
    last_commitment_at DATETIME,
    last_ask_at DATETIME
);
-- The list's common sort orders carry search_text so search-as-you-type can walk the
-- index without visiting table rows.
CREATE INDEX lead_last_name ON lead(last_name COLLATE NOCASE, first_name COLLATE NOCASE, id,
                                    search_text);
CREATE INDEX lead_first_name ON lead(first_name COLLATE NOCASE);
CREATE INDEX lead_company ON lead(company COLLATE NOCASE);
CREATE INDEX lead_status ON lead(status);
CREATE INDEX lead_level ON lead(level);
CREATE INDEX lead_source ON lead(source);
CREATE INDEX lead_created_at ON lead(created_at, id, search_text);
CREATE INDEX lead_last_commitment_at ON lead(last_commitment_at, id, search_text);
CREATE INDEX lead_batch ON lead(batch_id);

CREATE TABLE tag (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- the import that created the tag, so undoing it removes tags nobody else uses
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
);

CREATE TABLE lead_tag (
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tag(id) ON DELETE CASCADE,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL,
    PRIMARY KEY (lead_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX lead_tag_tag ON lead_tag(tag_id, lead_id);

CREATE TABLE step (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    level INTEGER NOT NULL,
    major INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '',
    ask_subject TEXT NOT NULL DEFAULT '',
    ask_body TEXT NOT NULL DEFAULT ''
);

CREATE TABLE offer (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '',
    retired INTEGER NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL
);

CREATE TABLE ask (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    step_id INTEGER NOT NULL REFERENCES step(id),
    offer_id INTEGER REFERENCES offer(id),
    asked_at DATETIME NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'pending',
    resolved_at DATETIME,
    note TEXT NOT NULL DEFAULT '',
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
);
CREATE INDEX ask_lead ON ask(lead_id, asked_at);
CREATE INDEX ask_step ON ask(step_id, outcome);

CREATE TABLE commitment (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    step_id INTEGER NOT NULL REFERENCES step(id),
    offer_id INTEGER REFERENCES offer(id),
    ask_id INTEGER REFERENCES ask(id) ON DELETE SET NULL,
    at DATETIME NOT NULL,
    source TEXT NOT NULL DEFAULT 'manual',
    note TEXT NOT NULL DEFAULT '',
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
);
CREATE INDEX commitment_lead ON commitment(lead_id, at);
CREATE INDEX commitment_step ON commitment(step_id, at);
CREATE INDEX commitment_offer ON commitment(offer_id);
CREATE INDEX commitment_batch ON commitment(batch_id);

CREATE TABLE lead_event (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    at DATETIME NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
);
CREATE INDEX lead_event_lead ON lead_event(lead_id, at);
CREATE INDEX lead_event_batch ON lead_event(batch_id);

CREATE TABLE import_change (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES import_batch(id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE INDEX import_change_batch ON import_change(batch_id);

CREATE TABLE setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A lead taken off Today's asks until a date: snoozed by the owner, or skipped.
CREATE TABLE suggestion_snooze (
    lead_id INTEGER PRIMARY KEY REFERENCES lead(id) ON DELETE CASCADE,
    until DATETIME NOT NULL,
    kind TEXT NOT NULL DEFAULT 'snooze'
);
"""


# The ladder every new book starts with, as v1 seeded it (frozen: a later default is a new
# migration's business). key, label, level, major, description, ask subject, ask body
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


def _v1_initial(db: SqliteDatabase) -> None:
    for statement in _V1.split(";"):
        if statement.strip():
            db.execute_sql(statement)
    for step in DEFAULT_STEPS:
        db.execute_sql(
            "INSERT INTO step (key, label, level, major, description, ask_subject, ask_body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            step,
        )


# Each lead remembers the fingerprint of the imported record it already reflects, so a
# re-import recognises unchanged records without normalising them again. Any later change
# that a re-import could undo or redo (an edited field, a removed tag or yes, a renamed
# tag) forgets it, and that lead goes through the full comparison next time.
_V2 = (
    "ALTER TABLE lead ADD COLUMN import_fp INTEGER",
    """CREATE TRIGGER lead_import_fp_edited
    AFTER UPDATE OF email, email_key, first_name, last_name, company, phone, notes, status,
                    custom ON lead
    WHEN OLD.import_fp IS NOT NULL AND NEW.import_fp IS OLD.import_fp
    BEGIN UPDATE lead SET import_fp = NULL WHERE id = NEW.id; END""",
    """CREATE TRIGGER lead_import_fp_untagged AFTER DELETE ON lead_tag
    BEGIN UPDATE lead SET import_fp = NULL WHERE id = OLD.lead_id AND import_fp IS NOT NULL; END""",
    """CREATE TRIGGER lead_import_fp_yes_deleted AFTER DELETE ON commitment
    BEGIN UPDATE lead SET import_fp = NULL WHERE id = OLD.lead_id AND import_fp IS NOT NULL; END""",
    """CREATE TRIGGER lead_import_fp_yes_moved AFTER UPDATE OF lead_id, step_id, at ON commitment
    BEGIN
      UPDATE lead SET import_fp = NULL
       WHERE id IN (OLD.lead_id, NEW.lead_id) AND import_fp IS NOT NULL;
    END""",
    """CREATE TRIGGER lead_import_fp_tag_renamed AFTER UPDATE OF name ON tag
    BEGIN
      UPDATE lead SET import_fp = NULL
       WHERE import_fp IS NOT NULL AND id IN (SELECT lead_id FROM lead_tag WHERE tag_id = NEW.id);
    END""",
)


def _v2_import_fingerprints(db: SqliteDatabase) -> None:
    for statement in _V2:
        db.execute_sql(statement)


def _v3_import_events_from_batches(db: SqliteDatabase) -> None:
    """The timeline tells the import that created a lead from its batch (crm.book.timeline):
    the copy each created lead had is dropped. 'Updated from ...' events stay."""
    db.execute_sql(
        "DELETE FROM lead_event WHERE kind = 'import' AND batch_id IS NOT NULL "
        "AND batch_id = (SELECT l.batch_id FROM lead l WHERE l.id = lead_event.lead_id) "
        "AND summary LIKE 'Imported from %'"
    )


# The addresses of forgotten people, so an import or a restore does not bring them back.
# Never in the clear: an HMAC-SHA256 of the address's dedupe key under a key kept in a file
# beside the book (crm.safety.suppression). ``key_id`` says which key made a digest, so a book
# moved without its key can say how many it cannot recognise. ``pending``: the file has
# not been rewritten since the erase (a reader or a full disk stopped it).
def _v4_forgotten_addresses(db: SqliteDatabase) -> None:
    db.execute_sql(
        "CREATE TABLE forgotten_address ("
        " digest TEXT PRIMARY KEY,"
        " key_id TEXT NOT NULL,"
        " forgotten_at DATETIME NOT NULL,"
        " pending INTEGER NOT NULL DEFAULT 1"
        ") WITHOUT ROWID"
    )


# A lead's other addresses (an address book's second and third e-mail). An address is one
# person's: its key is unique here, and crm.book.other_emails keeps it apart from every lead's
# own email. Removing one forgets the lead's import fingerprint, as removing a tag does.
_V5 = (
    """CREATE TABLE lead_other_email (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
    )""",
    "CREATE INDEX lead_other_email_lead ON lead_other_email(lead_id)",
    "CREATE INDEX lead_other_email_batch ON lead_other_email(batch_id)",
    """CREATE TRIGGER lead_import_fp_other_email_removed AFTER DELETE ON lead_other_email
    BEGIN UPDATE lead SET import_fp = NULL WHERE id = OLD.lead_id AND import_fp IS NOT NULL; END""",
)


def _v5_lead_other_emails(db: SqliteDatabase) -> None:
    for statement in _V5:
        db.execute_sql(statement)


# Activity imports (opens, clicks, answers, replies from newsletter and form exports).
# ``activity_event`` keeps every stored row of evidence once, by its key (a 64-bit digest
# of the platform's row id, or of the fields that make the row unique: a tenth of the
# text's size in a table of millions of opens), so importing the same export again adds
# nothing; opens and deliveries live only here, never on the timeline. A row that is
# a yes links to the ``commitment`` it made. ``commitment_answer`` keeps the questions and
# answers of an answered form. ``offer_link`` holds the URLs (or prefixes) whose clicks
# are a yes on an offer, at the link's step (NULL: "downloaded"). ``import_batch.kind``
# tells a subscriber import from an activity one or a ZIP holding both.
_V6 = (
    "ALTER TABLE import_batch ADD COLUMN kind TEXT NOT NULL DEFAULT 'subscribers'",
    """CREATE TABLE activity_event (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    key INTEGER NOT NULL UNIQUE,
    action TEXT NOT NULL,
    at DATETIME NOT NULL,
    campaign TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '',
    platform TEXT NOT NULL DEFAULT '',
    commitment_id INTEGER REFERENCES commitment(id) ON DELETE SET NULL
    )""",
    "CREATE INDEX activity_event_lead ON activity_event(lead_id, action, at)",
    "CREATE INDEX activity_event_batch ON activity_event(batch_id)",
    # Few rows are yeses: the index holds those only (a deleted yes finds its event).
    "CREATE INDEX activity_event_commitment ON activity_event(commitment_id) "
    "WHERE commitment_id IS NOT NULL",
    """CREATE TABLE commitment_answer (
    id INTEGER PRIMARY KEY,
    commitment_id INTEGER NOT NULL REFERENCES commitment(id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
    )""",
    "CREATE INDEX commitment_answer_commitment ON commitment_answer(commitment_id)",
    "CREATE INDEX commitment_answer_lead ON commitment_answer(lead_id)",
    """CREATE TABLE offer_link (
    id INTEGER PRIMARY KEY,
    offer_id INTEGER NOT NULL REFERENCES offer(id) ON DELETE CASCADE,
    prefix TEXT NOT NULL UNIQUE,
    step_id INTEGER REFERENCES step(id) ON DELETE SET NULL,
    created_at DATETIME NOT NULL
    )""",
    "CREATE INDEX offer_link_offer ON offer_link(offer_id)",
)


def _v6_activity(db: SqliteDatabase) -> None:
    for statement in _V6:
        db.execute_sql(statement)


# Tags that mean a yes ("Downloaded: SEO checklist"): ``tag_rule`` maps a tag pattern to a
# step (and an offer). ``tag_rule_yes`` remembers each lead a rule has answered for, with the
# yes it made, so applying the rules again after every import adds nothing twice, and a yes
# the owner deletes (``commitment_id`` set to NULL) is not made again. ``interest_question``
# holds the form questions the owner marked as showing interest: their answers are topics
# of the lead who gave them.
_V7 = (
    """CREATE TABLE tag_rule (
    id INTEGER PRIMARY KEY,
    pattern TEXT NOT NULL UNIQUE COLLATE NOCASE,
    step_id INTEGER NOT NULL REFERENCES step(id) ON DELETE CASCADE,
    offer_id INTEGER REFERENCES offer(id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL
    )""",
    """CREATE TABLE tag_rule_yes (
    rule_id INTEGER NOT NULL REFERENCES tag_rule(id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    commitment_id INTEGER REFERENCES commitment(id) ON DELETE SET NULL,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL,
    PRIMARY KEY (rule_id, lead_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX tag_rule_yes_commitment ON tag_rule_yes(commitment_id) "
    "WHERE commitment_id IS NOT NULL",
    "CREATE INDEX tag_rule_yes_batch ON tag_rule_yes(batch_id)",
    """CREATE TABLE interest_question (
    question TEXT PRIMARY KEY COLLATE NOCASE,
    created_at DATETIME NOT NULL
    ) WITHOUT ROWID""",
)


def _v7_tag_rules_and_interest(db: SqliteDatabase) -> None:
    for statement in _V7:
        db.execute_sql(statement)


# The activity files an import read whole, by content: importing the same file again (next
# month's account export repeats every unchanged campaign's file) counts its rows as
# already imported without reading them. Only a file every row of which was stored, or
# skipped for a reason the next import would give too, is remembered; an undo forgets
# its batch's files.
_V8 = (
    """CREATE TABLE import_source (
    digest INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES import_batch(id) ON DELETE CASCADE,
    rows INTEGER NOT NULL,
    ignored INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID""",
    "CREATE INDEX import_source_batch ON import_source(batch_id)",
)


def _v8_imported_sources(db: SqliteDatabase) -> None:
    for statement in _V8:
        db.execute_sql(statement)


# The big yeses. ``sale`` is one paid sale (an order, a charge) with its gross amount in the
# currency's minor units (``crm.money``) and its refunds, ``refunded`` being the cached sum of
# its ``refund`` rows; a sale that is not wholly refunded has its "purchased" (or, free,
# "downloaded") yes, and goes with it. ``booking`` is one booked meeting, its yes the
# "booked" one; a canceled booking keeps its row, without a yes. ``key`` is the event key
# of the row that brought it (``activity_event.key``), so a later export that says the sale
# was refunded or the booking canceled finds it. Offers made from a product or an event
# type keep the import that made them, and a product its price.
_V9 = (
    """CREATE TABLE sale (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    commitment_id INTEGER REFERENCES commitment(id) ON DELETE CASCADE,
    key INTEGER NOT NULL UNIQUE,
    at DATETIME NOT NULL,
    product TEXT NOT NULL DEFAULT '',
    currency TEXT NOT NULL,
    amount INTEGER NOT NULL,
    refunded INTEGER NOT NULL DEFAULT 0,
    platform TEXT NOT NULL DEFAULT '',
    source_id TEXT NOT NULL DEFAULT '',
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
    )""",
    "CREATE INDEX sale_lead ON sale(lead_id, at)",
    "CREATE INDEX sale_commitment ON sale(commitment_id) WHERE commitment_id IS NOT NULL",
    "CREATE INDEX sale_source ON sale(platform, source_id) WHERE source_id != ''",
    "CREATE INDEX sale_batch ON sale(batch_id)",
    """CREATE TABLE refund (
    id INTEGER PRIMARY KEY,
    sale_id INTEGER NOT NULL REFERENCES sale(id) ON DELETE CASCADE,
    at DATETIME NOT NULL,
    amount INTEGER NOT NULL,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
    )""",
    "CREATE INDEX refund_sale ON refund(sale_id)",
    "CREATE INDEX refund_batch ON refund(batch_id)",
    """CREATE TABLE booking (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    commitment_id INTEGER REFERENCES commitment(id) ON DELETE CASCADE,
    key INTEGER NOT NULL UNIQUE,
    booked_at DATETIME NOT NULL,
    starts_at DATETIME,
    event_type TEXT NOT NULL DEFAULT '',
    canceled INTEGER NOT NULL DEFAULT 0,
    platform TEXT NOT NULL DEFAULT '',
    source_id TEXT NOT NULL DEFAULT '',
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
    )""",
    "CREATE INDEX booking_lead ON booking(lead_id, booked_at)",
    "CREATE INDEX booking_commitment ON booking(commitment_id) WHERE commitment_id IS NOT NULL",
    "CREATE INDEX booking_batch ON booking(batch_id)",
    "ALTER TABLE offer ADD COLUMN price INTEGER",
    "ALTER TABLE offer ADD COLUMN currency TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE offer ADD COLUMN batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL",
)


def _v9_sales_and_bookings(db: SqliteDatabase) -> None:
    for statement in _V9:
        db.execute_sql(statement)


# Segments: a filter of the lead book saved under a name (crm.book.filters.LeadFilter as
# JSON, naming steps, tags and offers by their names, so it outlives a ladder change).
_V10 = (
    """CREATE TABLE segment (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    filter TEXT NOT NULL DEFAULT '{}',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
    )""",
)


def _v10_segments(db: SqliteDatabase) -> None:
    for statement in _V10:
        db.execute_sql(statement)


# What each commit changed, for the other processes that have the same book open
# (crm.store.change_log): a window reads the rows it has not seen yet and refreshes what they
# name, without rescanning any table. ``origin`` is the writing process's token (a window
# skips its own rows, already shown), ``table_names`` and ``setting_keys`` are JSON lists,
# ``lead_ids`` a JSON list of lead ids or NULL for "too many to list". The writers prune rows
# older than a day and always keep the newest, so ids only grow.
_V11_CHANGE_NOTES = """CREATE TABLE change_note (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    origin INTEGER NOT NULL,
    table_names TEXT NOT NULL,
    lead_ids TEXT,
    setting_keys TEXT NOT NULL DEFAULT '[]'
    )"""


def _v11_change_notes(db: SqliteDatabase) -> None:
    db.execute_sql(_V11_CHANGE_NOTES)


# Bulk changes (tag, untag, set status, do not contact, snooze, delete many leads at once):
# each is an ``import_batch`` of kind 'change' (so the tags and timeline rows it adds carry
# its batch, like an import's) with one ``bulk_change`` row saying what it did and to how
# many; before-images of the fields it changed go to ``import_change``. ``bulk_deleted``
# keeps every row of the leads a bulk delete removed, as JSON, until the delete is undone.
# The indexes let the delete's cascades and the undo find a lead's undo rows, the
# commitment an ask produced, and a lead's tag-rule yeses without reading whole tables.
_V12 = (
    """CREATE TABLE bulk_change (
    batch_id INTEGER PRIMARY KEY REFERENCES import_batch(id) ON DELETE CASCADE,
    verb TEXT NOT NULL,
    value TEXT NOT NULL DEFAULT '',
    what TEXT NOT NULL DEFAULT '',
    matched INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE bulk_deleted (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES import_batch(id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL,
    tbl TEXT NOT NULL,
    data TEXT NOT NULL
    )""",
    "CREATE INDEX bulk_deleted_batch ON bulk_deleted(batch_id, tbl, lead_id)",
    "CREATE INDEX import_change_lead ON import_change(lead_id)",
    "CREATE INDEX commitment_ask ON commitment(ask_id) WHERE ask_id IS NOT NULL",
    "CREATE INDEX tag_rule_yes_lead ON tag_rule_yes(lead_id)",
)


def _v12_bulk_changes(db: SqliteDatabase) -> None:
    for statement in _V12:
        db.execute_sql(statement)


# Campaigns: asks sent through the owner's newsletter tool, one batch of pending asks each
# (crm.asking.campaigns). The step and offer are kept as words: a later ladder change
# must not rewrite what a past campaign asked for.
_V13 = (
    """CREATE TABLE campaign (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    step_key TEXT NOT NULL,
    step_label TEXT NOT NULL,
    offer TEXT NOT NULL DEFAULT '',
    platform TEXT NOT NULL DEFAULT '',
    file_name TEXT NOT NULL DEFAULT '',
    tag TEXT NOT NULL DEFAULT '',
    audience TEXT NOT NULL DEFAULT '',
    asked INTEGER NOT NULL DEFAULT 0,
    held_back TEXT NOT NULL DEFAULT '{}',
    created_at DATETIME NOT NULL,
    undone_at DATETIME,
    removed INTEGER NOT NULL DEFAULT 0,
    kept INTEGER NOT NULL DEFAULT 0
    )""",
    "ALTER TABLE ask ADD COLUMN campaign_id INTEGER REFERENCES campaign(id) ON DELETE SET NULL",
    "CREATE INDEX ask_campaign ON ask(campaign_id) WHERE campaign_id IS NOT NULL",
)


def _v13_campaigns(db: SqliteDatabase) -> None:
    for statement in _V13:
        db.execute_sql(statement)


# Each lead's next ask, stored so Today reads one indexed query instead of every history
# (crm.asking.stored owns it). A row is the engine's answer as of ``computed_us``, good
# until ``valid_until_us`` (the first moment time alone may change it) unless a write
# marks it ``stale`` or the book's generation (``next_ask_book.gen``: the ladder, offers,
# pacing and evidence it was scored with) moves on. A suggestion's ``kind`` names its step,
# step label, offer ('' for none) and rule in ``next_ask_kind`` (a few rows: Today reads
# numbers, not words); ``due_us`` NULL with a kind: due whenever read. ``next_ask_book`` is
# one row: the generation, the setup and the evidence as JSON.
_V14 = (
    """CREATE TABLE next_ask (
    lead_id INTEGER PRIMARY KEY REFERENCES lead(id) ON DELETE CASCADE,
    gen INTEGER NOT NULL,
    stale INTEGER NOT NULL DEFAULT 0,
    computed_us INTEGER NOT NULL,
    valid_until_us INTEGER NOT NULL,
    rule TEXT NOT NULL,
    kind INTEGER REFERENCES next_ask_kind(id),
    due_us INTEGER,
    score REAL,
    warmth INTEGER,
    until_us INTEGER
    )""",
    """CREATE TABLE next_ask_kind (
    id INTEGER PRIMARY KEY,
    step TEXT NOT NULL,
    step_label TEXT NOT NULL,
    offer TEXT NOT NULL DEFAULT '',
    rule TEXT NOT NULL,
    UNIQUE (step, step_label, offer, rule)
    )""",
    "CREATE INDEX next_ask_rank ON next_ask(warmth DESC, score DESC, due_us) "
    "WHERE kind IS NOT NULL",
    """CREATE TABLE next_ask_book (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    gen INTEGER NOT NULL DEFAULT 1,
    setup TEXT,
    evidence TEXT,
    evidence_stale INTEGER NOT NULL DEFAULT 1
    )""",
    "INSERT INTO next_ask_book (id) VALUES (1)",
)


def _v14_stored_next_asks(db: SqliteDatabase) -> None:
    for statement in _V14:
        db.execute_sql(statement)


def _v15_lighter_indexes(db: SqliteDatabase) -> None:
    """No query reads leads by first name alone (the name sort uses ``lead_last_name``),
    and most yeses have no offer: an import stops paying for either."""
    db.execute_sql("DROP INDEX IF EXISTS lead_first_name")
    db.execute_sql("DROP INDEX IF EXISTS commitment_offer")
    db.execute_sql(
        "CREATE INDEX commitment_offer ON commitment(offer_id) WHERE offer_id IS NOT NULL"
    )


MIGRATIONS: list[Migration] = [
    _v1_initial,
    _v2_import_fingerprints,
    _v3_import_events_from_batches,
    _v4_forgotten_addresses,
    _v5_lead_other_emails,
    _v6_activity,
    _v7_tag_rules_and_interest,
    _v8_imported_sources,
    _v9_sales_and_bookings,
    _v10_segments,
    _v11_change_notes,
    _v12_bulk_changes,
    _v13_campaigns,
    _v14_stored_next_asks,
    _v15_lighter_indexes,
]
