"""Hostile input at the desk, on both engines: an article whose title and text carry HTML and
script, a forged form, a replayed CSRF token, a session used after logout, a password guessed
again and again, a private desk, the cookie's flags, and a desk that refuses to listen on a
network with editing and no account. Each is refused or escaped."""

from __future__ import annotations

import pytest

from tests.desk import (
    EDITOR,
    EDITOR_PASSWORD,
    HOSTILE_ARTICLE,
    arrive,
    claims_of,
    csrf_of,
    log_in,
    make_app,
    tag_of,
)
from tests.engines import run_kb


@pytest.fixture
def desk(desk_kb, tmp_path, request):  # noqa: ANN001, ANN201
    """A desk with an editor over the desk tests' shared graph, and a hostile article of this test's own."""
    from fastapi.testclient import TestClient

    source = arrive(desk_kb, tmp_path / "articles", HOSTILE_ARTICLE, "2026-03-03-hostile.txt",
                    tag=tag_of(request.node.nodeid))
    app, _ = make_app(desk_kb, tmp_path)
    with TestClient(app) as client:
        yield client, desk_kb, source


def _status(k, claim: str) -> str:  # noqa: ANN001
    return str(k.read("MATCH (c:CandidateClaim {id: $id}) RETURN c.status AS s", {"id": claim})[0]["s"])


def test_article_markup_is_shown_as_text(desk):
    client, k, source = desk
    title = k.read("MATCH (s:Source {id: $id}) RETURN s.title AS t, s.text AS x", {"id": source})[0]
    assert "<script>" in title["t"] + title["x"], "the article reached the graph with its markup (the subject)"
    log_in(client)
    pages = [client.get("/review").text]
    claims = claims_of(pages[0], source)
    assert claims
    pages += [client.get(f"/review/{c}").text for c in claims]
    for html in pages:
        assert "<script>alert" not in html and "<script>steal" not in html and "<img src=x" not in html
        assert "<b>quotas" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in pages[0] + pages[1]
    assert "&lt;img src=x onerror=" in "".join(pages[1:]) or "&lt;script&gt;steal()" in "".join(pages[1:])
    # and the pages forbid inline script anyway
    assert "script-src 'self'" in client.get("/review").headers["content-security-policy"]


def test_forged_form_and_replayed_csrf_token_are_refused(desk):
    client, k, source = desk
    log_in(client)
    claim = claims_of(client.get("/review").text, source)[0]
    reject = f"/review/{claim}/reject"
    # no token, a made-up token: 403, nothing changed
    assert client.post(reject, data={"reason": "forged"}).status_code == 403
    assert client.post(reject, data={"reason": "forged", "csrf": "x" * 43}).status_code == 403
    # a token issued to another session (another browser logged in as the same editor)
    from fastapi.testclient import TestClient

    with TestClient(client.app) as other:
        log_in(other)
        theirs = csrf_of(other.get(f"/review/{claim}").text, "reject")
    assert client.post(reject, data={"reason": "cross-session", "csrf": theirs}).status_code == 403
    assert _status(k, claim) == "candidate"
    # a token used once, then replayed
    token = csrf_of(client.get(f"/review/{claim}").text, "reject")
    assert client.post(reject, data={"reason": "once", "csrf": token}, follow_redirects=False).status_code == 303
    assert _status(k, claim) == "rejected"
    second = claims_of(client.get("/review").text, source)[0]
    replay = client.post(f"/review/{second}/reject", data={"reason": "replayed", "csrf": token})
    assert replay.status_code == 403 and "used before" in replay.text
    assert _status(k, second) == "candidate"


def test_session_used_after_logout_is_refused(desk):
    client, k, source = desk
    log_in(client)
    cookie = client.cookies.get("kb_session")
    page = client.get("/review")
    assert page.status_code == 200 and f'<span id="who">{EDITOR}</span>' in page.text
    claim = claims_of(page.text, source)[0]
    form = client.get(f"/review/{claim}").text
    token = csrf_of(form, "reject")
    out = client.post("/logout", data={"csrf": csrf_of(form)}, follow_redirects=False)
    assert out.status_code == 303
    # the old cookie (and a CSRF token of that session) replayed by hand
    client.cookies.set("kb_session", cookie)
    assert client.get("/review").status_code == 401
    assert client.post(f"/review/{claim}/reject", data={"reason": "after logout", "csrf": token}).status_code == 401
    assert _status(k, claim) == "candidate"
    # a cookie whose signature was tampered with is nobody
    client.cookies.set("kb_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert client.get("/review").status_code == 401


def test_login_attempts_are_rate_limited(desk):
    client, _, _ = desk
    from kb.web.auth import MAX_FAILURES

    for _ in range(MAX_FAILURES):
        assert log_in(client, EDITOR, "wrong password").status_code == 401
    # now even the right password waits
    r = log_in(client, EDITOR, EDITOR_PASSWORD)
    assert r.status_code == 429 and "too many" in r.text
    assert "kb_session" not in client.cookies


def test_login_form_needs_its_csrf_token_and_next_stays_on_site(desk):
    client, _, _ = desk
    r = client.post("/login", data={"name": EDITOR, "password": EDITOR_PASSWORD, "csrf": "forged"})
    assert r.status_code == 403 and "kb_session" not in client.cookies
    page = client.get("/login")
    r = client.post("/login", data={"name": EDITOR, "password": EDITOR_PASSWORD, "csrf": csrf_of(page.text),
                                    "next": "//evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/review"


def test_session_cookie_flags(desk):
    client, _, _ = desk
    r = log_in(client)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    from fastapi.testclient import TestClient

    with TestClient(client.app, base_url="https://desk.example") as tls:
        secure = log_in(tls).headers["set-cookie"].lower()
    assert "secure" in secure and "httponly" in secure


@pytest.mark.slow
def test_private_desk_asks_everyone_to_log_in(desk_kb, tmp_path):
    from fastapi.testclient import TestClient

    from kb.web.auth import Users

    app, _ = make_app(desk_kb, tmp_path, private=True)
    token = Users(tmp_path / "users.yaml").new_token(EDITOR)
    with TestClient(app) as client:
        assert client.get("/q/top_producers.json?year=2020").status_code == 401
        assert client.get("/", headers={"accept": "text/html"}, follow_redirects=False).headers["location"].startswith("/login")
        assert client.get("/login").status_code == 200
        ok = client.get("/q/top_producers.json?year=2020", headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        log_in(client)
        assert client.get("/q/top_producers.json?year=2020").status_code == 200


def test_serve_refuses_a_network_address_with_editing_and_no_account(engine, tmp_path):
    res = run_kb(engine, "serve", "--host", "0.0.0.0", "--edit", "--users", str(tmp_path / "none.yaml"),
                 check=False, timeout=60)
    assert res.returncode != 0
    assert "refusing to listen on 0.0.0.0" in " ".join(res.stderr.split()) and "kb users add" in res.stderr
    assert "Traceback" not in res.stderr
