"""Memory follows the people an import keeps, not the file: rejected rows go to an
owner-only temporary file, a header wider than any export is refused, a row far wider
than its header is cut when read, and no record is read whole past a size cap.

The heavy figures (millions of rows) are in bench/import_memory.py; these use small
inputs and lowered limits."""

from __future__ import annotations

import csv
import os
import stat
import sys
import tracemalloc

import pytest

from crm.errors import ImportFormatError
from crm.importing import import_csv, preview_csv, records, save_rejected
from crm.importing.rejected import MAX_SHOWN
from tests.crm.importing.conftest import dump_tables, lead, write


def _bad_rows(count: int) -> str:
    return "email,name\n" + "".join(f"not-an-address-{i},Name {i}\n" for i in range(count))


def test_rejected_rows_are_kept_in_a_file_not_in_memory(db, now, tmp_path) -> None:
    count = MAX_SHOWN + 500
    report = import_csv(write(tmp_path, "bad.csv", _bad_rows(count)), now=now)
    assert report.rejected == count
    # the summary lists the first ones, by row and reason, without their cells
    assert len(report.errors) == MAX_SHOWN
    assert report.errors[0].row == 1 and "no @" in report.errors[0].reason
    assert all(e.fields == () for e in report.errors)
    # every row, whole, is in the temporary file, and comes out of save_rejected
    out = tmp_path / "rejected.csv"
    assert save_rejected(report, out) == count
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["row", "reason", "email", "name"]
    assert len(rows) == count + 1
    assert rows[-1][0] == str(count) and rows[-1][2:] == [
        f"not-an-address-{count - 1}",
        f"Name {count - 1}",
    ]
    assert save_rejected(report, out) == count  # read again: the file stays readable


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes and unlinked files")
def test_the_temporary_file_is_owner_only_and_has_no_name(db, now, tmp_path) -> None:
    report = import_csv(write(tmp_path, "bad.csv", _bad_rows(3)), now=now)
    assert report.rejected_rows is not None
    fd = report.rejected_rows.fileno()
    assert fd is not None
    info = os.fstat(fd)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_nlink == 0  # removed already: nothing is left behind, however it ends
    report.rejected_rows.close()
    assert report.rejected_rows.fileno() is None


def _peak_bytes(path, now) -> int:
    tracemalloc.start()
    try:
        import_csv(path, now=now)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_rejected_rows(db, now, tmp_path) -> None:
    few = _peak_bytes(write(tmp_path, "few.csv", _bad_rows(2_000)), now)
    many = _peak_bytes(write(tmp_path, "many.csv", _bad_rows(8_000)), now)
    # holding the 6,000 more rejected rows whole took about 2.4 MB more
    assert many - few < 1024**2


def test_a_header_wider_than_any_export_is_refused(db, now, tmp_path) -> None:
    fine = "email," + ",".join(f"c{i}" for i in range(records.MAX_COLUMNS - 1))
    report = import_csv(write(tmp_path, "ok.csv", fine + "\na@example.com\n"), now=now)
    assert report.created == 1
    before = dump_tables()
    wide = fine + ",one too many"
    with pytest.raises(ImportFormatError) as info:
        import_csv(write(tmp_path, "wide.csv", wide + "\nb@example.com\n"), now=now)
    assert "2,001 columns, more than the 2,000" in info.value.user_message
    assert info.value.user_message.count(". ") == 0  # one sentence
    assert dump_tables() == before
    with pytest.raises(ImportFormatError, match="2,001 columns"):
        preview_csv(tmp_path / "wide.csv")


def test_a_row_far_wider_than_its_header_is_cut_with_a_warning(db, now, tmp_path) -> None:
    extra = records.MAX_COLUMNS * 3
    text = "email,name\n" + "a@example.com,Ann" + "," * extra + "\nb@example.com,Bo\n"
    path = write(tmp_path, "long.csv", text)
    preview = preview_csv(path)
    assert len(preview.rows[0]) == 2 + records.MAX_COLUMNS  # cut as soon as it is read
    report = import_csv(path, now=now)
    assert report.created == 2 and report.rejected == 0
    assert report.warning_texts == (f"row 1: {extra:,} extra empty fields at the end were ignored",)
    assert lead("a@example.com").first_name == "Ann"


def test_a_row_with_far_too_many_filled_fields_is_rejected_with_its_count(
    db, now, tmp_path
) -> None:
    extra = records.MAX_COLUMNS * 3
    text = "email,name\n" + "a@example.com,Ann" + ",x" * extra + "\nb@example.com,Bo\n"
    report = import_csv(write(tmp_path, "long.csv", text), now=now)
    assert report.created == 1
    assert [(e.row, e.reason) for e in report.errors] == [
        (1, f"row has {extra + 2:,} fields, header has 2")
    ]
    out = tmp_path / "rejected.csv"
    save_rejected(report, out)
    with open(out, encoding="utf-8-sig", newline="") as handle:
        saved = list(csv.reader(handle))[1]
    assert saved[2:4] == ["a@example.com", "Ann"] and len(saved) == 2 + 2 + records.MAX_COLUMNS


def test_no_record_is_read_whole_past_the_size_cap(db, now, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(records, "MAX_RECORD_CHARS", 1000)
    before = dump_tables()
    text = "email,name\na@example.com,Ann\nb@example.com," + "B" * 2000 + "\n"
    with pytest.raises(ImportFormatError) as info:
        import_csv(write(tmp_path, "big.csv", text), now=now)
    assert info.value.user_message.startswith("Row 2 is longer than")
    # a record of many short lines (line breaks inside quotes) counts as a whole
    quoted = "email,name\na@example.com,Ann\nb@example.com" + ',"x\ny"' * 300 + "\n"
    with pytest.raises(ImportFormatError, match="Row 2 is longer than"):
        import_csv(write(tmp_path, "quoted.csv", quoted), now=now)
    assert dump_tables() == before


def test_a_header_line_past_the_size_cap_is_refused(db, now, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(records, "MAX_RECORD_CHARS", 1000)
    header = "email," + ",".join(f"column{i}" for i in range(200))
    with pytest.raises(ImportFormatError, match="first line is longer than"):
        import_csv(write(tmp_path, "h.csv", header + "\na@example.com\n"), now=now)
    sep_then_quoted = 'sep=,\nemail,"notes\n' + "x\n" * 600 + '"\na@example.com,x\n'
    with pytest.raises(ImportFormatError, match="header row is longer than"):
        import_csv(write(tmp_path, "q.csv", sep_then_quoted), now=now)


def _undecided_rows(count: int) -> str:
    """Rows whose dates could be day/month or month/day until the last one."""
    rows = "".join(f"not-an-address-{i},01/02/2023\n" for i in range(count))
    return "email,signup date\n" + rows + "not-an-address,13/02/2023\n"


def test_memory_does_not_grow_with_the_rows_read_ahead_for_a_date_order(db, now, tmp_path):
    few = _peak_bytes(write(tmp_path, "few.csv", _undecided_rows(2_000)), now)
    many = _peak_bytes(write(tmp_path, "many.csv", _undecided_rows(14_000)), now)
    # holding the 12,000 more rows read ahead in memory took about 3 MB more
    assert many - few < 1024**2
