"""Keyset paging of the lead list: page after page gives exactly the full ordered list."""

from __future__ import annotations

import datetime as dt

import pytest

from crm.book.leads import LeadQuery, SortKey, add_lead, delete_lead, list_leads
from crm.book.timeline import record_commitment
from crm.errors import NotFoundError


@pytest.fixture
def crowd(db, now):
    """Leads with ties in every sort column and some without any yes (NULL last yes)."""
    firsts = ["Ann", "ann", "Bea", "", "Cy"]
    lasts = ["Smith", "smith", "", "Ode", "Ode"]
    companies = ["", "Acme", "acme", "Zed"]
    statuses = ["subscribed", "none", "pending", "unsubscribed"]
    for i in range(23):
        lead = add_lead(
            f"p{i:02d}@example.com",
            first_name=firsts[i % 5],
            last_name=lasts[i % 5],
            company=companies[i % 4],
            status=statuses[i % 4],
            source="manual" if i % 3 else "ghost",
            now=now - dt.timedelta(days=i % 6),
        )
        if i % 3:  # a third of the leads never said yes
            step = ["clicked", "subscribed", "downloaded"][i % 3]
            record_commitment(lead.id, step, at=now - dt.timedelta(hours=i % 7), now=now)


def _paged(query: LeadQuery, size: int) -> list[int]:
    ids: list[int] = []
    while True:
        page = list_leads(query, limit=size, after=ids[-1] if ids else None)
        ids += [r.id for r in page]
        if len(page) < size:
            return ids


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [False, True])
def test_pages_after_a_lead_join_up_to_the_whole_list(crowd, sort, descending):
    for filters in (
        LeadQuery(),
        LeadQuery(search="ode"),
        LeadQuery(status="subscribed"),
        LeadQuery(source="ghost"),
    ):
        query = LeadQuery(
            search=filters.search,
            status=filters.status,
            source=filters.source,
            sort=sort,
            descending=descending,
        )
        whole = [r.id for r in list_leads(query)]
        assert whole, query
        for size in (1, 4):
            assert _paged(query, size) == whole, (query, size)


def test_after_a_deleted_lead_is_refused(crowd):
    first = list_leads(LeadQuery(), limit=1)[0]
    delete_lead(first.id)
    with pytest.raises(NotFoundError):
        list_leads(LeadQuery(), limit=5, after=first.id)


@pytest.mark.parametrize("descending", [False, True])
def test_sorting_by_the_column_a_filter_pins_is_the_unfiltered_order(crowd, descending):
    for pinned, key in ((LeadQuery(status="pending"), SortKey.STATUS),
                        (LeadQuery(source="ghost"), SortKey.SOURCE)):  # fmt: skip
        everyone = list_leads(LeadQuery(sort=key, descending=descending))
        value = pinned.status or pinned.source
        expected = [r.id for r in everyone if value in (r.status, r.source)]
        query = LeadQuery(
            status=pinned.status, source=pinned.source, sort=key, descending=descending
        )
        assert [r.id for r in list_leads(query)] == expected
        assert expected == sorted(expected, reverse=descending)
