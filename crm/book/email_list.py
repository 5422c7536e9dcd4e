"""A file of addresses naming the leads a bulk change is for: one address a line, or a CSV
with an email column (a newsletter tool's export of a segment, say).

The file is read whole and checked first: a folder, a device or the database itself is
refused with a sentence, as an export's target is; so is a file that is not text.
Addresses are cleaned as an import cleans them; the ones that are not addresses are
counted and a few shown, never fatal (a list pasted from a mail program has stray lines).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from crm.book.emails import check_email
from crm.errors import ValidationError
from crm.store.paths import is_database_file

MAX_BYTES = 256 * 1024 * 1024  # far above a million addresses
_EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address", "mail", "emailaddress"}
_SHOWN = 3


@dataclass(frozen=True, slots=True)
class EmailList:
    """The addresses' keys (lower-cased, each once, in file order) and what was not one."""

    keys: tuple[str, ...]
    invalid: int = 0
    examples: tuple[str, ...] = ()  # a few of the lines that were not addresses

    @property
    def warning(self) -> str:
        if not self.invalid:
            return ""
        shown = ", ".join(f"'{e}'" for e in self.examples)
        if self.invalid == 1:
            return f"1 line is not an address and was left out ({shown})."
        more = ", ..." if self.invalid > len(self.examples) else ""
        return f"{self.invalid:,} lines are not addresses and were left out ({shown}{more})."


def check_list_file(path: Path, db_path: Path | None) -> None:
    """Refuse what cannot be a list of addresses: a folder, a device, the book itself."""
    if path.is_dir():
        raise ValidationError(
            f"{path} is a folder: give the file that lists the addresses (one a line, or a "
            "CSV with an email column)."
        )
    if not path.exists():
        raise ValidationError(f"There is no file {path}: check the name and the folder.")
    if not path.is_file():
        raise ValidationError(
            f"{path} is not a regular file (a device, pipe or socket): give the file that "
            "lists the addresses."
        )
    if db_path is not None and is_database_file(path, db_path):
        raise ValidationError(
            f"{path} belongs to the Smallyes database in use: give the file that lists the "
            "addresses."
        )


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise ValidationError(
            f"{path} is not a text file: give a list of addresses, one a line, or a CSV with "
            "an email column."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _email_column(header: list[str]) -> int | None:
    for i, cell in enumerate(header):
        name = " ".join(cell.strip().strip('"').casefold().replace("_", " ").split())
        if name in _EMAIL_HEADERS:
            return i
    return None


def parse_email_list(text: str, *, name: str = "the list") -> EmailList:
    """The addresses of a list's text (see the module docstring)."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    cells: list[str] = []
    delimiter = ","
    for candidate in (",", ";", "\t"):
        if candidate in first:
            delimiter = candidate
            cells = next(csv.reader([first], delimiter=candidate))
            break
    values: list[str]
    if len(cells) > 1 or (cells and _email_column(cells) is not None):
        column = _email_column(cells)
        if column is None:
            raise ValidationError(
                f"{name} has several columns but none named email: name that column "
                "'email', or give one address per line."
            )
        rows = csv.reader(io.StringIO(text), delimiter=delimiter)
        next(rows, None)
        values = [row[column] if len(row) > column else "" for row in rows]
    else:
        values = lines
        if first and _email_column([first]) is not None:
            values = lines[lines.index(first) + 1 :]  # a lone "email" heading
    keys: dict[str, None] = {}
    invalid = 0
    examples: list[str] = []
    for value in values:
        if not value.strip():
            continue
        try:
            keys[check_email(value).key] = None
        except ValidationError:
            invalid += 1
            if len(examples) < _SHOWN:
                examples.append(value.strip()[:60])
    return EmailList(tuple(keys), invalid, tuple(examples))


def read_email_list(path: str | Path, db_path: Path | None) -> EmailList:
    """The addresses in the file at ``path``; ``db_path``: the book in use, never read."""
    file = Path(path).expanduser()
    check_list_file(file, db_path)
    try:
        with open(file, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ValidationError(
            f"{file} could not be read ({exc.strerror}): check that it is yours to read."
        ) from None
    if len(data) > MAX_BYTES:
        raise ValidationError(
            f"{file} is larger than {MAX_BYTES // (1024 * 1024)} MB: a list of addresses is "
            "far smaller; give that list."
        )
    found = parse_email_list(_decode(file, data), name=str(file))
    if not found.keys:
        raise ValidationError(
            f"{file} holds no address: give one address per line, or a CSV with an email column."
        )
    return found
