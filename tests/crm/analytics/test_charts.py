"""Exported charts and the report, checked for what the files are."""

from __future__ import annotations

import datetime as dt
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from crm.analytics.charts import DARK, LIGHT, build_chart, save_figure
from crm.analytics.funnel import CHART_KINDS, compute_funnel
from crm.analytics.report import write_report
from crm.book.leads import add_lead
from crm.book.offers import offer_id_for
from crm.book.timeline import record_commitment
from crm.cli import main
from crm.errors import ValidationError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TITLES = {
    "funnel": "How far leads climb",
    "asks": "How asks turned out, per step",
    "offers": "Which offers lead on to bigger steps",
    "cohorts": "Share of each month's new leads that reached each step",
    "velocity": "How long each step takes",
}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def pdf_pages(path: Path) -> int:
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))


def svg_texts(path: Path) -> str:
    root = ET.parse(path).getroot()  # raises if the SVG is not well-formed
    assert root.tag.endswith("svg")
    return " ".join(t for el in root.iter() for t in [el.text] if t)


@pytest.fixture
def small_history(db, now) -> None:
    day = dt.timedelta(days=1)
    for i, name in enumerate(["ada", "ben", "cy"]):
        lead = add_lead(f"{name}@example.com", now=now)
        record_commitment(lead.id, "subscribed", at=now - (40 - i) * day, now=now)
        record_commitment(
            lead.id, "downloaded", at=now - (30 - i) * day, now=now, offer="Pricing guide"
        )
        if i == 0:
            record_commitment(lead.id, "booked", at=now - 10 * day, now=now)


def run_cli(db_path: Path, *args: str) -> int:
    return main(["--db", str(db_path), *args])


@pytest.fixture(autouse=True)
def _only_funnel_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # These tests are about the funnel commands, whatever else the CLI registers.
    monkeypatch.setattr("crm.cli.COMMAND_MODULES", ("crm.cli.funnel",))


def test_png_export_has_the_signature_and_the_size_asked_for(
    small_history, db_path, tmp_path
) -> None:
    out = tmp_path / "funnel.png"
    assert run_cli(db_path, "chart", "funnel", "-o", str(out), "--dpi", "100") == 0
    assert png_size(out) == (800, 480)  # 8 x 4.8 inches at 100 dpi
    hi = tmp_path / "funnel-hi.png"
    assert run_cli(db_path, "chart", "funnel", "-o", str(hi), "--dpi", "200") == 0
    assert png_size(hi) == (1600, 960)


@pytest.mark.parametrize("kind", CHART_KINDS)
def test_every_chart_exports_as_svg_holding_its_title_and_the_period(
    small_history, db_path, tmp_path, kind
) -> None:
    out = tmp_path / f"{kind}.svg"
    assert run_cli(db_path, "chart", kind, "-o", str(out)) == 0
    text = svg_texts(out)
    assert TITLES[kind] in text
    assert "all time" in text


def test_pdf_chart_is_one_page(small_history, db_path, tmp_path) -> None:
    out = tmp_path / "asks.pdf"
    assert run_cli(db_path, "chart", "asks", "-o", str(out), "--since", "2026-01-01") == 0
    assert pdf_pages(out) == 1


def test_unknown_extension_is_a_one_line_error(small_history, db_path, tmp_path, capsys) -> None:
    assert run_cli(db_path, "chart", "funnel", "-o", str(tmp_path / "chart.jpg")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
    assert ".png, .svg or .pdf" in err
    assert not (tmp_path / "chart.jpg").exists()


def test_report_has_a_cover_and_a_page_per_chart(small_history, db_path, tmp_path) -> None:
    out = tmp_path / "report.pdf"
    assert run_cli(db_path, "report", "-o", str(out), "--tag", "") == 1  # empty tag refused
    assert run_cli(db_path, "report", "-o", str(out)) == 0
    # and one revenue page, saying no sale is in view, and the campaigns page
    assert pdf_pages(out) == 1 + len(CHART_KINDS) + 1 + 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]  # none left


