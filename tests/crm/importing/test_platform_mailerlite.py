"""MailerLite (heuristic): the address is in a column headed 'Subscriber'."""

from __future__ import annotations

from crm.importing import preview_csv
from crm.importing.mapping import Target
from tests.crm.importing.conftest import DATA, lead, run


def test_detected_by_heuristics_and_shown_for_confirmation() -> None:
    preview = preview_csv(DATA / "mailerlite_subscribers.csv")
    assert preview.platform == "mailerlite"
    assert preview.heuristic


def test_mailerlite(db, now) -> None:
    preview = preview_csv(DATA / "mailerlite_subscribers.csv")
    assert preview.mapping[0].target is Target.EMAIL  # 'Subscriber' holds the address
    run("mailerlite_subscribers.csv", now)
    jose = lead("jose.garcia@example.es")
    assert (jose.first_name, jose.last_name, jose.phone) == ("José", "García", "+34 600 000 000")
    assert jose.tags == ("Clientes", "VIP") and jose.status == "subscribed"


def test_subscribed_date_is_the_sign_up_time(db, now) -> None:
    from tests.crm.importing.conftest import timeline

    run("mailerlite_subscribers.csv", now)
    yes = [str(i.at) for i in timeline("jose.garcia@example.es") if i.kind == "commitment"]
    assert yes == ["2023-05-02 10:11:12"]
