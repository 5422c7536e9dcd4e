"""The list of forgotten people: an import or a restore never brings them back."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from crm.book.leads import count_leads, find_lead
from crm.cli import main
from crm.errors import NotFoundError
from crm.importing import import_csv
from crm.safety.suppression import is_forgotten, key_path
from tests.crm.safety_helpers import add_people, live_emails

EXPORT = (
    "email,first_name,last_name\n"
    "zelda@example.org,Zelda,Quixote\n"
    "ben@example.com,Ben,Okafor\n"
    "ZELDA@example.org,Zelda,Quixote\n"
)


def run(db_path: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


@pytest.fixture
def forgotten(db_path: Path, export: Path, capsys) -> Path:
    """Zelda and Ben imported, then Zelda forgotten: the book is closed."""
    assert run(db_path, "import", str(export), capsys=capsys)[0] == 0
    assert run(db_path, "forget", "zelda@example.org", "--yes", capsys=capsys)[0] == 0
    return db_path


def test_reimporting_the_same_export_skips_the_forgotten_person(
    forgotten: Path, export: Path, capsys
) -> None:
    code, out, _ = run(forgotten, "import", str(export), capsys=capsys)

    assert code == 0
    assert "2 skipped: forgotten at their request" in out
    assert live_emails(forgotten) == ["ben@example.com"]
    code, out, _ = run(forgotten, "import", str(export), "--json", capsys=capsys)
    report = json.loads(out)
    assert (report["forgotten"], report["created"], report["unchanged"]) == (2, 0, 1)
    assert live_emails(forgotten) == ["ben@example.com"]


def test_a_dry_run_counts_them_too(forgotten: Path, export: Path, capsys) -> None:
    code, out, _ = run(forgotten, "import", str(export), "--dry-run", "--json", capsys=capsys)
    assert code == 0 and json.loads(out)["forgotten"] == 2


def test_the_list_holds_no_address_in_the_clear(forgotten: Path) -> None:
    data = forgotten.read_bytes()
    assert b"zelda@example.org" not in data
    # Nor an unkeyed hash anyone could compute from a guessed address.
    for digest in (hashlib.sha256, hashlib.md5, hashlib.sha1):
        assert digest(b"zelda@example.org").hexdigest().encode() not in data
    key = key_path(forgotten)
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600
    con = sqlite3.connect(forgotten)
    try:
        assert con.execute("SELECT count(*) FROM forgotten_address").fetchone() == (1,)
    finally:
        con.close()


def test_the_key_is_made_only_when_someone_is_forgotten(db_path: Path, capsys) -> None:
    assert run(db_path, "add", "ada@example.com", capsys=capsys)[0] == 0
    assert not key_path(db_path).exists()


def test_adding_a_forgotten_address_by_hand_is_refused_unless_they_asked_again(
    forgotten: Path, export: Path, capsys
) -> None:
    code, out, err = run(forgotten, "add", "Zelda@Example.org", capsys=capsys)
    assert (code, out) == (1, "")
    assert err.startswith("error: Zelda@Example.org was forgotten at their request")
    assert "--again" in err and err.count("\n") == 1
    assert live_emails(forgotten) == ["ben@example.com"]

    code, out, _ = run(forgotten, "add", "zelda@example.org", "--again", capsys=capsys)
    assert code == 0
    assert live_emails(forgotten) == ["ben@example.com", "zelda@example.org"]
    # Back by their own wish: off the list, so an import updates them as usual.
    code, out, _ = run(forgotten, "import", str(export), "--json", capsys=capsys)
    assert json.loads(out)["forgotten"] == 0


def test_restoring_an_older_backup_forgets_them_again(
    db_path: Path, export: Path, capsys, tmp_path: Path
) -> None:
    assert run(db_path, "import", str(export), capsys=capsys)[0] == 0
    older = tmp_path / "older.db"
    assert run(db_path, "backup", "-o", str(older), capsys=capsys)[0] == 0
    assert run(db_path, "forget", "zelda@example.org", "--yes", capsys=capsys)[0] == 0

    code, out, _ = run(db_path, "restore", str(older), capsys=capsys)

    assert code == 0
    assert "forgot again 1 person forgotten at their request" in out
    assert live_emails(db_path) == ["ben@example.com"]
    assert b"Quixote" not in db_path.read_bytes()
    assert b"zelda@example.org" not in db_path.read_bytes()
    # The restored book carries the list on: the next import skips them too.
    code, out, _ = run(db_path, "import", str(export), "--json", capsys=capsys)
    assert json.loads(out)["forgotten"] == 2
    code, out, _ = run(db_path, "restore", str(older), "--json", capsys=capsys)
    assert json.loads(out)["forgotten_again"] == 1


def test_a_restore_with_nobody_to_forget_again_says_nothing_about_it(
    forgotten: Path, tmp_path: Path, capsys
) -> None:
    copy = tmp_path / "copy.db"
    assert run(forgotten, "backup", "-o", str(copy), capsys=capsys)[0] == 0
    code, out, _ = run(forgotten, "restore", str(copy), capsys=capsys)
    assert code == 0 and "forgot again" not in out


def test_a_book_moved_without_its_key_says_who_it_cannot_recognise(
    forgotten: Path, export: Path, tmp_path: Path, capsys
) -> None:
    elsewhere = tmp_path / "other-computer"
    elsewhere.mkdir()
    moved = elsewhere / "smallyes.db"
    shutil.copyfile(forgotten, moved)

    code, out, err = run(moved, "import", str(export), "--dry-run", capsys=capsys)

    assert code == 0 and "1 new" in out
    assert "1 forgotten person on this book's list cannot be recognised" in err
    assert "smallyes.db.forget-key" in err
    # With the key copied beside it, the list works again.
    shutil.copyfile(key_path(forgotten), key_path(moved))
    code, out, _ = run(moved, "import", str(export), "--json", capsys=capsys)
    assert json.loads(out)["forgotten"] == 2


def test_import_of_a_big_file_with_no_one_forgotten_is_not_slowed(db, now, tmp_path) -> None:
    """An empty list is never hashed against: no key file is even read or made."""
    path = tmp_path / "many.csv"
    path.write_text(
        "email\n" + "".join(f"p{i}@example.com\n" for i in range(2000)), encoding="utf-8"
    )
    report = import_csv(path, now=now)
    assert (report.created, report.forgotten) == (2000, 0)
    assert not key_path(Path(db.database)).exists()


def test_is_forgotten_knows_the_address_in_any_case(db, now) -> None:
    from crm.book.leads import add_lead
    from crm.safety.forget import forget_lead

    add_people(3, now)
    forget_lead(add_lead("Mixed.Case@Example.org", now=now).id)
    assert is_forgotten(" mixed.case@example.ORG ")
    assert not is_forgotten("person1@example.com")
    assert count_leads() == 3
    with pytest.raises(NotFoundError, match="No lead has"):
        find_lead("mixed.case@example.org")
