"""`kb console`: statements, commands, completion and read-only enforcement on both
engines, in-process through `Session` and from stdin through the real `kb` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.analysis.console import Session, Splitter, Vocabulary, complete, split_statements
from kb.analysis.output import Format
from kb.queries.catalog import used_params
from tests.engines import HANG, running, terminate, wait_running

ROOT = Path(__file__).resolve().parent.parent
KB_CMD = [sys.executable, "-m", "kb"]  # the kb of the interpreter running the tests

#: every kind of write, including one after WITH and one in a subquery-free pattern create
WRITES = [
    "CREATE (:Probe {x: 1}) RETURN 1;",
    "MERGE (p:Probe {x: 1}) RETURN p;",
    "MATCH (e:Element {symbol: 'Nd'}) SET e.probe = 1;",
    "MATCH (e:Element {symbol: 'Nd'}) DELETE e;",
    "MATCH (e:Element {symbol: 'Nd'}) DETACH DELETE e;",
    "MATCH (e:Element {symbol: 'Nd'}) REMOVE e.name;",
    "MATCH (e:Element) WITH e ORDER BY e.symbol LIMIT 1 SET e.probe = 2 RETURN e.symbol;",
    "MATCH (e:Element) WITH e LIMIT 1 CREATE (e)-[:PROBE]->(:Probe) RETURN e;",
]


# --------------------------------------------------------------------------- no engine needed


def test_statements_split_at_semicolons_outside_strings_and_comments():
    text = (
        "// a comment; not an end\n"
        "MATCH (e:Element) // trailing ; comment\n"
        "WHERE e.name = 'a;b' OR e.name = \"it\\\"s;\" /* block ; */\n"
        "RETURN e;\n"
        ":param x => 1\n"
        ":params\n"
        "RETURN `odd;name` AS x; RETURN 2\n"
    )
    got = split_statements(text)
    assert [line for line, _ in got] == [2, 5, 6, 7, 7]
    assert got[0][1].endswith("RETURN e") and "'a;b'" in got[0][1]
    assert [s for _, s in got[1:]] == [":param x => 1", ":params", "RETURN `odd;name` AS x", "RETURN 2"]


def test_prompt_accepts_only_ended_statements():
    assert Splitter.complete("MATCH (n)\nRETURN n;")
    assert Splitter.complete(":help")
    assert Splitter.complete("   ")
    assert not Splitter.complete("MATCH (n)\nRETURN n")
    assert not Splitter.complete("RETURN 'still;open")
    assert not Splitter.complete("RETURN 1; RETURN")
    assert not Splitter.complete("RETURN 1 /* ; */")


def test_used_params_ignore_strings_and_comments():
    assert used_params("RETURN $a, '$b', $c // $d\n/* $e */ , $a") == ["a", "c"]


def test_completion_without_a_graph():
    v = Vocabulary(labels=["Country", "Element"], relationship_types=["OF_COUNTRY", "SOURCED_FROM"],
                   property_keys=["name", "symbol"], questions=["top_producers", "timeline"])
    assert complete("MATCH (e:El", v) == [("Element", 2)]
    assert complete("MATCH (e)-[r:SO", v) == [("SOURCED_FROM", 2)]
    assert complete("MATCH (e)-[:OF_COUNTRY]->(c:Co", v) == [("Country", 2)]
    assert complete("MATCH (e) RETURN e.sy", v) == [("symbol", 2)]
    assert complete("RETURN $y", v, {"year": 2020}) == [("year", 1)]
    assert complete(":ru", v) == [(":run", 3)]
    assert complete(":run top", v) == [("top_producers", 3)]
    assert ("year=", 0) in complete(":run top_producers ", v)
    assert complete(":run top_producers year=2020 st", v) == [("stage=", 2)]
    assert ("MATCH", 3) in complete("mat", v)


# --------------------------------------------------------------------------- on both engines


def test_reads_as_table_json_and_csv(loaded_kb):
    stmt = "MATCH (e:Element) WHERE e.symbol IN ['Nd', 'Dy'] RETURN e.symbol AS symbol, e.name AS name ORDER BY symbol;"
    table = Session(loaded_kb).execute(stmt)
    assert table.ok and "Neodymium" in table.output and "2 rows" in table.output
    assert table.message.endswith(" ms")
    as_json = Session(loaded_kb, fmt=Format.json).execute(stmt)
    assert json.loads(as_json.output) == [{"symbol": "Dy", "name": "Dysprosium"}, {"symbol": "Nd", "name": "Neodymium"}]
    as_csv = Session(loaded_kb, fmt=Format.csv).execute(stmt)
    assert as_csv.output.splitlines() == ["symbol,name", "Dy,Dysprosium", "Nd,Neodymium"]
    assert "(no rows)" in Session(loaded_kb).run("MATCH (e:Element {symbol: 'Xx'}) RETURN e;")


@pytest.mark.parametrize("statement", WRITES, ids=["create", "merge", "set", "delete", "detach-delete", "remove",
                                                   "set-after-with", "create-after-with"])
def test_every_write_is_refused_unless_write(engine, loaded_kb, statement):
    before = loaded_kb.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    res = Session(loaded_kb).execute(statement)
    try:
        assert res.refused and not res.ok
        assert res.message.startswith("refused:") and "--write" in res.message
        assert loaded_kb.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == before
        nd = loaded_kb.read("MATCH (e:Element {symbol: 'Nd'}) RETURN e.name AS name, e.probe AS probe")
        assert nd == [{"name": "Neodymium", "probe": None}]
    except AssertionError:
        engine.content = "unknown"  # the refusal failed: reload the KB for the next test
        raise


def test_write_mode_writes_and_counts(empty_kb):
    s = Session(empty_kb, write=True)
    res = s.execute("CREATE (:Probe {x: 1}), (:Probe {x: 2});")
    assert res.ok and "nodes created 2" in res.message
    assert "2" in s.run("MATCH (p:Probe) RETURN count(p) AS n;")
    assert Session(empty_kb).execute("MATCH (p:Probe) DELETE p;").refused
    assert s.execute("MATCH (p:Probe) DELETE p;").ok


def test_params_as_in_cypher_shell(loaded_kb):
    s = Session(loaded_kb, fmt=Format.json)
    assert s.execute(":param sym => 'N' + 'd'").ok
    assert s.execute(":param {years: range(2010, 2012), lim: 2}").ok
    assert s.params == {"sym": "Nd", "years": [2010, 2011, 2012], "lim": 2}
    out = s.execute("MATCH (e:Element {symbol: $sym}) RETURN e.name AS name LIMIT $lim;")
    assert json.loads(out.output) == [{"name": "Neodymium"}]
    assert json.loads(s.execute(":params").output)["sym"] == "Nd"
    missing = s.execute("RETURN $nope AS x;")
    assert not missing.ok and ":param nope" in missing.message
    assert s.execute(":param clear").ok and s.params == {}
    assert not s.execute(":param oops").ok


def test_run_canned_questions(loaded_kb):
    s = Session(loaded_kb)
    out = s.execute(":run element_profile symbol=Nd")
    assert out.ok and "Neodymium" in out.output
    s.execute(":param s => 'Dy'")
    assert "Dysprosium" in s.run(":run element_profile symbol=$s")
    hist = Session(loaded_kb, fmt=Format.json).execute(":run production_history iso3=CHN stage=mining")
    assert hist.ok and all(r["year"] >= 1990 for r in json.loads(hist.output))
    bad = s.execute(":run top_producers year=soon")
    assert not bad.ok and "must be int" in bad.message
    unknown = s.execute(":run top_producer year=2020")
    assert not unknown.ok and "did you mean top_producers" in unknown.message


def test_help_schema_queries_exit_and_mistakes(loaded_kb):
    s = Session(loaded_kb)
    assert ":param" in s.run(":help")
    schema = s.run(":schema")
    assert "Element" in schema and "symbol" in schema and "SOURCED_FROM" in schema and "_KbInit" not in schema
    assert "top_producers" in s.run(":queries")
    assert s.execute(":exit").exit and s.execute(":quit;").exit
    unknown = s.execute(":frobnicate")
    assert not unknown.ok and ":help" in unknown.message
    bad = s.execute("MATCH (n RETURN n;")
    assert not bad.ok and not bad.refused and bad.message.startswith("error:")


def test_completion_reads_the_graph(loaded_kb):
    s = Session(loaded_kb)
    v = s.vocabulary()
    assert {"Element", "Country", "Production", "Source"} <= set(v.labels)
    assert {"SOURCED_FROM", "OF_COUNTRY", "USED_IN"} <= set(v.relationship_types)
    assert {"symbol", "iso3", "names_lc", "tonnes"} <= set(v.property_keys)
    assert "top_producers" in v.questions
    assert ("Element", 3) in s.complete("MATCH (e:Ele")
    assert ("OF_COUNTRY", 4) in s.complete("MATCH (p)-[:OF_C")
    assert ("atomic_number", 3) in s.complete("MATCH (e:Element) RETURN e.ato")


# --------------------------------------------------------------------------- the real command, from stdin


def _cli(engine, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KB_URI", "KB_GRAPH", "KB_USER", "KB_PASSWORD")}
    opts = engine.options
    if "home" in opts:
        env["KB_HOME"] = opts["home"]
    if "graph" in opts:
        env["KB_GRAPH"] = opts["graph"]
    if "user" in opts:
        env["KB_USER"] = opts["user"]
    if "password" in opts:
        env["KB_PASSWORD"] = opts["password"]
    uri = ["--uri", engine.uri] if engine.uri else []
    return subprocess.run([*KB_CMD, *uri, *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=HANG, cwd=ROOT)


@pytest.mark.slow
def test_stdin_runs_statements_and_prints_results(engine, loaded_kb):
    script = (
        "// questions.cypher\n"
        "MATCH (e:Element)\nWHERE e.symbol = 'Nd'\nRETURN e.name AS name;\n"
        ":param sym => 'Dy'\n"
        "MATCH (e:Element {symbol: $sym}) RETURN e.name AS name;\n"
    )
    p = _cli(engine, "console", "--format", "csv", stdin=script)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["name", "Neodymium", "name", "Dysprosium"]
    q = _cli(engine, "--quiet", "console", "--format", "json", stdin="RETURN 1 AS one;")
    assert q.returncode == 0 and json.loads(q.stdout) == [{"one": 1}]


@pytest.mark.slow
def test_stdin_exits_non_zero_on_refusal_and_failure(engine, loaded_kb):
    p = _cli(engine, "console", stdin="RETURN 1 AS one;\nCREATE (:Probe);\nRETURN 2 AS two;\n")
    try:
        assert p.returncode == 1
        assert "one" in p.stdout and "two" in p.stdout  # it goes on after a refusal
        assert "refused" in p.stderr and "line 2" in p.stderr and "Traceback" not in p.stderr
        assert loaded_kb.read("MATCH (p:Probe) RETURN count(p) AS n") == [{"n": 0}]
    except AssertionError:
        engine.content = "unknown"
        raise
    bad = _cli(engine, "console", stdin="MATCH (n RETURN n;\n")
    assert bad.returncode == 1 and "error:" in bad.stderr and "Traceback" not in bad.stderr


# --------------------------------------------------------------------------- a real terminal (pexpect)

def _slow(engine, marker: str) -> str:  # noqa: ANN001
    """A statement that runs for minutes (Neo4j counts 64M rows in a few seconds, FalkorDB in about 30),
    carrying ``marker`` so the test can see it running on the server. The test ends it (Neo4j) or it
    ends on its own (FalkorDB has no way to stop a query)."""
    n = 100_000 if engine.name == "neo4j" else 8_000
    return (f"UNWIND range(1, {n}) AS a UNWIND range(1, {n}) AS b WITH a, b WHERE a * b % 7 = 3 "
            f"RETURN count(*) AS n, '{marker}' AS marker;")


def _pty(engine, tmp_path, *args: str, size: tuple[int, int] = (40, 120), pager: str | None = None):
    pexpect = pytest.importorskip("pexpect")
    env = {k: v for k, v in os.environ.items()
           if k not in ("KB_URI", "KB_GRAPH", "KB_USER", "KB_PASSWORD", "PAGER", "KB_PAGER")}
    env.update({"KB_HOME": str(tmp_path / "home"), "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"})
    if pager is not None:
        env["PAGER"] = pager
    for opt, var in (("home", "KB_HOME"), ("graph", "KB_GRAPH"), ("user", "KB_USER"), ("password", "KB_PASSWORD")):
        if opt in engine.options:
            env[var] = engine.options[opt]
    uri = ["--uri", engine.uri] if engine.uri else []
    child = pexpect.spawn(sys.executable, ["-m", "kb", *uri, "console", *args], env=env, cwd=str(ROOT),
                          encoding="utf-8", timeout=HANG, dimensions=size)
    child.expect_exact("kb>")
    return child, Path(env["KB_HOME"])


def _bye(child) -> None:
    child.send("\x04")  # Ctrl-D on an empty prompt leaves
    child.expect(__import__("pexpect").EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.slow
def test_ctrl_c_cancels_the_statement_and_keeps_the_session(engine, loaded_kb, tmp_path):
    import secrets

    marker = f"kb-test-ctrl-c-{secrets.token_hex(4)}"
    child, _ = _pty(engine, tmp_path)
    child.send(":param x => 7\r")
    child.expect_exact("$x => 7")
    child.send(_slow(engine, marker) + "\r")
    wait_running(engine, marker)  # Ctrl-C while the server is at it, however busy the machine
    try:
        child.sendintr()
        # "cancelled" before the statement could end (minutes of work): the console did not wait for it
        child.expect_exact("cancelled", timeout=HANG)
        assert running(engine, marker), "the statement ended before the console said cancelled"
        child.send("RETURN $x * 6 AS answer;\r")
        child.expect_exact("42", timeout=HANG)  # FalkorDB runs it on another thread beside the old one
        assert child.isalive()
        _bye(child)
    finally:
        terminate(engine, running(engine, marker))  # the statement itself, not its plan: minutes of work must not outlive the test


@pytest.mark.slow
def test_ctrl_d_discards_a_pending_statement(engine, loaded_kb, tmp_path):
    child, home = _pty(engine, tmp_path)
    child.send("MATCH (e:Element)\r")  # no ';': the statement goes on
    child.expect_exact("...>")
    child.send("\x04")
    child.expect_exact("(statement discarded)")
    child.send("RETURN 1 AS one;\r")
    child.expect_exact("1 row")
    _bye(child)
    history = home / "console_history"
    assert history.exists() and (history.stat().st_mode & 0o777) == 0o600  # owner-only


def _plain(text: str) -> list[str]:
    import re

    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")
    return [line for line in text.split("\n") if line.strip()]


@pytest.mark.slow
def test_errors_point_at_the_column_typed(engine, loaded_kb, tmp_path):
    child, _ = _pty(engine, tmp_path)
    child.send("MATCH (e:Element) RETRN e;\r")
    child.expect("\n *\\^")
    lines = _plain(child.before + child.after)
    assert lines[-2] == "MATCH (e:Element) RETRN e" and lines[-3].startswith("error:")
    assert 17 <= lines[-1].index("^") <= 22  # under RETRN, not shifted by a hidden EXPLAIN
    assert "EXPLAIN" not in child.before
    child.send(":param y => 1 +;\r")
    child.expect("\n *\\^")
    assert _plain(child.before + child.after)[-2] == "1 +"  # the expression typed, not RETURN ... AS value
    _bye(child)


@pytest.mark.slow
def test_rows_are_capped_vertical_and_without_internal_properties(engine, loaded_kb, tmp_path):
    child, _ = _pty(engine, tmp_path, "--max-rows", "5")
    child.send("MATCH (e:Element) RETURN e.symbol AS s;\r")
    child.expect_exact("12 more rows")
    child.send(":format vertical\r")
    child.send("MATCH (e:Element {symbol: 'Dy'}) RETURN e;\r")
    child.expect_exact("*** row 1 ***")
    child.expect_exact("1 row")
    assert "Dysprosium" in child.before and "names_lc" not in child.before
    _bye(child)


@pytest.mark.slow
def test_completion_after_a_variable_offers_its_labels_keys(engine, loaded_kb, tmp_path):
    child, _ = _pty(engine, tmp_path)
    child.send("MATCH (e:Element {symbol: 'Dy'}) RETURN e.atomic_n\t")
    child.expect_exact("umber")  # the completion shown: the rest of atomic_number
    child.send(";\r")
    child.expect_exact("1 row")
    assert "66" in child.before  # Tab completed atomic_number (no other key of Element starts so)
    _bye(child)


#: a pager that marks what went through it (pydoc runs $PAGER through the shell)
MARKING_PAGER = "sed -e 's/^/PAGED|/'"
LONG = "UNWIND range(1, 60) AS i RETURN i;"


@pytest.mark.slow
def test_long_output_goes_through_the_pager(engine, loaded_kb, tmp_path):
    child, _ = _pty(engine, tmp_path, size=(24, 100), pager=MARKING_PAGER)
    child.send("RETURN 1 AS one;\r")  # fits: printed as it is
    child.expect_exact("1 row")
    assert "PAGED|" not in child.before
    child.send(LONG + "\r")
    child.expect_exact("60 rows")  # taller than the terminal: every line through the pager
    paged = _plain(child.before + child.after)
    assert paged[-1] == "PAGED|60 rows" and "PAGED|│ 1  │" in paged
    child.send(":pager off\r")
    child.expect_exact("pager off")
    child.send(LONG + "\r")
    child.expect_exact("60 rows")
    assert "PAGED|" not in child.before
    _bye(child)
    child, _ = _pty(engine, tmp_path, "--no-pager", size=(24, 100), pager=MARKING_PAGER)
    child.send(LONG + "\r")
    child.expect_exact("60 rows")
    assert "PAGED|" not in child.before
    _bye(child)


@pytest.mark.slow
@pytest.mark.skipif(not __import__("shutil").which("less"), reason="no less on this machine")
def test_the_default_pager_is_less_and_q_returns_to_the_prompt(engine, loaded_kb, tmp_path):
    child, _ = _pty(engine, tmp_path, size=(24, 100))
    child.send(LONG + "\r")
    child.expect_exact("│ 20 ")  # less shows the first screen and waits for a key
    child.send("q")  # less waits for a key: the rows after the first screen are not printed
    child.expect_exact("kb>")
    assert "60 rows" not in child.before
    child.send("RETURN 2 AS two;\r")
    child.expect_exact("1 row")
    _bye(child)


@pytest.mark.slow
def test_engine_notifications_are_shown(engine, loaded_kb, tmp_path):
    child, _ = _pty(engine, tmp_path)
    child.send("MATCH (n:NoSuchLabel) RETURN n;\r")
    child.expect(r"\d+ ms")
    said = " ".join(_plain(child.before))
    assert "(no rows)" in said
    if engine.name == "neo4j":  # Neo4j warns of the unknown label; FalkorDB says nothing
        assert "neo4j warning" in said and "NoSuchLabel" in said
    else:
        assert "warning" not in said
    child.send("MATCH (e:Element {symbol: 'Nd'}) RETURN id(e) >= 0 AS ok;\r")
    child.expect(r"\d+ ms")
    said = " ".join(_plain(child.before))
    assert "true" in said.lower()
    if engine.name == "neo4j":
        assert "deprecated" in said.lower()
    _bye(child)


@pytest.mark.slow
def test_narrow_terminals_do_not_break_dates_and_names(engine, loaded_kb, tmp_path):

    stmt = ("MATCH (e:Event) WHERE e.date STARTS WITH '2010' "
            "RETURN e.date AS date, e.name AS event, e.kind AS kind ORDER BY date;")
    want = loaded_kb.read(stmt.rstrip(";"))
    assert len(want) >= 3
    child, _ = _pty(engine, tmp_path, size=(40, 64))
    child.send(stmt + "\r")
    child.expect_exact(f"{len(want)} rows")
    lines = [line for line in _plain(child.before) if line.startswith("│")]
    cells = [[c.strip() for c in line.strip("│").split("│")] for line in lines]
    assert [c[0] for c in cells if c[0]] == [r["date"] for r in want]  # every date whole on one line
    assert [c[2] for c in cells if c[2]] == [r["kind"] for r in want]  # kinds too
    words = {w for r in want for w in r["event"].split()}
    assert {w for c in cells for w in c[1].split()} <= words  # names wrap between words only
    assert max(len(line) for line in lines) <= 64
    _bye(child)
