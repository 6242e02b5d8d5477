"""The canned questions: each answer is checked against the data files, and every
question gives the same rows on both engines."""

from __future__ import annotations

import math
from collections import defaultdict
from functools import cache
from typing import Any

import pytest

from kb.bench.run import SAMPLES  # sample parameters for every question, shared with the benchmark
from kb.errors import QueryError
from kb.queries import catalog


@cache
def records() -> dict[str, list[Any]]:
    """The validated data records, independent of any Cypher."""
    from kb.core import bundled_data_dir
    from kb.loaders.build import validate
    from kb.loaders.read import read_all
    from kb.schema import Record, Source

    raw, problems = read_all([bundled_data_dir()])
    out: dict[str, list[Any]] = defaultdict(list)
    for _, m in validate(raw, problems):
        assert isinstance(m, (Record, Source)), m
        out[type(m).__label__].append(m)
    return out


def source_dates() -> dict[str, str]:
    return {s.id: s.date for s in records()["Source"]}


def latest_figures(stage: str = "mining") -> dict[tuple[str, int], Any]:
    """For each (iso3, year), the figure from the latest-dated source (ties: larger id)."""
    dates = source_dates()
    best: dict[tuple[str, int], Any] = {}
    for p in records()["Production"]:
        if p.stage != stage or p.basis:  # a historical series (DS140) is no edition's country table
            continue
        k = (p.iso3, p.year)
        rank = (dates[p.sources[0]], p.sources[0])
        if k not in best or rank > (dates[best[k].sources[0]], best[k].sources[0]):
            best[k] = p
    return best


def norm(v: Any) -> Any:
    if isinstance(v, float):
        return float(f"{v:.9g}")
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    return v


def test_every_question_has_samples():
    assert set(catalog.catalog()) <= set(SAMPLES), set(catalog.catalog()) - set(SAMPLES)


@pytest.mark.slow
def test_every_question_gives_the_same_rows_on_both_engines(both_loaded):
    kbs = {name: e.loaded() for name, e in both_loaded.items()}
    compared = 0
    for name in catalog.catalog():
        for params in SAMPLES[name]:
            got = {engine: norm(k.ask(name, params).to_dicts()) for engine, k in kbs.items()}
            assert got["embedded"] == got["neo4j"], (name, params)
            compared += len(got["neo4j"])
    assert compared > 50


def test_element_profile(loaded_kb):
    nd = loaded_kb.queries.element_profile(symbol="nd")
    assert len(nd) == 1
    row = nd[0]
    assert (row.symbol, row.name, row.atomic_number, row.group) == ("Nd", "Neodymium", 60, "light")
    uses = {u.name for u in records()["Use"] if "Nd" in u.elements}
    assert set(row.uses) == uses and uses
    assert loaded_kb.queries.element_profile(symbol="Neodymium")[0].symbol == "Nd"
    sc = loaded_kb.queries.element_profile(symbol="Sc")[0]
    expected = next(e for e in records()["Element"] if e.symbol == "Sc")
    assert sc.group == expected.group_usgs and sc.group_eu == expected.group_eu
    with pytest.raises(QueryError, match="no element 'unobtainium'"):
        loaded_kb.queries.element_profile(symbol="unobtainium")


def test_top_producers_match_the_latest_edition(loaded_kb):
    rows = loaded_kb.queries.top_producers(year=2011, limit=50)
    assert rows[0].iso3 == "CHN"
    src_title = rows[0].source
    sid = next(s.id for s in records()["Source"] if s.title == src_title)
    figures = {p.iso3: p.tonnes for p in records()["Production"]
               if p.year == 2011 and p.stage == "mining" and p.sources[0] == sid}
    world = figures.pop("WLD")
    assert {r.iso3: r.tonnes for r in rows} == pytest.approx({k: v for k, v in figures.items() if v is not None})
    for r in rows:
        assert r.share == pytest.approx(r.tonnes / world, abs=1e-4)
    assert [r.tonnes for r in rows] == sorted((r.tonnes for r in rows), reverse=True)
    assert len(loaded_kb.queries.top_producers(year=2011, limit=1)) == 1


