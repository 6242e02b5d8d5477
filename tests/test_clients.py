"""Clients that others wrote, reading the KB: Neo4j's cypher-shell runs the canned `.cypher` files,
LangChain's graph wrappers run them through their own drivers, and neo4j-graphrag's Text2Cypher
retriever takes the schema text of `kb schema --format text`. Each must get the rows `KB.ask` gets.

The resolver runs in Python: the clients are given the parameters `KB.parameters` returns (keys,
not names), as docs/clients.md tells users to do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kb.bench.run import SAMPLES
from kb.queries import catalog
from kb.schema import graph_schema
from tests.conftest import engine_named
from tests.engines import Engine, run_kb
from tests.test_queries import records

QUESTIONS = sorted(catalog.catalog())


def samples(name: str) -> list[dict[str, Any]]:
    return SAMPLES.get(name) or [{}]


def expected(k: Any, name: str, params: dict[str, Any]) -> list[list[Any]]:
    """The rows `KB.ask` gives, as lists in the question's column order."""
    rows = k.ask(name, params)
    cols = [c.name for c in catalog.get(name).columns]
    return [[r[c] for c in cols] for r in rows.to_dicts()]


@pytest.fixture
def loaded_neo4j(request: pytest.FixtureRequest) -> Engine:
    """The Neo4j engine holding the bundled KB (tests using it must not write)."""
    e = engine_named(request, "neo4j")
    e.loaded()
    return e


@pytest.fixture
def loaded_embedded(request: pytest.FixtureRequest) -> Engine:
    """The embedded engine holding the bundled KB (tests using it must not write)."""
    e = engine_named(request, "embedded")
    e.loaded()
    return e


# --------------------------------------------------------------------------- cypher-shell


class PlainValues:
    """cypher-shell's ``--format plain`` rows: comma-separated Cypher-style values ("text" with
    backslash escapes, 1.0E-4, NULL, TRUE, [..], {key: ..})."""

    TOKEN = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?(?:\d+\.\d*|\d+)(?:[eE][-+]?\d+)?|-?NaN|-?Infinity)'
                       r"|(?P<word>NULL|TRUE|FALSE)|(?P<punct>[\[\]{},:])|(?P<key>[A-Za-z_][A-Za-z0-9_]*))")

    def __init__(self, line: str) -> None:
        self.line, self.pos = line, 0

    def _next(self) -> tuple[str, str]:
        m = self.TOKEN.match(self.line, self.pos)
        if not m:
            raise ValueError(f"cannot read cypher-shell output at {self.pos}: {self.line[self.pos:self.pos + 40]!r}")
        self.pos = m.end()
        kind = m.lastgroup or ""
        return kind, m.group(kind)

    def value(self) -> Any:
        kind, text = self._next()
        if kind == "str":
            import json

            return json.loads(text)
        if kind == "num":
            return float(text) if any(c in text for c in ".eEIN") else int(text)
        if kind == "word":
            return {"NULL": None, "TRUE": True, "FALSE": False}[text]
        if text == "[":
            items: list[Any] = []
            while not self._peek("]"):
                items.append(self.value())
                self._peek(",")
            return items
        if text == "{":
            out: dict[str, Any] = {}
            while not self._peek("}"):
                _, key = self._next()
                assert self._next()[1] == ":"
                out[key] = self.value()
                self._peek(",")
            return out
        raise ValueError(f"unexpected {text!r} in cypher-shell output: {self.line!r}")

    def _peek(self, punct: str) -> bool:
        m = re.compile(r"\s*" + re.escape(punct)).match(self.line, self.pos)
        if m:
            self.pos = m.end()
        return bool(m)

    def row(self) -> list[Any]:
        values = [self.value()]
        while self._peek(","):
            values.append(self.value())
        if self.line[self.pos:].strip():
            raise ValueError(f"trailing text in cypher-shell output: {self.line[self.pos:]!r}")
        return values


MARK = "kb_sample"


def cypher_shell(e: Engine, script: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    from kb.engines import neo4j_local

    path = tmp / "questions.cypher"
    path.write_text(script, encoding="utf-8")
    cmd = [*neo4j_local.cypher_shell_command(), "-a", str(e.uri), "--format", "plain", "--access-mode", "read",
           "--non-interactive", "-f", str(path)]
    if e.options.get("password"):
        cmd += ["-u", e.options.get("user", "neo4j"), "-p", e.options["password"]]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "NEO4J_CYPHER_SHELL_HISTORY": "in-memory"})


@pytest.fixture(scope="module")
def shell_installed() -> None:
    from kb.engines import neo4j_local

    if not (shutil.which("java") and shutil.which("mvn")):
        if os.environ.get("CI") == "true":
            pytest.fail("cypher-shell needs Java 17 and Maven under CI=true")
        pytest.skip("cypher-shell needs Java 17 and Maven")
    neo4j_local.install_cypher_shell(quiet=True)


