"""Substack: the email list, the paid subscribers file and the dashboard export."""

from __future__ import annotations

from crm.importing import preview_csv
from tests.crm.importing.conftest import DATA, lead, run, timeline


def test_email_list_email_disabled_means_unsubscribed(db, now) -> None:
    report = run("substack_email_list.csv", now)
    assert report.platform == "substack" and report.created == 3
    assert report.statuses == {"subscribed": 2, "unsubscribed": 1}
    mai = lead("mai.nguyen@example.org")
    assert mai.status == "unsubscribed"
    assert mai.custom["status_raw"] == "email_disabled=true"
    assert mai.custom["active_subscription"] == "true"  # paid, not the email status
    bob = lead("bob.something@example.com")
    assert bob.email == "Bob.Something@example.com"
    yes = [i for i in timeline(bob.email) if i.kind == "commitment"]
    assert [str(i.at) for i in yes] == ["2020-12-21 05:15:28"]  # ISO Z read as UTC


def test_paid_file_tags_the_subscription_type_and_merges_with_the_list(db, now) -> None:
    run("substack_email_list.csv", now)
    report = run("substack_subscribers_paid.csv", now)
    assert preview_csv(DATA / "substack_subscribers_paid.csv").platform_label == (
        "Substack (paid subscribers)"
    )
    assert (report.created, report.updated) == (1, 1)
    assert "substack-paid" in lead("bob.something@example.com").tags
    assert lead("gift.reader@example.org").tags == ("substack-gift",)


def test_dashboard_export(db, now) -> None:
    report = run("substack_dashboard.csv", now)
    assert report.platform == "substack" and report.created == 3
    ana = lead("ana.souza@example.com.br")
    assert (ana.first_name, ana.last_name) == ("Ana", "Souza")
    assert ana.tags == ("substack-free",)
    kenji = lead("kenji@example.jp")
    assert (kenji.first_name, kenji.last_name) == ("山田健二", "")  # CJK names stay whole
    assert kenji.custom["Emails opened (6mo)"] == "30"  # engagement columns kept
    # Receiving no emails at all reads as unsubscribed.
    assert lead("left.quietly@example.com").status == "unsubscribed"
