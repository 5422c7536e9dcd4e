"""Custom fields on the lead panel: what an import kept is shown, edited and saved, a field
is added by hand, and an emptied one removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from crm.book.leads import find_lead, get_lead, update_custom
from crm.importing.engine import import_csv

DATA = Path(__file__).resolve().parents[1] / "data" / "csv"


@pytest.fixture
def imported(window, now):
    """Mailchimp's subscribed and unsubscribed exports, imported as the owner would."""
    with window.events.publishing():
        import_csv(DATA / "mailchimp_subscribed.csv", now=now)
        import_csv(DATA / "mailchimp_unsubscribed.csv", now=now)
    return window


def show(window, email: str):
    lead = find_lead(email)
    assert window.leads_page.select_lead(lead.id)
    return window.leads_page.detail


def test_imported_fields_are_shown_on_the_lead(imported) -> None:
    detail = show(imported, "lena.hoffmann@example.org")
    edits = detail.custom_field_edits()
    assert edits["ZIP Code"].text() == "01067"  # the leading zero kept: text, not a number
    assert edits["Position"].text() == "Coach"
    imported.show()
    assert edits["ZIP Code"].isVisibleTo(imported)
    labels = [
        detail.custom_form.labelForField(e).text() for e in detail.custom_field_edits().values()
    ]
    assert "ZIP Code:" in labels
    detail = show(imported, "soren.weiss@example.com")
    reason = detail.custom_field_edits()["UNSUB_REASON"]
    assert reason.text() == "I no longer want to receive these emails"
    assert reason.accessibleName() == "Custom field UNSUB_REASON"


def test_a_field_is_edited_and_saved_and_an_emptied_one_removed(imported) -> None:
    detail = show(imported, "lena.hoffmann@example.org")
    edits = detail.custom_field_edits()
    assert not detail.save_button.isEnabled()
    edits["ZIP Code"].setText("01069")
    edits["ZIP Code"].textEdited.emit("01069")
    edits["MEMBER_RATING"].setText("")
    edits["MEMBER_RATING"].textEdited.emit("")
    assert detail.save_button.isEnabled()
    assert detail.changed_custom() == {"ZIP Code": "01069", "MEMBER_RATING": ""}
    detail.save_button.click()
    stored = get_lead(detail.lead_id).custom
    assert stored["ZIP Code"] == "01069" and "MEMBER_RATING" not in stored
    assert not detail.save_button.isEnabled()
    assert "MEMBER_RATING" not in detail.custom_field_edits()
    assert detail.custom_field_edits()["ZIP Code"].text() == "01069"


def test_revert_puts_the_stored_values_back(imported) -> None:
    detail = show(imported, "lena.hoffmann@example.org")
    edit = detail.custom_field_edits()["Position"]
    edit.setText("Trainer")
    edit.textEdited.emit("Trainer")
    detail.revert_button.click()
    assert detail.custom_field_edits()["Position"].text() == "Coach"
    assert get_lead(detail.lead_id).custom["Position"] == "Coach"


def test_an_unsaved_edit_survives_a_change_and_is_saved_when_moving_on(
    people, imported, now
) -> None:
    detail = show(imported, "lena.hoffmann@example.org")
    lena = detail.lead_id
    edit = detail.custom_field_edits()["Position"]
    edit.setText("Trainer")
    edit.textEdited.emit("Trainer")
    detail.add_tag("workshop")  # saved at once: the panel reloads, the typed value stays
    assert detail.custom_field_edits()["Position"].text() == "Trainer"
    with imported.events.publishing():  # another field changes elsewhere
        update_custom(lena, {"tier": "gold"}, now=now)
    edits = detail.custom_field_edits()
    assert edits["tier"].text() == "gold" and edits["Position"].text() == "Trainer"
    assert imported.leads_page.select_lead(people["ada"].id)  # moving on saves valid edits
    assert get_lead(lena).custom["Position"] == "Trainer"
    assert get_lead(lena).tags == ("workshop",)


def test_a_field_is_added_by_hand(people, window) -> None:
    detail = show(window, "ada@example.com")
    assert detail.custom_field_edits() == {}
    detail.new_field_name.setText("plan")
    detail.new_field_name.returnPressed.emit()
    detail.new_field_value.returnPressed.emit()  # no value yet: nothing stored
    assert get_lead(detail.lead_id).custom == {}
    assert window.statusBar().currentMessage() == (
        "Type a value for plan: a field without one is not kept."
    )
    detail.new_field_value.setText("pro")
    detail.new_field_value.returnPressed.emit()
    assert get_lead(detail.lead_id).custom == {"plan": "pro"}
    assert detail.custom_field_edits()["plan"].text() == "pro"
    assert detail.new_field_name.text() == "" and detail.new_field_value.text() == ""
    # the name of a field the lead has, in another case, changes that field
    detail.new_field_name.setText("PLAN")
    detail.new_field_value.setText("team")
    detail.new_field_value.returnPressed.emit()
    assert get_lead(detail.lead_id).custom == {"plan": "team"}


def test_the_book_fields_are_offered_when_adding_one(people, window, now) -> None:
    update_custom(people["ben"].id, {"ZIP": "10115"}, now=now)
    detail = show(window, "ada@example.com")
    assert detail.new_field_name.completer().model().stringList() == []  # read on demand
    QApplication.sendEvent(detail.new_field_name, QFocusEvent(QEvent.Type.FocusIn))
    assert detail.new_field_name.completer().model().stringList() == ["ZIP"]
