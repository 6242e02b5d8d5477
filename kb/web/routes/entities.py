"""An entity's page: properties, relationships by type, sources."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from kb.errors import KBError
from kb.web.pages import desk, etagged, page, problem, shared

router = APIRouter()


@router.get("/e/{label}/{key:path}", tags=["entities"],
            summary="An entity: properties, relationships by type, sources (add .json for JSON)")
def entity_page(request: Request, label: str, key: str) -> Response:
    return shared(request, lambda: _entity(request, label, key))


def _entity(request: Request, label: str, key: str) -> Response:
    fmt = "html"
    if key.endswith(".json"):
        key, fmt = key[: -len(".json")], "json"
    try:
        e = desk(request).entity(label, key)
    except KBError as exc:
        return problem(request, exc, fmt)
    if fmt == "json":
        return etagged(request, json.dumps(e, ensure_ascii=False, indent=2, default=str), "application/json")
    return page(request, "entity.html", e=e, title=f"{e['name']} ({label})")
