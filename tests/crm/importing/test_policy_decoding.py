"""Rule 1 (decoding, ZIP containers) and rule 11 (files that cannot be read)."""

from __future__ import annotations

import codecs
import os
import threading
import zipfile

import pytest

from crm.errors import ImportFormatError
from crm.importing import import_csv, preview_csv
from crm.store.models import database_proxy
from tests.crm.importing.conftest import MESSY, dump_tables, lead, write

HEADER = "email,first_name\n"


def _batches() -> int:
    return database_proxy.execute_sql("SELECT count(*) FROM import_batch").fetchone()[0]


@pytest.mark.parametrize(
    ("bom", "codec", "name"),
    [
        (codecs.BOM_UTF8, "utf-8", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
    ],
)
def test_a_bom_decides(db, now, tmp_path, bom: bytes, codec: str, name: str) -> None:
    path = write(tmp_path, "x.csv", bom + (HEADER + "zoe@example.com,Zoë\n").encode(codec))
    report = import_csv(path, now=now)
    assert report.encoding == name and report.warnings == 0
    assert lead("zoe@example.com").first_name == "Zoë"


def test_cp1252_with_a_warning_never_latin1(db, now, tmp_path) -> None:
    # 0x80 is the euro sign in Windows-1252 but a control character in Latin-1.
    raw = (HEADER + "cafe@example.com,Café €\n").encode("cp1252")
    report = import_csv(write(tmp_path, "x.csv", raw), now=now)
    assert report.encoding == "Windows-1252" and report.warnings == 1
    assert "Windows-1252" in report.warning_texts[0]
    assert lead("cafe@example.com").first_name == "Café €"


def test_bytes_that_are_neither_utf8_nor_cp1252_are_refused(db, now, tmp_path) -> None:
    path = write(tmp_path, "x.csv", HEADER.encode() + b"a@example.com,\x81\x8d\n")
    with pytest.raises(ImportFormatError, match="neither UTF-8 nor Windows-1252"):
        import_csv(path, now=now)
    assert _batches() == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"  \r\n\t\n  ", "empty"),
        (b"%PDF-1.7\n\x00\x01binary", "PDF"),
        (b"email,name\nab\x00cd@example.com,x\n", "binary"),
        (b"name,city\nAda,London\n", "no email column"),
    ],
)
def test_unreadable_files_import_nothing_and_say_why(db, now, tmp_path, content, words) -> None:
    before = dump_tables()
    with pytest.raises(ImportFormatError, match=words) as info:
        import_csv(write(tmp_path, "x.csv", content), now=now)
    assert info.value.user_message.count(".") >= 1
    assert dump_tables() == before  # no batch, nothing


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_a_nul_byte_past_the_first_8_kib_refuses_the_file(db, now, tmp_path, bom) -> None:
    rows = "".join(f"member{i}@example.com,Ann\n" for i in range(600))  # about 14 KiB
    raw = bom + (HEADER + rows).encode() + b"zero@example.com,A\x00\x00nn\n"
    before = dump_tables()
    with pytest.raises(ImportFormatError, match="NUL byte on line 602") as info:
        import_csv(write(tmp_path, "x.csv", raw), now=now)
    assert "export it again" in info.value.user_message
    assert dump_tables() == before


def test_header_only_is_not_an_error_and_leaves_no_batch(db, now, tmp_path) -> None:
    before = dump_tables()
    report = import_csv(write(tmp_path, "x.csv", HEADER), now=now)
    assert report.rows == 0 and report.batch_id is None
    assert "no data rows" in report.warning_texts[0]
    assert dump_tables() == before


def test_zip_without_csv_is_explained(db, now, tmp_path) -> None:
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("cat.jpg", b"\xff\xd8\xff")
    with pytest.raises(ImportFormatError, match="no CSV file inside"):
        import_csv(path, now=now)


def test_zip_path_traversal_is_refused(db, now, tmp_path) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("../../etc/members.csv", HEADER + "a@example.com,A\n")
    with pytest.raises(ImportFormatError, match="unsafe path"):
        import_csv(path, now=now)
    assert _batches() == 0


def test_zip_bomb_is_refused(db, now, tmp_path) -> None:
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("members.csv", HEADER + " " * 20_000_000)
    with pytest.raises(ImportFormatError, match="too large"):
        preview_csv(path)


