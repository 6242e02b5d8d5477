"""The review in the browser's HTTP (FastAPI's TestClient), on both engines: an editor accepts,
rejects and merges candidate claims; what is accepted is validated, written as YAML with its
reviewer, loaded and shown by the questions at once; the audit lists every decision; nobody
without the editor role reaches a write."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.desk import (
    EDITOR,
    READER,
    READER_PASSWORD,
    arrive,
    csrf_of,
    form_values,
    load_without_trade,
    log_in,
    make_app,
)


@pytest.fixture
def desk(empty_kb, tmp_path):  # noqa: ANN001, ANN201
    """A writable KB with the bundled data (its trade flows aside), one article in the queue, and a desk with an editor."""
    from fastapi.testclient import TestClient

    load_without_trade(empty_kb)
    source = arrive(empty_kb, tmp_path / "articles")
    app, users = make_app(empty_kb, tmp_path)
    with TestClient(app) as client:
        yield client, empty_kb, source, tmp_path


def _queue(client) -> list[str]:  # noqa: ANN001
    r = client.get("/review")
    assert r.status_code == 200, r.text
    return re.findall(r'<tr data-claim="([^"]+)"', r.text)


def _timeline(client) -> list[dict]:  # noqa: ANN001
    r = client.get("/q/timeline.json?start_year=2026&end_year=2026&iso3=CHN")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.slow
def test_editor_accepts_a_claim_and_the_questions_show_it_at_once(desk):
    client, k, source, tmp = desk
    before = _timeline(client)  # cached now: the accept must make it stale
    assert log_in(client).status_code == 303
    claims = _queue(client)
    assert claims and all(c.startswith(source) for c in claims)
    claim = next(c for c in claims if ".q" in c)  # a quantity: "10 per cent" or "30,000 tonnes"
    page = client.get(f"/review/{claim}?kind=event")
    assert page.status_code == 200
    # the article, marked where the claim was read; the entities it links
    assert re.search(r'<mark class="claim-match">(10 per cent|30,000 tonnes)</mark>', page.text), page.text
    assert 'href="/e/Country/CHN"' in page.text
    values = form_values(page.text)
    assert values["f_date"] == "2026-03-02" and "CHN" in values["f_countries"]
    values.update(f_id="2026-03-02-china-cuts-quota", f_name="China cuts its rare-earth export quota",
                  f_kind="announcement")
    done = client.post(f"/review/{claim}/accept", data={**values, "kind": "event", "csrf": csrf_of(page.text, "accept")},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    # the record: a YAML file citing the article, with its reviewer; and the article's Source
    record = yaml.safe_load((tmp / "reviewed" / "events-2026-03-02-china-cuts-quota.yaml").read_text())["events"][0]
    assert record["reviewed_by"] == EDITOR and record["sources"] == [source]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", record["reviewed_at"])
    assert (tmp / "reviewed" / f"sources-{source}.yaml").exists()
    # at once in the questions (the cached answer was not served) and in the graph
    after = _timeline(client)
    assert "China cuts its rare-earth export quota" in {r["event"] for r in after}
    assert len(after) == len(before) + 1
    node = k.read("MATCH (e:Event {id: '2026-03-02-china-cuts-quota'}) RETURN e.reviewed_by AS by")
    assert node == [{"by": EDITOR}]
    # out of the queue, into the audit with who and when
    assert claim not in _queue(client)
    audit = client.get("/audit").text
    row = re.search(rf'<tr data-claim="{re.escape(claim)}">(.*?)</tr>', audit, re.S)
    assert row and EDITOR in row.group(1) and "event:2026-03-02-china-cuts-quota" in row.group(1)


def test_a_bad_field_is_named_and_nothing_is_written(desk):
    client, k, _, tmp = desk
    log_in(client)
    claim = _queue(client)[0]
    page = client.get(f"/review/{claim}?kind=event")
    values = {**form_values(page.text), "f_id": "bad-date-event", "f_date": "2026-13-45"}
    r = client.post(f"/review/{claim}/accept", data={**values, "kind": "event", "csrf": csrf_of(page.text, "accept")})
    assert r.status_code == 400
    error = re.search(r'id="review-error">([^<]*)<', r.text)
    assert error is not None, r.text
    assert "date" in error.group(1)
    assert not list((tmp / "reviewed").glob("events-*.yaml"))
    assert claim in _queue(client)
    assert 'value="2026-13-45"' in r.text  # what was typed is kept for the correction


def test_reject_with_a_reason_and_merge_into_a_record(desk):
    client, k, source, _ = desk
    log_in(client)
    first, second, *_ = _queue(client)
    page = client.get(f"/review/{first}")
    no_reason = client.post(f"/review/{first}/reject", data={"reason": " ", "csrf": csrf_of(page.text, "reject")})
    assert no_reason.status_code == 400 and "why" in no_reason.text
    page = client.get(f"/review/{first}")
    r = client.post(f"/review/{first}/reject", data={"reason": "a reporter's paraphrase",
                                                      "csrf": csrf_of(page.text, "reject")}, follow_redirects=False)
    assert r.status_code == 303
    # merge: an existing measure cites the article too
    key = k.read("MATCH (m:Measure) RETURN m.id AS id ORDER BY id LIMIT 1")[0]["id"]
    page = client.get(f"/review/{second}?kind=measure")
    assert f'<option value="{key}">' in page.text
    r = client.post(f"/review/{second}/merge", data={"kind": "measure", "key": key,
                                                      "csrf": csrf_of(page.text, "merge")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cites = k.read("MATCH (m:Measure {id: $id})-[:SOURCED_FROM]->(s:Source {id: $s}) RETURN count(*) AS n",
                   {"id": key, "s": source})
    assert cites == [{"n": 1}]
    audit = client.get("/audit").text
    assert "a reporter&#39;s paraphrase" in audit and f"measure:{key}" in audit and "(merged)" in audit
    assert audit.count(f"<td>{EDITOR}</td>") == 2


def test_nobody_but_an_editor_reaches_a_write(desk):
    client, k, _, _ = desk
    claim = k.read("MATCH (c:CandidateClaim) RETURN c.id AS id LIMIT 1")[0]["id"]
    writes = [(f"/review/{claim}/accept", {"kind": "event", "f_id": "x", "f_name": "x", "f_date": "2026",
                                           "f_kind": "x"}),
              (f"/review/{claim}/reject", {"reason": "r"}), (f"/review/{claim}/merge", {"kind": "measure", "key": "x"})]
    # anonymous: the review pages send a browser to the login page; every write is a 401
    r = client.get("/review", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    for path, data in writes:
        assert client.post(path, data=data).status_code == 401, path
    # an account without the editor role: 403
    assert log_in(client, READER, READER_PASSWORD).status_code == 303
    assert client.get("/review").status_code == 403
    for path, data in writes:
        assert client.post(path, data=data).status_code == 403, path
    statuses = k.read("MATCH (c:CandidateClaim) RETURN collect(DISTINCT c.status) AS s")[0]["s"]
    assert statuses == ["candidate"]


def test_api_token_writes_without_a_form(desk):
    client, k, _, tmp = desk
    from kb.web.auth import Users

    token = Users(tmp / "users.yaml").new_token(EDITOR)
    claim = k.read("MATCH (c:CandidateClaim) RETURN c.id AS id LIMIT 1")[0]["id"]
    assert client.post(f"/review/{claim}/reject", data={"reason": "r"},
                       headers={"authorization": "Bearer kb_not-a-token"}).status_code == 401
    r = client.post(f"/review/{claim}/reject", data={"reason": "scripted"}, headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["done"].startswith("rejected")
    assert k.read("MATCH (c:CandidateClaim {id: $id}) RETURN c.status AS s, c.reviewed_by AS by",
                  {"id": claim}) == [{"s": "rejected", "by": EDITOR}]


def test_read_only_desk_has_no_review(empty_kb, tmp_path):
    from fastapi.testclient import TestClient

    app, _ = make_app(empty_kb, tmp_path, editing=False)
    with TestClient(app) as client:
        log_in(client)
        assert client.get("/review").status_code == 403
        assert "Review</a>" not in client.get("/").text
