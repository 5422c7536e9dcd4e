"""The data-safety actions in the window, with every modal opener replaced."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path

import pytest

import ui.safety.actions as safety_mod
import ui.safety.dialogs as dialogs_mod
from crm.book.leads import LeadQuery, count_leads, list_leads
from crm.changes import LEAD_TABLES, Change
from crm.errors import OperationCancelled
from crm.safety.backup import backup_now, list_backups
from crm.store.db import close_database, open_database
from crm.store.lock import acquire_instance_lock
from tests.crm.safety_helpers import add_people, damage, lead_count, wreck
from ui import errors
from ui.safety.dialogs import (
    CHOOSE_FILE,
    QUIT,
    RESTORE,
    ExportChoice,
    ExportDialog,
    ForgetChoice,
    RestoreDialog,
)
from ui.safety.instance import InstanceServer
from ui.safety.startup import install_known_problem_hook, settle_health_check, startup_checks


@pytest.fixture
def shown(monkeypatch) -> list[str]:
    messages: list[str] = []
    monkeypatch.setattr(errors, "show_message", lambda _p, _t, text, **_k: messages.append(text))
    return messages


def _run(qtbot, safety, action) -> None:
    with qtbot.waitSignal(safety.sig_job_done, timeout=10_000):
        action.trigger()


def _select(window, lead_id: int) -> None:
    assert window.leads_page.select_lead(lead_id)
    window.leads_page.detail.show_lead(lead_id)


def test_the_actions_are_in_the_menus_and_follow_the_selection(window, safety, people):
    file_texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    for text in ("&Back up now…", "&Restore from backup…", "&Export leads…"):
        assert text in file_texts
    assert file_texts[-1] == "&Quit"
    assert not safety.forget_action.isEnabled()
    _select(window, people["ada"].id)
    safety.update_actions()
    assert safety.forget_action.isEnabled() and safety.export_lead_action.isEnabled()
    more = window.leads_page.detail._more
    assert more is not None and safety.forget_action in more.menu().actions()


def test_back_up_now_writes_the_chosen_file(qtbot, safety, monkeypatch, tmp_path):
    target = tmp_path / "mine.db"
    monkeypatch.setattr(dialogs_mod, "choose_save_path", lambda *_a: target)
    statuses: list[str] = []
    safety.sig_status.connect(statuses.append)
    _run(qtbot, safety, safety.backup_action)
    assert lead_count(target) == 5
    assert statuses == [f"Backed up to {target}"]
    assert target.stat().st_mode & 0o077 == 0


def test_export_what_the_list_shows_for_excel(qtbot, window, safety, monkeypatch, tmp_path):
    window.leads_page.show_query(LeadQuery(tag="vip"))
    target = tmp_path / "vip.csv"
    asked: list[tuple[int, int]] = []

    def options(_parent, shown_count, total):
        asked.append((shown_count, total))
        return ExportChoice(only_shown=True, excel=True)

    monkeypatch.setattr(dialogs_mod, "ask_export_options", options)
    monkeypatch.setattr(dialogs_mod, "choose_save_path", lambda *_a: target)
    _run(qtbot, safety, safety.export_action)

    assert asked == [(2, 5)]
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(target, encoding="utf-8-sig", newline="") as handle:
        emails = sorted(r[0] for r in list(csv.reader(handle))[1:])
    assert emails == ["ada@example.com", "dan@example.net"]


def test_restore_swaps_the_file_and_reloads(qtbot, window, safety, monkeypatch, now, db_path):
    copy = backup_now(db_path.parent / "copy.db", now=now)
    add_people(3, now)
    window.events.publish(Change(LEAD_TABLES, None))
    assert window.leads_page.total == 8
    monkeypatch.setattr(dialogs_mod, "choose_restore_source", lambda _p, _b: copy)
    monkeypatch.setattr(dialogs_mod, "confirm", lambda *_a: True)

    with qtbot.waitSignal(window.events.changed):
        _run(qtbot, safety, safety.restore_action)

    assert count_leads() == 5 and window.leads_page.total == 5
    kept = [b for b in list_backups(db_path) if b.reason == "before-restore"]
    assert len(kept) == 1 and lead_count(kept[0].path) == 8


def test_restore_of_a_wrong_file_says_so_and_keeps_the_data(
    qtbot, safety, monkeypatch, shown, tmp_path, db_path
):
    junk = tmp_path / "junk.db"
    junk.write_text("hello")
    monkeypatch.setattr(dialogs_mod, "choose_restore_source", lambda _p, _b: junk)
    monkeypatch.setattr(dialogs_mod, "confirm", lambda *_a: True)
    _run(qtbot, safety, safety.restore_action)
    assert len(shown) == 1 and "not a Smallyes database" in shown[0]
    assert count_leads() == 5


def test_cancelling_the_restore_question_changes_nothing(safety, monkeypatch, tmp_path):
    monkeypatch.setattr(dialogs_mod, "choose_restore_source", lambda _p, _b: tmp_path / "x.db")
    monkeypatch.setattr(dialogs_mod, "confirm", lambda *_a: False)
    safety.restore_action.trigger()
    assert not safety.runner.busy


def test_forget_this_person(qtbot, window, safety, monkeypatch, people, db_path):
    _select(window, people["ada"].id)
    questions: list[str] = []

    def ask(_parent, lead):
        questions.append(dialogs_mod.forget_question(lead))
        return ForgetChoice(purge_backups=False)

    monkeypatch.setattr(dialogs_mod, "confirm_forget", ask)
    _run(qtbot, safety, safety.forget_action)

    assert questions == ["Forget Ada Lovelace <ada@example.com>? This cannot be undone."]
    assert "ada@example.com" not in [r.email for r in list_leads()]
    assert window.leads_page.total == 4
    assert window.leads_page.detail.lead_id != people["ada"].id
    assert b"ada@example.com" not in db_path.read_bytes()


def test_export_this_leads_data(qtbot, window, safety, monkeypatch, people, tmp_path):
    _select(window, people["ben"].id)
    target = tmp_path / "ben.json"
    monkeypatch.setattr(dialogs_mod, "choose_save_path", lambda *_a: target)
    _run(qtbot, safety, safety.export_lead_action)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["lead"]["email"] == "ben@example.com"
    assert any(item["kind"] == "commitment" for item in data["timeline"])


def test_closing_the_window_cancels_the_job_and_waits(qtbot, window, safety, monkeypatch):
    started, ended = threading.Event(), threading.Event()

    def slow_backup(target, *, now, progress, cancel):
        started.set()
        try:
            for _ in range(500):
                cancel.raise_if_cancelled()
                time.sleep(0.01)
            raise AssertionError("the job was not cancelled")
        finally:
            ended.set()

    monkeypatch.setattr(safety_mod, "backup_now", slow_backup)
    monkeypatch.setattr(dialogs_mod, "choose_save_path", lambda *_a: Path("unused.db"))
    safety.backup_action.trigger()
    assert started.wait(5)

    window.close()

    assert ended.is_set()
    assert not safety.runner.busy
    assert not safety.backup_action.isEnabled()


def test_the_daily_backup_runs_quietly(qtbot, safety, db_path):
    with qtbot.waitSignal(safety.sig_job_done, timeout=10_000):
        safety.start_daily_backup()
    assert [b.reason for b in list_backups(db_path)] == ["daily"]


def test_the_export_dialog_choice(qtbot):
    dialog = ExportDialog(None, shown=2, total=5)
    qtbot.addWidget(dialog)
    assert dialog.choice() == ExportChoice(only_shown=False, excel=False)
    dialog.shown_leads.setChecked(True)
    dialog.excel.setChecked(True)
    assert dialog.choice() == ExportChoice(only_shown=True, excel=True)
    same = ExportDialog(None, shown=5, total=5)
    qtbot.addWidget(same)
    assert not same.shown_leads.isEnabled()


def test_the_restore_dialog_lists_backups_newest_first(qtbot, db, db_path, now, monkeypatch):
    first = backup_now(now=now)
    second = backup_now(now=now.replace(hour=13))
    dialog = RestoreDialog(None, list_backups(db_path))
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 2
    dialog.accept_selected()
    assert dialog.chosen == second
    other = RestoreDialog(None, [])
    qtbot.addWidget(other)
    assert not other.restore_button.isEnabled()
    monkeypatch.setattr(dialogs_mod, "choose_open_path", lambda *_a: first)
    other.other.click()
    assert other.chosen == first


# --- start-up -------------------------------------------------------------------------


def _damaged_with_backup(db_path: Path, now, how=wreck) -> Path:
    database = open_database(db_path)
    add_people(300, now)
    good = backup_now(now=now)
    close_database(database)
    how(db_path)
    return good


def test_an_unreadable_database_is_caught_before_the_window(qapp, db_path, now, monkeypatch):
    good = _damaged_with_backup(db_path, now)
    damaged = db_path.read_bytes()
    questions: list[tuple[str, object]] = []

    def answer(message, newest):
        questions.append((message, newest))
        return RESTORE

    monkeypatch.setattr(dialogs_mod, "ask_damaged_action", answer)
    start = startup_checks(db_path, now=now)
    try:
        assert start.go and start.lock is not None
        assert "damaged" in questions[0][0] and questions[0][1].path == good
        assert lead_count(db_path) == 300
        kept = [b.path for b in list_backups(db_path) if b.reason.endswith("damaged")]
        assert len(kept) == 1 and kept[0].read_bytes() == damaged
    finally:
        start.lock.release()


def test_quitting_at_the_damaged_question_leaves_the_file(qapp, db_path, now, monkeypatch):
    _damaged_with_backup(db_path, now)
    damaged = db_path.read_bytes()
    monkeypatch.setattr(dialogs_mod, "ask_damaged_action", lambda *_a: QUIT)
    assert not startup_checks(db_path, now=now).go
    assert db_path.read_bytes() == damaged
    assert acquire_instance_lock(db_path).held  # the refused start released its lock


def test_a_damaged_database_can_be_restored_from_a_chosen_file(qapp, db_path, now, monkeypatch):
    good = _damaged_with_backup(db_path, now)
    elsewhere = db_path.parent / "elsewhere.db"
    elsewhere.write_bytes(good.read_bytes())
    monkeypatch.setattr(dialogs_mod, "ask_damaged_action", lambda *_a: CHOOSE_FILE)
    monkeypatch.setattr(dialogs_mod, "choose_open_path", lambda *_a: elsewhere)
    start = startup_checks(db_path, now=now)
    start.lock.release()
    assert start.go and lead_count(db_path) == 300


def test_damage_the_probe_misses_is_found_before_the_window_reads(qapp, db_path, now, monkeypatch):
    good = _damaged_with_backup(db_path, now, how=lambda p: damage(p, pages=(8, 12)))
    damaged = db_path.read_bytes()
    start = startup_checks(db_path, now=now)  # the probe passes: the schema is readable
    assert start.go and start.check is not None
    offered: list[object] = []

    def answer(_message, newest):
        offered.append(newest.path)
        return RESTORE

    monkeypatch.setattr(dialogs_mod, "ask_damaged_action", answer)
    db = settle_health_check(start, open_database(db_path), db_path, now=now)
    try:
        assert db is not None and offered == [good]
        assert count_leads() == 300
        kept = [b.path for b in list_backups(db_path) if b.reason.endswith("damaged")]
        assert len(kept) == 1 and kept[0].read_bytes() == damaged
    finally:
        close_database(db)
        start.lock.release()


def _index_page(path: Path, name: str) -> int:
    """The file offset, in pages, of an index's root page (``damage`` counts from 0)."""
    con = sqlite3.connect(path)
    try:
        (root,) = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,))
    finally:
        con.close()
    return int(root[0]) - 1


