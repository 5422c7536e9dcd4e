"""Turning the bytes of a file into text, or refusing them with a sentence.

A BOM decides (UTF-8, UTF-16 LE/BE). Without one, a NUL byte in the first 8 KiB means a
binary file. Otherwise strict UTF-8, then Windows-1252 with a warning; never Latin-1,
which would accept anything and garble it silently. A ZIP is opened and its CSVs become
separate sources; entries that escape their folder or unpack too large are refused.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, TextIO, cast

from crm.errors import ImportFormatError

SNIFF_BYTES = 8192
# A platform's account export holds one opens and one clicks file per campaign: years
# of weekly campaigns are thousands of CSVs, so the count is capped high and the sizes
# (each file's and the whole archive's unpacked) are what keep a crafted archive out.
MAX_ZIP_ENTRIES = 10_000
MAX_ENTRY_BYTES = 2 * 1024**3  # 2 GiB unpacked per CSV
MAX_ZIP_BYTES = 16 * 1024**3  # 16 GiB unpacked for all the CSVs of one archive
MAX_RATIO = 200  # a CSV compresses well, but not a thousand to one
_CHUNK = 1 << 20

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE"),
)
_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel or Word file (.xls/.doc)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3", "a database file"),
)


def shown_name(path: Path) -> str:
    """A file's name as text that can be stored and printed: bytes that are not UTF-8 (a
    name from an older system) become U+FFFD instead of failing later."""
    return os.fsencode(path.name).decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Source:
    """One CSV to read: a plain file, or one entry of a ZIP archive."""

    path: Path
    member: str | None = None
    size: int = 0
    crc: int | None = None  # a ZIP entry's CRC-32, from the archive's directory

    @property
    def label(self) -> str:
        return self.member.rsplit("/", 1)[-1] if self.member else shown_name(self.path)

    def open_binary(self) -> IO[bytes]:
        if self.member is None:
            return open(self.path, "rb")
        archive = zipfile.ZipFile(self.path)
        try:
            # a RawIOBase is read as any binary file is; typeshed keeps the two apart
            return cast(IO[bytes], _ZipEntryStream(archive, archive.open(self.member)))
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
            archive.close()
            raise ImportFormatError(
                f"'{self.member}' in {shown_name(self.path)} cannot be unpacked ({exc}): "
                "unzip it yourself and import the CSV."
            ) from exc


class _ZipEntryStream(io.RawIOBase):
    """A ZIP entry that also closes its archive, and stops at the size cap."""

    def __init__(self, archive: zipfile.ZipFile, entry: IO[bytes]) -> None:
        self._archive, self._entry, self._read = archive, entry, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._entry.read(len(buffer))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ImportFormatError(
                f"The ZIP archive is damaged ({exc}): download the export again."
            ) from exc
        self._read += len(data)
        if self._read > MAX_ENTRY_BYTES:
            raise ImportFormatError(
                "A file inside the ZIP unpacks to more than 2 GiB: unzip it and split it."
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._entry.close()
            self._archive.close()
        super().close()


@dataclass(frozen=True, slots=True)
class Decoding:
    """How a source's bytes become text."""

    encoding: str  # the codec to read with
    name: str  # what the user is told: UTF-8, UTF-16 LE, Windows-1252
    warning: str = ""


