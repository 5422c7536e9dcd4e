"""Online backups of the database file with SQLite's backup API (consistent in WAL mode)."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

from peewee import SqliteDatabase

from crm.timefmt import utc_now

log = logging.getLogger(__name__)


def backup_to(db: SqliteDatabase, target: Path) -> Path:
    """Copy the open database to ``target`` (owner-only permissions) and return it."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
    os.close(fd)
    dest = sqlite3.connect(tmp)
    try:
        db.connection().backup(dest)
    finally:
        dest.close()
    os.replace(tmp, target)
    return target


def backup_before(db: SqliteDatabase, db_path: Path, *, reason: str) -> Path:
    """A safety copy in ``backups/`` before something that rewrites the file."""
    from crm.db import backups_dir

    stamp = utc_now().strftime("%Y%m%d-%H%M%S")
    target = backups_dir(db_path) / f"{db_path.stem}-{stamp}-{reason}.db"
    log.info("backing up %s to %s before %s", db_path, target, reason)
    return backup_to(db, target)
