"""Column mapping: which lead field each CSV column feeds.

A mapping is one ``ColumnMap`` per column, by position (header names may repeat). The
platform presets fill it without asking; generic files are mapped by header name with
English, German, French and Spanish synonyms. Every column that maps to nothing else is
kept as a custom field under its header name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum


class Target(StrEnum):
    EMAIL = "email"
    OTHER_EMAIL = "other_email"  # another address of the same person (crm.book.other_emails)
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    FULL_NAME = "full_name"
    COMPANY = "company"
    PHONE = "phone"
    NOTES = "notes"
    TAGS = "tags"
    STATUS = "status"
    CONSENT_AT = "consent_at"  # a sign-up / subscription date
    CONFIRM_AT = "confirm_at"
    OPTIN_AT = "optin_at"
    CREATED_AT = "created_at"
    UNSUBSCRIBED_AT = "unsubscribed_at"
    BOUNCED_AT = "bounced_at"
    CUSTOM = "custom"
    IGNORE = "ignore"
    # The columns of a generic activity file (who did what, when): with EMAIL (and STATUS,
    # read as the action), the only targets such a file's mapping has
    # (crm.importing.activity.generic).
    TIME = "time"
    URL = "url"
    ACTION = "action"
    CAMPAIGN = "campaign"
    # A sale's or a booking's in a generic activity file (crm.importing.activity.generic_sales).
    AMOUNT = "amount"
    CURRENCY = "currency"
    REFUNDED = "refunded"
    PRODUCT = "product"
    ORDER = "order"  # the sale's or booking's own id
    STARTS = "starts"  # a booking's meeting time


TARGET_LABELS = {
    Target.EMAIL: "Email",
    Target.OTHER_EMAIL: "Other email",
    Target.FIRST_NAME: "First name",
    Target.LAST_NAME: "Last name",
    Target.FULL_NAME: "Full name",
    Target.COMPANY: "Company",
    Target.PHONE: "Phone",
    Target.NOTES: "Notes",
    Target.TAGS: "Tags",
    Target.STATUS: "Status",
    Target.CONSENT_AT: "Signed up at",
    Target.CONFIRM_AT: "Confirmed at",
    Target.OPTIN_AT: "Opted in at",
    Target.CREATED_AT: "Created at",
    Target.UNSUBSCRIBED_AT: "Unsubscribed at",
    Target.BOUNCED_AT: "Bounced at",
    Target.CUSTOM: "Custom field",
    Target.IGNORE: "Ignore",
    Target.TIME: "When they did it",
    Target.URL: "Link they clicked",
    Target.ACTION: "What they did",
    Target.CAMPAIGN: "Campaign or form",
    Target.AMOUNT: "Amount paid",
    Target.CURRENCY: "Currency",
    Target.REFUNDED: "Amount refunded",
    Target.PRODUCT: "Product or event type",
    Target.ORDER: "Order or booking id",
    Target.STARTS: "Meeting time",
}

# A mapping with one of these is an activity file's (see Target.TIME).
ACTIVITY_TARGETS = frozenset(
    {
        Target.TIME,
        Target.URL,
        Target.ACTION,
        Target.CAMPAIGN,
        Target.AMOUNT,
        Target.CURRENCY,
        Target.REFUNDED,
        Target.PRODUCT,
        Target.ORDER,
        Target.STARTS,
    }
)
# What a column of an activity file can go to, in the order the import window offers them.
ACTIVITY_CHOICES = (
    Target.EMAIL,
    Target.TIME,
    Target.URL,
    Target.ACTION,
    Target.CAMPAIGN,
    Target.AMOUNT,
    Target.CURRENCY,
    Target.REFUNDED,
    Target.PRODUCT,
    Target.ORDER,
    Target.STARTS,
    Target.IGNORE,
)


def is_activity_mapping(mapping: Sequence[ColumnMap]) -> bool:
    """Whether a mapping is an activity file's: it names when, what or where."""
    return any(c.target in ACTIVITY_TARGETS for c in mapping)


