"""Flodesk (heuristic): Segments are tags; archived and cleaned are suppressions."""

from __future__ import annotations

from crm.importing import preview_csv
from tests.crm.importing.conftest import DATA, lead, run


def test_detected_by_heuristics_and_shown_for_confirmation() -> None:
    preview = preview_csv(DATA / "flodesk_subscribers.csv")
    assert preview.platform == "flodesk"
    assert preview.heuristic


def test_flodesk(db, now) -> None:
    run("flodesk_subscribers.csv", now)
    assert lead("maya@example.com").tags == ("Clients", "Workshop")
    assert lead("old@example.com").status == "unsubscribed"  # archived
    assert lead("gone@example.com").status == "bounced"  # cleaned


def test_date_created_is_the_sign_up_time(db, now) -> None:
    from tests.crm.importing.conftest import timeline

    run("flodesk_subscribers.csv", now)
    yes = [str(i.at) for i in timeline("maya@example.com") if i.kind == "commitment"]
    assert yes == ["2023-06-06 06:06:06"]
