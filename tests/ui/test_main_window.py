"""The main window: pages, menus, the empty state, demo data, start-up and its errors."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLabel

import ui.app
from crm.book.leads import add_lead, delete_lead
from crm.changes import LEAD_TABLES, Change
from crm.store.db import close_database, open_database
from ui import errors
from ui.main_window import MainWindow
from ui.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_pages_are_built_lazily_and_reachable_by_shortcut(window):
    built = []

    def factory():
        built.append(1)
        return QLabel("Scratch page")

    action = window.add_page("scratch", "Scratch", factory, "Ctrl+9")
    assert not built
    assert action.shortcut() == QKeySequence("Ctrl+9")
    assert "Scratch" in [a.text() for a in window.view_menu.actions()]
    action.trigger()
    page = window.page("scratch")
    assert built == [1] and window.stack.currentWidget() is page
    window.show_page("leads")
    window.show_page("scratch")
    assert built == [1]
    assert window.current_page_key() == "scratch"
    with pytest.raises(ValueError):
        window.add_page("scratch", "Again", factory)


def test_menus_show_their_shortcuts(window):
    assert window.add_action.shortcut() == QKeySequence("Ctrl+N")
    assert window.log_yes_action.shortcut() == QKeySequence("Ctrl+L")
    assert window.delete_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Delete)
    assert window.import_action.shortcut() == QKeySequence("Ctrl+I")
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Help"]
    # Every page in View has its shortcut, numbered as the sidebar lists them.
    pages = [a for a in window.view_menu.actions() if not a.isSeparator()]
    assert [a.text() for a in pages] == [
        "Leads",
        "Today",
        "Funnel",
        "Imports",
        "Changes",
        "Campaigns",
    ]
    assert [a.shortcut().toString() for a in pages] == [f"Ctrl+{n}" for n in range(1, 7)]
    assert window.sidebar.item(3).toolTip() == "Imports (Ctrl+4)"
    assert window.sidebar.item(4).toolTip() == "Changes (Ctrl+5)"
    assert window.sidebar.item(5).toolTip() == "Campaigns (Ctrl+6)"


def test_import_is_disabled_until_a_handler_is_set(db, db_path, qtbot):
    # Built the way the app builds it: the import arrives with the deferred extensions.
    window = MainWindow(db_path, settings=Settings(), defer_extensions=True)
    qtbot.addWidget(window)
    page = window.leads_page
    assert not window.import_action.isEnabled()
    assert window.import_action.toolTip()
    assert not page.empty.import_button.isEnabled()
    calls = []
    window.set_import_handler(lambda path: calls.append(path or 1))
    window.import_action.trigger()
    page.empty.import_button.click()
    assert calls == [1, 1]
    window.close()


def test_other_pages_install_after_the_lead_list_paints(people, db_path, qtbot):
    window = MainWindow(db_path, settings=Settings(), defer_extensions=True)
    qtbot.addWidget(window)
    painted = []
    window.leads_page.sig_first_rows_painted.connect(
        lambda: painted.append(window.extensions_installed)
    )
    assert not window.extensions_installed
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == ["Leads"]
    with qtbot.waitSignal(window.sig_extensions_installed, timeout=10_000):
        window.show()
    assert painted == [False]
    assert window.sidebar.count() > 1
    window.close()


def test_empty_database_offers_demo_data(window, qtbot):
    page = window.leads_page
    assert page._stack.currentWidget() is page.empty
    assert window.count_label.text() == "0 leads"
    with qtbot.waitSignal(window.events.changed, timeout=20_000):
        page.empty.demo_button.click()
        assert not page.empty.busy.isHidden()
    assert page.empty.busy.isHidden()
    assert page._stack.currentWidget() is not page.empty
    assert page.model.rowCount() > 0
    assert window.count_label.text() == "400 leads"
    assert page.filter_bar.source.count() > 2  # the demo's sources are offered


def test_demo_is_offered_only_for_an_empty_database(db, now, window, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(errors, "show_message", lambda _p, _t, text, **_k: shown.append(text))
    assert window.demo_action.isEnabled()
    lead = add_lead("a@example.com", now=now)
    window.events.publish(Change(LEAD_TABLES, None))
    assert not window.demo_action.isEnabled()
    assert "empty database" in window.demo_action.statusTip()
    window.demo_action.trigger()
    assert not window.leads_page.runner.busy and shown == []
    assert window.statusBar().currentMessage() == ""
    delete_lead(lead.id)
    window.events.publish(Change(LEAD_TABLES, None))
    assert window.demo_action.isEnabled()


def test_crash_dialog_says_where_the_log_is(monkeypatch, tmp_path, qapp):
    shown = []
    monkeypatch.setattr(errors, "show_message", lambda _p, title, text, **_k: shown.append(text))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    errors.install_excepthook(tmp_path / "smallyes.log")
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        errors.excepthook(type(exc), exc, exc.__traceback__)
    assert len(shown) == 1
    assert str(tmp_path / "smallyes.log") in shown[0]
    assert "Your data is safe" in shown[0]


def _run_main(monkeypatch, db_arg: str) -> tuple[int, list[str]]:
    shown: list[str] = []
    monkeypatch.setattr(ui.app, "configure_logging", lambda: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(
        ui.app.QMessageBox, "critical", staticmethod(lambda _p, _t, text: shown.append(text))
    )
    return ui.app.main(["--db", db_arg]), shown


def test_too_new_database_is_refused_with_a_message(db_path, tmp_path, monkeypatch, qapp):
    copy = tmp_path / "newer.db"
    shutil.copyfile(db_path, copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE schema_version SET version = 999")
    code, shown = _run_main(monkeypatch, str(copy))
    assert code == 1
    assert len(shown) == 1 and "newer version of Smallyes" in shown[0]
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchone() == (999,)


def test_unwritable_database_folder_is_refused_with_a_message(tmp_path, monkeypatch, qapp):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, shown = _run_main(monkeypatch, str(blocker / "smallyes.db"))
    assert code == 1
    assert len(shown) == 1 and str(blocker) in shown[0]


def test_exit_after_show_prints_the_start_up_time(db_path, now):
    db = open_database(db_path)
    add_lead("a@example.com", first_name="Ann", now=now)
    close_database(db)
    result = subprocess.run(
        [sys.executable, "-m", "ui", "--db", str(db_path), "--exit-after-show"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(r"shown_after_s=(\d+\.\d+)\nready_after_s=(\d+\.\d+)\n", result.stdout)
    assert match, result.stdout
    shown, ready = float(match.group(1)), float(match.group(2))
    assert 0 < shown <= ready < 30


def test_building_the_window_does_not_import_matplotlib(db_path):
    script = textwrap.dedent(
        f"""
        import sys
        from PySide6.QtWidgets import QApplication
        from crm.store.db import open_database
        from ui.main_window import MainWindow
        app = QApplication([])
        open_database({str(db_path)!r})
        window = MainWindow({str(db_path)!r})
        window.show()
        app.processEvents()
        print(sorted(m for m in sys.modules if m.split(".")[0] == "matplotlib"))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_style_follows_the_system_color_scheme_live(qapp):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPalette

    from ui.style import SHEETS, setup_style

    def window_lightness() -> int:
        return qapp.palette().color(QPalette.ColorRole.Window).lightness()

    setup_style(qapp)
    # Colours come from the palette only: no hex or rgb() literals.
    for sheet in SHEETS.values():
        assert not re.search(r":[^;{]*(#[0-9a-fA-F]{3}|rgb)", sheet), sheet
    hints = QApplication.styleHints()
    try:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert window_lightness() < 80
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert window_lightness() > 180
    finally:
        hints.colorSchemeChanged.disconnect()


