"""Shared helpers for the data-safety tests: a database with some leads, damage, a reader,
a log file, a small disk."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from crm.book.leads import add_lead
from crm.logsetup import configure_logging


def add_people(count: int, now: dt.datetime, prefix: str = "person") -> None:
    from crm.store.models import database_proxy

    with database_proxy.atomic():
        for i in range(count):
            add_lead(
                f"{prefix}{i}@example.com",
                first_name=f"First{i}",
                last_name="Lastname",
                company="Acme Widgets International",
                now=now,
            )


def lead_count(path: Path) -> int:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT count(*) FROM lead").fetchone()[0]
    finally:
        con.close()


def live_emails(path: Path) -> list[str]:
    """The addresses of every lead not erased, in order."""
    con = sqlite3.connect(path)
    try:
        rows = con.execute("SELECT email FROM lead WHERE status != 'erased' ORDER BY email")
        return [r[0] for r in rows]
    finally:
        con.close()


def damage(path: Path, pages: tuple[int, ...] = (3, 5)) -> None:
    """Overwrite the start of some b-tree pages, as a failing disk would."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()
    data = bytearray(path.read_bytes())
    for page in pages:
        start = page * page_size + 8
        data[start : start + 200] = b"\xff" * 200
    path.write_bytes(bytes(data))


def wreck(path: Path) -> None:
    """Overwrite the schema page: SQLite cannot even read which tables the file has."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    data = bytearray(path.read_bytes())
    data[100:1600] = b"\xff" * 1500
    path.write_bytes(bytes(data))


def zero_page(path: Path, table: str = "lead") -> None:
    """Zero one whole page, the root of ``table``'s b-tree, as a failing disk would."""
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        page = root.fetchone()[0]
    finally:
        con.close()
    with open(path, "r+b") as handle:
        handle.seek((page - 1) * page_size)
        handle.write(b"\0" * page_size)


class Reader:
    """Another program with a read transaction open on the book (BEGIN + SELECT)."""

    def __init__(self, db_path: Path) -> None:
        self._path = db_path
        self._holding = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        con = sqlite3.connect(self._path, isolation_level=None)
        try:
            con.execute("BEGIN")
            con.execute("SELECT count(*), max(last_name) FROM lead").fetchone()
            self._holding.set()
            self._release.wait(30)
            con.execute("COMMIT")
        finally:
            con.close()

    def __enter__(self) -> Reader:
        self._thread.start()
        assert self._holding.wait(10)
        return self

    def release(self, after_s: float = 0.0) -> None:
        if after_s:
            threading.Timer(after_s, self._release.set).start()
        else:
            self._release.set()

    def __exit__(self, *_exc: object) -> None:
        self._release.set()
        self._thread.join(10)


def logging_to_file(level: int = logging.INFO) -> Iterator[Path]:
    """For a fixture: the app's log file set up at ``level``; afterwards the root logger
    is as it was, so no test writes into another's file."""
    root = logging.getLogger()
    before, was = list(root.handlers), root.level
    path = configure_logging(level)
    assert path is not None
    yield path
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(was)


@contextmanager
def small_tmpfs(point: Path, size: str) -> Iterator[Path]:
    """A real file system of ``size`` (tmpfs, "8m", "512k") at ``point``, so the disk can
    really fill up; the test is skipped where mounting is not allowed (it needs root)."""
    mount = shutil.which("mount")
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or mount is None:
        pytest.skip("mounting a small tmpfs needs root")
    point.mkdir()
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=True)
