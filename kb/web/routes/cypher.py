"""The read-only Cypher box: writes refused, a row cap the engine stops reading at, a time limit."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from kb.web.pages import desk, page

router = APIRouter()


@router.get("/cypher", response_class=HTMLResponse, include_in_schema=False)
def cypher_page(request: Request, statement: str = "") -> Response:
    d = desk(request)
    res = d.cypher(statement) if statement.strip() else None
    status = 400 if res is not None and res.error else 200
    return page(request, "cypher.html", status, statement=statement, res=res, row_cap=d.row_cap,
                time_limit=d.time_limit, title="Cypher")


@router.get("/cypher.json", tags=["cypher"], summary="One read-only Cypher statement (row cap, time limit)")
def cypher_json(request: Request, statement: str) -> Response:
    res = desk(request).cypher(statement)
    if res.error:
        return JSONResponse({"error": res.error, "refused": res.refused}, status_code=400)
    return JSONResponse({"columns": res.columns, "rows": res.rows, "truncated": res.truncated},
                        headers={"Cache-Control": "no-store"})
