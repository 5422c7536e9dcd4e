"""A forget stopped after the erase (a reader, a full disk, a read-only backup) says what
happened, and forgetting the same address again finishes it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import crm.safety.forget as forget_mod
from crm.cli import main
from crm.store.db import close_database, open_database
from crm.store.paths import backups_dir
from tests.crm.safety_helpers import Reader, add_people, live_emails, small_tmpfs

EMAIL = "zelda@example.org"
LAST = b"Quixotic-Lastname"


def run(db_path: Path, *args: str, capsys) -> tuple[int, str, str]:
    code = main(["--db", str(db_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def _file_bytes(db_path: Path) -> bytes:
    data = db_path.read_bytes()
    wal = db_path.with_name(db_path.name + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def _add_zelda(db_path: Path, capsys) -> None:
    code, _, _ = run(db_path, "add", EMAIL, "--last", LAST.decode(), capsys=capsys)
    assert code == 0
    assert run(db_path, "add", "ben@example.com", capsys=capsys)[0] == 0


# --- another program reading the book -----------------------------------------------------


def test_forget_beside_a_reader_is_finished_by_forgetting_again(
    db_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(forget_mod, "READER_WAIT_S", 0.3)
    _add_zelda(db_path, capsys)

    with Reader(db_path) as reader:
        code, out, err = run(db_path, "forget", EMAIL, "--yes", capsys=capsys)
        assert (code, out) == (1, "")
        assert "The person was erased from the book, but another program kept reading" in err
        assert "run forget again to finish" in err
        assert live_emails(db_path) == ["ben@example.com"]
        assert LAST in _file_bytes(db_path)  # the reader still needs the old pages
        reader.release()

    code, out, err = run(db_path, "forget", EMAIL, "--yes", capsys=capsys)

    assert (code, err) == (0, "")
    assert f"finished forgetting {EMAIL}" in out
    assert LAST not in _file_bytes(db_path)
    assert EMAIL.encode() not in _file_bytes(db_path)


def test_forget_waits_a_moment_for_a_reader_to_finish(db_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(forget_mod, "READER_WAIT_S", 10.0)
    _add_zelda(db_path, capsys)
    with Reader(db_path) as reader:
        reader.release(after_s=0.3)
        code, _, err = run(db_path, "forget", EMAIL, "--yes", capsys=capsys)
    assert (code, err) == (0, "")
    assert LAST not in _file_bytes(db_path)


def test_forget_again_of_an_address_never_forgotten_still_says_no_lead(
    db_path: Path, capsys
) -> None:
    _add_zelda(db_path, capsys)
    assert run(db_path, "forget", EMAIL, "--yes", capsys=capsys)[0] == 0
    code, _, err = run(db_path, "forget", "nobody@example.org", "--yes", capsys=capsys)
    assert code == 1 and "No lead has the email 'nobody@example.org'" in err


# --- a backups folder that cannot be written ------------------------------------------------


def _unprivileged(cmd: list[str], probe: Path) -> list[str]:
    """``cmd`` run so that file permissions hold: root overrides them, so as root it runs
    without capabilities (still the files' owner, like a user whose folder is read-only)."""
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv is needed to run without root's override of file permissions")
    wrapped = [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--", *cmd]
    check = subprocess.run(
        [*wrapped[:4], sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"],
        capture_output=True,
    )
    if check.returncode == 0:
        (probe / "x").unlink()
        pytest.skip("cannot drop root's override of file permissions here")
    return wrapped


def test_a_purge_blocked_by_a_read_only_backups_folder_names_the_backup_and_can_be_finished(
    db_path: Path, capsys
) -> None:
    _add_zelda(db_path, capsys)
    assert run(db_path, "backup", capsys=capsys)[0] == 0
    # the day's first write made the daily copy, the command above a manual one
    copies = sorted(backups_dir(db_path).iterdir())
    assert len(copies) == 2 and all(LAST in c.read_bytes() for c in copies)
    command = [sys.executable, "-m", "crm", "--db", str(db_path)]
    forget = [*command, "forget", EMAIL, "--yes", "--purge-backups"]
    folder = backups_dir(db_path)
    folder.chmod(0o500)
    try:
        wrapped = _unprivileged(forget, folder)
        first = subprocess.run(wrapped, capture_output=True, text=True, timeout=120)
        assert first.returncode == 1, first.stderr
        assert first.stderr.startswith("error: The person was erased from the book, but the ")
        named = [
            c for c in copies if f"the backup {c} (and 1 more) still holds them" in first.stderr
        ]
        assert len(named) == 1, first.stderr
        assert "run forget --purge-backups again to finish" in first.stderr
        assert live_emails(db_path) == ["ben@example.com"]
        assert LAST not in _file_bytes(db_path)
        # Still read-only: the retry knows who is meant and names the same backup.
        again = subprocess.run(wrapped, capture_output=True, text=True, timeout=120)
        assert again.returncode == 1
        assert f"the backup {named[0]} (and 1 more) still holds them" in again.stderr
    finally:
        folder.chmod(0o700)

    code, out, err = run(db_path, "forget", EMAIL, "--yes", "--purge-backups", capsys=capsys)

    assert (code, err) == (0, "")
    assert "backups: erased from 2" in out
    assert all(LAST not in c.read_bytes() for c in copies)


# --- a disk that fills up during the rewrite --------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    # room for the book (new books have 16 KB pages), its rewrite and its WAL once freed
    with small_tmpfs(tmp_path / "disk", "12m") as point:
        yield point


def _fill(disk: Path, leave: int) -> Path:
    stats = os.statvfs(disk)
    filler = disk / "filler"
    with open(filler, "wb") as handle:
        handle.write(b"\0" * max(stats.f_bavail * stats.f_frsize - leave, 0))
    return filler


def test_forget_on_a_full_disk_says_the_person_was_erased_and_can_be_finished(
    small_disk: Path, now, capsys
) -> None:
    db_path = small_disk / "smallyes.db"
    db = open_database(db_path)
    add_people(2000, now)
    close_database(db)
    _add_zelda(db_path, capsys)
    assert db_path.stat().st_size > 1_000_000  # the rewrite needs about that much room
    filler = _fill(small_disk, leave=400_000)

    code, out, err = run(db_path, "forget", EMAIL, "--yes", capsys=capsys)

    assert (code, out) == (1, "")
    assert err == (
        "error: The person was erased from the book, but the disk filled up before the file "
        "could be cleaned: free some space and run forget again to finish.\n"
    )
    assert EMAIL not in live_emails(db_path)
    filler.unlink()
    code, out, err = run(db_path, "forget", EMAIL, "--yes", capsys=capsys)
    assert (code, err) == (0, "")
    assert LAST not in _file_bytes(db_path)
