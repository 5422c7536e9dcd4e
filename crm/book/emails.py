"""Email addresses: cleaning, validation and the dedupe key.

The rules are the import policy's (rule 6) and apply to every way a lead comes in, so an
address accepted by hand is accepted by the importer and the other way round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crm.errors import ValidationError

# Invisible characters that arrive at the ends of cells from copy-paste and spreadsheets.
_EDGE_JUNK = "\u00a0\u200b\u200c\u200d\u2060\ufeff\u202f\u2007"
_NAME_ADDR = re.compile(r"^(?P<name>.*?)<(?P<addr>[^<>]*)>\s*$", re.DOTALL)
_LABEL = re.compile(r"^[^\s.]+$")
# Characters an address cannot hold unquoted (quoted local parts are not accepted: no
# newsletter platform writes them, and a stray quote or separator is a damaged cell).
_SPECIALS = frozenset('()<>[]:;,\\"')
_DOMAIN_BAD = frozenset("()<>[]:;,\\\"'@!#$%&*+/=?^`{|}~")
# Two addresses pasted into one cell, split by a comma, a semicolon or spaces.
_SEPARATORS = re.compile(r"[;,\s]+")
_WHITESPACE = re.compile(r"\s")  # what str.isspace() says, in one C call
# The everyday address (ASCII atoms, dotted domain with an alphabetic TLD) that every rule
# below accepts without a warning: one regex match instead of the full walk. Lengths are
# still checked, because a regex bound there would be slower than len().
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN = re.compile(
    rf"{_ATOM}(?:\.{_ATOM})*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{{2,}}"
)


@dataclass(frozen=True, slots=True)
class CheckedEmail:
    """A valid address as written (trimmed), its lower-cased key, and any warnings."""

    address: str
    key: str
    warnings: tuple[str, ...] = ()


def clean_edges(text: str) -> str:
    """Strip whitespace and invisible characters (NBSP, zero-width, BOM) from both ends,
    however they alternate (a space between two zero-width spaces, say)."""
    while True:
        cleaned = text.strip().strip(_EDGE_JUNK)
        if cleaned == text:
            return cleaned
        text = cleaned


def email_problem(text: str) -> str | None:
    """Why ``text`` (already trimmed) is not a usable address, or None when it is."""
    if not text:
        return "email is missing"
    if text.count("@") > 1 and sum(1 for part in _SEPARATORS.split(text) if "@" in part) > 1:
        return "email has two addresses in one cell"
    if _WHITESPACE.search(text):
        return "email contains whitespace"
    if ":" in text:
        return "email contains ':'"
    if text.count("@") != 1:
        return "email has no @" if "@" not in text else "email has more than one @"
    local_part, domain = text.split("@")
    if not local_part:
        return "email has nothing before the @"
    if not domain:
        return "email has no domain after the @"
    special = next((ch for ch in local_part if ch in _SPECIALS), None)
    if special is not None:
        return f"email has a character not allowed before the @ ('{special}')"
    if local_part.startswith(".") or local_part.endswith(".") or ".." in local_part:
        return "email has a misplaced dot before the @"
    if len(local_part) > 64:
        return "email's part before the @ is longer than 64 characters"
    if len(text) > 254:
        return "email is longer than 254 characters"
    if domain.startswith("[") or re.fullmatch(r"[\d.]+", domain):
        return "email domain is an IP address"
    if domain.endswith("."):
        return "email domain ends with a dot"
    if "." not in domain:
        return "email domain has no dot"
    labels = domain.split(".")
    for label in labels:
        if not label or not _LABEL.match(label):
            return "email domain has an empty part"
        bad = next((ch for ch in label if ch in _DOMAIN_BAD), None)
        if bad is not None:
            return f"email domain has a character not allowed in a domain ('{bad}')"
        if label.startswith("-") or label.endswith("-"):
            return "email domain has a part starting or ending with '-'"
    tld = labels[-1]
    if tld.startswith("xn--"):
        return None
    if len(tld) < 2 or not tld.isalpha():
        return "email domain ending is not a valid top-level domain"
    return None


def check_email(raw: str) -> CheckedEmail:
    """Clean and validate an address; raise ValidationError with the reason."""
    if (
        _PLAIN.fullmatch(raw)
        and len(raw) <= 254
        and raw.index("@") <= 64
        and "xn--" not in raw.lower()  # a punycode (IDN) domain is accepted with a warning
    ):
        return CheckedEmail(address=raw, key=raw.lower())
    warnings: list[str] = []
    text = clean_edges(raw)
    match = _NAME_ADDR.match(text)
    if match:
        text = clean_edges(match.group("addr"))
        warnings.append(f"took the address out of '{clean_edges(raw)}'")
    if text[:7].lower() == "mailto:":
        # A link copied from a web page or a mail program: the address is what follows,
        # up to any ?subject=... part.
        if not warnings:
            warnings.append(f"took the address out of '{clean_edges(raw)}'")
        text = clean_edges(text[7:].split("?", 1)[0])
    problem = email_problem(text)
    if problem:
        shown = clean_edges(raw) or "(empty)"
        raise ValidationError(f"'{shown}' is not a valid address: {problem}.")
    local_part, domain = text.split("@")
    if not local_part.isascii():
        warnings.append("email has non-ASCII characters before the @")
    if not domain.isascii() or any(p.startswith("xn--") for p in domain.lower().split(".")):
        warnings.append("email has an international domain name")
    return CheckedEmail(address=text, key=email_key(text), warnings=tuple(warnings))


def email_key(address: str) -> str:
    """The dedupe key: the whole address lower-cased (dots and +tags are significant)."""
    return address.lower()
