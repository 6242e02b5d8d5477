"""The benchmark harness works (at a tiny scale, on each engine). Nothing here is about time:
benchmarks are not timed tests; docs/benchmarks.md holds the figures."""

from __future__ import annotations

import json

import pytest

from kb.bench.generate import generate
from kb.bench.run import render_markdown, rows_for, run_bench
from kb.core import bundled_data_dir


def test_generator_writes_valid_data_files(tmp_path):
    g = generate(tmp_path, 3000)
    assert {"sources", "organisations", "production", "agreements", "trade_flows"} <= set(g.records)
    assert all(f.is_file() for f in g.files)
    rows, _ = rows_for([bundled_data_dir(), g.folder])  # the loaders' validation: raises on any bad record
    base, _ = rows_for([bundled_data_dir()])
    assert len(rows.nodes["TradeFlow"]) - len(base.nodes["TradeFlow"]) == g.records["trade_flows"]
    assert len(rows.nodes["Organisation"]) - len(base.nodes["Organisation"]) == g.records["organisations"]
    assert len(rows.nodes["Country"]) > 200  # real ISO 3166 countries, hundreds of them
    added = rows.rel_count - base.rel_count
    assert 0.7 * 3000 < added < 1.5 * 3000
    again = generate(tmp_path / "again", 3000)
    assert [f.read_bytes() for f in again.files] == [f.read_bytes() for f in g.files]  # seeded


@pytest.mark.slow
def test_harness_runs_on_each_engine(engine):
    k = engine.empty()
    try:
        report = run_bench(scale=300, engines=(engine.name,), repeat=1, min_calls=1, naive_scale=300,
                           cold_repeat=1 if engine.name == "embedded" else 0, kbs={engine.name: (k, None)})
    finally:
        engine.content = "unknown"
    json.dumps(report)  # JSON-able
    e = report["engines"][engine.name]
    assert e["speedup_vs_naive"] > 0
    c = e["compare"]
    # every way of loading wrote exactly the rows generated and validated
    assert c["loaded"]["loader"] == [c["nodes"], c["relationships"]]
    assert c["loaded"]["naive"] == [c["nodes"], c["relationships"]]
    if k.backend.load_csv_dir() is not None:
        assert c["loaded"]["load_csv"] == [c["nodes"], c["relationships"]]
    s = e["scaled_load"]
    assert s["loaded"] == [s["nodes"], s["relationships"]]
    assert s["relationships"] > e["bundled"]["relationships"]
    b = e["scaled_bulk"]  # the bulk path of the same rows: the same counts, or why there is none
    assert b["loaded"] == [s["nodes"], s["relationships"]] if "skipped" not in b else "MERGE" in b["skipped"]
    if "skipped" not in b:  # the writer's own phases, heard through its hook
        assert "schema_s" in b["parts"] and len(b["parts"]) >= 2 and all(v >= 0 for v in b["parts"].values())
    from kb.queries import catalog

    for part in ("questions_bundled", "questions_scaled"):
        assert set(e[part]) == set(catalog.catalog())
        assert all({"p50_ms", "p95_ms"} <= set(q) for q in e[part].values())
    if engine.name == "embedded":
        assert report["cold_start"]["first_answer_s"]["n"] == 1
    assert {t["engine"] for t in report["targets"]} >= {engine.name}
    text = render_markdown(report)
    assert "speedup_vs_naive" in text and "### Targets" in text


def test_bench_command_is_registered_with_an_example():
    from typer.testing import CliRunner

    from kb.cli.main import app

    assert [c.name for c in app.registered_commands].count("bench") == 1
    res = CliRunner().invoke(app, ["bench", "--help"])
    assert res.exit_code == 0 and "Example:" in res.output