@pytest.mark.neo4j_local
@pytest.mark.slow
def test_cypher_shell_runs_every_canned_file_and_gets_the_rows_of_ask(loaded_neo4j: Engine, shell_installed: None,
                                                                       tmp_path: Path) -> None:
    k = loaded_neo4j.connect()
    script, wanted = [], {}
    for name in QUESTIONS:
        q = catalog.get(name)
        for i, sample in enumerate(samples(name)):
            tag = f"{name}#{i}"
            script.append(f"RETURN '{tag}' AS {MARK};\n")
            script.append(catalog.shell_script(q, k.parameters(name, sample)))
            wanted[tag] = ([c.name for c in q.columns], expected(k, name, sample))
    res = cypher_shell(loaded_neo4j, "".join(script), tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]

    got: dict[str, tuple[list[str], list[list[Any]]]] = {}
    lines = iter(res.stdout.splitlines())
    current: str | None = None  # the tag of the answer being read
    for line in lines:
        if line == MARK:
            current = PlainValues(next(lines)).value()
            got[current] = ([], [])
        elif current is not None and not got[current][0]:
            got[current][0].extend(c.strip() for c in line.split(","))
        elif current is not None:
            got[current][1].append(PlainValues(line).row())
    assert sorted(got) == sorted(wanted)
    nonempty = 0
    for tag, (columns, rows) in wanted.items():
        if rows:  # an empty answer prints no header at all
            assert got[tag][0] == columns, tag
            nonempty += 1
        assert got[tag][1] == rows, tag
    # the samples really return rows: a question answers nothing only when it reads what the bundled
    # data lacks (trade flows, news mentions)
    _, types, _, _ = graph_shape(k)
    labels = {r["l"] for r in k.read("MATCH (n) RETURN DISTINCT labels(n)[0] AS l")}
    absent = [n for n in graph_schema()["nodes"] if n not in labels] + \
        sorted({t for _, t, _ in graph_schema()["relationships"]} - types)
    for name in QUESTIONS:
        if not any(wanted[f"{name}#{i}"][1] for i in range(len(samples(name)))):
            text = catalog.get(name).cypher
            assert any(re.search(rf":{a}\b", text) for a in absent), (name, absent)
    assert nonempty > len(QUESTIONS) // 2


@pytest.mark.slow
@pytest.mark.neo4j_local
def test_kb_query_writes_the_script_cypher_shell_runs(loaded_neo4j: Engine, shell_installed: None, tmp_path: Path) -> None:
    res = run_kb(loaded_neo4j, "query", "alternative_suppliers", "-p", "importer=Japan", "-p", "symbol=dysprosium",
                 "--cypher-shell")
    assert res.stdout.startswith(":param {`importer`: 'JPN', `symbol`: 'Dy', `exclude`: 'CHN', `stage`: null}\n// name: alternative_suppliers")
    shell = cypher_shell(loaded_neo4j, res.stdout, tmp_path)
    assert shell.returncode == 0, shell.stderr
    header, *rows = shell.stdout.splitlines()
    assert header == ("stage, country, iso3, facility, status, tonnes, share, figure, unit, year, agreements, "
                      "facilities")
    assert [PlainValues(r).row() for r in rows] == expected(loaded_neo4j.connect(), "alternative_suppliers",
                                                           {"importer": "JPN", "symbol": "Dy"})


def test_cypher_literals_survive_quotes_and_backslashes() -> None:
    assert catalog.cypher_literal("O'Brien \\ \"x\"\n") == "'O\\'Brien \\\\ \"x\"\\n'"
    assert catalog.cypher_literal(["Dy", None, 1, 2.5, True]) == "['Dy', null, 1, 2.5, true]"


# --------------------------------------------------------------------------- LangChain


@pytest.mark.slow
@pytest.mark.neo4j_local
def test_langchain_neo4j_graph_reads_the_canned_questions(loaded_neo4j: Engine) -> None:
    from langchain_neo4j import Neo4jGraph

    k = loaded_neo4j.connect()
    graph = Neo4jGraph(url=loaded_neo4j.uri, username=loaded_neo4j.options.get("user", ""), password=loaded_neo4j.options.get("password", ""),
                       refresh_schema=False)
    try:
        for name in QUESTIONS:
            q = catalog.get(name)
            cols = [c.name for c in q.columns]
            for sample in samples(name):
                rows = graph.query(q.cypher, k.parameters(name, sample))
                assert [[r[c] for c in cols] for r in rows] == expected(k, name, sample), (name, sample)
    finally:
        graph.close()


