"""beehiiv subscribers export: status words, per-tier Yes/No columns, ' UTC' dates."""

from __future__ import annotations

from tests.crm.importing.conftest import lead, run, timeline


def test_beehiiv_export(db, now) -> None:
    report = run("beehiiv_subscribers.csv", now)
    assert report.platform == "beehiiv" and report.created == 4
    ingrid = lead("ingrid@example.no")
    assert ingrid.first_name == "Ingrid"
    assert ingrid.tags == ("beehiiv-tier-gold",)
    yes = [i for i in timeline(ingrid.email) if i.kind == "commitment"]
    # The Substack subscription date comes before created_at.
    assert [str(i.at) for i in yes] == ["2021-05-05 05:05:05"]
    omar = lead("omar@example.eg")
    assert omar.status == "unsubscribed"
    assert [str(i.at) for i in timeline(omar.email) if i.kind == "status"] == [
        "2024-02-02 02:02:02"
    ]
    assert lead("new.one@example.com").status == "pending"
    assert lead("bad.one@example.com").status == "bounced"
    assert not [i for i in timeline("new.one@example.com") if i.kind == "commitment"]