def test_a_long_table_continues_on_another_page(db, now, tmp_path) -> None:
    # 20 monthly cohorts: more rows than fit under the cohort chart.
    for month in range(20):
        lead = add_lead(f"m{month}@example.com", now=now)
        at = dt.datetime(2024 + (month // 12), month % 12 + 1, 3, 9, 0)
        record_commitment(lead.id, "subscribed", at=at, now=now)
    funnel = compute_funnel()
    assert len(funnel.cohorts) == 20
    out = write_report(funnel, tmp_path / "r.pdf", made_at=now)
    # the cohorts go on; revenue; campaigns
    assert pdf_pages(out) == 1 + len(CHART_KINDS) + 1 + 1 + 1


def test_report_needs_a_pdf_name(db, now, tmp_path) -> None:
    with pytest.raises(ValidationError, match=r"\.pdf"):
        write_report(compute_funnel(), tmp_path / "r.png", made_at=now)


def test_empty_charts_say_there_is_no_data_yet(db, tmp_path) -> None:
    funnel = compute_funnel()
    for kind in CHART_KINDS:
        out = save_figure(build_chart(kind, funnel), tmp_path / f"{kind}.svg")
        assert "No data for this chart yet" in svg_texts(out)


def test_dark_theme_paints_a_dark_background(small_history) -> None:
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def corner(theme) -> tuple[int, int, int]:
        fig = build_chart("funnel", compute_funnel(), theme, size=(4, 3))
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return tuple(np.asarray(canvas.buffer_rgba())[2, 2][:3].tolist())

    def rgb(hex_color: str) -> tuple[int, int, int]:
        return tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))

    assert corner(DARK) == rgb(DARK.background)
    assert corner(LIGHT) == rgb(LIGHT.background)


def test_funnel_bars_name_their_step_for_click_through(small_history) -> None:
    fig = build_chart("funnel", compute_funnel())
    gids = [p.get_gid() for p in fig.axes[0].patches if p.get_gid()]
    assert gids == [
        f"step:{k}"
        for k in (
            "clicked",
            "subscribed",
            "downloaded",
            "answered",
            "replied",
            "booked",
            "purchased",
        )
    ]
    offers = build_chart("offers", compute_funnel())
    assert "offer:Pricing guide" in {p.get_gid() for p in offers.axes[0].patches}


def test_a_step_with_no_recorded_yes_reads_not_tracked_in_every_export(
    small_history, tmp_path
) -> None:
    # small_history records subscribes, downloads and one booking: no click, no answer.
    funnel = compute_funnel()
    fig = build_chart("funnel", funnel)
    bars = {p.get_gid(): p for p in fig.axes[0].patches if p.get_gid()}
    assert bars["step:clicked"].get_width() == 0 and not bars["step:clicked"].get_picker()
    assert bars["step:subscribed"].get_width() == 3 and bars["step:subscribed"].get_picker()
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert sum("not tracked" in t for t in texts) == 4  # clicked, answered, replied, purchased
    # subscribed is the first tracked step: no conversion; booked (1) is taken over
    # downloaded (3), across the untracked answered and replied.
    assert texts[:3] == ["3", "3  ·  100% of previous", "1  ·  33% of Downloaded"]

    out = save_figure(fig, tmp_path / "funnel.svg")
    assert "not tracked: no yes at this step is recorded" in svg_texts(out)
    cohorts = save_figure(build_chart("cohorts", funnel), tmp_path / "cohorts.svg")
    assert "Clicked (not tracked)" in svg_texts(cohorts)
    heat = build_chart("cohorts", funnel).axes[0]
    cells = [t.get_text() for t in heat.texts]
    assert cells[:3] == ["–", "100%", "100%"]  # the first cohort: clicked blank, not 100%


def test_offers_without_takers_stay_out_of_the_chart(small_history, now) -> None:
    offer_id_for("Unused quiz", now=now)
    fig = build_chart("offers", compute_funnel())
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Pricing guide"]


