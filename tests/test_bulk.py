"""The bulk path (`kb load --bulk`): the engine's own importer into an empty store gives the
same graph as the MERGE loader, keeps the schema, and refuses a store that holds anything."""

from __future__ import annotations

import pytest

from kb.errors import NotEmptyError
from tests.engines import run_kb


@pytest.mark.slow
def test_bulk_load_gives_the_graph_the_merge_loader_gives(empty_kb):
    merged = empty_kb.load()
    want = empty_kb.stats()
    answer = empty_kb.ask("top_producers", {"year": 2024})
    empty_kb.clear()

    report = empty_kb.load(bulk=True)
    assert report.method == "bulk" and report.note is None
    assert report.counters.nodes_created == merged.nodes
    assert report.counters.relationships_created == merged.relationships
    got = empty_kb.stats()
    assert got["checksum"] == want["checksum"]
    assert got == want
    assert empty_kb.ask("top_producers", {"year": 2024}) == answer
    # the keys are indexed and unique after a bulk load: a MERGE load on top changes nothing
    again = empty_kb.load()
    assert again.counters.nodes_created == 0 and again.counters.relationships_created == 0
    assert empty_kb.stats()["checksum"] == want["checksum"]


def test_bulk_load_refuses_a_store_that_is_not_empty(empty_kb):
    empty_kb.write("CREATE (:Source {id: 'kept', title: 'a source already there'})")
    with pytest.raises(NotEmptyError, match="needs an empty store"):
        empty_kb.load(bulk=True)
    assert empty_kb.read("MATCH (n) RETURN n.id AS id") == [{"id": "kept"}]


def test_cli_bulk_refusal_is_one_line(empty_kb, engine):
    empty_kb.write("CREATE (:Source {id: 'kept', title: 'a source already there'})")
    res = run_kb(engine, "load", "--bulk", check=False)
    assert res.returncode != 0
    err = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(err) == 1 and "needs an empty store" in err[0], res.stderr
    assert "Traceback" not in res.stderr
    assert empty_kb.read("MATCH (n) RETURN count(n) AS n") == [{"n": 1}]


@pytest.mark.slow
def test_neo4j_not_started_here_falls_back_to_merge_and_says_so(empty_kb, engine, monkeypatch, tmp_path):
    if engine.name != "neo4j":
        pytest.skip("the fallback is Neo4j's: FalkorDB bulk-loads over its connection")
    from kb.engines import neo4j_local

    if neo4j_local.local_server(engine.uri or "") is None:
        pytest.skip(f"this Neo4j ({engine.uri}) is not a local one of kb's: the bulk path is the fallback already")
    merged = empty_kb.load()
    want = empty_kb.stats()["checksum"]
    empty_kb.clear()
    monkeypatch.setenv("KB_HOME", str(tmp_path))  # another KB_HOME: the server is no local one of its own
    report = empty_kb.load(bulk=True)
    assert report.method == "merge"
    assert report.note and "loaded with MERGE instead" in report.note
    assert report.counters.relationships_created == merged.relationships
    assert empty_kb.stats()["checksum"] == want


@pytest.mark.slow
def test_bulk_keeps_every_value_and_type_when_rows_of_a_label_differ(empty_kb):
    """Rows of one label (or type) with different properties, a property with values of several
    types, lists, text with quotes and commas: the bulk path gives what the MERGE loader gives
    (FalkorDB: one GRAPH.BULK header with nulls for absent values; Neo4j: one CSV file, split
    where a property's types differ)."""
    from kb.loaders.build import GraphRows
    from kb.loaders.write import write_rows

    rows = GraphRows()
    rows.add_node("Source", "s-int", {"title": 'a "quoted", title', "n": 3, "flag": True})
    rows.add_node("Source", "s-float", {"title": "ümlaut, 中文", "n": 2.5})
    rows.add_node("Source", "s-text", {"n": "3", "tags": ["a", "b,c"]})
    rows.add_node("Source", "s-bare", {})
    rows.add_node("Country", "AAA", {"name": "A", "codes": [1, 2]})
    rows.add_rel("SOURCED_FROM", ("Country", "AAA"), ("Source", "s-int"), {"w": 1})
    rows.add_rel("SOURCED_FROM", ("Country", "AAA"), ("Source", "s-float"), {"w": 1.5, "sources": ["x"]})
    rows.add_rel("SOURCED_FROM", ("Country", "AAA"), ("Source", "s-bare"), {})

    def graph() -> list[dict]:
        nodes = empty_kb.read("MATCH (n) RETURN labels(n)[0] AS label, properties(n) AS p ORDER BY label, coalesce(n.id, n.iso3)")
        rels = empty_kb.read("MATCH (a)-[r]->(b) RETURN type(r) AS t, a.iso3 AS a, b.id AS b, properties(r) AS p ORDER BY b")
        return [*nodes, *rels]

    reason = empty_kb.backend.bulk_unavailable()
    if reason:  # a Neo4j not started under this process's KB_HOME (tests/engines.py moves KB_HOME)
        pytest.skip(reason)
    write_rows(empty_kb.backend, rows)
    want = graph()
    assert {"label": "Source", "p": {"id": "s-text", "n": "3", "tags": ["a", "b,c"]}} in want
    empty_kb.clear()
    counters = empty_kb.backend.bulk_write(rows)
    assert counters.nodes_created == 5 and counters.relationships_created == 3
    got = graph()
    assert got == want
    assert [type(x["p"].get("n")) for x in got if x.get("label") == "Source"] == [type(None), float, int, str]
