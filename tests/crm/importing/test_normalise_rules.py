"""Normalising one record is pure: any cells give a record or a rejection, never an
error; blank cells give no values, so they never overwrite a stored lead; and a record
comes out the same whatever rows came before it (what lets a re-import trust a
fingerprint). No database needed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crm.importing.merge import LEAD_FIELDS, POLICIES, Attached, Rules, StoredLead, merge
from crm.importing.normalise import Record, Rejection, normalise
from crm.importing.plan import Plan
from crm.importing.platforms import detect_platform

NOW = "2026-06-15 12:00:00"
HEADER = ["email", "first name", "last name", "company", "phone", "notes", "status",
          "signup date", "unsubscribed at", "tags", "city"]  # fmt: skip
_DETECTION = detect_platform(HEADER, [], "auto")


def _plan(batch_tag: str = "") -> Plan:
    return Plan(_DETECTION, _DETECTION.mapping, {7: "dmy"}, now_text=NOW, batch_tag=batch_tag)


CELL = st.sampled_from(
    ["", " ", "ann@example.com", "ANN@Example.com ", "bo@", "Ann", "'=1+1", "subscribed",
     "unsubscribed", "no", "01/02/2023", "2023-02-01", "2099-01-01", "a, b", "x|y", "\t", "é"]
) | st.text(max_size=12)  # fmt: skip
ROW = st.lists(CELL, max_size=len(HEADER) + 2)
BLANK = st.sampled_from(["", " ", "  ", "\t"])


@given(ROW)
def test_any_cells_give_a_record_or_a_rejection(fields) -> None:
    result = normalise(_plan(), 1, fields)
    if isinstance(result, Rejection):
        assert result.reason
    else:
        assert isinstance(result, Record) and result.key and "@" in result.email


@given(st.lists(BLANK, min_size=len(HEADER) - 1, max_size=len(HEADER) - 1))
def test_blank_cells_give_no_values(blanks) -> None:
    record = normalise(_plan(), 1, ["ann@example.com", *blanks])
    assert isinstance(record, Record)
    assert record.values == {} and record.tags == []
    assert all(not text.strip() for text in record.custom.values())


@given(
    st.lists(BLANK, min_size=len(HEADER) - 1, max_size=len(HEADER) - 1),
    st.sampled_from(POLICIES),
    st.booleans(),
)
def test_blank_cells_never_overwrite_a_stored_lead(blanks, policy, late) -> None:
    record = normalise(_plan(), 1, ["ann@example.com", *blanks])
    assert isinstance(record, Record)
    lead = StoredLead("ann@example.com", 7, "ann@example.com", "Ann", "Lee", "Acme", "+1",
                      "note", "subscribed", '{"city": "Paris"}', 2, None, NOW, None)  # fmt: skip
    patch = merge(record, lead, Attached(), [], Rules(policy, 2, late))
    assert patch is None or (patch.fields == {} and patch.custom is None)
    assert all(getattr(lead, name) for name in LEAD_FIELDS)  # every field had a value


# Full rows whose tag cells share words and first letters: what a cache could confuse.
TAG_CELL = st.sampled_from(["", "a", "a, b", "A|b", "b", "VIP, a", "vip"])
FULL_ROW = st.tuples(
    st.sampled_from(["ann@example.com", "bo@example.com"]),
    st.lists(CELL, min_size=8, max_size=8),
    TAG_CELL,
    CELL,
).map(lambda parts: [parts[0], *parts[1], parts[2], parts[3]])


@given(st.lists(FULL_ROW | ROW, max_size=8), FULL_ROW | ROW, st.sampled_from(["", "Spring"]))
def test_a_record_comes_out_the_same_whatever_came_before(before, fields, tag) -> None:
    used = _plan(tag)
    for earlier in before:
        normalise(used, 1, earlier)
    assert normalise(used, 2, fields) == normalise(_plan(tag), 2, fields)
