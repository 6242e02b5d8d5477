"""exposure and restriction_impact, on both engines: who depends on whom, and what if a supplier
stops exporting. Expected answers are computed here from the data files (and the trade
fixtures), never written down."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from kb.loaders.trade import comtrade
from kb.queries.resolve import UnknownEntity
from tests.test_queries import records, source_dates

FIX = Path(__file__).parent / "fixtures" / "trade"
COMTRADE = FIX / "comtrade-sample.csv"
ASKED = ["Dy", "Tb"]


# --------------------------------------------------------------------------- expectations from the data files


def _world_edition(year: int) -> tuple[int, str]:
    """The latest year up to ``year`` with a world mine total, and the latest edition giving it."""
    dates = source_dates()
    worlds = [p for p in records()["Production"] if p.stage == "mining" and p.iso3 == "WLD"]
    y = max(p.year for p in worlds if p.year <= year)
    src = max((p.sources[0] for p in worlds if p.year == y), key=lambda s: (dates[s], s))
    return y, src


def _mine_output(year: int) -> dict[str, float]:
    y, src = _world_edition(year)
    return {p.iso3: p.tonnes for p in records()["Production"]
            if p.stage == "mining" and p.year == y and p.sources[0] == src and p.tonnes is not None}


def _technologies(elements: list[str]) -> set[str]:
    return {t for u in records()["Use"] if set(u.elements) & set(elements) for t in u.technologies}


def _agreements(elements: list[str], year: int, restrictor: str) -> dict[str, set[str]]:
    """Agreement id -> parties (countries, and the countries of party organisations)."""
    org_country = {o.id: o.country for o in records()["Organisation"]}
    out: dict[str, set[str]] = {}
    for a in records()["Agreement"]:
        if a.date > f"{year}-12-31" or (a.end and a.end < str(year)):
            continue
        touched = set(a.elements) if a.elements else ({"rare-earths"} & set(a.commodities) and set(elements) or set())
        if not touched & set(elements):
            continue
        parties = set(a.parties) | {org_country[o] for o in a.organisations if org_country.get(o)}
        if restrictor not in parties:
            out[a.id] = parties
    return out


def _by_kind(rows: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for r in rows:
        out[r.kind][r.key] = r
    return out


# --------------------------------------------------------------------------- restriction_impact


def test_restriction_impact_china_dy_tb_2025(loaded_kb):
    rows = loaded_kb.queries.restriction_impact(restrictor="China", elements=["dysprosium", "Tb"], year=2025)
    got = _by_kind(rows)
    assert set(got) == {"importer", "technology", "producer", "agreement"}

    # the world loses China's share of mine supply (no trade figures are bundled)
    y, src = _world_edition(2025)
    out = _mine_output(2025)
    world = got["importer"]["WLD"]
    assert list(got["importer"]) == ["WLD"] and world.year == y == 2025
    assert world.share == pytest.approx(out["CHN"] / out["WLD"], abs=1e-4)
    assert world.elements == ASKED

    # technologies touched through uses
    assert set(got["technology"]) == _technologies(ASKED)
    assert {"ev-traction-motors", "wind-turbines"} <= set(got["technology"])
    ev = got["technology"]["ev-traction-motors"]
    assert set(ev.elements) == {"Dy", "Tb"} and ev.uses

    # producers outside China with their output, from the latest edition for 2025
    expected = {k: v for k, v in out.items() if k not in ("CHN", "WLD") and v > 0}
    assert {k: r.tonnes for k, r in got["producer"].items()} == pytest.approx(expected)
    assert all(r.year == y for r in got["producer"].values())
    assert "CHN" not in got["producer"]
    assert [r.key for r in rows if r.kind == "producer"][0] == max(expected, key=expected.__getitem__)

    # agreements touching Dy/Tb: Japan's, the US's and the EU's, each as the data files say
    want = _agreements(ASKED, 2025, "CHN")
    have = {k: set(r.parties) for k, r in got["agreement"].items()}
    assert have == want
    for party in ("JPN", "USA", "EUU"):
        assert {k for k, p in have.items() if party in p} == {k for k, p in want.items() if party in p}, party
    assert "jare-lynas-2023-heavy-rare-earths" in have and "JPN" in have["jare-lynas-2023-heavy-rare-earths"]
    assert "us-dod-lynas-2022-heavy-rare-earths" in have and "USA" in have["us-dod-lynas-2022-heavy-rare-earths"]
    assert {k for k, p in have.items() if "EUU" in p} >= {"eu-japan-2025-competitiveness-alliance", "minerals-security-partnership"}
    # an EU partnership whose texts name no rare earths touches nothing
    assert "eu-canada-2021-raw-materials-partnership" not in have
    # an agreement naming only other elements does not touch Dy/Tb; one naming none touches every rare earth
    assert "toyota-tsusho-irel-2015-supply" not in have
    assert "japan-india-2012-mou" in have


def test_restriction_impact_resolves_each_element_and_refuses_an_unknown_one(loaded_kb):
    a = loaded_kb.queries.restriction_impact(restrictor="CHN", elements=["Dy", "Tb"], year=2025).to_dicts()
    b = loaded_kb.queries.restriction_impact(restrictor="CHN", elements=["dysprosium", "terbium", "Dy"], year=2025)
    assert sorted(map(str, a)) == sorted(map(str, b.to_dicts()))
    with pytest.raises(UnknownEntity, match="no element 'Dysprosum'"):
        loaded_kb.queries.restriction_impact(restrictor="CHN", elements=["Tb", "Dysprosum"], year=2025)
    # an earlier year: agreements signed later are left out, figures of that year
    early = _by_kind(loaded_kb.queries.restriction_impact(restrictor="CHN", elements=ASKED, year=2012))
    assert set(early["agreement"]) == set(_agreements(ASKED, 2012, "CHN"))
    assert "us-dod-lynas-2022-heavy-rare-earths" not in early["agreement"]



def test_restriction_impact_pages_importers_and_agreements(loaded_kb):
    """`limit`/`offset` page the two kinds of rows that grow with the data (importers and
    agreements); the pages put together are the whole answer, in the same order, and the
    other kinds come whole with every page."""
    full = loaded_kb.queries.restriction_impact(restrictor="CHN", elements=ASKED, year=2025, limit=1000).to_dicts()
    # the World row (kind importer, key WLD) is the restrictor's share of mine supply: on every page
    whole = {kind: [r["key"] for r in full if r["kind"] == kind and r["key"] != "WLD"]
             for kind in ("importer", "agreement", "technology", "producer")}
    assert len(whole["agreement"]) >= 3, whole
    paged: dict[str, list[str]] = {"importer": [], "agreement": []}
    for offset in range(0, 1000, 2):
        page = loaded_kb.queries.restriction_impact(restrictor="CHN", elements=ASKED, year=2025, limit=2, offset=offset)
        rows = page.to_dicts()
        for kind in paged:
            keys = [r["key"] for r in rows if r["kind"] == kind and r["key"] != "WLD"]
            assert len(keys) <= 2
            paged[kind] += keys
        for kind in ("technology", "producer"):
            assert [r["key"] for r in rows if r["kind"] == kind] == whole[kind]
        assert [r["key"] for r in rows if r["key"] == "WLD"] == ["WLD"]
        if not any(r["kind"] in paged and r["key"] != "WLD" for r in rows):
            break
    assert paged == {k: whole[k] for k in paged}


# --------------------------------------------------------------------------- exposure


def _jpn_imports(codes: set[str]) -> tuple[float, float]:
    """Japan's own import figures in the Comtrade fixture: (total value, value from China). The
    total of a code is Japan's imports from the World where it declares them (they include the
    partners it does not itemise), else the sum of its partners."""
    partners: dict[str, float] = defaultdict(float)
    world: dict[str, float] = {}
    from_chn = 0.0
    with open(COMTRADE, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["reporterISO"] == "JPN" and r["flowCode"] == "M" and r["cmdCode"] in codes:
                if r["partnerISO"] == "W00":
                    world[r["cmdCode"]] = float(r["primaryValue"])
                else:
                    partners[r["cmdCode"]] += float(r["primaryValue"])
                    from_chn += float(r["primaryValue"]) if r["partnerISO"] == "CHN" else 0.0
    total = sum(world.get(c, v) for c, v in partners.items())
    return total, from_chn


@pytest.mark.slow
def test_exposure_through_production_then_through_trade(empty_kb):
    empty_kb.load()
    out = _mine_output(2100)
    y, src = _world_edition(2100)
    before = {r.symbol: r for r in empty_kb.queries.exposure(importer="Japan", restrictor="China")}
    assert set(before) == {e.symbol for e in records()["Element"]}
    mine = out["CHN"] / out["WLD"]
    for r in before.values():
        # without trade figures: the share at each stage, the headline at the tightest one, its stage named
        assert r.stage_shares[0].startswith(f"mining: {round(100 * mine, 1)}% ({y}")
        assert r.share is not None and r.share >= round(mine, 4) and r.stage and r.basis.startswith(r.stage.split("-")[0])
    # Dy and Tb pass through heavy separation and magnet making, La through light separation only
    assert before["Dy"].stage == before["Tb"].stage in ("separation-heavy", "magnet") and before["La"].stage == "separation-light"
    assert any(x.startswith("separation-heavy") for x in before["Dy"].stage_shares)
    assert any(x.startswith("separation-light") for x in before["La"].stage_shares)
    assert not any(x.startswith("magnet") for x in before["La"].stage_shares)
    assert "Electric-vehicle traction motors" in before["Dy"].technologies
    assert before["Dy"].commodities == ["rare-earths"]

    comtrade([COMTRADE]).write(empty_kb.backend)
    after = {r.symbol: r for r in empty_kb.queries.exposure(importer="JPN", restrictor="CHN")}
    total, from_chn = _jpn_imports({"280530", "284690"})  # the rare-earth subheadings but cerium compounds
    assert after["Dy"].basis == "trade (reported by the importer)" and after["Dy"].year == 2022
    assert after["Dy"].share == pytest.approx(from_chn / total, abs=1e-4)
    assert after["Dy"].share != pytest.approx(before["Dy"].share, abs=1e-3) and after["Dy"].stage is None
    assert after["Dy"].stage_shares == before["Dy"].stage_shares  # the stages do not depend on the basis
    total_ce, from_chn_ce = _jpn_imports({"280530", "284610", "284690"})
    assert after["Ce"].share == pytest.approx(from_chn_ce / total_ce, abs=1e-4)
    # the measures do not depend on the basis
    assert after["Dy"].measures == before["Dy"].measures
    # a country without trade figures still depends through production shares
    deu = {r.symbol: r for r in empty_kb.queries.exposure(importer="DEU", restrictor="CHN")}
    assert deu["Dy"].basis == before["Dy"].basis and "country figures" in deu["Dy"].basis

    # restriction_impact now names Japan with the share of its imports lost
    impact = _by_kind(empty_kb.queries.restriction_impact(restrictor="CHN", elements=ASKED, year=2025))
    jpn = impact["importer"]["JPN"]
    assert jpn.share == pytest.approx(from_chn / total) and jpn.year == 2022
    assert jpn.basis == "reported by the importer"
    assert "WLD" in impact["importer"]


JAPAN_ONLY = """
sources:
  - id: test-japan-only
    title: "A test publication"
    publisher: "Test"
    date: "2025"
    kind: legal
