"""Charts (kb.plots) and graph pictures (kb.viz) on both engines, and their CLI commands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from kb.analysis import plots, viz
from kb.errors import KBError
from kb.subgraph import COLORS, EDGE_STYLES, mentioned, subgraph
from tests.engines import HANG
from tests.test_queries import records

ROOT = Path(__file__).resolve().parent.parent
KB_CMD = [sys.executable, "-m", "kb"]  # the kb of the interpreter running the tests


def _texts(fig) -> str:
    return " ".join(t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text")))


def _bars(patches: Iterable[Patch]) -> list[Rectangle]:
    """The patches of a bar chart, each a Rectangle (any other shape fails the test)."""
    bars = list(patches)
    assert all(isinstance(p, Rectangle) for p in bars), bars
    return [p for p in bars if isinstance(p, Rectangle)]


def _points(line: Line2D) -> list[tuple[float, float]]:
    """The (x, y) points a line draws."""
    xs = np.asarray(line.get_xdata(), dtype=float).tolist()
    ys = np.asarray(line.get_ydata(), dtype=float).tolist()
    return list(zip(xs, ys, strict=True))


# --------------------------------------------------------------------------- charts


def test_summarise_sources_folds_editions():
    titles = [f"Mineral Commodity Summaries {y}: Rare Earths" for y in (2014, 2012, 2013, 2012)] + ["World Outlook"]
    assert plots.summarise_sources(titles) == "Mineral Commodity Summaries 2012–2014: Rare Earths (3 editions); World Outlook"
    assert plots.summarise_sources(["Report 2020"]) == "Report 2020"


def test_production_shares(loaded_kb, tmp_path):
    table = {t.year: t for t in plots.share_table(loaded_kb, "mining", 2010, 2024)}
    assert sorted(table) == sorted({p.year for p in records()["Production"] if p.stage == "mining" and 2010 <= p.year <= 2024})
    assert all(sum(t.shares.values()) + (t.other or 0) + t.missing == pytest.approx(1.0, abs=0.002)
               for t in table.values())
    assert table[2012].shares["China"] > 0.5
    # MCS 2014 itemises only China in the data: the rest of the world total is missing, not "other countries"
    assert table[2012].other is None and table[2012].missing == pytest.approx(1 - table[2012].shares["China"], abs=0.001)
    # MCS 2026 is in the data whole: the remainder is its published "Other countries" (and rounding)
    latest, mcs2014 = table[2024], table[2012]
    assert latest.other is not None and latest.coverage is not None and mcs2014.coverage is not None
    assert latest.whole_table and latest.missing == 0.0 and 0 < latest.other < 0.02
    assert latest.coverage > 0.95 > mcs2014.coverage
    assert "China" in table[2024].estimated and not table[2023].estimated
    fig = plots.production_shares(loaded_kb, stage="mining", start=2010, end=2024)
    text = _texts(fig)
    assert "2010–2024" in text and "China" in text and "Mineral Commodity Summaries" in text
    assert "Sources: USGS, Mineral Commodity Summaries" in text
    assert "Not in the data" in text and "Other countries" in text and "2024e" in text and "2023e" not in text
    hatched = _bars(p for p in fig.axes[0].patches if p.get_hatch())
    assert len(hatched) == len(table)
    # one "Not in the data" bar a year, as tall as the share of the world total the edition leaves out
    assert {round(p.get_x() + p.get_width() / 2): round(p.get_height(), 3) for p in hatched} == \
        {y: round(100 * t.missing, 3) for y, t in table.items()}
    assert table[2024].missing == 0 and table[2012].missing > 0.01
    assert "2012–2016" in _texts(plots.production_shares(loaded_kb, start=2012, end=2016))  # the title follows --from/--to
    png, svg = tmp_path / "shares.png", tmp_path / "shares.svg"
    plots.save(fig, png)
    plots.save(fig, svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    body = svg.read_text(encoding="utf-8")
    assert "<svg" in body[:2000] and "<text" in body and "Not in the data" in body  # text stays text


def test_concentration(loaded_kb, tmp_path):
    rows = plots.concentration_table(loaded_kb)
    assert rows and all(0 < r["hhi"] <= 10_000 for r in rows)
    stages = {r["stage"] for r in rows}
    assert "mining" in stages
    mining = {r["year"]: r for r in rows if r["stage"] == "mining"}
    assert mining[2012]["lower_bound"] and mining[2017]["lower_bound"]
    assert not mining[2019]["lower_bound"]  # the Minerals Yearbook 2022 table itemises every country
    assert not mining[2024]["lower_bound"] and not mining[2010]["lower_bound"]
    fig = plots.concentration(loaded_kb)
    text = _texts(fig)
    assert "Mine production" in text and "Sources: USGS" in text and "highly concentrated" in text
    assert "lower bound" in text
    for other in stages - {"mining"}:
        assert plots.STAGE_WORDS[other].capitalize() in text
    # both charts cover the same years by default
    assert "2010–2025" in text and "2010–2025" in _texts(plots.production_shares(loaded_kb))
    assert "2012–2016" in _texts(plots.concentration(loaded_kb, start=2012, end=2016))
    plots.save(fig, tmp_path / "hhi.png")
    assert (tmp_path / "hhi.png").stat().st_size > 20_000


def test_prices(loaded_kb, tmp_path):
    table = plots.price_table(loaded_kb, ["Dy", "terbium"])
    assert {r["series"] for r in table} == {"dysprosium oxide", "terbium oxide"}
    want = {(r["series"], r["year"]): r["usd_per_kg"] for r in _dicts(loaded_kb.ask("prices", {"symbol": "Tb"}))}
    assert {(r["series"], r["year"]): r["usd_per_kg"] for r in table if r["series"] == "terbium oxide"} == want
    fig = plots.prices(loaded_kb, ["Dy", "Tb"], log=True)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    drawn = {(round(x), y) for line in ax.get_lines() for x, y in _points(line)}
    assert {(y, v) for (s, y), v in want.items()} <= drawn  # every published figure is a point on the chart
    text = _texts(fig)
    assert "Source" in text and "USGS, Mineral Commodity Summaries" in text and "terbium oxide" in text
    est = [r["year"] for r in table if r.get("estimated")]
    assert est and f"{max(est)}e" in text  # estimated years marked
    hollow = [line for line in ax.get_lines() if line.get_markerfacecolor() == "white" and _points(line)]
    assert {round(x) for line in hollow for x, _ in _points(line)} == set(est)
    assert plots.prices(loaded_kb, ["Dy"]).axes[0].get_yscale() == "linear"
    assert "2021–2023" in _texts(plots.prices(loaded_kb, ["Nd"], 2021, 2023))  # the title follows --from/--to
    svg = tmp_path / "prices.svg"
    plots.save(fig, svg)
    body = svg.read_text(encoding="utf-8")
    assert "<text" in body and "terbium oxide" in body  # text stays text
    with pytest.raises(KBError, match="no prices"):
        plots.prices(loaded_kb, ["Dy"], 1950, 1960)
    with pytest.raises(KBError, match="after"):
        plots.prices(loaded_kb, None, 2024, 2020)


def test_dependence_without_trade_says_how_to_import(loaded_kb):
    with pytest.raises(KBError, match=r"no trade figures for JPN in 2023 \(import some: `kb import comtrade.*"
                                      r"the KB has HS 850511: 2022, 2024\)"):
        plots.dependence(loaded_kb, "JPN", 2023)


@pytest.mark.slow
def test_dependence_after_a_trade_import(empty_kb, tmp_path):
    from kb.loaders.trade import comtrade

    empty_kb.load()
    comtrade([ROOT / "tests" / "fixtures" / "trade" / "comtrade-sample.csv"]).write(empty_kb.backend)
    rows = _dicts(empty_kb.ask("import_dependence", {"importer": "JPN", "year": 2022}))
    assert rows and any(r["restricted"] for r in rows) and not all(r["restricted"] for r in rows)
    fig = plots.dependence(empty_kb, "Japan", 2022)
    ax = fig.axes[0]
    bars = {label.get_text(): patch for label, patch in zip(ax.get_yticklabels(), _bars(ax.patches), strict=True)}
    assert len(bars) == len(rows)
    for r in rows:
        bar = bars[f"{r['partner']} ({r['iso3']})"]
        assert bar.get_width() == pytest.approx(100 * r["value_share"])
        assert bool(bar.get_hatch()) == r["restricted"]  # restricted partners marked
    text = _texts(fig)
    assert "Japan" in text and "2022" in text and "export restriction in force" in text
    assert "UN Comtrade" in text and f"{rows[0]['hhi']:,.0f}" in text
    plots.save(fig, tmp_path / "dep.png")
    assert (tmp_path / "dep.png").stat().st_size > 20_000


def _dicts(rows):
    return [r.model_dump() if hasattr(r, "model_dump") else dict(r) for r in rows]


def test_chart_mistakes_are_kb_errors(loaded_kb, tmp_path):
    with pytest.raises(KBError, match="unknown stage"):
        plots.production_shares(loaded_kb, stage="smelting")
    with pytest.raises(KBError, match="after"):
        plots.production_shares(loaded_kb, start=2020, end=2010)
    with pytest.raises(KBError, match="no mining production figures"):
        plots.production_shares(loaded_kb, start=1950, end=1951)
    fig = plots.production_shares(loaded_kb, start=2020, end=2021)
    with pytest.raises(KBError, match=".png"):
        plots.save(fig, tmp_path / "chart.txt")


# --------------------------------------------------------------------------- graph pictures


def test_mentioned_names_fold_case_and_accents():
    got = mentioned([{"country": "Türkiye", "elements": ["Nd", "Dy"], "n": 3, "x": "y"}], {"iso3": "JPN"})
    assert {"türkiye", "turkiye", "nd", "dy", "jpn"} <= set(got)
    assert "y" not in got  # one letter names nothing


def test_subgraph_of_element_uses(loaded_kb):
    g = subgraph(loaded_kb, "element_uses", {"symbol": "Nd"})
    ids = {n["id"] for n in g.nodes}
    assert "Element|Nd" in ids
    assert {"Use", "Technology"} <= set(g.labels) and "Source" not in g.labels
    assert any(e["type"] == "USED_IN" and e["start"] == "Element|Nd" for e in g.relationships)
    assert all(e["start"] in ids and e["end"] in ids for e in g.relationships)
    with_sources = subgraph(loaded_kb, "element_uses", {"symbol": "Nd"}, include_sources=True)
    assert "Source" in with_sources.labels
    assert any(e["type"] == "SOURCED_FROM" for e in with_sources.relationships)


def test_subgraph_of_disputes(loaded_kb):
    g = subgraph(loaded_kb, "disputes", {"iso3": "JPN"})
    assert {"Dispute|DS433", "Country|JPN", "Country|CHN"} <= {n["id"] for n in g.nodes}
    assert {"start": "Country|JPN", "end": "Dispute|DS433", "type": "COMPLAINANT_IN"} in g.relationships


def test_render_writes_one_offline_page(loaded_kb, tmp_path):
    out = viz.render(loaded_kb, "element_uses", {"symbol": "Nd"}, tmp_path / "nd.html")
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(?:src|href)\s*=\s*["']https?://""", html, re.I)  # nothing fetched from the network
    assert "<script src=" not in html and 'rel="stylesheet"' not in html
    assert "vis.Network" in html and "new vis.DataSet" in html  # the library is inline
    assert "Neodymium" in html and "element_uses" in html and "USED_IN" in html
    assert 300_000 < out.stat().st_size < 3_000_000
    with pytest.raises(KBError, match=".html"):
        viz.render(loaded_kb, "element_uses", {"symbol": "Nd"}, tmp_path / "nd.png")
    with pytest.raises(KBError, match="nothing to draw"):
        viz.render(loaded_kb, "timeline", {"start_year": 1800, "end_year": 1801}, tmp_path / "none.html")
    with pytest.raises(KBError, match="no element 'Xx'"):
        viz.render(loaded_kb, "element_uses", {"symbol": "Xx"}, tmp_path / "none.html")