def test_an_excel_workbook_gets_a_useful_sentence(db, now, tmp_path) -> None:
    path = tmp_path / "list.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/workbook.xml", "<x/>")
    with pytest.raises(ImportFormatError, match="save it as 'CSV UTF-8'"):
        import_csv(path, now=now)


def test_extension_does_not_matter(db, now, tmp_path) -> None:
    path = write(tmp_path, "export.txt", "email\tname\nada@example.com\tAda\n")
    report = import_csv(path, now=now)
    assert report.delimiter == "\t" and report.created == 1


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_lone_crs_and_no_newline_at_the_end(db, now, tmp_path, codec) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    text = 'email;Prénom;notes\r"a@example.com";Zoë;"one\r\ntwo"\rb@example.com;Bea;last'
    report = import_csv(write(tmp_path, "x.txt", bom + text.encode(codec)), now=now)
    assert (report.rows, report.created, report.delimiter) == (2, 2, ";")
    assert lead("a@example.com").notes == "one\r\ntwo"
    assert (lead("b@example.com").first_name, lead("b@example.com").notes) == ("Bea", "last")


def test_utf16_without_a_bom_is_refused_as_binary(db, now, tmp_path) -> None:
    path = write(tmp_path, "x.csv", (HEADER + "a@example.com,A\n").encode("utf-16-le"))
    with pytest.raises(ImportFormatError, match="binary"):
        import_csv(path, now=now)
    assert _batches() == 0


def test_cp1252_smart_quotes_and_dashes_come_out_right(db, now, tmp_path) -> None:
    raw = "email,first_name,notes\nq@example.com,Zoë,\u201cQuoted\u201d \u2013 it\u2019s fine\n"
    report = import_csv(write(tmp_path, "x.csv", raw.encode("cp1252")), now=now)
    assert report.encoding == "Windows-1252" and report.warnings == 1
    assert lead("q@example.com").notes == "\u201cQuoted\u201d \u2013 it\u2019s fine"


def test_a_utf8_bom_before_excel_s_sep_line(db, now, tmp_path) -> None:
    text = 'sep=;\r\nE-Mail;Vorname\r\nj@example.de;"Jörg; Jr."\r\nnot-an-address;X\r\n'
    report = import_csv(write(tmp_path, "x.csv", codecs.BOM_UTF8 + text.encode()), now=now)
    assert (report.encoding, report.delimiter) == ("UTF-8", ";")
    assert report.header == ("E-Mail", "Vorname")  # neither the BOM nor the sep= line
    assert (report.rows, report.created) == (2, 1)
    assert report.errors[0].row == 2
    assert lead("j@example.de").first_name == "Jörg; Jr."


