"""Rule 6 as the importer applies it, and the fast path of check_email."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crm.book.emails import _PLAIN, check_email, clean_edges, email_problem
from crm.importing import import_csv
from tests.crm.importing.conftest import lead, write


def test_name_and_address_and_invisible_edges(db, now, tmp_path) -> None:
    text = (
        "email,name\n"
        '"Ada Lovelace <Ada@Example.com>",Ada\n'
        "\u00a0\u200bbob@example.com\ufeff ,Bob\n"
        "jörg@example.de,Jörg\n"
        "a b@example.com,Inner space\n"
        "x@192.168.0.1,IP\n"
        "first..last@example.com,Dots\n"
    )
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert lead("ada@example.com").email == "Ada@Example.com"
    assert lead("bob@example.com").email == "bob@example.com"
    assert lead("jörg@example.de").first_name == "Jörg"
    assert any("took the address out of" in w for w in report.warning_texts)
    assert any("non-ASCII" in w for w in report.warning_texts)
    reasons = [e.reason for e in report.errors]
    assert [r.split(": ", 1)[1] for r in reasons] == [
        "email contains whitespace",
        "email domain is an IP address",
        "email has a misplaced dot before the @",
    ]


def test_international_domains_are_accepted_with_a_warning(db, now, tmp_path) -> None:
    text = "email\nanna@bücher.example\nbob@xn--bcher-kva.example\ncy@пример.рф\n"
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert (report.created, report.rejected) == (3, 0)
    assert report.warning_texts == tuple(
        f"row {n}: email has an international domain name" for n in (1, 2, 3)
    )
    assert lead("anna@bücher.example").email == "anna@bücher.example"


def test_dots_and_plus_tags_are_significant(db, now, tmp_path) -> None:
    text = "email\ntom.baker@example.org\ntombaker@example.org\ntom.baker+news@example.org\n"
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert report.created == 3 and report.duplicates_in_file == 0


_ADDRESSES = st.from_regex(
    r"[A-Za-z0-9._%+\-=!#&'*/?^`{|}~\u00e9]{0,12}@[A-Za-z0-9.\-_\u00e9]{0,14}\.?[a-z0-9]{0,4}",
    fullmatch=True,
)


@given(_ADDRESSES)
def test_fast_path_only_accepts_what_the_full_rules_accept(text: str) -> None:
    if _PLAIN.fullmatch(text):
        assert email_problem(clean_edges(text)) is None
        checked = check_email(text)
        assert (checked.address, checked.key, checked.warnings) == (text, text.lower(), ())


def test_a_mailto_cell_is_stored_without_its_prefix(db, now, tmp_path) -> None:
    text = "email\nmailto:a@example.org\nx:y@example.org\n"
    report = import_csv(write(tmp_path, "m.csv", text), now=now)
    assert report.created == 1
    assert lead("a@example.org").email == "a@example.org"
    assert report.warning_texts == ("row 1: took the address out of 'mailto:a@example.org'",)
    assert [(e.row, e.reason.split(": ", 1)[1]) for e in report.errors] == [
        (2, "email contains ':'")
    ]