def test_app_icon_renders(qapp):
    from ui.style import app_icon

    icon = app_icon()
    assert not icon.isNull()
    image = icon.pixmap(64, 64).toImage()
    # The icon carries its own plate, so it reads on light and dark panels alike.
    assert image.pixelColor(32, 32).alpha() == 255


def test_garbage_is_collected_on_the_gui_thread(qapp):
    import gc

    from crm.jobs import collect_due
    from ui.collector import GuiThreadCollector

    was_enabled = gc.isenabled()
    try:
        collector = GuiThreadCollector(qapp)
        assert not gc.isenabled()  # a worker thread never runs the collector
        threshold = gc.get_threshold()[0]
        junk = []
        for _ in range(threshold + 10):  # cycles past the young generation's threshold
            a: list = []
            a.append(a)
            junk.append(a)
        del junk, a
        assert collect_due() is not None
        collector.deleteLater()
    finally:
        if was_enabled:
            gc.enable()


def test_the_smallyes_command_starts_with_the_cycle_collector_off(monkeypatch):
    import gc

    import ui.__main__ as entry

    seen: list[bool] = []
    monkeypatch.setattr(ui.app, "main", lambda: seen.append(gc.isenabled()) or 0)
    gc.enable()  # as in a fresh interpreter
    try:
        assert entry.run() == 0
    finally:
        gc.disable()  # as this folder's fixture leaves it
    assert seen == [False]


def test_pages_add_menu_items_to_their_section_in_order(window):
    from PySide6.QtGui import QAction

    from ui.pages import MenuPlace

    first, second = QAction("First", window), QAction("Second", window)
    lead = QAction("About this lead", window)
    window.add_menu_actions(MenuPlace.FILE_DATA, [first])
    window.add_menu_actions(MenuPlace.FILE_DATA, [second])
    window.add_menu_actions(MenuPlace.EDIT_LEAD, [lead])
    file_menu, edit_menu = (a.menu() for a in window.menuBar().actions()[:2])
    texts = [a.text() for a in file_menu.actions() if not a.isSeparator()]
    assert texts[-3:] == ["First", "Second", "&Quit"]
    edit = [a.text() for a in edit_menu.actions() if not a.isSeparator()]
    # A lead's commands come before the book's settings, which close the menu.
    assert edit[-3:] == ["About this lead", "Ladder && &offers…", "&Pacing…"]
    assert edit.index("&Find…") < edit.index("About this lead")


def test_a_dropped_file_goes_to_the_import_handler(window):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    got = []
    window.set_import_handler(got.append)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile("/tmp/list.csv")])
    drop = QDropEvent(
        QPointF(5, 5),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(drop)
    assert got == [Path("/tmp/list.csv")]
