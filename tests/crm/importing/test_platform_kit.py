"""Kit / ConvertKit (heuristic): snake_case headers, status words, comma tags."""

from __future__ import annotations

from crm.importing import preview_csv
from tests.crm.importing.conftest import DATA, lead, run


def test_detected_by_heuristics_and_shown_for_confirmation() -> None:
    preview = preview_csv(DATA / "kit_subscribers.csv")
    assert preview.platform == "kit"
    assert preview.heuristic


def test_kit(db, now) -> None:
    run("kit_subscribers.csv", now)
    assert lead("priya@example.in").tags == ("Lead magnet", "Webinar 2024")
    assert lead("tomas@example.mx").status == "unsubscribed"
    assert lead("nia@example.com").status == "pending"


def test_a_named_platform_overrides_detection(db, now) -> None:
    report = run("kit_subscribers.csv", now, platform="generic")
    assert report.platform == "generic" and report.platform_label == "Generic CSV"
    # Generic synonyms still find the names and a status column's words.
    priya = lead("priya@example.in")
    assert (priya.first_name, priya.status, priya.source) == ("Priya", "subscribed", "generic")
