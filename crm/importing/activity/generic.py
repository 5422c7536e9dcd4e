"""A generic activity CSV: an email, a time, and a link or an action per row.

Any tool's export of who did what, when: ``email,timestamp,url`` (a click log),
``Email;Date;Action`` (a spreadsheet kept by hand). The columns are named by a
:class:`GenericColumns` (the mapping window), or found by their header words
(:func:`guess_columns`, with the subscriber mapping's email synonyms). An action cell
is read in English, German, French or Spanish (:data:`ACTION_WORDS`); with no action
column, or an empty action cell, a row with a link is a click.

Times are read by :func:`crm.importing.values.parse_date`. A day/month order is the
owner's (``GenericColumns.order``) or decided by the column's values, reading on
through the file until one does; when none does (every slashed date could be either)
the file is refused with a sentence asking for the order. A time written with no zone
is the tool's local time as far as anyone knows: the row says so (``at_is_local``) so
the import can ask for the zone, unless ``naive_is_utc``.

The key joins the campaign, the lower-cased email, the time, the action and the link.
A row with no email is Rejected, as is an action word not known. Exact duplicate rows
are yielded with the same key: the import skips the second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from crm.errors import ImportFormatError, ValidationError
from crm.importing.activity import buttondown, mailchimp, substack
from crm.importing.activity.context import ReadContext
from crm.importing.activity.rows import Action, ActivityRow, Rejected
from crm.importing.activity.table import (
    Table,
    bad_time,
    cell,
    find_column,
    join_key,
    no_email,
    open_table,
    parse_time,
    written_with_zone,
)
from crm.importing.decoding import Decoding, Source
from crm.importing.mapping import (
    SYNONYMS,
    ColumnMap,
    Mapping,
    Target,
    email_column_by_values,
    fold,
)
from crm.importing.platforms import detect_platform
from crm.importing.values import day_month_order

PLATFORM = "generic_activity"
SOURCE = "generic"  # ActivityRow.platform, as the generic subscriber import names its files


def _words(text: str) -> tuple[str, ...]:
    return tuple(fold(w) for w in text.split("|"))


# Header words, compared as crm.importing.mapping.fold does, best first.
TIME_WORDS = _words(
    "timestamp|time|date|datetime|date time|time stamp|event time|event date|occurred at|"
    "happened at|clicked at|opened at|created at|when|"
    "zeit|zeitpunkt|zeitstempel|datum|datum und uhrzeit|"
    "horodatage|horodateur|date et heure|heure|"
    "fecha|fecha y hora|marca temporal|hora"
)
URL_WORDS = _words(
    "url|link|clicked url|clicked link|link url|target url|href|lien|enlace|link_url"
)
ACTION_WORDS_HEADERS = _words(
    "action|event|event type|action type|activity type|aktion|ereignis|ereignistyp|"
    "événement|evenement|type d'événement|acción|accion|evento|tipo de evento"
)
CAMPAIGN_WORDS = _words(
    "campaign|campaign name|campaign title|newsletter|email subject|subject|post|"
    "kampagne|betreff|campagne|objet|campaña|campana|asunto"
)


def _actions(**groups: str) -> dict[str, Action]:
    return {fold(w): Action(a) for a, words in groups.items() for w in words.split("|")}


# An action cell's words, folded; the Action values themselves too.
ACTION_WORDS = {a.value: a for a in Action} | _actions(
    opened="open|opened|opens|email opened|geöffnet|öffnung|ouvert|ouverture|abierto|apertura",
    clicked="click|clicked|clicks|link clicked|klick|geklickt|clic|cliqué|clique|clicado|hizo clic",
    delivered="deliver|delivered|delivery|sent|zugestellt|gesendet|délivré|livré|envoyé|"
    "entregado|enviado",
    answered="answer|answered|response|responded|form submitted|submitted|beantwortet|"
    "répondu au formulaire|respondido",
    replied="reply|replied|antwort|geantwortet|répondu|réponse|respuesta|respondió",
    downloaded="download|downloaded|heruntergeladen|téléchargé|descargado",
    booked="book|booked|booking|scheduled|gebucht|réservé|reservado",
    canceled="cancel|canceled|cancelled|storniert|annulé|cancelado",
    purchased="purchase|purchased|buy|bought|order|sale|gekauft|kauf|acheté|achat|comprado|compra",
    refunded="refund|refunded|erstattet|remboursé|reembolsado",
    unsubscribed="unsubscribe|unsubscribed|opt out|opted out|abgemeldet|désabonné|désinscrit|baja",
    bounced="bounce|bounced|hard bounce|unzustellbar|rebond|rebondi|rebotado",
    complained="complaint|complained|spam|spam complaint|abuse|beschwerde|plainte|queja",
)


@dataclass(frozen=True, slots=True)
class GenericColumns:
    """Which columns of a generic activity CSV say what, by header name ("" for none).

    ``order`` is the day/month order of slashed dates ("dmy" or "mdy") when the owner
    chose one; ``naive_is_utc`` says that times with no zone are UTC, not local."""

    email: str
    time: str = ""
    url: str = ""
    action: str = ""
    campaign: str = ""
    order: str = ""
    naive_is_utc: bool = False


@dataclass(frozen=True, slots=True)
class MappedContext(ReadContext):
    """The context of a file whose columns the owner mapped (``columns``)."""

    columns: GenericColumns | None = None


# The one column each of these targets may have, and the word the owner reads for it.
_MAPPED = {
    Target.EMAIL: ("email", "Email"),
    Target.TIME: ("time", "When they did it"),
    Target.URL: ("url", "Link they clicked"),
    Target.ACTION: ("action", "What they did"),
    Target.CAMPAIGN: ("campaign", "Campaign or form"),
}


def columns_from_mapping(
    mapping: Sequence[ColumnMap], date_orders: Sequence[tuple[int, str]] = ()
) -> GenericColumns:
    """The columns an owner's mapping names (``Target.TIME`` and the rest), with the
    day/month order chosen for the time column; one sentence for a mapping that cannot
    be read."""
    named: dict[str, str] = {}
    time_index: int | None = None
    for column in mapping:
        found = _MAPPED.get(column.target)
        if found is None:
            continue
        field, label = found
        if field in named:
            raise ValidationError(
                f"Two columns go to '{label}': keep one and set the other to Ignore."
            )
        if not column.header:
            raise ValidationError(
                f"Column {column.index + 1} has no name, so it cannot go to '{label}': "
                "give it a name in the file, or set it to Ignore."
            )
        named[field] = column.header
        if column.target is Target.TIME:
            time_index = column.index
    if "email" not in named:
        raise ValidationError("No column goes to Email: choose the column that holds addresses.")
    if "url" not in named and "action" not in named:
        raise ValidationError(
            "Choose the column that says what each person did, or the link they clicked."
        )
    order = dict(date_orders).get(time_index, "") if time_index is not None else ""
    return GenericColumns(
        named["email"],
        time=named.get("time", ""),
        url=named.get("url", ""),
        action=named.get("action", ""),
        campaign=named.get("campaign", ""),
        order=order,
    )


def _share(values: Sequence[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _is_time(text: str) -> bool:
    for order in ("dmy", "mdy"):
        try:
            if parse_time(text, order)[0] is not None:
                return True
        except ValueError:
            continue
    return False


def _is_link(text: str) -> bool:
    return text.lower().startswith(("http://", "https://", "www."))


def _is_action(text: str) -> bool:
    return fold(text) in ACTION_WORDS


def propose_mapping(
    headers: Sequence[str], samples: Sequence[Sequence[str]]
) -> tuple[Mapping, bool]:
    """The activity mapping the import window proposes for a file nothing recognised,
    and whether the file looks like activity: an email, a time, and a link or an action,
    found by header words or else by the values in the sampled rows."""
    guessed = guess_columns(headers)
    chosen: dict[Target, int] = {}
    if guessed is not None:
        for target, name in (
            (Target.EMAIL, guessed.email),
            (Target.TIME, guessed.time),
            (Target.URL, guessed.url),
            (Target.ACTION, guessed.action),
            (Target.CAMPAIGN, guessed.campaign),
        ):
            if name:
                chosen[target] = headers.index(name)
    if Target.EMAIL not in chosen:
        found = email_column_by_values(samples, len(headers))
        if found is not None:
            chosen[Target.EMAIL] = found
    for target, test in ((Target.TIME, _is_time), (Target.URL, _is_link),
                         (Target.ACTION, _is_action)):  # fmt: skip
        if target in chosen:
            continue
        for index in range(len(headers)):
            if index in chosen.values():
                continue
            values = [cell(row, index) for row in samples if cell(row, index)]
            if _share(values, test) > 0.8:
                chosen[target] = index
                break
    by_index = {index: target for target, index in chosen.items()}
    mapping = tuple(
        ColumnMap(index, header, by_index.get(index, Target.IGNORE))
        for index, header in enumerate(headers)
    )
    looks = (
        Target.EMAIL in chosen
        and Target.TIME in chosen
        and (Target.URL in chosen or Target.ACTION in chosen)
    )
    return mapping, looks


def _first(headers: Sequence[str], words: Sequence[str]) -> str:
    found = find_column([fold(h) for h in headers], words)
    return headers[found] if found is not None else ""


def guess_columns(headers: Sequence[str]) -> GenericColumns | None:
    """The columns found by their header words, or None without an email column."""
    email = next((h for h in headers if SYNONYMS.get(fold(h)) is Target.EMAIL), "")
    if not email:
        return None
    return GenericColumns(
        email,
        time=_first(headers, TIME_WORDS),
        url=_first(headers, URL_WORDS),
        action=_first(headers, ACTION_WORDS_HEADERS),
        campaign=_first(headers, CAMPAIGN_WORDS),
    )


def recognises(member: str, headers: Sequence[str]) -> bool:
    """An email, a time and a link or action column, in a file no subscriber preset and
    no other activity reader claims."""
    columns = guess_columns(headers)
    if columns is None or not columns.time or not (columns.url or columns.action):
        return False
    if detect_platform(headers, ()).platform != "generic":
        return False
    others = (mailchimp.recognises, substack.recognises, buttondown.recognises)
    return not substack.recognises_dashboard(headers) and not any(
        claims(member, headers) for claims in others
    )


def read(
    source: Source, decoding: Decoding, context: ReadContext
) -> Iterator[ActivityRow | Rejected]:
    """The file with the columns the owner mapped (a :class:`MappedContext`), else those
    its header words name (:func:`guess_columns`)."""
    if isinstance(context, MappedContext) and context.columns is not None:
        yield from read_mapped(source, decoding, context.columns, context)
        return
    with open_table(source, decoding) as table:
        headers = table.headers
    if not headers:
        return
    columns = guess_columns(headers)
    if columns is None:
        raise ImportFormatError(
            f"{source.label} has no email column: name one 'email', or pick it in the "
            "import window."
        )
    yield from read_mapped(source, decoding, columns, context)


def time_order(source: Source, decoding: Decoding, column: str) -> str | None:
    """The day/month order the values of a time column decide: "dmy" or "mdy", "" when
    every slashed date could be either, None when there is no slashed date. Reads on
    until a value decides, so a long file is read whole only when it must be."""
    with open_table(source, decoding) as table:
        index = table.column(column)
        if index is None:
            return None
        return day_month_order(cell(fields, index) for _, fields in table.records())


def read_mapped(
    source: Source,
    decoding: Decoding,
    columns: GenericColumns,
    context: ReadContext | None = None,
) -> Iterator[ActivityRow | Rejected]:
    """Every row of a generic activity CSV, by the columns the owner named."""
    titles = context.titles if context is not None else {}
    order = columns.order
    if columns.time and not order:
        found = time_order(source, decoding, columns.time)
        if found == "":
            raise ImportFormatError(
                f"The times in column '{columns.time}' of {source.label} could be day/month or "
                "month/day (like 03/04/2024): choose which in the import window."
            )
        order = found or ""
    with open_table(source, decoding) as table:
        if not table.headers:
            return
        email = _named(table, columns.email, source, "email")
        when = _named(table, columns.time, source, "time")
        url = _named(table, columns.url, source, "link")
        act = _named(table, columns.action, source, "action")
        campaign = _named(table, columns.campaign, source, "campaign")
        if url is None and act is None:
            raise ImportFormatError(
                f"{source.label} needs a link or an action column to say what each person did: "
                "pick one in the import window."
            )
        for row, fields in table.records():
            address = cell(fields, email)
            if not address:
                yield no_email(table, row)
                continue
            link, word = cell(fields, url), cell(fields, act)
            if word:
                action = ACTION_WORDS.get(fold(word))
                if action is None:
                    yield Rejected(table.member, row, f"unknown action '{word[:40]}'")
                    continue
            elif link:
                action = Action.CLICKED
            else:
                yield Rejected(table.member, row, "no action and no link")
                continue
            written = cell(fields, when)
            try:
                at, at_key = parse_time(written, order)
            except ValueError as exc:
                yield bad_time(table, row, written, exc)
                continue
            local = at is not None and not columns.naive_is_utc and not written_with_zone(written)
            name = cell(fields, campaign)
            title = titles.get(name, name)
            key = join_key(SOURCE, name, address.lower(), at_key, action.value, link)
            yield ActivityRow(
                SOURCE,
                table.member,
                row,
                address,
                action,
                at,
                key,
                at_is_local=local,
                url=link,
                campaign=title,
            )


def _named(table: Table, name: str, source: Source, what: str) -> int | None:
    """The index of the column the owner named, None when none was; a name the file does
    not have is refused (a mapping made for another file)."""
    if not name:
        return None
    index = table.column(name)
    if index is None:
        raise ImportFormatError(
            f"{source.label} has no column '{name}' for the {what}: check the mapping."
        )
    return index
