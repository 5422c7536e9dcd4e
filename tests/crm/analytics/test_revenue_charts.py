"""The revenue charts and the report's revenue pages, on the book of test_revenue.py
(EUR 270.00 from a, b and g; USD 49.00 from c) and on a book with no sale."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from crm.analytics.charts import EMPTY_TEXT, build_chart, save_figure
from crm.analytics.funnel import CHART_KINDS, FunnelFilter, compute_funnel
from crm.analytics.report import report_pages, write_report
from crm.analytics.revenue import REVENUE_CHARTS
from crm.book.leads import add_lead
from crm.book.timeline import record_commitment
from crm.cli import main
from crm.errors import ValidationError
from tests.crm.analytics.test_charts import pdf_pages, png_size, svg_texts
from tests.crm.sales_helpers import at


@pytest.fixture(autouse=True)
def _only_funnel_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("crm.cli.COMMAND_MODULES", ("crm.cli.funnel",))


def svg_lines(path: Path) -> list[str]:
    return [el.text for el in ET.parse(path).getroot().iter() if el.text]


def test_revenue_by_first_offer_draws_each_offer_with_its_buyers(book, tmp_path) -> None:
    fig = build_chart("revenue-by-offer", compute_funnel())
    ax = fig.axes[0]
    assert fig.get_suptitle() == "Revenue by the free offer a lead took first, EUR"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Pricing guide", "Freebie", "Quiz", "Took no free offer"]
    widths = [p.get_width() for p in ax.patches]
    assert widths == [21000, 0, 0, 6000]  # minor units, drawn as whole euros on the axis
    texts = [t.get_text() for t in ax.texts]
    assert texts == [
        "€210.00 · 2 of 2 bought (100%)",
        "no buyer among 1",
        "no buyer among 1",
        "€60.00 · 1 of 3 bought (33%)",
    ]
    out = save_figure(fig, tmp_path / "offers.svg")
    text = svg_texts(out)
    assert "€270.00 net of refunds · n = 3 buyers · also sales in USD" in text
    assert "€20,000" in text or "€200" in text  # the axis reads in euros, not cents


def test_a_revenue_chart_picks_its_currency(book, db_path, tmp_path) -> None:
    out = tmp_path / "usd.svg"
    assert main(["--db", str(db_path), "chart", "revenue-by-offer", "--currency", "usd",
                 "-o", str(out)]) == 0  # fmt: skip
    lines = svg_lines(out)
    assert "Revenue by the free offer a lead took first, USD" in lines
    # a dollar sign is money, never the start of a formula
    assert "all time · $49.00 net of refunds · n = 1 buyers · also sales in EUR" in lines


def test_time_to_purchase_counts_first_time_buyers_per_bucket(book) -> None:
    fig = build_chart("time-to-purchase", compute_funnel())
    ax = fig.axes[0]
    assert [p.get_height() for p in ax.patches] == [1, 1, 1, 0, 0]  # g 0, b 3, a 10 days
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Under a day",
        "1–7 days",
        "8–30 days",
        "31–90 days",
        "91+ days",
    ]
    assert [t.get_text() for t in ax.texts][:3] == ["1 (33%)"] * 3
    assert "n = 3 first-time buyers · median 3.0 days" in ax.get_title(loc="left")


def test_a_period_without_first_purchases_says_why_the_chart_is_empty(book) -> None:
    funnel = compute_funnel(FunnelFilter(since=at("02-15", 0), until=at("03-15", 0)))
    # only a's second sale (03-01) is in view: a first bought in January
    ax = build_chart("time-to-purchase", funnel).axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == EMPTY_TEXT and "had bought before this period" in texts[1]


@pytest.mark.parametrize("kind", REVENUE_CHARTS)
def test_without_a_sale_the_revenue_charts_say_what_to_do(db, now, tmp_path, kind) -> None:
    lead = add_lead("a@example.com", now=now).id
    record_commitment(lead, "subscribed", at=now - dt.timedelta(days=3), now=now)
    out = save_figure(build_chart(kind, compute_funnel()), tmp_path / f"{kind}.svg")
    text = svg_texts(out)
    assert EMPTY_TEXT in text and "Import a sales export" in text
    filtered = build_chart(kind, compute_funnel(FunnelFilter(source="manual")))
    assert "widen them" in filtered.axes[0].texts[1].get_text()
    # A real currency with no sale in view draws the empty chart under its name.
    assert build_chart(kind, compute_funnel(), currency="GBP").get_suptitle().endswith(", GBP")


@pytest.mark.parametrize("kind", REVENUE_CHARTS)
def test_revenue_charts_export_as_png_svg_and_pdf(book, db_path, tmp_path, kind) -> None:
    base = ["--db", str(db_path), "chart", kind]
    assert main([*base, "-o", str(tmp_path / "c.png"), "--dpi", "100"]) == 0
    assert png_size(tmp_path / "c.png") == (800, 480)
    assert main([*base, "-o", str(tmp_path / "c.pdf"), "--theme", "dark"]) == 0
    assert pdf_pages(tmp_path / "c.pdf") == 1
    assert main([*base, "-o", str(tmp_path / "c.svg"), "--currency", "EUR"]) == 0
    assert "EUR" in svg_texts(tmp_path / "c.svg")


def test_a_currency_option_that_cannot_apply_is_refused(book, db_path, tmp_path, capsys) -> None:
    base = ["--db", str(db_path), "chart"]
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    assert main([*base, "funnel", "--currency", "EUR", "-o", str(tmp_path / "f.png")]) == 1
    assert "--currency picks the currency of a revenue chart" in capsys.readouterr().err
    assert (
        main([*base, "time-to-purchase", "--currency", "EURO", "-o", str(tmp_path / "t.png")]) == 1
    )
    err = capsys.readouterr().err
    assert "'EURO' is not an ISO 4217 currency code" in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())
    with pytest.raises(ValidationError, match="not a chart"):
        build_chart("revenue", compute_funnel())


def _page_titles(fig) -> list[str]:
    return [t.get_text() for sub in fig.subfigs for t in sub.texts] + [
        t.get_text() for t in fig.texts
    ]


def test_the_report_has_revenue_pages_per_currency(book, now, tmp_path) -> None:
    from matplotlib.table import Table

    funnel = compute_funnel()
    *pages, campaigns = report_pages(funnel, now)
    # the cover, five charts; per currency its charts page and its tables page; campaigns
    assert len(pages) == 1 + len(CHART_KINDS) + 2 * 2
    assert "Campaigns" in _page_titles(campaigns)
    cover = " ".join(t.get_text() for t in pages[0].texts)
    assert "Revenue, net of refunds: €270.00 from 3 buyers; $49.00 from 1 buyer." in cover
    eur, eur_tables, usd, _usd_tables = pages[-4:]
    assert "Revenue in EUR" in _page_titles(eur)
    assert (
        "€270.00 net of refunds from 4 purchases by 3 buyers; €38.57 per lead (7 leads in view)."
        in _page_titles(eur)
    )
    assert "Revenue in USD" in _page_titles(usd)
    assert [ax.get_figure(root=False).get_suptitle() for ax in eur.axes if ax.has_data()] == [
        "Revenue by the free offer a lead took first, EUR",
        "Days from a lead's first yes to its first purchase, EUR",
    ]
    titles = _page_titles(eur_tables)
    for title in (
        "Revenue by first free offer (EUR)",
        "Revenue by source (EUR)",
        "Yeses before a first purchase, top 10 (EUR)",
        "Days from first yes to first purchase (EUR)",
    ):
        assert title in titles
    firsts = [table.get_celld()[1, 0].get_text().get_text() for table in eur_tables.findobj(Table)]
    assert firsts == ["Pricing guide", "mailchimp", "Subscribed → Downloaded → Answered",
                      "Under a day"]  # fmt: skip
    assert pdf_pages(write_report(funnel, tmp_path / "r.pdf", made_at=now)) == len(pages) + 1


def test_a_report_without_sales_has_one_revenue_page_saying_so(db, now) -> None:
    lead = add_lead("a@example.com", now=now).id
    record_commitment(lead, "subscribed", at=now - dt.timedelta(days=3), now=now)
    *pages, _campaigns = report_pages(compute_funnel(), now)
    assert len(pages) == 1 + len(CHART_KINDS) + 1
    words = " ".join(_page_titles(pages[-1]))
    assert "Revenue" in words and "No sale is in view" in words


def test_long_revenue_tables_continue_on_the_next_page(db, now) -> None:
    """Forty sources of buyers: the source table runs over a page and goes on, every
    row once, each table ending above the footer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.table import Table

    from tests.crm.sales_helpers import sell

    for i in range(40):
        lead = add_lead(f"s{i}@example.com", source=f"source {i:02d}", now=now).id
        record_commitment(lead, "subscribed", at=at("01-01"), now=now)
        sell(lead, at("02-01"), 1000 + i, now=now)
    *pages, _campaigns = report_pages(compute_funnel(), now)
    tables = pages[1 + len(CHART_KINDS) + 1 :]
    assert len(tables) == 2
    sources: list[str] = []
    for fig in tables:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        footer = max(t.get_window_extent(renderer).y1 for t in fig.texts)
        for table in fig.findobj(Table):
            assert table.get_window_extent(renderer).y0 > footer
            cells = table.get_celld()
            if cells[0, 0].get_text().get_text() == "Source":
                sources += [
                    cells[r, 0].get_text().get_text() for r in sorted({r for r, _ in cells if r})
                ]
    assert sorted(sources) == [f"source {i:02d}" for i in range(40)]
    assert "Revenue by source (EUR) (continued)" in _page_titles(tables[1])
