"""Each source is decoded and parsed once, even when a date column's day/month order is
only decided far down the file: the rows read ahead to decide it are imported after."""

from __future__ import annotations

from crm.importing import ImportOptions, import_csv, preview_csv, reading
from tests.crm.importing.conftest import timeline, write


def _count_opens(monkeypatch) -> list[str]:
    opened: list[str] = []
    open_text = reading.open_text

    def counting(source, decoding, on_bytes=None):
        opened.append(source.label)
        return open_text(source, decoding, on_bytes)

    monkeypatch.setattr(reading, "open_text", counting)
    return opened


def test_a_date_order_decided_far_down_is_used_for_the_rows_above(db, now, tmp_path, monkeypatch):
    monkeypatch.setattr(reading, "SAMPLE_ROWS", 3)
    monkeypatch.setattr(reading, "_HELD_ROWS", 4)  # most rows read ahead go to the file
    rows = [f"p{i}@example.com,Yes,0{1 + i % 9}/02/2023" for i in range(20)]
    path = write(tmp_path, "d.csv", "email,status,signup date\n" + "\n".join(rows) + "\n")
    path.write_text(path.read_text() + "z@example.com,Yes,13/02/2023\n")
    opened = _count_opens(monkeypatch)
    report = import_csv(path, now=now)
    assert opened == ["d.csv"]
    assert (report.rows, report.created, report.warnings) == (21, 21, 0)
    for i in (0, 4, 19):  # first rows, rows read ahead, the last ones held in memory
        yes = [str(t.at) for t in timeline(f"p{i}@example.com") if t.kind == "commitment"]
        assert yes == [f"2023-02-0{1 + i % 9} 00:00:00"]  # day first
    assert preview_csv(path).ambiguous_dates == ()
    assert opened == ["d.csv", "d.csv"]  # the preview reads it once more, by itself


def test_each_csv_of_a_zip_is_read_once(db, now, tmp_path, monkeypatch):
    import zipfile

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.csv", "email,first name\nann@example.com,Ann\n")
        archive.writestr("b.csv", "email,last name\nbo@example.com,Bo\n")
    opened = _count_opens(monkeypatch)
    report = import_csv(path, ImportOptions(), now=now)
    assert report.created == 2
    assert opened == ["a.csv", "b.csv"]
