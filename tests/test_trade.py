"""Trade imports (UN Comtrade, CEPII BACI) and the import_dependence question, on both engines.

The fixtures in tests/fixtures/trade/ have the published layouts and made-up numbers (see
their README); expected figures are computed here from the CSV rows, not written down.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from kb.errors import DataError
from kb.loaders.trade import HS_CODES, baci, comtrade

FIX = Path(__file__).parent / "fixtures" / "trade"
COMTRADE = FIX / "comtrade-sample.csv"
BACI = FIX / "baci-sample.csv"
COUNTRIES = FIX / "country_codes_sample.csv"


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _comtrade_kept() -> list[dict[str, str]]:
    return [r for r in _csv(COMTRADE)
            if r["cmdCode"] in HS_CODES and r["flowCode"] in ("M", "X") and r["partnerISO"] != "W00"]


def _not_itemised() -> dict[tuple[str, str], tuple[float, float]]:
    """(reporter, code) -> (US$, t) of its imports from the World less the partners it lists, where
    it lists some and the World total is larger."""
    world = {(r["reporterISO"], r["cmdCode"]): r for r in _csv(COMTRADE)
             if r["flowCode"] == "M" and r["partnerISO"] == "W00" and r["cmdCode"] in HS_CODES}
    out = {}
    for key, w in world.items():
        listed = [r for r in _comtrade_kept() if r["flowCode"] == "M" and (r["reporterISO"], r["cmdCode"]) == key]
        rest = float(w["primaryValue"]) - sum(float(r["primaryValue"]) for r in listed)
        if listed and rest > 0:
            out[key] = (rest, (float(w["netWgt"]) - sum(float(r["netWgt"]) for r in listed)) / 1000)
    return out


def _counts(k) -> dict[str, int]:  # noqa: ANN001
    s = k.stats()
    return {**s["nodes"], **{f"-{t}": n for t, n in s["relationships"].items()}}


def test_comtrade_import_counts_skips_and_is_idempotent(empty_kb):
    rows = _csv(COMTRADE)
    kept = _comtrade_kept()
    imp = comtrade([COMTRADE])
    # the partners kept, and for JPN's and the USA's 284690 the partners not itemised (World less those listed)
    assert sorted(_not_itemised()) == [("JPN", "284690"), ("USA", "284690")]
    assert imp.flows == len(kept) + len(_not_itemised()) == 13
    assert imp.skipped_codes == {"2601": 1}
    assert imp.skipped["world totals (partner W00)"] == sum(
        1 for r in rows if r["partnerISO"] == "W00" and r["cmdCode"] in HS_CODES)
    first = imp.write(empty_kb.backend)
    assert first.nodes_created > 0
    n = empty_kb.read("MATCH (f:TradeFlow)-[:SOURCED_FROM]->(s:Source {kind: 'dataset', tier: 'official'}) "
                      "RETURN count(f) AS n, collect(DISTINCT s.file) AS files, collect(DISTINCT s.sha256) AS sha")
    assert n[0]["n"] == len(kept) + len(_not_itemised()) and n[0]["files"] == ["comtrade-sample.csv"] and len(n[0]["sha"][0]) == 64
    # mirror flows are both kept, each with its reporter: CHN's exports to JPN and JPN's imports from CHN
    mirror = empty_kb.read("MATCH (:Country {iso3: 'CHN'})-[:EXPORTED]->(f:TradeFlow {hs_code: '280530'})"
                           "<-[:IMPORTED]-(:Country {iso3: 'JPN'}) RETURN f.reporter AS r, f.flow AS fl, "
                           "f.value_usd AS v, f.tonnes AS t ORDER BY r")
    assert mirror == [{"r": "CHN", "fl": "export", "v": 30000000.0, "t": 600.0},
                      {"r": "JPN", "fl": "import", "v": 16000000.0, "t": 800.0}]
    before = _counts(empty_kb)
    again = comtrade([COMTRADE]).write(empty_kb.backend)
    assert again.nodes_created == 0 and again.relationships_created == 0
    assert _counts(empty_kb) == before


def test_baci_import_units_and_absent_tonnes(empty_kb):
    rows = _csv(BACI)
    codes = {r["country_code"]: r["country_iso3"] for r in _csv(COUNTRIES)}
    kept = [r for r in rows if r["k"] in HS_CODES]
    imp = baci(BACI, countries=COUNTRIES)
    assert imp.flows == len(kept) == 12
    assert imp.skipped_codes == {"010121": 1, "253090": 1, "260111": 1}
    imp.write(empty_kb.backend)
    got = {(r["e"], r["i"], r["k"]): (r["v"], r["t"]) for r in empty_kb.read(
        "MATCH (e:Country)-[:EXPORTED]->(f:TradeFlow)<-[:IMPORTED]-(i:Country) "
        "RETURN e.iso3 AS e, i.iso3 AS i, f.hs_code AS k, f.value_usd AS v, f.tonnes AS t, f.reporter AS rep")}
    assert len(got) == len(kept)
    for r in kept:
        q = None if r["q"] in ("", "NA") else pytest.approx(float(r["q"]))
        assert got[(codes[r["i"]], codes[r["j"]], r["k"])] == (pytest.approx(float(r["v"]) * 1000), q)
    assert sum(1 for v, t in got.values() if t is None) == 2  # one NA, one empty
    src = empty_kb.read("MATCH (s:Source) WHERE s.id STARTS WITH 'baci-' RETURN s.file AS f, s.tier AS t")
    assert src == [{"f": "baci-sample.csv", "t": "official"}]
    again = baci(BACI, countries=COUNTRIES).write(empty_kb.backend)
    assert again.nodes_created == 0 and again.relationships_created == 0


def test_malformed_file_is_refused_whole(empty_kb, tmp_path):
    lines = COMTRADE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("primaryValue")
    bad = next(i for i, ln in enumerate(lines) if ",392,JPN,Japan,M," in ln and ",156,CHN," in ln)
    cells = list(csv.reader([lines[bad]]))[0]
    cells[len(cells) - (len(header) - col)] = "12x"
    out = io_line(cells)
    broken = tmp_path / "TradeData_broken.csv"
    broken.write_text("\n".join([*lines[:bad], out, *lines[bad + 1:]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        comtrade([broken])
    assert any(p.file == str(broken) and p.line == bad + 1 and p.field == "primaryValue"
               for p in exc.value.problems), exc.value.problems
    assert f"{broken}:{bad + 1}: primaryValue:" in str(exc.value)
    assert empty_kb.stats()["nodes"] == {}  # nothing stored
    bad_baci = tmp_path / "BACI_HS17_Y2022_V202401b.csv"
    bad_baci.write_text("t,i,j,k,v,q\n2022,156,392,280530,10.000,1.000\n2022,999,392,280530,1.0,1.0\n")
    with pytest.raises(DataError) as exc:
        baci(bad_baci, countries=COUNTRIES)
    assert [(p.line, p.field) for p in exc.value.problems] == [(3, "i")]


def io_line(cells: list[str]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


RESTRICTION = """
sources:
  - id: test-measure-source
    title: "A test publication"
    publisher: "Test"
    date: "2022"
    kind: legal
  - id: iso-3166
    title: "ISO 3166"
    publisher: "ISO"
    date: "2020"
    kind: standard
