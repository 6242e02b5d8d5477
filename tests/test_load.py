"""Loading: the bundled KB on both engines, idempotent, all-or-nothing, sourced."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest


@pytest.mark.slow
def test_bundled_kb_is_fully_sourced_and_idempotent(empty_kb):
    first = empty_kb.load()
    assert first.counters.nodes_created == first.nodes > 0
    assert first.counters.relationships_created == first.relationships > 0
    s1 = empty_kb.stats()
    assert s1["sourced_share"] == 1.0
    assert s1["nodes"]["Element"] == 17
    again = empty_kb.load()
    assert again.counters.nodes_created == 0 and again.counters.relationships_created == 0
    assert empty_kb.stats() == s1


@pytest.mark.slow
def test_both_engines_hold_the_same_graph(both_loaded):
    stats = {name: e.loaded().stats() for name, e in both_loaded.items()}
    emb, neo = stats["embedded"], stats["neo4j"]
    assert emb["nodes"] == neo["nodes"]
    assert emb["relationships"] == neo["relationships"]
    assert emb["checksum"] == neo["checksum"]


def test_figures_match_the_data_files(loaded_kb, data_dir):
    rows = []
    for path in sorted(data_dir.glob("production-usgs*.csv")):  # typed and imported (MCS, MYB, DS140)
        with open(path, encoding="utf-8") as f:
            rows += [r for r in csv.DictReader(line for line in f if not line.startswith("#")) if r["tonnes"]]
    assert len(rows) > 50
    for r in rows[:: max(1, len(rows) // 25)]:  # a spread-out sample
        got = loaded_kb.read(
            "MATCH (p:Production {iso3: $iso3, year: $year, stage: $stage})-[:SOURCED_FROM]->(s:Source {id: $src}) "
            "RETURN p.tonnes AS t",
            {"iso3": r["iso3"], "year": int(r["year"]), "stage": r["stage"], "src": r["sources"].split(";")[0]},
        )
        assert got == [{"t": pytest.approx(float(r["tonnes"]))}], r


def test_every_element_has_a_use(loaded_kb):
    rows = loaded_kb.read("MATCH (e:Element) OPTIONAL MATCH (e)-[:USED_IN]->(u:Use) "
                          "WITH e, count(u) AS n WHERE n = 0 RETURN e.symbol AS s")
    assert rows == []


def test_every_production_year_has_a_world_total(loaded_kb):
    years = {r["y"] for r in loaded_kb.read(
        "MATCH (p:Production {stage: 'mining', iso3: 'WLD'}) RETURN DISTINCT p.year AS y")}
    latest = max(years)
    assert set(range(2010, latest + 1)) <= years


# Broken data (every kind at once, refused whole): tests/test_hostile.py


@pytest.mark.slow
def test_user_folder_loads_beside_the_bundled_one(empty_kb, tmp_path, data_dir):
    own = tmp_path / "own"
    own.mkdir()
    (own / "mine.yaml").write_text(
        "sources:\n  - {id: my-note, title: My note, publisher: Me, date: '2026-01', kind: web}\n"
        "agreements:\n  - {id: my-deal, name: My deal, kind: mou, date: '2026-01-02', parties: [JPN, AUS],"
        " elements: [Dy], sources: [my-note]}\n"
    )
    shutil.copytree(data_dir, tmp_path / "bundled", ignore=shutil.ignore_patterns("__*"))
    empty_kb.load([tmp_path / "bundled", own])
    rows = empty_kb.read("MATCH (c:Country)-[:PARTY_TO]->(a:Agreement {id: 'my-deal'}) RETURN c.iso3 AS c ORDER BY c")
    assert rows == [{"c": "AUS"}, {"c": "JPN"}]
    assert empty_kb.stats()["sourced_share"] == 1.0


def test_dry_run_writes_nothing(empty_kb):
    report = empty_kb.load(dry_run=True)
    assert report.records > 0
    assert empty_kb.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]


def test_data_dir_is_the_package_one(data_dir):
    assert (Path(data_dir) / "sources-base.yaml").exists()
