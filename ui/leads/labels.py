"""How the lead list names lead sources that are not a platform: shared by the filter bar
and the filter dialog, so the bar need not load the dialog to fill its source list."""

from __future__ import annotations

SOURCE_LABELS = {"manual": "Added by hand", "demo": "Demo"}
