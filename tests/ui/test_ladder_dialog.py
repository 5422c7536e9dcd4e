"""The Ladder & offers editor and the Pacing dialog."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QTabWidget

from crm.asking.asks import get_ask, record_ask
from crm.asking.ladder import get_ladder, step_by_key, step_uses
from crm.asking.pacing import DEFAULTS, get_pacing, set_pacing
from crm.book.leads import add_lead, get_lead
from crm.book.offers import list_offers
from crm.book.timeline import record_commitment
from ui import ladder_dialog
from ui.events import AppEvents
from ui.ladder_dialog import LadderDialog
from ui.pacing_dialog import PacingDialog


def _ladder_change(change, _origin) -> bool:
    return change.touches_setting("ladder")


def _pacing_change(change, _origin) -> bool:
    return change.touches_setting("pacing") and not change.touches_setting("ladder")


def _offer_change(change, _origin) -> bool:
    return change.touches("offer")


@pytest.fixture(autouse=True)
def _no_modal_dialogs(monkeypatch) -> None:
    """A test that forgets to answer a question fails at once instead of waiting on exec()."""
    for name in ("ask_new_step", "choose_step", "confirm", "ask_text"):
        monkeypatch.setattr(
            ladder_dialog, name, lambda *a, _n=name, **k: pytest.fail(f"unexpected {_n}")
        )


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
    with qtbot.waitSignal(events.changed, check_params_cb=_ladder_change):
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
    with qtbot.assertNotEmitted(events.changed):
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
    with qtbot.waitSignal(events.changed, check_params_cb=_offer_change):
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
    # A pacing change, not a ladder change: every suggestion depends on the pacing.
    with qtbot.waitSignal(events.changed, check_params_cb=_pacing_change):
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


def _labels(dialog: LadderDialog) -> list[str]:
    return [dialog.steps.item(i).text() for i in range(dialog.steps.count())]


def test_add_a_step_through_the_dialog(qtbot, db, now, monkeypatch) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "downloaded", at=now, now=now)
    events = AppEvents()
    dialog = LadderDialog(events)
    qtbot.addWidget(dialog)
    select_step(dialog, "subscribed")
    asked = []

    def answer(parent, labels, taken, position):
        asked.append((labels, position))
        return "Attended webinar", position

    monkeypatch.setattr(ladder_dialog, "ask_new_step", answer)
    dialog.add_step()
    # offered just after the selected step, with every step's name to place it among
    assert asked == [([s.label for s in get_ladder()], 2)]
    assert dialog.order()[2] == "attended_webinar"
    assert dialog.label_edit.text() == "Attended webinar"
    assert dialog.subject_edit.text() == "Attended webinar"
    dialog.body_edit.setPlainText("Hi {first_name}, see you at the webinar?")
    assert get_ladder()[2].key == "downloaded"  # nothing stored before Save
    with qtbot.waitSignal(events.changed, check_params_cb=_ladder_change):
        dialog.save()
    step = step_by_key("attended_webinar")
    assert (step.level, step.label, step.ask_body) == (
        3,
        "Attended webinar",
        "Hi {first_name}, see you at the webinar?",
    )
    assert step_by_key("downloaded").level == 4 and get_lead(lead.id).level == 4


def test_the_new_step_dialog_makes_the_key_from_the_name(qtbot, db) -> None:
    labels = [s.label for s in get_ladder()]
    dialog = ladder_dialog.NewStepDialog(None, labels, [s.key for s in get_ladder()], 3)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # a step needs a name
    dialog.name_edit.setText("Downloaded")
    assert "downloaded_2" in dialog.key_label.text() and ok.isEnabled()
    dialog.position_box.setCurrentIndex(7)
    assert dialog.answer() == ("Downloaded", 7)
    assert dialog.position_box.currentText() == "Level 8: after “Purchased”, at the top"
    assert dialog.position_box.itemText(2) == "Level 3: after “Subscribed”, before “Downloaded”"


def test_remove_an_unused_step_through_the_dialog(qtbot, db, now, monkeypatch) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "booked", at=now, now=now)
    monkeypatch.setattr(ladder_dialog, "choose_step", lambda *a: pytest.fail("nothing to merge"))
    dialog = LadderDialog(AppEvents())
    qtbot.addWidget(dialog)
    select_step(dialog, "replied")
    dialog.remove_step()
    assert "replied" not in dialog.order()
    assert "“Replied” is removed" in dialog.pending.text()
    dialog.save()
    assert "replied" not in [s.key for s in get_ladder()]
    assert step_by_key("booked").level == 5 and get_lead(lead.id).level == 5


def test_remove_a_used_step_merges_it_after_a_confirmation(qtbot, db, now, monkeypatch) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "downloaded", at=now, now=now)
    ask_id = record_ask(lead.id, "downloaded", at=now, now=now)
    choices, confirmations = [], []

    def choose(parent, title, text, labels):
        choices.append((text, labels))
        return labels.index("Answered")

    monkeypatch.setattr(ladder_dialog, "choose_step", choose)
    monkeypatch.setattr(
        ladder_dialog, "confirm", lambda parent, title, text, ok: confirmations.append(text) or True
    )
    events = AppEvents()
    dialog = LadderDialog(events)
    qtbot.addWidget(dialog)
    select_step(dialog, "downloaded")
    dialog.remove_step()
    assert choices[0][0] == "“Downloaded” is used by 1 yes and 1 ask. Move them to:"
    assert "Downloaded" not in choices[0][1]
    assert confirmations[0].startswith(
        "Move 1 yes and 1 ask from “Downloaded” to “Answered” and remove “Downloaded”?"
    )
    assert "merged into “Answered” (1 yes and 1 ask)" in dialog.pending.text()
    with qtbot.waitSignal(events.changed, check_params_cb=_ladder_change):
        dialog.save()
    assert [s.key for s in get_ladder()][2] == "answered"
    assert get_lead(lead.id).level == 3 and get_lead(lead.id).step == "answered"
    assert get_ask(ask_id).step == "answered"
    assert step_uses()["answered"].yeses == 1


def test_a_merge_cancelled_at_the_confirmation_keeps_the_step(qtbot, db, now, monkeypatch) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "downloaded", at=now, now=now)
    monkeypatch.setattr(ladder_dialog, "choose_step", lambda parent, title, text, labels: 0)
    monkeypatch.setattr(ladder_dialog, "confirm", lambda *a: False)
    dialog = LadderDialog(AppEvents())
    qtbot.addWidget(dialog)
    select_step(dialog, "downloaded")
    dialog.remove_step()
    assert "downloaded" in dialog.order() and dialog.pending.isHidden()
    dialog.save()
    assert step_uses()["downloaded"].yeses == 1


def test_merge_into_a_step_added_in_the_dialog_then_removed(qtbot, db, now, monkeypatch) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "downloaded", at=now, now=now)
    monkeypatch.setattr(ladder_dialog, "ask_new_step", lambda *a: ("Webinar", 2))
    targets = iter(["Webinar", "Replied"])
    monkeypatch.setattr(
        ladder_dialog,
        "choose_step",
        lambda parent, title, text, labels: labels.index(next(targets)),
    )
    monkeypatch.setattr(ladder_dialog, "confirm", lambda *a: True)
    dialog = LadderDialog(AppEvents())
    qtbot.addWidget(dialog)
    dialog.add_step()
    select_step(dialog, "downloaded")
    dialog.remove_step()  # into the new step...
    select_step(dialog, "webinar")
    dialog.remove_step()  # ...which goes too: what it would have held goes to Replied
    dialog.save()
    keys = [s.key for s in get_ladder()]
    assert "webinar" not in keys and "downloaded" not in keys
    assert step_uses()["replied"].yeses == 1 and get_lead(lead.id).level == 4


def test_the_sign_up_step_cannot_be_removed(qtbot, db) -> None:
    dialog = LadderDialog(AppEvents())
    qtbot.addWidget(dialog)
    select_step(dialog, "subscribed")
    assert not dialog.remove_step_button.isEnabled()
    assert "renamed, not removed" in dialog.remove_step_button.toolTip()
    dialog.remove_step()
    assert "cannot be removed" in dialog.error.text() and "subscribed" in dialog.order()
    select_step(dialog, "clicked")
    assert dialog.remove_step_button.isEnabled()


def test_cancel_after_add_and_remove_stores_nothing(qtbot, db, monkeypatch) -> None:
    before = get_ladder()
    monkeypatch.setattr(ladder_dialog, "ask_new_step", lambda *a: ("Webinar", 0))
    events = AppEvents()
    dialog = LadderDialog(events)
    qtbot.addWidget(dialog)
    dialog.add_step()
    select_step(dialog, "clicked")
    dialog.remove_step()
    assert _labels(dialog)[0] == "Webinar"
    with qtbot.assertNotEmitted(events.changed):
        dialog.reject()
    assert get_ladder() == before


def test_screenshot_of_the_ladder_tab(qtbot, db, now, tmp_path, monkeypatch) -> None:
    lead = add_lead("ada@example.com", now=now)
    record_commitment(lead.id, "downloaded", at=now, now=now)
    monkeypatch.setattr(ladder_dialog, "ask_new_step", lambda *a: ("Attended webinar", 3))
    monkeypatch.setattr(
        ladder_dialog, "choose_step", lambda p, t, x, labels: labels.index("Answered")
    )
    monkeypatch.setattr(ladder_dialog, "confirm", lambda *a: True)
    dialog = LadderDialog(AppEvents())
    qtbot.addWidget(dialog)
    dialog.show()
    select_step(dialog, "downloaded")
    dialog.remove_step()
    dialog.add_step()
    path = tmp_path / "ladder.png"
    assert dialog.grab().save(str(path))
    assert path.stat().st_size > 0


def test_the_lead_list_filtered_on_a_removed_step_shows_every_step_again(
    people, window, qtbot
) -> None:
    page = window.leads_page
    bar = page.filter_bar
    bar.step.setCurrentIndex(bar.step.findData("answered"))
    bar.step.activated.emit(bar.step.currentIndex())
    assert page.model.query.step == "answered" and page.model.rowCount() == 0
    dialog = LadderDialog(window.events)
    qtbot.addWidget(dialog)
    select_step(dialog, "answered")
    dialog.remove_step()  # no yes or ask uses it in this history: removed outright
    dialog.save()
    assert page.model.query.step is None and bar.step.currentData() is None
    assert page.model.rowCount() == len(people)
