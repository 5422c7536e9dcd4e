"""Files written where the user points (charts, reports, CSV exports): never over the
database, owner-only, complete or not there at all, and a full disk said plainly."""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from crm.book.leads import add_lead
from crm.book.timeline import record_commitment
from crm.cli import main
from crm.store.db import close_database, open_database
from tests.crm.safety_helpers import small_tmpfs

NOW = dt.datetime(2026, 6, 15, 12, 0, 0)


def run(db_path: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def book(db, now) -> None:
    for i in range(3):
        lead = add_lead(f"p{i}@example.com", first_name=f"P{i}", now=now)
        record_commitment(lead.id, "subscribed", at=now - dt.timedelta(days=40 - i), now=now)
        record_commitment(
            lead.id, "downloaded", at=now - dt.timedelta(days=20), now=now, offer="Guide"
        )


# --- never over the database ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("chart", "funnel", "-o", "{link}.png"),
        ("chart", "cohorts", "-o", "{link}.pdf"),
        ("report", "-o", "{link}.pdf"),
        ("export", "-o", "{link}.csv"),
    ],
)
@pytest.mark.parametrize("own", ["", "-wal", "-shm"])
def test_a_symlink_to_the_database_or_its_journal_is_refused(
    book, db, db_path, tmp_path, capsys, args, own
) -> None:
    db.execute_sql("SELECT count(*) FROM lead")  # the -wal and -shm files exist now
    real = db_path.with_name(db_path.name + own)
    assert real.exists()
    suffix = Path(args[-1]).suffix
    link = tmp_path / f"out{suffix}"
    link.symlink_to(real)
    before = real.read_bytes()

    argv = [a.replace("{link}" + suffix, str(link)) for a in args]
    code, out, err = run(db_path, *argv, capsys=capsys)

    assert code == 1 and out == ""
    assert err.startswith("error: ") and "belongs to the Smallyes database" in err
    assert link.is_symlink() and link.resolve() == real.resolve()
    if own != "-shm":  # the next open rewrites the -shm index as SQLite does
        assert real.read_bytes() == before


@pytest.mark.parametrize("args", [("report", "-o", "{db}"), ("chart", "asks", "-o", "{db}")])
def test_a_database_named_like_the_output_is_not_overwritten(tmp_path, capsys, args) -> None:
    book = tmp_path / "crm.pdf"
    db = open_database(book)
    add_lead("ada@example.com", now=NOW)
    close_database(db)
    before = book.read_bytes()

    code, _, err = run(book, *(a.replace("{db}", str(book)) for a in args), capsys=capsys)

    assert code == 1 and "belongs to the Smallyes database" in err
    assert book.read_bytes() == before
    # Nothing beside the book but its in-use lock file: no stray chart or temporary file.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crm.pdf", "crm.pdf.inuse"]


def test_a_hard_link_to_the_database_is_refused(book, db, db_path, tmp_path) -> None:
    from crm.analytics.charts import build_chart, save_figure
    from crm.analytics.funnel import compute_funnel
    from crm.errors import ValidationError

    alias = tmp_path / "alias.png"
    os.link(db_path, alias)
    with pytest.raises(ValidationError, match="belongs to the Smallyes database"):
        save_figure(build_chart("funnel", compute_funnel()), alias)


# --- owner-only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("chart", "funnel", "-o", "c.png"),
        ("chart", "funnel", "-o", "c.svg"),
        ("chart", "funnel", "-o", "c.pdf"),
        ("report", "-o", "r.pdf"),
        ("export", "-o", "e.csv"),
    ],
)
def test_written_files_are_readable_by_the_owner_only(
    book, db_path, tmp_path, capsys, args
) -> None:
    target = tmp_path / "out" / args[-1]
    target.parent.mkdir()
    target.write_text("an older file, readable by everyone")
    target.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        code, _, err = run(db_path, *args[:-1], str(target), capsys=capsys)
    finally:
        os.umask(old_umask)
    assert code == 0, err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes()[:4] != b"an o"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left


