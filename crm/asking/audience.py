"""Audience files: a campaign's leads as the owner's newsletter tool imports them.

The owner imports the file into their tool, which tags (or groups, or lists) those people,
and sends the campaign there. Each platform gets exactly the columns its importer reads,
as its help pages describe them:

- **Mailchimp**, a tag import: ``Email Address`` (the one required column, "only one email
  for each contact") and ``Tags``. Mailchimp's "Format Guidelines for Your Import File"
  (mailchimp.com/help/format-guidelines-for-your-import-file) names the email column and
  UTF-8; tags are imported from a column of tag names separated by commas, each at most
  100 characters, no emoji (a tag holding a comma needs quotes).
- **Kit** (ConvertKit), a tag import: ``email`` and ``tags``. Kit's "How to import a
  subscriber list" (help.kit.com/en/articles/2502555) wants an email column and "a column
  for your subscribers' Tags, with each Tag separated by a comma", and warns that Kit
  "will replace any existing data ... with blank values if your import file contains blank
  values": so no name column at all.
- **MailerLite**, a group import (the group is picked in the import): ``Email`` and, when
  every lead in the file has one, ``Name`` and ``Last name`` (MailerLite's "How to import
  subscribers", mailerlite.com/help/how-to-import-subscribers: one column per field,
  Email, Name, Company, Country, UTF-8).
- **Brevo**, a list import (the list is picked in the import): ``EMAIL`` and, when every
  lead has one, the ``FIRSTNAME`` and ``LASTNAME`` attributes (Brevo's "Create a file to
  import your contacts", help.brevo.com/hc/en-us/articles/208729849: the default
  attributes EMAIL, FIRSTNAME, LASTNAME as headers; comma, semicolon or tab; UTF-8; its
  import API's ``emptyContactsAttributes`` shows an empty cell can erase an attribute).
- **generic**: ``email``, ``first_name`` and ``last_name`` (when every lead has them) and
  ``tags``, the names Smallyes' own generic importer maps by itself.

Every file avoids blank cells, which some importers write over the data they hold: a name
column is written only when no lead in the file lacks that name. Cells are formula-safe
(``crm.book.exporting.escape_cell``); the tag is built from plain words. Addresses are
never changed: one a spreadsheet would run as a formula is held back before the file is
written (``crm.asking.eligibility``: ``unsafe_address``). The file is written as every
export is (``crm.safety.output_files``): never over the database, a folder or a device,
owner-only, whole or not at all.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm.book.exporting import escape_cell
from crm.errors import ValidationError
from crm.safety.output_files import atomic_output

WHAT = "audience file"
TAG_MAX = 100  # Mailchimp's limit on a tag's length; the others allow as much


@dataclass(frozen=True, slots=True)
class Platform:
    """How one newsletter tool imports a list of people."""

    key: str
    label: str
    email: str  # the email column's header
    names: tuple[str, str] | None  # first and last name headers, written when never blank
    tag: str | None  # the tag column's header (None: the import picks a group or list)
    how: str  # what to do with the file there, in one sentence

    @property
    def groups(self) -> bool:
        return self.tag is None


PLATFORMS: dict[str, Platform] = {
    p.key: p
    for p in (
        Platform(
            "mailchimp",
            "Mailchimp",
            "Email Address",
            None,
            "Tags",
            "In Mailchimp: Audience ▸ Import contacts, let it update the contacts you have, "
            "map Tags to tags; then send to the tag '{tag}'.",
        ),
        Platform(
            "kit",
            "Kit",
            "email",
            None,
            "tags",
            "In Kit: Subscribers ▸ Import subscribers, map the tags column; then send a "
            "broadcast to the tag '{tag}'.",
        ),
        Platform(
            "mailerlite",
            "MailerLite",
            "Email",
            ("Name", "Last name"),
            None,
            "In MailerLite: Subscribers ▸ Import, into a new group named '{tag}'; then send "
            "to that group.",
        ),
        Platform(
            "brevo",
            "Brevo",
            "EMAIL",
            ("FIRSTNAME", "LASTNAME"),
            None,
            "In Brevo: Contacts ▸ Import contacts, into a new list named '{tag}'; then send "
            "a campaign to that list.",
        ),
        Platform(
            "generic",
            "Generic CSV",
            "email",
            ("first_name", "last_name"),
            "tags",
            "Import it into your newsletter tool and send to the people tagged '{tag}'.",
        ),
    )
}


def platform_named(key: str) -> Platform:
    found = PLATFORMS.get(key.strip().lower())
    if found is None:
        raise ValidationError(
            f"'{key}' is not an audience file platform: use one of {', '.join(PLATFORMS)}."
        )
    return found


@dataclass(frozen=True, slots=True)
class AudienceRow:
    email: str
    first_name: str
    last_name: str


_NOT_IN_TAGS = re.compile(r"[,;\"\r\n\t]+")


def campaign_tag(campaign_id: int, step_label: str, offer: str | None) -> str:
    """The tag (or group, or list) name the tool gives the people asked: plain words that
    no tag rule reads as a yes ("Smallyes ask 3 - Downloaded - Focus workbook"), without
    the commas and quotes tag columns split on, or emoji, at most ``TAG_MAX`` characters."""
    parts = [f"Smallyes ask {campaign_id}", step_label, *([offer] if offer else [])]
    text = " - ".join(parts)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] in "LNPZ" or ch in "-'&+")
    text = " ".join(_NOT_IN_TAGS.sub(" ", text).split())
    return text[:TAG_MAX].rstrip(" -")


def header_for(platform: Platform, rows: Sequence[AudienceRow]) -> list[str]:
    """The columns the file gets: a name column only when no row would leave it blank."""
    header = [platform.email]
    if platform.names is not None:
        first, last = platform.names
        if rows and all(r.first_name.strip() for r in rows):
            header.append(first)
            if all(r.last_name.strip() for r in rows):
                header.append(last)
    if platform.tag is not None:
        header.append(platform.tag)
    return header


def write_audience(
    target: str | Path, platform: Platform, rows: Sequence[AudienceRow], tag: str
) -> list[str]:
    """Write ``rows`` to ``target`` as ``platform`` imports them; returns the header."""
    header = header_for(platform, rows)
    with_first = platform.names is not None and platform.names[0] in header
    with_last = platform.names is not None and platform.names[1] in header

    def cells(row: AudienceRow) -> list[str]:
        out = [row.email]
        if with_first:
            out.append(escape_cell(row.first_name.strip()))
        if with_last:
            out.append(escape_cell(row.last_name.strip()))
        if platform.tag is not None:
            out.append(tag)
        return out

    def write(handle: Any) -> None:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(header)
        for row in rows:
            out.writerow(cells(row))

    with atomic_output(target, WHAT, text_encoding="utf-8") as handle:
        write(handle)
    return header
