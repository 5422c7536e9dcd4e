"""The import window for activity: an activity file nothing recognises mapped column by
column, the zone of times written without one, and form questions marked as showing
interest."""

from __future__ import annotations

from pathlib import Path

from crm.book.leads import add_lead, find_lead
from crm.book.sales import lead_sales
from crm.book.timeline import get_timeline
from crm.importing.activity.store import lead_topics
from crm.importing.mapping import Target
from ui.import_wizard import ImportWizard

ACTIVITY = Path(__file__).resolve().parents[1] / "data" / "activity"
ODD = ACTIVITY / "generic" / "odd-columns.csv"
FORM = ACTIVITY / "forms" / "Pricing interest (Responses) - Form Responses 1.csv"
QUESTION = "Which topic interests you more?"


def _run(qtbot, wizard: ImportWizard, button) -> None:
    with qtbot.waitSignal(wizard._runner.sig_finished, timeout=10_000):
        button.click()


def _targets(wizard: ImportWizard) -> list[str]:
    return [c.currentData() for c in wizard.target_combos]


def _pick(combo, data: str) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_odd_columns_are_mapped_as_activity_in_the_mapping_window(qtbot, db, clock, now) -> None:
    add_lead("ada@example.com", status="subscribed", now=now)
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.open_file(ODD)
    # the values say activity: proposed as such, with the columns found by their values
    assert wizard.kind_row.isVisible() and wizard.is_activity_mapping()
    assert wizard.mapping_box.isVisible()
    assert _targets(wizard) == ["email", "time", "action", "url", "ignore"]
    assert not wizard.policy_combo.isVisible() and not wizard.tag_edit.isVisible()
    combo = wizard.target_combos[4]  # "mailing"
    assert combo.findData(Target.FIRST_NAME.value) == -1  # only an activity file's fields
    _pick(combo, Target.CAMPAIGN.value)
    # the times have no zone: the window asks for it, the owner's by default
    assert wizard.activity_box.isVisible() and wizard.zone_combo.isVisible()
    assert wizard.zone_combo.currentIndex() == 0
    _pick(wizard.zone_combo, "Europe/Paris")

    _run(qtbot, wizard, wizard.dry_button)
    assert "Times had no zone: read as Europe/Paris." in wizard.dry_label.text()
    _run(qtbot, wizard, wizard.import_button)
    summary = wizard.summary_label.text()
    assert "(activity)" in summary and "Times had no zone: read as Europe/Paris." in summary
    (yes,) = [i for i in get_timeline(find_lead("ada@example.com").id) if i.kind == "commitment"]
    assert (yes.step, yes.at.isoformat()) == ("clicked", "2026-06-01T08:00:00")
    assert "June letter" in (yes.note or "")
    assert wizard.undo_button.isEnabled()


def test_the_owner_can_say_the_file_lists_people_instead(qtbot, db, clock) -> None:
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.open_file(ODD)
    wizard.kind_combo.setCurrentIndex(wizard.kind_combo.findData("people"))
    assert not wizard.is_activity_mapping()
    assert wizard.policy_combo.isVisible() and not wizard.activity_box.isVisible()
    assert wizard.target_combos[0].findData(Target.FIRST_NAME.value) >= 0
    assert wizard.target_combos[0].findData(Target.TIME.value) == -1
    assert wizard.options(dry_run=True).mapping == wizard.preview.mapping
    # a list of people is not offered as activity at all
    assert wizard.open_file(ACTIVITY.parent / "csv" / "ghost_members.csv")
    assert not wizard.kind_row.isVisible()


def test_a_form_asks_which_questions_show_interest(qtbot, db, clock, now) -> None:
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.open_file(FORM)
    assert not wizard.mapping_box.isVisible()  # a recognised export: nothing to map
    assert wizard.activity_box.isVisible()
    assert [c.text() for c in wizard.interest_checks] == [QUESTION, "Which formats do you like?"]
    assert wizard.zone_combo.isVisible()  # Google Forms writes local times
    wizard.interest_checks[0].setChecked(True)
    _run(qtbot, wizard, wizard.import_button)
    assert f"Answers to '{QUESTION}' are now topics" in wizard.summary_label.text()
    assert lead_topics(find_lead("ada@example.com").id) == ("pricing",)
    # opened again, the question shows as marked
    assert wizard.open_file(FORM)
    first = wizard.interest_checks[0]
    assert first.isChecked() and not first.isEnabled() and "marked already" in first.text()
    assert wizard.options(dry_run=True).interest == ()


