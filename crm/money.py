"""Money: exact amounts in a currency, never floats, never added across currencies.

A stored amount is an integer count of the currency's minor units (cents; whole yen for
JPY, which has none; fils for the three-decimal dinars), so sums in SQL are exact and
fast. :data:`CURRENCIES` is ISO 4217's list of active codes with each one's minor unit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from crm.errors import ValidationError

# ISO 4217 active codes -> decimal places of the minor unit. Two unless listed otherwise.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN "
    "BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN "
    "ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES "
    "KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK "
    "MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR "
    "SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD "
    "TWD TZS UAH USD USN UYU UZS VED VES WST XCD YER ZAR ZMW ZWG ZWL"
)
CURRENCIES: Mapping[str, int] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}
SYMBOLS: Mapping[str, str] = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}

MAX_MINOR = 10**13  # minor units of one amount: a sum of 900,000 of them fits 64 bits
_PLAIN = re.compile(r"^-?\d{1,15}(?:\.\d{1,4})?$")
_NUMBER = re.compile(r"^[+-]?(?:\d[\d.,' \u00a0\u202f]*)?\d$|^[+-]?\d*[.,]\d+$")


def check_currency(code: str) -> str:
    """An ISO 4217 code, upper case; ValidationError for anything else."""
    text = code.strip().upper()
    if text not in CURRENCIES:
        shown = code.strip()[:12] or "(empty)"
        raise ValidationError(
            f"'{shown}' is not an ISO 4217 currency code: write a code such as EUR, USD or JPY."
        )
    return text


def parse_amount(text: str, decimal: str = "") -> Decimal:
    """A money cell as an exact Decimal: ``19.00``, ``29.0``, ``"1,234.00"``, ``35,82``,
    ``1.234,00``, ``5000``, ``-12.50``, a currency sign or code around it.

    ``decimal`` is the file's decimal mark when the caller knows it ("." or ","); without
    it a lone mark followed by exactly three digits (``1,234``) is taken as a thousands
    separator only when it is a comma. ValidationError for a cell that is no amount.
    """
    if _PLAIN.match(text) and (decimal != "," or "." not in text):
        return Decimal(text)  # "19.00", "5000": what most exports write
    raw = text
    cleaned = text.strip().replace("\u2212", "-")
    cleaned = re.sub(r"^[A-Za-z]{3}\s*|\s*[A-Za-z]{3}$", "", cleaned)  # "EUR 12", "12 EUR"
    cleaned = cleaned.strip().strip("$€£¥").strip()
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1].strip()
    if not cleaned or not _NUMBER.match(cleaned):
        raise ValidationError(_not_amount(raw))
    for space in (" ", "\u00a0", "\u202f", "'"):
        cleaned = cleaned.replace(space, "")
    mark = decimal or _decimal_mark(cleaned)
    group = "," if mark == "." else "."
    if mark not in ".,":
        raise ValidationError(_not_amount(raw))
    if cleaned.count(mark) > 1:
        raise ValidationError(_not_amount(raw))
    whole, _, fraction = cleaned.partition(mark)
    if group in fraction:
        raise ValidationError(_not_amount(raw))
    if group in whole and not _grouped(whole.lstrip("+-"), group):
        raise ValidationError(_not_amount(raw))
    number = whole.replace(group, "") + ("." + fraction if fraction else "")
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValidationError(_not_amount(raw)) from None
    return -value if negative else value


def _decimal_mark(text: str) -> str:
    dot, comma = text.rfind("."), text.rfind(",")
    if dot >= 0 and comma >= 0:
        return "." if dot > comma else ","
    if comma >= 0:
        after = len(text) - comma - 1
        # "1,234" and "12,345,678" group thousands; "35,82" and "9,5" are decimals
        if after == 3 and text.count(",") >= 1 and _grouped(text.lstrip("+-"), ","):
            return "."
        return ","
    return "."


def _grouped(whole: str, group: str) -> bool:
    parts = whole.split(group)
    return 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])


def _not_amount(text: str) -> str:
    shown = text.strip()[:30] or "(empty)"
    return f"'{shown}' is not an amount of money: write it like 19.00 or 19,00."


def to_minor(amount: Decimal, currency: str) -> int:
    """``amount`` in the currency's minor units; ValidationError when it has finer
    fractions than the currency (19.999 USD), or is too large for one sale (:data:`MAX_MINOR`:
    the database's integers, and the sums of a million of them, must hold it)."""
    places = CURRENCIES[currency]
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            f"{amount} {currency} has more decimals than {currency} has ({places}): "
            "check the amount column."
        )
    if abs(scaled) >= MAX_MINOR:
        shown = str(amount) if len(str(amount)) <= 30 else f"{amount:.3e}"
        raise ValidationError(
            f"{shown} {currency} is too large to be one sale's amount: check the amount column."
        )
    return int(scaled)


def parse_money(text: str, currency: str, decimal: str = "") -> Decimal:
    """A money cell as an exact amount in ``currency``, with its places (``29.0`` USD ->
    ``29.00``; ``5000`` JPY); ValidationError for a cell that is no amount of it."""
    return from_minor(to_minor(parse_amount(text, decimal), currency), currency)


def from_minor(minor: int, currency: str) -> Decimal:
    """Minor units back to an exact Decimal with the currency's places (``Decimal('19.00')``)."""
    places = CURRENCIES.get(currency, 2)
    return Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def decimal_text(minor: int, currency: str) -> str:
    """The amount as a plain decimal string, as JSON gives it: ``"6150.00"``, ``"5000"``."""
    return str(from_minor(minor, currency))


def shown(minor: int, currency: str) -> str:
    """The amount as a person reads it: ``€6,150.00``, ``¥5,000``, ``CHF 49.00``."""
    value = from_minor(minor, currency)
    places = CURRENCIES.get(currency, 2)
    text = f"{abs(value):,.{places}f}"
    sign = "-" if value < 0 else ""
    symbol = SYMBOLS.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"
