"""The import window: drag and drop, editing the mapping, running, undoing, history."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from crm.book.leads import count_leads, find_lead
from crm.errors import NotFoundError
from crm.importing.mapping import Target
from crm.importing.undo import list_imports
from ui import import_wizard
from ui.import_wizard import IMPORTS_PAGE, ImportHistoryPage, ImportWizard

DATA = Path(__file__).resolve().parents[1] / "data" / "csv"


def _drop_events(path: Path) -> tuple[QDragEnterEvent, QDropEvent]:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    # Qt declares the enter event with an integer point and the drop with a float one.
    enter = QDragEnterEvent(QPoint(10, 10), actions, mime, buttons, mods)
    drop = QDropEvent(QPointF(10, 10), actions, mime, buttons, mods)
    # Keep the mime data alive as long as the events.
    enter._mime = drop._mime = mime  # type: ignore[attr-defined]
    return enter, drop


def _settle(qtbot, window) -> None:
    """Let the window's other pages finish their first background load before it closes."""
    today = getattr(window, "today_page", None)
    if today is not None and hasattr(today, "count"):
        qtbot.waitUntil(lambda: today.count is not None, timeout=5000)


def _run(qtbot, wizard: ImportWizard, button) -> None:
    with qtbot.waitSignal(wizard._runner.sig_finished, timeout=10_000):
        button.click()


def test_dropping_a_file_on_the_window_opens_the_wizard_with_it(qtbot, window) -> None:
    path = DATA / "ghost_members.csv"
    enter, drop = _drop_events(path)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    window.dropEvent(drop)
    wizard = window.imports.wizard
    qtbot.addWidget(wizard)
    assert wizard.isVisible() and wizard.path == path
    assert wizard.stack.currentIndex() == ImportWizard.PAGE_MAP
    assert "Ghost" in wizard.detected_label.text() and "UTF-8" in wizard.detected_label.text()
    assert wizard.rows_table.item(0, 1).text() == "renee60@example.com"
    _settle(qtbot, window)


def test_the_menu_action_and_empty_state_button_are_enabled(qtbot, window) -> None:
    assert window.import_action.isEnabled()
    assert window.leads_page.empty.import_button.isEnabled()
    _settle(qtbot, window)


def test_an_unreadable_file_says_why_and_stays_on_the_first_page(qtbot, db, tmp_path) -> None:
    wizard = ImportWizard()
    qtbot.addWidget(wizard)
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert not wizard.open_file(path)
    assert "PNG image" in wizard.file_error.text()
    assert wizard.stack.currentIndex() == ImportWizard.PAGE_FILE


def test_a_refused_file_is_shown_as_an_error_and_cleared_by_a_good_one(qtbot, db) -> None:
    wizard = ImportWizard()
    qtbot.addWidget(wizard)
    wizard.show()
    assert not wizard.file_error.isVisible()  # no empty red band before any file
    assert not wizard.open_file(DATA / "does-not-exist.csv")
    assert wizard.file_error.isVisible() and wizard.file_error.objectName() == "inlineError"
    assert wizard.open_file(DATA / "mailchimp_subscribed.csv")
    wizard.stack.setCurrentIndex(ImportWizard.PAGE_FILE)  # "Choose another file"
    assert not wizard.file_error.isVisible() and wizard.file_error.text() == ""


