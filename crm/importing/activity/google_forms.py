"""Google Forms responses: the CSV of the linked sheet, or the one the form downloads.

The first column is the time of the response, named in the sheet's language
(``Timestamp``, ``Horodateur``, ``Marca temporal``; ``Zeitstempel``, ``Informazioni
cronologiche``, ``Carimbo de data/hora`` and ``Tijdstempel`` are believed, not seen).
The email the form collects follows (``Email Address``, ``Email address``, ``Adresse
e-mail``...); without it an email question is used, the one whose cells hold addresses.
Every other named column is a question, a grid row (``Question [Row]``) being a question
of its own; a quiz's ``Score`` is kept as an answer, since it says how the person did.
Checkbox answers stay as the sheet joins them (``"A, B"``).

The time is the sheet's wall clock with no zone (``5/14/2024 9:03:27`` in en-US,
``18/05/2024 09:45:20`` in fr), so rows are ``at_is_local``; the values decide day/month
order, else the label's language does (``Timestamp`` is month first, as en-US writes
it). A time written with its zone (``2024/05/14 9:03:27 AM GMT-4``) is turned into UTC.
An Excel re-save (``;``, Windows-1252, seconds dropped) reads the same.

The form's title is the sheet's file name without `` (Responses) - <sheet>``, or the
name of a ZIP member; a plain file named otherwise gives none. There is no response
id: the key is the email and the time, so an exact duplicate row (a response pasted
twice) is yielded with the key of the first and the import skips it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence

from crm.importing.activity.context import ReadContext
from crm.importing.activity.responses import (
    Layout,
    Records,
    answered_rows,
    cell,
    email_candidates,
    find_column,
    layout_of,
    read_time,
    recognised_records,
)
from crm.importing.activity.rows import ActivityRow, Rejected
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import fold
from crm.importing.values import day_month_order

PLATFORM = "google_forms"

# The time column's name by language, with the day/month order that language writes.
_TIME_LABELS = {
    fold(label): order
    for label, order in (
        ("Timestamp", "mdy"),
        ("Horodateur", "dmy"),
        ("Marca temporal", "dmy"),
        ("Zeitstempel", "dmy"),
        ("Informazioni cronologiche", "dmy"),
        ("Carimbo de data/hora", "dmy"),
        ("Tijdstempel", "dmy"),
    )
}
_EMAIL_LABELS = (
    "Email Address",
    "Adresse e-mail",
    "Dirección de correo electrónico",
    "E-Mail-Adresse",
    "Indirizzo email",
    "Endereço de e-mail",
    "E-mailadres",
)
# Mailchimp's granular opens and clicks: the columns of a file that holds no question.
_NOT_QUESTIONS = frozenset({"email", "url"})
_ZONE = re.compile(r"\s*(?:GMT|UTC)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$", re.IGNORECASE)
_WIDEST_OFFSET = dt.timedelta(hours=14)  # Kiribati; anything wider is not a zone
_MERIDIEM = re.compile(r"\s*([ap])\.?\s?m\.?$", re.IGNORECASE)
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_ISO_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}.*(?:[zZ]|[+-]\d{2}:?\d{2})$")
_SHEET = re.compile(r"^(?P<title>.+?) - [^-]+$")
_RESPONSES = re.compile(
    r"\s*\((?:responses|réponses|respuestas|antworten|risposte|respostas|antwoorden)\)$",
    re.IGNORECASE,
)
_COPY = re.compile(r"\s*\(\d+\)$")  # "name (1).csv", a second download
_REFUSAL = (
    "is not a Google Forms responses sheet: its first column should be the response time "
    "('Timestamp')."
)


def recognises(member: str, headers: Sequence[str]) -> bool:
    """A responses sheet: the response time first, then at least one question or the
    collected email."""
    if len(headers) < 2 or fold(headers[0]) not in _TIME_LABELS:
        return False
    rest = {fold(h) for h in headers[1:] if h}
    return bool(rest) and not rest <= _NOT_QUESTIONS


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """One ANSWERED row per response (``context`` is not needed: the file names the
    questions itself)."""
    with recognised_records(source, decoding, _timed, _REFUSAL) as (headers, records):
        layout, order = _layout(headers, records)
    with recognised_records(source, decoding, _timed, _REFUSAL) as (_, records):
        yield from answered_rows(
            records,
            PLATFORM,
            source,
            layout,
            when=0,
            campaign=form_title(source),
            read_at=lambda text: parse_stamp(text, order),
            timeless="the response has no time",
        )


def _timed(member: str, headers: Sequence[str]) -> bool:
    """The response time first: enough to read a sheet (whose questions may be gone)."""
    return bool(headers) and fold(headers[0]) in _TIME_LABELS


def _layout(headers: Sequence[str], records: Records) -> tuple[Layout, str]:
    """Who answered, the questions, and the day/month order of the time column, from a
    first look through the records: the first rows for the email, on until a time
    decides the order (a file whose every time could be either is read to its end)."""
    email = find_column(headers, _EMAIL_LABELS)
    candidates = [email] if email is not None else email_candidates(headers, {0})
    order = ""

    def first_rows() -> Iterator[list[str]]:
        # The rows that choose the email column have their say on the order too.
        nonlocal order
        for _, fields in records:
            order = order or day_month_order((_bare(cell(fields, 0)),)) or ""
            yield fields

    layout = layout_of(headers, first_rows(), {0}, candidates)
    if not order:
        times = (_bare(cell(fields, 0)) for _, fields in records)
        order = day_month_order(times) or _TIME_LABELS[fold(headers[0])]
    return layout, order


def _bare(text: str) -> str:
    """A time without its zone and am/pm, as the day/month scan reads it."""
    return _MERIDIEM.sub("", _ZONE.sub("", text))


def parse_stamp(text: str, order: str) -> tuple[dt.datetime | None, bool]:
    """A response time and whether it is the sheet's wall clock (no zone written).

    Day-first or month-first by ``order``; ``2024/05/14`` year first; an ``AM``/``PM``
    and a ``GMT+2``/``GMT-04:00`` zone are read. Raises ValueError for a non-date."""
    text = text.strip()
    offset: dt.timedelta | None = None
    zone = _ZONE.search(text)
    if zone:
        sign, hours, minutes = zone.groups()
        offset = dt.timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
        if sign == "-":
            offset = -offset
        text = text[: zone.start()]
    meridiem = _MERIDIEM.search(text)
    if meridiem:
        text = text[: meridiem.start()]
    year_first = _YEAR_FIRST.match(text)
    if year_first:
        y, mo, d, hh, mm, ss = year_first.groups()
        at: dt.datetime | None = dt.datetime(
            int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0)
        )
    else:
        at = read_time(text, order)
        if _ISO_ZONE.search(text):  # parse_date turned it into UTC
            return at, False
    if at is None:
        if zone or meridiem:
            raise ValueError("a zone or am/pm with no time")
        return None, True
    if meridiem:
        if not 1 <= at.hour <= 12:
            raise ValueError("an hour past 12 with am/pm")
        pm = meridiem.group(1).lower() == "p"
        at = at.replace(hour=at.hour % 12 + (12 if pm else 0))
    if offset is not None:
        if abs(offset) > _WIDEST_OFFSET:
            raise ValueError("not a time zone")
        try:
            return at - offset, False
        except OverflowError:
            raise ValueError("a time out of range") from None
    return at, True


def form_title(source: Source) -> str:
    """The form's title from the file's name: ``Topic survey (Responses) - Form Responses
    1.csv`` (the sheet's download) gives ``Topic survey``; a ZIP member's name is the
    form's title as it stands; any other plain file gives ""."""
    stem = source.label
    if stem.lower().endswith((".csv", ".tsv", ".txt")):
        stem = stem[:-4]
    stem = _COPY.sub("", stem).strip()
    sheet = _SHEET.match(stem)
    if sheet:
        return _RESPONSES.sub("", sheet.group("title")).strip()
    if _RESPONSES.search(stem):
        return _RESPONSES.sub("", stem).strip()
    return stem if source.member else ""
