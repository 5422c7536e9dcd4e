"""The list of forgotten people: who must not come back by an import or a restore.

Forget erases a person from the book; without a list, the next import of the same export
would add them again as new, and restoring an older backup would bring them back. So each
forget records the person's address in ``forgotten_address``, never in the clear: an
HMAC-SHA256 of the address's dedupe key (the lower-cased address), under a random key kept
in a file beside the book (``smallyes.db.forget-key``, owner-only). A book or a backup that
leaks on its own does not say who was forgotten: without the key, a guessed address cannot
be checked against the list.

The key belongs to the book's folder, not to the book: a book moved or restored on another
computer without its key file cannot recognise the people forgotten before. Smallyes then
makes a new key for the next forget and says, on import and restore, how many listed
people it cannot recognise (see docs/data-safety.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm.book.emails import check_email
from crm.book.leads import LeadRow, add_lead
from crm.errors import (
    ForgottenAddressError,
    StorageError,
    ValidationError,
)
from crm.store.models import database_proxy
from crm.store.paths import database_path

log = logging.getLogger(__name__)

KEY_SUFFIX = ".forget-key"
_KEY_BYTES = 32
_KEY_ID_LABEL = b"smallyes forgotten-address key id"

Execute = Callable[[str, Sequence[Any]], Any]


def key_path(db_path: Path) -> Path:
    """The key file beside the book: ``smallyes.db`` -> ``smallyes.db.forget-key``."""
    return db_path.with_name(db_path.name + KEY_SUFFIX)


def _parse_key(path: Path, text: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != _KEY_BYTES:
        raise StorageError(
            f"{path} is not a Smallyes key file: put back the one that belongs to this book, "
            "or move it away to start a new list of forgotten people."
        )
    return key


def read_key(db_path: Path) -> bytes | None:
    """The book's key, or None when it has none (yet, or it was left on another computer)."""
    path = key_path(db_path)
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(
            f"Smallyes cannot read {path} ({exc.strerror}): check its permissions."
        ) from exc
    return _parse_key(path, text)


def ensure_key(db_path: Path) -> bytes:
    """The book's key, created (owner-only) on first need."""
    key = read_key(db_path)
    if key is not None:
        return key
    path = key_path(db_path)
    key = secrets.token_bytes(_KEY_BYTES)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:  # made at the same moment by another process: use theirs
        return _parse_key(path, path.read_text(encoding="ascii", errors="replace"))
    except OSError as exc:
        raise StorageError(
            f"Smallyes could not create {path} ({exc.strerror}): make the database's folder "
            "writable; nothing was erased."
        ) from exc
    with open(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return key


def key_id(key: bytes) -> str:
    """Which key made a digest: short, and says nothing about any address."""
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def digest(key: bytes, email_key: str) -> str:
    return hmac.new(key, email_key.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def address_key(email: str) -> str:
    """The dedupe key the book would store for ``email`` (as typed, or already a key)."""
    try:
        return check_email(email).key
    except ValidationError:
        return email.strip().lower()


def remember(execute: Execute, key: bytes, email_key: str, now: dt.datetime) -> None:
    """Put one address on the list (inside the erase's own transaction), pending its scrub."""
    execute(
        "INSERT INTO forgotten_address (digest, key_id, forgotten_at, pending) "
        "VALUES (?, ?, ?, 1) ON CONFLICT (digest) DO UPDATE SET pending = 1",
        [digest(key, email_key), key_id(key), now.isoformat(sep=" ", timespec="seconds")],
    )


def mark_scrubbed(execute: Execute) -> None:
    """After the file was rewritten: no forget is left half-done."""
    execute("UPDATE forgotten_address SET pending = 0 WHERE pending != 0", [])


def unfinished_forgets(execute: Execute) -> int:
    """How many forgets the file was not rewritten after (a reader, a full disk)."""
    return int(execute("SELECT count(*) FROM forgotten_address WHERE pending", []).fetchone()[0])


def _db_path() -> Path:
    return database_path(database_proxy.obj)


def is_forgotten(email: str, db_path: Path | None = None) -> bool:
    """Whether ``email`` is on the open book's list of forgotten people."""
    key = read_key(db_path or _db_path())
    if key is None:
        return False
    row = database_proxy.execute_sql(
        "SELECT 1 FROM forgotten_address WHERE digest = ?", [digest(key, address_key(email))]
    ).fetchone()
    return row is not None


@dataclass(frozen=True, slots=True)
class ForgottenCheck:
    """The list, read once for a job that tests many addresses (an import)."""

    key: bytes | None
    digests: frozenset[str]
    unreadable: int  # listed under a key this book's folder does not have

    def __bool__(self) -> bool:
        return bool(self.digests)

    def holds(self, email_key: str) -> bool:
        return self.key is not None and digest(self.key, email_key) in self.digests


def load_check(execute: Execute, db_path: Path) -> ForgottenCheck:
    """The list as seen with this folder's key. Reads the key only when the list has entries."""
    rows = execute("SELECT digest, key_id FROM forgotten_address", []).fetchall()
    if not rows:
        return ForgottenCheck(None, frozenset(), 0)
    key = read_key(db_path)
    own = key_id(key) if key is not None else None
    digests = frozenset(d for d, k in rows if k == own)
    return ForgottenCheck(key, digests, len(rows) - len(digests))


def unreadable_warning(count: int, db_path: Path) -> str:
    """Said on an import or a restore when the list holds digests this folder's key did
    not make (the book came from another computer without its key file)."""
    people = "person" if count == 1 else "people"
    return (
        f"{count} forgotten {people} on this book's list cannot be recognised without the key "
        f"file they were recorded with: copy {key_path(db_path).name} from the computer the "
        "book came from into its folder"
    )


# --- adding by hand -----------------------------------------------------------------------


def add_unless_forgotten(email: str, *, again: bool = False, **fields: Any) -> LeadRow:
    """``crm.book.leads.add_lead``, refusing an address on the list of forgotten people.

    ``again``: the person asked to be added back; their address leaves the list in the same
    transaction (a later import or restore would otherwise erase them once more).
    """
    with database_proxy.atomic():
        if is_forgotten(email):
            if not again:
                raise ForgottenAddressError(
                    f"{email.strip()} was forgotten at their request: add them again only if "
                    "they asked to be added back.",
                    email.strip(),
                )
            lift(email)
        return add_lead(email, **fields)


def lift(email: str) -> None:
    """Take ``email`` off the list (the person asked to come back)."""
    key = read_key(_db_path())
    if key is not None:
        database_proxy.execute_sql(
            "DELETE FROM forgotten_address WHERE digest = ?", [digest(key, address_key(email))]
        )


# --- after a restore ----------------------------------------------------------------------