def test_editing_the_mapping_changes_what_is_imported(qtbot, db, clock) -> None:
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    assert wizard.open_file(DATA / "generic_es.csv")
    assert "check where each column goes" in wizard.confirm_label.text()
    headers = [c.header for c in wizard.preview.mapping]
    company = wizard.target_combos[headers.index("Empresa")]
    company.setCurrentIndex(company.findData(Target.CUSTOM.value))
    wizard.custom_edits[headers.index("Empresa")].setText("Bakery")
    last = wizard.target_combos[headers.index("Apellido")]
    last.setCurrentIndex(last.findData(Target.IGNORE.value))
    wizard.date_combos[4].setCurrentIndex(wizard.date_combos[4].findData("dmy"))
    wizard.tag_edit.setText("Feria 2026")

    _run(qtbot, wizard, wizard.dry_button)
    assert "2 new" in wizard.dry_label.text() and count_leads() == 0
    wizard.policy_combo.setCurrentIndex(wizard.policy_combo.findData("overwrite"))
    assert "check again" in wizard.dry_label.text()  # old counts are not left standing

    _run(qtbot, wizard, wizard.import_button)
    assert wizard.stack.currentIndex() == ImportWizard.PAGE_SUMMARY
    ines = find_lead("ines@example.es")
    assert (ines.company, ines.last_name) == ("", "")
    assert ines.custom["Bakery"] == "Panadería Ñ"
    assert "Feria 2026" in ines.tags
    assert wizard.report.warnings == 0  # the date order was answered


def test_summary_lists_rejected_rows_saves_them_and_undoes(
    qtbot, db, clock, tmp_path, monkeypatch
) -> None:
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.open_file(DATA / "mailchimp_subscribed.csv")
    _run(qtbot, wizard, wizard.import_button)
    assert "5 new" in wizard.summary_label.text()
    assert wizard.errors_table.rowCount() == 1
    assert wizard.errors_table.item(0, 0).text() == "5"
    assert "no @" in wizard.errors_table.item(0, 1).text()

    out = tmp_path / "rejected.csv"
    monkeypatch.setattr(import_wizard, "choose_save_path", lambda _p, _s: out)
    wizard.save_errors_button.click()
    assert "not-an-address" in out.read_text(encoding="utf-8-sig")

    asked: list[str] = []
    monkeypatch.setattr(import_wizard, "confirm_undo", lambda _p, text: asked.append(text) or True)
    with qtbot.waitSignal(wizard.sig_undone, timeout=10_000):
        wizard.undo_button.click()
    assert asked and "5 new leads" in asked[0]
    assert count_leads() == 0
    with pytest.raises(NotFoundError):
        find_lead("lena.hoffmann@example.org")
    assert "Undid import" in wizard.summary_label.text()
    assert not wizard.undo_button.isEnabled()


def test_cancel_keeps_nothing(qtbot, db, clock, monkeypatch) -> None:
    real_import = import_wizard.import_csv

    def import_after_cancel(path, options, *, now, progress, cancel):
        # A small file imports in milliseconds: hold the job until Cancel is pressed, so
        # the test sees the cancel path every time rather than racing the import.
        deadline = time.monotonic() + 10
        while not cancel.cancelled and time.monotonic() < deadline:
            time.sleep(0.005)
        return real_import(path, options, now=now, progress=progress, cancel=cancel)

    monkeypatch.setattr(import_wizard, "import_csv", import_after_cancel)
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.open_file(DATA / "ghost_members.csv")
    with qtbot.waitSignal(wizard._runner.sig_cancelled, timeout=10_000):
        wizard.import_button.click()
        assert wizard.stack.currentIndex() == ImportWizard.PAGE_RUN
        wizard.cancel_button.click()  # the job checks before it commits: nothing is kept
    assert count_leads() == 0 and list_imports() == []
    assert "Cancelled" in wizard.dry_label.text()


def test_import_from_the_window_refreshes_pages_and_history_undo(
    qtbot, window, monkeypatch
) -> None:
    wizard = window.imports.open(DATA / "kit_subscribers.csv")
    qtbot.addWidget(wizard)
    with qtbot.waitSignal(window.events.changed, timeout=10_000):
        wizard.import_button.click()
    page = window.show_page(IMPORTS_PAGE)
    assert isinstance(page, ImportHistoryPage)
    assert page.table.rowCount() == 1 and page.table.item(0, 1).text() == "kit_subscribers.csv"
    page.table.selectRow(0)
    monkeypatch.setattr(import_wizard, "confirm_undo", lambda _p, _t: True)
    with qtbot.waitSignal(window.events.changed, timeout=10_000):
        page.undo_button.click()
    assert page.table.item(0, 7).text() == "Undone"
    assert count_leads() == 0
    _settle(qtbot, window)


