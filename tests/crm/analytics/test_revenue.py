"""Revenue numbers on a small book whose answers are counted by hand below.

Offers: Pricing guide (guide), Quiz (quiz), Freebie (a product priced 0: free), Course
(a product), Strategy call (a call). Times are 09:00 in 2026 unless said.

    a  mailchimp, vip  subscribed 01-01, downloaded Pricing guide 01-03, answered Quiz
                       01-05, bought Course 01-11 for EUR 100.00, and 03-01 for EUR 50.00
                       of which 20.00 was refunded                       EUR 130.00
    b  mailchimp       subscribed 01-02, downloaded Pricing guide 01-04, bought 01-05 for
                       EUR 80.00                                         EUR 80.00
    c  substack        answered Quiz 01-06, downloaded Pricing guide 01-07, bought 02-10
                       for USD 49.00                                     USD 49.00
    d  substack, vip   subscribed 01-03, booked Strategy call 01-20, bought 02-01 for
                       EUR 300.00, wholly refunded (no yes left)          nothing
    e  manual          subscribed 01-05, downloaded Freebie 01-06        nothing
    f  manual          no yes at all                                     nothing
    g  website         bought 04-01 for EUR 60.00, nothing recorded before EUR 60.00

EUR: 270.00 from 4 purchases by 3 buyers (a, b, g); over 7 leads 38.57 a lead.
First free offers: a and b the Pricing guide, c the Quiz, e the Freebie; d (a call is
not free), f and g none. Days to a first purchase: a 10, b 3, g 0 (median 3); c 35 (USD).
"""

from __future__ import annotations

import json

import pytest

from crm.analytics.funnel import FunnelFilter, compute_funnel
from crm.analytics.revenue import BUCKETS, compute_revenue, revenue_tables, summary_lines
from crm.book.leads import add_lead
from crm.book.timeline import record_commitment
from crm.cli import main
from crm.errors import ValidationError
from tests.crm.sales_helpers import at, sell


def offers_of(rev) -> list[tuple[str | None, int, int, int]]:
    return [(o.offer, o.took, o.buyers, o.revenue) for o in rev.by_first_offer]


def test_totals_per_currency_never_added_together(book) -> None:
    revenue = compute_revenue()
    assert revenue.codes == ("EUR", "USD")  # the currency with the most purchases first
    eur, usd = revenue.currencies
    # a 100.00 + (50.00 - 20.00), b 80.00, g 60.00; d's wholly refunded 300.00 counts nothing
    assert (eur.total, eur.purchases, eur.buyers) == (27000, 4, 3)
    assert (usd.total, usd.purchases, usd.buyers) == (4900, 1, 1)
    assert eur.leads == usd.leads == 7
    assert eur.per_lead == 3857  # 270.00 / 7 = 38.571...
    assert usd.per_lead == 700


def test_by_first_free_offer(book) -> None:
    eur, usd = compute_revenue().currencies
    assert offers_of(eur) == [
        ("Pricing guide", 2, 2, 21000),  # a and b
        ("Freebie", 1, 0, 0),  # a product priced 0 is a free offer
        ("Quiz", 1, 0, 0),  # c took it first (a took the guide first), and paid in USD
        (None, 3, 1, 6000),  # d (a call is not free), f, g
    ]
    assert eur.by_first_offer[0].share == 1.0
    assert sum(o.revenue for o in eur.by_first_offer) == eur.total
    assert sum(o.took for o in eur.by_first_offer) == eur.leads
    assert offers_of(usd)[0] == ("Quiz", 1, 1, 4900)
    assert eur.best_offer().offer == "Pricing guide"


def test_by_source(book) -> None:
    eur, usd = compute_revenue().currencies
    got = [(s.source, s.leads, s.buyers, s.revenue) for s in eur.by_source]
    assert got == [
        ("mailchimp", 2, 2, 21000),
        ("website", 1, 1, 6000),
        ("manual", 2, 0, 0),
        ("substack", 2, 0, 0),  # d's sale was refunded whole
    ]
    assert (usd.by_source[0].source, usd.by_source[0].revenue) == ("substack", 4900)


def test_paths_before_the_first_purchase(book) -> None:
    eur, usd = compute_revenue().currencies
    paths = [(p.path, p.buyers, p.revenue) for p in eur.by_path]
    assert paths == [
        (("subscribed", "downloaded", "answered"), 1, 13000),  # a, both purchases
        (("subscribed", "downloaded"), 1, 8000),
        ((), 1, 6000),  # g bought before any yes was recorded
    ]
    assert eur.by_path[2].text == "No yes before it"
    assert eur.by_path[1].text == "Subscribed → Downloaded"
    assert [p.path for p in usd.by_path] == [("answered", "downloaded")]


