"""Shared helpers for the data-safety tests: a database with some leads, and damage."""

from __future__ import annotations

import datetime as dt
import sqlite3
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
