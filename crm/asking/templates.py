"""Ask messages from their templates: the placeholders a template may use, and filling them.

A step's ask subject and body may name ``{first_name}``, ``{offer}``, ``{offer_link}`` and
any custom field of the lead (``{plan}`` for the imported column "Plan"; a field is named
in lower case with every run of other characters as one ``_``, so "ZIP code" is
``{zip_code}``). Doubled braces are a literal brace. A placeholder the lead has no value
for is left in the text as written, so the owner sees it in the preview and nothing fails:
``fill`` never raises on any text.

When a template names the offer but not its link, and the offer has one, the link follows
the body on its own line: every ask about an offer points to it, and a click on it is the
yes the owner measures.

Pure, but for ``custom_field_names``, the book's fields (``crm.book.custom_fields``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from crm.book.custom_fields import custom_field_names as book_field_names

FIRST_NAME = "first_name"
OFFER = "offer"
OFFER_LINK = "offer_link"
FIXED_FIELDS = (FIRST_NAME, OFFER, OFFER_LINK)
NO_FIRST_NAME = "there"  # "Hi there," for a lead without a first name

# "{{" and "}}" are literal braces; "{name}" a placeholder (a name on one line, no braces)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]{1,80})\}")
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def field_name(name: str) -> str:
    """A field's name as placeholders use it: 'Unsubscribe reason' -> 'unsubscribe_reason'."""
    return _NOT_WORD.sub("_", name.casefold()).strip("_")


class Filled(NamedTuple):
    """A text with its placeholders filled in, and those left as written (by name)."""

    text: str
    unfilled: tuple[str, ...]


# A template read once: literal text and placeholders in turn; a placeholder as its field
# name and the text it was written as.
_Part = tuple[str, str, str]  # (literal before, field name or "", as written)


@lru_cache(maxsize=256)
def _parsed(template: str) -> tuple[tuple[_Part, ...], str, tuple[str, ...]]:
    """``template`` as its parts, the literal text after the last placeholder, and the field
    names it asks for (each once, in order). Templates are few and messages many: each is
    read once."""
    parts: list[_Part] = []
    names: list[str] = []
    literal: list[str] = []
    at = 0
    for match in _TOKEN.finditer(template):
        literal.append(template[at : match.start()])
        at = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal.append(token[0])
            continue
        name = field_name(match.group(1)) or match.group(1)
        parts.append(("".join(literal), name, token))
        literal = []
        if name not in names:
            names.append(name)
    literal.append(template[at:])
    return tuple(parts), "".join(literal), tuple(names)


def _fill(
    parsed: tuple[tuple[_Part, ...], str, tuple[str, ...]], fields: Mapping[str, str]
) -> tuple[str, list[str]]:
    parts, tail, _ = parsed
    if not parts:
        return tail, []
    out: list[str] = []
    unfilled: list[str] = []
    get = fields.get
    for literal, name, token in parts:
        value = get(name)
        if value is None:
            out += (literal, token)
            if name not in unfilled:
                unfilled.append(name)
        else:
            out += (literal, value)
    out.append(tail)
    return "".join(out), unfilled


def fill(template: str, fields: Mapping[str, str]) -> Filled:
    """``template`` with each placeholder ``fields`` names replaced (``fields`` keyed by
    ``field_name``); the others are kept as written."""
    if "{" not in template and "}" not in template:
        return Filled(template, ())
    text, unfilled = _fill(_parsed(template), fields)
    return Filled(text, tuple(unfilled))


def placeholders(template: str) -> list[str]:
    """The field names ``template`` asks for, in order, each once."""
    return list(_parsed(template)[2])


def names_offer(subject: str, body: str) -> bool:
    """Whether a template names the offer (or its link): the ask is about an offer."""
    named = (*_parsed(subject)[2], *_parsed(body)[2])
    return OFFER in named or OFFER_LINK in named


class Message(NamedTuple):
    subject: str
    body: str
    unfilled: tuple[str, ...]  # placeholders left as written, subject's first


def render_message(subject: str, body: str, fields: Mapping[str, str]) -> Message:
    """The subject and body for one lead; the offer's link follows a body whose template
    names the offer but not the link."""
    top, main = _parsed(subject), _parsed(body)
    subject_text, unfilled = _fill(top, fields)
    text, body_unfilled = _fill(main, fields)
    link = fields.get(OFFER_LINK)
    if link:
        named = (*top[2], *main[2])
        if OFFER in named and OFFER_LINK not in named:
            text = f"{text.rstrip()}\n\n{link}"
    for name in body_unfilled:
        if name not in unfilled:
            unfilled.append(name)
    return Message(subject_text, text, tuple(unfilled))


def custom_fields(custom: str | Mapping[str, object]) -> dict[str, str]:
    """A lead's custom fields (its stored JSON text, or the mapping) as placeholder values:
    by ``field_name``, blank and nested values left out; damaged JSON gives none."""
    if isinstance(custom, str):
        if custom in ("", "{}"):
            return {}
        try:
            custom = json.loads(custom)
        except ValueError:
            return {}
    if not isinstance(custom, Mapping):
        return {}
    out: dict[str, str] = {}
    for key, value in custom.items():
        if value is None or isinstance(value, dict | list):
            continue
        text = str(value).strip()
        name = field_name(str(key))
        if text and name and name not in FIXED_FIELDS:
            out.setdefault(name, text)
    return out


def lead_fields(
    first_name: str, offer: str | None, offer_link: str, custom: str | Mapping[str, object]
) -> dict[str, str]:
    """The values a lead's message fills in: its custom fields, then the fixed ones (which a
    custom field of the same name never overrides). No offer, or no link: no value."""
    fields = custom_fields(custom)
    fields[FIRST_NAME] = first_name.strip() or NO_FIRST_NAME
    if offer:
        fields[OFFER] = offer
        if offer_link:
            fields[OFFER_LINK] = offer_link
    return fields


def link_address(prefix: str) -> str:
    """A stored offer link (kept without its scheme) as a message links it."""
    return prefix if "://" in prefix else f"https://{prefix}"


def custom_field_names() -> list[str]:
    """The custom fields the book's leads use, as placeholders name them, alphabetically."""
    names = {field_name(name) for name in book_field_names()}
    return sorted(n for n in names if n and n not in FIXED_FIELDS)


def unknown_placeholders(subject: str, body: str, custom: list[str] | None = None) -> list[str]:
    """The placeholders of a template that no lead could have a value for: neither a fixed
    field nor one of ``custom`` (the book's custom fields, read when not given)."""
    asked = list(dict.fromkeys((*placeholders(subject), *placeholders(body))))
    extra = [n for n in asked if n not in FIXED_FIELDS]
    if not extra:
        return []
    known = set(custom_field_names() if custom is None else custom)
    return [n for n in extra if n not in known]
