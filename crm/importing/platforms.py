"""Recognising a newsletter platform from a header, and its preset mapping.

The rules in ``RULES`` run in order and the first match wins. Detection looks
at the header only, never at the file name. Steps 1-10 are verified layouts and apply
without asking; Brevo, MailerLite, Kit, Flodesk, EmailOctopus and generic files are
heuristic: the mapping is shown for the user to confirm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crm.book.leads import LeadStatus
from crm.importing.labels import PLATFORM_LABELS
from crm.importing.mapping import (
    NO_WORDS,
    YES_WORDS,
    ColumnMap,
    Mapping,
    Target,
    fold,
    generic_mapping,
)

S = LeadStatus

PLATFORMS = (
    "mailchimp",
    "substack",
    "ghost",
    "buttondown",
    "beehiiv",
    "mailerlite",
    "brevo",
    "kit",
    "emailoctopus",
    "flodesk",
    "google",
    "outlook",
    "generic",
)
HEURISTIC = frozenset({"brevo", "mailerlite", "kit", "flodesk", "emailoctopus", "generic"})
ADDRESS_BOOKS = frozenset({"google", "outlook"})

# Status vocabularies, by the ``parse`` hint of a STATUS column. None = no opinion.
STATUS_MAPS: dict[str, dict[str, LeadStatus | None]] = {
    "buttondown": {
        **dict.fromkeys(
            "regular premium gifted trialed past_due paused churning unpaid".split(), S.SUBSCRIBED
        ),
        "unactivated": S.PENDING,
        "unsubscribed": S.UNSUBSCRIBED,
        "churned": S.UNSUBSCRIBED,
        "undeliverable": S.BOUNCED,
        "complained": S.COMPLAINED,
    },
    "beehiiv": {
        "active": S.SUBSCRIBED,
        "inactive": S.UNSUBSCRIBED,
        "pending": S.PENDING,
        "validating": S.PENDING,
        "invalid": S.BOUNCED,
    },
    "kit": {
        "active": S.SUBSCRIBED,
        "confirmed": S.SUBSCRIBED,
        "cold": S.SUBSCRIBED,
        "inactive": S.PENDING,
        "unconfirmed": S.PENDING,
        "cancelled": S.UNSUBSCRIBED,
        "canceled": S.UNSUBSCRIBED,
        "bounced": S.BOUNCED,
        "complained": S.COMPLAINED,
    },
    "mailerlite": {
        "active": S.SUBSCRIBED,
        "unsubscribed": S.UNSUBSCRIBED,
        "unconfirmed": S.PENDING,
        "bounced": S.BOUNCED,
        "junk": S.COMPLAINED,
    },
    "emailoctopus": {
        "subscribed": S.SUBSCRIBED,
        "unsubscribed": S.UNSUBSCRIBED,
        "pending": S.PENDING,
        "bounced": S.BOUNCED,
        "complained": S.COMPLAINED,
    },
    "flodesk": {
        "active": S.SUBSCRIBED,
        "unsubscribed": S.UNSUBSCRIBED,
        "unconfirmed": S.PENDING,
        "bounced": S.BOUNCED,
        "complained": S.COMPLAINED,
        "cleaned": S.BOUNCED,
        "archived": S.UNSUBSCRIBED,
    },
    # Booleans: "subscribed" means true is subscribed; "disabled" means true unsubscribes.
    "bool-subscribed": {"true": S.SUBSCRIBED, "false": S.UNSUBSCRIBED},
    "bool-disabled": {"true": S.UNSUBSCRIBED, "false": None},
    "brevo-blocklist": {
        **dict.fromkeys("true yes 1 oui ja".split(), S.UNSUBSCRIBED),
        **dict.fromkeys("false no 0 non nein".split(), None),
    },
    "brevo-doi": {
        **dict.fromkeys("yes 1 true oui ja".split(), S.SUBSCRIBED),
        **dict.fromkeys("no 2 false non nein".split(), S.PENDING),
    },
}
# Any status word a generic file may use, in English, German, French and Spanish.
STATUS_MAPS["any"] = {
    **{k: v for m in STATUS_MAPS.values() for k, v in m.items() if not k.isdigit()},
    **dict.fromkeys(
        "subscribed subscriber yes ja oui sí si abonniert angemeldet abonné abonne "
        "suscrito activo actif aktiv opted-in opted_in".split(),
        S.SUBSCRIBED,
    ),
    **dict.fromkeys(
        "unsubscribed abgemeldet désabonné desabonne désinscrit baja opted-out opted_out".split(),
        S.UNSUBSCRIBED,
    ),
    **dict.fromkeys("no nein non none contact kontakt".split(), S.NONE),
    "false": None,
    "true": None,
    "cleaned": S.BOUNCED,
    "hard bounce": S.BOUNCED,
    "pending": S.PENDING,
    "complained": S.COMPLAINED,
}
# A consent column (see ``mapping.consent_parse``): a yes is consent, a no withdraws it.
# Status words are still read, so a "Subscription status" column keeps its meaning.
STATUS_MAPS["consent"] = {
    **STATUS_MAPS["any"],
    **dict.fromkeys(YES_WORDS, S.SUBSCRIBED),
    **dict.fromkeys(NO_WORDS, S.UNSUBSCRIBED),
}
STATUS_MAPS["consent-negated"] = {
    **STATUS_MAPS["any"],
    **dict.fromkeys(YES_WORDS, S.UNSUBSCRIBED),
    **dict.fromkeys(NO_WORDS, None),
}


@dataclass(frozen=True, slots=True)
class Detection:
    """What a header says: the platform, the file variant and the preset mapping."""

    platform: str
    variant: str
    mapping: Mapping
    default_status: LeadStatus  # when no column says otherwise
    status_raw: str  # the platform's own word for that default (kept as a custom field)
    source: str  # lead.source for leads this file creates
    heuristic: bool

    @property
    def label(self) -> str:
        base = PLATFORM_LABELS[self.platform]
        return f"{base} ({self.variant})" if self.variant else base


class _Header:
    """Header lookups: exact, case-insensitive and loose (accents, separators)."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        self.lower = {n.lower() for n in names}
        self.exact = set(names)

    def has(self, *names: str) -> bool:
        return all(n.lower() in self.lower for n in names)

    def any(self, *names: str) -> bool:
        return any(n.lower() in self.lower for n in names)


