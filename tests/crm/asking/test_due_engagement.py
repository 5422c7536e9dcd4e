"""Today on a book with imported activity: the warm first, the cold last, saying why."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

from crm.asking.due import load_engagement, suggest_for_lead, todays_asks, todays_asks_page
from crm.asking.suggest import Warmth, to_us
from crm.book.leads import find_lead
from crm.book.offers import add_offer
from crm.importing import ImportOptions, import_csv
from crm.importing.activity.links import add_offer_link
from crm.importing.undo import undo_import

DATA = Path(__file__).resolve().parents[2] / "data" / "activity"
MAILCHIMP = DATA / "mailchimp" / "mailchimp-account-export.zip"
SUBSTACK = DATA / "substack" / "smallyes-substack-export.zip"
# two days after Mailchimp's last campaign (14 May 2024), whose readers clicked the quiz
AFTER_MAILCHIMP = dt.datetime(2024, 5, 16, 12, 0, 0)
# six months after Substack's second post (15 May 2024), two days after a third one
AFTER_SUBSTACK = dt.datetime(2024, 11, 20, 12, 0, 0)


def _import(path: Path, now: dt.datetime):
    return import_csv(path, ImportOptions(), now=now)


def _ranked_by_warmth_then_score(items) -> bool:
    keys = [(i.suggestion.warmth, i.suggestion.score) for i in items]
    return keys == sorted(keys, reverse=True)


def test_clickers_of_an_offer_link_come_first_and_are_told_so(db) -> None:
    now = AFTER_MAILCHIMP
    add_offer("Topic quiz", now=now, kind="quiz", topics="pricing")
    add_offer_link("Topic quiz", "https://form.typeform.com/to/AbC123xy", now=now)
    report = _import(MAILCHIMP, now)
    assert report.kind == "mixed" and report.events["downloaded"] == 20

    items = todays_asks(now)
    warmth = [i.suggestion.warmth for i in items]
    assert len(items) == 300
    assert warmth == sorted(warmth, reverse=True)
    assert _ranked_by_warmth_then_score(items)
    assert {w: warmth.count(w) for w in set(warmth)} == {
        Warmth.CLICKED: 31,
        Warmth.OPENED: 108,
        Warmth.NONE: 161,
    }
    first = items[0].suggestion
    assert first.engagement == "Clicked 2 days ago"
    assert first.reason.startswith(
        "Strike while warm: they clicked your 'Topic quiz' link 2 days ago, so now is the "
        "time for the ask that builds on it. Warm: opened your e-mails"
    )
    # those who never opened anything come after every reader of the newsletter
    never = [i for i in items if not load_engagement(now, i.lead_id)]
    assert never and all(i.suggestion.warmth == Warmth.NONE for i in never)
    assert items.index(never[0]) > warmth.count(Warmth.CLICKED) + warmth.count(Warmth.OPENED) - 1
    # one lead's suggestion is judged as Today judges it
    assert suggest_for_lead(items[0].lead_id, now) == first
    # the best few are the head of the whole list
    page = todays_asks_page(now, 40)
    assert [i.lead_id for i in page.items] == [i.lead_id for i in items[:40]]
    assert page.total_due == 300


def test_a_plain_click_names_its_link(db) -> None:
    now = AFTER_MAILCHIMP
    _import(MAILCHIMP, now)
    lead = find_lead("priya.girard58@mail.example.com")
    result = suggest_for_lead(lead.id, now)
    assert result.warmth == Warmth.CLICKED
    assert result.reason.startswith(
        "Strike while warm: they clicked your link to form.typeform.com/to/AbC123xy 2 days ago,"
    )


def _later_post(tmp_path: Path, opened_by: str) -> Path:
    """A later Substack export: a third post delivered to the same readers on 18 November,
    opened by one of them."""
    with zipfile.ZipFile(SUBSTACK) as export:
        text = export.read("posts/144019552.delivers.csv").decode("utf-8")
    readers = [row[2] for row in list(csv.reader(io.StringIO(text)))[1:]]
    path = tmp_path / "substack-november.zip"
    delivers = "post_id,timestamp,email,post_type,post_audience,active_subscription\n"
    delivers += "".join(
        f"146000001,2024-11-18T07:00:10.000Z,{email},newsletter,everyone,false\n"
        for email in readers
    )
    opens = (
        "post_id,timestamp,email,post_type,post_audience,active_subscription,country,city,"
        "region,device_type,client_os,client_type,user_agent\n"
        f"146000001,2024-11-19T08:00:00.000Z,{opened_by},newsletter,everyone,false,US,,,"
        "desktop,iOS,Apple Mail,Mozilla/5.0\n"
    )
    posts = (
        "post_id,post_date,is_published,email_sent_at,inbox_sent_at,type,audience,title,"
        "subtitle,podcast_url\n146000001.autumn-prices,2024-11-18T07:00:00.000Z,true,"
        "2024-11-18T07:00:00.000Z,2024-11-18T07:00:00.000Z,newsletter,everyone,"
        "Autumn prices,,\n"
    )
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("posts.csv", posts)
        out.writestr("posts/146000001.delivers.csv", delivers)
        out.writestr("posts/146000001.opens.csv", opens)
    return path


def test_six_months_of_unopened_e_mails_is_cold_and_asked_last(db, tmp_path: Path) -> None:
    now = AFTER_SUBSTACK
    _import(SUBSTACK, now)
    later = _import(_later_post(tmp_path, "siobhan.oconnor@example.ie"), now)

    items = todays_asks(now)
    assert _ranked_by_warmth_then_score(items)
    assert items[0].email == "siobhan.oconnor@example.ie"
    assert items[0].suggestion.warmth == Warmth.OPENED
    assert items[0].suggestion.engagement == "Opened 1 day ago"
    cold = [i for i in items if i.suggestion.warmth == Warmth.COLD]
    assert len(cold) == 31 and items[-len(cold) :] == cold
    reasons = {i.suggestion.reason.partition(" Best evidence")[0] for i in cold}
    assert reasons == {
        # opened nothing of the three posts since the first, in March
        "Cold: hasn't opened any of your 3 e-mails since March: asked last.",
        # opened the first, not the two since May
        "Cold: hasn't opened any of your 2 e-mails since May: asked last.",
    }
    assert {i.suggestion.engagement for i in cold} == {"Cold: asked last"}
    # who opened in May is not cold: one e-mail unopened since
    warmth = {i.email: i.suggestion.warmth for i in items}
    assert warmth["astridcelik@studio.example.com"] == Warmth.NONE
    # the lead's engagement as loaded: deliveries after the last open, and since when
    siobhan = find_lead("siobhan.oconnor@example.ie").id
    engaged = load_engagement(now, siobhan)[siobhan]
    assert engaged.last_opened == to_us(dt.datetime(2024, 11, 19, 8, 0, 0))
    assert engaged.unopened == 0 and engaged.opens_90d == 1

    # undoing November's export takes its evidence back: six months of it are gone
    undo_import(later.batch_id, now=now)
    after = {i.lead_id: i.suggestion for i in todays_asks(now)}
    assert Warmth.COLD not in {s.warmth for s in after.values()}
    for item in cold:
        assert after[item.lead_id].reason.startswith("Best evidence:")


def test_a_book_without_activity_loads_no_engagement(db, now) -> None:
    from tests.crm.asking.test_asks import subscriber

    lead_id = subscriber("ada@example.com", now)
    assert load_engagement(now) == {}
    [item] = todays_asks(now)
    assert item.lead_id == lead_id and item.suggestion.warmth == Warmth.NONE
    assert item.suggestion.engagement == ""
    assert "Warm" not in item.suggestion.reason and "Cold" not in item.suggestion.reason


def test_cli_suggest_json_adds_warmth_and_engagement(db, db_path, capsys) -> None:
    import json

    from tests.crm.asking.test_asks import cli

    _import(MAILCHIMP, AFTER_MAILCHIMP)
    when = "2024-05-16T12:00:00"
    # every due lead, not only the day's 20 personal asks
    assert cli(db_path, capsys, "pacing", "daily_ask_limit=1000")[0] == 0
    code, out, _ = cli(db_path, capsys, "suggest", "--now", when, "--json")
    assert code == 0
    rows = json.loads(out)
    keys = {"email", "step", "offer", "due", "score", "reason", "message"}
    assert all(set(r) == keys | {"warmth", "engagement", "group", "group_label"} for r in rows)
    assert rows[0]["warmth"] == "clicked" and rows[0]["engagement"] == "Clicked 2 days ago"
    assert {r["warmth"] for r in rows} == {"clicked", "opened", None}
    quiet = next(r for r in rows if r["warmth"] is None)
    assert quiet["engagement"] is None

    code, out, _ = cli(db_path, capsys, "suggest", rows[0]["email"], "--now", when, "--json")
    assert json.loads(out) == rows[0]
