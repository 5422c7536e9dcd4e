"""Tag rules: which tags mean which yes, applied to the tags already stored and at the end
of every import; dated at the import that brought the tag; once per lead and rule; undone
with their import; forgotten with the person."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from crm.asking.asks import get_ask, record_ask
from crm.book.leads import add_lead, delete_lead, find_lead, restore_deleted, tag_lead
from crm.book.offers import add_offer
from crm.book.tag_rules import (
    SOURCE,
    add_tag_rule,
    apply_tag_rules,
    clean_pattern,
    list_tag_rules,
    remove_tag_rule,
    tag_matches,
)
from crm.book.timeline import delete_commitment, get_timeline, record_commitment
from crm.errors import DuplicateError, NotFoundError, ValidationError
from crm.importing import ImportOptions, import_csv
from crm.importing.undo import undo_import
from crm.safety.forget import forget_lead
from crm.store.models import database_proxy
from tests.crm.importing.activity.apply_helpers import HEADER, activity_csv, use_simple_reader
from tests.crm.importing.conftest import DATA

DAY = dt.timedelta(days=1)
SEO = "Downloaded: SEO checklist"
KIT_HEADER = "first_name,last_name,email,created_at,status,tags"


def _kit(tmp_path: Path, rows: list[tuple[str, str]], name: str = "kit.csv") -> Path:
    """A Kit subscriber export: (email, tags joined by commas) per row."""
    lines = [KIT_HEADER] + [
        f'Ann,Lee,{email},2024-01-02T10:00:00Z,active,"{tags}"' for email, tags in rows
    ]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import(path: Path, now: dt.datetime) -> int:
    report = import_csv(path, ImportOptions(), now=now)
    assert report.batch_id is not None, report
    return report.batch_id


def _rule_yeses(email: str) -> list[tuple]:
    """(step, offer, at, note, batch) of the lead's tag-rule yeses."""
    return database_proxy.execute_sql(
        "SELECT s.key, o.name, c.at, c.note, c.batch_id FROM commitment c "
        "JOIN step s ON s.id = c.step_id LEFT JOIN offer o ON o.id = c.offer_id "
        "JOIN lead l ON l.id = c.lead_id WHERE l.email_key = ? AND c.source = ? ORDER BY c.id",
        [email, SOURCE],
    ).fetchall()


def _count(table: str) -> int:
    return database_proxy.execute_sql(f"SELECT count(*) FROM {table}").fetchone()[0]


# -- matching -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "tag", "matches"),
    [
        (SEO, SEO, True),
        (SEO, "downloaded: seo CHECKLIST", True),
        (SEO, "Downloaded: SEO checklist 2", False),  # the whole name, not a prefix
        (SEO, "Re-Downloaded: SEO checklist", False),
        ("Downloaded: *", SEO, True),
        ("Downloaded:*", "Downloaded:", True),  # "*" may stand for nothing
        ("Downloaded: *", "Webinar 2024", False),
        ("*checklist*", SEO, True),
        ("Q&A (2024)?", "q&a (2024)?", True),  # no other character is special
        ("Q&A (2024)?", "Q&A (2024)!", False),
        ("Downloaded:   SEO  checklist", SEO, True),  # spaces collapse as a tag's do
        ("ÉTÉ *", "été 2024", True),  # any case, not only ASCII
    ],
)
def test_a_pattern_matches_the_whole_tag_in_any_case_with_star_as_any_text(
    pattern: str, tag: str, matches: bool
) -> None:
    assert tag_matches(pattern, tag) is matches


@pytest.mark.parametrize("pattern", ["", "   ", "*", "** *", "x" * 81])
def test_a_pattern_with_nothing_to_match_is_refused_in_one_sentence(pattern: str) -> None:
    with pytest.raises(ValidationError) as err:
        clean_pattern(pattern)
    message = err.value.user_message
    assert message.endswith(".") and message.count(". ") == 0