def test_langchain_falkordb_graph_reads_the_canned_questions_over_the_unix_socket(loaded_embedded: Engine) -> None:
    from langchain_falkordb import FalkorDBGraph

    from kb.engines.embedded import paths

    k = loaded_embedded.connect()
    sock = paths(Path(loaded_embedded.options["home"]))["socket"]
    # host/port are ignored when redis-py is given a unix socket: the embedded server has no TCP port
    graph = FalkorDBGraph(database=loaded_embedded.options["graph"], unix_socket_path=str(sock))
    assert "Country" in str(graph.get_schema)  # its own schema query ran on the KB
    for name in QUESTIONS:
        q = catalog.get(name)
        for sample in samples(name):
            rows = graph.query(q.cypher, k.parameters(name, sample))
            assert rows == expected(k, name, sample), (name, sample)


# --------------------------------------------------------------------------- neo4j-graphrag, schema text


def graph_shape(k: Any) -> tuple[set[str], set[str], set[str], set[tuple[str, str]]]:
    """Labels, relationship types, (start)-[type]->(end) triples and (label, property) pairs present."""
    labels = {r["l"] for r in k.read("MATCH (n) RETURN DISTINCT labels(n)[0] AS l")}
    triples = k.read("MATCH (a)-[r]->(b) RETURN DISTINCT labels(a)[0] AS a, type(r) AS t, labels(b)[0] AS b")
    props = k.read("MATCH (n) UNWIND keys(n) AS p RETURN DISTINCT labels(n)[0] AS l, p")
    return (labels, {r["t"] for r in triples}, {f"(:{r['a']})-[:{r['t']}]->(:{r['b']})" for r in triples},
            {(r["l"], r["p"]) for r in props})


def test_schema_text_names_every_label_type_endpoint_and_property_of_the_loaded_graph(loaded_kb: Any) -> None:
    from kb.schema import schema_text

    text = schema_text()
    labels, types, triples, props = graph_shape(loaded_kb)
    # the labels of the data files' records, and the dispute events their disputes list
    recs = records()
    assert labels == set(recs) | ({"DisputeEvent"} if any(d.events for d in recs["Dispute"]) else set())
    # every relationship type the schema allows between those labels, but the news ingest's MENTIONS
    # (`kb ingest` writes it; the bundled data does not)
    allowed = {t for a, t, b in graph_schema()["relationships"] if a in labels and b in labels}
    # and OF_COMMODITY while no trade flow names its commodity (the importers leave it to the HS code)
    unmade = {"MENTIONS"} | ({"OF_COMMODITY"} if not any(f.commodity for f in recs.get("TradeFlow", [])) else set())
    assert types == allowed - unmade
    lines = text.splitlines()
    for label in labels:
        assert any(line.startswith(f"{label} {{") for line in lines), label
    for t in types:
        assert f"[:{t}]" in text, t
    for triple in triples:
        assert triple in lines, triple
    nodes = graph_schema()["nodes"]
    assert {(lb, p) for lb, p in props if p not in nodes.get(lb, {})} == set()
    assert run_kb(None, "schema", "--format", "text").stdout == text


@pytest.mark.neo4j_local
def test_text2cypher_retriever_takes_the_schema_text_and_needs_no_apoc(loaded_neo4j: Engine) -> None:
    import neo4j as driver_lib
    from neo4j_graphrag.exceptions import SchemaFetchError
    from neo4j_graphrag.generation.prompts import Text2CypherTemplate
    from neo4j_graphrag.llm import OllamaLLM
    from neo4j_graphrag.retrievers import Text2CypherRetriever

    from kb.engines.base import free_port

    text = run_kb(None, "schema", "--format", "text").stdout
    auth = (loaded_neo4j.options["user"], loaded_neo4j.options["password"]) if loaded_neo4j.options.get("password") else None
    # a real LLM client; nothing answers on its port here (no LLM on this machine): the test stops at the handoff
    llm = OllamaLLM(model_name="llama3", model_params={"options": {"temperature": 0}}, host=f"http://127.0.0.1:{free_port()}")
    with driver_lib.GraphDatabase.driver(str(loaded_neo4j.uri), auth=auth) as driver:
        retriever = Text2CypherRetriever(driver=driver, llm=llm, neo4j_schema=text)
        assert retriever.neo4j_schema == text
        prompt = Text2CypherTemplate().format(schema=retriever.neo4j_schema, examples="",
                                              query_text="Who are Japan's alternative suppliers of dysprosium?")
        labels, types, triples, _ = graph_shape(loaded_neo4j.connect())
        assert all(f"{lb} {{" in prompt for lb in labels) and all(f"[:{t}]" in prompt for t in types)
        assert all(t in prompt for t in triples)
        # without the text the retriever asks the server through APOC, which a plain Neo4j lacks
        with pytest.raises(SchemaFetchError, match="apoc"):
            Text2CypherRetriever(driver=driver, llm=llm)