def _run_app_on_damage(db_path, now, monkeypatch, pages=None):
    import ui.app

    def how(path: Path) -> None:
        damage(path, pages=pages or (_index_page(path, "lead_company"),))

    _damaged_with_backup(db_path, now, how=how)
    damaged = db_path.read_bytes()
    asked: list[str] = []
    closed: list[object] = []
    monkeypatch.setattr(ui.app, "configure_logging", lambda: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(
        dialogs_mod, "ask_damaged_action", lambda message, _newest: asked.append(message) or QUIT
    )
    close_window = ui.app._Session.close_window
    monkeypatch.setattr(
        ui.app._Session, "close_window", lambda self: closed.append(self) or close_window(self)
    )
    assert ui.app.main(["--db", str(db_path)]) == 1
    assert len(asked) == 1 and "damaged" in asked[0]
    assert db_path.read_bytes() == damaged
    return closed


def test_damage_in_an_index_the_first_page_skips_is_found_after_the_window_shows(
    qapp, db_path, now, monkeypatch
):
    # The lead list sorts by the last yes: it paints, then the full check finds the damage.
    closed = _run_app_on_damage(db_path, now, monkeypatch)
    assert closed  # the window was open, and closed for the restore offer


def test_damage_that_breaks_the_first_page_is_found_before_the_window_shows(
    qapp, db_path, now, monkeypatch
):
    closed = _run_app_on_damage(db_path, now, monkeypatch, pages=(8, 12))
    assert not closed


def test_a_book_restored_before_the_window_is_not_offered_again(qapp, db_path, now, monkeypatch):
    from PySide6.QtCore import QTimer

    import ui.app

    _damaged_with_backup(db_path, now, how=lambda p: damage(p, pages=(8, 12)))
    asked: list[str] = []
    monkeypatch.setattr(ui.app, "configure_logging", lambda: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(
        dialogs_mod, "ask_damaged_action", lambda message, _newest: asked.append(message) or RESTORE
    )
    QTimer.singleShot(1500, lambda: qapp.exit(0))  # the window stays up this long
    assert ui.app.main(["--db", str(db_path)]) == 0
    assert len(asked) == 1  # the restored file passed its own check: no second offer
    assert lead_count(db_path) == 300


def test_a_healthy_database_passes_the_settled_check(qapp, db, db_path, now, monkeypatch):
    monkeypatch.setattr(dialogs_mod, "ask_damaged_action", lambda *_a: pytest.fail("asked"))
    start = startup_checks(db_path, now=now)
    try:
        assert settle_health_check(start, db, db_path, now=now) is db
    finally:
        start.lock.release()


def test_a_second_window_brings_the_first_to_the_front(qtbot, db_path, now, shown):
    first = acquire_instance_lock(db_path)
    server = InstanceServer(db_path)
    try:
        with qtbot.waitSignal(server.sig_show_requested, timeout=5000):
            second = startup_checks(db_path, now=now)
        assert not second.go
        assert len(shown) == 1 and "already open" in shown[0]
    finally:
        server.close()
        first.release()


def test_known_storage_problems_get_their_own_message(qapp, monkeypatch, shown, db):
    seen: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda _t, exc, _tb: seen.append(exc))
    install_known_problem_hook()
    full = sqlite3.OperationalError("database or disk is full")
    sys.excepthook(type(full), full, None)
    bug = RuntimeError("boom")
    sys.excepthook(type(bug), bug, None)
    assert shown == ["The disk is full: free some space and try again; nothing was lost."]
    assert seen == [bug]


def test_a_cancelled_job_reports_that_nothing_changed(qtbot, safety, monkeypatch, tmp_path):
    def cancelled(*_a, **_k):
        raise OperationCancelled()

    monkeypatch.setattr(safety_mod, "export_leads_csv", cancelled)
    monkeypatch.setattr(dialogs_mod, "ask_export_options", lambda *_a: ExportChoice(False, False))
    monkeypatch.setattr(dialogs_mod, "choose_save_path", lambda *_a: tmp_path / "x.csv")
    statuses: list[str] = []
    safety.sig_status.connect(statuses.append)
    _run(qtbot, safety, safety.export_action)
    assert statuses == ["Cancelled: nothing was changed."]
    assert safety.export_action.isEnabled()


def test_the_more_button_leaves_room_for_its_menu_arrow(window, safety, people):
    from PySide6.QtWidgets import QStyle

    _select(window, people["ada"].id)
    more = window.leads_page.detail._more
    text = more.fontMetrics().horizontalAdvance(more.text())
    arrow = more.style().pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator)
    assert more.sizeHint().width() >= text + arrow + 8
    assert more.sizeHint().height() == window.leads_page.detail.log_yes.sizeHint().height()


