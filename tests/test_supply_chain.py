"""The supply chain by stage (issue 24): the schema's new record kinds load, and supply_chain,
chokepoints, alternative_suppliers (by stage) and exposure (by stage) answer from them, the same on
both engines and as the data files say."""

from __future__ import annotations

import pytest

from kb.errors import DataError
from kb.schema import Facility, FacilityFigure, Feed, Production
from tests.test_queries import norm, records


def test_legacy_stage_names_are_read_as_the_vocabulary():
    p = Production.model_validate({"iso3": "CHN", "year": 2023, "stage": "refining", "share": 0.9, "sources": ["x"]})
    assert p.stage == "separation"
    f = Facility.model_validate({"id": "x", "name": "X", "kind": "magnet-plant", "country": "JPN", "sources": ["s"]})
    assert f.stages == ["magnet"] and f.stages_from_kind is True
    with pytest.raises(ValueError):
        Facility.model_validate({"id": "x", "name": "X", "kind": "mine", "country": "JPN", "stages": ["ore"],
                                 "sources": ["s"]})
    feed = Feed.model_validate({"from": "a", "to": "b", "product": "MREC", "sources": ["s"]})
    assert feed.from_ == "a" and feed.id == "a>b|MREC"


def test_a_press_only_facility_figure_needs_second_hand(empty_kb, tmp_path):
    bad = tmp_path / "chain-test.yaml"
    bad.write_text("""
sources:
  - {id: t-press, title: "A paper", publisher: "P", date: "2025", kind: news, tier: press}
facility_figures:
  - {facility: mount-weld, year: 2025, measure: output, quantity: 1, unit: "t REO", sources: [t-press]}
facility_updates:
  - {id: no-such-plant, stages: [magnet], sources: [t-press]}
""", encoding="utf-8")
    with pytest.raises(DataError) as e:
        empty_kb.load([bad], with_bundled=True)
    text = str(e.value)
    assert "second_hand" in text and "no Facility 'no-such-plant' to update" in text


def _separators(symbol: str, outside: str = "CHN", operating: bool = False) -> set[str]:
    """Facilities the data say separate the element (operator's word: the record or an update), outside a
    country; with operating, only those whose latest status (the update's, else the record's) says so."""
    facs = {f.id: f for f in records()["Facility"] if isinstance(f, Facility)}
    updates = {u.id: u for u in records()["Facility"] if not isinstance(u, Facility)}
    out = set()
    for fid, f in facs.items():
        u = updates.get(fid)
        separates = set(f.separates) | set(u.separates if u else [])  # loading adds both
        status = (u.status if u and u.status else None) or f.status or ""
        if symbol in separates and f.country != outside and (not operating or status.startswith("operating")):
            out.add(f.name)
    return out


def test_alternative_suppliers_at_separation_are_plants_not_ore(loaded_kb):
    rows = loaded_kb.queries.alternative_suppliers(importer="JPN", symbol="Dy", stage="separation")
    assert rows and {r.stage for r in rows} == {"separation-heavy"}
    assert all(r.facility and r.iso3 != "CHN" and r.tonnes is None for r in rows)
    separators = _separators("Dy")
    assert separators  # Lynas Malaysia, as its operator says
    first = [r.facility for r in rows[: len(separators)]]
    assert set(first) == separators
    # the default stage for Dy is its first stage China dominates, not mining
    default = loaded_kb.queries.alternative_suppliers(importer="JPN", symbol="Dy")
    assert default[0].stage.startswith("separation")
    mining = loaded_kb.queries.alternative_suppliers(importer="JPN", symbol="Dy", stage="mining")
    assert {r.stage for r in mining} == {"mining"} and all(r.facility is None for r in mining)


