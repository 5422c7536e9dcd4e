"""What to tell the owner about a damaged book: what is wrong, and which backup to restore.

``crm.store.health`` finds the damage; this module names the newest good backup in the
message, so it sits above the backups.
"""

from __future__ import annotations

import logging
from pathlib import Path

from crm.errors import DatabaseDamagedError
from crm.safety.backup import newest_good_backup
from crm.store.health import probe, quick_check
from crm.timefmt import local

log = logging.getLogger(__name__)


def check_database(path: Path, *, full: bool = True) -> None:
    """Raise ``DatabaseDamagedError`` with a plain sentence when the file is damaged;
    ``full=False`` runs only :func:`probe`."""
    problems = quick_check(path) if full else probe(path)
    if problems:
        raise damaged_error(path, problems)


def damaged_error(path: Path, problems: list[str]) -> DatabaseDamagedError:
    """The error for a damaged file, naming the newest good backup when there is one."""
    log.error("database %s failed quick_check: %s", path, "; ".join(problems))
    return DatabaseDamagedError(
        f"The database {path} is damaged ({problems[0]}): {_restore_advice(path)}; "
        "the damaged file is kept, never overwritten."
    )


def writes_refused_error(path: Path, problems: list[str]) -> DatabaseDamagedError:
    """The error for a command that would write into a damaged file: it changes nothing."""
    log.error("database %s failed quick_check, writes refused: %s", path, "; ".join(problems))
    return DatabaseDamagedError(
        f"The database {path} is damaged ({problems[0]}), so Smallyes changes nothing in it: "
        f"run smallyes-cli check, then {_restore_advice(path)} with smallyes-cli restore."
    )


def _restore_advice(path: Path) -> str:
    good = newest_good_backup(path)
    if good is None:
        return "restore a backup file you keep elsewhere"
    return f"restore the backup from {local(good.created_at):%Y-%m-%d %H:%M} ({good.path})"
