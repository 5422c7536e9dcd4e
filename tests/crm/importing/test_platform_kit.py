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


def test_status_words_kit_does_not_use_are_still_read(db, now, tmp_path) -> None:
    from tests.crm.importing.conftest import write

    text = (
        "email,first_name,city,status\n"
        "a@example.com,Ann,Paris,unsubscribed\n"
        "b@example.com,Bo,Lyon,hard bounce\n"
        "c@example.com,Cy,Nice,subscribed\n"
    )
    report = run(write(tmp_path, "k.csv", text), now)
    assert report.platform == "kit" and report.warnings == 0
    assert report.statuses == {"bounced": 1, "subscribed": 1, "unsubscribed": 1}
    assert lead("a@example.com").status == "unsubscribed"


def test_iso_dates_with_z_are_the_sign_up_time(db, now) -> None:
    from tests.crm.importing.conftest import timeline

    run("kit_subscribers.csv", now)
    yes = [str(i.at) for i in timeline("priya@example.in") if i.kind == "commitment"]
    assert yes == ["2023-02-14 11:43:55"]
    assert not [i for i in timeline("nia@example.com") if i.kind == "commitment"]  # pending
