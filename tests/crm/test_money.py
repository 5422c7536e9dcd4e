"""Money cells read exactly, and amounts no database integer (or sum of them) could hold
refused with a sentence instead of failing the import."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.errors import ValidationError
from crm.money import MAX_MINOR, from_minor, parse_amount, to_minor


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [
        ("19.00", "", "19.00"),
        ("1,234.00", "", "1234.00"),
        ("35,82", "", "35.82"),
        ("1.234", ",", "1234"),
        ("(12.50)", "", "-12.50"),
        ("EUR 12", "", "12"),
    ],
)
def test_amounts_parse_exactly(text: str, mark: str, value: str) -> None:
    assert parse_amount(text, mark) == Decimal(value)


def test_minor_units_are_exact_and_bounded() -> None:
    assert to_minor(Decimal("19.99"), "EUR") == 1999
    assert to_minor(Decimal("5000"), "JPY") == 5000
    assert from_minor(1999, "EUR") == Decimal("19.99")
    with pytest.raises(ValidationError, match="more decimals than USD has"):
        to_minor(Decimal("19.999"), "USD")
    largest = from_minor(MAX_MINOR - 1, "USD")
    assert to_minor(largest, "USD") == MAX_MINOR - 1
    with pytest.raises(ValidationError) as refused:
        to_minor(Decimal("99999999999999999999.00"), "USD")
    assert refused.value.user_message == (
        "99999999999999999999.00 USD is too large to be one sale's amount: check the amount column."
    )
    with pytest.raises(ValidationError, match="too large"):
        to_minor(Decimal("-1E+40"), "JPY")