def test_a_restore_forgets_the_deletes_made_before_it(
    qtbot, window, safety, monkeypatch, now, db_path, people
):
    from ui.leads import dialogs

    copy = backup_now(db_path.parent / "copy.db", now=now)
    monkeypatch.setattr(dialogs, "confirm_delete", lambda parent, lead: True)
    _select(window, people["ada"].id)
    window.delete_action.trigger()
    assert window.undo_action.isEnabled()
    monkeypatch.setattr(dialogs_mod, "choose_restore_source", lambda _p, _b: copy)
    monkeypatch.setattr(dialogs_mod, "confirm", lambda *_a: True)
    with qtbot.waitSignal(window.events.changed):
        _run(qtbot, safety, safety.restore_action)
    assert count_leads() == 5
    # Undo would put a lead from the replaced database into the restored one.
    assert not window.undo_action.isEnabled() and window.undo_action.text() == "Undo"


def test_a_restore_waits_for_a_running_import_and_closes_a_stale_import_window(
    qtbot, window, safety, monkeypatch, shown, now, db_path
):
    from ui.workers import TaskRunner

    copy = backup_now(db_path.parent / "copy.db", now=now)
    add_people(3, now)
    monkeypatch.setattr(dialogs_mod, "choose_restore_source", lambda _p, _b: copy)
    monkeypatch.setattr(dialogs_mod, "confirm", lambda *_a: True)
    # An import still running in its own window: the restore is refused.
    release = threading.Event()
    importing = TaskRunner(writes=True)
    importing.start(lambda _p, _c: release.wait(10))
    safety.restore_action.trigger()
    assert shown == [
        "An import is still running: let it finish or cancel it, then restore; nothing was changed."
    ]
    assert count_leads() == 8
    release.set()
    qtbot.waitUntil(lambda: not importing.busy)
    importing.shutdown()
    # Idle now: the restore goes ahead, and an open import window, whose report and undo
    # name a batch of the replaced database, is closed.
    wizard = window.imports.open()
    assert wizard.isVisible()
    with qtbot.waitSignal(window.events.database_swapped):
        _run(qtbot, safety, safety.restore_action)
    assert count_leads() == 5
    assert not wizard.isVisible()


