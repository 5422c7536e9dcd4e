"""Email cleaning and validation (the import policy's rule 6, shared by every way in)."""

from __future__ import annotations

import pytest

from crm.book.emails import check_email
from crm.errors import ValidationError


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("  Ada@Example.com ", "Ada@Example.com"),
        ("\u00a0ada@example.com\u200b", "ada@example.com"),
        ("\ufeffada@example.com", "ada@example.com"),
        ("\u200b \u200bada@example.com\u00a0 \ufeff", "ada@example.com"),
        ("first.last+news@sub.example.co.uk", "first.last+news@sub.example.co.uk"),
    ],
)
def test_valid_addresses_are_trimmed(raw: str, address: str) -> None:
    checked = check_email(raw)
    assert checked.address == address
    assert checked.key == address.lower()
    assert checked.warnings == ()


def test_name_and_address_gives_the_address_with_a_warning() -> None:
    checked = check_email("Ada Lovelace <ada@example.com>")
    assert checked.address == "ada@example.com"
    assert checked.warnings


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "missing"),
        ("ada.example.com", "no @"),
        ("a@b@example.com", "more than one @"),
        ("@example.com", "nothing before"),
        ("ada@", "no domain"),
        ("ada lovelace@example.com", "whitespace"),
        (".ada@example.com", "dot"),
        ("ada.@example.com", "dot"),
        ("a..da@example.com", "dot"),
        ("a" * 65 + "@example.com", "64"),
        ("a@" + "b" * 250 + ".com", "254"),
        ("ada@[192.0.2.1]", "IP"),
        ("ada@192.0.2.1", "IP"),
        ("ada@localhost", "no dot"),
        ("ada@-example.com", "'-'"),
        ("ada@example-.com", "'-'"),
        ("ada@example.com.", "ends with a dot"),
        ("ada@example.c", "top-level"),
        ("ada@example.c0m", "top-level"),
        ("tel:ada@example.org", "':'"),
        ("ada:lovelace@example.org", "':'"),
        ("ada@example.org:8080", "':'"),
        ("ada@exa:mple.org", "':'"),
        ("mailto:mailto:ada@example.org", "':'"),
        ("a@x.org; b@y.org", "two addresses in one cell"),
        ("a@x.org;b@y.org", "two addresses in one cell"),
        ("a@x.org, b@y.org", "two addresses in one cell"),
        ("a@x.org,b@y.org", "two addresses in one cell"),
        ("a@x.org , b@y.org ;", "two addresses in one cell"),
        ("a@x.org b@y.org", "two addresses in one cell"),
    ],
)
def test_invalid_addresses_are_refused_with_a_reason(raw: str, why: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_email(raw)
    assert why in info.value.user_message


def test_non_ascii_local_part_and_idn_domain_are_accepted_with_warnings() -> None:
    assert check_email("josé@example.com").warnings
    assert check_email("ada@bücher.example").warnings
    assert check_email("ada@xn--bcher-kva.example").warnings


def test_dots_and_plus_tags_are_significant_for_the_key() -> None:
    assert check_email("a.b@example.com").key != check_email("ab@example.com").key
    assert check_email("ab+x@example.com").key != check_email("ab@example.com").key


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("mailto:ada@example.org", "ada@example.org"),
        ("MAILTO:Ada@Example.org", "Ada@Example.org"),
        (" mailto: ada@example.org", "ada@example.org"),
        ("mailto:ada@example.org?subject=Hello", "ada@example.org"),
        ("Ada <mailto:ada@example.org>", "ada@example.org"),
    ],
)
def test_a_mailto_prefix_is_taken_off_with_a_warning(raw: str, address: str) -> None:
    checked = check_email(raw)
    assert checked.address == address
    assert any("mailto:" in w.lower() for w in checked.warnings)


@pytest.mark.parametrize(
    "raw", ["a,b@example.org", "a;b@example.org", '"ada"@example.org', "a@exa;mple.org"]
)
def test_separators_and_quotes_are_never_stored(raw: str) -> None:
    with pytest.raises(ValidationError):
        check_email(raw)


def test_hand_added_leads_follow_the_same_rules(db, now) -> None:
    from crm.book.leads import add_lead

    assert add_lead("mailto:ada@example.org", now=now).email == "ada@example.org"
    with pytest.raises(ValidationError):
        add_lead("a:b@example.org", now=now)