def _preset(
    headers: Sequence[str], table: dict[str, tuple[Target, str]], *, case: bool = False
) -> Mapping:
    """Map known headers; everything else becomes a custom field."""
    out = []
    seen: set[Target] = set()
    for index, header in enumerate(headers):
        key = header if case else header.lower()
        target, parse = table.get(key, (Target.CUSTOM, ""))
        if target in seen and target in (Target.EMAIL, Target.FIRST_NAME, Target.LAST_NAME):
            target, parse = Target.CUSTOM, ""
        seen.add(target)
        out.append(ColumnMap(index, header, target, parse))
    return tuple(out)


def _t(target: Target, parse: str = "") -> tuple[Target, str]:
    return (target, parse)


T = Target
_MAILCHIMP = {
    "email address": _t(T.EMAIL),
    "first name": _t(T.FIRST_NAME),
    "last name": _t(T.LAST_NAME),
    "company": _t(T.COMPANY),
    "phone number": _t(T.PHONE),
    "phone": _t(T.PHONE),
    "optin_time": _t(T.OPTIN_AT),
    "confirm_time": _t(T.CONFIRM_AT),
    "unsub_time": _t(T.UNSUBSCRIBED_AT),
    "clean_time": _t(T.BOUNCED_AT),
    "notes": _t(T.NOTES),
    "tags": _t(T.TAGS, "mailchimp"),
}
_GHOST = {
    "email": _t(T.EMAIL),
    "name": _t(T.FULL_NAME),
    "note": _t(T.NOTES),
    "subscribed_to_emails": _t(T.STATUS, "bool-subscribed"),
    "created_at": _t(T.CREATED_AT),
    "labels": _t(T.TAGS, "list,"),
    "tiers": _t(T.TAGS, "list,"),
    "products": _t(T.TAGS, "list,"),
    "deleted_at": _t(T.IGNORE),
}
_BUTTONDOWN = {
    "email": _t(T.EMAIL),
    "notes": _t(T.NOTES),
    "subscriber_type": _t(T.STATUS, "buttondown"),
    "creation_date": _t(T.CREATED_AT),
    "subscription_date": _t(T.CONSENT_AT),
    "unsubscription_date": _t(T.UNSUBSCRIBED_AT),
    "tags": _t(T.TAGS, "list;"),
    "metadata": _t(T.CUSTOM, "metadata"),
}
_SUBSTACK_LIST = {
    "email": _t(T.EMAIL),
    "email_disabled": _t(T.STATUS, "bool-disabled"),
    "created_at": _t(T.CREATED_AT),
    "type": _t(T.TAGS, "prefix:substack-"),
}
_SUBSTACK_DASHBOARD = {
    "email": _t(T.EMAIL),
    "name": _t(T.FULL_NAME),
    "subscription type": _t(T.TAGS, "prefix:substack-"),
    "subscription date": _t(T.CONSENT_AT),
    "receiving emails for": _t(T.STATUS, "receiving"),
}
_BEEHIIV = {
    "email": _t(T.EMAIL),
    "first name": _t(T.FIRST_NAME),
    "last name": _t(T.LAST_NAME),
    "status": _t(T.STATUS, "beehiiv"),
    "created_at": _t(T.CREATED_AT),
    "unsubscribed_at": _t(T.UNSUBSCRIBED_AT),
    "subscription date (substack)": _t(T.CONSENT_AT),
    "tags": _t(T.TAGS, "list,"),
}
_GOOGLE = {
    "first name": _t(T.FIRST_NAME),
    "given name": _t(T.FIRST_NAME),
    "last name": _t(T.LAST_NAME),
    "family name": _t(T.LAST_NAME),
    "e-mail 1 - value": _t(T.EMAIL, "google"),
    "organization name": _t(T.COMPANY),
    "organization 1 - name": _t(T.COMPANY),
    # E-mail 2, 3, ... : the contact's other addresses (one column each, ' ::: ' in a cell)
    **{f"e-mail {n} - value": _t(T.OTHER_EMAIL, "google") for n in range(2, 100)},
    "phone 1 - value": _t(T.PHONE, "google"),
    "notes": _t(T.NOTES),
    "labels": _t(T.TAGS, "google"),
    "group membership": _t(T.TAGS, "google"),
}
_OUTLOOK = {
    "first name": _t(T.FIRST_NAME),
    "last name": _t(T.LAST_NAME),
    "e-mail address": _t(T.EMAIL),
    "e-mail 2 address": _t(T.OTHER_EMAIL),
    "e-mail 3 address": _t(T.OTHER_EMAIL),
    "company": _t(T.COMPANY),
    "mobile phone": _t(T.PHONE),
    "notes": _t(T.NOTES),
    "categories": _t(T.TAGS, "list;"),
}
_BREVO = {
    "EMAIL": _t(T.EMAIL),
    "FIRSTNAME": _t(T.FIRST_NAME),
    "PRENOM": _t(T.FIRST_NAME),
    "VORNAME": _t(T.FIRST_NAME),
    "NOMBRE": _t(T.FIRST_NAME),
    "LASTNAME": _t(T.LAST_NAME),
    "NOM": _t(T.LAST_NAME),
    "NACHNAME": _t(T.LAST_NAME),
    "APELLIDOS": _t(T.LAST_NAME),
    "SMS": _t(T.PHONE),
    "COMPANY": _t(T.COMPANY),
    "DOUBLE_OPT-IN": _t(T.STATUS, "brevo-doi"),
    "EMAIL_BLACKLISTED": _t(T.STATUS, "brevo-blocklist"),
    "BLACKLISTED": _t(T.STATUS, "brevo-blocklist"),
    "ADDED_TIME": _t(T.CONSENT_AT),
}
_MAILERLITE = {
    "subscriber": _t(T.EMAIL),
    "name": _t(T.FIRST_NAME),
    "last name": _t(T.LAST_NAME),
    "company": _t(T.COMPANY),
    "phone": _t(T.PHONE),
    "subscribed": _t(T.CONSENT_AT),
    "groups": _t(T.TAGS, "list,;"),
    "status": _t(T.STATUS, "mailerlite"),
}
_KIT = {
    "email": _t(T.EMAIL),
    "email_address": _t(T.EMAIL),
    "first_name": _t(T.FIRST_NAME),
    "last_name": _t(T.LAST_NAME),
    "state": _t(T.STATUS, "kit"),
    "status": _t(T.STATUS, "kit"),
    "created_at": _t(T.CONSENT_AT),
    "tags": _t(T.TAGS, "list,"),
}
_FLODESK = {
    "email": _t(T.EMAIL),
    "email address": _t(T.EMAIL),
    "first name": _t(T.FIRST_NAME),
    "last name": _t(T.LAST_NAME),
    "status": _t(T.STATUS, "flodesk"),
    "segments": _t(T.TAGS, "list,"),
    "date created": _t(T.CONSENT_AT),
    "created at": _t(T.CONSENT_AT),
}
_EMAILOCTOPUS = {
    "email address": _t(T.EMAIL),
    "email": _t(T.EMAIL),
    "first name": _t(T.FIRST_NAME),
    "last name": _t(T.LAST_NAME),
    "status": _t(T.STATUS, "emailoctopus"),
    "tags": _t(T.TAGS, "list,"),
    "created at": _t(T.CONSENT_AT),
    "subscribed at": _t(T.CONSENT_AT),
}

