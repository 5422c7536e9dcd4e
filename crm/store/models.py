"""peewee models over the schema in ``crm.store.migrations``.

The models describe tables the migrations create; they never create tables themselves.
Query functions in the owning modules turn rows into frozen dataclasses before they leave
``crm``: a model instance must never reach the UI, where touching a field could run SQL.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    CompositeKey,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database_proxy = DatabaseProxy()


class BaseModel(Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class ImportBatch(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    file_name = TextField()
    platform = TextField()
    encoding = TextField(default="")
    delimiter = TextField(default="")
    on_duplicate = TextField(default="fill")
    tag = TextField(default="")
    rows = IntegerField(default=0)
    created = IntegerField(default=0)
    updated = IntegerField(default=0)
    unchanged = IntegerField(default=0)
    rejected = IntegerField(default=0)
    duplicates_in_file = IntegerField(default=0)
    warnings = IntegerField(default=0)
    started_at = DateTimeField()
    finished_at = DateTimeField(null=True)
    undone_at = DateTimeField(null=True)


class Lead(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    email = TextField()
    email_key = TextField(unique=True)
    first_name = TextField(default="")
    last_name = TextField(default="")
    company = TextField(default="")
    phone = TextField(default="")
    source = TextField(default="manual")
    status = TextField(default="none")
    do_not_contact = BooleanField(default=False)
    notes = TextField(default="")
    custom = TextField(default="{}")  # JSON object of custom fields
    search_text = TextField(default="")  # casefolded name, email and company for search
    created_at = DateTimeField()
    updated_at = DateTimeField()
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", column_name="batch_id")
    level = IntegerField(default=0)
    last_commitment_at = DateTimeField(null=True)
    last_ask_at = DateTimeField(null=True)
    import_fp = IntegerField(null=True)  # the imported record it reflects (crm.store.migrations v2)


class Tag(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    name = CharField(unique=True)
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", column_name="batch_id")


class LeadTag(BaseModel):
    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    tag = ForeignKeyField(Tag, on_delete="CASCADE", column_name="tag_id")
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", column_name="batch_id")

    class Meta:
        primary_key = CompositeKey("lead", "tag")
        table_name = "lead_tag"


class Step(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    key = TextField(unique=True)
    label = TextField()
    level = IntegerField()
    major = BooleanField(default=False)
    description = TextField(default="")
    ask_subject = TextField(default="")
    ask_body = TextField(default="")


class Offer(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    name = TextField(unique=True)
    kind = TextField(default="")
    topics = TextField(default="")  # comma-separated topic tags
    retired = BooleanField(default=False)
    created_at = DateTimeField()


class Ask(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    step = ForeignKeyField(Step, column_name="step_id")
    offer = ForeignKeyField(Offer, null=True, column_name="offer_id")
    asked_at = DateTimeField()
    outcome = TextField(default="pending")
    resolved_at = DateTimeField(null=True)
    note = TextField(default="")
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", column_name="batch_id")


class Commitment(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    step = ForeignKeyField(Step, column_name="step_id")
    offer = ForeignKeyField(Offer, null=True, column_name="offer_id")
    ask = ForeignKeyField(Ask, null=True, on_delete="SET NULL", column_name="ask_id")
    at = DateTimeField()
    source = TextField(default="manual")
    note = TextField(default="")
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", column_name="batch_id")


class LeadEvent(BaseModel):
    """Timeline entries that are not yeses or asks: status changes, notes, imports."""

    id = AutoField()  # declared so type checkers see it; peewee adds the same

    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    at = DateTimeField()
    kind = TextField()  # 'status' | 'note' | 'import' | 'created'
    summary = TextField(default="")
    data = TextField(default="{}")
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", column_name="batch_id")

    class Meta:
        table_name = "lead_event"


class ImportChange(BaseModel):
    """A before-image of one field an import changed, so the import can be undone."""

    id = AutoField()  # declared so type checkers see it; peewee adds the same

    batch = ForeignKeyField(ImportBatch, on_delete="CASCADE", column_name="batch_id")
    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    field = TextField()
    before = TextField(null=True)
    after = TextField(null=True)

    class Meta:
        table_name = "import_change"


class LeadOtherEmail(BaseModel):
    """Another address of a lead (crm.book.other_emails); unique across every lead's addresses."""

    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    email = TextField()
    email_key = TextField(unique=True)
    created_at = DateTimeField()
    batch = ForeignKeyField(ImportBatch, null=True, on_delete="SET NULL", column_name="batch_id")

    class Meta:
        table_name = "lead_other_email"


class Setting(BaseModel):
    key = TextField(primary_key=True)
    value = TextField()  # JSON


class SuggestionSnooze(BaseModel):
    """A lead kept off Today's asks until a date ('snooze' or 'skip')."""

    lead = ForeignKeyField(Lead, primary_key=True, on_delete="CASCADE", column_name="lead_id")
    until = DateTimeField()
    kind = TextField(default="snooze")

    class Meta:
        table_name = "suggestion_snooze"


ALL_MODELS = [
    ImportBatch,
    Lead,
    Tag,
    LeadTag,
    Step,
    Offer,
    Ask,
    Commitment,
    LeadEvent,
    ImportChange,
    LeadOtherEmail,
    Setting,
    SuggestionSnooze,
]
