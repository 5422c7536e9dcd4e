"""Every process that has a book open is seen by a restore, and leftovers of a killed one go.

A restore replaces the file with a rename: a process that still had the old file open
would go on writing into a deleted file and report success. These tests run the other
process for real, as a subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crm.cli import main
from crm.safety.backup import clean_leftovers, list_backups
from crm.store.db import close_database, open_database
from crm.store.paths import backups_dir
from tests.crm.safety_helpers import add_people, lead_count

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks and SIGKILL")

# A long job in another process, the way an import works: it opens the book, reads for a
# while (until told to go on, on stdin), then writes one transaction.
_LONG_JOB = textwrap.dedent(
    """
    import sys, datetime as dt
    from crm.store.db import open_database
    from crm.errors import StorageError
    from crm.book.leads import add_lead
    from crm.store.models import database_proxy
    db = open_database(sys.argv[1])
    print("reading", flush=True)
    sys.stdin.readline()
    try:
        with database_proxy.atomic():
            add_lead("late@example.com", now=dt.datetime(2026, 6, 15, 12))
    except StorageError as exc:
        print(exc.user_message, flush=True)
        sys.exit(1)
    print("committed", flush=True)
    """
)


def _long_job(db_path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _LONG_JOB, str(db_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "reading"
    return proc


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = proc.communicate("go\n", timeout=60)
    return proc.returncode, out + err


def _backup(db_path: Path, tmp_path: Path, capsys) -> Path:
    copy = tmp_path / "b.db"
    assert main(["--db", str(db_path), "backup", "-o", str(copy)]) == 0
    capsys.readouterr()
    return copy


def test_restore_refuses_while_another_process_has_the_book_open(
    db_path: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    import crm.store.lock

    monkeypatch.setattr(crm.store.lock, "RESTORE_WAIT_S", 0.3)
    copy = _backup(db_path, tmp_path, capsys)
    proc = _long_job(db_path)
    try:
        code = main(["--db", str(db_path), "restore", str(copy)])
        err = capsys.readouterr().err
    finally:
        status, said = _finish(proc)
    assert code == 1 and err.count("\n") == 1
    assert "Another Smallyes process has" in err
    # The other process's write is in the book, not in a replaced, deleted file.
    assert (status, said.strip()) == (0, "committed")
    assert lead_count(db_path) == 1


def test_a_process_whose_book_was_replaced_stops_instead_of_reporting_success(
    db_path: Path, tmp_path: Path, capsys
) -> None:
    copy = _backup(db_path, tmp_path, capsys)
    proc = _long_job(db_path)
    # A program that knows nothing of Smallyes's lock swaps the file in.
    os.replace(copy, db_path)
    status, said = _finish(proc)
    assert status == 1, said
    assert "was replaced" in said and "nothing from this job was saved" in said
    assert "committed" not in said


# ``smallyes-cli restore`` that pauses in the middle of its copy until told to go on.
_PAUSED_RESTORE = textwrap.dedent(
    """
    import sys
    import crm.safety.backup
    from crm.cli import main
    crm.safety.backup._PAGES_PER_STEP = 1
    prepare = crm.safety.backup.prepare_restore
    paused = []
    def pause(done, total):
        if done and not paused:
            paused.append(done)
            print("copying", flush=True)
            sys.stdin.readline()
    def prepare_paused(*args, **kwargs):
        return prepare(*args, **kwargs, progress=pause)
    crm.safety.backup.prepare_restore = prepare_paused
    sys.exit(main(["--db", sys.argv[1], "restore", sys.argv[2]]))
    """
)


def test_a_second_restore_while_one_runs_is_refused_and_the_first_completes(
    db, db_path: Path, tmp_path: Path, now, capsys, monkeypatch
) -> None:
    import crm.store.lock

    monkeypatch.setattr(crm.store.lock, "RESTORE_WAIT_S", 0.3)
    add_people(40, now)
    close_database(db)
    copy = _backup(db_path, tmp_path, capsys)
    add_people_later = subprocess.run(
        [sys.executable, "-m", "crm", "--db", str(db_path), "add", "later@example.com"],
        cwd=ROOT, capture_output=True, check=True,
    )  # fmt: skip
    assert add_people_later.returncode == 0 and lead_count(db_path) == 41
    first = subprocess.Popen(
        [sys.executable, "-c", _PAUSED_RESTORE, str(db_path), str(copy)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "copying"
        code = main(["--db", str(db_path), "restore", str(copy)])
        err = capsys.readouterr().err
    finally:
        out, first_err = first.communicate("go\n", timeout=60)
    assert code == 1 and err.count("\n") == 1 and "Another Smallyes process has" in err, err
    assert (first.returncode, first_err) == (0, ""), first_err
    assert "restored" in out
    assert lead_count(db_path) == 40
    kept = [b for b in list_backups(db_path) if b.reason == "before-restore"]
    assert len(kept) == 1 and lead_count(kept[0].path) == 41
    assert [p.name for p in db_path.parent.iterdir() if ".restore" in p.name] == []


# A backup or restore that stops for good half-way, to be killed with SIGKILL there.
_STUCK = textwrap.dedent(
    """
    import sys, time, datetime as dt
    from pathlib import Path
    import crm.safety.backup
    from crm.store.db import open_database
    crm.safety.backup._PAGES_PER_STEP = 1
    def stuck(done, total):
        if done:
            print("copying", flush=True)
            time.sleep(60)
    now = dt.datetime(2026, 6, 15, 12)
    if sys.argv[2] == "backup":
        open_database(sys.argv[1])
        crm.safety.backup.backup_now(now=now, progress=stuck)
    else:
        crm.safety.backup.prepare_restore(
            Path(sys.argv[3]), Path(sys.argv[1]), now=now, progress=stuck
        )
    """
)


def _kill_mid_way(db_path: Path, *args: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _STUCK, str(db_path), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "copying"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]


def _hidden_copies(db_path: Path) -> list[str]:
    folders = [db_path.parent, backups_dir(db_path)]
    return sorted(
        p.name
        for folder in folders
        if folder.is_dir()
        for p in folder.iterdir()
        if ".part" in p.name or ".restore" in p.name
    )


def test_copies_left_by_a_killed_backup_or_restore_go_at_the_next_open(
    db, db_path: Path, tmp_path: Path, now
) -> None:
    add_people(30, now)
    copy = tmp_path / "b.db"
    assert main(["--db", str(db_path), "backup", "-o", str(copy)]) == 0
    close_database(db)

    _kill_mid_way(db_path, "backup")
    _kill_mid_way(db_path, "restore", str(copy))
    # Old releases staged under fixed names; a kill there leaves those too.
    (db_path.parent / f".{db_path.name}.restore").write_bytes(copy.read_bytes())
    (db_path.parent / f".{db_path.name}.restore.part").write_bytes(copy.read_bytes())
    left = _hidden_copies(db_path)
    assert any(name.endswith(".db.part") for name in left), left
    assert sum(".restore" in name for name in left) >= 3, left
    assert list_backups(db_path) == []  # never listed, so never pruned either

    close_database(open_database(db_path))

    assert _hidden_copies(db_path) == []
    assert lead_count(db_path) == 30


def test_leftovers_are_not_touched_while_another_process_has_the_book_open(
    db_path: Path, tmp_path: Path, capsys
) -> None:
    copy = _backup(db_path, tmp_path, capsys)
    proc = _long_job(db_path)
    staged = db_path.parent / f".{db_path.name}.restore-inuse"
    staged.write_bytes(copy.read_bytes())
    try:
        assert clean_leftovers(db_path) == []
        assert staged.exists()
    finally:
        assert _finish(proc)[0] == 0
    assert clean_leftovers(db_path) == [staged]
    assert not staged.exists()


def test_an_open_waits_for_a_restore_in_progress(db_path: Path) -> None:
    """A command started while a restore swaps the file opens the book once it is done."""
    from crm.store.lock import BookLock

    code = (
        "import sys; from crm.store.db import open_database; "
        "open_database(sys.argv[1]); print('open')"
    )
    with BookLock.exclusive(db_path, "restore"):
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(db_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        try:
            with pytest.raises(subprocess.TimeoutExpired):
                proc.wait(timeout=1.0)
        except BaseException:
            proc.kill()
            raise
    out, _ = proc.communicate(timeout=30)
    assert (proc.returncode, out.strip()) == (0, "open")


def test_a_restore_during_a_real_import_is_refused_and_the_import_is_kept(
    db_path: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    import csv
    import time

    import crm.store.lock

    monkeypatch.setattr(crm.store.lock, "RESTORE_WAIT_S", 0.3)
    copy = _backup(db_path, tmp_path, capsys)
    rows = 40_000
    source = tmp_path / "big.csv"
    with open(source, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["email", "first_name"])
        out.writerows((f"p{i}@example.com", f"First{i}") for i in range(rows))
    wal = db_path.with_name(db_path.name + "-wal")
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm", "--db", str(db_path), "import", str(source)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not wal.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # the import has the book open once its journal exists
        assert proc.poll() is None, "the import ended before the restore could be tried"
        code = main(["--db", str(db_path), "restore", str(copy)])
        err = capsys.readouterr().err
    finally:
        _out, err_text = proc.communicate(timeout=120)
    assert code == 1 and "Another Smallyes process has" in err
    assert proc.returncode == 0, err_text
    assert lead_count(db_path) == rows