def test_supply_concentration_is_the_hhi_of_the_shares(loaded_kb):
    for year in (2011, 2024):
        shares = [r.share for r in loaded_kb.queries.top_producers(year=year, limit=100) if r.share is not None]
        c = loaded_kb.queries.supply_concentration(year=year)
        assert len(c) == 1
        assert c[0].hhi == pytest.approx(sum((100 * s) ** 2 for s in shares), rel=1e-3)
        assert c[0].top_share == pytest.approx(max(shares), abs=1e-4)
        assert 0 < c[0].hhi <= 10_000


def test_production_history_takes_each_year_from_its_latest_edition(loaded_kb):
    best = latest_figures()
    rows = loaded_kb.queries.production_history(iso3="CHN")
    years = [r.year for r in rows]
    assert years == sorted(years) and {2010, 2011, 2012} <= set(years)
    for r in rows:
        assert r.tonnes == pytest.approx(best[("CHN", r.year)].tonnes)
    assert loaded_kb.queries.production_history(iso3="china").to_dicts() == rows.to_dicts()


def test_element_uses_and_technologies(loaded_kb):
    rows = loaded_kb.queries.element_uses(symbol="Dy")
    expected = {u.name: u for u in records()["Use"] if "Dy" in u.elements}
    assert {r.use for r in rows} == set(expected)
    techs = {t.id: t.name for t in records()["Technology"]}
    for r in rows:
        assert set(r.technologies) == {techs[t] for t in expected[r.use].technologies}


def test_technology_exposure(loaded_kb):
    rows = loaded_kb.queries.technology_exposure(technology="wind-turbines")
    assert rows
    uses = [u for u in records()["Use"] if "wind-turbines" in u.technologies]
    assert {r.symbol for r in rows} == {e for u in uses for e in u.elements}
    assert rows[0].top_producer == "China" and 0 < rows[0].top_share <= 1
    controlled = [len(r.controls) for r in rows]
    assert controlled == sorted(controlled, reverse=True)


def test_disputes(loaded_kb):
    rows = loaded_kb.queries.disputes()
    assert [r.code for r in rows] == ["DS431", "DS432", "DS433"]
    by_code = {d.code: d for d in records()["Dispute"]}
    for r in rows:
        d = by_code[r.code]
        assert r.requested == d.requested and r.respondent == "China"
        assert sorted(r.third_parties) == sorted(d.third_parties)
        assert len(r.measures) == len(d.measures)
    japan = {r.code for r in loaded_kb.queries.disputes(iso3="Japan")}
    assert japan == {d.code for d in by_code.values()
                     if "JPN" in (d.complainant, d.respondent, *d.third_parties)}


def test_dispute_timeline(loaded_kb):
    rows = loaded_kb.queries.dispute_timeline(code="ds431")
    d = next(d for d in records()["Dispute"] if d.code == "DS431")
    assert len(rows) == len(d.events)
    assert [r.date for r in rows] == sorted(r.date for r in rows)
    assert rows[0].date == d.requested


def test_agreements_include_the_2012_japan_india_memorandum(loaded_kb):
    rows = loaded_kb.queries.agreements(iso3="IND")
    mou = [r for r in rows if r.date == "2012-11-16"]
    assert len(mou) == 1
    assert set(mou[0].parties) >= {"JPN", "IND"} and mou[0].tonnes_per_year == 4100
    assert len(loaded_kb.queries.agreements(limit=1000)) == len(records()["Agreement"])


def test_alternative_suppliers_exclude_china(loaded_kb):
    rows = loaded_kb.queries.alternative_suppliers(importer="JPN", symbol="Dy", stage="mining")
    assert rows and all(r.iso3 not in ("CHN", "JPN") for r in rows)
    tonnes = [r.tonnes or 0 for r in rows]
    assert tonnes == sorted(tonnes, reverse=True)
    assert len({r.year for r in rows}) == 1


