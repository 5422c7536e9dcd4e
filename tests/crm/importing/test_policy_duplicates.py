"""Rules 7 and 8: duplicates inside a file, and the skip / fill / overwrite policy."""

from __future__ import annotations

import pytest

from crm.book.leads import add_lead, find_lead, set_status
from crm.importing import import_csv
from crm.importing.engine import ImportOptions
from tests.crm.importing.conftest import MESSY, lead, timeline, write


def test_first_occurrence_wins_later_ones_fill_and_add_tags(db, now) -> None:
    report = import_csv(MESSY / "duplicates_case_whitespace.csv", now=now)
    assert report.duplicates_in_file == 7 and report.created == 7 and report.rejected == 1
    maria = lead("maria.lopez@example.com")
    assert (maria.email, maria.first_name, maria.last_name) == (
        "maria.lopez@example.com",
        "María",
        "López",
    )
    assert maria.tags == ("customer", "vip", "webinar")
    assert "row 2: duplicate of row 1" in report.warning_texts
    assert any("differs from row 1" in w and "kept row 1's" in w for w in report.warning_texts)
    zoe = lead("zoe.ng@example.net")
    assert zoe.first_name == "Zoë"  # NBSP-padded and upper-case copies were duplicates
    assert lead("li.lei@example.com").first_name == "雷"


def test_a_conflicting_custom_field_keeps_the_first_and_warns(db, now, tmp_path) -> None:
    text = (
        "email,city,zip,tags\n"
        "a@example.com,Paris,,x\n"
        "A@example.com,Lyon,69001,y\n"  # city conflicts, zip fills, tag adds
    )
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert report.duplicates_in_file == 1
    ann = lead("a@example.com")
    assert ann.custom == {"city": "Paris", "zip": "69001"} and ann.tags == ("x", "y")
    assert report.warning_texts == (
        "row 2: duplicate of row 1",
        "row 2: 'city' 'Lyon' differs from row 1's 'Paris'; kept row 1's",
    )


def test_a_later_unsubscribe_wins_with_its_own_words(db, now, tmp_path) -> None:
    text = (
        "email,status,signed up,city\n"
        "a@example.com,subscribed,2023-05-01,Paris\n"
        "A@example.com,unsubscribed,2022-01-01,Paris\n"
    )
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    ann = lead("a@example.com")
    assert ann.status == "unsubscribed"  # suppression wins over the first occurrence
    assert ann.custom["status"] == ann.custom["status_raw"] == "unsubscribed"
    # status and sign-up dates merge by their own rules: no 'kept row 1's' to mislead
    assert report.warning_texts == ("row 2: duplicate of row 1",)
    yes = [str(i.at) for i in timeline("a@example.com") if i.kind == "commitment"]
    assert yes == ["2022-01-01 00:00:00"]


