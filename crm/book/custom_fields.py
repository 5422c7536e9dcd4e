"""The custom fields of the lead book: every column an import does not map to a lead's own
field is kept as one (a plan, an unsubscribe reason, a ZIP code), and an owner can add one
by hand. This module reads their names and shows their values as text; the lead panel, the
filter dialog and the lead list's optional columns use it. Writing them is
:func:`crm.book.leads.update_custom`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crm.store.models import database_proxy

# Distinct layouts read to find the names: an import gives one layout to thousands of leads,
# so a book of 100,000 leads has a few hundred at most.
_MAX_LAYOUTS = 10_000


def custom_field_names() -> list[str]:
    """The custom-field names the book's leads carry, alphabetically; one spelling per name
    whatever its case (the most common one)."""
    rows = database_proxy.execute_sql(
        "SELECT j.key, count(*) FROM (SELECT DISTINCT custom FROM lead WHERE custom != '{}' "
        f"AND status != 'erased' LIMIT {_MAX_LAYOUTS}) c, json_each(c.custom) j "
        "GROUP BY j.key"
    ).fetchall()
    best: dict[str, tuple[int, str]] = {}
    for key, uses in rows:
        name = str(key)
        folded = name.casefold()
        if folded not in best or uses > best[folded][0]:
            best[folded] = (int(uses), name)
    return sorted((name for _, name in best.values()), key=str.casefold)


def field_text(value: Any) -> str:
    """A stored value as the owner reads it: text as it is, anything else as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def field_value(custom: Mapping[str, Any], name: str) -> str:
    """The lead's value of the field ``name`` (any case) as text, '' when it has none."""
    if name in custom:
        return field_text(custom[name])
    folded = name.casefold()
    for key, value in custom.items():
        if key.casefold() == folded:
            return field_text(value)
    return ""
