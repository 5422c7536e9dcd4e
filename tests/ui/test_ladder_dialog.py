"""The Ladder & offers editor and the Pacing dialog."""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QTabWidget

from crm.ladder import get_ladder, step_by_key
from crm.leads import add_lead, get_lead
from crm.offers import list_offers
from crm.pacing import DEFAULTS, get_pacing, set_pacing
from crm.timeline import record_commitment
from ui import ladder_dialog
from ui.events import AppEvents
from ui.ladder_dialog import LadderDialog
from ui.pacing_dialog import PacingDialog


def select_step(dialog: LadderDialog, key: str) -> None:
    row = dialog.order().index(key)
    dialog.steps.setCurrentRow(row)


def test_rename_mark_major_and_reword_a_step(qtbot, db) -> None:
    events = AppEvents()
    dialog = LadderDialog(events)
    qtbot.addWidget(dialog)
    select_step(dialog, "answered")
    assert dialog.label_edit.text() == "Answered"
    dialog.label_edit.setText("Took the quiz")
    dialog.label_edit.textEdited.emit("Took the quiz")
    dialog.major_box.setChecked(True)
    dialog.subject_edit.setText("Quick one, {first_name}")
    dialog.subject_edit.textEdited.emit("Quick one, {first_name}")
    assert dialog.steps.currentItem().text() == "Took the quiz"
    # switching steps keeps the edits of the one left
    select_step(dialog, "clicked")
    select_step(dialog, "answered")
    assert dialog.label_edit.text() == "Took the quiz"
    with qtbot.waitSignal(events.ladder_changed):
        dialog.save()
    step = step_by_key("answered")
    assert (step.label, step.major, step.ask_subject) == (
        "Took the quiz",
        True,
        "Quick one, {first_name}",
    )


def test_reorder_recomputes_lead_levels(qtbot, db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "answered", at=now, now=now)
    dialog = LadderDialog(AppEvents())
    qtbot.addWidget(dialog)
    select_step(dialog, "answered")
    dialog.move_current(-1)
    dialog.move_current(-1)
    assert dialog.order()[1] == "answered"
    dialog.save()
    assert [s.key for s in get_ladder()][1] == "answered"
    assert get_lead(lead.id).level == 2


def test_bad_template_is_refused_in_the_dialog(qtbot, db) -> None:
    dialog = LadderDialog(AppEvents())
    qtbot.addWidget(dialog)
    select_step(dialog, "booked")
    dialog.subject_edit.setText("Hi {name}")
    dialog.subject_edit.textEdited.emit("Hi {name}")
    dialog.save()
    assert not dialog.error.isHidden()
    assert "placeholder" in dialog.error.text()
    assert step_by_key("booked").ask_subject == "A free 20-minute call?"


def test_a_refused_step_stores_none_of_the_other_edits(qtbot, db, now) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "answered", at=now, now=now)
    before = get_ladder()
    events = AppEvents()
    dialog = LadderDialog(events)
    qtbot.addWidget(dialog)
    select_step(dialog, "clicked")
    dialog.label_edit.setText("Clicked a link")
    dialog.label_edit.textEdited.emit("Clicked a link")
    select_step(dialog, "answered")
    dialog.move_current(-1)
    select_step(dialog, "booked")
    dialog.label_edit.setText("  ")  # refused: a step needs a name
    dialog.label_edit.textEdited.emit("  ")
    with qtbot.assertNotEmitted(events.ladder_changed):
        dialog.save()
    assert "needs a name" in dialog.error.text()
    assert get_ladder() == before  # neither the rename nor the reorder went in
    assert get_lead(lead.id).level == 4


def test_offers_add_rename_topics_retire(qtbot, db, monkeypatch) -> None:
    events = AppEvents()
    dialog = LadderDialog(events)
    qtbot.addWidget(dialog)
    answers = iter(["SEO checklist", "Local SEO checklist"])
    monkeypatch.setattr(ladder_dialog, "ask_text", lambda *a, **k: next(answers))
    with qtbot.waitSignal(events.offers_changed):
        dialog.add_offer()
    assert dialog.current_offer().name == "SEO checklist"
    dialog.rename_offer()
    assert [o.name for o in list_offers()] == ["Local SEO checklist"]
    dialog.topics_edit.setText("SEO, local")
    dialog.kind_edit.setText("checklist")
    dialog.save_topics()
    assert list_offers()[0].topics == ("seo", "local")
    assert dialog.retire_offer_button.text() == "Retire"
    dialog.toggle_retired()
    assert list_offers() == [] and dialog.retire_offer_button.text() == "Restore"
    assert dialog.offers.currentItem().text().endswith("(retired)")
    # Cancel is about the ladder; the Offers tab says its changes are already kept.
    dialog.show()
    dialog.findChild(QTabWidget).setCurrentIndex(1)
    assert dialog.offers_note.isVisible() and "Cancel does not undo" in dialog.offers_note.text()
    dialog.reject()
    assert [o.name for o in list_offers(include_retired=True)] == ["Local SEO checklist"]


def test_pacing_dialog_saves_and_validates(qtbot, db) -> None:
    events = AppEvents()
    dialog = PacingDialog(events)
    qtbot.addWidget(dialog)
    assert dialog.fields["cooldown_days"].value() == DEFAULTS.cooldown_days
    dialog.fields["cooldown_days"].setValue(10)
    with qtbot.waitSignal(events.ladder_changed):
        dialog.save()
    assert get_pacing().cooldown_days == 10

    again = PacingDialog(events)
    qtbot.addWidget(again)
    assert again.fields["cooldown_days"].value() == 10
    again.fields["warm_min_days"].setValue(9)  # after the warm window's end
    again.save()
    assert "warm window" in again.error.text()
    again.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).click()
    again.save()
    assert get_pacing() == DEFAULTS


def test_pacing_counts_read_in_the_singular_at_one(qtbot, db) -> None:
    set_pacing(follow_up_days=1)  # the box's own minimum: no change of value to follow
    dialog = PacingDialog(AppEvents())
    qtbot.addWidget(dialog)
    assert dialog.fields["follow_up_days"].text() == "1 day"
    warm = dialog.fields["warm_min_days"]
    warm.setValue(1)
    assert warm.text() == "1 day"
    warm.setValue(2)
    assert warm.text() == "2 days"
    limit = dialog.fields["unanswered_limit"]
    limit.setValue(1)
    assert limit.text() == "1 ask"
    dialog.save()
    assert get_pacing().warm_min_days == 2 and get_pacing().unanswered_limit == 1
