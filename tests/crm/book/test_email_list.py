"""The file of addresses a bulk change can name its leads by, and what it refuses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crm.book.email_list import parse_email_list, read_email_list
from crm.errors import ValidationError

DATA = Path(__file__).resolve().parents[2] / "data" / "bulk"


def test_one_address_a_line_cleaned_and_each_once() -> None:
    found = read_email_list(DATA / "addresses.txt", None)
    assert found.keys == ("ada@example.com", "bob@example.com", "cy@example.com")
    assert found.invalid == 0 and found.warning == ""


def test_a_csv_export_is_read_by_its_email_column() -> None:
    found = read_email_list(DATA / "segment_export.csv", None)
    assert found.keys == ("ada@example.com", "bob@example.com")
    assert found.invalid == 1
    assert found.warning == "1 line is not an address and was left out ('not an address')."


def test_semicolons_and_a_lone_heading() -> None:
    assert parse_email_list("name;e-mail\nAda;ada@example.com\n").keys == ("ada@example.com",)
    assert parse_email_list("email\nada@example.com\n").keys == ("ada@example.com",)


def test_a_csv_without_an_email_column_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValidationError, match="none named email: name that column 'email'"):
        parse_email_list("name,plan\nAda,pro\n")


@pytest.mark.parametrize("what", ["folder", "database", "wal", "missing", "binary", "empty"])
def test_what_cannot_be_a_list_is_refused(tmp_path: Path, what: str) -> None:
    db_path = tmp_path / "smallyes.db"
    db_path.write_bytes(b"SQLite format 3\x00")
    (tmp_path / "smallyes.db-wal").write_bytes(b"")
    target = {
        "folder": tmp_path,
        "database": db_path,
        "wal": tmp_path / "smallyes.db-wal",
        "missing": tmp_path / "nope.txt",
        "binary": tmp_path / "photo.jpg",
        "empty": tmp_path / "empty.txt",
    }[what]
    if what == "binary":
        target.write_bytes(b"\xff\xd8\xff\x00\x00JFIF")
    if what == "empty":
        target.write_text("\n\n")
    says = {
        "folder": "is a folder",
        "database": "belongs to the Smallyes database",
        "wal": "belongs to the Smallyes database",
        "missing": "There is no file",
        "binary": "is not a text file",
        "empty": "holds no address",
    }[what]
    with pytest.raises(ValidationError, match=says):
        read_email_list(target, db_path)


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs a device file")
def test_a_device_is_refused() -> None:
    with pytest.raises(ValidationError, match="not a regular file"):
        read_email_list("/dev/null", None)


def test_the_database_under_another_name_is_refused(tmp_path: Path) -> None:
    db_path = tmp_path / "smallyes.db"
    db_path.write_bytes(b"SQLite format 3\x00")
    link = tmp_path / "list.txt"
    link.symlink_to(db_path)
    with pytest.raises(ValidationError, match="belongs to the Smallyes database"):
        read_email_list(link, db_path)