def test_chokepoints_for_dy_name_separation_and_magnets(loaded_kb):
    rows = {r.stage: r for r in loaded_kb.queries.chokepoints(symbol="Dy")}
    assert {"mining", "separation-heavy", "magnet"} <= set(rows)
    chn = {p.stage: p for p in records()["Production"] if p.iso3 == "CHN" and p.share is not None}
    for st in ("separation-heavy", "magnet"):
        fst = st if st in chn else "separation"  # the most specific stage with a figure
        r = rows[st]
        assert r.leader == "China" and r.leader_share == pytest.approx(chn[fst].share)
        assert r.figures_stage == fst and r.hhi is not None and r.coverage is not None
    sep = rows["separation-heavy"]
    facs = {f.name: f for f in records()["Facility"] if isinstance(f, Facility)}
    assert set(sep.outside) == {f"{n} [{facs[n].country}]" for n in _separators("Dy", operating=True)}
    assert "MYS" in sep.outside_countries and sep.chokepoint == (len(sep.outside) <= 1)
    assert rows["mining"].countries > 5 and not rows["mining"].chokepoint
    # a technology answers for the elements it depends on
    tech = {r.stage for r in loaded_kb.queries.chokepoints(technology="ev-traction-motors")}
    assert {"separation-light", "separation-heavy", "magnet"} <= tech
    assert loaded_kb.queries.chokepoints() == []


def test_exposure_differs_by_element_with_the_stage_named(loaded_kb):
    rows = {r.symbol: r for r in loaded_kb.queries.exposure(importer="JPN", restrictor="CHN")}
    if rows["Dy"].stage is None:
        pytest.skip("trade figures loaded: the headline is the share of imports")
    # the headline is the tightest stage: heavy separation or magnet making for Dy and Tb, light separation for La
    assert rows["Dy"].stage == rows["Tb"].stage in ("separation-heavy", "magnet") and rows["La"].stage == "separation-light"
    assert [x.split(":")[0] for x in rows["Dy"].stage_shares] == ["mining", "separation-heavy", "magnet"]
    # Dy and Tb do not share La's number: heavy separation has its own figure
    assert rows["Dy"].share == rows["Tb"].share and rows["Dy"].share > rows["La"].share


def test_supply_chain_follows_feeds_and_ties_the_importer(loaded_kb):
    rows = loaded_kb.queries.supply_chain(symbol="Dy", importer="JPN")
    assert rows[-1].stage == "end-use" and rows[-1].buyers
    paths: dict[int, list[str]] = {}
    for r in rows[:-1]:
        assert r.path is not None
        paths.setdefault(r.path, []).append(r.facility_id or "")
    feeds = {(f.from_, f.to) for f in records()["Feed"]}
    for ids in paths.values():
        assert all((a, b) in feeds for a, b in zip(ids, ids[1:], strict=False))
    assert ["mount-weld", "lynas-lamp"] in paths.values()
    lamp = next(r for r in rows if r.facility_id == "lynas-lamp")
    assert any("Lynas" in t or "JARE" in t for t in lamp.ties) and lamp.country == "MYS"
    figs = [f for f in records()["FacilityFigure"] if f.facility == "lynas-lamp"]
    latest = max(f.year for f in figs)
    assert lamp.year == latest and lamp.figure in {f.quantity for f in figs if f.year == latest}
    # a path that sells to a Chinese buyer is marked (MP Materials' concentrate to Shenghe)
    nd = loaded_kb.queries.supply_chain(symbol="Nd", importer="JPN")
    mp = [r for r in nd if r.facility_id == "mountain-pass"]
    assert mp and all(r.marked for r in mp)
    # the 2012 Japan-India memorandum reaches the Indian plant built under it
    trei = [r for r in nd if r.facility_id == "trei-visakhapatnam"]
    assert trei and any("Japan-India" in t for t in trei[0].ties)
    assert not any(r.ties for r in loaded_kb.queries.supply_chain(symbol="Nd"))


def test_new_figures_cite_a_source_with_a_tier():
    tiers = {s.id: s.tier for s in records()["Source"]}
    figs: list[FacilityFigure] = records()["FacilityFigure"]
    assert figs
    for f in figs:
        assert all(tiers.get(s) for s in f.sources), f.id


