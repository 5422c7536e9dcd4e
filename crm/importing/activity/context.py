"""What a reader learns from the other files of the same export before it reads a member."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ReadContext:
    """Campaign or post titles from an export's index file (Mailchimp ``campaigns.csv``,
    Substack ``posts.csv``), by the id or name its activity files use."""

    titles: Mapping[str, str] = field(default_factory=dict)
