"""A lead's other addresses: the second and third e-mail an address book keeps.

An address is one person's: it is either a lead's own email or one lead's other address,
never both, and never two leads'. Imports match a record by either kind
(``crm.importing``), the lead list's search finds a lead by either, and Forget this person
erases them with the rest (``crm.safety.forget``). Query functions return plain strings.
"""

from __future__ import annotations

import datetime as dt

from crm.book.emails import check_email
from crm.changes import note
from crm.errors import DuplicateError, NotFoundError, ValidationError
from crm.store.models import Lead, LeadOtherEmail, database_proxy

# A lead's other addresses as one column of a lead query (``l`` is the lead), joined by
# the unit separator, in the order they were added.
OTHER_EMAILS_COLUMN = (
    "(SELECT group_concat(o.email, char(31)) FROM lead_other_email o WHERE o.lead_id = l.id)"
)
# A search clause: the lead has an other address matching a LIKE pattern (one parameter).
SEARCH_CLAUSE = (
    "l.id IN (SELECT o.lead_id FROM lead_other_email o WHERE o.email_key LIKE ? ESCAPE '\\')"
)
SEARCH_CLAUSE_LONG = (
    "l.id IN (SELECT o.lead_id FROM lead_other_email o WHERE instr(o.email_key, ?))"
)
MAX_PER_LEAD = 50  # an address book keeps a handful; a runaway script is stopped here


def split_other_emails(text: str | None) -> tuple[str, ...]:
    """The addresses of an ``OTHER_EMAILS_COLUMN`` value."""
    return tuple(text.split("\x1f")) if text else ()


def owner_of(key: str) -> int | None:
    """The id of the lead that has this address (a lower-cased key) as an other address."""
    row = database_proxy.execute_sql(
        "SELECT lead_id FROM lead_other_email WHERE email_key = ?", [key]
    ).fetchone()
    return int(row[0]) if row else None


def list_other_emails(lead_id: int) -> tuple[str, ...]:
    """A lead's other addresses, in the order they were added."""
    rows = database_proxy.execute_sql(
        "SELECT email FROM lead_other_email WHERE lead_id = ? ORDER BY id", [lead_id]
    ).fetchall()
    return tuple(r[0] for r in rows)


def other_email_owners() -> dict[str, str]:
    """Every other address (key) with its lead's own email key: an import matches a record
    by either with one lookup per record, read once per import."""
    rows = database_proxy.execute_sql(
        "SELECT o.email_key, l.email_key FROM lead_other_email o JOIN lead l ON l.id = o.lead_id"
    )
    return {str(other): str(own) for other, own in rows}


def _lead(lead_id: int) -> tuple[str, str]:
    row = database_proxy.execute_sql(
        "SELECT email_key, status FROM lead WHERE id = ?", [lead_id]
    ).fetchone()
    if row is None:
        raise NotFoundError("That lead no longer exists: it may have been deleted.")
    if row[1] == "erased":
        raise ValidationError("That person was forgotten: nothing can be added to them.")
    return str(row[0]), str(row[1])


def add_other_email(lead_id: int, email: str, *, now: dt.datetime) -> str:
    """Give a lead another address; return it as stored. An address that is already
    someone's (a lead's own email, or another lead's other address) is refused."""
    note(tables=["lead_other_email", "lead_event"], leads=[lead_id])
    checked = check_email(email)
    own_key, _ = _lead(lead_id)
    if checked.key == own_key:
        raise ValidationError(
            f"'{checked.address}' is this lead's own email already: there is nothing to add."
        )
    with database_proxy.atomic():
        other = database_proxy.execute_sql(
            "SELECT email FROM lead WHERE email_key = ?", [checked.key]
        ).fetchone()
        if other is not None:
            raise DuplicateError(
                f"'{checked.address}' is the email of another lead: open that lead instead, "
                "or give a different address."
            )
        owner = owner_of(checked.key)
        if owner == lead_id:
            return checked.address
        if owner is not None:
            owner_email = database_proxy.execute_sql(
                "SELECT email FROM lead WHERE id = ?", [owner]
            ).fetchone()[0]
            raise DuplicateError(
                f"'{checked.address}' is already an address of the lead {owner_email}: "
                "remove it there first."
            )
        count = database_proxy.execute_sql(
            "SELECT count(*) FROM lead_other_email WHERE lead_id = ?", [lead_id]
        ).fetchone()[0]
        if count >= MAX_PER_LEAD:
            raise ValidationError(
                f"A lead can have at most {MAX_PER_LEAD} other addresses: remove one first."
            )
        LeadOtherEmail.create(
            lead=lead_id, email=checked.address, email_key=checked.key, created_at=now
        )
        Lead.update(updated_at=now).where(Lead.id == lead_id).execute()
    return checked.address


def remove_other_email(lead_id: int, email: str, *, now: dt.datetime) -> None:
    """Take an other address off a lead."""
    note(tables=["lead_other_email", "lead_event"], leads=[lead_id])
    key = email.strip().lower()
    with database_proxy.atomic():
        cursor = database_proxy.execute_sql(
            "DELETE FROM lead_other_email WHERE lead_id = ? AND email_key = ?", [lead_id, key]
        )
        if not cursor.rowcount:
            raise NotFoundError(
                f"'{email.strip()}' is not one of this lead's other addresses: check the address."
            )
        Lead.update(updated_at=now).where(Lead.id == lead_id).execute()
