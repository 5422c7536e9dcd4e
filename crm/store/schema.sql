-- The schema of a Smallyes book as it is today, declared once.
--
-- The migrations in migrations.py are its history and are never edited; this file is what
-- they build. tests/crm/store/test_schema.py migrates a new book, and books made at every
-- older version, and compares each with this declaration: a new migration comes with its
-- change here. The models in models.py name the columns the queries use.

CREATE TABLE activity_event (
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
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL,
    campaign_id INTEGER REFERENCES campaign(id) ON DELETE SET NULL
);

CREATE TABLE booking (
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
);

CREATE TABLE bulk_change (
    batch_id INTEGER PRIMARY KEY REFERENCES import_batch(id) ON DELETE CASCADE,
    verb TEXT NOT NULL,
    value TEXT NOT NULL DEFAULT '',
    what TEXT NOT NULL DEFAULT '',
    matched INTEGER NOT NULL DEFAULT 0,
    changed INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE bulk_deleted (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES import_batch(id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL,
    tbl TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE change_note (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    origin INTEGER NOT NULL,
    table_names TEXT NOT NULL,
    lead_ids TEXT,
    setting_keys TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE campaign (
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
);

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

CREATE TABLE commitment_answer (
    id INTEGER PRIMARY KEY,
    commitment_id INTEGER NOT NULL REFERENCES commitment(id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
);

CREATE TABLE forgotten_address (
    digest TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    forgotten_at DATETIME NOT NULL,
    pending INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

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
    undone_at DATETIME,
    kind TEXT NOT NULL DEFAULT 'subscribers'
);

CREATE TABLE import_source (
    digest INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES import_batch(id) ON DELETE CASCADE,
    rows INTEGER NOT NULL,
    ignored INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE import_change (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL REFERENCES import_batch(id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    before TEXT,
    after TEXT
);

CREATE TABLE interest_question (
    question TEXT PRIMARY KEY COLLATE NOCASE,
    created_at DATETIME NOT NULL
) WITHOUT ROWID;

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
    last_ask_at DATETIME,
    import_fp INTEGER
);

CREATE TABLE lead_event (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    at DATETIME NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    data TEXT NOT NULL DEFAULT '{}',
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
);

CREATE TABLE lead_other_email (
    id INTEGER PRIMARY KEY,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    created_at DATETIME NOT NULL,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
    );

CREATE TABLE lead_tag (
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tag(id) ON DELETE CASCADE,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL,
    PRIMARY KEY (lead_id, tag_id)
) WITHOUT ROWID;

CREATE TABLE offer (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind TEXT NOT NULL DEFAULT '',
    topics TEXT NOT NULL DEFAULT '',
    retired INTEGER NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    price INTEGER,
    currency TEXT NOT NULL DEFAULT '',
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
);

CREATE TABLE offer_link (
    id INTEGER PRIMARY KEY,
    offer_id INTEGER NOT NULL REFERENCES offer(id) ON DELETE CASCADE,
    prefix TEXT NOT NULL UNIQUE,
    step_id INTEGER REFERENCES step(id) ON DELETE SET NULL,
    created_at DATETIME NOT NULL
);

CREATE TABLE refund (
    id INTEGER PRIMARY KEY,
    sale_id INTEGER NOT NULL REFERENCES sale(id) ON DELETE CASCADE,
    at DATETIME NOT NULL,
    amount INTEGER NOT NULL,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
);

CREATE TABLE sale (
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
);

CREATE TABLE schema_version (version INTEGER NOT NULL);

CREATE TABLE segment (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    filter TEXT NOT NULL DEFAULT '{}',
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL
);

CREATE TABLE setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

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

CREATE TABLE next_ask (
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
);

CREATE TABLE next_ask_kind (
    id INTEGER PRIMARY KEY,
    step TEXT NOT NULL,
    step_label TEXT NOT NULL,
    offer TEXT NOT NULL DEFAULT '',
    rule TEXT NOT NULL,
    UNIQUE (step, step_label, offer, rule)
);

CREATE INDEX next_ask_rank ON next_ask(warmth DESC, score DESC, due_us) WHERE kind IS NOT NULL;

CREATE TABLE next_ask_book (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    gen INTEGER NOT NULL DEFAULT 1,
    setup TEXT,
    evidence TEXT,
    evidence_stale INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE suggestion_snooze (
    lead_id INTEGER PRIMARY KEY REFERENCES lead(id) ON DELETE CASCADE,
    until DATETIME NOT NULL,
    kind TEXT NOT NULL DEFAULT 'snooze'
);

CREATE TABLE tag_rule (
    id INTEGER PRIMARY KEY,
    pattern TEXT NOT NULL UNIQUE COLLATE NOCASE,
    step_id INTEGER NOT NULL REFERENCES step(id) ON DELETE CASCADE,
    offer_id INTEGER REFERENCES offer(id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL
);

CREATE TABLE tag_rule_yes (
    rule_id INTEGER NOT NULL REFERENCES tag_rule(id) ON DELETE CASCADE,
    lead_id INTEGER NOT NULL REFERENCES lead(id) ON DELETE CASCADE,
    commitment_id INTEGER REFERENCES commitment(id) ON DELETE SET NULL,
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL,
    PRIMARY KEY (rule_id, lead_id)
) WITHOUT ROWID;

CREATE TABLE tag (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- the import that created the tag, so undoing it removes tags nobody else uses
    batch_id INTEGER REFERENCES import_batch(id) ON DELETE SET NULL
);

CREATE INDEX activity_event_batch ON activity_event(batch_id);

CREATE INDEX activity_event_commitment ON activity_event(commitment_id)
    WHERE commitment_id IS NOT NULL;

CREATE INDEX activity_event_lead ON activity_event(lead_id, action, at);

CREATE INDEX ask_campaign ON ask(campaign_id) WHERE campaign_id IS NOT NULL;

CREATE INDEX ask_lead ON ask(lead_id, asked_at);

CREATE INDEX ask_step ON ask(step_id, outcome);

CREATE INDEX booking_batch ON booking(batch_id);

CREATE INDEX booking_commitment ON booking(commitment_id) WHERE commitment_id IS NOT NULL;

CREATE INDEX booking_lead ON booking(lead_id, booked_at);

CREATE INDEX commitment_answer_commitment ON commitment_answer(commitment_id);

CREATE INDEX commitment_answer_lead ON commitment_answer(lead_id);

CREATE INDEX bulk_deleted_batch ON bulk_deleted(batch_id, tbl, lead_id);

CREATE INDEX commitment_ask ON commitment(ask_id) WHERE ask_id IS NOT NULL;

CREATE INDEX commitment_batch ON commitment(batch_id);

CREATE INDEX commitment_lead ON commitment(lead_id, at);

CREATE INDEX commitment_offer ON commitment(offer_id) WHERE offer_id IS NOT NULL;

CREATE INDEX commitment_step ON commitment(step_id, at);

CREATE INDEX import_change_batch ON import_change(batch_id);

CREATE INDEX import_change_lead ON import_change(lead_id);

CREATE INDEX import_source_batch ON import_source(batch_id);

CREATE INDEX lead_batch ON lead(batch_id);

CREATE INDEX lead_company ON lead(company COLLATE NOCASE);

CREATE INDEX lead_created_at ON lead(created_at, id, search_text);

CREATE INDEX lead_last_commitment_at ON lead(last_commitment_at, id, search_text);

CREATE INDEX lead_last_name ON lead(last_name COLLATE NOCASE, first_name COLLATE NOCASE, id,
                                    search_text);

CREATE INDEX lead_level ON lead(level);

CREATE INDEX lead_source ON lead(source);

CREATE INDEX lead_status ON lead(status);

CREATE INDEX lead_event_batch ON lead_event(batch_id);

CREATE INDEX lead_event_lead ON lead_event(lead_id, at);

CREATE INDEX lead_other_email_batch ON lead_other_email(batch_id);

CREATE INDEX lead_other_email_lead ON lead_other_email(lead_id);

CREATE INDEX offer_link_offer ON offer_link(offer_id);

CREATE INDEX refund_batch ON refund(batch_id);

CREATE INDEX refund_sale ON refund(sale_id);

CREATE INDEX sale_batch ON sale(batch_id);

CREATE INDEX sale_commitment ON sale(commitment_id) WHERE commitment_id IS NOT NULL;

CREATE INDEX sale_lead ON sale(lead_id, at);

CREATE INDEX sale_source ON sale(platform, source_id) WHERE source_id != '';

CREATE INDEX lead_tag_tag ON lead_tag(tag_id, lead_id);

CREATE TRIGGER lead_import_fp_yes_deleted AFTER DELETE ON commitment
    BEGIN UPDATE lead SET import_fp = NULL WHERE id = OLD.lead_id AND import_fp IS NOT NULL; END;

CREATE TRIGGER lead_import_fp_yes_moved AFTER UPDATE OF lead_id, step_id, at ON commitment
    BEGIN
      UPDATE lead SET import_fp = NULL
       WHERE id IN (OLD.lead_id, NEW.lead_id) AND import_fp IS NOT NULL;
    END;

CREATE TRIGGER lead_import_fp_edited
    AFTER UPDATE OF email, email_key, first_name, last_name, company, phone, notes, status,
                    custom ON lead
    WHEN OLD.import_fp IS NOT NULL AND NEW.import_fp IS OLD.import_fp
    BEGIN UPDATE lead SET import_fp = NULL WHERE id = NEW.id; END;

CREATE TRIGGER lead_import_fp_other_email_removed AFTER DELETE ON lead_other_email
    BEGIN UPDATE lead SET import_fp = NULL WHERE id = OLD.lead_id AND import_fp IS NOT NULL; END;

CREATE TRIGGER lead_import_fp_untagged AFTER DELETE ON lead_tag
    BEGIN UPDATE lead SET import_fp = NULL WHERE id = OLD.lead_id AND import_fp IS NOT NULL; END;

CREATE TRIGGER lead_import_fp_tag_renamed AFTER UPDATE OF name ON tag
    BEGIN
      UPDATE lead SET import_fp = NULL
       WHERE import_fp IS NOT NULL AND id IN (SELECT lead_id FROM lead_tag WHERE tag_id = NEW.id);
    END;

CREATE INDEX tag_rule_yes_commitment ON tag_rule_yes(commitment_id)
    WHERE commitment_id IS NOT NULL;

CREATE INDEX tag_rule_yes_batch ON tag_rule_yes(batch_id);

CREATE INDEX tag_rule_yes_lead ON tag_rule_yes(lead_id);
