"""Helpers of the desk tests (tests/test_desk_*.py): a desk app with an editor, logging in through
the form, the CSRF token of a page, and how an article reaches the review queue."""

from __future__ import annotations

import re
from pathlib import Path

EDITOR, EDITOR_PASSWORD = "alice", "correct horse battery"
READER, READER_PASSWORD = "bob", "reader's password"

#: an article as a publisher might write it (the Lynas-style news the desk reviews)
ARTICLE = """China tightens rare earth export quotas
2026-03-02

BEIJING: China cut its export quota for rare earths by 10 per cent to 30,000 tonnes this year, the
Ministry of Commerce said on Monday. Japan and the United States said the quota would hurt their
manufacturers of magnets for wind turbines and electric cars.
"""

#: the same, with markup and script where a hostile publisher could put them
HOSTILE_ARTICLE = """China <script>alert('title')</script> cuts <b>quotas</b>
2026-03-03

BEIJING: China cut its export quota for rare earths by 10 per cent to 30,000 tonnes <img src=x onerror="alert('text')">
this year, the Ministry said. Japan said the quota would hurt its <script>steal()</script> magnet makers.
"""


def _article_page(text: str) -> tuple[str, str, bytes]:
    """The article as a publisher's page: (title, date, HTML); its text escaped as a CMS would."""
    import html as h

    title, date, *body = text.strip().split("\n")
    paras = "".join(f"<p>{h.escape(p.replace(chr(10), ' '))}</p>" for p in "\n".join(body).strip().split("\n\n"))
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>{h.escape(title)}</title>'
            f'<meta property="article:published_time" content="{date}T06:00:00+00:00"></head><body><main><article>'
            f'<h1>{h.escape(title)}</h1><div class="entry-content">{paras}</div></article></main></body></html>')
    return title, date, page.encode()


def arrive(k, folder: Path, text: str = ARTICLE, name: str = "2026-03-02-china-quotas.txt",  # noqa: ANN001
           tag: str = "") -> str:
    """An article reaches the review queue as it does in a newsroom: `kb watch` reads a publisher's
    RSS feed on a local server (127.0.0.1), fetches the page and sends it through the ingest
    pipeline. Returns the article's Source id. A ``tag`` ends the headline, so tests sharing a
    graph (``desk_kb``) each get an article, and claims, of their own."""
    import html as h
    import threading
    from datetime import UTC, datetime
    from email.utils import format_datetime
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from kb.ingest.watch import WatchConfig, watch

    if tag:
        headline, rest = text.split("\n", 1)
        text = f"{headline} ({tag})\n{rest}"
    title, date, page = _article_page(text)
    slug = name.rsplit(".", 1)[0] + (f"-{tag}" if tag else "")
    routes: dict[str, tuple[str, bytes]] = {f"/news/{slug}/": ("text/html; charset=UTF-8", page)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            ctype, body = routes.get(self.path, ("text/plain", b""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    when = format_datetime(datetime.fromisoformat(date + "T06:00:00").replace(tzinfo=UTC))
    routes["/feed/"] = ("application/rss+xml; charset=UTF-8", (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test Wire</title>'
        f"<link>{base}/</link><description>news</description><item><title>{h.escape(title)}</title>"
        f"<link>{base}/news/{slug}/</link><pubDate>{when}</pubDate><description>rare earths</description>"
        "</item></channel></rss>").encode())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg = WatchConfig.model_validate({
            "user_agent": "rare-earth-kb-tests (desk)", "per_host_seconds": 0, "timeout_seconds": 30, "min_words": 20,
            "feed": [{"name": "test-wire", "url": f"{base}/feed/", "publisher": "Test Wire", "kind": "rss"}]})
        folder.mkdir(parents=True, exist_ok=True)
        report = watch(k, cfg, state_dir=folder / "watch")
    finally:
        server.shutdown()
        server.server_close()
    assert report.articles, f"kb watch ingested nothing: {[(x.outcome, x.detail) for x in report.lines]}"
    return report.articles[0]


def tag_of(nodeid: str) -> str:
    """A short tag of its own for a test (``arrive``'s ``tag``): the test id's CRC-32."""
    import zlib

    return f"t{zlib.crc32(nodeid.encode()):08x}"


def claims_of(html: str, source: str) -> list[str]:
    """The claims a review or audit page lists that were read in the article ``source``."""
    return [c for c in re.findall(r'<tr data-claim="([^"]+)"', html) if c.startswith(source + ".")]


def load_without_trade(k) -> None:  # noqa: ANN001
    """The bundled KB without its trade flows (8,586 of its 10,700 nodes; no desk test reads them):
    the desk tests' content (``desk_kb``), a load 2-3 times faster than the whole KB."""
    from kb.core import bundled_data_dir
    from kb.loaders.read import data_files

    k.load([p for p in data_files([bundled_data_dir()]) if not p.name.startswith("trade_flows-")])


#: the users file with the editor and the reader, as first written (see ``make_app``)
_USERS_FILE: list[bytes] = []


def make_app(k, tmp: Path, **options):  # noqa: ANN001, ANN201
    from kb.web.app import create_app
    from kb.web.auth import Users

    users = Users(tmp / "users.yaml")
    if not users.path.exists():
        if not _USERS_FILE:  # argon2 hashes: make_app took 0.22-0.36 s with them; once per session
            users.add(EDITOR, EDITOR_PASSWORD, editor=True)
            users.add(READER, READER_PASSWORD)
            _USERS_FILE.append(users.path.read_bytes())
        users.path.parent.mkdir(parents=True, exist_ok=True)
        users.path.write_bytes(_USERS_FILE[0])
        users.path.chmod(0o600)
    options.setdefault("editing", True)
    return create_app(k, users=users.path, review_dir=tmp / "reviewed", **options), users


def csrf_of(html: str, form: str | None = None) -> str:
    """The CSRF token of a page's form (``form``: the form's id)."""
    if form:
        html = html[html.index(f'id="{form}"'):]
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def log_in(client, name: str = EDITOR, password: str = EDITOR_PASSWORD):  # noqa: ANN001, ANN201
    page = client.get("/login")
    assert page.status_code == 200
    return client.post("/login", data={"name": name, "password": password, "csrf": csrf_of(page.text),
                                       "next": "/review"}, follow_redirects=False)


def form_values(html: str) -> dict[str, str]:
    """The accept form's fields as the page pre-fills them (unescaped, as a browser sends them)."""
    import html as h

    form = html[html.index('id="accept"'):html.index("</form>", html.index('id="accept"'))]
    values = {n: h.unescape(v) for n, v in re.findall(r'<input id="f-[^"]+" name="(f_[a-z_]+)" value="([^"]*)"', form)}
    for n, body in re.findall(r'<select id="f-[^"]+" name="(f_[a-z_]+)">(.*?)</select>', form, re.S):
        m = re.search(r"<option selected>([^<]*)</option>", body)
        values[n] = h.unescape(m.group(1)) if m else ""
    return values
