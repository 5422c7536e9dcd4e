"""A lead's other addresses during an import: which lead each one belongs to.

A record's other addresses (Google's second e-mail, an 'other email' column) go to its
lead unless another lead has them already, a lead of their own has them as its email, or
they are a forgotten person's. A later record that comes with such an address as its
email is that lead's record: the same person.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence

from crm.importing.normalise import OtherAddress, Record

Warn = Callable[[int, str], None]  # (row, text)


class OtherAddresses:
    """Other address key -> its lead's own key: the stored ones, then the import's."""

    def __init__(self, owners: dict[str, str], forgotten: Callable[[str], bool] | None) -> None:
        self.owners = owners
        self.claimed: dict[str, str] = {}  # the same, claimed by rows of the current chunk
        self._forgotten = forgotten

    def claim(self, row: Record, warn: Warn) -> None:
        """Keep the row's other addresses that can be its lead's: not another lead's other
        address (stored, or claimed by an earlier row) and not a forgotten person's.
        Whether one is a lead's own email is settled per chunk (``settle``)."""
        owners, claimed, forgotten = self.owners, self.claimed, self._forgotten
        kept: list[OtherAddress] = []
        taken = {row.key}
        warned = False
        for item in row.others or ():
            address, key, name, text = item
            if key in taken:
                continue
            taken.add(key)
            owner = owners.get(key) or claimed.get(key)
            if owner == row.key:
                continue  # already this lead's (stored, or claimed by an earlier row)
            if forgotten is not None and forgotten(key):
                continue  # never brought back, not even as text
            if owner is None:
                claimed[key] = row.key
                kept.append(item)
                continue
            warn(
                row.row, f"{address} is already an address of the lead {owner}; left with that lead"
            )
            warned = True
            keep_as_text(row, name, text)
        row.others = kept or None
        if warned:
            row.fp = None  # a record that warns is read again next time

    def settle(
        self,
        items: Sequence[Record],
        lead_keys: Callable[[list[str]], Container[str]] | None,
        seen: Container[str],
        warn: Warn,
    ) -> None:
        """Drop the claimed other addresses that are a lead's own email (stored, as
        ``lead_keys`` tells, or a row of this import, in ``seen``): the two stay apart, with
        a warning. ``lead_keys`` is None when the book held no lead before the import."""
        claims = [r for r in items if r.others]
        self.claimed = {}
        if not claims:
            return
        keys = list({item[1] for r in claims for item in r.others or ()})
        leads = lead_keys(keys) if lead_keys is not None else ()
        for r in claims:
            kept = []
            for item in r.others or ():
                address, key, name, text = item
                if key in leads or key in seen:
                    warn(
                        r.row,
                        f"{address} is a lead of its own; the two leads are kept apart (merge "
                        "them by hand if they are one person)",
                    )
                    keep_as_text(r, name, text)
                    r.fp = None
                else:
                    kept.append(item)
            r.others = kept or None

    def add(self, row: Record) -> None:
        """The row's lead now has its other addresses: later rows match the lead by them."""
        for _, key, _, _ in row.others or ():
            self.owners[key] = row.key


def keep_as_text(row: Record, name: str, text: str) -> None:
    """An address not taken stays on the record as the custom field it came in."""
    row.custom.setdefault(name, text)
    if row.moved:
        row.moved.pop(name, None)