def test_history_says_what_to_do_before_the_first_import(qtbot, db, clock) -> None:
    opened: list[bool] = []
    page = ImportHistoryPage(lambda: opened.append(True), clock=clock)
    qtbot.addWidget(page)
    page.show()
    assert page.empty.isVisible() and not page.table.isVisible()
    assert page.empty_title.text() == "No imports yet"
    assert "Import CSV" in page.empty_text.text()
    # One button, in the empty state, opens the import; none that could do nothing.
    assert not page.undo_button.isVisible() and not page.import_button.isVisible()
    page.empty_import_button.click()
    assert opened == [True]


def test_the_file_dialog_starts_in_the_last_import_folder(qtbot, tmp_path, monkeypatch) -> None:
    seen: list[str] = []

    def fake_dialog(_parent, _title, folder, _filter):
        seen.append(folder)
        return str(tmp_path / "list.csv"), ""

    monkeypatch.setattr(import_wizard.QFileDialog, "getOpenFileName", fake_dialog)
    assert import_wizard.choose_file(None) == tmp_path / "list.csv"
    assert import_wizard.choose_file(None) == tmp_path / "list.csv"
    assert seen[1] == str(tmp_path)


def test_a_generic_file_without_a_status_asks_whether_they_opted_in(qtbot, db, now) -> None:
    wizard = ImportWizard(clock=lambda: now)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.open_file(DATA / "mailchimp_subscribed.csv")
    assert not wizard.consent_combo.isVisible()  # the file says it: subscribed
    assert wizard.open_file(DATA / "generic_es.csv")
    assert wizard.consent_combo.isVisible()
    assert wizard.consent_combo.currentData() is False  # never assumed
    headers = [c.header for c in wizard.preview.mapping]
    tags = wizard.target_combos[headers.index("Etiquetas")]
    tags.setCurrentIndex(tags.findData(Target.STATUS.value))
    assert not wizard.consent_combo.isVisible()  # now a column says it
    tags.setCurrentIndex(tags.findData(Target.TAGS.value))
    assert wizard.consent_combo.isVisible()
    wizard.consent_combo.setCurrentIndex(wizard.consent_combo.findData(True))
    wizard.date_combos[4].setCurrentIndex(wizard.date_combos[4].findData("dmy"))
    _run(qtbot, wizard, wizard.import_button)
    assert wizard.report is not None and wizard.report.statuses == {"subscribed": 2}
    assert find_lead("ines@example.es").status == "subscribed"


def test_a_file_with_a_header_and_no_rows_says_nothing_was_imported(qtbot, db, tmp_path) -> None:
    path = tmp_path / "members.csv"
    path.write_text("Email Address,First Name\n", encoding="utf-8")
    wizard = ImportWizard()
    qtbot.addWidget(wizard)
    assert wizard.open_file(path)
    _run(qtbot, wizard, wizard.import_button)
    assert wizard.stack.currentIndex() == ImportWizard.PAGE_SUMMARY
    text = wizard.summary_label.text()
    assert text.startswith("members.csv has column names but no rows of people")
    assert "Imported" not in text and "none was rejected" not in text
    assert not wizard.undo_button.isEnabled()
    assert list_imports() == [] and count_leads() == 0


