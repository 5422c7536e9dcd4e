"""Links: which clicked URLs are a yes on an offer, and which are no yes at all.

An offer's links (``offer_link``) are URLs or URL prefixes the owner gives it ("the
pricing guide is anything under example.com/guides/pricing"); a click on one is a yes on
that offer at the link's step, "downloaded" unless the owner chose another. URLs are
compared without their scheme, a leading ``www.`` and the fragment, in lower case, so a
prefix matches the tracked variants a newsletter adds (``?utm_source=...``). The longest
matching prefix wins.

Some links in every newsletter say nothing about interest: unsubscribe and preference
pages, "view in browser" copies and tracking pixels. A click on one is no yes
(:func:`is_ignored_link`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from crm.asking.ladder import step_by_key
from crm.changes import note
from crm.errors import DuplicateError, NotFoundError, ValidationError
from crm.store.models import database_proxy
from crm.timefmt import iso

DEFAULT_LINK_STEP = "downloaded"
MAX_LINK_CHARS = 2000

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)

# Unsubscribe, preference and profile pages, copies of the e-mail on the web, and the
# platforms' tracking and pixel addresses: each is matched anywhere in the lower-cased URL.
_IGNORED = re.compile(
    r"unsubscribe|/unsub\b|opt-?out\b|"
    r"/(?:email-|subscription-)?preferences\b|preference[-_]?cent(?:er|re)|"
    r"manage[-_]?(?:subscription|preferences)|update[-_]?profile|"
    r"list-manage\.com/(?:profile|about|vcard|track)|"
    r"campaign-archive\d*\.com|//mailchi\.mp/|^mailchi\.mp/|"
    r"view[-_]?(?:in|this)?[-_]?(?:browser|online)|web-?version|"
    r"/track/(?:open|click)|/open\.(?:php|gif|png)|/pixel\b|/wf/open\b",
    re.IGNORECASE,
)


def is_ignored_link(url: str) -> bool:
    """Whether a click on ``url`` says nothing about interest (unsubscribe, preferences,
    "view in browser", tracking)."""
    return bool(_IGNORED.search(url))


def normalise_link(url: str) -> str:
    """A URL as links are compared: no scheme, no leading ``www.``, no fragment, lower case."""
    text = url.strip()
    text = _SCHEME.sub("", text)
    text = text.split("#", 1)[0]
    text = text.lower()
    if text.startswith("www."):
        text = text[4:]
    return text


def clean_link(url: str) -> str:
    """A link as the owner gives it, checked: a web address (or a prefix of one)."""
    text = url.strip()
    if not text:
        raise ValidationError("A link needs an address, like 'example.com/guides/pricing'.")
    if len(text) > MAX_LINK_CHARS:
        raise ValidationError(f"A link can be at most {MAX_LINK_CHARS} characters: shorten it.")
    if any(ch.isspace() for ch in text):
        raise ValidationError(f"'{text}' is not a web address: it contains a space.")
    normalised = normalise_link(text)
    host = normalised.split("/", 1)[0]
    if "." not in host or len(normalised) < 4:
        raise ValidationError(
            f"'{text}' is not a web address: give at least the site, like 'example.com/guide'."
        )
    return normalised


@dataclass(frozen=True, slots=True)
class OfferLink:
    offer: str
    prefix: str
    step: str  # the step a click on it is a yes at
    created_at: dt.datetime

    def to_json(self) -> dict[str, str | None]:
        return {
            "offer": self.offer,
            "link": self.prefix,
            "step": self.step,
            "created_at": iso(self.created_at),
        }


def _offer(name: str) -> tuple[int, str]:
    row = database_proxy.execute_sql(
        "SELECT id, name FROM offer WHERE name = ? COLLATE NOCASE", [" ".join(name.split())]
    ).fetchone()
    if row is None:
        raise NotFoundError(f"There is no offer named '{name.strip()}': check the name.")
    return int(row[0]), str(row[1])


_LINK_SQL = (
    "SELECT o.name, l.prefix, coalesce(s.key, ?), l.created_at FROM offer_link l "
    "JOIN offer o ON o.id = l.offer_id LEFT JOIN step s ON s.id = l.step_id"
)


def _link_row(row: tuple) -> OfferLink:
    created = row[3] if isinstance(row[3], dt.datetime) else dt.datetime.fromisoformat(row[3])
    return OfferLink(str(row[0]), str(row[1]), str(row[2]), created)


def add_offer_link(offer: str, url: str, *, now: dt.datetime, step: str | None = None) -> OfferLink:
    """Give an offer a link (a URL or prefix): clicks on it become yeses on the offer."""
    note(tables=["offer_link"])
    offer_id, _ = _offer(offer)
    prefix = clean_link(url)
    step_id = step_by_key(step).id if step else None
    with database_proxy.atomic():
        taken = database_proxy.execute_sql(
            "SELECT o.name, l.offer_id FROM offer_link l JOIN offer o ON o.id = l.offer_id "
            "WHERE l.prefix = ?",
            [prefix],
        ).fetchone()
        if taken is not None and taken[1] != offer_id:
            raise DuplicateError(
                f"'{prefix}' is already the link of the offer '{taken[0]}': remove it there first."
            )
        if taken is None:
            database_proxy.execute_sql(
                "INSERT INTO offer_link (offer_id, prefix, step_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                [offer_id, prefix, step_id, now.replace(microsecond=0)],
            )
        elif step is not None:
            database_proxy.execute_sql(
                "UPDATE offer_link SET step_id = ? WHERE prefix = ?", [step_id, prefix]
            )
    row = database_proxy.execute_sql(
        f"{_LINK_SQL} WHERE l.prefix = ?", [DEFAULT_LINK_STEP, prefix]
    ).fetchone()
    return _link_row(row)


def remove_offer_link(offer: str, url: str) -> None:
    """Take a link off an offer; the yeses its clicks made stay."""
    note(tables=["offer_link"])
    offer_id, name = _offer(offer)
    cursor = database_proxy.execute_sql(
        "DELETE FROM offer_link WHERE offer_id = ? AND prefix = ?",
        [offer_id, normalise_link(url)],
    )
    if not cursor.rowcount:
        raise NotFoundError(f"'{url.strip()}' is not a link of the offer '{name}': check it.")


def offer_links(offer: str | None = None) -> list[OfferLink]:
    """The links of one offer, or of every offer, by offer and address."""
    if offer is None:
        rows = database_proxy.execute_sql(
            f"{_LINK_SQL} ORDER BY o.name COLLATE NOCASE, l.prefix", [DEFAULT_LINK_STEP]
        ).fetchall()
    else:
        offer_id, _ = _offer(offer)
        rows = database_proxy.execute_sql(
            f"{_LINK_SQL} WHERE l.offer_id = ? ORDER BY l.prefix", [DEFAULT_LINK_STEP, offer_id]
        ).fetchall()
    return [_link_row(r) for r in rows]


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a click on an offer's link is: a yes on ``offer_id`` at ``step``."""

    offer_id: int
    offer: str
    step: str


class Links:
    """Every offer's links, read once for an import: ``match`` finds a clicked URL's offer."""

    def __init__(self, links: dict[str, LinkTarget]) -> None:
        self._links = links
        # Prefixes longest first: the most specific link wins.
        self._ordered = sorted(links, key=len, reverse=True)
        self._hosts = {p.split("/", 1)[0] for p in links}

    def __bool__(self) -> bool:
        return bool(self._links)

    def match(self, url: str) -> LinkTarget | None:
        if not self._links or not url:
            return None
        text = normalise_link(url)
        if text.split("/", 1)[0] not in self._hosts:
            return None
        for prefix in self._ordered:
            if text.startswith(prefix):
                return self._links[prefix]
        return None


def load_links() -> Links:
    """The book's offer links, for one import."""
    rows = database_proxy.execute_sql(
        "SELECT l.prefix, o.id, o.name, coalesce(s.key, ?) FROM offer_link l "
        "JOIN offer o ON o.id = l.offer_id LEFT JOIN step s ON s.id = l.step_id",
        [DEFAULT_LINK_STEP],
    ).fetchall()
    return Links({str(p): LinkTarget(int(i), str(n), str(k)) for p, i, n, k in rows})