def test_times_that_could_be_day_or_month_first_are_asked(
    qtbot, db, clock, now, tmp_path, monkeypatch
) -> None:
    from ui import import_wizard

    add_lead("ada@example.com", status="subscribed", now=now)
    path = tmp_path / "log.csv"
    path.write_text(
        "who,when,target\nada@example.com,03/04/2026 10:00,https://example.com/a\n",
        encoding="utf-8",
    )
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.open_file(path) and wizard.is_activity_mapping()
    assert wizard.dates_box.isVisible() and list(wizard.date_combos) == [1]
    errors: list[str] = []
    monkeypatch.setattr(import_wizard, "show_error", lambda _p, text: errors.append(text))
    wizard.import_button.click()  # not answered: refused before anything is read
    assert errors and "put the day or the month first" in errors[0]
    _pick(wizard.date_combos[1], "dmy")
    _pick(wizard.zone_combo, "UTC")
    _run(qtbot, wizard, wizard.import_button)
    (yes,) = [i for i in get_timeline(find_lead("ada@example.com").id) if i.kind == "commitment"]
    assert yes.at.isoformat() == "2026-04-03T10:00:00"


ORDERS = ACTIVITY / "generic" / "lemon-squeezy-orders.csv"
SALE_TARGETS = [Target.AMOUNT, Target.CURRENCY, Target.REFUNDED, Target.PRODUCT, Target.ORDER,
                Target.STARTS]  # fmt: skip


def test_a_shops_orders_are_mapped_with_their_money_columns(qtbot, db, clock) -> None:
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.open_file(ORDERS)
    # statuses, totals and currencies say a shop's orders: proposed as activity, each
    # column where a Lemon Squeezy export has it
    assert wizard.is_activity_mapping()
    assert _targets(wizard) == [
        "order", "email", "ignore", "action", "amount", "currency", "refunded", "time",
    ]  # fmt: skip
    assert "amount paid, its currency" in wizard.confirm_label.text()
    for combo in wizard.target_combos:
        assert all(combo.findData(t.value) >= 0 for t in SALE_TARGETS)
        assert combo.findData(Target.FIRST_NAME.value) == -1
    labels = [wizard.target_combos[2].itemText(i) for i in range(wizard.target_combos[2].count())]
    assert {"Amount paid", "Currency", "Amount refunded", "Product or event type",
            "Order or booking id", "Meeting time"} <= set(labels)  # fmt: skip
    _pick(wizard.target_combos[2], Target.PRODUCT.value)  # the buyer's name, as the product
    assert [c.target for c in wizard.options(dry_run=True).mapping or ()][2] is Target.PRODUCT

    _run(qtbot, wizard, wizard.import_button)
    summary = wizard.summary_label.text()
    assert "5 yeses (5 purchased)" in summary
    assert "revenue €1,318.99, £100.00, ¥5,000, $49.00" in summary  # by currency code
    assert "Skipped: failed 1, not paid 1, refunded 1." in summary
    products = {s.product for s in lead_sales(find_lead("ada@example.com").id)}
    assert products == {"Ada Lovelace"}


def test_amounts_without_a_currency_column_are_refused_in_the_window(
    qtbot, db, clock, monkeypatch
) -> None:
    from ui import import_wizard

    errors: list[str] = []
    monkeypatch.setattr(import_wizard, "show_error", lambda _p, text: errors.append(text))
    wizard = ImportWizard(clock=clock)
    qtbot.addWidget(wizard)
    wizard.show()
    assert wizard.open_file(ORDERS)
    _pick(wizard.target_combos[5], Target.IGNORE.value)  # the currency column
    with qtbot.waitSignal(wizard._runner.sig_failed, timeout=10_000):
        wizard.dry_button.click()
    assert errors == [
        "lemon-squeezy-orders.csv has amounts in column 'total' but no currency column: map "
        "the column that says each sale's currency (EUR, USD...)."
    ]
    assert wizard.stack.currentIndex() == wizard.PAGE_MAP  # back to the mapping to fix it