def test_zip_with_folders_and_other_files_imports_its_csv(db, now, tmp_path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("export/2026/", b"")
        z.writestr("export/2026/members.csv", HEADER + "a@example.com,Ann\n")
        z.writestr("export/2026/posts.html", "<p>hi</p>")
        z.writestr("export/notes.pdf", b"%PDF-1.7\n\x00")
        z.writestr("__MACOSX/export/2026/._members.csv", b"\x00\x05\x16\x07")
    report = import_csv(path, now=now)
    assert (report.created, report.rejected, report.warnings) == (1, 0, 0)
    assert lead("a@example.com").first_name == "Ann"


def test_zip_holding_only_another_zip_says_what_it_holds(db, now, tmp_path) -> None:
    path = tmp_path / "outer.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("inner.zip", b"PK\x05\x06" + b"\x00" * 18)
    with pytest.raises(ImportFormatError, match=r"no CSV file inside \(it holds inner\.zip\)"):
        import_csv(path, now=now)
    assert _batches() == 0


@pytest.mark.parametrize("name", ["/etc/members.csv", "C:\\members.csv", "a\\..\\..\\m.csv"])
def test_zip_absolute_and_windows_paths_are_refused(db, now, tmp_path, name) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("ok.csv", HEADER + "ok@example.com,Ok\n")
        z.writestr(name, HEADER + "a@example.com,A\n")
    before = dump_tables()
    with pytest.raises(ImportFormatError, match="unsafe path"):
        import_csv(path, now=now)
    assert dump_tables() == before


def test_a_zip_entry_over_the_size_cap_is_refused(db, now, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("crm.importing.decoding.MAX_ENTRY_BYTES", 1000)
    path = tmp_path / "big.zip"
    rows = "".join(f"p{i}@example.com,Person {i}\n" for i in range(100))  # ~2.5 KB
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("members.csv", HEADER + rows)
    before = dump_tables()
    with pytest.raises(ImportFormatError, match="too large"):
        import_csv(path, now=now)
    assert dump_tables() == before


def test_a_zip_whose_second_csv_has_no_email_column_imports_nothing(db, now, tmp_path) -> None:
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.csv", HEADER + "a@example.com,A\n")
        z.writestr("b.csv", "name,city\nAda,London\n")
    before = dump_tables()
    with pytest.raises(ImportFormatError, match=r"'b\.csv' in two\.zip is not a list of people"):
        import_csv(path, now=now)
    assert dump_tables() == before


def test_a_zip_with_a_readme_only_says_it_holds_no_list_of_people(db, now, tmp_path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "This archive was made by our newsletter tool.\n")
    with pytest.raises(ImportFormatError) as info:
        import_csv(path, now=now)
    message = info.value.user_message
    assert message.startswith("'readme.txt' in export.zip is not a list of people")
    assert "import window" not in message


def test_excel_s_csv_utf8_zipped_imports(db, now, tmp_path) -> None:
    path = tmp_path / "excel.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.write(MESSY / "utf8_bom_mailchimp.csv", "utf8_bom_mailchimp.csv")
    assert preview_csv(path).encoding == "UTF-8"
    report = import_csv(path, now=now)
    assert report.encoding == "UTF-8" and report.created > 0 and report.rejected == 0


@pytest.mark.parametrize(
    ("codec", "name"), [("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE")]
)
def test_a_zipped_utf16_file_imports(db, now, tmp_path, codec, name) -> None:
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    path = tmp_path / "contacts.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("contacts.csv", bom + (HEADER + "zoe@example.com,Zoë\n").encode(codec))
    report = import_csv(path, now=now)
    assert (report.encoding, report.created, report.warnings) == (name, 1, 0)
    assert lead("zoe@example.com").first_name == "Zoë"


def test_a_nul_byte_in_a_zipped_bom_file_names_its_line(db, now, tmp_path) -> None:
    rows = "".join(f"member{i}@example.com,Ann\n" for i in range(600))
    raw = codecs.BOM_UTF8 + (HEADER + rows).encode() + b"zero@example.com,A\x00nn\n"
    path = tmp_path / "x.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x.csv", raw)
    with pytest.raises(ImportFormatError, match="NUL byte on line 602"):
        import_csv(path, now=now)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
@pytest.mark.parametrize("read", ["import", "preview"])
def test_a_named_pipe_is_refused_without_waiting_on_it(db, now, tmp_path, read) -> None:
    fifo = tmp_path / "list.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            import_csv(fifo, now=now) if read == "import" else preview_csv(fifo)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)
        else:
            outcome.append(None)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=5)
    if worker.is_alive():  # blocked opening the pipe: give it an end of file to finish
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=5)
        pytest.fail("the import waited on a named pipe")
    assert len(outcome) == 1 and isinstance(outcome[0], ImportFormatError)
    assert "is not a regular file" in outcome[0].user_message
    assert _batches() == 0


def test_a_zip_of_hundreds_of_csvs_imports_them_all(db, now, tmp_path) -> None:
    # an account export: a file per campaign, years of them
    path = tmp_path / "account.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for i in range(300):
            z.writestr(f"campaigns/{i:03}.csv", HEADER + f"p{i}@example.com,Person {i}\n")
    report = import_csv(path, now=now)
    assert (report.created, report.rejected) == (300, 0)
    assert lead("p299@example.com").first_name == "Person 299"


def test_a_zip_whose_csvs_add_up_over_the_total_cap_is_refused(
    db, now, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr("crm.importing.decoding.MAX_ZIP_BYTES", 1000)
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for i in range(10):
            rows = "".join(f"p{i}.{j}@example.com,P\n" for j in range(10))  # ~200 bytes
            z.writestr(f"{i}.csv", HEADER + rows)
    before = dump_tables()
    with pytest.raises(ImportFormatError, match="too large to import at once"):
        import_csv(path, now=now)
    assert dump_tables() == before