def test_adding_a_rule_checks_its_step_offer_and_pattern(db, now) -> None:
    with pytest.raises(ValidationError, match="not a step of the ladder"):
        add_tag_rule(SEO, "downloadd", now=now)
    with pytest.raises(ValidationError, match="no offer named 'SEO guide'"):
        add_tag_rule(SEO, "downloaded", offer="SEO guide", now=now)
    with pytest.raises(ValidationError, match="needs the tag"):
        add_tag_rule(" ", "downloaded", now=now)
    add_tag_rule(SEO, "downloaded", now=now)
    with pytest.raises(DuplicateError, match="already a tag rule for 'Downloaded: SEO checklist'"):
        add_tag_rule(SEO.upper(), "answered", now=now)
    with pytest.raises(NotFoundError, match="no tag rule for 'Webinar'"):
        remove_tag_rule("Webinar")
    assert [(r.pattern, r.step, r.offer, r.yeses) for r in list_tag_rules()] == [
        (SEO, "downloaded", None, 0)
    ]


# -- dates and wording --------------------------------------------------------------------


def test_adding_a_rule_gives_the_stored_tags_their_yes_dated_at_their_import(
    db, now, tmp_path
) -> None:
    imported_at = now - 30 * DAY
    batch = _import(
        _kit(tmp_path, [("ada@example.com", f"{SEO},Webinar"), ("bo@example.com", "Webinar")]),
        imported_at,
    )
    add_offer("SEO checklist", now=now)
    rule, applied = add_tag_rule("downloaded: *", "downloaded", offer="seo checklist", now=now)
    assert (applied.yeses, applied.resolved_asks) == (1, 0)
    assert (rule.pattern, rule.step, rule.offer, rule.yeses) == (
        "downloaded: *",
        "downloaded",
        "SEO checklist",
        1,
    )
    assert _rule_yeses("ada@example.com") == [
        (
            "downloaded",
            "SEO checklist",
            str(imported_at),
            f"tag '{SEO}', dated at the import of kit.csv: the tag has no date",
            None,  # made by adding the rule, not by an import
        )
    ]
    assert _rule_yeses("bo@example.com") == []
    # The timeline shows the yes, where it comes from, and why it has that date.
    item = next(i for i in get_timeline(find_lead("ada@example.com").id) if i.source == SOURCE)
    assert item.summary == "Yes: Downloaded — SEO checklist"
    assert item.at == imported_at
    assert "dated at the import of kit.csv: the tag has no date" in item.to_json()["note"]
    assert find_lead("ada@example.com").level == 3  # the cached level follows
    assert batch


def test_a_tag_no_import_brought_is_dated_when_the_rule_finds_it(db, now) -> None:
    lead = add_lead("cy@example.com", now=now - 90 * DAY)
    tag_lead(lead.id, [SEO])
    add_tag_rule(SEO, "downloaded", now=now)
    [(step, offer, at, note, batch)] = _rule_yeses("cy@example.com")
    assert (step, offer, at, batch) == ("downloaded", None, str(now), None)
    assert note == (
        f"tag '{SEO}', dated when a tag rule found it: the tag has no date and came from no import"
    )


def test_of_several_matching_tags_the_earliest_dates_the_one_yes(db, now, tmp_path) -> None:
    first = now - 40 * DAY
    _import(_kit(tmp_path, [("ada@example.com", "Downloaded: A")], "first.csv"), first)
    _import(_kit(tmp_path, [("ada@example.com", "Downloaded: B")], "second.csv"), now - DAY)
    add_tag_rule("Downloaded: *", "downloaded", now=now)
    [(_, _, at, note, _)] = _rule_yeses("ada@example.com")
    assert at == str(first) and note.startswith("tag 'Downloaded: A', dated at the import of first")


# -- once per lead and rule ---------------------------------------------------------------


def test_applying_again_adds_nothing(db, now, tmp_path) -> None:
    path = _kit(tmp_path, [("ada@example.com", SEO)])
    _import(path, now - 5 * DAY)
    add_tag_rule(SEO, "downloaded", now=now)
    before = _count("commitment")
    assert apply_tag_rules(now=now).yeses == 0
    import_csv(path, ImportOptions(), now=now)  # the same file again
    assert _count("commitment") == before
    assert len(_rule_yeses("ada@example.com")) == 1


def test_a_yes_the_owner_deletes_is_not_made_again(db, now, tmp_path) -> None:
    _import(_kit(tmp_path, [("ada@example.com", SEO)]), now - 5 * DAY)
    add_tag_rule(SEO, "downloaded", now=now)
    add_tag_rule("*checklist", "downloaded", now=now)  # a second rule for the same yes
    [yes] = database_proxy.execute_sql(
        "SELECT id FROM commitment WHERE source = ?", [SOURCE]
    ).fetchall()
    delete_commitment(yes[0])
    assert apply_tag_rules(now=now).yeses == 0
    _import(_kit(tmp_path, [("ada@example.com", SEO)], "again.csv"), now)
    assert _rule_yeses("ada@example.com") == []