def test_an_unanswered_date_order_is_asked_before_importing(qtbot, db, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(import_wizard, "show_error", lambda _parent, text: shown.append(text))
    wizard = ImportWizard()
    qtbot.addWidget(wizard)
    assert wizard.open_file(DATA / "generic_us_dates.csv")
    order = wizard.date_combos[2]
    assert order.currentData() == ""  # "Ask: which order?"
    wizard.import_button.click()
    assert shown == [
        "Choose whether the dates in 'signup date' put the day or the month first before "
        "importing: they can be read either way."
    ]
    assert wizard.stack.currentIndex() == ImportWizard.PAGE_MAP and count_leads() == 0
    # Not a date any more: nothing to ask.
    column = wizard.target_combos[2]
    column.setCurrentIndex(column.findData(Target.IGNORE.value))
    _run(qtbot, wizard, wizard.import_button)
    assert count_leads() == 2 and len(shown) == 1


def test_progress_never_promises_under_a_second_while_rows_are_written(qtbot, db) -> None:
    import time

    wizard = ImportWizard()
    qtbot.addWidget(wizard)
    wizard._started = time.monotonic() - 2.0
    wizard._on_runner_progress(10_000, 100_000)  # 5,000 rows a second, 90,000 to go
    assert wizard.speed_label.text().endswith("· about 18 s left")
    assert wizard.progress_bar.maximum() == 1000 and wizard.progress_bar.value() == 100
    # The file is read; the engine writes the rows and reports (rows, rows + 1).
    wizard._on_runner_progress(100_000, 100_001)
    assert wizard.speed_label.text().endswith("· finishing…")
    assert "under a second" not in wizard.speed_label.text()
    assert wizard.progress_bar.maximum() == 0  # busy, not stuck at 99%


def test_an_activity_export_needs_no_mapping_and_adds_dated_yeses(qtbot, db, clock, now) -> None:
    from crm.book.leads import add_lead
    from crm.book.timeline import get_timeline

    jose = add_lead("jose.nunez@example.com", first_name="José", now=now)
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    assert wizard.open_file(DATA.parent / "activity" / "generic" / "click-log.csv")
    assert "activity" in wizard.detected_label.text()
    assert not wizard.mapping_box.isVisibleTo(wizard)  # nothing to map
    _run(qtbot, wizard, wizard.dry_button)
    assert wizard.dry_label.text().startswith("Dry run: ") and "Nothing was written" in (
        wizard.dry_label.text()
    )
    assert [i for i in get_timeline(jose.id) if i.kind == "commitment"] == []
    _run(qtbot, wizard, wizard.import_button)
    assert wizard.stack.currentIndex() == ImportWizard.PAGE_SUMMARY
    assert "(activity)" in wizard.summary_label.text()
    assert any(i.kind == "commitment" for i in get_timeline(jose.id))
    assert wizard.undo_button.isEnabled()
    # A subscriber export afterwards shows its mapping again.
    assert wizard.open_file(DATA / "mailchimp_subscribed.csv")
    assert wizard.mapping_box.isVisibleTo(wizard) and wizard.activity is None


def test_an_activity_export_is_named_in_words_and_its_yeses_say_where_from(
    qtbot, db, clock, now
) -> None:
    from crm.book.timeline import get_timeline
    from crm.importing import ImportOptions, import_csv
    from ui.leads.timeline_view import detail_line

    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    activity = DATA.parent / "activity"
    assert wizard.open_file(activity / "mail" / "inbox.mbox")
    assert wizard.detected_label.text() == "inbox.mbox: activity from Mailbox"
    events = activity / "buttondown" / "buttondown-events-export.csv"
    assert wizard.open_file(events)
    assert wizard.detected_label.text() == f"{events.name}: activity from Buttondown"

    forms = activity / "forms" / "Topic survey (Responses) - Form Responses 1.csv"
    import_csv(forms, ImportOptions(), now=now)
    [batch] = list_imports()
    assert batch.platform_label == "Google Forms"
    lead = find_lead(_answered_emails()[0])
    [yes] = [i for i in get_timeline(lead.id) if i.kind == "commitment"]
    assert detail_line(yes, now).endswith(" · via Google Forms")


def _answered_emails() -> list[str]:
    from crm.store.models import database_proxy

    rows = database_proxy.execute_sql(
        "SELECT l.email FROM lead l JOIN commitment c ON c.lead_id = l.id ORDER BY l.id"
    ).fetchall()
    return [r[0] for r in rows]
