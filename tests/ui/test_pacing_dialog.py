"""The Pacing dialog reads as sentences an owner understands, and stores what it stored."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractSpinBox, QLabel

from crm.asking.pacing import DEFAULTS, get_pacing, set_pacing
from crm.book.leads import add_lead
from crm.book.timeline import record_commitment
from ui.events import AppEvents
from ui.pacing_dialog import PacingDialog

JARGON = ("fraction", "median", "tie", "× median", "x median", "score", "prior")


@pytest.fixture
def dialog(qtbot, db) -> PacingDialog:
    shown = PacingDialog(AppEvents())
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    qtbot.waitUntil(lambda: "Working out" not in shown.examples["stall_factor"].text())
    return shown


def _words(dialog: PacingDialog) -> list[str]:
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    for box in dialog.findChildren(QAbstractSpinBox):
        texts += [box.text(), box.toolTip(), box.accessibleName()]
    return texts


def test_no_jargon_and_every_box_is_in_a_sentence(dialog) -> None:
    for text in _words(dialog):
        words = text.casefold().replace(".", " ").split()
        for jargon in JARGON:
            assert jargon not in (words if " " not in jargon else [text.casefold()]), text
    sentences = {name: label.text() for name, label in dialog.sentences.items()}
    assert sentences["cooldown_days"] == "Wait at least"
    assert dialog.fields["cooldown_days"].text() == "7 days"
    assert sentences["decline_backoff_days"] == "After a “not now”, wait"
    assert dialog.fields["prior"].text() == "25%"
    assert dialog.fields["stall_factor"].text() == "2.0 times"
    # A screen reader says a name for each box, and no two boxes share one.
    names = []
    for box in dialog.findChildren(QAbstractSpinBox):
        iface = QAccessible.queryAccessibleInterface(box)
        names.append(iface.text(QAccessible.Text.Name).strip())
    assert all(names) and len(set(names)) == len(names) == len(dialog.fields)


def test_percent_boxes_store_fractions_and_untouched_values_stay_exact(qtbot, db) -> None:
    set_pacing(prior=0.333, stall_factor=2.25)  # from the command line, finer than shown
    dialog = PacingDialog(AppEvents())
    qtbot.addWidget(dialog)
    assert dialog.fields["prior"].value() == 33
    assert dialog.fields["close_scores"].value() == 5
    dialog.fields["close_scores"].setValue(10)
    dialog.fields["cooldown_days"].setValue(10)
    dialog.save()
    pacing = get_pacing()
    assert pacing.close_scores == pytest.approx(0.10)
    assert pacing.cooldown_days == 10
    assert (pacing.prior, pacing.stall_factor) == (0.333, 2.25)  # not rounded to the boxes


def test_restore_defaults_restores_every_value_exactly(qtbot, db) -> None:
    set_pacing(prior=0.251, trust_count=40)
    dialog = PacingDialog(AppEvents())
    qtbot.addWidget(dialog)
    dialog._on_restore_clicked()
    dialog.save()
    assert get_pacing() == DEFAULTS


def test_examples_follow_the_boxes(dialog) -> None:
    close = dialog.examples["close_scores"]
    assert "56%" in close.text() and "60%" in close.text()
    dialog.fields["close_scores"].setValue(0)
    assert "best yes rate is always" in close.text()
    trust = dialog.examples["trust_count"]
    assert "once 10 asks" in trust.text() and "25%" in trust.text()
    dialog.fields["prior"].setValue(40)
    assert "40%" in trust.text()
    # An empty book: round numbers instead of the owner's own.
    stall = dialog.examples["stall_factor"]
    assert "10 days" in stall.text() and "20 days" in stall.text()


def test_the_stall_example_uses_your_own_data(qtbot, db, now) -> None:
    for i in range(3):
        lead = add_lead(f"p{i}@example.com", now=now - dt.timedelta(days=60))
        start = now - dt.timedelta(days=50)
        record_commitment(lead.id, "subscribed", at=start, now=now)
        record_commitment(lead.id, "downloaded", at=start + dt.timedelta(days=9), now=now)
    dialog = PacingDialog(AppEvents())
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "With your data" in dialog.examples["stall_factor"].text())
    stall = dialog.examples["stall_factor"]
    assert "“Subscribed” after 9 days" in stall.text()
    assert "after 18 days is stalled" in stall.text()
    dialog.fields["stall_factor"].setValue(3.0)
    assert "after 27 days is stalled" in stall.text()
    # The whole example is on screen, not cut off below the dialog's edge.
    assert dialog.height() >= dialog.heightForWidth(dialog.width())


def test_the_customer_cooling_period_reads_as_a_sentence_and_saves(dialog) -> None:
    box = dialog.fields["customer_cooling_days"]
    assert box.text() == "30 days"
    assert dialog.sentences["customer_cooling_days"].text() == "For"
    words = " ".join(_words(dialog))
    assert "after a purchase, ask a customer to buy nothing more." in words
    assert "Meanwhile ask how it went, then for a referral" in words
    box.setValue(45)
    dialog.save()
    assert get_pacing().customer_cooling_days == 45


def test_the_daily_limit_of_personal_asks_reads_as_a_sentence_and_is_stored(qtbot, db) -> None:
    dialog = PacingDialog(AppEvents())
    qtbot.addWidget(dialog)
    assert dialog.sentences["daily_ask_limit"].text() == "Suggest at most"
    box = dialog.fields["daily_ask_limit"]
    assert box.text() == "20 asks"
    box.setValue(1)
    assert box.text() == "1 ask"
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert any("The asks you record today count against it" in t for t in texts)
    assert any("before asking that lead anything again" in t for t in texts)
    dialog.save()
    assert get_pacing().daily_ask_limit == 1