def test_two_rules_for_the_same_step_and_offer_give_one_yes(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    tag_lead(lead.id, [SEO, "SEO fan"])
    add_tag_rule(SEO, "downloaded", now=now)
    _, applied = add_tag_rule("SEO *", "downloaded", now=now)
    assert applied.yeses == 0
    assert len(_rule_yeses("ada@example.com")) == 1
    assert [r.yeses for r in list_tag_rules()] == [1, 1]
    # Another step is another yes.
    assert add_tag_rule("SEO fan", "answered", now=now)[1].yeses == 1


# -- imports ------------------------------------------------------------------------------


def test_every_import_applies_the_rules_as_its_own(db, now, tmp_path) -> None:
    add_offer("SEO checklist", now=now)
    add_tag_rule(SEO, "downloaded", offer="SEO checklist", now=now)
    batch = _import(_kit(tmp_path, [("ada@example.com", SEO), ("bo@example.com", "")]), now)
    [(step, offer, at, _, yes_batch)] = _rule_yeses("ada@example.com")
    assert (step, offer, at, yes_batch) == ("downloaded", "SEO checklist", str(now), batch)
    assert database_proxy.execute_sql("SELECT batch_id FROM tag_rule_yes").fetchall() == [(batch,)]
    assert find_lead("ada@example.com").level == 3


def test_a_dry_run_makes_no_yes(db, now, tmp_path) -> None:
    add_tag_rule(SEO, "downloaded", now=now)
    import_csv(_kit(tmp_path, [("ada@example.com", SEO)]), ImportOptions(dry_run=True), now=now)
    assert _count("tag_rule_yes") == 0 and _count("commitment") == 0


def test_undoing_the_import_takes_its_yeses_back_and_puts_the_asks_back(db, now, tmp_path) -> None:
    lead = add_lead("ada@example.com", status="subscribed", now=now - 60 * DAY)
    record_commitment(lead.id, "subscribed", at=now - 60 * DAY, now=now)
    add_offer("SEO checklist", now=now)
    ask = record_ask(lead.id, "downloaded", offer="SEO checklist", at=now - 2 * DAY, now=now)
    other = record_ask(lead.id, "answered", at=now - 2 * DAY, now=now)
    add_tag_rule(SEO, "downloaded", offer="SEO checklist", now=now)
    path = _kit(tmp_path, [("ada@example.com", SEO)])
    batch = _import(path, now)
    answered = get_ask(ask)
    assert (answered.outcome, answered.resolved_at) == ("accepted", now)
    assert get_ask(other).outcome == "pending"  # another step answers nothing
    linked = database_proxy.execute_sql(
        "SELECT count(*) FROM commitment WHERE ask_id = ? AND source = ?", [ask, SOURCE]
    ).fetchone()[0]
    assert linked == 1

    undo_import(batch, now=now)
    assert _rule_yeses("ada@example.com") == []
    assert _count("tag_rule_yes") == 0
    back = get_ask(ask)
    assert (back.outcome, back.resolved_at) == ("pending", None)
    assert find_lead("ada@example.com").level == 2
    # Not a yes the owner deleted: the same file again gives it again.
    again = _import(path, now)
    assert [r[4] for r in _rule_yeses("ada@example.com")] == [again]
    assert get_ask(ask).outcome == "accepted"


def test_an_ask_outside_the_answer_window_stays_pending(db, now, tmp_path) -> None:
    lead = add_lead("ada@example.com", now=now - 60 * DAY)
    ask = record_ask(lead.id, "downloaded", at=now - 30 * DAY, now=now)
    add_tag_rule(SEO, "downloaded", now=now)
    _import(_kit(tmp_path, [("ada@example.com", SEO)]), now)
    assert len(_rule_yeses("ada@example.com")) == 1
    assert get_ask(ask).outcome == "pending"


def test_an_activity_import_and_a_mixed_zip_apply_the_rules_too(
    db, now, tmp_path, monkeypatch
) -> None:
    use_simple_reader(monkeypatch)
    lead = add_lead("ada@example.com", status="subscribed", now=now - 60 * DAY)
    tag_lead(lead.id, [SEO])  # by hand, before the rule: no yes until something applies it
    with database_proxy.atomic():
        database_proxy.execute_sql(
            "INSERT INTO tag_rule (pattern, step_id, offer_id, created_at) "
            "SELECT ?, id, NULL, ? FROM step WHERE key = 'downloaded'",
            [SEO, now],
        )
    clicks = activity_csv(
        tmp_path, [["ada@example.com", str(now - DAY), "clicked", "https://x.io"]]
    )
    activity = import_csv(clicks, ImportOptions(), now=now)
    assert activity.batch_id is not None
    assert [r[4] for r in _rule_yeses("ada@example.com")] == [activity.batch_id]
    undo_import(activity.batch_id, now=now)
    assert _rule_yeses("ada@example.com") == []

    # A Mailchimp members file whose one person carries the tag.
    header, lena = (DATA / "mailchimp_subscribed.csv").read_text(encoding="utf-8").splitlines()[:2]
    assert lena.startswith("lena.hoffmann@example.org,") and lena.endswith(",")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("1/lists/members/members_1_news.csv", f'{header}\n{lena}"{SEO}"\n')
        zf.writestr(
            "1/activity/clicks.csv",
            f"{','.join(HEADER)}\nlena.hoffmann@example.org,{now - DAY},opened,\n",
        )
    mixed = import_csv(archive, ImportOptions(), now=now)
    assert mixed.kind == "mixed"  # type: ignore[attr-defined]  # an ActivityReport
    assert [r[4] for r in _rule_yeses("lena.hoffmann@example.org")] == [mixed.batch_id]
    assert [r[4] for r in _rule_yeses("ada@example.com")] == [mixed.batch_id]
    undo_import(mixed.batch_id, now=now)
    assert _count("tag_rule_yes") == 0
    assert _rule_yeses("ada@example.com") == []


# -- removing a rule, forgetting a person -------------------------------------------------


def test_removing_a_rule_keeps_its_yeses_and_adding_it_again_adds_none(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    tag_lead(lead.id, [SEO])
    add_tag_rule(SEO, "downloaded", now=now)
    removed = remove_tag_rule(SEO.lower())
    assert (removed.kept, removed.removed) == (1, 0)
    assert (
        removed.message == f"Removed the tag rule '{SEO}': the yes it made stays on the timeline."
    )
    assert list_tag_rules() == [] and _count("tag_rule_yes") == 0
    assert len(_rule_yeses("ada@example.com")) == 1
    assert add_tag_rule(SEO, "downloaded", now=now)[1].yeses == 0
    assert len(_rule_yeses("ada@example.com")) == 1


def test_removing_a_rule_with_its_yeses_puts_their_asks_back(db, now) -> None:
    lead = add_lead("ada@example.com", now=now - 10 * DAY)
    ask = record_ask(lead.id, "downloaded", at=now - DAY, now=now)
    tag_lead(lead.id, [SEO])
    assert add_tag_rule(SEO, "downloaded", now=now)[1].resolved_asks == 1
    assert get_ask(ask).outcome == "accepted"
    removed = remove_tag_rule(SEO, and_yeses=True)
    assert (removed.kept, removed.removed) == (0, 1)
    assert removed.message == f"Removed the tag rule '{SEO}' and the yes it made."
    assert _rule_yeses("ada@example.com") == []
    assert get_ask(ask).outcome == "pending"
    assert find_lead("ada@example.com").level == 0


def test_forget_leaves_nothing_of_the_tag_or_the_rule_on_the_person(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    tag_lead(lead.id, ["Downloaded: Ada's own guide"])
    add_tag_rule("Downloaded: *", "downloaded", now=now)
    assert _count("tag_rule_yes") == 1
    forget_lead(lead.id, now=now)
    assert _count("tag_rule_yes") == 0
    notes = database_proxy.execute_sql(
        "SELECT note FROM commitment WHERE lead_id = ?", [lead.id]
    ).fetchall()
    assert notes == [("",)]  # the yes stays for the funnel, its note (the tag) goes
    # Nothing left for the rule to find: applying again makes nothing.
    assert apply_tag_rules(now=now).yeses == 0


def test_a_deleted_lead_brought_back_gets_no_second_yes(db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    tag_lead(lead.id, [SEO])
    add_tag_rule(SEO, "downloaded", now=now)
    restore_deleted(delete_lead(lead.id))
    assert apply_tag_rules(now=now).yeses == 0
    assert len(_rule_yeses("ada@example.com")) == 1
