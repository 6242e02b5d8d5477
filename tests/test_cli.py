"""The CLI end to end, in a subprocess, on both engines: output formats, parameter
conversion, and one clear line (no traceback) for user errors."""

from __future__ import annotations

import json

import pytest

from tests.engines import run_kb


def test_queries_lists_every_question_as_json():
    from kb.queries.catalog import catalog

    items = json.loads(run_kb(None, "queries", "--format", "json").stdout)
    assert {i["name"] for i in items} == set(catalog())
    assert all({"name", "description", "params"} <= set(i) for i in items)


@pytest.mark.slow
def test_query_json_csv_and_list_parameters(engine):
    engine.loaded()
    rows = json.loads(run_kb(engine, "query", "top_producers", "-p", "year=2024", "-p", "limit=3", "--format", "json").stdout)
    assert len(rows) == 3 and rows[0]["iso3"] == "CHN" and isinstance(rows[0]["tonnes"], float)
    csv_out = run_kb(engine, "query", "element_profile", "-p", "symbol=Nd", "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("symbol,name,atomic_number") and csv_out[1].startswith("Nd,Neodymium,60")
    table = run_kb(engine, "query", "disputes", "-p", "iso3=JPN").stdout
    assert "DS433" in table


@pytest.mark.slow
def test_stats_json_and_doctor(engine):
    engine.loaded()
    stats = json.loads(run_kb(engine, "stats", "--format", "json").stdout)
    assert {"nodes", "relationships", "sourced_share", "checksum"} <= set(stats)
    assert stats["sourced_share"] == 1.0 and stats["nodes"]["Element"] == 17
    doctor = json.loads(run_kb(engine, "doctor", "--format", "json").stdout)[0]
    assert doctor["ok"] is True and doctor["elements"] == 17


@pytest.mark.parametrize("args, message", [
    (["query", "top_producers", "-p", "year=twenty"], "year must be int"),
    (["query", "top_producers"], "missing parameter year"),
    (["query", "top_producerz", "-p", "year=2011"], "did you mean top_producers"),
    (["query", "top_producers", "-p", "year"], "KEY=VALUE"),
    (["--uri", "ftp://nowhere", "stats"], "unknown URI scheme"),
    (["load", "/no/such/folder"], "no such file or folder"),
])
def test_user_errors_are_one_line_without_traceback(args, message):
    res = run_kb(None, *args, check=False)
    assert res.returncode == 1
    assert message in res.stderr
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) <= 3


@pytest.mark.slow
def test_bad_data_lists_every_problem(engine, tmp_path):
    engine.empty()
    (tmp_path / "production-x.csv").write_text("iso3,year,stage,tonnes,sources\nCHN,2011,mining,-1,nope\nXXX,1800,mining,1,nope\n")
    res = run_kb(engine, "load", str(tmp_path), check=False)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "nothing was written" in res.stderr
    assert "production-x.csv:2: tonnes" in res.stderr and "production-x.csv:3: year" in res.stderr


def test_password_never_printed():
    res = run_kb(None, "--uri", "bolt://neo4j:hunter2-secret@127.0.0.1:1", "doctor", check=False)
    assert res.returncode == 1
    assert "hunter2" not in res.stdout + res.stderr