measures:
  - id: test-halt-dy-to-japan
    name: "Test halt of dysprosium exports to Japan"
    kind: halt
    imposed_by: CHN
    targets: [JPN]
    target_scope: countries
    elements: [Dy]
    start: "2025-01-01"
    sources: [test-japan-only]
"""


@pytest.mark.slow
def test_a_japan_only_measure_reaches_japan_not_germany(empty_kb, tmp_path):
    extra = tmp_path / "measures-test.yaml"
    extra.write_text(JAPAN_ONLY, encoding="utf-8")
    empty_kb.load([extra], with_bundled=True)
    jpn = {r.symbol: r for r in empty_kb.queries.exposure(importer="JPN", restrictor="CHN")}
    deu = {r.symbol: r for r in empty_kb.queries.exposure(importer="Germany", restrictor="CHN")}
    name = "Test halt of dysprosium exports to Japan"
    assert name in jpn["Dy"].measures
    assert name not in deu["Dy"].measures and name not in jpn["Tb"].measures
    # the 2026 ban aimed at Japan's military end users: marked, and only for Japan
    military = [m for m in jpn["Dy"].end_user_measures if m.endswith("(military end users)")]
    assert military and "MOFCOM Announcement No. 1 of 2026" in military[0]
    assert not any("(military end users)" in m for m in deu["Dy"].end_user_measures)
    assert not any("Announcement No. 1 of 2026" in m for r in deu.values() for m in r.measures)
    # a measure aimed at all destinations reaches both
    apr = "Export controls on seven medium and heavy rare earths (MOFCOM/GAC Announcement No. 18 of 2025)"
    assert apr in jpn["Dy"].measures and apr in deu["Dy"].measures
    # a measure that ended is not in force
    assert not any("export quota 2010" in m for m in jpn["Dy"].measures)
