"""The window follows the book: what another process (the command line, a second window)
changes shows in the open window within two seconds, the way the window's own edits do;
an idle window reads nothing and reloads nothing; a file put in the book's place (a
restore) reloads everything; an edit in progress is never overwritten."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtTest import QTest

import ui.safety.dialogs as dialogs_mod
from crm.book.leads import LeadRow, add_lead, find_lead, get_lead
from crm.changes import EVERYTHING, collecting
from crm.safety.backup import backup_now
from crm.store.db import close_database, close_thread_connection, current_book
from ui.live_refresh import INTERVAL_MS
from ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "csv"
SOON_MS = 2000  # the promise: within two seconds


def cli(db_path: Path, *args: str) -> str:
    """Run ``smallyes-cli`` in another process, as the owner would in a terminal."""
    done = subprocess.run(
        [sys.executable, "-m", "crm", "--db", str(db_path), *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def second_window(db_path: Path, email: str, **fields: str) -> None:
    """Another Smallyes window, in its own process, edits a lead's fields and saves."""
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication
        from crm.book.leads import find_lead
        from crm.store.db import close_database, open_database
        from ui.main_window import MainWindow

        app = QApplication([])
        db = open_database({str(db_path)!r})
        window = MainWindow(Path({str(db_path)!r}))
        lead = find_lead({email!r})
        assert window.leads_page.select_lead(lead.id)
        detail = window.leads_page.detail
        for name, text in {fields!r}.items():
            edit = getattr(detail, name)
            edit.clear()
            QTest.keyClicks(edit, text)
        assert detail.save(), detail.error.text()
        window.shutdown()
        close_database(db)
        """
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, timeout=90, cwd=ROOT, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def replace_book(source: Path, db_path: Path) -> None:
    """Put ``source`` in the book's place as a restore does (the journal folded into the
    file, its side files removed, one rename), without the lock: another program's."""
    con = sqlite3.connect(db_path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    os.replace(source, db_path)


def shown_emails(window: MainWindow) -> set[str]:
    model = window.leads_page.model
    return {lead.email for row in range(model.rowCount()) if (lead := model.lead_at(row))}


def open_lead(window: MainWindow, lead: LeadRow) -> None:
    assert window.leads_page.select_lead(lead.id)
    assert window.leads_page.detail.lead_id == lead.id


@pytest.fixture
def live(people: dict[str, LeadRow], window: MainWindow) -> MainWindow:
    """The window over the people, following the book."""
    assert window.live.active
    return window


@pytest.fixture
def publishes(live: MainWindow) -> list[object]:
    """Every change the live refresh published."""
    heard: list[object] = []
    live.events.changed.connect(
        lambda change, origin: heard.append(change) if origin is live.live else None
    )
    return heard


@pytest.fixture
def close_reopened(db: object) -> Iterator[None]:
    """Requested first, torn down last: the book the window opened again is closed after
    the window."""
    yield
    book = current_book()
    if book is not None and book is not db:
        close_database(book)


def test_a_lead_added_on_the_command_line_shows_with_selection_and_scroll_kept(
    qtbot,
    db_path: Path,
    now: dt.datetime,
    people: dict[str, LeadRow],
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with collecting():
        for i in range(60):
            add_lead(f"more{i:02}@example.com", first_name=f"More{i:02}", now=now)
    window.events.publish(EVERYTHING)  # the window was built before these leads
    window.resize(900, 400)
    window.show()
    qtbot.waitExposed(window)
    table, page = window.leads_page.table, window.leads_page
    bar = table.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    middle = page.model.lead_at(table.rowAt(table.viewport().height() // 2))
    assert middle is not None
    open_lead(window, middle)
    bar.setValue(bar.maximum() // 3)  # the owner scrolled on, away from the open lead
    scrolled = bar.value()
    reloads: list[bool] = []
    monkeypatch.setattr(page.detail, "reload", lambda: reloads.append(True))

    cli(db_path, "add", "zed@example.com", "--first", "Zed", "--tag", "vip")

    qtbot.waitUntil(lambda: window.count_label.text() == "66 leads", timeout=SOON_MS)
    assert "zed@example.com" in shown_emails(window)
    assert page.selected_lead_id() == middle.id and page.detail.lead_id == middle.id
    assert bar.value() == scrolled
    assert reloads == []  # the open lead did not change: its panel is not read again


def test_a_tag_and_a_yes_on_the_command_line_reach_the_open_lead_only_when_it_is_theirs(
    qtbot, db_path: Path, live: MainWindow, people: dict[str, LeadRow], monkeypatch
) -> None:
    detail = live.leads_page.detail
    open_lead(live, people["ada"])
    reloads: list[int | None] = []
    real_reload = detail.reload
    monkeypatch.setattr(detail, "reload", lambda: (reloads.append(detail.lead_id), real_reload()))

    cli(db_path, "tag", "ben@example.com", "podcast")  # another lead than the open one
    model = live.leads_page.model
    ben_row = model.row_for_id(people["ben"].id)
    assert ben_row is not None
    qtbot.waitUntil(lambda: "podcast" in model.lead_at(ben_row).tags, timeout=SOON_MS)
    assert reloads == []

    cli(db_path, "tag", "ada@example.com", "podcast")
    cli(db_path, "log", "ada@example.com", "replied", "--note", "Asked about pricing")
    qtbot.waitUntil(
        lambda: any(i.step == "replied" for i in detail.timeline.timeline_model.items()),
        timeout=SOON_MS,
    )
    assert "podcast" in detail.lead.tags
    assert reloads and set(reloads) == {people["ada"].id}


def test_an_import_and_its_undo_on_the_command_line_show_in_the_list(
    qtbot, db_path: Path, live: MainWindow
) -> None:
    report = json.loads(cli(db_path, "import", str(DATA / "mailchimp_subscribed.csv"), "--json"))
    assert report["created"] > 0
    imported = find_lead("lena.hoffmann@example.org").email
    qtbot.waitUntil(lambda: imported in shown_emails(live), timeout=SOON_MS)
    assert live.count_label.text() == f"{5 + report['created']} leads"

    cli(db_path, "undo-import", str(report["batch_id"]))
    qtbot.waitUntil(lambda: imported not in shown_emails(live), timeout=SOON_MS)
    assert live.count_label.text() == "5 leads"


def test_an_idle_window_reads_nothing_and_reloads_nothing(
    qtbot, live: MainWindow, publishes: list[object], now: dt.datetime
) -> None:
    book = current_book()
    assert book is not None
    # Today's first load stores each lead's next ask (a write of this process's worker,
    # heard at the next check like any commit): idle starts after that check
    page = live.today_page
    qtbot.waitUntil(
        lambda: page is None or (page.count is not None and not page.loading), timeout=5000
    )
    qtbot.wait(INTERVAL_MS + 500)
    statements: list[str] = []
    book.connection().set_trace_callback(statements.append)
    try:
        qtbot.wait(2600)  # nothing happens: there is no state to wait for
    finally:
        book.connection().set_trace_callback(None)
    assert len(statements) >= 2 and set(statements) == {"PRAGMA data_version"}

    # This process's own background write is already shown: it is not heard again.
    def job() -> None:
        with collecting():
            add_lead("bob@example.com", now=now)
        close_thread_connection()

    worker = threading.Thread(target=job)
    worker.start()
    worker.join()
    qtbot.wait(1500)
    assert publishes == []


def test_an_edit_in_progress_is_kept_when_another_window_changes_the_lead(
    qtbot, db_path: Path, live: MainWindow, people: dict[str, LeadRow]
) -> None:
    detail = live.leads_page.detail
    ada = people["ada"]
    open_lead(live, ada)
    detail.company.clear()
    QTest.keyClicks(detail.company, "Typed Co")
    assert detail.save_button.isEnabled()

    second_window(db_path, ada.email, company="Other Co", phone="555 0100")

    qtbot.waitUntil(lambda: detail.phone.text() == "555 0100", timeout=SOON_MS)
    assert detail.company.text() == "Typed Co"  # the owner's text, not the other window's
    assert detail.elsewhere.isVisibleTo(detail) and "company" in detail.elsewhere.text()
    assert detail.save_button.isEnabled()
    assert detail.save()
    stored = get_lead(ada.id)
    assert (stored.company, stored.phone) == ("Typed Co", "555 0100")  # neither edit lost
    assert not detail.elsewhere.isVisibleTo(detail)


def test_a_tag_added_elsewhere_keeps_the_edit_without_a_warning(
    qtbot, db_path: Path, live: MainWindow, people: dict[str, LeadRow]
) -> None:
    detail = live.leads_page.detail
    open_lead(live, people["ada"])
    detail.notes.setPlainText("Call after the holidays")
    cli(db_path, "tag", "ada@example.com", "podcast")
    qtbot.waitUntil(lambda: "podcast" in detail.lead.tags, timeout=SOON_MS)
    assert detail.notes.toPlainText() == "Call after the holidays"
    assert detail.save_button.isEnabled() and not detail.elsewhere.isVisibleTo(detail)


def test_a_file_put_in_the_book_s_place_reloads_everything(
    close_reopened, qtbot, db_path: Path, live: MainWindow, now: dt.datetime
) -> None:
    copy = backup_now(db_path.parent / "copy.db", now=now)
    with live.events.publishing():
        add_lead("late@example.com", now=now)
    assert "late@example.com" in shown_emails(live)
    swapped: list[bool] = []
    live.events.database_swapped.connect(lambda: swapped.append(True))

    replace_book(copy, db_path)

    qtbot.waitUntil(lambda: "late@example.com" not in shown_emails(live), timeout=SOON_MS)
    assert swapped == [True] and live.count_label.text() == "5 leads"
    assert "replaced by another program" in live.statusBar().currentMessage()
    # The window follows the book now at the path.
    cli(db_path, "add", "after@example.com")
    qtbot.waitUntil(lambda: "after@example.com" in shown_emails(live), timeout=SOON_MS)


def test_after_the_window_s_own_restore_it_follows_the_restored_book(
    qtbot, db_path: Path, window: MainWindow, safety, monkeypatch, now: dt.datetime
) -> None:
    copy = backup_now(db_path.parent / "copy.db", now=now)
    with window.events.publishing():
        add_lead("late@example.com", now=now)
    monkeypatch.setattr(dialogs_mod, "choose_restore_source", lambda _p, _b: copy)
    monkeypatch.setattr(dialogs_mod, "confirm", lambda *_a: True)
    with qtbot.waitSignal(safety.sig_job_done, timeout=10_000):
        safety.restore_action.trigger()
    qtbot.waitUntil(lambda: "late@example.com" not in shown_emails(window), timeout=SOON_MS)
    heard: list[object] = []
    window.events.changed.connect(lambda c, origin: heard.append(c) if origin is window.live else 0)
    qtbot.wait(1500)
    assert heard == []  # the restore itself was shown once, by the window that made it

    cli(db_path, "add", "after@example.com")
    qtbot.waitUntil(lambda: "after@example.com" in shown_emails(window), timeout=SOON_MS)


def test_the_timer_stops_with_the_window(live: MainWindow) -> None:
    live.shutdown()
    assert not live.live.active