def test_duplicates_across_chunks_are_merged_too(db, now, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("crm.importing.engine.CHUNK_ROWS", 2)
    text = "email,first,last,tags\na@example.com,Ann,,x\nb@example.com,B,,\nc@example.com,C,,\n"
    text += "A@example.com,Other,Smith,y\n"
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert report.created == 3 and report.duplicates_in_file == 1 and report.updated == 0
    ann = lead("a@example.com")
    assert (ann.first_name, ann.last_name, ann.tags) == ("Ann", "Smith", ("x", "y"))


@pytest.mark.parametrize("chunk", [4096, 1])
def test_a_later_duplicate_merges_the_same_wherever_the_chunks_end(
    db, now, tmp_path, monkeypatch, chunk
) -> None:
    monkeypatch.setattr("crm.importing.engine.CHUNK_ROWS", chunk)
    text = (
        "email,status,unsubscribed at,subscribed at\n"
        "ada@example.com,unsubscribed,2024-01-01 00:00:00,2023-01-01 00:00:00\n"
        "bo@example.com,subscribed,,2023-01-01 00:00:00\n"
        "ADA@example.com,subscribed,,2025-01-01 00:00:00\n"
        "bo@example.com,subscribed,,2024-06-01 00:00:00\n"
    )
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert (report.created, report.duplicates_in_file) == (2, 2)
    assert lead("ada@example.com").status == "unsubscribed"  # the first occurrence's
    for email in ("ada@example.com", "bo@example.com"):
        yes = [str(i.at) for i in timeline(email) if i.kind == "commitment"]
        assert yes == ["2023-01-01 00:00:00"]  # the earliest sign-up, once


@pytest.mark.parametrize("chunk", [4096, 3, 2, 1])
def test_later_duplicates_in_one_chunk_each_keep_what_they_fill(
    db, now, tmp_path, monkeypatch, chunk
) -> None:
    # With 2-row chunks, the phone and the company rows land in one later chunk: the
    # second must merge into the lead as the first left it, not as the chunk read it.
    monkeypatch.setattr("crm.importing.engine.CHUNK_ROWS", chunk)
    text = (
        "email,first name,phone,company\n"
        "a@example.com,Ann,,\n"
        "b@example.com,Bo,,\n"
        "a@example.com,,123,\n"
        "a@example.com,,,Acme\n"
    )
    import_csv(write(tmp_path, "x.csv", text), now=now)
    ann = lead("a@example.com")
    assert (ann.first_name, ann.phone, ann.company) == ("Ann", "123", "Acme")


STORED = "email,first_name,last_name,company,tags\nada@example.com,Augusta,King,,imported\n"


@pytest.mark.parametrize(
    ("policy", "first", "last", "company", "updated"),
    [
        ("skip", "Ada", "", "Analytical", 0),
        ("fill", "Ada", "King", "Analytical", 1),
        ("overwrite", "Augusta", "King", "Analytical", 1),
    ],
)
def test_policy_against_stored_leads(
    db, now, tmp_path, policy, first, last, company, updated
) -> None:
    add_lead("ada@example.com", first_name="Ada", company="Analytical", tags=["mine"], now=now)
    report = import_csv(
        write(tmp_path, "x.csv", STORED), ImportOptions(on_duplicate=policy), now=now
    )
    assert (report.created, report.updated, report.unchanged) == (0, updated, 1 - updated)
    ada = lead("ada@example.com")
    assert (ada.first_name, ada.last_name, ada.company) == (first, last, company)
    # Tags are added, never removed (and skip adds none).
    assert ada.tags == (("mine",) if policy == "skip" else ("imported", "mine"))


def test_a_blank_never_overwrites(db, now, tmp_path) -> None:
    add_lead("ada@example.com", first_name="Ada", now=now)
    path = write(tmp_path, "x.csv", "email,first_name\nada@example.com,\n")
    report = import_csv(path, ImportOptions(on_duplicate="overwrite"), now=now)
    assert report.unchanged == 1 and lead("ada@example.com").first_name == "Ada"


@pytest.mark.parametrize("policy", ["fill", "overwrite"])
def test_cells_of_spaces_are_blanks_too(db, now, tmp_path, policy) -> None:
    header = "email,first_name,notes,city,zip\n"
    run_file = write(tmp_path, "a.csv", header + "ada@example.com,Ada,,Paris,01234\n")
    import_csv(run_file, now=now)
    blanks = write(tmp_path, "b.csv", header + "ada@example.com,  ,   ,  , \t\n")
    report = import_csv(blanks, ImportOptions(on_duplicate=policy), now=now)
    assert (report.updated, report.unchanged) == (0, 1)
    ada = lead("ada@example.com")
    assert (ada.first_name, ada.notes) == ("Ada", "")
    assert ada.custom == {"city": "Paris", "zip": "01234"}


def test_suppression_wins_over_an_older_subscribe(db, now, tmp_path) -> None:
    add_lead("ada@example.com", now=now)
    set_status(find_lead("ada@example.com").id, "unsubscribed", now=now)
    path = write(
        tmp_path,
        "x.csv",
        "email,status,subscribed at\nada@example.com,subscribed,2024-01-01 00:00:00\n",
    )
    for policy in ("fill", "overwrite"):
        import_csv(path, ImportOptions(on_duplicate=policy), now=now)
        assert lead("ada@example.com").status == "unsubscribed"


def test_an_unsubscribe_in_the_file_suppresses_a_stored_subscriber(db, now, tmp_path) -> None:
    add_lead("ada@example.com", status="subscribed", now=now)
    path = write(tmp_path, "x.csv", "email,status\nada@example.com,unsubscribed\n")
    report = import_csv(path, ImportOptions(on_duplicate="skip"), now=now)
    assert lead("ada@example.com").status == "unsubscribed"
    assert report.updated == 1
    status = [i for i in timeline("ada@example.com") if i.kind == "status"]
    assert status[0].data == {"from": "subscribed", "to": "unsubscribed", "raw": "unsubscribed"}


def test_a_newer_subscribe_lifts_an_older_unsubscribe(db, now, tmp_path) -> None:
    import datetime as dt

    add_lead("ada@example.com", now=now)
    set_status(find_lead("ada@example.com").id, "unsubscribed", now=dt.datetime(2020, 1, 1))
    path = write(
        tmp_path,
        "x.csv",
        "email,status,subscribed at\nada@example.com,subscribed,2024-01-01 00:00:00\n",
    )
    import_csv(path, now=now)
    assert lead("ada@example.com").status == "subscribed"
