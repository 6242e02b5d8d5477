"""What every route of the desk shares: the templates, responses with an ETag, problems shown as
pages or JSON, and the person behind a request (`visitor`, `require_editor`, `check_csrf`). Routes
reach all of it through ``request.app.state`` (``desk``, ``auth``, ``templates``)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from kb.briefing import briefing
from kb.errors import KBError
from kb.web.auth import COOKIE, Auth, User
from kb.web.service import Desk, NotFound, entity_url

#: columns whose values name an entity: their cells link to its page
LINKED_COLUMNS = {"iso3": "Country", "symbol": "Element", "parties": "Country", "elements": "Element",
                  "importer": "Country", "exporter": "Country"}


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


def sort_key(v: Any) -> str:
    """What a table sorts a cell by (numbers numerically, text as text), read by app.js."""
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int | float):
        return repr(float(v))
    if isinstance(v, list):
        return ", ".join(map(str, v)).casefold()
    return "" if v is None else str(v).casefold()


def cells(v: Any, column: str) -> list[dict[str, Any]]:
    """A cell as a list of pieces (text, optional link) for the template."""
    label = LINKED_COLUMNS.get(column)
    values = v if isinstance(v, list) else [v]
    if label and all(isinstance(x, str) for x in values):
        return [{"text": x, "url": entity_url(label, x)} for x in values]
    if isinstance(v, list):
        return [{"text": _cell_text(x)} for x in v]
    return [{"text": _cell_text(v)}]


def templates() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(web_dir() / "templates")), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(entity_url=entity_url, cells=cells, sort_key=sort_key, urlencode=urlencode)
    env.globals["briefing"] = briefing  # restriction_impact and exposure as a report (templates/briefing.html)
    return env


def desk(request: Request) -> Desk:
    d: Desk = request.app.state.desk
    return d


def auth(request: Request) -> Auth:
    a: Auth = request.app.state.auth
    return a


# ---------------------------------------------------------------------------- who is asking


@dataclass
class Visitor:
    user: User | None = None
    sid: str | None = None  # the session (a browser); None for an API token or nobody
    token: bool = False

    @property
    def editor(self) -> bool:
        return self.user is not None and self.user.editor


class Refused(Exception):
    """A request the accounts refuse: ``status`` 401 (log in), 403 (not allowed) or 429."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def visitor(request: Request) -> Visitor:
    """The person behind a request: a session cookie, an API token, or nobody (cached per request)."""
    found: Visitor | None = getattr(request.state, "visitor", None)
    if found is not None:
        return found
    a = auth(request)
    v = Visitor()
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = a.users.by_token(header[7:].strip())
        if user is None:
            raise Refused(401, "the API token is not known (kb users token NAME makes one)")
        v = Visitor(user, None, True)
    elif cookie := request.cookies.get(COOKIE):
        sid = a.unsign(cookie)
        name = a.sessions.user(sid) if sid else None
        user = a.users.load().get(name) if name else None
        if user is not None and sid is not None:
            v = Visitor(user, sid)
    request.state.visitor = v
    return v


def require_editor(request: Request) -> Visitor:
    v = visitor(request)
    if not auth(request).editing:
        raise Refused(403, "this desk is read-only (kb serve --edit enables the review)")
    if v.user is None:
        raise Refused(401, "log in with an editor's account to change the KB")
    if not v.editor:
        raise Refused(403, f"{v.user.name} is not an editor (kb users add NAME --editor)")
    return v


def check_csrf(request: Request, v: Visitor, token: str) -> None:
    """A form posted from a session must carry a CSRF token issued to that session, once."""
    if v.token:
        return  # an API token is not sent by browsers on their own: no cross-site forgery
    if v.sid is None or not token or not auth(request).sessions.use_csrf(v.sid, token):
        raise Refused(403, "the form's CSRF token is missing, belongs to another session or was used "
                           "before: reload the page and send it again")


# ---------------------------------------------------------------------------- responses


def etagged(request: Request, body: str, media_type: str, status: int = 200,
            extra: dict[str, str] | None = None) -> Response:
    """A response with an ETag: an unchanged answer costs the client a 304, no body."""
    tag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": tag, "Cache-Control": "no-cache", **(extra or {})}
    if status == 200 and request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status, media_type=media_type, headers=headers)


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    from kb import __version__

    v = visitor(request)
    a = auth(request)
    context.pop("form", None)
    csrf = a.sessions.csrf_token(v.sid) if v.sid else ""  # every form of a session's page (logout too)
    html = request.app.state.templates.get_template(template).render(
        engine=desk(request).kb.engine, version=__version__, visitor=v, editing=a.editing, csrf=csrf, **context)
    if v.user is not None or csrf:  # a page for one person: no shared cache, no ETag
        return Response(html, status_code=status, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store"})
    return etagged(request, html, "text/html; charset=utf-8", status)


def shared(request: Request, make: Callable[[], Response]) -> Response:
    """A GET page or answer for anyone not logged in, cached whole by (address, graph version): the
    same for every reader until a load or an accepted record changes the graph. A person's page
    (logged in) and anything but a 200 are made each time."""
    if request.method != "GET" or request.cookies.get(COOKIE) or "authorization" in request.headers:
        return make()
    d = desk(request)
    key = (request.url.path, request.url.query, d.kb.graph_version())
    hit = d.pages.get(key)
    if hit is None:
        response = make()
        if response.status_code != 200 or not isinstance(response.body, bytes | memoryview):
            return response
        hit = (bytes(response.body), response.media_type or "", dict(response.headers))
        d.pages.put(key, hit)
    body, media_type, headers = hit
    etag = headers.get("etag")
    if etag and request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "no-cache"})
    headers = {k: v for k, v in headers.items() if k not in ("content-length", "content-type")}
    return Response(body, media_type=media_type, headers=headers)


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
