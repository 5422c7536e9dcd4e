"""A generic activity CSV: an email, a time, and a link or an action per row.

Any tool's export of who did what, when: ``email,timestamp,url`` (a click log),
``Email;Date;Action`` (a spreadsheet kept by hand), a shop's orders
(``order_number,user_email,status,total,currency,refunded_amount,created_at``). The
columns are named by a :class:`GenericColumns` (the mapping window), or found by their
header words (:func:`guess_columns`, with the subscriber mapping's email synonyms). An
action cell is read in English, German, French or Spanish (:data:`ACTION_WORDS`, and a
payment status such as ``partial_refund``, ``failed`` or ``pending``); with no action
column, or an empty action cell, a row with an amount is a sale and a row with a link a
click. Sales, refunds and bookings, with their amount, currency, refunded part, product,
order id and meeting time, are made by :mod:`crm.importing.activity.generic_sales`; an
amount column with no currency column refuses the file.

Times are read by :func:`crm.importing.values.parse_date`. A day/month order is the
owner's (``GenericColumns.order``) or decided by the column's values, reading on
through the file until one does; when none does (every slashed date could be either)
the file is refused with a sentence asking for the order. A time written with no zone
is the tool's local time as far as anyone knows: the row says so (``at_is_local``) so
the import can ask for the zone, unless ``naive_is_utc``.

The key joins the campaign, the lower-cased email, the time, the action and the link (a
sale's and a booking's are generic_sales's). A row with no email is Rejected, as is an
action word not known. Exact duplicate rows are yielded with the same key: the import
skips the second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from crm.errors import ImportFormatError, ValidationError
from crm.importing.activity import buttondown, generic_sales, mailchimp, substack
from crm.importing.activity.context import ReadContext
from crm.importing.activity.generic_sales import DEALS, DealColumns, Deals, Said, Written
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
AMOUNT_WORDS = _words(
    "amount|total|gross|price|sale price|order total|amount paid|paid amount|"
    "betrag|summe|gesamtbetrag|preis|montant|prix|montant payé|importe|precio|monto"
)
CURRENCY_WORDS = _words("currency|currency code|währung|devise|monnaie|moneda|divisa")
REFUNDED_WORDS = _words(
    "refunded|refunded amount|amount refunded|refund amount|refunded total|"
    "erstattet|erstattungsbetrag|erstatteter betrag|remboursé|montant remboursé|"
    "reembolsado|importe reembolsado|monto reembolsado"
)
PRODUCT_WORDS = _words(
    "product|product name|item|item name|item title|event type|event type name|"
    "produkt|produktname|artikel|produit|nom du produit|article|producto|artículo"
)
ORDER_WORDS = _words(
    "order|order id|order number|order no|order #|booking id|booking uid|transaction id|"
    "sale id|bestellnummer|bestell nr|buchungsnummer|numéro de commande|n° de commande|"
    "commande|número de pedido|pedido"
)
STARTS_WORDS = _words(
    "starts|starts at|start|start time|start date|start date & time|meeting time|"
    "event start|event start time|beginn|startzeit|début|heure de début|date de début|"
    "inicio|hora de inicio|fecha de inicio"
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
    booked="book|booked|booking|scheduled|gebucht|buchung|réservé|réservation|reservado|reserva|"
    "agendado",
    canceled="cancel|canceled|cancelled|storniert|abgesagt|annulé|annulation|cancelado|"
    "cancelación|anulado",
    purchased="purchase|purchased|buy|bought|order|sale|paid|payment|sold|gekauft|kauf|bezahlt|"
    "bestellung|verkauf|verkauft|acheté|achat|payé|paiement|commande|vente|vendu|comprado|"
    "compra|pagado|pago|pedido|venta|vendido",
    refunded="refund|refunded|erstattet|erstattung|rückerstattung|remboursé|remboursement|"
    "reembolsado|reembolso",
    unsubscribed="unsubscribe|unsubscribed|opt out|opted out|abgemeldet|désabonné|désinscrit|baja",
    bounced="bounce|bounced|hard bounce|unzustellbar|rebond|rebondi|rebotado",
    complained="complaint|complained|spam|spam complaint|abuse|beschwerde|plainte|queja",
)


@dataclass(frozen=True, slots=True)
class GenericColumns:
    """Which columns of a generic activity CSV say what, by header name ("" for none).

    ``order`` is the day/month order of slashed dates ("dmy" or "mdy") when the owner
    chose one; ``naive_is_utc`` says that times with no zone are UTC, not local. The
    sale and booking columns follow: ``order_id`` is the one the mapping calls ``order``
    (the sale's or booking's own id), ``starts`` a booking's meeting time."""

    email: str
    time: str = ""
    url: str = ""
    action: str = ""
    campaign: str = ""
    order: str = ""
    naive_is_utc: bool = False
    amount: str = ""
    currency: str = ""
    refunded: str = ""
    product: str = ""
    order_id: str = ""
    starts: str = ""


