"""Serving many, on both engines: answers cached by (question, parameters, graph version) and
never stale after a load; charts made once per cached answer; the Cypher box and MCP's
``cypher_read`` stop reading at the row cap; MCP over streamable HTTP behind a token."""

from __future__ import annotations

import json
import threading

import pytest

from tests.engines import tool_text


@pytest.mark.slow
def test_answers_are_cached_until_the_graph_changes(empty_kb, tmp_path):
    from kb.web.service import Desk

    empty_kb.load()
    desk = Desk(empty_kb)
    a = desk.ask("production_history", {"iso3": "CHN"})
    assert a.rows, "the bundled KB has China's production"
    assert desk.ask("production_history", {"iso3": "CHN"}) is a  # the same answer object: cached
    assert desk.ask("production_history", {"iso3": "AUS"}) is not a  # other parameters, other answer
    chart = desk.chart(a)
    assert chart and desk.chart(desk.ask("production_history", {"iso3": "CHN"})) is chart
    version = empty_kb.graph_version()
    empty_kb.write("MATCH (p:Production)-[:OF_COUNTRY]->(:Country {iso3: 'CHN'}) DETACH DELETE p")
    assert desk.ask("production_history", {"iso3": "CHN"}) is a  # a raw write is not a load: still cached
    empty_kb.load()  # a load bumps the version: the next answer is read again
    assert empty_kb.graph_version() != version
    b = desk.ask("production_history", {"iso3": "CHN"})
    assert b is not a and b.rows == a.rows  # (the load put the deleted figures back)


def test_text_parameters_are_typed_once(loaded_kb):
    from kb.errors import QueryError
    from kb.web.service import Desk

    desk = Desk(loaded_kb)
    q = desk.question("alternative_suppliers")
    typed = desk.typed(q, [("importer", "Japan"), ("symbol", "Dy"), ("exclude", ""), ("_sort", "x")])
    assert typed == {"importer": "Japan", "symbol": "Dy"}  # an empty value: the default
    with pytest.raises(QueryError, match="given more than once"):
        desk.typed(q, [("importer", "Japan"), ("importer", "Korea")])
    r = desk.question("restriction_impact")  # a list parameter: repeated keys and commas add up
    assert desk.typed(r, [("elements", "Dy,Tb"), ("elements", "Nd")])["elements"] == ["Dy", "Tb", "Nd"]
    with pytest.raises(QueryError, match="unknown parameter 'nope'"):
        desk.typed(q, [("nope", "1")])
    with pytest.raises(QueryError, match="must be int"):
        desk.typed(desk.question("top_producers"), [("year", "twenty")])


@pytest.mark.parametrize("statement", [
    "UNWIND range(1, 10000000) AS x RETURN x",  # 10^7 rows: read whole, minutes and gigabytes
    "MATCH (a:Element), (b:Element), (c:Element), (d:Element), (e:Element), (f:Element) "
    "RETURN a.symbol AS a, b.symbol AS b, c.symbol AS c, d.symbol, e.symbol AS e, f.symbol AS f",
])
def test_cypher_stops_reading_at_the_cap(loaded_kb, statement):
    from kb.web.service import Desk

    res = Desk(loaded_kb, row_cap=7, time_limit=20).cypher(statement)
    assert not res.error, res.error
    assert len(res.rows) == 7 and res.truncated
    assert res.columns == list(res.rows[0])
    if "MATCH" in statement:  # the columns in the order the statement names them
        assert res.columns == ["a", "b", "c", "d.symbol", "e", "f"]


def test_cypher_under_the_cap_is_whole_and_in_order(loaded_kb):
    from kb.web.service import Desk

    res = Desk(loaded_kb, row_cap=100).cypher("MATCH (e:Element) RETURN e.symbol AS z, e.name AS a ORDER BY z")
    expected = loaded_kb.read("MATCH (e:Element) RETURN e.symbol AS z, e.name AS a ORDER BY z")
    assert not res.truncated and res.rows == expected and res.columns == ["z", "a"]
    refused = Desk(loaded_kb).cypher("MATCH (e:Element) SET e.name = 'x' RETURN e")
    assert refused.refused and loaded_kb.read("MATCH (e:Element {name: 'x'}) RETURN count(e) AS n") == [{"n": 0}]


