"""The team's desk in a real browser (Debian's chromium driven by Playwright) against `kb serve
--edit` in a subprocess, on both engines: an editor logs in, sees an article that arrived in the
queue, accepts a claim, and the question page shows it; an anonymous visitor reaches no write;
the audit page lists the acceptance."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from kb.engines.base import free_port
from tests.desk import EDITOR, EDITOR_PASSWORD, arrive, load_without_trade
from tests.test_web import CHROMIUM, CHROMIUM_ARGS, _serve


def _serve_desk(engine, port: int, users: Path, review_dir: Path) -> subprocess.Popen:  # noqa: ANN001
    """`kb serve --edit` with these accounts, returned once it answers (test_web's `_serve`)."""
    return _serve(engine, port, "--edit", "--users", str(users), "--review-dir", str(review_dir))


@pytest.fixture
def desk_served(engine, empty_kb, tmp_path):  # noqa: ANN001, ANN201
    from kb.web.auth import Users

    load_without_trade(empty_kb)
    users = Users(tmp_path / "users.yaml")
    users.add(EDITOR, EDITOR_PASSWORD, editor=True)
    port = free_port()
    proc = _serve_desk(engine, port, users.path, tmp_path / "reviewed")
    yield f"http://127.0.0.1:{port}", empty_kb, tmp_path
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_editor_reviews_in_a_real_browser(desk_served):
    base, k, tmp = desk_served
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import expect, sync_playwright

    # the news arrives while the desk runs (the lead swaps `arrive` for `kb watch` on a local feed)
    source = arrive(k, tmp / "articles")
    event = "China cuts its rare-earth export quota (browser)"
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # an anonymous visitor: reads, but reaches no write
            anon = browser.new_context()
            page = anon.new_page()
            page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(base) else None)
            page.goto(base + "/review")
            expect(page.locator("h1")).to_have_text("Log in")  # sent to the login page
            claim = k.read("MATCH (c:CandidateClaim) RETURN c.id AS id ORDER BY id LIMIT 1")[0]["id"]
            for action in ("accept", "reject", "merge"):
                r = page.request.post(f"{base}/review/{claim}/{action}", form={"kind": "event", "reason": "x", "key": "x"})
                assert r.status == 401, (action, r.status)
            assert page.request.get(f"{base}/review/{claim}").status == 401
            anon.close()

            # the editor logs in, sees the article in the queue, opens a claim
            ctx = browser.new_context()
            page = ctx.new_page()
            page.on("request", lambda req: outside.append(req.url) if not req.url.startswith(base) else None)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base + "/login")
            page.fill("#name", EDITOR)
            page.fill("#password", EDITOR_PASSWORD)
            page.click("form.login button[type=submit]")
            expect(page.locator("#who")).to_have_text(EDITOR)
            expect(page.locator("#queue")).to_contain_text("China tightens rare earth export quotas")
            quantity = page.locator(f"#queue tr[data-claim^='{source}.q'] a").first
            quantity.click()
            expect(page.locator("mark.claim-match")).to_be_visible()
            expect(page.locator("#linked")).to_contain_text("China")

            # accept it as an event, after editing fields
            page.fill("#f-id", "2026-03-02-china-cuts-quota-browser")
            page.fill("#f-name", event)
            page.fill("#f-kind", "announcement")
            page.click("#accept-button")
            expect(page.locator("#done")).to_contain_text("accepted")

            # the question page shows it at once
            page.goto(base + "/q/timeline?start_year=2026&end_year=2026&iso3=China")
            expect(page.locator("#answer")).to_contain_text(event)

            # the audit lists the acceptance: who and what
            page.goto(base + "/audit")
            row = page.locator("#audit tbody tr", has_text="event:2026-03-02-china-cuts-quota-browser")
            expect(row).to_contain_text(EDITOR)
            assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", row.inner_text())

            # after logging out, the same browser reaches no write
            page.click("#logout")
            page.goto(base + "/review")
            expect(page.locator("h1")).to_have_text("Log in")
            assert not errors, errors
            ctx.close()
        finally:
            browser.close()
    assert not outside, outside
    record = tmp / "reviewed" / "events-2026-03-02-china-cuts-quota-browser.yaml"
    assert f"reviewed_by: {EDITOR}" in record.read_text()