@dataclass(frozen=True, slots=True)
class MappedContext(ReadContext):
    """The context of a file whose columns the owner mapped (``columns``)."""

    columns: GenericColumns | None = None


# The one column each of these targets may have, and the word the owner reads for it. A
# status column (``--map status=Status``) is what a shop says each order is: the action.
_MAPPED = {
    Target.EMAIL: ("email", "Email"),
    Target.TIME: ("time", "When they did it"),
    Target.URL: ("url", "Link they clicked"),
    Target.ACTION: ("action", "What they did"),
    Target.STATUS: ("action", "What they did"),
    Target.CAMPAIGN: ("campaign", "Campaign or form"),
    Target.AMOUNT: ("amount", "Amount paid"),
    Target.CURRENCY: ("currency", "Currency"),
    Target.REFUNDED: ("refunded", "Amount refunded"),
    Target.PRODUCT: ("product", "Product or event type"),
    Target.ORDER: ("order_id", "Order or booking id"),
    Target.STARTS: ("starts", "Meeting time"),
}
# The sale and booking fields of GenericColumns, as the mapping names them.
_DEAL_FIELDS = ("amount", "currency", "refunded", "product", "order_id", "starts")


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
    if "url" not in named and "action" not in named and "amount" not in named:
        raise ValidationError(
            "Choose the column that says what each person did, the link they clicked, or "
            "the amount they paid."
        )
    order = dict(date_orders).get(time_index, "") if time_index is not None else ""
    return GenericColumns(
        named["email"],
        time=named.get("time", ""),
        url=named.get("url", ""),
        action=named.get("action", ""),
        campaign=named.get("campaign", ""),
        order=order,
        amount=named.get("amount", ""),
        currency=named.get("currency", ""),
        refunded=named.get("refunded", ""),
        product=named.get("product", ""),
        order_id=named.get("order_id", ""),
        starts=named.get("starts", ""),
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
    """An action word, or a payment status that says failed or partly refunded (not
    "pending", which a list of people's status column says too)."""
    folded = fold(text)
    return folded in ACTION_WORDS or generic_sales.STATE_WORDS.get(folded, "") in (
        generic_sales.FAILED,
        generic_sales.PARTIAL_REFUND,
    )


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
    taken = set(chosen.values())
    for target, words in _DEAL_WORDS:
        header = _first(headers, words, taken)
        if header:
            chosen[target] = headers.index(header)
            taken.add(chosen[target])
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


_DEAL_WORDS = (
    (Target.AMOUNT, AMOUNT_WORDS),
    (Target.CURRENCY, CURRENCY_WORDS),
    (Target.REFUNDED, REFUNDED_WORDS),
    (Target.PRODUCT, PRODUCT_WORDS),
    (Target.ORDER, ORDER_WORDS),
    (Target.STARTS, STARTS_WORDS),
)


def _first(headers: Sequence[str], words: Sequence[str], taken: Iterable[int] = ()) -> str:
    """The header the first of ``words`` names, of the columns not ``taken``."""
    skip = set(taken)
    folded = [fold(h) if i not in skip else "" for i, h in enumerate(headers)]
    found = find_column(folded, words)
    return headers[found] if found is not None else ""


def guess_columns(headers: Sequence[str]) -> GenericColumns | None:
    """The columns found by their header words, or None without an email column. An
    amount is only guessed beside a currency: a guess never refuses a file."""
    email = next((h for h in headers if SYNONYMS.get(fold(h)) is Target.EMAIL), "")
    if not email:
        return None
    named = {
        "time": _first(headers, TIME_WORDS),
        "url": _first(headers, URL_WORDS),
        "action": _first(headers, ACTION_WORDS_HEADERS),
        "campaign": _first(headers, CAMPAIGN_WORDS),
    }
    taken = {headers.index(h) for h in (email, *named.values()) if h}
    for (_, words), name in zip(_DEAL_WORDS, _DEAL_FIELDS, strict=True):
        named[name] = _first(headers, words, taken)
        if named[name]:
            taken.add(headers.index(named[name]))
    return GenericColumns(
        email,
        time=named["time"],
        url=named["url"],
        action=named["action"],
        campaign=named["campaign"],
        amount=named["amount"] if named["currency"] else "",
        currency=named["currency"],
        refunded=named["refunded"],
        product=named["product"],
        order_id=named["order_id"],
        starts=named["starts"],
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
    order = _decided_order(source, decoding, columns.time, columns.order)
    with open_table(source, decoding) as table:
        if not table.headers:
            return
        email = _named(table, columns.email, source, "email")
        when = _named(table, columns.time, source, "time")
        url = _named(table, columns.url, source, "link")
        act = _named(table, columns.action, source, "action")
        campaign = _named(table, columns.campaign, source, "campaign")
        deal = DealColumns(
            amount=_named(table, columns.amount, source, "amount"),
            currency=_named(table, columns.currency, source, "currency"),
            refunded=_named(table, columns.refunded, source, "refunded amount"),
            product=_named(table, columns.product, source, "product"),
            order=_named(table, columns.order_id, source, "order id"),
            starts=_named(table, columns.starts, source, "meeting time"),
            naive_is_utc=columns.naive_is_utc,
        )
        if url is None and act is None and deal.amount is None:
            raise ImportFormatError(
                f"{source.label} needs a link or an action column to say what each person did: "
                "pick one in the import window."
            )

    def said(fields: list[str]) -> Said | str:
        return _said(cell(fields, act), cell(fields, url), cell(fields, deal.amount))

    deals = _deals(source, decoding, columns, deal, order, said)
    with open_table(source, decoding) as table:
        sales = Deals(table, deals[0], deals[1], SOURCE) if deals is not None else None
        for row, fields in table.records():
            if sales is not None:
                applied = sales.applied(row)
                if applied is not None:
                    yield applied
                    continue
            address = cell(fields, email)
            if not address:
                yield no_email(table, row)
                continue
            what = said(fields)
            if isinstance(what, str):
                yield Rejected(table.member, row, what)
                continue
            action = what.action
            written = cell(fields, when)
            try:
                at, at_key = parse_time(written, order)
            except ValueError as exc:
                yield bad_time(table, row, written, exc)
                continue
            local = at is not None and not columns.naive_is_utc and not written_with_zone(written)
            name = cell(fields, campaign)
            title = titles.get(name, name)
            link = cell(fields, url)
            key = join_key(SOURCE, name, address.lower(), at_key, action.value, link)
            if action in DEALS:
                if sales is None:
                    sales = Deals(table, deal, generic_sales.Survey(), SOURCE)
                facts = Written(row, fields, address, what, at, at_key, local, title, key)
                yield sales.row(facts)
                continue
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


def _decided_order(source: Source, decoding: Decoding, column: str, chosen: str) -> str:
    """The day/month order of a time column: the owner's, else the one its values decide;
    the file is refused when they decide none."""
    if not column or chosen:
        return chosen
    found = time_order(source, decoding, column)
    if found == "":
        raise ImportFormatError(
            f"The times in column '{column}' of {source.label} could be day/month or "
            "month/day (like 03/04/2024): choose which in the import window."
        )
    return found or ""


def _said(word: str, link: str, amount: str) -> Said | str:
    """What a row says it is, or why it is refused or skipped: its action (or payment
    status) word, else a sale when it has an amount, else a click when it has a link."""
    if word:
        folded = fold(word)
        action = ACTION_WORDS.get(folded)
        state = "" if action is not None else generic_sales.STATE_WORDS.get(folded, "")
        if action is None and not state:
            return f"unknown action '{word[:40]}'"
        return generic_sales.said_by_word(action, state, amount)
    if amount:
        return Said(Action.PURCHASED, worded=False)
    if link:
        return Said(Action.CLICKED, worded=False)
    return "no action and no link"


def _deals(
    source: Source,
    decoding: Decoding,
    columns: GenericColumns,
    deal: DealColumns,
    order: str,
    said: Callable[[list[str]], Said | str],
) -> tuple[DealColumns, generic_sales.Survey] | None:
    """The sale and booking columns with the meeting times' order, and what the whole
    file says of its sales (a first reading), or None when no such column is mapped."""
    if all(i is None for i in (deal.amount, deal.refunded, deal.order, deal.starts)):
        return None
    if deal.starts is not None:
        # a tool writes both its times alike: the meeting's follow the time column's order
        found = time_order(source, decoding, columns.starts)
        if found == "" and not order:
            raise ImportFormatError(
                f"The meeting times in column '{columns.starts}' of {source.label} could be "
                "day/month or month/day (like 03/04/2024): write them as 2024-04-03 10:00, "
                "or map a time column that says which."
            )
        deal = replace(deal, starts_order=found or order)
    with open_table(source, decoding) as table:
        found_sales = generic_sales.survey(table.records(), deal, said)
    if found_sales.amounts and deal.currency is None:
        raise ImportFormatError(
            f"{source.label} has amounts in column '{columns.amount}' but no currency column: "
            "map the column that says each sale's currency (EUR, USD...)."
        )
    return deal, found_sales


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
