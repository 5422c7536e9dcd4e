"""Where a book and its files live: the default path, its backups folder, the files beside it.

Nothing here opens a database: these are names on disk, so every layer can ask them.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from peewee import SqliteDatabase

from crm.errors import ValidationError

APP_NAME = "smallyes"
DB_FILE_NAME = "smallyes.db"
ENV_VAR = "SMALLYES_DB"


def data_dir() -> Path:
    """The user data folder Smallyes uses by default."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """Where the rotating log file lives."""
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    """``SMALLYES_DB`` when set, else ``smallyes.db`` in the user data folder."""
    env = os.environ.get(ENV_VAR, "")
    if env.strip():  # set to nothing or to spaces: not set, as shells treat it
        return Path(env).expanduser()
    return data_dir() / DB_FILE_NAME


def resolve_db_path(path: str | os.PathLike[str] | None) -> Path:
    """The database path the user asked for, or the default one."""
    return Path(path).expanduser() if path else default_db_path()


def backups_dir(db_path: Path) -> Path:
    """Backups live in ``backups/`` beside the database they copy."""
    return db_path.parent / "backups"


def database_files(db_path: Path) -> list[Path]:
    """The database file and the ones kept beside it: SQLite's journals, the two locks."""
    suffixes = ("-wal", "-shm", "-journal", ".lock", ".inuse")
    return [db_path, *(db_path.with_name(db_path.name + suffix) for suffix in suffixes)]


def is_database_file(path: str | os.PathLike[str], db_path: Path) -> bool:
    """Whether writing ``path`` would overwrite the database or a file that belongs to it:
    by name, through symlinks (of the target or of the database), or as the same file
    under another name (a hard link, another case on a case-insensitive disk)."""
    target = Path(path).expanduser()
    resolved = target.resolve()
    # SQLite names its journals after the database's real path when it is a symlink.
    own = {*database_files(db_path), *database_files(db_path.resolve())}
    for file in own:
        if resolved == file.resolve():
            return True
        try:
            if os.path.samefile(resolved, file):
                return True
        except OSError:
            continue  # one of the two does not exist: not the same file
    return False


def check_output_file(target: Path, db_path: Path | None, what: str) -> None:
    """Refuse a target that writing ``what`` (an export, a backup, a chart, a report) would
    wreck: the finished file is renamed over it, which would replace a folder's name, a
    device or pipe itself (/dev/null, /dev/stdout), or the database or a file SQLite keeps
    beside it (also when ``target`` is a symlink to one of them)."""
    if target.is_dir():
        raise ValidationError(f"{target} is a folder: give a file name for the {what}.")
    if target.exists() and not target.is_file():
        raise ValidationError(
            f"{target} is not a regular file (a device, pipe or socket): give a file name for "
            f"the {what}."
        )
    if db_path is not None and is_database_file(target, db_path):
        raise ValidationError(
            f"{target} belongs to the Smallyes database in use: give the {what} another file name."
        )


def database_path(db: SqliteDatabase) -> Path:
    """The file behind an open database."""
    return Path(db.database)
