"""Logging in and out (a session cookie); a login form is CSRF-protected too, and throttled."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from kb.web.auth import COOKIE, SESSION_SECONDS
from kb.web.pages import Refused, auth, check_csrf, page, visitor

router = APIRouter()
LOGIN_COOKIE = "kb_login"


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


def _safe_next(target: str) -> str:
    """Only a path of this site (no //host, no scheme): no open redirect after a login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\\\" not in target else "/review"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/review", error: str = "", status: int = 200) -> Response:
    a = auth(request)
    pre = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    token = a.sessions.csrf_token("login:" + pre)
    response = page(request, "login.html", status, login_csrf=token, next=_safe_next(next), error=error,
                    title="Log in")
    response.headers["Cache-Control"] = "no-store"
    _cookie(request, response, LOGIN_COOKIE, pre, 3600)
    return response


@router.post("/login", include_in_schema=False)
def login(request: Request, name: str = Form(""), password: str = Form(""), csrf: str = Form(""),
          next: str = Form("/review")) -> Response:
    a = auth(request)
    pre = request.cookies.get(LOGIN_COOKIE, "")
    if not pre or not csrf or not a.sessions.use_csrf("login:" + pre, csrf):
        raise Refused(403, "the login form's CSRF token is missing or was used before: reload the page")
    address = "ip:" + (request.client.host if request.client else "?")
    who = ("user:" + name.strip(), address)
    if a.sessions.throttled(*who):
        return login_page(request, next, "too many failed logins: wait a few minutes and try again", 429)
    user = a.users.check_password(name.strip(), password)
    if user is None:
        a.sessions.failed(*who)
        return login_page(request, next, "wrong name or password", 401)
    sid = a.sessions.create(user.name)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _cookie(request, response, COOKIE, a.sign(sid), SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf: str = Form("")) -> Response:
    v = visitor(request)
    if v.sid is not None:
        check_csrf(request, v, csrf)
        auth(request).sessions.end(v.sid)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
