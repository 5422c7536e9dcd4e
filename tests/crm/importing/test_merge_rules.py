"""The merge rules hold for every stored lead and every record: no database needed.

Suppression wins over any incoming status, a blank never overwrites, the earliest
sign-up is kept whatever order the rows come in, ``fill`` fills blanks only, and merging
a record a second time changes nothing.
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from crm.book.leads import SUPPRESSED, LeadStatus
from crm.importing.merge import (
    LEAD_FIELDS,
    POLICIES,
    Attached,
    Patch,
    Rules,
    StoredLead,
    applied,
    custom_json,
    merge,
    merge_duplicate,
    parse_custom,
)
from crm.importing.normalise import SEVERITY, Record
from crm.importing.plan import Plan
from crm.importing.platforms import detect_platform

NOW = "2026-06-15 12:00:00"
STEP_LEVEL = 2
STATUSES = [s for s in LeadStatus if s is not LeadStatus.ERASED]
SUPPRESSING = [s for s in STATUSES if s in SUPPRESSED]
_SIGNUPS = detect_platform(["email", "signup date"], [], "auto")
PLAN = Plan(_SIGNUPS, _SIGNUPS.mapping, {}, now_text=NOW)
DATES = st.sampled_from(
    ["2019-05-01 08:00:00", "2021-01-01 00:00:00", "2023-07-14 12:30:00", "2025-12-31 23:59:59"]
)
TEXT = st.sampled_from(["Ann", "Bo", "Acme", "+33 6 12", "x", "Ann Lee", "  padded "])
BLANK = st.sampled_from(["", " ", "  ", "\t", " \n "])
CUSTOM_NAMES = st.sampled_from(["city", "rating", "plan", "status_raw", "signup date"])


def _record(
    values: dict[str, str],
    custom: dict[str, str],
    status: LeadStatus,
    consent_at: str | None,
    status_at: str | None = None,
    tags: list[str] | None = None,
) -> Record:
    return Record(
        row=1,
        key="ann@example.com",
        email="ann@example.com",
        values=values,
        tags=tags or [],
        status=status,
        status_raw=status.value,
        status_at=status_at if status in SUPPRESSED else None,
        consent_at=consent_at,
        custom=custom,
        warnings=[],
        fp=42,
    )


@st.composite
def records(draw: st.DrawFn, blank: bool = False) -> Record:
    """Normalised records: values are never blank (normalising drops blank cells); custom
    fields may hold spaces only, as a cell of spaces is kept as text. ``blank``: every
    value and custom field is blank; a custom field is then spaces, never empty (an empty
    custom text is no cell but a merged duplicate's status word, see
    crm.importing.merge.takes_custom). No other addresses: those already the lead's are
    dropped before merging (crm.importing.others)."""
    names = draw(st.lists(st.sampled_from(LEAD_FIELDS), unique=True))
    values = {name: draw(BLANK if blank else TEXT) for name in names}
    custom = draw(st.dictionaries(CUSTOM_NAMES, BLANK.filter(bool) if blank else TEXT | BLANK))
    return _record(
        values,
        custom,
        draw(st.sampled_from(STATUSES)),
        draw(st.none() | DATES),
        draw(st.none() | DATES),
        draw(st.lists(st.sampled_from(["a", "b", "VIP"]), max_size=3)),
    )


@st.composite
def leads(draw: st.DrawFn, status: st.SearchStrategy[LeadStatus] | None = None) -> StoredLead:
    field_values = [draw(st.sampled_from(["", "Ann", "Bo", "Zed", " "])) for _ in LEAD_FIELDS]
    custom = draw(st.dictionaries(CUSTOM_NAMES, st.sampled_from(["", " ", "Paris", "5", "x"])))
    return StoredLead(
        "ann@example.com",
        7,
        "ann@example.com",
        *field_values,
        draw(status if status is not None else st.sampled_from(STATUSES)).value,
        custom_json(custom),
        draw(st.sampled_from([0, 2, 5])),
        draw(st.none() | DATES),
        "2024-01-01 00:00:00",
        None,
    )


@st.composite
def attached(draw: st.DrawFn) -> Attached:
    return Attached(
        frozenset(draw(st.lists(st.sampled_from([1, 2, 3])))),
        frozenset(draw(st.lists(DATES, max_size=2))),
        draw(st.none() | DATES),
    )


RULES = st.builds(Rules, st.sampled_from(POLICIES), st.just(STEP_LEVEL), st.booleans())
TAG_IDS = {"a": 1, "b": 2, "VIP": 3}


def _merge(record: Record, lead: StoredLead, have: Attached, rules: Rules) -> Patch | None:
    return merge(record, lead, have, [TAG_IDS[t] for t in record.tags], rules)


def _status_after(lead: StoredLead, patch: Patch | None) -> LeadStatus:
    return LeadStatus(lead.status) if patch is None or patch.status is None else patch.status[1]


def _stored(lead: StoredLead, have: Attached, patch: Patch) -> tuple[StoredLead, Attached]:
    """The lead and what is attached to it once the writer stored the patch."""
    since = have.status_since
    if patch.status is not None:
        at = patch.status_at or NOW
        since = max(since, at) if since else at
    signups = have.signups | ({patch.signup_at} if patch.signup_at else set())
    return applied(lead, patch, NOW), Attached(have.tags | set(patch.tags), signups, since)


@given(records(), leads(), attached(), RULES)
def test_an_incoming_suppression_always_suppresses(record, lead, have, rules) -> None:
    record.status = LeadStatus.BOUNCED if record.status not in SUPPRESSED else record.status
    after = _status_after(lead, _merge(record, lead, have, rules))
    assert after in SUPPRESSED


@given(records(), leads(st.sampled_from(SUPPRESSING)), attached(), RULES)
def test_suppression_wins_unless_a_newer_sign_up_lifts_it(record, lead, have, rules) -> None:
    after = _status_after(lead, _merge(record, lead, have, rules))
    lifted = (
        record.status not in SUPPRESSED
        and record.status is not LeadStatus.NONE
        and rules.policy != "skip"
        and not rules.late
        and record.consent_at is not None
        and have.status_since is not None
        and record.consent_at > have.status_since
    )
    if lifted:
        assert after is record.status
    else:
        assert after in SUPPRESSED
        # a stronger suppression may replace a weaker one, never the other way
        assert SEVERITY[after] >= SEVERITY[LeadStatus(lead.status)]


@given(records(blank=True), leads(), attached(), RULES)
def test_a_blank_never_overwrites_under_any_policy(record, lead, have, rules) -> None:
    patch = _merge(record, lead, have, rules)
    if patch is None:
        return
    assert not set(patch.fields) & set(record.values)
    if patch.custom is not None:
        before, after = parse_custom(lead.custom), parse_custom(patch.custom)
        for name in record.custom:
            assert after.get(name) == before.get(name)


@given(records(), leads(), attached(), RULES)
def test_fill_only_fills_blanks(record, lead, have, rules) -> None:
    rules = Rules("fill", rules.step_level, rules.late)
    patch = _merge(record, lead, have, rules)
    if patch is None:
        return
    for name in patch.fields:
        assert getattr(lead, name) == ""
    if patch.custom is not None:
        before, after = parse_custom(lead.custom), parse_custom(patch.custom)
        for name, value in after.items():
            if before.get(name) != value:
                assert not str(before.get(name) or "").strip()


@given(records(), leads(), attached(), RULES)
def test_merging_the_same_record_twice_changes_nothing_the_second_time(
    record, lead, have, rules
) -> None:
    patch = _merge(record, lead, have, rules)
    if patch is not None:
        lead, have = _stored(lead, have, patch)
    assert _merge(record, lead, have, rules) is None


@given(st.lists(DATES, min_size=1, max_size=6).flatmap(st.permutations))
def test_the_earliest_sign_up_in_a_file_is_kept_whatever_the_order(dates) -> None:
    def row(at: str) -> Record:
        return _record({}, {}, LeadStatus.SUBSCRIBED, at)

    # duplicates within one chunk fold into the first row
    first = row(dates[0])
    for at in dates[1:]:
        merge_duplicate(PLAN, first, row(at))
    assert first.consent_at == min(dates)
    # duplicates in later chunks merge into the lead the first row made
    lead = StoredLead("ann@example.com", 7, "ann@example.com", "", "", "", "", "", "subscribed",
                      "{}", STEP_LEVEL, dates[0], NOW, None)  # fmt: skip
    have = Attached(signups=frozenset({dates[0]}))
    late = Rules("fill", STEP_LEVEL, late=True)
    for at in dates[1:]:
        patch = merge(row(at), lead, have, [], late)
        if patch is not None:
            lead, have = _stored(lead, have, patch)
    assert min(have.signups) == min(dates)


def test_the_rules_are_what_the_tests_say() -> None:
    """A hand-made case of each rule, so a broken strategy cannot make them all vacuous."""
    lead = StoredLead("a@x.org", 1, "a@x.org", "", "Lee", "", "", "", "unsubscribed",
                      json.dumps({"city": "Paris", "plan": " "}), 2, None, NOW, None)  # fmt: skip
    have = Attached(status_since="2024-01-01 00:00:00")
    record = _record({"first_name": "Ann", "last_name": "Ng"}, {"city": "Rome", "plan": "pro"},
                     LeadStatus.SUBSCRIBED, "2023-01-01 00:00:00")  # fmt: skip
    patch = merge(record, lead, have, [], Rules("fill", 2))
    assert patch is not None
    assert patch.fields == {"first_name": "Ann"} and patch.status is None
    assert parse_custom(patch.custom or "{}") == {"city": "Paris", "plan": "pro"}
    record.consent_at = "2025-01-01 00:00:00"  # newer than the unsubscribe: lifts it
    patch = merge(record, lead, have, [], Rules("overwrite", 2))
    assert patch is not None and patch.status == (LeadStatus.UNSUBSCRIBED, LeadStatus.SUBSCRIBED)
    assert patch.fields == {"first_name": "Ann", "last_name": "Ng"}
    assert patch.signup_at == "2025-01-01 00:00:00"