# --- a full disk ----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB file system of its own: room for an empty book (16 KB pages, one or more
    for each table and index) and little else."""
    with small_tmpfs(tmp_path / "small-disk", "2m") as folder:
        yield folder


def fill(folder: Path) -> None:
    """Take every free byte of the disk that holds ``folder``."""
    for name, size in (("filler", 4096), ("filler-tail", 1)):
        with open(folder / name, "wb", buffering=0) as handle:
            block = b"\0" * size
            try:
                while handle.write(block) == size:
                    pass
            except OSError:
                pass  # full


@pytest.mark.parametrize("kind", ["funnel", "cohorts"])
@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_a_chart_that_does_not_fit_on_the_disk_keeps_the_old_one(
    book, db_path, small_disk, capsys, kind, ext
) -> None:
    target = small_disk / f"chart.{ext}"
    target.write_bytes(b"the chart from last week")
    fill(small_disk)

    code, out, err = run(db_path, "chart", kind, "-o", str(target), capsys=capsys)

    assert code == 1 and out == ""
    assert err == "error: The disk is full: free some space and try again; nothing was lost.\n"
    assert target.read_bytes() == b"the chart from last week"
    assert sorted(p.name for p in small_disk.iterdir()) == ["chart." + ext, "filler", "filler-tail"]


def test_a_report_on_a_full_disk_says_so_and_leaves_nothing(
    book, db_path, small_disk, capsys
) -> None:
    fill(small_disk)
    code, out, err = run(db_path, "report", "-o", str(small_disk / "r.pdf"), capsys=capsys)
    assert (code, out) == (1, "")
    assert err == "error: The disk is full: free some space and try again; nothing was lost.\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "filler-tail"]


def test_an_export_on_a_full_disk_says_so_and_leaves_nothing(
    db, db_path, small_disk, capsys, now
) -> None:
    for i in range(3000):
        add_lead(f"person{i}@example.com", first_name="Someone", now=now)
    fill(small_disk)
    code, _, err = run(db_path, "export", "-o", str(small_disk / "e.csv"), capsys=capsys)
    assert code == 1
    assert err == "error: The disk is full: free some space and try again; nothing was lost.\n"
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "filler-tail"]


@pytest.mark.parametrize(
    "args",
    [
        ("show", "ada@example.com"),
        ("leads",),
        ("export", "-o", "{elsewhere}/e.csv"),
        ("backup", "-o", "{elsewhere}/b.db"),
        ("add", "bob@example.com"),
    ],
)
def test_a_book_on_a_full_disk_says_the_disk_is_full(
    small_disk, tmp_path, capsys, _template_db, args
) -> None:
    book = small_disk / "smallyes.db"
    shutil.copyfile(_template_db, book)
    db = open_database(book)
    add_lead("ada@example.com", now=NOW)
    close_database(db)
    fill(small_disk)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    argv = [a.replace("{elsewhere}", str(elsewhere)) for a in args]
    code, out, err = run(book, *argv, capsys=capsys)

    assert (code, out) == (1, "")
    assert err == "error: The disk is full: free some space and try again; nothing was lost.\n"
    assert list(elsewhere.iterdir()) == []


def _wrapped(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__context__ = inner
    return outer


@pytest.mark.parametrize(
    "error",
    [
        # matplotlib's PDF writer fails in zlib after the write that met the full disk
        _wrapped(AttributeError("'NoneType' has no attribute 'flush'"), OSError(28, "No space")),
        sqlite3.OperationalError("database or disk is full"),
        _wrapped(
            sqlite3.OperationalError("cannot rollback - no transaction is active"),
            OSError(errno.ENOSPC, "No space left on device"),
        ),
    ],
)
def test_a_wrapped_full_disk_error_is_named(tmp_path, error) -> None:
    from crm.store.problems import known_storage_problem

    known = known_storage_problem(error, tmp_path / "smallyes.db")
    assert known is not None
    assert (
        known.user_message == "The disk is full: free some space and try again; nothing was lost."
    )


def test_a_bug_is_not_taken_for_a_storage_problem(tmp_path) -> None:
    from crm.store.problems import known_storage_problem

    assert known_storage_problem(AttributeError("no attribute 'locked'"), tmp_path / "x.db") is None
