"""peewee models for the tables the domain queries through peewee.

The schema itself is declared in ``schema.sql`` (built by the migrations); these models
name the columns of the tables that peewee queries touch and never create tables (a test
checks every field is a declared column). Most queries are plain SQL through
``database_proxy``.
Query functions in the owning modules turn rows into frozen dataclasses before they leave
``crm``: a model instance must never reach the UI, where touching a field could run SQL.
"""

from __future__ import annotations

from peewee import (
    AutoField,
    BooleanField,
    CharField,
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
    batch = IntegerField(null=True, column_name="batch_id")
    level = IntegerField(default=0)
    last_commitment_at = DateTimeField(null=True)
    last_ask_at = DateTimeField(null=True)
    import_fp = IntegerField(null=True)  # the imported record it reflects (crm.store.migrations v2)


class Tag(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    name = CharField(unique=True)
    batch = IntegerField(null=True, column_name="batch_id")


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
    price = IntegerField(null=True)  # a product's price in its currency's minor units
    currency = TextField(default="")
    batch = IntegerField(null=True, column_name="batch_id")  # the import that made it


class Ask(BaseModel):
    id = AutoField()  # declared so type checkers see it; peewee adds the same
    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    step = ForeignKeyField(Step, column_name="step_id")
    offer = ForeignKeyField(Offer, null=True, column_name="offer_id")
    asked_at = DateTimeField()
    outcome = TextField(default="pending")
    resolved_at = DateTimeField(null=True)
    note = TextField(default="")
    batch = IntegerField(null=True, column_name="batch_id")
    campaign = IntegerField(null=True, column_name="campaign_id")  # crm.asking.campaigns


class LeadEvent(BaseModel):
    """Timeline entries that are not yeses or asks: status changes, notes, imports."""

    id = AutoField()  # declared so type checkers see it; peewee adds the same

    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    at = DateTimeField()
    kind = TextField()  # 'status' | 'note' | 'import' | 'created'
    summary = TextField(default="")
    data = TextField(default="{}")
    batch = IntegerField(null=True, column_name="batch_id")

    class Meta:
        table_name = "lead_event"


class LeadOtherEmail(BaseModel):
    """Another address of a lead (crm.book.other_emails); unique across every lead's addresses."""

    lead = ForeignKeyField(Lead, on_delete="CASCADE", column_name="lead_id")
    email = TextField()
    email_key = TextField(unique=True)
    created_at = DateTimeField()
    batch = IntegerField(null=True, column_name="batch_id")

    class Meta:
        table_name = "lead_other_email"