def sources_for(path: Path) -> list[Source]:
    """The CSVs in ``path``: the file itself, or the CSV entries of a ZIP.

    Only a regular file is read: a named pipe would wait for a writer forever and a
    device (``/dev/zero``) never ends. The file is opened without blocking and checked
    on what was opened, so a pipe put in its place meanwhile is refused too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ImportFormatError(f"There is no file at {path}: check the name.") from None
    except IsADirectoryError:
        raise ImportFormatError(f"{path} is a folder: choose a CSV file inside it.") from None
    except OSError as exc:
        raise ImportFormatError(f"{path} cannot be read ({exc.strerror}).") from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ImportFormatError(f"{path} is a folder: choose a CSV file inside it.")
        if not stat.S_ISREG(info.st_mode):
            raise ImportFormatError(
                f"{path} is not a regular file (it is a pipe, a socket or a device): save "
                "the export as a file and import that."
            )
        head = os.read(fd, 4)
    except OSError as exc:
        raise ImportFormatError(f"{path} cannot be read ({exc.strerror}).") from exc
    finally:
        os.close(fd)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_sources(path)
    return [Source(path, None, info.st_size)]


def _zip_sources(path: Path) -> list[Source]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFormatError(
            f"{shown_name(path)} looks like a ZIP archive but cannot be opened: download it again."
        ) from exc
    if len(infos) > MAX_ZIP_ENTRIES * 4:
        raise ImportFormatError(
            f"{shown_name(path)} holds {len(infos)} files, too many for an export: unzip it and "
            "import the CSV files one by one."
        )
    names = [i.filename for i in infos if not i.is_dir()]
    if any(n.startswith("xl/") for n in names) and "[Content_Types].xml" in names:
        raise ImportFormatError(
            f"{shown_name(path)} is an Excel workbook, not a CSV: open it in Excel and save it as "
            "'CSV UTF-8', then import that file."
        )
    sources: list[Source] = []
    for info in infos:
        if info.is_dir():
            continue
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or ":" in info.filename:
            raise ImportFormatError(
                f"{shown_name(path)} contains a file with an unsafe path ('{info.filename}'): it "
                "was not opened; unzip it yourself if you trust it."
            )
        lower = info.filename.lower()
        if (parts and parts[-1].startswith(("._", "."))) or "__macosx" in lower:
            continue
        if not lower.endswith((".csv", ".txt", ".tsv")):
            continue
        if info.file_size > MAX_ENTRY_BYTES or (
            info.compress_size and info.file_size / info.compress_size > MAX_RATIO * 5
        ):
            raise ImportFormatError(
                f"'{info.filename}' in {shown_name(path)} would unpack to "
                f"{info.file_size:,} bytes, too large to be a real export: unzip it yourself "
                "and check it."
            )
        sources.append(Source(path, info.filename, info.file_size, info.CRC))
    if not sources:
        shown = ", ".join(names[:3]) or "nothing"
        raise ImportFormatError(
            f"{shown_name(path)} is a ZIP archive with no CSV file inside (it holds {shown}): "
            "choose the CSV export instead."
        )
    if len(sources) > MAX_ZIP_ENTRIES:
        raise ImportFormatError(
            f"{shown_name(path)} holds {len(sources)} CSV files, too many to import at once: unzip "
            "it and import them in smaller archives."
        )
    total = sum(s.size for s in sources)
    if total > MAX_ZIP_BYTES:
        raise ImportFormatError(
            f"{shown_name(path)} would unpack to {total:,} bytes of CSV, too large to import at "
            "once: unzip it and import its files in smaller groups."
        )
    return sources


def detect_decoding(source: Source) -> Decoding:
    """Decide the encoding (rule 1), reading the source once without keeping it."""
    with source.open_binary() as handle:
        head = handle.read(SNIFF_BYTES)
        for bom, codec, name in _BOMS:
            if head.startswith(bom):
                rest = head[len(bom) :]
                _check_decodes(handle, rest, len(bom), codec.replace("-sig", ""), name, source)
                return Decoding(codec, name)
        if not head.strip():
            return Decoding("utf-8", "UTF-8")
        if b"\x00" in head:
            raise ImportFormatError(_binary_sentence(source, head))
    if _decodes(source, "utf-8"):
        return Decoding("utf-8", "UTF-8")
    if _decodes(source, "cp1252"):
        return Decoding(
            "cp1252",
            "Windows-1252",
            "the file is not UTF-8, so it was read as Windows-1252 (Western European): "
            "check accented names in the preview",
        )
    raise ImportFormatError(
        f"{source.label} is neither UTF-8 nor Windows-1252 text: export it again as 'CSV UTF-8'."
    )


def _decodes(source: Source, codec: str) -> bool:
    decoder = codecs.getincrementaldecoder(codec)("strict")
    done = 0
    with source.open_binary() as handle:
        try:
            while data := handle.read(_CHUNK):
                _refuse_nul(source, data, done)
                decoder.decode(data)
                done += len(data)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _refuse_nul(source: Source, data: bytes, offset: int) -> None:
    """A NUL byte past the first 8 KiB of a UTF-8 or Windows-1252 file: a damaged file (a
    copy cut short and padded with zeros, say). Refused whole, like binary, rather than
    stored as names no screen can show."""
    at = data.find(b"\x00")
    if at < 0:
        return
    with source.open_binary() as handle:
        line = 1 + handle.read(offset + at).count(b"\n")
    raise ImportFormatError(
        f"{source.label} has a NUL byte on line {line:,}, so it is damaged or not a text "
        "file: export it again."
    )


def _check_decodes(
    handle: IO[bytes], head: bytes, offset: int, codec: str, name: str, source: Source
) -> None:
    """Decode the rest of a file whose BOM was read; ``head`` starts at byte ``offset``
    (counted, not asked of the stream: a ZIP entry cannot tell where it is)."""
    if codec == "utf-16":
        codec = "utf-16-le" if name.endswith("LE") else "utf-16-be"
    decoder = codecs.getincrementaldecoder(codec)("strict")
    data, done = head, offset
    try:
        while data:
            if codec == "utf-8":
                _refuse_nul(source, data, done)
            decoder.decode(data)
            done += len(data)
            data = handle.read(_CHUNK)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ImportFormatError(
            f"{source.label} starts like a {name} text file but is damaged further on: "
            "export it again."
        ) from None


def _binary_sentence(source: Source, head: bytes) -> str:
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            return f"{source.label} is {what}, not a CSV file: choose the CSV export instead."
    return f"{source.label} is a binary file, not a CSV text file: choose the CSV export instead."


def open_text(
    source: Source, decoding: Decoding, on_bytes: Callable[[int], None] | None = None
) -> TextIO:
    """A text stream of the source, with line endings left alone (the CSV reader needs them)."""
    raw: IO[bytes] = source.open_binary()
    if on_bytes is not None:
        raw = cast(IO[bytes], _CountingReader(raw, on_bytes))
    # utf-16 keeps reading past a BOM it consumed; utf-8-sig drops the BOM.
    return io.TextIOWrapper(
        io.BufferedReader(raw, _CHUNK) if on_bytes is not None else raw,  # type: ignore[type-var]  # a raw stream, typed as IO
        encoding=decoding.encoding,
        errors="strict",
        newline="",
    )


class _CountingReader(io.RawIOBase):
    """Reports how many bytes were read, for progress on files of unknown row count."""

    def __init__(self, inner: IO[bytes], on_bytes: Callable[[int], None]) -> None:
        self._inner, self._on_bytes, self._done = inner, on_bytes, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self._done += n
        self._on_bytes(self._done)
        return n

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()
