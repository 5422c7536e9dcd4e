"""Imported custom fields are stored as compact JSON, and every reader of ``lead.custom``
reads the same values as from the spaced JSON stored before."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from crm.book.custom_fields import custom_field_names
from crm.book.exporting import iter_export_rows
from crm.book.leads import FieldFilter, LeadQuery, list_leads
from crm.importing import ImportOptions, import_csv
from crm.importing.merge import COMPACT, custom_json
from crm.store.models import database_proxy
from tests.crm.importing.conftest import DATA


@given(st.dictionaries(st.text(), st.text()))
def test_custom_json_is_json_dumps_compact(values: dict[str, str]) -> None:
    assert custom_json(values) == json.dumps(values, ensure_ascii=False, separators=COMPACT)


def _readers() -> tuple[object, ...]:
    """What every reader of lead.custom makes of the book's custom fields."""
    leads = list_leads(LeadQuery(), limit=None)
    filtered = [
        [lead.id for lead in list_leads(LeadQuery(fields=(f,)), limit=None)]
        for f in (
            FieldFilter("MEMBER_RATING", "equals", "5"),
            FieldFilter("MEMBER_RATING", "above", "2"),
            FieldFilter("REGION", "contains", "e"),
            FieldFilter("TIMEZONE", "empty"),
            FieldFilter("status_raw", "equals", "subscribed"),
        )
    ]
    return (
        [(lead.id, lead.custom) for lead in leads],
        filtered,
        custom_field_names(),
        list(iter_export_rows()),
    )


def test_readers_read_the_same_values_as_from_spaced_json(db, now) -> None:
    report = import_csv(DATA / "mailchimp_subscribed.csv", ImportOptions(), now=now)
    assert report.created > 0
    stored = database_proxy.execute_sql("SELECT id, custom FROM lead").fetchall()
    assert any(text != "{}" for _, text in stored)
    for _, text in stored:
        assert text == json.dumps(json.loads(text), ensure_ascii=False, separators=COMPACT)
    compact = _readers()
    with database_proxy.atomic():
        for lead_id, text in stored:
            spaced = json.dumps(json.loads(text), ensure_ascii=False)
            database_proxy.execute_sql("UPDATE lead SET custom = ? WHERE id = ?", (spaced, lead_id))
    assert _readers() == compact


def test_a_re_import_over_spaced_json_changes_nothing(db, now) -> None:
    """A book imported before keeps its spaced JSON: the same file again finds every lead
    unchanged (values are compared, not the text)."""
    path = DATA / "mailchimp_subscribed.csv"
    first = import_csv(path, ImportOptions(), now=now)
    with database_proxy.atomic():
        for lead_id, text in database_proxy.execute_sql("SELECT id, custom FROM lead").fetchall():
            spaced = json.dumps(json.loads(text), ensure_ascii=False)
            database_proxy.execute_sql(
                "UPDATE lead SET custom = ?, import_fp = NULL WHERE id = ?", (spaced, lead_id)
            )
    again = import_csv(path, ImportOptions(), now=now)
    assert again.updated == 0
    assert again.unchanged == first.created