measures:
  - id: test-export-control
    name: "Test export control"
    kind: export-control
    imposed_by: CHN
    start: "2020-12-01"
    sources: [test-measure-source]
"""


@pytest.mark.parametrize("hs", [None, "284690"])
def test_import_dependence_matches_a_hand_calculation(empty_kb, tmp_path, hs):
    measures = tmp_path / "measures.yaml"
    measures.write_text(RESTRICTION, encoding="utf-8")
    empty_kb.load([measures])
    comtrade([COMTRADE]).write(empty_kb.backend)
    baci(BACI, countries=COUNTRIES).write(empty_kb.backend)  # reconciled figures: not mixed with JPN's own

    value: dict[str, float] = defaultdict(float)
    tonnes: dict[str, float] = defaultdict(float)
    for r in _comtrade_kept():
        if r["reporterISO"] == "JPN" and r["flowCode"] == "M" and (hs is None or r["cmdCode"] == hs):
            value[r["partnerISO"]] += float(r["primaryValue"])
            tonnes[r["partnerISO"]] += float(r["netWgt"]) / 1000
    for (reporter, code), (v, t) in _not_itemised().items():
        if reporter == "JPN" and (hs is None or code == hs):
            value["WLD"] += v
            tonnes["WLD"] += t
    total_v, total_t = sum(value.values()), sum(tonnes.values())
    hhi = sum((100 * v / total_v) ** 2 for k, v in value.items() if k != "WLD")  # not itemised: left out

    rows = empty_kb.queries.import_dependence(importer="Japan", year=2022, hs=hs)
    got = {r.iso3: r for r in rows}
    assert set(got) == set(value) and "WLD" in got
    assert got["WLD"].partner == "Partners not itemised (world total less those listed)"
    for iso3, r in got.items():
        assert r.value_share == pytest.approx(value[iso3] / total_v)
        assert r.tonnes_share == pytest.approx(tonnes[iso3] / total_t)
        assert r.restricted is (iso3 == "CHN")
        assert r.hhi == pytest.approx(hhi, abs=0.01)
        assert r.restricted_share == pytest.approx(value["CHN"] / total_v)
        assert r.basis == "reported by the importer"
    assert rows[0].iso3 == "CHN"


def test_import_dependence_falls_back_to_reconciled_then_mirror(empty_kb):
    comtrade([COMTRADE]).write(empty_kb.backend)
    # nobody declares flows to France in the Comtrade sample: only the reconciled BACI figure is there
    baci(BACI, countries=COUNTRIES).write(empty_kb.backend)
    fra = empty_kb.queries.import_dependence(importer="FRA", year=2022, hs=None)
    assert [(r.iso3, r.basis, r.value_share) for r in fra] == [("CHN", "reconciled", pytest.approx(1.0))]
    # CHN's exports to JPN are a mirror figure; the USA's own import figures win over them
    usa = empty_kb.queries.import_dependence(importer="USA", year=2022, hs="850511")
    assert {r.basis for r in usa} == {"reported by the importer"}
    assert {r.iso3: r.tonnes for r in usa} == {"CHN": pytest.approx(3000.0), "JPN": pytest.approx(1000.0)}


# --------------------------------------------------------------------------- the CLI


@pytest.mark.slow
def test_cli_import_prints_one_line_per_count_and_refuses_a_malformed_file(engine, tmp_path):
    from tests.engines import run_kb

    engine.empty()
    kept = _comtrade_kept()
    res = run_kb(engine, "import", "comtrade", str(COMTRADE))
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith(f"imported {len(kept) + len(_not_itemised())} flows from 1 file(s) (sources comtrade-")
    assert lines[1].startswith("created ") and lines[1].endswith(" relationships")
    imp = comtrade([COMTRADE])
    skips = [ln for ln in lines[2:] if ln.startswith("skipped ")]
    assert len(skips) == len(imp.skipped) + len(imp.skipped_codes) == len(lines) - 2
    assert "skipped 1 rows: HS code 2601 (not a rare-earth subheading)" in skips
    again = run_kb(engine, "import", "comtrade", str(COMTRADE)).stdout.splitlines()
    assert again[1] == "created 0 nodes and 0 relationships"

    res = run_kb(engine, "import", "baci", str(BACI), "--countries", str(COUNTRIES), "--format", "json")
    import json

    report = json.loads(res.stdout)[0]
    assert report["flows"] == 12 and report["skipped_codes"] == {"010121": 1, "253090": 1, "260111": 1}

    bad = tmp_path / "BACI_HS17_Y2022_V202401b.csv"
    bad.write_text("t,i,j,k,v,q\n2022,156,392,280530,10.000,1.000\n2022,156,392,280530,ten,1.0\n")
    res = run_kb(engine, "import", "baci", str(bad), "--countries", str(COUNTRIES), check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{bad}:3: v" in res.stderr
    res = run_kb(engine, "import", "comtrade", str(tmp_path / "missing.csv"), check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr and "missing.csv" in res.stderr
    res = run_kb(engine, "import", "baci", str(BACI), check=False)  # a release file needs --countries
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{BACI}:1: a BACI release file (t,i,j,k,v,q) needs its country codes file" in res.stderr


# --------------------------------------------------------------------------- other layouts

TRIMMED = FIX / "comtrade-trimmed-sample.csv"


def test_trimmed_comtrade_layout_drops_unsplit_breakdowns_and_keeps_heading_2846_apart(empty_kb):
    rows = _csv(TRIMMED)
    imp = comtrade([TRIMMED])
    # DEU gives CHN twice in one declaration: all of DEU's 850511 imports are dropped, not summed
    deu = [r for r in rows if r["reporter"] == "276"]
    assert imp.skipped["declarations given with their breakdowns and no breakdown columns"] == len(deu) == 3
    assert imp.skipped["HS heading 2846 (4 digits, kept apart: its subheadings are 284610 and 284690)"] == 1
    assert imp.skipped["world totals (partner W00)"] == 1 and imp.skipped_codes == {"250490": 1}
    assert imp.skipped["areas that are not countries"] == 1  # 490, Other Asia nes: not a missing code
    assert imp.skipped["re-imports and re-exports (the partner is the reporter)"] == 1
    assert imp.flows == 3
    imp.write(empty_kb.backend)
    got = empty_kb.queries.import_dependence(importer="JPN", year=2022, hs="850511")
    jpn = {r["partner"]: r for r in rows
           if r["reporter"] == "392" and r["cmd"] == "850511" and r["partner"] in ("156", "608")}
    total = sum(float(r["value"]) for r in jpn.values())
    assert {r.iso3: r.value_share for r in got} == {
        "CHN": pytest.approx(float(jpn["156"]["value"]) / total), "PHL": pytest.approx(float(jpn["608"]["value"]) / total)}
    # the weight: netwgt where given, else qty in kg (qtyunit 8)
    assert {r.iso3: r.tonnes for r in got} == {"CHN": pytest.approx(6.0), "PHL": pytest.approx(4.0)}
    assert {(r.basis, r.coverage) for r in got} == {("reported by the importer", "HS 850511: 2022")}
    assert empty_kb.read("MATCH (:Country {iso3: 'DEU'})-[:IMPORTED]->(f:TradeFlow) RETURN count(f) AS n") == [{"n": 0}]


# --------------------------------------------------------------------------- the bundled flows

RAW = Path(__file__).parents[1] / "data" / "raw" / "trade"
DATA = Path(__file__).parents[1] / "data"
BUNDLED_BACI = [RAW / "baci_2022.csv", RAW / "baci_2024.csv"]


def test_bundled_trade_records_regenerate_from_the_raw_files(tmp_path):
    import hashlib

    from kb.loaders.trade import merged, write_records

    manifest = {r["file"]: r for r in _csv(RAW / "manifest.csv")}
    assert sorted(manifest) == sorted(p.name for p in BUNDLED_BACI)
    for p in BUNDLED_BACI:  # the copies are the bytes the manifest names
        assert hashlib.sha256(p.read_bytes()).hexdigest() == manifest[p.name]["sha256"]
    written = write_records([merged([baci(p) for p in BUNDLED_BACI])], tmp_path, "kb import baci")
    assert sorted(p.name for p in written) == ["sources-trade.yaml", "trade_flows-baci_2022.csv",
                                               "trade_flows-baci_2024.csv"]
    for p in written:
        assert p.read_bytes() == (DATA / p.name).read_bytes(), p.name


def _baci_partners(year: int, importer: str, hs: str = "850511") -> dict[str, float]:
    """Exporter -> US$ from the raw BACI extract: the importer's rows of the code, countries only."""
    import pycountry

    out: dict[str, float] = defaultdict(float)
    for r in _csv(RAW / f"baci_{year}.csv"):
        if r["j"] == importer and r["cmd"] == hs and pycountry.countries.get(alpha_3=r["i"]) is not None:
            out[r["i"]] += float(r["value"])
    return out