DATE_TARGETS = frozenset(
    {
        Target.CONSENT_AT,
        Target.CONFIRM_AT,
        Target.OPTIN_AT,
        Target.CREATED_AT,
        Target.UNSUBSCRIBED_AT,
        Target.BOUNCED_AT,
    }
)
# Fields a lead has one of: a second column mapped there is kept as a custom field.
SINGLE_TARGETS = frozenset(
    {
        Target.EMAIL,
        Target.FIRST_NAME,
        Target.LAST_NAME,
        Target.FULL_NAME,
        Target.COMPANY,
        Target.PHONE,
        Target.NOTES,
    }
)


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Where one column goes. ``parse`` says how its cells are read (tag style, status
    vocabulary, day/month order); ``custom_name`` names the custom field."""

    index: int
    header: str
    target: Target
    parse: str = ""
    custom_name: str = ""

    @property
    def field_name(self) -> str:
        """The custom-field key this column's raw text is kept under."""
        return self.custom_name or self.header or f"column {self.index + 1}"

    def retarget(self, target: Target, custom_name: str = "") -> ColumnMap:
        """The same column sent elsewhere; a platform parse hint only survives for its target."""
        parse = self.parse if target == self.target else ""
        return replace(self, target=target, parse=parse, custom_name=custom_name)


Mapping = tuple[ColumnMap, ...]


def fold(header: str) -> str:
    """A header compared loosely: accents dropped, case folded, separators unified."""
    text = unicodedata.normalize("NFKD", header)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[\s_\-.:/()]+", " ", text).strip()


def _table(**groups: str) -> dict[str, Target]:
    out: dict[str, Target] = {}
    for target, words in groups.items():
        for word in words.split("|"):
            out[fold(word)] = Target(target)
    return out


SYNONYMS = _table(
    email=(
        "email|e-mail|e mail|email address|e-mail address|emailaddress|mail|email 1|"
        "subscriber|subscriber email|primary email|work email|"
        "e-mail-adresse|email-adresse|e-mail adresse|mailadresse|"
        "courriel|adresse e-mail|adresse email|adresse courriel|mél|"
        "correo|correo electrónico|correo electronico|email principal"
    ),
    other_email=(
        "other email|other emails|other e-mail|secondary email|second email|alternate email|"
        "alternative email|additional email|email 2|e-mail 2|email 3|e-mail 3|"
        "email 2 address|e-mail 2 address|email 3 address|e-mail 3 address|"
        "weitere e-mail|zweite e-mail|weitere e-mail-adresse|autre e-mail|autre courriel|"
        "adresse e-mail secondaire|otro correo|correo secundario|correo alternativo"
    ),
    first_name=(
        "first name|firstname|first|given name|forename|fname|"
        "vorname|prénom|prenom|nombre|nombre de pila"
    ),
    last_name=(
        "last name|lastname|last|surname|family name|lname|"
        "nachname|familienname|nom|nom de famille|apellido|apellidos"
    ),
    full_name="name|full name|fullname|display name|contact name|vollständiger name|nom complet|"
    "nombre completo",
    company=(
        "company|company name|organization|organisation|organization name|business|"
        "firma|unternehmen|société|societe|entreprise|empresa|compañía|compania"
    ),
    phone=(
        "phone|phone number|telephone|tel|mobile|mobile phone|cell|"
        "telefon|telefonnummer|handy|mobil|téléphone|telephone portable|portable|"
        "teléfono|telefono|móvil|movil|celular"
    ),
    notes="notes|note|comment|comments|notiz|notizen|bemerkung|anmerkung|remarque|remarques|"
    "commentaire|nota|notas|comentario|comentarios",
    tags="tags|tag|labels|label|groups|segments|schlagwörter|stichwörter|étiquettes|etiquettes|"
    "etiquetas|etiqueta",
    status="status|state|subscription status|subscriber status|estado|statut",
    consent_at=(
        "subscribed|subscribed at|subscription date|signup date|sign up date|signed up|"
        "opt in date|optin date|date subscribed|angemeldet am|anmeldedatum|"
        "date d'inscription|date inscription|inscrit le|fecha de suscripción|"
        "fecha de suscripcion|fecha de alta"
    ),
    confirm_at="confirm time|confirmed at|confirmation date",
    optin_at="optin time|opt in time|opted in at",
    created_at="created|created at|creation date|date created|date added|added|erstellt|"
    "erstellt am|date de création|date de creation|fecha de creación|fecha de creacion",
    unsubscribed_at="unsubscribed at|unsubscribe date|unsubscription date|unsubscribed date|"
    "abgemeldet am|date de désinscription|fecha de baja",
)


