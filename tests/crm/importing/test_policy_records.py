"""Rules 2-5 and 9: delimiters, RFC 4180 quoting, header cells, blank records, widths."""

from __future__ import annotations

import pytest

from crm.importing import import_csv, preview_csv
from crm.importing.mapping import Target
from crm.importing.records import sniff_delimiter
from tests.crm.importing.conftest import dump_tables, lead, run, write


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("email,name,city", ","),
        ("email;name;city", ";"),
        ("email\tname\tcity", "\t"),
        ("email|name|city", "|"),
        ('"a,b,c";name;city', ";"),  # commas inside quotes do not count
        ("email", ","),
    ],
)
def test_sniffing_counts_outside_quotes(line: str, expected: str) -> None:
    assert sniff_delimiter(line) == expected


def test_excel_sep_line_wins_and_is_not_a_header(db, now, tmp_path) -> None:
    path = write(tmp_path, "x.csv", "sep=|\r\nemail|name,with,commas\r\na@example.com|Ann\r\n")
    report = import_csv(path, now=now)
    assert report.delimiter == "|" and report.header == ("email", "name,with,commas")
    assert lead("a@example.com").custom["name,with,commas"] == "Ann"


def test_quotes_hold_delimiters_quotes_and_any_line_ending(db, now, tmp_path) -> None:
    text = (
        "email,notes,company\r\n"
        'a@example.com,"line one\rline two\nline three\r\nend","Acme, ""Ltd"""\n'
        "b@example.com,plain,B\r"
        "c@example.com,last,C"  # no newline at the end
    )
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert report.rows == 3 and report.rejected == 0
    a = lead("a@example.com")
    assert a.notes == "line one\rline two\nline three\r\nend"
    assert a.company == 'Acme, "Ltd"'
    assert lead("c@example.com").company == "C"


def test_a_lone_cr_at_the_very_end(db, now, tmp_path) -> None:
    text = 'email,notes\na@example.com,"x\ny"\nb@example.com,"last"\r'
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert (report.rows, report.created, report.warnings) == (2, 2, 0)
    assert lead("b@example.com").notes == "last"


def test_header_cells_trimmed_repeats_kept_by_position(db, now, tmp_path) -> None:
    text = " Email , UNSUB_REASON ,UNSUB_REASON,\na@example.com,first,second,\n"
    path = write(tmp_path, "x.csv", text)
    report = import_csv(path, now=now)
    assert report.header == ("Email", "UNSUB_REASON", "UNSUB_REASON", "")
    custom = lead("a@example.com").custom
    assert custom["UNSUB_REASON"] == "first" and custom["UNSUB_REASON (2)"] == "second"
    assert set(custom) == {"UNSUB_REASON", "UNSUB_REASON (2)"}  # the empty unnamed one: gone
    preview = preview_csv(path)
    assert preview.mapping[3].target is Target.IGNORE


def test_header_cells_lose_invisible_characters_at_their_ends(db, now, tmp_path) -> None:
    # A BOM kept by a second save, NBSP and zero-width spaces copied from a web page.
    text = (
        "\ufeff\u00a0Email\u200b,\u200b First Name\u00a0,\u2060PLZ \ufeff\nh@example.com,Hu,01099\n"
    )
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert report.header == ("Email", "First Name", "PLZ")
    hu = lead("h@example.com")
    assert (hu.first_name, hu.custom) == ("Hu", {"PLZ": "01099"})


def test_blank_records_are_skipped_and_rows_count_records(db, now, tmp_path) -> None:
    text = 'email,notes\n\n, \na@example.com,"two\nlines"\n\n,\nbad,x\n'
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert report.rows == 2
    assert [(e.row, e.reason) for e in report.errors] == [
        (2, "'bad' is not a valid address: email has no @")
    ]


def test_column_counts(db, now, tmp_path) -> None:
    text = (
        "email,first,last,company\n"
        "a@example.com,A,Aa,Acme,,\n"  # extra empty fields: ignored, warning
        "b@example.com,B,Bb,Bco,surprise\n"  # extra non-empty: rejected
        "c@example.com,C\n"  # missing fields: empty, warning
        ",D\n"  # short and no email: rejected
    )
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert report.created == 2
    assert [(e.row, e.reason) for e in report.errors] == [
        (2, "row has 5 fields, header has 4"),
        (4, "row has 2 fields, header has 4"),
    ]
    assert report.warnings == 2
    assert lead("c@example.com").last_name == ""


def test_a_trailing_unnamed_header_cell_does_not_make_rows_short(db, now, tmp_path) -> None:
    text = "email,first_name,\na@example.com,Ann\nb@example.com,Bo,\nc@example.com,Cy,data\n"
    report = import_csv(write(tmp_path, "x.csv", text), now=now)
    assert (report.created, report.warnings) == (3, 0)
    assert lead("a@example.com").custom == {}
    assert lead("c@example.com").custom == {"column 3": "data"}  # not empty: kept


def test_a_quote_never_closed_is_reported(db, now, tmp_path) -> None:
    text = 'email,notes\nok@example.com,fine\na@example.com,"never closed\n' + "x" * 5_000_000
    from crm.errors import ImportFormatError

    before = dump_tables()
    with pytest.raises(ImportFormatError, match="quote"):
        import_csv(write(tmp_path, "x.csv", text), now=now)
    assert dump_tables() == before  # the rows before it are not kept either


def test_rejected_rows_of_a_zip_s_files_are_saved_under_their_own_columns(
    db, now, tmp_path
) -> None:
    import csv
    import zipfile

    from crm.importing import save_rejected

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", "Email,Name,City\nok@example.com,Ann,Oslo\nnot-an-email,Bob,Rome\n")
        z.writestr("b.csv", "Email,City,Zip\nbad@,Lima,15001\nfine@example.com,Quito,170\n")
    report = run(path, now)
    assert report.rejected == 2
    out = tmp_path / "rejected.csv"
    assert save_rejected(report, out) == 2
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["row", "reason", "Email", "Name", "City", "Zip"]
    assert (rows[0]["Email"], rows[0]["Name"], rows[0]["City"], rows[0]["Zip"]) == (
        "not-an-email",
        "Bob",
        "Rome",
        "",
    )
    assert (rows[1]["Email"], rows[1]["Name"], rows[1]["City"], rows[1]["Zip"]) == (
        "bad@",
        "",
        "Lima",
        "15001",
    )
    assert rows[0]["reason"].startswith("a.csv: ") and rows[1]["reason"].startswith("b.csv: ")


def test_rejected_rows_of_one_file_keep_its_header_and_extra_fields(db, now, tmp_path) -> None:
    import csv

    from crm.importing import save_rejected

    path = write(tmp_path, "x.csv", "Email,Name,Name\nbad@,A,B\nok@example.com,C,D,E\n")
    report = run(path, now)
    out = tmp_path / "rejected.csv"
    assert save_rejected(report, out) == 2
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["row", "reason", "Email", "Name", "Name"]
    assert rows[1][2:] == ["bad@", "A", "B"]
    assert rows[2][2:] == ["ok@example.com", "C", "D", "E"]
