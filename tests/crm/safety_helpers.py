"""Shared helpers for the data-safety tests: a database with some leads, damage, a reader."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

from crm.leads import add_lead


def add_people(count: int, now: dt.datetime, prefix: str = "person") -> None:
    from crm.models import database_proxy

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
