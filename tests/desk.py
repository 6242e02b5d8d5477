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


def arrive(k, folder: Path, text: str = ARTICLE, name: str = "2026-03-02-china-quotas.txt") -> str:  # noqa: ANN001
    """An article reaches the review queue: today through `kb ingest`'s pipeline; the lead swaps
    this for `kb watch` fetching it from a local feed server. Returns the article's Source id."""
    from kb.ingest import ingest

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    report = ingest(k, [path], publisher="Test Wire")
    return str(report.as_dict()["articles"][0]["id"])


def make_app(k, tmp: Path, **options):  # noqa: ANN001, ANN201
    from kb.web.app import create_app
    from kb.web.auth import Users

    users = Users(tmp / "users.yaml")
    if not users.path.exists():
        users.add(EDITOR, EDITOR_PASSWORD, editor=True)
        users.add(READER, READER_PASSWORD)
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
