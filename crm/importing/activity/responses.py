"""Form and survey responses read by column: who answered, when, and what.

Google Forms, Typeform and Tally write one record per response: a few columns of their
own (an id, times, the address the form collected) and one column per question, titled
with the question. The readers here name their own columns; this module finds the
columns that say who answered (an email column, else an email question, told apart from
a yes/no question about emails by the addresses in its cells), reads the questions'
titles and turns a record into its answers, and reads the records that are answers into
ANSWERED rows (:func:`answered_rows`), as those three readers (and, for opening and
refusing a file, the Buttondown surveys reader) share.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from crm.book.emails import clean_edges
from crm.errors import ImportFormatError
from crm.importing.activity.rows import Action, ActivityRow, Answer, Rejected
from crm.importing.decoding import Decoding, Source, open_text
from crm.importing.mapping import fold
from crm.importing.records import RecordReader
from crm.importing.values import parse_date

NO_EMAIL = "no email address"
# Enough rows to see which candidate column holds the addresses.
SCAN_ROWS = 200
# A title that speaks of an email address, folded ("E-mail" folds to "e mail"); "some
# mail" does not.
_EMAIL_WORD = re.compile(r"(?<![a-z])(?:e ?mail|courriel|correo)")
_TAG = re.compile(r"<[^>]{0,200}>")
_SPACES = re.compile(r"\s+")
# A name is asked as one question or two; titles compared folded, without end punctuation.
_FULL_NAME = frozenset(
    fold(t)
    for t in (
        "name",
        "full name",
        "your name",
        "your full name",
        "what's your name",
        "what is your name",
        "what's your full name",
        "nom",
        "nom complet",
        "votre nom",
        "nom et prénom",
        "prénom et nom",
        "quel est votre nom",
        "nombre",
        "nombre completo",
        "tu nombre",
        "su nombre",
        "vollständiger name",
        "ihr name",
    )
)
_FIRST_NAME = frozenset(
    fold(t) for t in ("first name", "given name", "your first name", "prénom", "vorname")
)
_LAST_NAME = frozenset(
    fold(t)
    for t in ("last name", "surname", "family name", "your last name", "nom de famille",
              "apellido", "apellidos", "nachname")
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Question:
    """A question column: where it is and its title as the person read it."""

    index: int
    text: str


@dataclass(frozen=True, slots=True)
class Who:
    """The columns that say who answered: the email, and the name in one or two columns."""

    email: int | None
    full_name: int | None = None
    first_name: int | None = None
    last_name: int | None = None

    @property
    def columns(self) -> frozenset[int]:
        found = (self.email, self.full_name, self.first_name, self.last_name)
        return frozenset(i for i in found if i is not None)

    def name(self, fields: Sequence[str]) -> str:
        if self.full_name is not None and (full := cell(fields, self.full_name)):
            return " ".join(full.split())
        parts = (cell(fields, self.first_name), cell(fields, self.last_name))
        return " ".join(" ".join(p for p in parts if p).split())


@contextmanager
def open_records(
    source: Source, decoding: Decoding
) -> Iterator[tuple[tuple[str, ...], Iterator[tuple[int, list[str]]]]]:
    """The header (``()`` for an empty file) and the ``(row number, fields)`` records."""
    with open_text(source, decoding) as stream:
        reader = RecordReader(stream)
        names = reader.header.names if reader.header is not None else ()
        yield names, iter(reader) if names else iter(())


Records = Iterator[tuple[int, list[str]]]


@contextmanager
def recognised_records(
    source: Source,
    decoding: Decoding,
    recognises: Callable[[str, Sequence[str]], bool],
    refusal: str,
) -> Iterator[tuple[tuple[str, ...], Records]]:
    """:func:`open_records` of a file ``recognises`` takes; ImportFormatError, the file's
    name followed by ``refusal`` ("is not a Tally submissions file: ..."), for another."""
    with open_records(source, decoding) as (headers, records):
        if not recognises(source.member or "", headers):
            raise ImportFormatError(f"{source.label} {refusal}")
        yield headers, records


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a responses file says who answered, and its questions."""

    who: Who
    asked: tuple[Question, ...]


def layout_of(
    headers: Sequence[str],
    sample: Iterable[Sequence[str]],
    technical: Collection[int],
    candidates: Sequence[int],
) -> Layout:
    """Who answered (the email among ``candidates``, picked on the first ``SCAN_ROWS`` of
    ``sample`` when several could be it, and the name) and the questions: the named
    columns that are neither ``technical`` nor those."""
    email = pick_email(candidates, itertools.islice(sample, SCAN_ROWS))
    who = who_answered(headers, email, technical)
    return Layout(who, questions(headers, set(technical) | who.columns))


def utc_time(text: str) -> tuple[dt.datetime | None, bool]:
    """A time cell read by :func:`read_time`, never the form's wall clock."""
    return read_time(text), False


