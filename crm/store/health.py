"""Is the database file healthy? ``PRAGMA quick_check`` before the app trusts it.

A damaged file is reported plainly (``DatabaseDamagedError``) and left exactly as it is:
the check opens it read-only, and a restore keeps a byte-for-byte copy of it before
anything replaces it (``crm.safety.backup.keep_current_file``).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

# quick_check stops after this many problems: one is enough to know the file is damaged.
_MAX_PROBLEMS = 5


def read_only_uri(path: Path) -> str:
    """A URI that opens ``path`` without changing or adding any file.

    With no ``-wal`` beside it nothing else is writing it, so ``immutable`` keeps SQLite
    from creating a journal; with one, the journal's committed pages must be read too.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if not path.with_name(path.name + "-wal").exists():
        uri += "&immutable=1"
    return uri


def quick_check(path: Path) -> list[str]:
    """The problems ``PRAGMA quick_check`` finds in the file; empty when it is healthy.

    A missing or empty file has no problems (it becomes a new database). Read-only: the
    file and its journal are not changed.
    """
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        rows = [str(r[0]) for r in con.execute(f"PRAGMA quick_check({_MAX_PROBLEMS})")]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        con.close()
    if rows == ["ok"]:
        return []
    # SQLite puts several findings in one row, under a "*** in database main ***" heading.
    lines = [line.strip() for row in rows for line in row.splitlines()]
    return [line for line in lines if line and not line.startswith("***")]


def probe(path: Path) -> list[str]:
    """A check cheap enough for every start (a few pages, not the whole file): the file is
    SQLite and its schema can be read. ``quick_check`` covers the rest."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    try:
        con = sqlite3.connect(read_only_uri(path), uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        con.close()
    return []


# What quick_check reports when another connection holds the file locked: no damage.
BUSY_PROBLEMS = frozenset({"database is locked", "database is busy"})


def is_busy(problems: list[str]) -> bool:
    """Whether the check could not read the file because another program holds it."""
    return any(problem in BUSY_PROBLEMS for problem in problems)