def test_importing_the_domain_does_not_import_matplotlib() -> None:
    code = (
        "import sys, crm.analytics.charts, crm.analytics.report, crm.analytics.funnel, "
        "crm.cli.funnel; "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_preload_brings_the_chart_modules_in_without_qt_or_pyplot() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from crm.analytics.charts import preload; preload(); "
        "print(' '.join(m for m in ('matplotlib.figure', 'matplotlib.backends.backend_agg', "
        "'matplotlib.pyplot', 'PySide6.QtCore') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    assert out == ["matplotlib.figure", "matplotlib.backends.backend_agg"]


LONG_TAG = "a very long tag name about the spring workshops and the autumn retreat 2026"


def test_a_long_filter_wraps_inside_a_narrow_chart(small_history, tmp_path) -> None:
    from crm.analytics.funnel import FunnelFilter
    from crm.book.leads import find_lead, tag_lead

    tag_lead(find_lead("ada@example.com").id, [LONG_TAG])
    funnel = compute_funnel(FunnelFilter(tag=LONG_TAG))
    out = save_figure(build_chart("funnel", funnel, size=(4.5, 4)), tmp_path / "f.svg")
    assert "n = 1 leads with a yes" in svg_texts(out)
    # Wrapped at the figure's edge: no one line of text holds the whole tag name.
    lines = [el.text for el in ET.parse(out).getroot().iter() if el.text]
    assert any(line.startswith("all time · tag a very long") for line in lines)
    assert not any(LONG_TAG in line for line in lines)


def test_the_report_footer_cuts_a_long_filter_short(small_history, now) -> None:
    from crm.analytics.charts import LIGHT as theme
    from crm.analytics.funnel import FunnelFilter
    from crm.analytics.report import _footer, _page
    from crm.book.leads import find_lead, tag_lead

    tag_lead(find_lead("ada@example.com").id, [LONG_TAG])
    fig = _page(theme)
    _footer(fig, compute_funnel(FunnelFilter(tag=LONG_TAG)), now, 2, theme)
    footer, page = (t.get_text() for t in fig.texts)
    assert "…" in footer and LONG_TAG not in footer and page == "page 2"


@pytest.mark.parametrize("dpi", [29, 601, 1200])
def test_a_resolution_out_of_range_is_refused_before_drawing(db, tmp_path, dpi) -> None:
    fig = build_chart("funnel", compute_funnel(), size=(4, 3))
    with pytest.raises(ValidationError, match="between 30 and 600 dpi"):
        save_figure(fig, tmp_path / "f.png", dpi=dpi)
    assert not (tmp_path / "f.png").exists()


def _monthly_book(now: dt.datetime, months: int, per_month: int = 8) -> None:
    """Sign-ups over ``months`` months, some of them climbing further."""
    from crm.store.models import database_proxy

    with database_proxy.atomic():
        for month in range(months):
            for i in range(per_month):
                lead = add_lead(f"m{month}-{i}@example.com", now=now)
                at = dt.datetime(2021 + month // 12, month % 12 + 1, 1 + i, 9, 0)
                record_commitment(lead.id, "subscribed", at=at, now=now)
                if i % 3 == 0:
                    record_commitment(
                        lead.id, "downloaded", at=at + dt.timedelta(days=3), now=now, offer="Guide"
                    )


def _drawn(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def test_report_tables_end_above_the_footer_and_hold_every_month(db, now) -> None:
    from matplotlib.table import Table

    from crm.analytics.report import report_pages

    _monthly_book(now, months=60)  # five years of sign-ups, 480 leads
    funnel = compute_funnel()
    assert len(funnel.cohorts) == 60
    months: list[str] = []
    pages = list(report_pages(funnel, now))
    for number, fig in enumerate(pages, start=1):
        renderer = _drawn(fig)
        foot = [t for t in fig.texts if t.get_text().startswith(("Smallyes funnel", "page "))]
        assert [t.get_text() for t in foot][-1] == f"page {number}"
        # The cover's definitions sit above its footer: tables end above both.
        above = max(
            t.get_window_extent(renderer).y1 for t in fig.texts if t.get_position()[1] < 0.1
        )
        for table in fig.findobj(Table):
            box = table.get_window_extent(renderer)
            assert box.y0 > above, f"page {number}: a table runs into the footer"
            assert box.y1 < fig.bbox.height
            cells = table.get_celld()
            if cells[0, 0].get_text().get_text() == "Month":
                rows = {r for r, _ in cells if r}
                months += [cells[r, 0].get_text().get_text() for r in sorted(rows)]
    assert months == [c.month for c in funnel.cohorts]


def test_the_cohort_chart_says_which_months_it_shows(db, now) -> None:
    _monthly_book(now, months=40, per_month=2)
    fig = build_chart("cohorts", compute_funnel())
    shown = [t.get_text().split()[0] for t in fig.axes[0].get_yticklabels()]
    assert len(shown) == 18 and shown[-1] == "2024-04"
    title = fig.get_suptitle()
    assert f"{shown[0]} to {shown[-1]}" in title
    assert "last 18 of 40 months with new leads" in fig.axes[0].get_title(loc="left")


def test_a_short_history_shows_every_month_under_the_usual_title(db, now) -> None:
    _monthly_book(now, months=12, per_month=2)
    fig = build_chart("cohorts", compute_funnel())
    assert len(fig.axes[0].get_yticklabels()) == 12
    assert fig.get_suptitle() == TITLES["cohorts"]


def test_a_long_paths_table_continues_after_the_cover(db, now) -> None:
    import dataclasses

    from matplotlib.table import Table

    from crm.analytics.funnel import PathRow
    from crm.analytics.report import report_pages

    _monthly_book(now, months=2)
    funnel = compute_funnel()
    paths = tuple(
        PathRow("booked", "Booked a call", f"s{i}", f"Step {i}", 1, 1 / 60) for i in range(60)
    )
    pages = list(report_pages(dataclasses.replace(funnel, paths=paths), now))
    assert len(pages) > 1 + len(CHART_KINDS)
    firsts: list[str] = []
    for fig in pages[:3]:
        renderer = _drawn(fig)
        above = max(
            t.get_window_extent(renderer).y1 for t in fig.texts if t.get_position()[1] < 0.1
        )
        for table in fig.findobj(Table):
            assert table.get_window_extent(renderer).y0 > above
            cells = table.get_celld()
            if cells[0, 0].get_text().get_text() == "Major step":
                firsts += [
                    cells[r, 1].get_text().get_text() for r in sorted({r for r, _ in cells if r})
                ]
    assert firsts == [f"Step {i}" for i in range(60)]


def test_no_words_on_the_cover_of_an_empty_report_overlap(db, now) -> None:
    """An empty book's cover said "No yeses in view yet" on top of the paths title."""
    from crm.analytics.report import report_pages

    cover = next(iter(report_pages(compute_funnel(), now)))
    renderer = _drawn(cover)
    from matplotlib.text import Text

    boxes = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in cover.findobj(Text)
        if t.get_visible() and t.get_text().strip()
    ]
    clashes = [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]
    assert not clashes, clashes


def _campaigns(now: dt.datetime, tmp_path: Path) -> list:
    from crm.asking.asks import list_asks, set_outcome
    from crm.asking.campaigns import create_campaign, list_campaigns
    from crm.book.filters import LeadFilter

    day = dt.timedelta(days=1)
    for i in range(6):
        lead = add_lead(f"c{i}@example.com", status="subscribed", now=now)
        record_commitment(lead.id, "subscribed", at=now - 60 * day, now=now)
    create_campaign(
        "downloaded",
        None,
        LeadFilter(),
        platform="kit",
        target=tmp_path / "a.csv",
        now=now - 5 * day,
    )
    for ask in list_asks()[:2]:
        set_outcome(ask.id, "accepted", at=now - 4 * day, now=now)
    return list_campaigns(now)


def test_the_campaigns_chart_shows_asked_and_yes_per_campaign(db, now, tmp_path) -> None:
    from crm.analytics.charts import build_campaigns_chart

    fig = build_campaigns_chart(_campaigns(now, tmp_path))
    assert fig.get_suptitle() == "Campaigns: asked, and said yes"
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1 · Invite to download a free off…"]
    assert "6 asked · 2 yes (33%)" in [t.get_text() for t in ax.texts]
    assert sorted(p.get_width() for p in ax.patches) == [2, 6]
    empty = build_campaigns_chart([], theme="dark")
    assert "No data for this chart yet" in [t.get_text() for t in empty.axes[0].texts]


def test_the_report_ends_with_the_campaigns_and_their_numbers(db, now, tmp_path) -> None:
    from matplotlib.table import Table

    from crm.analytics.report import report_pages

    campaigns = _campaigns(now, tmp_path)
    last = list(report_pages(compute_funnel(), now, campaigns=campaigns))[-1]
    assert last.subfigs and any(
        sf.get_suptitle() == "Campaigns: asked, and said yes" for sf in _subfigures(last)
    )
    [table] = last.findobj(Table)
    cells = table.get_celld()
    assert [cells[0, c].get_text().get_text() for c in range(9)][:4] == [
        "Campaign",
        "Made",
        "Asked",
        "Yes",
    ]
    assert [cells[1, c].get_text().get_text() for c in (2, 3, 7)] == ["6", "2", "33%"]
    # written to a file, the book's own campaigns are the last page
    out = write_report(compute_funnel(), tmp_path / "r.pdf", made_at=now)
    assert pdf_pages(out) == 1 + len(CHART_KINDS) + 1 + 1


def _subfigures(fig) -> list:
    found, todo = [], list(fig.subfigs)
    while todo:
        sf = todo.pop()
        found.append(sf)
        todo += list(sf.subfigs)
    return found