def test_japan_magnet_dependence_2022_answers_from_trade(loaded_kb):
    partners = _baci_partners(2022, "JPN")
    total = sum(partners.values())
    rows = loaded_kb.queries.import_dependence(importer="Japan", year=2022, hs="850511")
    assert {r.iso3: r.value_share for r in rows} == {k: pytest.approx(v / total) for k, v in partners.items()}
    assert {r.iso3: r.value_usd for r in rows} == {k: pytest.approx(v) for k, v in partners.items()}
    assert all(r.tonnes is None for r in rows)  # the extract keeps no quantity
    assert {(r.basis, r.year, r.tier) for r in rows} == {("reconciled", 2022, "official")}
    manifest = {r["file"]: r for r in _csv(RAW / "manifest.csv")}
    assert {r.source for r in rows} == {manifest["baci_2022.csv"]["title"]}
    assert {r.coverage for r in rows} == {"HS 850511: 2022, 2024"}
    china = next(r for r in rows if r.iso3 == "CHN")
    assert china.restricted is True  # China's rare-earth export licensing was in force in 2022
    assert china.restricted_share == pytest.approx(sum(
        partners[r.iso3] for r in rows if r.restricted) / total)


def test_us_dependence_from_trade_where_covered_else_mine_production_marked(loaded_kb):
    from tests.test_dependence import _mine_output, _world_edition
    from tests.test_queries import records

    partners = _baci_partners(2024, "USA")
    total = sum(partners.values())
    magnets = loaded_kb.queries.import_dependence(importer="USA", year=2024, hs="850511")
    assert {r.iso3: r.value_share for r in magnets} == {k: pytest.approx(v / total) for k, v in partners.items()}
    assert {r.basis for r in magnets} == {"reconciled"}
    # rare-earth compounds: no redistributable trade figures bundled -> world mine production, marked
    compounds = loaded_kb.queries.import_dependence(importer="USA", year=2022, hs="284690")
    y, src = _world_edition(2022)
    mine = _mine_output(2022)
    world = mine.pop("WLD")
    assert {r.iso3: r.tonnes_share for r in compounds} == {k: pytest.approx(v / world) for k, v in mine.items()}
    assert {(r.basis, r.year, r.value_share, r.coverage) for r in compounds} == {
        ("world mine production (no trade figures for this year and code)", y, None, "HS 850511: 2022, 2024")}
    titles = {s.id: s.title for s in records()["Source"]}
    assert {r.source for r in compounds} == {titles[src]}
    # a year without trade figures for the code asked falls back too
    assert {r.basis for r in loaded_kb.queries.import_dependence(importer="USA", year=2023, hs="850511")} == {
        "world mine production (no trade figures for this year and code)"}