SAMPLES = [
    ("supply_chain", {"symbol": s, "importer": i}) for s in ("Dy", "Tb", "Nd", "Pr", "La", "Ce", "Y", "Sm")
    for i in (None, "JPN", "USA", "CHN")
] + [
    ("chokepoints", {"symbol": s, "year": y}) for s in ("Dy", "Tb", "Nd", "La", "Y", "Sc") for y in (None, 2012, 2023, 2030)
] + [
    ("chokepoints", {"technology": t}) for t in ("ev-traction-motors", "wind-turbines")
] + [
    ("alternative_suppliers", {"importer": i, "symbol": s, "stage": st}) for i in ("JPN", "USA", "DEU")
    for s in ("Dy", "Nd", "La", "Tb") for st in (None, "mining", "separation", "separation-light", "metal", "magnet")
] + [
    ("exposure", {"importer": i, "restrictor": "CHN"}) for i in ("JPN", "USA", "DEU", "IND")
]


@pytest.mark.slow
def test_the_chain_questions_give_the_same_rows_on_both_engines(both_loaded):
    kbs = {name: e.loaded() for name, e in both_loaded.items()}
    compared = 0
    for name, params in SAMPLES:
        got = {engine: norm(k.ask(name, params).to_dicts()) for engine, k in kbs.items()}
        assert got["embedded"] == got["neo4j"], (name, params)
        compared += len(got["neo4j"])
    assert compared > 300


def test_briefings_summarise_then_give_a_section_per_kind(loaded_kb):
    from fastapi.testclient import TestClient

    from kb.briefing import briefing
    from kb.web.app import create_app

    params = {"restrictor": "CHN", "elements": ["Dy", "Tb"], "year": 2025}
    rows = loaded_kb.ask("restriction_impact", params).to_dicts()
    b = briefing("restriction_impact", rows, params)
    assert b is not None and b.summary[0].startswith("If China stops exporting Dy and Tb (2025): ")
    kinds = {r["kind"] for r in rows}
    assert len(b.sections) == len(kinds) and sum(len(s.rows) for s in b.sections) == len(rows)
    md = b.markdown()
    assert md.count("\n## ") == len(kinds) and "| name | elements | uses |" in md
    ex = briefing("exposure", loaded_kb.ask("exposure", {"importer": "JPN", "restrictor": "CHN"}).to_dicts(),
                  {"importer": "JPN", "restrictor": "CHN"})
    assert ex is not None and ex.summary[0].startswith("Japan depends on China for ")
    assert briefing("top_producers", [], {}) is None
    page = TestClient(create_app(loaded_kb)).get("/q/restriction_impact?restrictor=China&elements=Dy,Tb&year=2025")
    assert page.status_code == 200 and page.text.count('class="summary"') == 2
    assert page.text.count("<h3>") == len(kinds) + 1  # the sections, then all rows


def test_the_chain_picture_draws_the_facilities_and_chinas_share(loaded_kb, tmp_path):
    from kb.analysis import plots
    from kb.web.charts import chart_svg

    fig = plots.chain(loaded_kb, "dysprosium")
    texts = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    steps = [r for r in loaded_kb.queries.supply_chain(symbol="Dy") if r.path is not None]
    assert steps and all(r.country and f"[{r.country}]" in texts for r in steps)
    sep = next(r for r in loaded_kb.queries.chokepoints(symbol="Dy") if r.stage.startswith("separation"))
    assert f"China {100 * (sep.leader_share or 0):.0f}%" in texts
    out = tmp_path / "dy.svg"
    plots.save(fig, out)
    assert out.stat().st_size > 10_000
    svg = chart_svg(loaded_kb, "supply_chain", {"symbol": "Dy"}, [r.model_dump() for r in steps])
    assert svg is not None and svg.startswith("<svg") and "Dysprosium" in svg
