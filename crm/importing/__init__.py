"""Importing newsletter and contact CSV exports: see ``engine.import_csv``.

The engine is imported on first use of one of its names, so that reading a platform's
label (``crm.importing.platforms``) at start-up does not load the whole importer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm.importing.engine import (
        ImportOptions,
        ImportReport,
        Preview,
        RowError,
        import_csv,
        preview_csv,
        save_rejected,
    )

__all__ = [
    "ImportOptions",
    "ImportReport",
    "Preview",
    "RowError",
    "import_csv",
    "preview_csv",
    "save_rejected",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("crm.importing.engine"), name)
    raise AttributeError(f"module 'crm.importing' has no attribute {name!r}")
