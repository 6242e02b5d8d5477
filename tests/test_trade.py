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


def _counts(k) -> dict[str, int]:  # noqa: ANN001
    s = k.stats()
    return {**s["nodes"], **{f"-{t}": n for t, n in s["relationships"].items()}}


def test_comtrade_import_counts_skips_and_is_idempotent(empty_kb):
    rows = _csv(COMTRADE)
    kept = _comtrade_kept()
    imp = comtrade([COMTRADE])
    assert imp.flows == len(kept) == 11
    assert imp.skipped_codes == {"2601": 1}
    assert imp.skipped["world totals (partner W00)"] == sum(
        1 for r in rows if r["partnerISO"] == "W00" and r["cmdCode"] in HS_CODES)
    first = imp.write(empty_kb.backend)
    assert first.nodes_created > 0
    n = empty_kb.read("MATCH (f:TradeFlow)-[:SOURCED_FROM]->(s:Source {kind: 'dataset', tier: 'official'}) "
                      "RETURN count(f) AS n, collect(DISTINCT s.file) AS files, collect(DISTINCT s.sha256) AS sha")
    assert n[0]["n"] == len(kept) and n[0]["files"] == ["comtrade-sample.csv"] and len(n[0]["sha"][0]) == 64
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
    total_v, total_t = sum(value.values()), sum(tonnes.values())
    hhi = sum((100 * v / total_v) ** 2 for v in value.values())

    rows = empty_kb.queries.import_dependence(importer="Japan", year=2022, hs=hs)
    got = {r.iso3: r for r in rows}
    assert set(got) == set(value)
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


def test_cli_import_prints_one_line_per_count_and_refuses_a_malformed_file(engine, tmp_path):
    from tests.test_cli import run_kb

    engine.empty()
    kept = _comtrade_kept()
    res = run_kb(engine, "import", "comtrade", str(COMTRADE))
    lines = res.stdout.strip().splitlines()
    assert lines[0].startswith(f"imported {len(kept)} flows from 1 file(s) (sources comtrade-")
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
