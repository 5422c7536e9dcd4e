"""Importing newsletter and contact CSV exports: see ``engine.import_csv``."""

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