def test_export_restrictions_in_force(loaded_kb):
    rows = loaded_kb.queries.export_restrictions(iso3="CHN", year=2012)
    quotas = [r for r in rows if r.kind == "quota"]
    expected = [m for m in records()["Measure"] if m.kind == "quota" and m.year == 2012 and m.imposed_by == "CHN"]
    assert len(quotas) == len(expected) > 0
    assert {r.tonnes for r in quotas} == {m.tonnes for m in expected}
    later = loaded_kb.queries.export_restrictions(iso3="CHN", year=2025)
    assert any(r.kind == "export-control" and "Dy" in r.elements for r in later)
    assert not any(r.kind == "quota" for r in later)


def test_connection_paths_shortest_first(loaded_kb):
    rows = loaded_kb.queries.connection_paths(source="Japan", target="India", max_hops=3)
    assert rows
    hops = [r.hops for r in rows]
    assert hops == sorted(hops) and max(hops) <= 3
    assert rows[0].nodes[0] == "Japan" and rows[0].nodes[-1] == "India"
    assert all(len(r.relationships) == r.hops for r in rows)


def test_timeline_filters_by_year_and_country(loaded_kb):
    rows = loaded_kb.queries.timeline(start_year=2010, end_year=2012, iso3="JPN")
    assert rows and all("2010" <= r.date[:4] <= "2012" and "JPN" in r.countries for r in rows)
    assert [r.date for r in rows] == sorted(r.date for r in rows)


def test_sources_for_an_organisation(loaded_kb):
    rows = loaded_kb.queries.sources_for(name="toyota tsusho")
    org = next(o for o in records()["Organisation"] if o.id == "toyota-tsusho")
    titles = {s.id: s.title for s in records()["Source"]}
    assert {titles[s] for s in org.sources} <= {r.title for r in rows}


def test_search_is_case_and_accent_insensitive(loaded_kb):
    rows = loaded_kb.queries.search(text="NEODYMI")
    assert rows[0].name == "Neodymium" and rows[0].label == "Element" and rows[0].score == 0.8
    exact = loaded_kb.queries.search(text="jpn")
    assert exact[0].key == "JPN" and exact[0].score == 1.0


def test_bad_parameters_fail_before_anything_is_sent(loaded_kb):
    with pytest.raises(QueryError, match="year must be int"):
        loaded_kb.ask("top_producers", {"year": "twenty"})
    with pytest.raises(QueryError, match="missing parameter symbol"):
        loaded_kb.ask("element_profile", {})


def test_rows_convert_to_dataframe_and_json(loaded_kb):
    import json

    rows = loaded_kb.queries.top_producers(year=2024, limit=3)
    df = rows.to_df()
    assert list(df.columns)[:4] == ["country", "iso3", "tonnes", "share"] and len(df) == 3
    assert json.loads(rows.to_json())[0]["iso3"] == "CHN"
    assert not math.isnan(df["tonnes"].iloc[0])


def test_connection_paths_are_the_shortest_only(loaded_kb):
    # Japan and Neodymium meet through an agreement or an event: 2 hops. Every path returned is
    # a shortest one (the old text enumerated every path up to max_hops, 3- and 4-hop ones too).
    rows = loaded_kb.queries.connection_paths(source="Japan", target="Nd", max_hops=4)
    assert rows and {r.hops for r in rows} == {2}
    assert all(len(r.relationships) == 2 for r in rows)
    assert not loaded_kb.queries.connection_paths(source="Japan", target="Nd", max_hops=1)


def test_pages_cover_the_whole_answer(loaded_kb):
    everything = loaded_kb.queries.timeline(start_year=1990, end_year=2035, limit=1000)
    in_range = [e for e in records()["Event"] if 1990 <= int(e.date[:4]) <= 2035]
    assert len(everything) == len(in_range) > 7 and not everything.notes  # more than one page
    pages = [loaded_kb.queries.timeline(start_year=1990, end_year=2035, limit=7, offset=o) for o in range(0, len(everything), 7)]
    assert [r.event for p in pages for r in p] == [r.event for r in everything]
    assert "offset=7" in pages[0].notes[0]
    assert len(loaded_kb.queries.agreements(limit=5)) == 5
    assert len(loaded_kb.queries.agreements()) == min(100, len(records()["Agreement"]))  # the default page: 100