@pytest.mark.slow
def test_mcp_over_streamable_http_behind_a_token(loaded_kb, tmp_path):
    import anyio
    import httpx
    import httpx2
    import uvicorn
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from kb.engines.base import free_port
    from kb.web.auth import Users
    from kb.web.mcp import http_app

    users = Users(tmp_path / "users.yaml")
    users.add("robot", "a long password")
    token = users.new_token("robot")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(http_app(loaded_kb, users, row_cap=3), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        while not server.started:
            if not thread.is_alive():
                raise AssertionError("the MCP server did not start")
            threading.Event().wait(0.05)
        # no token, a wrong token: 401 before MCP
        assert httpx.post(url, json={}).status_code == 401
        assert httpx.post(url, json={}, headers={"authorization": "Bearer nope"}).status_code == 401

        async def run() -> None:
            async with httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=120) as http, \
                    streamable_http_client(url, http_client=http) as (read, write, *_), \
                    ClientSession(read, write) as session:
                await session.initialize()
                names = {t.name for t in (await session.list_tools()).tools}
                assert {"alternative_suppliers", "cypher_read", "entity"} <= names
                r = await session.call_tool("alternative_suppliers", {"importer": "Japan", "symbol": "Dy"})
                rows = json.loads(tool_text(r))["rows"]
                assert rows == json.loads(loaded_kb.ask("alternative_suppliers", {"importer": "JPN", "symbol": "Dy"}).to_json())
                capped = await session.call_tool("cypher_read", {"statement": "UNWIND range(1, 10000000) AS x RETURN x"})
                body = json.loads(tool_text(capped))
                assert body["truncated"] is True and len(body["rows"]) == 3
                refused = await session.call_tool("cypher_read", {"statement": "CREATE (:Intruder) RETURN 1"})
                assert refused.is_error

        anyio.run(run)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    assert loaded_kb.read("MATCH (n:Intruder) RETURN count(n) AS n") == [{"n": 0}]


def test_an_empty_kb_says_so_on_the_desk(empty_kb, tmp_path):
    from fastapi.testclient import TestClient

    from kb.web.app import create_app
    from kb.web.mcp import call
    from kb.web.service import Desk

    with TestClient(create_app(empty_kb)) as client:
        for url in ("/q/alternative_suppliers.json?importer=Japan&symbol=Dy", "/q/top_producers.json?year=2024"):
            r = client.get(url)
            assert r.status_code == 400, url
            assert "is empty" in r.json()["error"] and "kb load" in r.json()["error"], r.json()
            assert empty_kb.backend.location in r.json()["error"]
        page = client.get("/q/top_producers?year=2024")
        assert page.status_code == 400 and "kb load" in page.text
    result, failed = call(Desk(empty_kb), "alternative_suppliers", {"importer": "Japan", "symbol": "Dy"})
    assert failed and "is empty" in result["error"]


def test_the_cypher_page_says_it_stopped_at_the_cap(loaded_kb):
    from fastapi.testclient import TestClient

    from kb.web.app import create_app

    with TestClient(create_app(loaded_kb, row_cap=5)) as client:
        r = client.get("/cypher", params={"statement": "MATCH (c:Country) RETURN c.iso3 AS iso3"})
        assert r.status_code == 200 and r.text.count("<tr><td") == 5
        assert "stopped reading at the row cap of 5" in r.text
        small = client.get("/cypher", params={"statement": "MATCH (c:Country) RETURN c.iso3 AS iso3 LIMIT 3"})
        assert "stopped reading" not in small.text


@pytest.mark.slow
def test_workers_see_each_others_loads(engine, empty_kb):
    """Two connections to the one engine (two worker processes of `kb serve --workers 2` each open
    their own): a load through one makes the other's cached answers stale."""
    import kb
    from kb.web.service import Desk

    empty_kb.load()
    other = kb.connect(engine.uri, **engine.options)
    try:
        mine, theirs = Desk(empty_kb), Desk(other)
        before = theirs.ask("production_history", {"iso3": "CHN"})
        assert theirs.ask("production_history", {"iso3": "CHN"}) is before
        empty_kb.load()
        assert theirs.ask("production_history", {"iso3": "CHN"}) is not before
        assert mine.kb.graph_version() == other.graph_version()
    finally:
        other.close()
