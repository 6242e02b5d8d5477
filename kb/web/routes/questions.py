"""The front page, the search box and every canned question as a page, JSON and CSV."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from kb.errors import KBError
from kb.queries.catalog import Question
from kb.queries.resolve import AmbiguousEntity, UnknownEntity
from kb.rows import RowModel, to_csv, to_json
from kb.web.pages import desk, etagged, page, problem, shared
from kb.web.service import Answer, Desk, NotFound, entity_url, param_schema

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> Response:
    return shared(request, lambda: page(request, "index.html", groups=desk(request).groups(), title="Rare Earth KB"))


@router.get("/api/entities", summary="Entities whose name, alias or key matches q")
def entities(request: Request, q: str = "", kind: str = "Entity", limit: int = 10) -> Response:
    def make() -> Response:
        found = desk(request).search(q, kind, max(1, min(limit, 50))) if q.strip() else []
        return etagged(request, json.dumps(found, ensure_ascii=False), "application/json")

    return shared(request, make)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search(request: Request, q: str = "") -> Response:
    """The search box without a script: one entity goes straight to its page."""
    d = desk(request)
    try:
        e = d.kb.resolve(q) if q.strip() else None
    except (UnknownEntity, AmbiguousEntity):
        e = None
    if e is not None:
        return RedirectResponse(entity_url(e.label, e.key), status_code=303)
    found = d.search(q, limit=25) if q.strip() else []
    return page(request, "search.html", q=q, found=found, title=f"search: {q}")


def answer(request: Request, name: str, fmt: str) -> Response:
    return shared(request, lambda: _answer(request, name, fmt))


def _answer(request: Request, name: str, fmt: str) -> Response:
    d = desk(request)
    items = list(request.query_params.multi_items())
    try:
        q = d.question(name)
    except NotFound as exc:
        return problem(request, exc, fmt)
    values = dict(items)
    if fmt == "html" and any(p.required for p in q.params) and not any(
            v.strip() for key, v in items if not key.startswith("_")):
        return page(request, "question.html", q=q, values={}, error="", suggestions=[], answer=None,
                    query="", title=q.name)  # nothing asked yet: the form alone
    try:
        a = d.ask(name, d.typed(q, items))
    except KBError as exc:
        if fmt != "html":
            return problem(request, exc, fmt)
        return page(request, "question.html", 400, q=q, values=values, error=str(exc),
                    suggestions=list(getattr(exc, "suggestions", []) or getattr(exc, "matches", []) or []),
                    answer=None, query="", title=q.name)
    notes = {"X-KB-Notes": "; ".join(a.notes)} if a.notes else {}
    if fmt == "json":
        return etagged(request, to_json(a.rows), "application/json", extra=notes)
    if fmt == "csv":
        return etagged(request, to_csv(a.rows, a.columns), "text/csv; charset=utf-8",
                       extra={"Content-Disposition": f'attachment; filename="{q.name}.csv"', **notes})
    query = urlencode([(key, v) for key, v in items if not key.startswith("_") and v.strip()])
    chart, graph = pictures(d, a)
    return page(request, "question.html", q=q, values=values, error="", suggestions=[], answer=a,
                query=query, title=q.name, chart=chart, graph=graph, chart_caption=d.chart_caption(a),
                graph_json=json.dumps(graph, ensure_ascii=False).replace("<", "\\u003c") if graph else "")


def pictures(d: Desk, a: Answer) -> tuple[str | None, dict[str, Any] | None]:
    """The chart and the graph picture of an answer; a failure there costs the picture, not the page."""
    try:
        chart = d.chart(a)
    except KBError:
        chart = None
    try:
        graph = d.graph(a)
    except KBError:
        graph = None
    return chart, graph


def add_question_routes(app: FastAPI, questions: list[Question]) -> None:
    """``/q/NAME.json`` per question, in the OpenAPI document with its parameters and row model."""
    from kb.queries.api import ROW_MODELS

    for q in questions:
        model: type[RowModel] = ROW_MODELS.get(q.name) or RowModel
        parameters = []
        for p in q.params:
            schema = param_schema(p)
            if schema.get("type") == "array":
                schema = {"type": "string", "description": (schema.get("description", "") + " (comma-separated)").strip()}
            parameters.append({"name": p.name, "in": "query", "required": p.required,
                               "description": schema.pop("description", p.description), "schema": schema})

        app.add_api_route(
            f"/q/{q.name}.json", _json_route(q.name), methods=["GET"], response_model=list[model],  # type: ignore[valid-type]
            summary=q.description, operation_id=q.name, tags=["questions"],
            openapi_extra={"parameters": parameters},
            responses={400: {"description": "a bad parameter: the message says which and why"}},
        )


def _json_route(name: str) -> Any:
    def run(request: Request) -> Response:
        return answer(request, name, "json")

    return run


@router.get("/q/{name}.json", include_in_schema=False)
def question_json(request: Request, name: str) -> Response:
    return answer(request, name, "json")


@router.get("/q/{name}.csv", tags=["questions"], summary="Any question's answer as CSV")
def question_csv(request: Request, name: str) -> Response:
    return answer(request, name, "csv")


@router.get("/q/{name}", response_class=HTMLResponse, include_in_schema=False)
def question_page(request: Request, name: str) -> Response:
    return answer(request, name, "html")
