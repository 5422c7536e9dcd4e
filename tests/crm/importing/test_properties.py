"""Arbitrary bytes never raise anything but the importer's own error."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.errors import ImportFormatError
from crm.importing import import_csv, preview_csv

NOW = dt.datetime(2026, 6, 15, 12, 0, 0)
_PIECES = st.sampled_from(
    [b"email", b",", b";", b"\t", b'"', b"\r", b"\n", b"\r\n", b"@", b"a@example.com", b"sep=;",
     b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b"\xc3\xa9", b"\xe9", b"PK\x03\x04", b"x", b" "]
)  # fmt: skip
_CONTENT = st.one_of(st.binary(max_size=300), st.lists(_PIECES, max_size=60).map(b"".join))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_CONTENT)
def test_preview_of_arbitrary_bytes(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(content)
        try:
            preview_csv(path)
        except ImportFormatError as exc:
            assert exc.user_message.strip()


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_CONTENT)
def test_import_of_arbitrary_bytes(db, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.csv"
        path.write_bytes(content)
        try:
            report = import_csv(path, now=NOW)
        except ImportFormatError as exc:
            assert exc.user_message.strip()
        else:
            assert report.rows == report.created + report.updated + report.unchanged + (
                report.rejected + report.duplicates_in_file
            )