def test_days_to_first_purchase(book) -> None:
    eur, usd = compute_revenue().currencies
    assert eur.median_days == pytest.approx(3.0)  # g 0, b 3, a 10
    assert [b.buyers for b in eur.distribution] == [1, 1, 1, 0, 0]
    assert [b.label for b in eur.distribution] == [label for label, _, _ in BUCKETS]
    assert usd.median_days == pytest.approx(35.0)
    assert [b.buyers for b in usd.distribution] == [0, 0, 0, 1, 0]


def test_a_refund_reduces_and_a_whole_refund_counts_nothing(db, now) -> None:
    lead = add_lead("r@example.com", now=now).id
    sell(lead, at("02-01"), 30000, refunded=30000, now=now)
    assert compute_revenue().empty  # no purchase, no buyer, no currency
    sell(lead, at("02-03"), 5000, refunded=1250, now=now)
    (eur,) = compute_revenue().currencies
    assert (eur.total, eur.purchases, eur.buyers) == (3750, 1, 1)
    # The first sale left nothing: the one that stands is the first purchase.
    assert eur.new_buyers == 1 and eur.by_path[0].path == ()


def test_the_source_and_tag_filters_pick_leads(book) -> None:
    vip = compute_revenue(FunnelFilter(tag="vip"))
    (eur,) = vip.currencies  # a's sales; d's was refunded whole
    assert (eur.total, eur.purchases, eur.buyers, eur.leads) == (13000, 2, 1, 2)
    assert eur.per_lead == 6500
    assert offers_of(eur) == [("Pricing guide", 1, 1, 13000), (None, 1, 0, 0)]
    substack = compute_revenue(FunnelFilter(source="substack"))
    assert substack.codes == ("USD",)
    assert [(s.source, s.leads) for s in substack.currencies[0].by_source] == [("substack", 2)]


def test_the_period_picks_sales_by_their_date(book) -> None:
    # 02-01 to 04-01 (exclusive): a's second sale and c's; g's falls on the excluded end.
    eur, usd = compute_revenue(FunnelFilter(since=at("02-01", 0), until=at("04-01", 0))).currencies
    assert (eur.total, eur.purchases, eur.buyers) == (3000, 1, 1)
    # a's first free offer is older than the period and still explains the sale.
    assert offers_of(eur)[0] == ("Pricing guide", 2, 1, 3000)
    # a first bought in January: no first purchase in the period, so no path, no days.
    assert eur.new_buyers == 0 and eur.by_path == () and eur.median_days is None
    assert [b.buyers for b in eur.distribution] == [0] * len(BUCKETS)
    assert (usd.total, usd.new_buyers, usd.median_days) == (4900, 1, pytest.approx(35.0))


def test_only_yeses_before_the_period_end_name_the_first_offer(book) -> None:
    (eur,) = compute_revenue(FunnelFilter(until=at("01-06", 0))).currencies
    assert (eur.total, eur.buyers) == (8000, 1)  # b's sale alone
    # c's Quiz and e's Freebie are dated 01-06, after the period.
    assert offers_of(eur) == [("Pricing guide", 2, 1, 8000), (None, 5, 0, 0)]


def test_a_zero_decimal_currency_stays_whole(db, now) -> None:
    lead = add_lead("y@example.com", now=now).id
    sell(lead, at("02-01"), 5000, "JPY", now=now)
    data = compute_revenue().to_json()
    assert data["JPY"]["total"] == "5000"
    assert data["JPY"]["revenue_per_lead"] == "5000"