_Rule = Callable[[_Header, Sequence[Sequence[str]]], "Detection | None"]


def _detection(
    platform: str,
    variant: str,
    mapping: Mapping,
    status: LeadStatus,
    raw: str,
    source: str | None = None,
) -> Detection:
    return Detection(
        platform, variant, mapping, status, raw, source or platform, platform in HEURISTIC
    )


def _mailchimp(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not (h.has("Email Address", "MEMBER_RATING") and h.any("LEID", "EUID")):
        return None
    mapping = _preset(h.names, _MAILCHIMP)
    if h.has("UNSUB_TIME"):
        return _detection("mailchimp", "unsubscribed", mapping, S.UNSUBSCRIBED, "unsubscribed")
    if h.has("CLEAN_TIME"):
        return _detection("mailchimp", "cleaned", mapping, S.BOUNCED, "cleaned")
    variant = "legacy" if h.has("EMAIL_TYPE") else "subscribed"
    return _detection("mailchimp", variant, mapping, S.SUBSCRIBED, "subscribed")


def _ghost(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not h.has("email", "subscribed_to_emails", "complimentary_plan"):
        return None
    return _detection("ghost", "", _preset(h.names, _GHOST), S.SUBSCRIBED, "")


def _buttondown(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not (h.has("email", "subscriber_type") and h.any("creation_date", "secondary_id")):
        return None
    return _detection("buttondown", "", _preset(h.names, _BUTTONDOWN), S.SUBSCRIBED, "")


def _substack_list(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not h.has("email", "active_subscription", "email_disabled"):
        return None
    mapping = _preset(h.names, _SUBSTACK_LIST)
    return _detection("substack", "email list", mapping, S.SUBSCRIBED, "email_disabled=false")


def _substack_paid(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not h.has("email", "stripe_connected_customer_id", "type"):
        return None
    mapping = _preset(h.names, _SUBSTACK_LIST)
    return _detection("substack", "paid subscribers", mapping, S.SUBSCRIBED, "email_disabled=false")


def _substack_dashboard(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not (
        h.has("Email", "Subscription type")
        and h.any("Receiving emails for", "Is Bestseller", "Subscription date")
    ):
        return None
    mapping = _preset(h.names, _SUBSTACK_DASHBOARD)
    return _detection("substack", "dashboard", mapping, S.SUBSCRIBED, "")


def _beehiiv(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not h.has("email", "status", "tier", "created_at") or h.has("subscribed_to_emails"):
        return None
    mapping = list(_preset(h.names, _BEEHIIV))
    for i, c in enumerate(mapping):
        name = c.header.strip()
        if name.lower().endswith(" tier") and name.lower() != "tier":
            tier = fold(name[: -len(" tier")]).replace(" ", "-")
            mapping[i] = ColumnMap(c.index, c.header, T.TAGS, f"yes:beehiiv-tier-{tier}")
    return _detection("beehiiv", "", tuple(mapping), S.SUBSCRIBED, "")


def _google(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if h.has("E-mail 1 - Value") and h.any("Phonetic First Name", "File As"):
        variant = ""
    elif h.has("E-mail 1 - Value", "Group Membership", "Given Name"):
        variant = "legacy"
    else:
        return None
    mapping = _preset(h.names, _GOOGLE)
    if variant == "legacy" and not any(c.target is T.FIRST_NAME for c in mapping):
        mapping = tuple(c.retarget(T.FULL_NAME) if c.header == "Name" else c for c in mapping)
    return _detection("google", variant, mapping, S.NONE, "")


def _outlook(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not (
        h.has("E-mail Address") and h.any("Given Yomi", "TTY/TDD Phone", "Business Country/Region")
    ):
        return None
    return _detection("outlook", "", _preset(h.names, _OUTLOOK), S.NONE, "")


_BREVO_HINTS = [
    *"FIRSTNAME LASTNAME SMS WHATSAPP DOUBLE_OPT-IN ADDED_TIME PRENOM NOM VORNAME NACHNAME".split(),
    "CONTACT ID",
]


def _brevo(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if "EMAIL" not in h.exact or not any(n in h.exact for n in _BREVO_HINTS):
        return None
    return _detection("brevo", "", _preset(h.names, _BREVO, case=True), S.SUBSCRIBED, "")


def _mailerlite(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    if not h.names or h.names[0].lower() != "subscriber" or not h.any("Name", "Last name"):
        return None
    return _detection("mailerlite", "", _preset(h.names, _MAILERLITE), S.SUBSCRIBED, "active")


def _kit(h: _Header, _s: Sequence[Sequence[str]]) -> Detection | None:
    snake = all(n == n.lower() and " " not in n for n in h.names if n)
    if not (
        snake
        and h.has("first_name")
        and h.any("email", "email_address")
        and h.any("state", "status", "created_at")
    ):
        return None
    return _detection("kit", "", _preset(h.names, _KIT), S.SUBSCRIBED, "")


def _flodesk_octopus(h: _Header, samples: Sequence[Sequence[str]]) -> Detection | None:
    if h.has("Segments") and h.any("Email", "Email address"):
        return _detection("flodesk", "", _preset(h.names, _FLODESK), S.SUBSCRIBED, "")
    if h.has("Email address", "Status"):
        index = next(i for i, n in enumerate(h.names) if n.lower() == "status")
        values = {row[index].strip().upper() for row in samples if index < len(row)} - {""}
        if values and values <= {"SUBSCRIBED", "UNSUBSCRIBED", "PENDING", "BOUNCED", "COMPLAINED"}:
            mapping = _preset(h.names, _EMAILOCTOPUS)
            return _detection("emailoctopus", "", mapping, S.SUBSCRIBED, "")
    return None


# Smallyes' own lead export (crm.book.exporting), so exported leads import back unchanged. The
# columns Smallyes works out itself (the step and level, the last yes and ask, the source)
# are not read back; its tags cell quotes a tag that holds a ';'.
_SMALLYES_COLUMNS = (
    "email", "first_name", "last_name", "status", "step", "level", "last_yes", "last_ask",
    "tags", "company", "phone", "source", "created_at", "notes",
)  # fmt: skip
_SMALLYES_DERIVED = frozenset({"step", "level", "last_yes", "last_ask", "source"})
# The export's columns before the step and the dates were added.
_SMALLYES_COLUMNS_V1 = (
    "email", "first_name", "last_name", "company", "phone", "status", "tags", "notes",
    "created_at",
)  # fmt: skip


def _smallyes(h: _Header, samples: Sequence[Sequence[str]]) -> Detection | None:
    mapping = generic_mapping(h.names, samples)
    if tuple(h.names[: len(_SMALLYES_COLUMNS)]) == _SMALLYES_COLUMNS:
        own = len(_SMALLYES_COLUMNS)
        mapping = tuple(
            c.retarget(T.IGNORE)
            if c.index < own and c.header in _SMALLYES_DERIVED
            else ColumnMap(c.index, c.header, c.target, "smallyes")
            if c.index < own and c.target is T.TAGS
            else c
            for c in mapping
        )
    elif tuple(h.names[: len(_SMALLYES_COLUMNS_V1)]) != _SMALLYES_COLUMNS_V1:
        return None
    return _detection("smallyes", "", mapping, S.NONE, "")


RULES: tuple[_Rule, ...] = (
    _smallyes,
    _mailchimp,
    _ghost,
    _buttondown,
    _substack_list,
    _substack_paid,
    _substack_dashboard,
    _beehiiv,
    _google,
    _outlook,
    _brevo,
    _mailerlite,
    _kit,
    _flodesk_octopus,
)

_FORCED: dict[str, tuple[_Rule, ...]] = {
    "mailchimp": (_mailchimp,),
    "ghost": (_ghost,),
    "buttondown": (_buttondown,),
    "substack": (_substack_list, _substack_paid, _substack_dashboard),
    "beehiiv": (_beehiiv,),
    "google": (_google,),
    "outlook": (_outlook,),
    "brevo": (_brevo,),
    "mailerlite": (_mailerlite,),
    "kit": (_kit,),
}
_FORCED_TABLES = {
    "mailchimp": _MAILCHIMP,
    "ghost": _GHOST,
    "buttondown": _BUTTONDOWN,
    "substack": _SUBSTACK_LIST | _SUBSTACK_DASHBOARD,
    "beehiiv": _BEEHIIV,
    "google": _GOOGLE,
    "outlook": _OUTLOOK,
    "mailerlite": _MAILERLITE,
    "kit": _KIT,
    "flodesk": _FLODESK,
    "emailoctopus": _EMAILOCTOPUS,
}


def detect_platform(
    headers: Sequence[str], samples: Sequence[Sequence[str]], platform: str = "auto"
) -> Detection:
    """The first rule of ``RULES`` that matches (or the platform the user named)."""
    h = _Header(headers)
    if platform not in ("auto", "generic"):
        for rule in _FORCED.get(platform, ()) + RULES:
            found = rule(h, samples)
            if found is not None and found.platform == platform:
                return found
        return _forced_preset(platform, headers, samples)
    if platform == "auto":
        for rule in RULES:
            found = rule(h, samples)
            if found is not None:
                return found
    mapping = generic_mapping(headers, samples)
    return _detection("generic", "", mapping, S.NONE, "")


def _forced_preset(
    platform: str, headers: Sequence[str], samples: Sequence[Sequence[str]]
) -> Detection:
    """A platform named by the user whose header does not match its signature."""
    if platform == "brevo":
        mapping = _preset(headers, _BREVO, case=True)
    else:
        mapping = _preset(headers, _FORCED_TABLES[platform])
    if not any(c.target is T.EMAIL for c in mapping):
        mapping = generic_mapping(headers, samples)
    default = S.NONE if platform in ADDRESS_BOOKS else S.SUBSCRIBED
    return Detection(platform, "", mapping, default, "", platform, True)
