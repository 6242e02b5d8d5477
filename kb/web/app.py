"""The analyst's desk over HTTP (FastAPI), in the manner of Datasette:

* ``/`` — the questions, grouped, and a search box over entities (suggestions as you type);
* ``/q/NAME`` — a form built from the question's header and the answer as a sortable table;
  the parameters live in the query string, so the address is a permalink;
* ``/q/NAME.json`` and ``/q/NAME.csv`` — the same rows as ``kb query --format json|csv``;
  a bad parameter is a 400 with the `QueryError` text, an unknown name a 404 with suggestions;
* ``/e/LABEL/KEY`` (and ``.json``) — an entity, its relationships and its sources;
* ``/cypher`` — a read-only Cypher box (writes refused, a row cap the engine stops at, a time limit);
* ``/review`` and ``/audit`` — candidate claims of ingested articles, for editors (``kb serve --edit``);
  ``/login``, ``/logout``;
* ``/openapi.json`` — every question with its parameters and its row model.

Reading is open unless ``private``; writing needs an editor's account (`kb.web.auth`). Answers
are cached by (question, parameters, graph version). Every asset is in ``kb/web/static``; pages
carry a Content-Security-Policy that allows this server only.

    app = create_app(kb.connect())     # then: uvicorn.run(app, host="127.0.0.1", port=8765)

The routes are in `kb.web.routes`, one router per part; each reaches the `Desk`, the accounts and
the templates through ``request.app.state``.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kb.errors import QueryError
from kb.web.pages import Refused, page, problem, templates, visitor, web_dir
from kb.web.service import Desk

if TYPE_CHECKING:
    from kb.core import KB

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
STATIC_MAX_AGE = 86400
#: files of other projects the pages use, served from the packages that ship them
VENDOR = {"vis-network.min.js": ("pyvis", "templates/lib/vis-9.1.2/vis-network.min.js"),
          "vis-network.css": ("pyvis", "templates/lib/vis-9.1.2/vis-network.css")}
#: what a visitor may reach without logging in on a private desk
PUBLIC_PATHS = ("/login", "/static/", "/vendor/")
#: the environment variable `app_from_env` reads the desk's options from (one per worker process)
ENV_OPTIONS = "KB_DESK_OPTIONS"


def vendor_file(where: tuple[str, str]) -> bytes:
    package, path = where
    return resources.files(package).joinpath(path).read_bytes()


def create_app(k: KB, *, row_cap: int | None = None, time_limit: float | None = None, editing: bool = False,
               private: bool = False, users: Path | None = None, review_dir: Path | None = None) -> FastAPI:
    """The web app over one open KB (which it does not close). ``editing`` opens the review to
    editors; ``private`` asks every visitor to log in; ``users`` is the accounts file (default
    ``KB_HOME/users.yaml``); accepted records go to ``review_dir`` (default ``KB_HOME/reviewed``)."""
    from fastapi.staticfiles import StaticFiles

    from kb import __version__
    from kb.web.auth import Auth
    from kb.web.routes import account, cypher, entities, questions, review

    app = FastAPI(title="Rare Earth KB", version=__version__, docs_url=None, redoc_url=None,
                  description="The canned questions of the Rare Earth KB, read-only: every question is "
                              "`/q/NAME.json` (or `.csv`) with its parameters in the query string.")
    desk = Desk(k, row_cap=row_cap, time_limit=time_limit)
    app.state.desk = desk
    app.state.templates = templates()
    app.state.auth = Auth(k.settings.home, users, private=private, editing=editing)
    app.state.review_dir = review_dir or k.settings.home / "reviewed"

    app.add_middleware(_Headers, fastapi=app)
    app.mount("/static", StaticFiles(directory=str(web_dir() / "static")), name="static")
    app.add_api_route("/vendor/{name}", _vendor, include_in_schema=False)
    questions.add_question_routes(app, desk.questions())
    for r in (questions.router, entities.router, cypher.router, review.router, account.router):
        app.include_router(r)
    app.add_exception_handler(QueryError, _query_error)  # type: ignore[arg-type]
    app.add_exception_handler(Refused, _refused)  # type: ignore[arg-type]
    return app


class _Headers:
    """Security and cache headers on every response, and on a private desk nothing but the login
    page for a visitor without an account (plain ASGI: no task or body copy per request)."""

    def __init__(self, app: ASGIApp, fastapi: FastAPI):
        self.app = app
        self.fastapi = fastapi

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if self.fastapi.state.auth.private and not path.startswith(PUBLIC_PATHS):
            request = Request(scope, receive)
            try:
                v = visitor(request)
                refused = None if v.user is not None else Refused(401, "this desk is private: log in")
            except Refused as exc:
                refused = exc
            if refused is not None:
                await _refused(request, refused)(scope, receive, self._send(send, path))
                return
        await self.app(scope, receive, self._send(send, path))

    @staticmethod
    def _send(send: Send, path: str) -> Send:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
                                    ("Referrer-Policy", "no-referrer")):
                    if name not in headers:
                        headers[name] = value
                if path.startswith("/static/"):
                    headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
                elif "cache-control" not in headers:
                    headers["Cache-Control"] = "no-cache"
            await send(message)

        return with_headers


def _vendor(name: str) -> Response:
    """vis-network, served from the copy the pyvis package ships (no CDN)."""
    path = VENDOR.get(name)
    if path is None:
        return PlainTextResponse("not found\n", status_code=404)
    media = "text/javascript" if name.endswith(".js") else "text/css"
    return Response(vendor_file(path), media_type=f"{media}; charset=utf-8",
                    headers={"Cache-Control": f"public, max-age={STATIC_MAX_AGE}"})


def _query_error(request: Request, exc: QueryError) -> Response:
    return problem(request, exc, "json" if request.url.path.endswith(".json") else "html")


def _refused(request: Request, exc: Refused) -> Response:
    """401: a browser goes to the login page, a script gets JSON; 403 and 429 say why."""
    wants_html = "text/html" in request.headers.get("accept", "") and "authorization" not in request.headers
    if exc.status == 401 and wants_html and request.method == "GET":
        from urllib.parse import urlencode

        return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)
    if wants_html:
        try:
            return page(request, "error.html", exc.status, message=exc.message, suggestions=[], code=exc.status,
                        link=False)
        except Refused:
            pass
    return JSONResponse({"error": exc.message}, status_code=exc.status,
                        headers={"WWW-Authenticate": "Bearer"} if exc.status == 401 else None)


def app_from_env() -> FastAPI:
    """The app for one worker process of ``kb serve --workers N``: each opens its own connection
    to the one engine (the options come from `ENV_OPTIONS`, set by `kb serve`)."""
    import kb

    options: dict[str, Any] = json.loads(os.environ.get(ENV_OPTIONS) or "{}")
    k = kb.connect()
    return create_app(k, row_cap=options.get("row_cap"), time_limit=options.get("time_limit"),
                      editing=bool(options.get("editing")), private=bool(options.get("private")),
                      users=Path(options["users"]) if options.get("users") else None,
                      review_dir=Path(options["review_dir"]) if options.get("review_dir") else None)
