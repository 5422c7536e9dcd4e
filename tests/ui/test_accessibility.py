"""Every control a keyboard reaches has a name a screen reader can say."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from crm.asking.ladder import get_ladder
from crm.book.offers import list_offers
from tests.crm.importing.conftest import DATA
from ui.events import AppEvents
from ui.import_wizard import ImportWizard
from ui.ladder_dialog import LadderDialog
from ui.leads.dialogs import AddLeadDialog, LogYesDialog
from ui.pacing_dialog import PacingDialog

CONTROLS = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QTextEdit,
    QPlainTextEdit,
    QAbstractItemView,
)


def _unnamed(top: QWidget) -> list[str]:
    """The visible, focusable controls in ``top`` whose accessible name is empty."""
    found = []
    for widget in top.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not widget.isVisible():
            continue
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or widget.window() is not top:
            continue
        if isinstance(widget.parent(), (QComboBox, QAbstractSpinBox)):
            continue  # the editor inside a combo or spin box: the box has the name
        iface = QAccessible.queryAccessibleInterface(widget)
        if not (iface and iface.text(QAccessible.Text.Name).strip()):
            found.append(f"{type(widget).__name__} in {type(widget.parent()).__name__}")
    return found


def test_every_page_of_the_window(people, window, qtbot) -> None:
    window.resize(1300, 800)
    window.show()
    qtbot.waitExposed(window)
    window.leads_page.select_lead(people["ada"].id)
    for page in ("leads", "today", "funnel", "imports"):
        window.show_page(page)
        qtbot.wait(50)
        assert _unnamed(window) == [], page


def test_every_dialog(people, qtbot, now) -> None:
    ada = people["ada"]
    wizard = ImportWizard(clock=lambda: now)
    dialogs = [
        AddLeadDialog(None, lambda new: ada),
        LogYesDialog(None, ada, get_ladder(), [o.name for o in list_offers()], lambda y: None),
        LadderDialog(AppEvents(), clock=lambda: now),
        PacingDialog(AppEvents()),
        wizard,
    ]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert _unnamed(dialog) == [], dialog.windowTitle()
    assert wizard.open_file(DATA / "mailchimp_subscribed.csv")
    qtbot.wait(50)
    assert _unnamed(wizard) == [], "the import preview"


def test_the_import_summary(db, qtbot, now) -> None:
    wizard = ImportWizard(clock=lambda: now)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.open_file(DATA / "mailchimp_subscribed.csv")  # one row is rejected
    with qtbot.waitSignal(wizard._runner.sig_finished, timeout=10_000):
        wizard.import_button.click()
    qtbot.waitUntil(lambda: wizard.stack.currentIndex() == ImportWizard.PAGE_SUMMARY)
    assert wizard.errors_table.rowCount() == 1
    assert _unnamed(wizard) == []
