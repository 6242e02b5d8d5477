"""The analyst's desk over HTTP (FastAPI), read-only, in the manner of Datasette:

* ``/`` — the questions, grouped, and a search box over entities (suggestions as you type);
* ``/q/NAME`` — a form built from the question's header and the answer as a sortable table;
  the parameters live in the query string, so the address is a permalink;
* ``/q/NAME.json`` and ``/q/NAME.csv`` — the same rows as ``kb query --format json|csv``;
  a bad parameter is a 400 with the `QueryError` text, an unknown name a 404 with suggestions;
* ``/e/LABEL/KEY`` (and ``.json``) — an entity, its relationships and its sources;
* ``/cypher`` — a read-only Cypher box (writes refused, a row cap, a time limit);
* ``/openapi.json`` — every question with its parameters and its row model.

Every asset is in ``kb/web/static``; pages carry a Content-Security-Policy that allows this
server only, so a page cannot reach the network even by mistake.

    app = create_app(kb.connect())     # then: uvicorn.run(app, host="127.0.0.1", port=8765)
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from starlette.responses import Response

from kb.briefing import briefing
from kb.errors import KBError, QueryError
from kb.rows import to_csv, to_json
from kb.web.service import Desk, NotFound, entity_url

if TYPE_CHECKING:
    from kb.core import KB
    from kb.queries.catalog import Question

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
STATIC_MAX_AGE = 86400
#: columns whose values name an entity: their cells link to its page
LINKED_COLUMNS = {"iso3": "Country", "symbol": "Element", "parties": "Country", "elements": "Element",
                  "importer": "Country", "exporter": "Country"}


#: files of other projects the pages use, served from the packages that ship them
VENDOR = {"vis-network.min.js": ("pyvis", "templates/lib/vis-9.1.2/vis-network.min.js"),
          "vis-network.css": ("pyvis", "templates/lib/vis-9.1.2/vis-network.css")}


def vendor_file(where: tuple[str, str]) -> bytes:
    package, path = where
    return resources.files(package).joinpath(path).read_bytes()


def web_dir() -> Path:
    return Path(str(resources.files("kb.web")))


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v == int(v) and abs(v) >= 1:
            return f"{v:,.0f}"
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.2f}"
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def _sort_key(v: Any) -> str:
    """What a table sorts a cell by (numbers numerically, text as text), read by app.js."""
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int | float):
        return repr(float(v))
    if isinstance(v, list):
        return ", ".join(map(str, v)).casefold()
    return "" if v is None else str(v).casefold()


def _cells(v: Any, column: str) -> list[dict[str, Any]]:
    """A cell as a list of pieces (text, optional link) for the template."""
    label = LINKED_COLUMNS.get(column)
    values = v if isinstance(v, list) else [v]
    if label and all(isinstance(x, str) for x in values):
        return [{"text": x, "url": entity_url(label, x)} for x in values]
    if isinstance(v, list):
        return [{"text": _cell_text(x)} for x in v]
    return [{"text": _cell_text(v)}]


def create_app(k: KB, *, row_cap: int | None = None, time_limit: float | None = None) -> FastAPI:
    """The web app over one open KB (which it does not close)."""
    from fastapi.staticfiles import StaticFiles
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse

    from kb.queries.api import ROW_MODELS
    from kb.rows import RowModel

    desk = Desk(k, row_cap=row_cap, time_limit=time_limit)
    env = Environment(loader=FileSystemLoader(str(web_dir() / "templates")), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(entity_url=entity_url, cells=_cells, sort_key=_sort_key, urlencode=urlencode)
    env.globals["briefing"] = briefing  # restriction_impact and exposure as a report (templates/briefing.html)
    from kb import __version__ as version

    app = FastAPI(title="Rare Earth KB", version=version, docs_url=None, redoc_url=None,
                  description="The canned questions of the Rare Earth KB, read-only: every question is "
                              "`/q/NAME.json` (or `.csv`) with its parameters in the query string.")
    app.state.desk = desk

    @app.middleware("http")
    async def headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
        else:
            response.headers.setdefault("Cache-Control", "no-cache")
        return response

    def cached(request: Request, body: str, media_type: str, status: int = 200,
               extra: dict[str, str] | None = None) -> Response:
        """A response with an ETag: an unchanged answer costs the client a 304, no body."""
        tag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
        headers = {"ETag": tag, "Cache-Control": "no-cache", **(extra or {})}
        if status == 200 and request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers=headers)
        return Response(body, status_code=status, media_type=media_type, headers=headers)

    def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
        html = env.get_template(template).render(engine=k.engine, version=version, **context)
        return cached(request, html, "text/html; charset=utf-8", status)

    def problem(request: Request, exc: KBError, fmt: str) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400
        message = str(exc)
        suggestions = list(getattr(exc, "suggestions", []) or getattr(exc, "matches", []) or [])
        if fmt == "json":
            return JSONResponse({"error": message, "suggestions": suggestions}, status_code=status)
        if fmt == "csv":
            return PlainTextResponse(message + "\n", status_code=status)
        return page(request, "error.html", status, message=message, suggestions=suggestions, code=status,
                    link=request.url.path.startswith("/q/"))

    app.mount("/static", StaticFiles(directory=str(web_dir() / "static")), name="static")

    @app.get("/vendor/{name}", include_in_schema=False)
    def vendor(name: str) -> Response:
        """vis-network, served from the copy the pyvis package ships (no CDN)."""
        path = VENDOR.get(name)
        if path is None:
            return PlainTextResponse("not found\n", status_code=404)
        media = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(vendor_file(path), media_type=f"{media}; charset=utf-8",
                        headers={"Cache-Control": f"public, max-age={STATIC_MAX_AGE}"})

    # ---------------------------------------------------------------- pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> Response:
        return page(request, "index.html", groups=desk.groups(), title="Rare Earth KB")

    @app.get("/api/entities", include_in_schema=True, summary="Entities whose name, alias or key matches q")
    def entities(request: Request, q: str = "", kind: str = "Entity", limit: int = 10) -> Response:
        found = desk.search(q, kind, max(1, min(limit, 50))) if q.strip() else []
        return cached(request, json.dumps(found, ensure_ascii=False), "application/json")

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search(request: Request, q: str = "") -> Response:
        """The search box without a script: one entity goes straight to its page."""
        from starlette.responses import RedirectResponse

        from kb.queries.resolve import AmbiguousEntity, UnknownEntity

        try:
            e = k.resolve(q) if q.strip() else None
        except (UnknownEntity, AmbiguousEntity):
            e = None
        if e is not None:
            return RedirectResponse(entity_url(e.label, e.key), status_code=303)
        found = desk.search(q, limit=25) if q.strip() else []
        return page(request, "search.html", q=q, found=found, title=f"search: {q}")

    def answer(request: Request, name: str, fmt: str) -> Response:
        items = list(request.query_params.multi_items())
        try:
            q = desk.question(name)
        except NotFound as exc:
            return problem(request, exc, fmt)
        if fmt == "html" and any(p.required for p in q.params) and not any(
                v.strip() for key, v in items if not key.startswith("_")):
            # nothing asked yet: the form alone
            return page(request, "question.html", q=q, values={}, error="", suggestions=[], answer=None,
                        query="", title=q.name)
        try:
            a = desk.ask_text(name, items)
        except KBError as exc:
            if fmt != "html":
                return problem(request, exc, fmt)
            return page(request, "question.html", 400, q=q, values=dict(items), error=str(exc),
                        suggestions=list(getattr(exc, "suggestions", []) or getattr(exc, "matches", []) or []),
                        answer=None, query="", title=q.name)
        notes = {"X-KB-Notes": "; ".join(a.notes)} if a.notes else {}
        if fmt == "json":
            return cached(request, to_json(a.rows), "application/json", extra=notes)
        if fmt == "csv":
            return cached(request, to_csv(a.rows, a.columns), "text/csv; charset=utf-8",
                          extra={"Content-Disposition": f'attachment; filename="{q.name}.csv"', **notes})
        query = urlencode([(key, v) for key, v in items if not key.startswith("_") and v.strip()])
        chart, graph = pictures(a)
        return page(request, "question.html", q=q, values=dict(items), error="", suggestions=[], answer=a,
                    query=query, title=q.name, chart=chart, graph=graph, chart_caption=desk.chart_caption(a),
                    graph_json=json.dumps(graph, ensure_ascii=False).replace("<", "\\u003c") if graph else "")

    def pictures(a: Any) -> tuple[str | None, dict[str, Any] | None]:
        """The chart and the graph picture of an answer; a failure there costs the picture, not the page."""
        try:
            chart = desk.chart(a)
        except KBError:
            chart = None
        try:
            graph = desk.graph(a)
        except KBError:
            graph = None
        return chart, graph

    def question_json_route(q: Question) -> None:
        model: type[RowModel] = ROW_MODELS.get(q.name) or RowModel
        parameters = []
        from kb.web.service import param_schema

        for p in q.params:
            schema = param_schema(p)
            if schema.get("type") == "array":
                schema = {"type": "string", "description": (schema.get("description", "") + " (comma-separated)").strip()}
            parameters.append({"name": p.name, "in": "query", "required": p.required,
                               "description": schema.pop("description", p.description), "schema": schema})

        def run(request: Request) -> Response:
            return answer(request, q.name, "json")

        app.add_api_route(
            f"/q/{q.name}.json", run, methods=["GET"], response_model=list[model],  # type: ignore[valid-type]
            summary=q.description, operation_id=q.name, tags=["questions"],
            openapi_extra={"parameters": parameters},
            responses={400: {"description": "a bad parameter: the message says which and why"}},
        )

    for q in desk.questions():
        question_json_route(q)

    @app.get("/q/{name}.json", include_in_schema=False)
    def question_json(request: Request, name: str) -> Response:
        return answer(request, name, "json")

    @app.get("/q/{name}.csv", tags=["questions"], summary="Any question's answer as CSV")
    def question_csv(request: Request, name: str) -> Response:
        return answer(request, name, "csv")

    @app.get("/q/{name}", response_class=HTMLResponse, include_in_schema=False)
    def question_page(request: Request, name: str) -> Response:
        return answer(request, name, "html")

    @app.get("/e/{label}/{key:path}", include_in_schema=True, tags=["entities"],
             summary="An entity: properties, relationships by type, sources (add .json for JSON)")
    def entity_page(request: Request, label: str, key: str) -> Response:
        fmt = "html"
        if key.endswith(".json"):
            key, fmt = key[: -len(".json")], "json"
        try:
            e = desk.entity(label, key)
        except KBError as exc:
            return problem(request, exc, fmt)
        if fmt == "json":
            return cached(request, json.dumps(e, ensure_ascii=False, indent=2, default=str), "application/json")
        return page(request, "entity.html", e=e, title=f"{e['name']} ({label})")

    @app.get("/cypher", response_class=HTMLResponse, include_in_schema=False)
    def cypher_page(request: Request, statement: str = "") -> Response:
        res = desk.cypher(statement) if statement.strip() else None
        status = 400 if res is not None and res.error else 200
        return page(request, "cypher.html", status, statement=statement, res=res, row_cap=desk.row_cap,
                    time_limit=desk.time_limit, title="Cypher")

    @app.get("/cypher.json", tags=["cypher"], summary="One read-only Cypher statement (row cap, time limit)")
    def cypher_json(request: Request, statement: str) -> Response:
        res = desk.cypher(statement)
        if res.error:
            return JSONResponse({"error": res.error, "refused": res.refused}, status_code=400)
        return JSONResponse({"columns": res.columns, "rows": res.rows, "truncated": res.truncated},
                            headers={"Cache-Control": "no-store"})

    @app.exception_handler(QueryError)
    def query_error(request: Request, exc: QueryError) -> Response:
        return problem(request, exc, "json" if request.url.path.endswith(".json") else "html")

    return app
