"""Logging is configured once, at the entry points: a rotating file in the user log dir."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from crm.db import log_dir

LOG_FILE_NAME = "smallyes.log"


def log_file() -> Path:
    return log_dir() / LOG_FILE_NAME


def configure_logging(level: int = logging.INFO) -> Path | None:
    """Log to a rotating file; return its path, or None when the folder is not writable."""
    path = log_file()
    root = logging.getLogger()
    root.setLevel(level)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    return path
