"""Ghost members export (tiers and the 2026 gift_id layout)."""

from __future__ import annotations

from tests.crm.importing.conftest import lead, run, timeline


def test_members_export(db, now) -> None:
    report = run("ghost_members.csv", now)
    assert report.platform == "ghost" and report.created == 5
    renee = lead("renee60@example.com")
    assert (renee.first_name, renee.last_name) == ("Renée", "Dubois")
    assert renee.tags == ("Patron", "Workshop 2024")
    assert renee.custom["stripe_customer_id"] == "cus_979630dc9fde86"
    assert lead("hanako.sato+news@studio.example.com").first_name == "佐藤花子"
    note = lead("rvenkataraman@mail.example.com").notes
    assert note == "Wrote in about the\r\nbook club, wants a reminder."  # verbatim, CRLF kept
    assert lead("francois.garnier@example.net").tags == ("Café regulars", "VIP")


def test_subscribed_to_emails_false_is_unsubscribed(db, now) -> None:
    run("ghost_members.csv", now)
    thandiwe = lead("thandiwe.adeyemi@post.example.org")
    assert thandiwe.status == "unsubscribed"
    assert thandiwe.custom["status_raw"] == "subscribed_to_emails=false"
    kinds = [i.kind for i in timeline(thandiwe.email)]
    assert "status" in kinds and "commitment" in kinds


def test_the_apostrophe_ghost_puts_before_a_formula_is_dropped(db, now) -> None:
    # Ghost's exporter escapes formulae ('=1+2); the apostrophe is not part of the name,
    # as in every other column.
    run("ghost_members.csv", now)
    assert lead("francois.garnier@example.net").first_name == "=1+2"


def test_2026_layout_with_gift_id(db, now) -> None:
    report = run("ghost_members_gift_id_2026.csv", now)
    assert report.platform == "ghost" and report.created == 2
    assert lead("sho.yamada@studio.example.com").custom["gift_id"] == "gift_8f2a"
