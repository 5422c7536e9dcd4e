"""Importing newsletter and contact CSV exports: see ``engine.import_csv``.

The engine is imported on first use of one of its names, so that reading a platform's
label (``crm.importing.platforms``) at start-up does not load the whole importer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crm.importing.engine import ImportOptions, import_csv, preview_csv
    from crm.importing.rejected import RowError
    from crm.importing.report import ImportReport, Preview, save_rejected

# Each public name, and the module it lives in.
_HOMES = {
    "ImportOptions": "crm.importing.engine",
    "ImportReport": "crm.importing.report",
    "Preview": "crm.importing.report",
    "RowError": "crm.importing.rejected",
    "import_csv": "crm.importing.engine",
    "preview_csv": "crm.importing.engine",
    "save_rejected": "crm.importing.report",
}

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
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'crm.importing' has no attribute {name!r}")