def test_the_funnel_json_carries_revenue_per_currency(book) -> None:
    data = compute_funnel().to_json()
    assert list(data) == ["steps", "asks", "offers", "paths", "velocity", "cohorts", "revenue"]
    eur = data["revenue"]["EUR"]
    assert {
        "total",
        "buyers",
        "purchases",
        "revenue_per_lead",
        "by_first_offer",
        "by_source",
        "by_path",
        "days_to_first_purchase",
    } <= set(eur)
    assert (eur["total"], eur["buyers"], eur["purchases"]) == ("270.00", 3, 4)
    assert eur["revenue_per_lead"] == "38.57"
    assert eur["by_first_offer"][0] == {
        "offer": "Pricing guide",
        "took": 2,
        "buyers": 2,
        "revenue": "210.00",
        "share": 1.0,
    }
    assert eur["by_first_offer"][-1]["offer"] is None
    assert eur["by_source"][0] == {
        "source": "mailchimp",
        "leads": 2,
        "buyers": 2,
        "revenue": "210.00",
        "share": 1.0,
    }
    assert eur["by_path"][0] == {
        "path": ["subscribed", "downloaded", "answered"],
        "buyers": 1,
        "revenue": "130.00",
    }
    days = eur["days_to_first_purchase"]
    assert days["median"] == 3.0 and days["buyers"] == 3
    assert days["distribution"][0] == {
        "label": "Under a day",
        "from_days": 0,
        "to_days": 1,
        "buyers": 1,
        "share": 0.3333,
    }
    assert data["revenue"]["USD"]["total"] == "49.00"
    json.dumps(data)  # every value serialises


def test_an_empty_book_has_no_revenue(db) -> None:
    funnel = compute_funnel()
    assert funnel.revenue.empty and funnel.to_json()["revenue"] == {}
    assert funnel.revenue.of() is None


def test_a_currency_is_picked_by_its_code(book) -> None:
    revenue = compute_revenue()
    assert revenue.of().currency == "EUR"
    assert revenue.of("usd").currency == "USD"
    assert revenue.of("GBP") is None  # a real code without sales in view
    with pytest.raises(ValidationError, match="not an ISO 4217 currency code"):
        revenue.of("EURO")


def test_tables_and_sentences_read_as_a_person_would(book) -> None:
    eur = compute_revenue().of("EUR")
    offers, sources, paths, days = revenue_tables(eur)
    assert offers.rows[0] == ("Pricing guide", "2", "2", "100%", "€210.00")
    assert offers.rows[-1][0] == "Took no free offer"
    assert sources.columns == ("Source", "Leads", "Bought", "Share", "Revenue")
    assert paths.rows[0] == ("Subscribed → Downloaded → Answered", "1", "€130.00")
    assert days.rows[0] == ("Under a day", "1", "33%")
    lines = summary_lines(eur)
    assert lines[0] == (
        "€270.00 net of refunds from 4 purchases by 3 buyers; €38.57 per lead (7 leads in view)."
    )
    assert lines[1] == (
        "Leads whose first free offer was Pricing guide: 2 bought, €210.00, 100% of the 2 "
        "who took it."
    )
    assert lines[2].startswith("Median 3.0 days")


def test_cli_funnel_json_and_text_show_revenue(book, db_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("crm.cli.COMMAND_MODULES", ("crm.cli.funnel",))
    assert main(["--db", str(db_path), "funnel", "--json", "--tag", "vip"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["revenue"]["EUR"]["total"] == "130.00"
    assert "USD" not in data["revenue"]
    assert main(["--db", str(db_path), "funnel"]) == 0
    text = capsys.readouterr().out
    assert "Revenue in EUR" in text and "Revenue in USD" in text
    assert "€270.00 net of refunds" in text


@pytest.mark.parametrize(
    "flt",
    [
        FunnelFilter(),
        FunnelFilter(until=at("03-01", 0)),
        FunnelFilter(since=at("01-05", 0), until=at("04-02", 0)),
        FunnelFilter(tag="vip"),
        FunnelFilter(source="substack", until=at("05-01", 0)),
    ],
)
def test_the_funnel_reads_the_same_revenue_from_its_own_read_of_the_yeses(book, now, flt) -> None:
    # h took two free offers in the same second: the one recorded first is its first.
    lead = add_lead("h@example.com", source="mailchimp", now=now).id
    record_commitment(lead, "downloaded", at=at("01-08"), now=now, offer="Quiz")
    record_commitment(lead, "downloaded", at=at("01-08"), now=now, offer="Pricing guide")
    sell(lead, at("01-09"), 1000, now=now)
    assert compute_funnel(flt).revenue == compute_revenue(flt)
    if flt == FunnelFilter():
        eur = compute_revenue().of("EUR")
        assert offers_of(eur)[:2] == [("Pricing guide", 2, 2, 21000), ("Quiz", 2, 1, 1000)]


def test_a_purchase_logged_by_hand_names_no_free_offer(db, now) -> None:
    # The sale's offer, made by the purchase yes, has no kind: it is a purchase all the same.
    lead = add_lead("k@example.com", now=now).id
    sell(lead, at("02-01"), 4000, product="Coaching", now=now)
    (eur,) = compute_revenue().currencies
    assert offers_of(eur) == [(None, 1, 1, 4000)]
