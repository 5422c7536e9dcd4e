"""EmailOctopus (heuristic): upper-case status values decide the platform."""

from __future__ import annotations

from crm.importing import preview_csv
from tests.crm.importing.conftest import DATA, lead, run


def test_detected_by_heuristics_and_shown_for_confirmation() -> None:
    preview = preview_csv(DATA / "emailoctopus_contacts.csv")
    assert preview.platform == "emailoctopus"
    assert preview.heuristic


def test_emailoctopus(db, now) -> None:
    report = run("emailoctopus_contacts.csv", now)
    assert report.statuses == {"pending": 1, "subscribed": 1, "unsubscribed": 1}
    assert lead("lukas@example.at").tags == ("Kunde",)


def test_created_at_is_the_sign_up_time(db, now) -> None:
    from tests.crm.importing.conftest import timeline

    run("emailoctopus_contacts.csv", now)
    yes = [str(i.at) for i in timeline("lukas@example.at") if i.kind == "commitment"]
    assert yes == ["2023-01-01 10:00:00"]
