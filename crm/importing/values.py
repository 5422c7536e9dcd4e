"""Reading cell values: dates, tags, names, Buttondown metadata.

Cells are data. Nothing here evaluates them: Buttondown's Python-repr metadata goes
through ``ast.literal_eval`` on a size-capped string, which accepts literals only.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import re
from collections.abc import Iterable, Sequence

from crm.errors import ValidationError

_UTC = dt.UTC
_DOTTED = re.compile(
    r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_YEARLESS = re.compile(r"^--\d{2}-\d{2}$")
_ZERO_DATES = frozenset({"0/0/00", "0000-00-00", "0000-00-00 00:00:00", "00.00.0000"})


def fmt(value: dt.datetime) -> str:
    """How the database stores times: naive UTC, whole seconds."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def parse_date(text: str, order: str = "") -> str | None:
    """A cell to a stored time string (naive UTC), or None when the cell is empty.

    ISO forms (``Z``, offsets, microseconds, a `` UTC`` suffix) are read as such and
    zone-less times are UTC. ``dd.mm.yyyy``, ``dd/mm/yyyy`` and ``m/d/yyyy`` need the
    column's ``order`` ("dmy" or "mdy"); dots always mean day first. Raises ValueError.
    """
    text = text.strip()
    if not text or text in _ZERO_DATES:
        return None
    # The common, exact case first: 'YYYY-MM-DD HH:MM:SS' (Mailchimp, MailerLite).
    if len(text) == 19 and text[10] == " " and text[4] == "-":
        dt.datetime.fromisoformat(text)  # validates
        return text
    if text.endswith(" UTC"):
        text = text[:-4] + "+00:00"
    if text[:4].isdigit() and len(text) >= 10 and text[4] == "-":
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if value.tzinfo is not None:
            try:
                value = value.astimezone(_UTC).replace(tzinfo=None)
            except OverflowError:  # year 1 ahead of UTC: before the first day there is
                raise ValueError("the time is out of range") from None
        return fmt(value.replace(microsecond=0))
    match = _DOTTED.match(text)
    if match:
        a, sep, b, year, hh, mm, ss = match.groups()
        first, second = int(a), int(b)
        if sep == "." or order == "dmy":
            day, month = first, second
        elif order == "mdy":
            month, day = first, second
        elif first > 12:
            day, month = first, second
        elif second > 12:
            month, day = first, second
        else:
            raise ValueError("ambiguous day and month")
        y = int(year)
        if len(year) == 2:
            y += 2000 if y < 70 else 1900
        value = dt.datetime(y, month, day, int(hh or 0), int(mm or 0), int(ss or 0))
        return fmt(value)
    if _YEARLESS.match(text):
        raise ValueError("a date without a year")
    raise ValueError("not a date")


def day_month_order(values: Iterable[str]) -> str | None:
    """For a generic date column: "dmy" or "mdy" if the values decide it, "" when every
    slashed value could be either, None when the column has no slashed dates at all."""
    seen = False
    for text in values:
        match = _DOTTED.match(text.strip())
        if not match:
            continue
        if match.group(2) == ".":
            return "dmy"
        seen = True
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12:
            return "dmy"
        if second > 12:
            return "mdy"
    return "" if seen else None


def parse_tags(text: str, style: str) -> list[str]:
    """Tag names in one cell, by the column's style."""
    text = text.strip()
    if not text:
        return []
    if style == "mailchimp":
        # The cell text is itself CSV: "VIP","Workshop, Spring 2024" (or a bare tag).
        # The everyday cell (quoted names, no quotes inside) splits without a parser.
        if text[0] == '"' and text[-1] == '"' and '""' not in text and len(text) > 1:
            parts = text[1:-1].split('","')
            if '"' not in "".join(parts):
                return _clean_tags(parts)
        try:
            cells = next(csv.reader([text], skipinitialspace=True), [])
        except csv.Error:
            cells = text.split(",")
        return _clean_tags(cells)
    if style == "google":
        parts = [p.strip() for p in text.split(":::")]
        out = []
        for part in parts:
            if part in ("* myContacts", "myContacts", "* other", "* otherContacts"):
                continue
            out.append(part[2:] if part.startswith("* ") else part)
        return _clean_tags(out)
    if style.startswith("prefix:"):
        return _clean_tags([style[len("prefix:") :] + text.lower()])
    if style.startswith("yes:"):
        yes = text.casefold() in ("yes", "true", "1", "ja", "oui", "sí", "si", "x")
        return [style[len("yes:") :]] if yes else []
    if style == "smallyes":
        # Smallyes' export: '; ' between tags, a tag holding ';' or '"' in quotes.
        text = unescape_cell(text)
        try:
            cells = next(csv.reader([text], delimiter=";", skipinitialspace=True), [])
        except csv.Error:
            cells = text.split(";")
        return _clean_tags(cells)
    if style == "list;":
        return _clean_tags(text.split(";"))
    if style == "list,":
        return _clean_tags(text.split(","))
    # Auto: semicolons when there are any, else commas, else pipes.
    for sep in (";", ",", "|", ":::"):
        if sep in text:
            return _clean_tags(text.split(sep))
    return _clean_tags([text])


def _clean_tags(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        cleaned = " ".join(name.strip().strip('"').split())[:80]
        if cleaned and cleaned not in out:
            out.append(cleaned)
    if len(out) > 1:
        # Tags compare without case (as the tag table does): keep the first spelling.
        folded = [t.casefold() for t in out]
        out = [t for i, t in enumerate(out) if folded.index(folded[i]) == i]
    return out


_NON_LATIN_SPLIT = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\u0e00-\u0e7f\uf900-\ufaff]"
)


def split_full_name(name: str) -> tuple[str, str]:
    """First and last name from a full name: split on the last space for Latin-script
    names, never for CJK or Thai ones (those stay whole in the first name)."""
    name = " ".join(name.split())
    if not name or _NON_LATIN_SPLIT.search(name) or " " not in name:
        return name, ""
    first, last = name.rsplit(" ", 1)
    return first, last


def parse_metadata(text: str) -> dict[str, str]:
    """Buttondown's metadata cell, a Python-repr dict: literals only, never evaluated."""
    text = text.strip()
    if not text or text == "{}":
        return {}
    if len(text) > 20_000:
        raise ValidationError("metadata is too long to read")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        raise ValidationError("metadata is not a readable dictionary") from None
    if not isinstance(value, dict):
        raise ValidationError("metadata is not a dictionary")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


_ESCAPED_STARTS = ("'=", "'+", "'-", "'@", "'\t", "'\r")
# The apostrophe Smallyes' export puts after a ';' or line break that a formula follows.
_ESCAPED_INSIDE = re.compile(r"""([;\n\r])'(?="*[=+\-@\t\r])""")


def unescape_cell(text: str) -> str:
    """Drop the apostrophe a spreadsheet-safe export puts before = + - @ TAB or CR.

    Smallyes' own CSV export (and careful spreadsheets) write ``'+44 20...`` so the cell
    is shown as text, never run as a formula; the apostrophe is not part of the value.
    Inside a cell, Smallyes writes one after a ';' or line break that such a character
    follows (``x;'=1``): a spreadsheet that splits on ';' starts a cell there.
    """
    if "'" not in text:
        return text
    text = text[1:] if text.startswith(_ESCAPED_STARTS) else text
    return _ESCAPED_INSIDE.sub(r"\1", text) if "'" in text else text