def test_pictures_show_subject_roles_and_technologies(loaded_kb, tmp_path):
    g = subgraph(loaded_kb, "disputes", {"iso3": "JPN"})
    assert g.subjects == ["Country|JPN"]
    page = viz.page(g)
    assert '"borderWidth": 5' in page and "Subject:</b> Japan" in page
    complainant, third = EDGE_STYLES["COMPLAINANT_IN"], EDGE_STYLES["THIRD_PARTY_IN"]
    assert complainant[0] != third[0] and complainant[1] > third[1]  # told apart at a glance
    assert f'"color": "{complainant[0]}"' in page and "complainant in" in page and "third party in" in page
    assert COLORS["Organisation"] != COLORS["Agreement"]
    assert "Math.max(14, 14 / s)" in page  # labels kept legible at the fitted zoom
    profile = subgraph(loaded_kb, "element_profile", {"symbol": "Dy"})
    assert "Technology" in profile.labels
    assert any(e["type"] == "ENABLES" for e in profile.relationships)
    with pytest.raises(KBError, match="table, not a graph"):
        viz.render(loaded_kb, "top_producers", {"year": 2024}, tmp_path / "t.html")


# --------------------------------------------------------------------------- the commands


def _cli(engine, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KB_URI", "KB_GRAPH", "KB_USER", "KB_PASSWORD")}
    for opt, var in (("home", "KB_HOME"), ("graph", "KB_GRAPH"), ("user", "KB_USER"), ("password", "KB_PASSWORD")):
        if opt in engine.options:
            env[var] = engine.options[opt]
    uri = ["--uri", engine.uri] if engine.uri else []
    return subprocess.run([*KB_CMD, *uri, *args], capture_output=True, text=True, env=env, timeout=180, cwd=ROOT)


@pytest.mark.slow
def test_cli_plot_and_viz(engine, loaded_kb, tmp_path):
    p = _cli(engine, "plot", "production", "--stage", "mining", "--from", "2010", "--to", "2024",
             "--out", str(tmp_path / "p.png"))
    assert p.returncode == 0, p.stderr
    assert "wrote" in p.stdout and (tmp_path / "p.png").stat().st_size > 20_000
    c = _cli(engine, "--quiet", "plot", "concentration", "--out", str(tmp_path / "c.svg"))
    assert c.returncode == 0, c.stderr
    assert c.stdout == "" and (tmp_path / "c.svg").exists()
    pr = _cli(engine, "plot", "prices", "--symbol", "Dy", "--symbol", "Tb", "--log", "--out", str(tmp_path / "pr.svg"))
    assert pr.returncode == 0, pr.stderr
    assert "dysprosium oxide" in (tmp_path / "pr.svg").read_text(encoding="utf-8")
    d = _cli(engine, "plot", "dependence", "--importer", "JPN", "--year", "2023", "--out", str(tmp_path / "d.png"))
    assert d.returncode == 1 and d.stderr.count("\n") == 1 and "kb import comtrade" in d.stderr, d.stderr
    v = _cli(engine, "viz", "disputes", "-p", "iso3=JPN", "--out", str(tmp_path / "d.html"))
    assert v.returncode == 0, v.stderr
    assert "DS433" in (tmp_path / "d.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_cli_mistakes_are_one_line(engine, loaded_kb, tmp_path):
    for args in (["viz", "no_such_question", "--out", str(tmp_path / "x.html")],
                 ["viz", "element_uses", "-p", "symbol=Nd", "--out", str(tmp_path / "x.png")],
                 ["plot", "production", "--out", str(tmp_path / "x.txt")],
                 ["plot", "production", "--stage", "smelting", "--out", str(tmp_path / "x.png")]):
        p = _cli(engine, *args)
        assert p.returncode == 1, args
        assert p.stderr.startswith("error:") and "Traceback" not in p.stderr, p.stderr


@pytest.mark.slow
def test_cli_help_has_examples():
    for args in (["console", "--help"], ["plot", "production", "--help"], ["plot", "concentration", "--help"],
                 ["plot", "prices", "--help"], ["plot", "dependence", "--help"], ["viz", "--help"]):
        p = subprocess.run([*KB_CMD, *args], capture_output=True, text=True, timeout=HANG,
                           env={**os.environ, "COLUMNS": "200"})
        assert p.returncode == 0, (args, p.stderr)
        assert "Example:" in p.stdout, args