def test_a_restore_is_refused_while_a_command_has_the_book_open(
    qtbot, window, safety, monkeypatch, shown, now, db_path
):
    import subprocess

    import crm.store.lock

    monkeypatch.setattr(crm.store.lock, "RESTORE_WAIT_S", 0.3)
    copy = backup_now(db_path.parent / "copy.db", now=now)
    add_people(3, now)
    monkeypatch.setattr(dialogs_mod, "choose_restore_source", lambda _p, _b: copy)
    monkeypatch.setattr(dialogs_mod, "confirm", lambda *_a: True)
    code = (
        "import sys; from crm.store.db import open_database; open_database(sys.argv[1]); "
        "print('open', flush=True); sys.stdin.readline()"
    )
    root = Path(__file__).resolve().parents[2]
    other = subprocess.Popen(
        [sys.executable, "-c", code, str(db_path)],
        cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "open"
        _run(qtbot, safety, safety.restore_action)
    finally:
        other.communicate("\n", timeout=30)
    assert len(shown) == 1 and "Another Smallyes process has" in shown[0]
    assert count_leads() == 8
    assert [p.name for p in db_path.parent.iterdir() if ".restore" in p.name] == []
    # Once it is closed, the same restore goes ahead.
    with qtbot.waitSignal(window.events.changed):
        _run(qtbot, safety, safety.restore_action)
    assert count_leads() == 5