def answered_rows(
    records: Iterable[tuple[int, list[str]]],
    platform: str,
    source: Source,
    layout: Layout,
    *,
    when: int | None,
    ident: int | None = None,
    campaign: str = "",
    read_at: Callable[[str], tuple[dt.datetime | None, bool]] = utc_time,
    timeless: str = "",
    refused: Callable[[Sequence[str]], str] | None = None,
) -> Iterator[ActivityRow | Rejected]:
    """One ANSWERED row per record, or a :class:`Rejected`: ``refused`` gives a record's
    reason to reject it before it is read ("" to read it), then one with no address, or
    with a time ``read_at`` (``(time, is wall clock)`` from the ``when`` cell) cannot read,
    is rejected, and one with no time too when ``timeless`` gives the reason (else it is
    undated). The key is the ``ident`` cell, the response's own id, or else the platform,
    the address and the time joined."""
    member, who, asked = source.member or "", layout.who, layout.asked
    for row, fields in records:
        reason = refused(fields) if refused is not None else ""
        if reason:
            yield Rejected(member, row, reason)
            continue
        address = cell(fields, who.email)
        if not address:
            yield Rejected(member, row, NO_EMAIL)
            continue
        written = cell(fields, when)
        try:
            at, local = read_at(written)
        except ValueError:
            yield bad_time(member, row, written)
            continue
        if at is None and timeless:
            yield Rejected(member, row, timeless)
            continue
        response = cell(fields, ident)
        yield ActivityRow(
            platform=platform,
            member=member,
            row=row,
            email=address,
            action=Action.ANSWERED,
            at=at,
            key=response or join_key(platform, address.lower(), at.isoformat() if at else ""),
            at_is_local=local,
            campaign=campaign,
            answers=answers_of(fields, asked),
            name=who.name(fields),
            source_id=response,
        )


def cell(fields: Sequence[str], index: int | None) -> str:
    """A cell trimmed of whitespace and invisible characters; "" when the row is short."""
    if index is None or index >= len(fields):
        return ""
    return clean_edges(fields[index])


def find_column(headers: Sequence[str], names: Iterable[str]) -> int | None:
    """The first header (by the order of ``names``) that is one of ``names``, folded."""
    folded = [fold(h) for h in headers]
    for name in names:
        wanted = fold(name)
        if wanted in folded:
            return folded.index(wanted)
    return None


def question_text(header: str) -> str:
    """A question's title without the HTML some forms keep in it (``<strong>``, ``&amp;``)."""
    text = html.unescape(_TAG.sub("", header)) if "<" in header or "&" in header else header
    return _SPACES.sub(" ", text).strip()


def _title_key(header: str) -> str:
    return fold(question_text(header).replace("\u2019", "'")).rstrip(" ?!:*")


def email_candidates(headers: Sequence[str], skip: Collection[int] = ()) -> list[int]:
    """Columns whose title speaks of an email address, left to right."""
    return [i for i, h in enumerate(headers) if i not in skip and _EMAIL_WORD.search(_title_key(h))]


def pick_email(candidates: Sequence[int], sample: Iterable[Sequence[str]]) -> int | None:
    """The candidate whose cells hold the most addresses in ``sample`` (the first on a
    tie): 'Would you like our emails?' is answered yes or no, an email question with an
    address."""
    if len(candidates) < 2:
        return candidates[0] if candidates else None
    counts = dict.fromkeys(candidates, 0)
    for fields in sample:
        for i in candidates:
            if "@" in cell(fields, i):
                counts[i] += 1
    return max(candidates, key=lambda i: (counts[i], -candidates.index(i)))


def who_answered(headers: Sequence[str], email: int | None, skip: Collection[int] = ()) -> Who:
    """The email column and the name columns among ``headers`` besides ``skip``."""
    full = first = last = None
    for i, h in enumerate(headers):
        if i in skip or i == email:
            continue
        key = _title_key(h)
        if full is None and key in _FULL_NAME:
            full = i
        elif first is None and key in _FIRST_NAME:
            first = i
        elif last is None and key in _LAST_NAME:
            last = i
    # Beside a first-name question, "Nom" is the last name; beside "Apellido", "Nombre"
    # is the first name.
    if full is not None and (first is None) != (last is None):
        first, last, full = (first, full, None) if last is None else (full, last, None)
    return Who(email, full, first, last)


def questions(headers: Sequence[str], skip: Collection[int]) -> tuple[Question, ...]:
    """Every named column that is not in ``skip``, as a question."""
    out = []
    for i, h in enumerate(headers):
        if i in skip:
            continue
        text = question_text(h)
        if text:
            out.append(Question(i, text))
    return tuple(out)


def answers_of(fields: Sequence[str], asked: Sequence[Question]) -> tuple[Answer, ...]:
    """The answered questions of a record, in column order; empty answers are left out.
    A multi-line answer keeps its lines; the cell is only trimmed."""
    out = []
    for q in asked:
        text = cell(fields, q.index)
        if text:
            out.append(Answer(q.text, text))
    return tuple(out)


def read_time(text: str, order: str = "") -> dt.datetime | None:
    """A time cell as a naive datetime (``crm.importing.values.parse_date``); None when
    empty. Raises ValueError for a cell that is not a date, or one whose zone takes it
    past year 1 or 9999."""
    try:
        stored = parse_date(text, order)
    except OverflowError:
        raise ValueError("a time out of range") from None
    return dt.datetime.fromisoformat(stored) if stored is not None else None


def bad_time(member: str, row: int, text: str) -> Rejected:
    shown = text if len(text) <= 40 else text[:40] + "..."
    return Rejected(member, row, f"the time '{shown}' is not a date")


def join_key(*parts: str) -> str:
    """An event key from the fields that make the event unique (``|`` between them)."""
    return "|".join(parts)
