"""Generic files: German, French and Spanish headers, Excel's habits, day/month order."""

from __future__ import annotations

from crm.importing import ImportOptions, import_csv, preview_csv
from crm.importing.mapping import Target, generic_mapping
from tests.crm.importing.conftest import DATA, MESSY, lead, run, timeline


def test_german_excel_file_with_sep_line_and_cp1252(db, now) -> None:
    preview = preview_csv(DATA / "generic_de_excel.csv")
    assert (preview.encoding, preview.delimiter) == ("Windows-1252", ";")
    assert preview.platform == "generic" and preview.heuristic  # the mapping is confirmed
    assert preview.header[0] == "E-Mail"  # the sep= line is not the header
    targets = [c.target for c in preview.mapping]
    assert targets[:5] == [
        Target.EMAIL,
        Target.FIRST_NAME,
        Target.LAST_NAME,
        Target.COMPANY,
        Target.CONSENT_AT,
    ]
    report = run("generic_de_excel.csv", now)
    assert report.warnings == 1  # read as Windows-1252
    juergen = lead("juergen.mueller@example.de")
    assert (juergen.first_name, juergen.company) == ("Jürgen", "Müller & Söhne")
    assert juergen.custom["PLZ"] == "04109"
    assert lead("anna.schmidt@example.de").notes == "Kundin seit 2019"
    assert juergen.status == "none"  # a generic file claims no consent


def test_french_utf16_tab_text_file(db, now) -> None:
    preview = preview_csv(DATA / "generic_fr.txt")
    assert (preview.encoding, preview.delimiter) == ("UTF-16 LE", "\t")
    run("generic_fr.txt", now)
    helene = lead("helene@example.fr")
    assert (helene.first_name, helene.last_name, helene.company) == (
        "Hélène",
        "Garçon",
        "Café de la Gare",
    )
    assert helene.phone == "+33 6 12 34 56 78"


def test_a_day_above_12_decides_the_column_order(db, now) -> None:
    preview = preview_csv(DATA / "generic_fr.txt")
    consent = next(c for c in preview.mapping if c.target is Target.CONSENT_AT)
    assert consent.parse == "dmy" and preview.ambiguous_dates == ()


def test_ambiguous_dates_are_asked_and_the_answer_is_used(db, now) -> None:
    preview = preview_csv(DATA / "generic_us_dates.csv")
    assert preview.ambiguous_dates == (2,)
    mapping = tuple(
        c.retarget(Target.STATUS, "") if c.header == "notes" else c for c in preview.mapping
    )
    options = ImportOptions(mapping=mapping, date_orders=((2, "mdy"),))
    report = import_csv(DATA / "generic_us_dates.csv", options, now=now)
    assert report.warnings == 0
    amy = lead("a@example.com")
    assert (amy.first_name, amy.last_name) == ("Amy", "Adams")
    assert amy.custom["signup date"] == "03/04/2023"


def test_spanish_headers_and_pipe_tags(db, now) -> None:
    report = run("generic_es.csv", now)
    ines = lead("ines@example.es")
    assert (ines.first_name, ines.last_name, ines.company) == ("Inés", "Núñez", "Panadería Ñ")
    assert ines.tags == ("clientes", "vip")
    # Left ambiguous and not answered: the date is left out, with a warning.
    assert any("day/month" in w for w in report.warning_texts)
    assert not [i for i in timeline(ines.email) if i.kind == "commitment"]


def test_shared_semicolon_excel_file(db, now) -> None:
    report = run(MESSY / "semicolon_excel_de.csv", now)
    assert report.rejected == 0 and report.delimiter == ";"
    assert lead("li.lei@example.net").company == "Kōhī Roasters; Ōsaka"


def test_a_deciding_date_far_below_the_preview_rows_is_found(
    db, now, tmp_path, monkeypatch
) -> None:
    from crm.importing import reading
    from tests.crm.importing.conftest import write

    monkeypatch.setattr(reading, "SAMPLE_ROWS", 2)
    rows = [f"p{i}@example.com,Yes,01/02/2023" for i in range(5)] + ["z@example.com,Yes,13/02/2023"]
    path = write(tmp_path, "d.csv", "email,status,signup date\n" + "\n".join(rows) + "\n")
    preview = preview_csv(path)
    assert preview.ambiguous_dates == ()
    assert next(c for c in preview.mapping if c.target is Target.CONSENT_AT).parse == "dmy"
    report = import_csv(path, now=now)
    assert report.warnings == 0
    yes = [str(i.at) for i in timeline("p0@example.com") if i.kind == "commitment"]
    assert yes == ["2023-02-01 00:00:00"]  # 1 February: day first


def test_the_file_name_never_decides_the_platform(db, now, tmp_path) -> None:
    from tests.crm.importing.conftest import write

    path = write(
        tmp_path, "subscribed_members_export_3f2a1b0c9d.csv", "email,name\na@example.com,A\n"
    )
    assert preview_csv(path).platform == "generic"


def test_a_name_column_beside_a_last_name_column_is_the_first_name() -> None:
    # MailerLite's fields (and many forms'): Name, Last name
    beside = generic_mapping(["Email", "Name", "Last name"], [["a@example.com", "Ada", "Lovelace"]])
    assert [c.target for c in beside] == [Target.EMAIL, Target.FIRST_NAME, Target.LAST_NAME]
    # alone, a name is the whole name, split on import
    alone = generic_mapping(["Email", "Name"], [["a@example.com", "Ada Lovelace"]])
    assert [c.target for c in alone] == [Target.EMAIL, Target.FULL_NAME]
