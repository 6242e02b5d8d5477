"""The analyst's desk (`kb serve`, `kb mcp`) on both engines: FastAPI's TestClient for the HTTP
API and pages, the MCP SDK's own client for the tools, and a real browser (Debian's chromium
driven by Playwright) against `kb serve` in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from kb.bench.run import SAMPLES
from kb.engines.base import free_port
from kb.queries.catalog import catalog
from tests.engines import HANG, kb_command, stop_process, tool_text

#: parameter sets for questions the benchmark does not sample
EXTRA_SAMPLES = {"figure_vintages": [{"iso3": "CHN", "year": 2020}]}
URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.I)


def samples(name: str) -> list[dict]:
    found = SAMPLES.get(name) or EXTRA_SAMPLES.get(name)
    if found is None:
        assert not any(p.required for p in catalog()[name].params), f"add a sample for {name} to EXTRA_SAMPLES"
        return [{}]
    return found


def query_string(params: dict) -> str:
    return urlencode({k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in params.items()})


@pytest.fixture
def client(loaded_kb):  # noqa: ANN201
    from fastapi.testclient import TestClient

    from kb.web.app import create_app

    with TestClient(create_app(loaded_kb)) as c:
        yield c




# --------------------------------------------------------------------------- the HTTP API


@pytest.mark.slow
def test_every_questions_json_and_csv_equal_kb_ask(client, loaded_kb):
    for name, q in catalog().items():
        for params in samples(name):
            expected = loaded_kb.ask(name, params)
            r = client.get(f"/q/{name}.json?{query_string(params)}")
            assert r.status_code == 200, (name, params, r.text)
            assert r.json() == json.loads(expected.to_json()), (name, params)
            c = client.get(f"/q/{name}.csv?{query_string(params)}")
            assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
            table = list(csv.reader(io.StringIO(c.text)))
            assert table[0] == (expected.columns or [col.name for col in q.columns])
            assert len(table) == len(expected) + 1, (name, params)


def test_the_done_when_question(client):
    r = client.get("/q/alternative_suppliers.json?importer=JPN&symbol=Dy&stage=mining")
    assert r.status_code == 200
    rows = r.json()
    assert rows and "CHN" not in {x["iso3"] for x in rows}
    aus = next(x for x in rows if x["iso3"] == "AUS")
    assert any("Lynas" in a for a in aus["agreements"])
    # names work as well as keys, and the page shows the same rows
    same = client.get("/q/alternative_suppliers.json?importer=Japan&symbol=dysprosium&stage=mining").json()
    assert same == rows
    page = client.get("/q/alternative_suppliers?importer=Japan&symbol=dysprosium&stage=mining")
    assert page.status_code == 200
    assert page.text.count("<tr>") == len(rows) + 1
    assert 'href="/e/Country/AUS"' in page.text
    assert "t REO" in page.text  # the unit from the column's description
    assert 'href="/q/alternative_suppliers.csv?importer=Japan&amp;symbol=dysprosium&amp;stage=mining"' in page.text


def test_bad_parameters_are_400_with_the_query_error(client):
    r = client.get("/q/top_producers.json?year=abc")
    assert r.status_code == 400
    assert r.json()["error"] == "top_producers: parameter year must be int, got 'abc'"
    r = client.get("/q/top_producers.json")
    assert r.status_code == 400 and "missing parameter year" in r.json()["error"]
    r = client.get("/q/top_producers.json?year=2011&colour=red")
    assert r.status_code == 400 and "unknown parameter 'colour'" in r.json()["error"]
    r = client.get("/q/top_producers.json?year=2011&stage=digging")
    assert r.status_code == 400 and "one of 'mining'" in r.json()["error"]
    r = client.get("/q/alternative_suppliers.json?importer=Japn&symbol=Dy")
    assert r.status_code == 400 and r.json()["suggestions"][0] == "Japan"
    r = client.get("/q/alternative_suppliers.csv?importer=Japn&symbol=Dy")
    assert r.status_code == 400 and "no country 'Japn'" in r.text
    r = client.get("/q/top_producers?year=abc")
    assert r.status_code == 400 and "parameter year must be int" in r.text and "<form" in r.text


def test_unknown_names_are_404_with_suggestions(client):
    r = client.get("/q/alternative_supplier.json")
    assert r.status_code == 404
    assert r.json()["suggestions"] == ["alternative_suppliers"]
    assert client.get("/q/alternative_supplier").status_code == 404
    r = client.get("/e/Country/JPX.json")
    assert r.status_code == 404 and "Japan" in r.json()["suggestions"]
    assert client.get("/e/Planet/Mars.json").status_code == 404


def test_entity_page(client):
    e = client.get("/e/Country/JPN.json").json()
    assert e["name"] == "Japan" and e["properties"]["iso3"] == "JPN"
    assert "names_lc" not in e["properties"]
    parties = e["relationships"]["PARTY_TO →"]
    assert parties and all(p["url"].startswith("/e/Agreement/") for p in parties)
    assert e["sources"] and all("tier" in s for s in e["sources"])
    html = client.get("/e/Country/JPN").text
    assert "PARTY_TO" in html and "names_lc" not in html
    for s in e["sources"]:
        assert s["url_page"] in html and (s["tier"] or "tier unknown") in html
    # a neighbour's link leads to its page, which links back
    first = parties[0]["url"]
    back = client.get(first + ".json").json()
    assert any(n["key"] == "JPN" for group in back["relationships"].values() for n in group)


def test_entity_search(client):
    found = client.get("/api/entities?q=dysprosium").json()
    assert found[0] == {"label": "Element", "key": "Dy", "name": "Dysprosium", "url": "/e/Element/Dy"}
    found = client.get("/api/entities?q=jap&kind=Country").json()
    assert found[0]["key"] == "JPN"
    assert client.get("/api/entities?q=").json() == []
    r = client.get("/search?q=Japan", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/e/Country/JPN"


def test_cypher_box_refuses_writes_caps_rows_and_limits_time(client, loaded_kb):
    r = client.get("/cypher", params={"statement": "CREATE (:Intruder {name: 'x'})"})
    assert r.status_code == 400 and "refused" in r.text and "read-only" in r.text
    r = client.get("/cypher.json", params={"statement": "MATCH (n:Country) DETACH DELETE n"})
    assert r.status_code == 400 and r.json()["refused"] is True
    assert loaded_kb.read("MATCH (n:Intruder) RETURN count(n) AS n")[0]["n"] == 0
    assert loaded_kb.read("MATCH (n:Country) RETURN count(n) AS n")[0]["n"] > 0
    r = client.get("/cypher.json", params={"statement": "MATCH (e:Element) RETURN e.symbol AS s ORDER BY s"})
    assert r.status_code == 200 and len(r.json()["rows"]) == 17
    r = client.get("/cypher.json", params={"statement": "UNWIND range(1, 5000) AS i RETURN i"})
    assert len(r.json()["rows"]) == 1000 and r.json()["truncated"] is True
    r = client.get("/cypher.json", params={"statement": "MATCH (a) RETURN 1; MATCH (b) RETURN 2"})
    assert r.status_code == 400 and "one Cypher statement" in r.json()["error"]


def test_statement_time_limit(loaded_kb):
    from kb.web.service import Desk

    # long enough (~100 s unchecked) that Neo4j's transaction monitor (every 2 s) sees it overrun
    slow = "UNWIND range(1, 10000) AS a UNWIND range(1, 10000) AS b WITH a, b WHERE a * b % 7919 = 1 RETURN count(*) AS n"
    res = Desk(loaded_kb, time_limit=0.05).cypher(slow)
    assert "time limit" in res.error, res
    assert Desk(loaded_kb, time_limit=60).cypher("RETURN 1 AS one").rows == [{"one": 1}]


def test_openapi_from_the_headers(client):
    spec = client.get("/openapi.json").json()
    for name, q in catalog().items():
        op = spec["paths"][f"/q/{name}.json"]["get"]
        assert op["summary"] == q.description
        assert [p["name"] for p in op["parameters"]] == [p.name for p in q.params]
    op = spec["paths"]["/q/top_producers.json"]["get"]
    stage = next(p for p in op["parameters"] if p["name"] == "stage")
    assert "separation-heavy" in stage["schema"]["enum"] and stage["required"] is False
    ref = op["responses"]["200"]["content"]["application/json"]["schema"]["items"]["$ref"]
    model = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"country", "share"} <= set(model["properties"])


def test_pages_make_no_outside_request_and_cache(client):
    pages = ["/", "/q/alternative_suppliers?importer=JPN&symbol=Dy", "/q/top_producers", "/e/Country/JPN",
             "/q/production_history?iso3=CHN", "/q/supply_concentration?year=2024", "/q/prices",
             "/e/Element/Dy", "/cypher?statement=MATCH+(n)+RETURN+count(n)", "/static/app.js", "/static/app.css",
             "/search?q=rare"]
    for path in pages:
        r = client.get(path)
        assert r.status_code == 200, path
        # data may name a source's web address as text; the page's own markup may not point anywhere
        markup = re.sub(r">[^<]*<", "><", r.text) if "html" in r.headers["content-type"] else r.text
        outside = [u for u in URL.findall(markup) if not u.startswith(("http://testserver", "//testserver"))]
        assert not outside, (path, outside[:3])
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["cache-control"]
    srcs = re.findall(r'(?:src|href)="([^"]+)"', client.get("/").text)
    assert srcs and all(s.startswith(("/", "data:")) for s in srcs)  # data: (the empty icon) is no request
    r = client.get("/q/top_producers.json?year=2011")
    again = client.get("/q/top_producers.json?year=2011", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert "max-age" in client.get("/static/app.js").headers["cache-control"]


CHART_SAMPLES: dict[str, tuple[dict[str, Any], str]] = {"production_history": ({"iso3": "China"}, "tonnes REO"), "prices": ({}, "US$ per kg"),
                 "top_producers": ({"year": 2024}, "share of world output"),
                 "supply_concentration": ({"year": 2024}, "HHI (0-10,000)"),
                 "import_reliance": ({"iso3": "USA"}, "net import reliance"),
                 "import_sources": ({"iso3": "USA"}, "share of imports")}


def test_series_answers_carry_an_inline_svg_chart_with_text_as_text(client, loaded_kb):
    from kb.web.charts import CHARTS

    assert set(CHART_SAMPLES) <= set(CHARTS)
    for name, (params, unit) in CHART_SAMPLES.items():
        page = client.get(f"/q/{name}?{query_string(params)}").text
        svg = re.search(r'<figure class="chart" id="chart">\s*(<svg .*?</svg>)', page, re.S)
        assert svg, name
        markup = svg.group(1)
        texts = re.findall(r"<text\b[^>]*>([^<]*)</text>", markup)
        assert any(unit in t for t in texts), (name, texts[:8])  # the axis says what it measures, as text
        assert "style=" not in markup and "<style" not in markup  # the page's CSP allows no inline style
        assert "<path" in markup and 'fill="#ffffff"' in markup  # the declarations became attributes
    # the years of the table are the years on the chart's axis (production_history: one point a year)
    years = [r["year"] for r in loaded_kb.ask("production_history", {"iso3": "CHN"}).to_dicts()]
    page = client.get("/q/production_history?iso3=CHN").text
    ticks = {int(t) for t in re.findall(r"<text\b[^>]*>((?:19|20)\d\d)</text>", page.split('id="chart"')[1])}
    assert ticks and min(years) <= min(ticks) and max(ticks) <= max(years) + 1
    # no chart where the answer is not a series
    assert "<svg" not in client.get("/q/element_profile?symbol=Nd").text


def test_the_graph_picture_of_an_answer(client, loaded_kb):
    page = client.get("/q/alternative_suppliers?importer=JPN&symbol=Dy").text
    script = re.search(r'<script type="application/json" id="graph-data">(.*?)</script>', page, re.S)
    assert script is not None, page
    data = json.loads(script.group(1))
    ids = {n["id"] for n in data["nodes"]}
    answer = loaded_kb.ask("alternative_suppliers", {"importer": "JPN", "symbol": "Dy"}).to_dicts()
    assert {"Country|JPN", "Element|Dy"} <= ids and {f"Country|{r['iso3']}" for r in answer} <= ids
    assert any(e["from"] == "Country|JPN" and e["title"] == "PARTY_TO" for e in data["edges"])  # Japan's agreements
    assert all(e["from"] in ids and e["to"] in ids for e in data["edges"])
    # vis-network comes from this server (the copy in the pyvis package), not a CDN
    for src in re.findall(r'<script src="([^"]+)"', page):
        assert src.startswith("/"), src
        r = client.get(src)
        assert r.status_code == 200 and "javascript" in r.headers["content-type"], src
    assert 'src="/vendor/vis-network.min.js"' in page
    assert "vis-network" in client.get("/vendor/vis-network.min.js").text[:2000].lower()
    assert client.get("/vendor/../app.py").status_code == 404
    # a lone entity (China, in its production history) has no picture
    assert 'id="graph-data"' not in client.get("/q/production_history?iso3=CHN").text


def test_every_question_has_a_form(client):
    for name, q in catalog().items():
        html = client.get(f"/q/{name}").text
        for p in q.params:
            assert f'name="{p.name}"' in html, (name, p.name)
        if any(p.base_type == "int" for p in q.params):
            assert 'type="number"' in html


# --------------------------------------------------------------------------- MCP


@pytest.mark.slow
def test_mcp_client_asks_the_questions(engine, loaded_kb):
    import anyio
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    args, env = kb_command(engine)
    server = StdioServerParameters(command=args[0], args=[*args[1:], "mcp"], env=env)
    expected = json.loads(loaded_kb.ask("alternative_suppliers", {"importer": "JPN", "symbol": "Dy"}).to_json())

    async def run() -> None:
        async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert set(catalog()) <= set(tools)
            assert {"find_entities", "entity", "cypher_read"} <= set(tools)
            schema = tools["alternative_suppliers"].input_schema
            assert schema["required"] == ["importer", "symbol"]
            assert schema["properties"]["exclude"]["default"] == "CHN"
            assert tools["top_producers"].input_schema["properties"]["stage"]["enum"][0] == "mining"

            res = await session.call_tool("alternative_suppliers", {"importer": "Japan", "symbol": "Dy"})
            assert not res.is_error
            assert json.loads(tool_text(res))["rows"] == expected
            assert res.structured_content["rows"] == expected

            res = await session.call_tool("top_producers", {"year": "2011"})
            assert res.is_error and "parameter year must be int" in tool_text(res)

            found = await session.call_tool("find_entities", {"text": "dysprosium"})
            assert json.loads(tool_text(found))["entities"][0]["key"] == "Dy"
            e = await session.call_tool("entity", {"label": "Country", "key": "JPN"})
            assert json.loads(tool_text(e))["name"] == "Japan"

            refused = await session.call_tool("cypher_read", {"statement": "CREATE (:Intruder)"})
            assert refused.is_error and json.loads(tool_text(refused))["refused"] is True
            ok = await session.call_tool("cypher_read", {"statement": "MATCH (e:Element {symbol: $s}) RETURN e.name AS n",
                                                         "params": {"s": "Dy"}})
            assert json.loads(tool_text(ok))["rows"] == [{"n": "Dysprosium"}]

    anyio.run(run)
    assert loaded_kb.read("MATCH (n:Intruder) RETURN count(n) AS n")[0]["n"] == 0


# --------------------------------------------------------------------------- kb serve, curl, a real browser


def _serve(engine, port: int, *extra: str) -> subprocess.Popen:  # noqa: ANN001
    """`kb serve` on ``port``, returned once it answers (fails only on a real hang: HANG seconds)."""
    args, env = kb_command(engine)
    proc = subprocess.Popen([*args, "serve", "--port", str(port), *extra], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + HANG
    import urllib.request

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kb serve exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return proc
        except OSError:
            time.sleep(0.3)
    stop_process(proc)
    raise AssertionError(f"kb serve did not answer within {HANG} s")


@pytest.fixture
def served(engine, loaded_kb):  # noqa: ANN201
    port = free_port()
    proc = _serve(engine, port)
    yield f"http://127.0.0.1:{port}"
    stop_process(proc)


def test_kb_serve_answers_curl(served, loaded_kb):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("no curl on this machine")
    out = subprocess.run([curl, "-sf", f"{served}/q/alternative_suppliers.json?importer=JPN&symbol=Dy"],
                         capture_output=True, text=True, timeout=HANG)
    assert out.returncode == 0, out.stderr
    expected = json.loads(loaded_kb.ask("alternative_suppliers", {"importer": "JPN", "symbol": "Dy"}).to_json())
    assert json.loads(out.stdout) == expected


def test_kb_serve_warns_off_localhost(engine, loaded_kb):
    proc = _serve(engine, free_port(), "--host", "0.0.0.0")  # returns once it answers: the warning came first
    proc.terminate()
    _, err = proc.communicate(timeout=HANG)
    assert "warning: listening on 0.0.0.0" in " ".join(err.split())


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.mark.slow
def test_in_a_real_browser(served, tmp_path: Path):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(served) else None)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"  # CSP refusals, script errors
                    and "status of 400" not in msg.text else None)  # (the refused write is a 400, on purpose)

            # the front page: the question, and entity suggestions as you type
            page.goto(served + "/")
            page.fill("#entity-search", "dyspro")
            expect(page.locator("#entity-suggestions a").first).to_have_text("Dysprosium")
            page.click("text=alternative_suppliers")

            # the form: typed inputs from the header, then the table
            page.fill("#p-importer", "Japan")
            page.fill("#p-symbol", "dysprosium")
            page.click("button[type=submit]")
            expect(page.locator("#answer tbody tr").first).to_be_visible()
            assert "importer=Japan" in page.url and "symbol=dysprosium" in page.url and "exclude=CHN" in page.url  # the default, shown in the form
            countries = page.locator("#answer tbody tr td:nth-child(2)").all_inner_texts()  # after the stage
            assert "Australia" in countries and "China" not in countries

            # the graph picture: vis-network draws it on a canvas
            expect(page.locator("#graph")).to_have_attribute("data-drawn", "true", timeout=30_000)
            assert page.locator("#graph canvas").count() == 1 and int(page.get_attribute("#graph", "data-nodes") or 0) > 5

            # sort by country, both ways
            page.click("#answer th:first-child button")
            asc = page.locator("#answer tbody tr td:first-child").all_inner_texts()
            assert asc == sorted(asc, key=str.casefold)
            page.click("#answer th:first-child button")
            assert page.locator("#answer tbody tr td:first-child").all_inner_texts() == asc[::-1]

            # the CSV download
            with page.expect_download() as dl:
                page.click("#csv-link")
            path = tmp_path / "answer.csv"
            dl.value.save_as(path)
            rows = list(csv.DictReader(path.open(encoding="utf-8")))
            assert {r["country"] for r in rows} == set(countries)

            # follow an entity link
            page.click("#answer a[href='/e/Country/AUS']")
            expect(page.locator("h1")).to_have_text("Australia")
            assert page.locator("text=PARTY_TO").count() >= 1

            # a chart, its text as text
            page.goto(served + "/q/production_history?iso3=China")
            expect(page.locator("#chart svg text", has_text="tonnes REO")).to_be_visible()
            box = page.locator("#chart svg").bounding_box()
            assert box is not None and box["width"] > 300

            # a refused write
            page.goto(served + "/cypher")
            page.fill("#statement", "CREATE (:Intruder {name: 'browser'})")
            page.click("button[type=submit]")
            expect(page.locator(".error.refused")).to_contain_text("refused")
            assert not errors, errors
        finally:
            browser.close()
    assert not outside, outside


def test_neo4j_browser_url_connects_over_bolt_without_a_login_form():
    from kb.engines.neo4j_local import browser_url

    assert browser_url(7687, 7474) == \
        "http://127.0.0.1:7474/browser/?dbms=bolt://127.0.0.1:7687&preselectAuthMethod=NO_AUTH"
    assert browser_url(7688, 7475, auth=True) == \
        "http://127.0.0.1:7475/browser/?dbms=bolt://neo4j@127.0.0.1:7688&preselectAuthMethod=BASIC"
