"""Forget reaches what a campaign kept of the filter it was made from."""

from __future__ import annotations

import datetime as dt

from crm.asking.campaigns import create_campaign
from crm.book.filters import LeadFilter
from crm.book.leads import add_lead
from crm.book.timeline import record_commitment
from crm.safety.forget import forget_lead
from crm.store.models import database_proxy


def test_forget_scrubs_a_campaign_made_from_a_search_for_them(db, now, tmp_path) -> None:
    lead = add_lead("ada.lovelace@example.com", last_name="Lovelace", status="subscribed",
                    now=now)  # fmt: skip
    record_commitment(lead.id, "subscribed", at=now - dt.timedelta(days=30), now=now)
    made = create_campaign("downloaded", None, LeadFilter(search="ada.lovelace@example.com"),
                           platform="generic", target=tmp_path / "a.csv", now=now)  # fmt: skip
    assert made.asked == 1
    (audience,) = database_proxy.execute_sql("SELECT audience FROM campaign").fetchone()
    assert "ada.lovelace@example.com" in audience
    forget_lead(lead.id, now=now)
    (audience,) = database_proxy.execute_sql("SELECT audience FROM campaign").fetchone()
    assert "ada" not in audience.casefold() and "lovelace" not in audience.casefold()