# A consent column: a header that names the newsletter or the permission to write, whose
# cells say yes or no. Words are matched inside the folded header ("Newsletter abonniert",
# "accepts email marketing"); a negative header ("Unsubscribed", "Newsletter abgemeldet")
# says the opposite: its yes is an unsubscribe, its no says nothing of consent.
CONSENT_WORDS = (
    "newsletter", "opt in", "optin", "consent", "marketing", "permission", "mailing",
    "subscri", "einwilligung", "abonn", "anmeldung", "werbung", "gdpr", "dsgvo", "rgpd",
    "inscri", "consentement", "suscri", "consentimiento", "boletin", "accepts email",
)  # fmt: skip
NEGATED_WORDS = (
    "unsub", "opt out", "optout", "opted out", "abgemeldet", "abmeld", "desabonn",
    "desinscri", "baja", "do not", "dont", "no email", "no mail", "blacklist", "blocklist",
    "kein", "pas de", "sin ",
)  # fmt: skip
# The cell words of a consent column, lower-cased (as the status reader compares them).
YES_WORDS = frozenset(
    "yes y ja j oui sí si true wahr vrai verdadero 1 x ✓ ✔ opted-in opted_in".split()
)
NO_WORDS = frozenset("no n nein non false falsch faux falso 0 opted-out opted_out".split())


def consent_parse(header: str) -> str:
    """The status vocabulary a column named ``header`` reads as consent with:
    "consent", "consent-negated", or "" when the header names no consent."""
    text = fold(header)
    if any(word in text for word in NEGATED_WORDS):
        return "consent-negated"
    if any(word in text for word in CONSENT_WORDS):
        return "consent"
    return ""


def _says_yes_or_no(samples: Sequence[Sequence[str]], index: int) -> bool:
    values = {
        row[index].strip().lower() for row in samples if index < len(row) and row[index].strip()
    }
    return bool(values) and values <= YES_WORDS | NO_WORDS


def generic_mapping(headers: Sequence[str], samples: Sequence[Sequence[str]]) -> Mapping:
    """Map columns by header synonyms; the email column may also be found by its values,
    a consent column by its header and its yes/no values."""
    taken: set[Target] = set()
    columns: list[ColumnMap] = []
    for index, header in enumerate(headers):
        target = SYNONYMS.get(fold(header), Target.CUSTOM)
        if target in SINGLE_TARGETS and target in taken:
            target = Target.CUSTOM
        parse = "any" if target is Target.STATUS else ""
        if target not in SINGLE_TARGETS and target is not Target.TAGS:
            consent = consent_parse(header)
            if consent and _says_yes_or_no(samples, index):
                target, parse = Target.STATUS, consent
        taken.add(target)
        columns.append(ColumnMap(index, header, target, parse))
    if Target.EMAIL not in taken:
        found = email_column_by_values(samples, len(headers))
        if found is not None:
            columns[found] = columns[found].retarget(Target.EMAIL)
    if Target.FULL_NAME in taken and Target.LAST_NAME in taken and Target.FIRST_NAME not in taken:
        # "Name" beside "Last name" is the first name (MailerLite's fields, many forms')
        columns = [
            c.retarget(Target.FIRST_NAME) if c.target is Target.FULL_NAME else c for c in columns
        ]
    return tuple(columns)


def email_column_by_values(samples: Sequence[Sequence[str]], width: int) -> int | None:
    """The column whose sampled values are mostly addresses, if one is."""
    best, best_share = None, 0.5
    for index in range(width):
        values = [row[index].strip() for row in samples if index < len(row) and row[index].strip()]
        if not values:
            continue
        share = sum(1 for v in values if "@" in v and "." in v.rsplit("@", 1)[-1]) / len(values)
        if share > best_share:
            best, best_share = index, share
    return best


def with_unnamed_empty_ignored(mapping: Mapping, samples_empty: Sequence[bool]) -> Mapping:
    """Rule 4: an unnamed column that is empty everywhere is ignored, not a custom field."""
    return tuple(
        c.retarget(Target.IGNORE)
        if not c.header and c.index < len(samples_empty) and samples_empty[c.index]
        else c
        for c in mapping
    )
