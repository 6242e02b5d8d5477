"""The review in the browser (editors only): the queue, one claim with its article, accept /
reject / merge, and the audit of every decision."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from kb.errors import KBError
from kb.web import review
from kb.web.pages import Visitor, check_csrf, desk, page, require_editor

router = APIRouter()


def _decided(request: Request, v: Visitor, message: str, claim: str) -> Response:
    """After a decision: a browser goes back to the queue, a script gets JSON."""
    if v.token:
        from starlette.responses import JSONResponse

        return JSONResponse({"claim": claim, "done": message})
    return RedirectResponse(f"/review?done={message}", status_code=303)


@router.get("/review", response_class=HTMLResponse, include_in_schema=False)
def queue(request: Request, done: str = "") -> Response:
    require_editor(request)
    rows = review.queue(desk(request).kb)
    return page(request, "review.html", rows=rows, done=done, title="Review")


@router.get("/review/{claim}", response_class=HTMLResponse, include_in_schema=False)
def claim_page(request: Request, claim: str, kind: str = "") -> Response:
    require_editor(request)
    return _claim(request, claim, kind)


def _claim(request: Request, claim: str, kind: str, error: str = "", values: dict[str, str] | None = None,
           status: int = 200) -> Response:
    d = desk(request)
    try:
        view = review.claim_view(d.kb, claim)
        merge_into = {k: review.records(d.kb, k) for k in view["kinds"]}
    except KBError as exc:
        return page(request, "error.html", 404, message=str(exc), suggestions=[], code=404, link=False)
    if kind not in view["kinds"]:  # the kind the claim suggests: a measure's cue, else an event
        kind = str(view["claim"].get("kind") or ("measure" if view["claim"].get("cue") == "measure" else "event"))
        kind = kind if kind in view["kinds"] else "event"
    if values is not None and kind in view["suggested"]:
        view["suggested"][kind] = values
    return page(request, "claim.html", status, form=True, v=view, kind=kind,
                error=error, merge_into=merge_into, title=f"Review {claim}")


@router.post("/review/{claim}/accept", include_in_schema=False)
async def accept(request: Request, claim: str, kind: str = Form(...), csrf: str = Form("")) -> Response:
    v = require_editor(request)
    check_csrf(request, v, csrf)
    form = await request.form()
    values = {k[2:]: str(x) for k, x in form.multi_items() if k.startswith("f_")}
    d = desk(request)
    from anyio import to_thread

    try:
        done = await to_thread.run_sync(lambda: review.accept_claim(d.kb, claim, kind, values,
                                                                    request.app.state.review_dir, by=v.user.name if v.user else "?"))
    except KBError as exc:
        return _failed(request, v, claim, kind, str(exc), values)
    return _decided(request, v, f"accepted {claim} as {done.record}", claim)


@router.post("/review/{claim}/reject", include_in_schema=False)
def reject(request: Request, claim: str, reason: str = Form(""), csrf: str = Form("")) -> Response:
    v = require_editor(request)
    check_csrf(request, v, csrf)
    try:
        review.reject_claim(desk(request).kb, claim, reason, by=v.user.name if v.user else "?")
    except KBError as exc:
        return _failed(request, v, claim, "event", str(exc))
    return _decided(request, v, f"rejected {claim}", claim)


@router.post("/review/{claim}/merge", include_in_schema=False)
def merge(request: Request, claim: str, kind: str = Form(...), key: str = Form(""), csrf: str = Form("")) -> Response:
    v = require_editor(request)
    check_csrf(request, v, csrf)
    try:
        done = review.merge_claim(desk(request).kb, claim, kind, key, by=v.user.name if v.user else "?")
    except KBError as exc:
        return _failed(request, v, claim, kind, str(exc))
    return _decided(request, v, f"merged {claim} into {done.record}", claim)


def _failed(request: Request, v: Visitor, claim: str, kind: str, message: str,
            values: dict[str, str] | None = None) -> Response:
    """A refused decision: the claim's page again, with the message and what was typed."""
    if v.token:
        from starlette.responses import JSONResponse

        return JSONResponse({"claim": claim, "error": message}, status_code=400)
    return _claim(request, claim, kind, message, values, status=400)


@router.get("/audit", response_class=HTMLResponse, include_in_schema=False)
def audit(request: Request) -> Response:
    """Every accepted and rejected candidate claim, by whom and when (readable by anyone who may read)."""
    return page(request, "audit.html", rows=review.audit(desk(request).kb), title="Audit")
