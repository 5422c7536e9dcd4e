"""Forget in the window: a forgotten person stays forgotten (add, import, restore), and a
forget stopped after the erase is finished from the window."""

from __future__ import annotations

from pathlib import Path

import crm.safety.forget as forget_mod
import ui.safety.dialogs as dialogs_mod
from crm.book.leads import count_leads, find_lead, list_leads
from crm.safety.backup import backup_now
from crm.safety.forget import forget_lead
from crm.safety.suppression import add_unless_forgotten, is_forgotten
from tests.crm.safety_helpers import Reader
from ui import errors
from ui.import_wizard import ImportWizard
from ui.leads import dialogs
from ui.safety.dialogs import ForgetChoice


def _run(qtbot, safety, action) -> None:
    with qtbot.waitSignal(safety.sig_job_done, timeout=20_000):
        action.trigger()


def _file_bytes(db_path: Path) -> bytes:
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_forget_beside_a_reader_offers_to_try_again_and_finishes(
    qtbot, window, safety, people, monkeypatch, db_path
) -> None:
    monkeypatch.setattr(forget_mod, "READER_WAIT_S", 0.3)
    monkeypatch.setattr(dialogs_mod, "confirm_forget", lambda *_a: ForgetChoice(False))
    assert window.leads_page.select_lead(people["ada"].id)
    asked: list[tuple[str, str]] = []

    with Reader(db_path) as reader:

        def answer(_parent, text: str, informative: str) -> bool:
            asked.append((text, informative))
            reader.release()  # the other program is closed: try again
            return True

        monkeypatch.setattr(dialogs_mod, "ask_finish_forget", answer)
        with qtbot.waitSignal(safety.sig_status, timeout=20_000) as status:
            safety.forget_action.trigger()
        qtbot.waitUntil(lambda: not safety.runner.busy, timeout=20_000)

    assert asked == [
        (
            "Ada Lovelace was erased from the book, but another program kept reading the "
            "database, so the file still holds old copies of their details: close that "
            "program (or the other Smallyes window), then click Try again.",
            "If you choose Later, Smallyes finishes it when it next starts.",
        )
    ]
    assert status.args == ["Ada Lovelace was forgotten"]
    assert b"Lovelace" not in _file_bytes(db_path)
    assert "ada@example.com" not in [r.email for r in list_leads()]


def test_choosing_later_leaves_it_for_the_next_start(
    qtbot, window, safety, people, monkeypatch, db_path
) -> None:
    monkeypatch.setattr(forget_mod, "READER_WAIT_S", 0.3)
    monkeypatch.setattr(dialogs_mod, "confirm_forget", lambda *_a: ForgetChoice(False))
    monkeypatch.setattr(dialogs_mod, "ask_finish_forget", lambda *_a: False)
    assert window.leads_page.select_lead(people["ada"].id)
    with Reader(db_path):
        _run(qtbot, safety, safety.forget_action)
    assert window.leads_page.total == 4
    assert b"Lovelace" in _file_bytes(db_path)
    # The next start's daily-backup job rewrites the file first.
    assert forget_mod.finish_unfinished_forgets() == 1
    assert b"Lovelace" not in _file_bytes(db_path)
    assert forget_mod.finish_unfinished_forgets() == 0


def test_a_restore_in_the_window_forgets_them_again(
    qtbot, window, safety, people, monkeypatch, now, db_path
) -> None:
    older = backup_now(db_path.parent / "older.db", now=now)
    forget_lead(people["ada"].id)
    monkeypatch.setattr(dialogs_mod, "choose_restore_source", lambda _p, _b: older)
    monkeypatch.setattr(dialogs_mod, "confirm", lambda *_a: True)

    with qtbot.waitSignal(window.events.changed):
        _run(qtbot, safety, safety.restore_action)

    assert count_leads() == 4 and window.leads_page.total == 4
    assert "forgot again 1 person forgotten at their request" in (
        window.statusBar().currentMessage()
    )
    assert b"Lovelace" not in _file_bytes(db_path)


def test_adding_a_forgotten_address_asks_for_a_second_click(people, qtbot, now) -> None:
    forget_lead(people["ada"].id)

    def submit(entry: dialogs.NewLead):
        return add_unless_forgotten(entry.email, again=entry.again, now=now)

    dialog = dialogs.AddLeadDialog(None, submit)
    qtbot.addWidget(dialog)
    dialog.email.setText("ada@example.com")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.error.text() == (
        "ada@example.com was forgotten at their request: click Add them again only if they "
        "asked to be added back."
    )
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert ok.text() == "Add them again"
    assert count_leads() == 4
    dialog.email.setText("ada@example.org")  # another address: the warning goes
    assert ok.text() == "Add lead"
    dialog.email.setText("ada@example.com")
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert find_lead("ada@example.com").id == dialog.added.id
    assert not is_forgotten("ada@example.com")


def test_the_import_window_counts_the_rows_of_forgotten_people(
    qtbot, people, clock, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(errors, "show_message", lambda *_a, **_k: None)
    forget_lead(people["ada"].id)
    path = tmp_path / "list.csv"
    path.write_text("email,first_name\nada@example.com,Ada\nzoe@example.com,Zoe\n", "utf-8")
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.open_file(path)
    with qtbot.waitSignal(wizard._runner.sig_finished, timeout=10_000):
        wizard.import_button.click()
    text = wizard.summary_label.text()
    assert "1 new" in text and "1 skipped: forgotten at their request." in text
    assert "ada@example.com" not in [r.email for r in list_leads()]
