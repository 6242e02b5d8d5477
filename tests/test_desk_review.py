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
    claims_of,
    csrf_of,
    form_values,
    log_in,
    make_app,
    tag_of,
)


@pytest.fixture
def desk(desk_kb, tmp_path, request):  # noqa: ANN001, ANN201
    """The desk tests' shared graph (the bundled data, its trade flows aside), an article of this
    test's own in the queue, and a desk with an editor."""
    from fastapi.testclient import TestClient

    source = arrive(desk_kb, tmp_path / "articles", tag=tag_of(request.node.nodeid))
    app, users = make_app(desk_kb, tmp_path)
    with TestClient(app) as client:
        yield client, desk_kb, source, tmp_path


def _queue(client, source: str) -> list[str]:  # noqa: ANN001
    """The claims of the article ``source`` waiting in the review queue."""
    r = client.get("/review")
    assert r.status_code == 200, r.text
    return claims_of(r.text, source)


def _claims(k, source: str) -> list[dict]:  # noqa: ANN001
    """The article's candidate claims in the graph: id and status."""
    return k.read("MATCH (c:CandidateClaim)-[:SOURCED_FROM]->(:Source {id: $s}) RETURN c.id AS id, c.status AS status "
                  "ORDER BY id", {"s": source})


def _audit_row(audit: str, claim: str) -> str:
    """The audit page's row of ``claim``."""
    row = re.search(rf'<tr data-claim="{re.escape(claim)}">(.*?)</tr>', audit, re.S)
    assert row, f"no audit row for {claim}"
    return row.group(1)


def _timeline(client) -> list[dict]:  # noqa: ANN001
    r = client.get("/q/timeline.json?start_year=2026&end_year=2026&iso3=CHN")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.slow
def test_editor_accepts_a_claim_and_the_questions_show_it_at_once(desk):
    client, k, source, tmp = desk
    before = _timeline(client)  # cached now: the accept must make it stale
    assert log_in(client).status_code == 303
    claims = _queue(client, source)
    assert claims and {c["id"] for c in _claims(k, source)} == set(claims)
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
    assert claim not in _queue(client, source)
    row = _audit_row(client.get("/audit").text, claim)
    assert EDITOR in row and "event:2026-03-02-china-cuts-quota" in row


def test_a_bad_field_is_named_and_nothing_is_written(desk):
    client, k, source, tmp = desk
    log_in(client)
    claim = _queue(client, source)[0]
    page = client.get(f"/review/{claim}?kind=event")
    values = {**form_values(page.text), "f_id": "bad-date-event", "f_date": "2026-13-45"}
    r = client.post(f"/review/{claim}/accept", data={**values, "kind": "event", "csrf": csrf_of(page.text, "accept")})
    assert r.status_code == 400
    error = re.search(r'id="review-error">([^<]*)<', r.text)
    assert error is not None, r.text
    assert "date" in error.group(1)
    assert not list((tmp / "reviewed").glob("events-*.yaml"))
    assert claim in _queue(client, source)
    assert {c["status"] for c in _claims(k, source)} == {"candidate"}
    assert 'value="2026-13-45"' in r.text  # what was typed is kept for the correction


def test_reject_with_a_reason_and_merge_into_a_record(desk):
    client, k, source, _ = desk
    log_in(client)
    first, second, *_ = _queue(client, source)
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
    assert set(claims_of(audit, source)) == {first, second}
    rows = {c: _audit_row(audit, c) for c in (first, second)}
    assert "a reporter&#39;s paraphrase" in rows[first]
    assert f"measure:{key}" in rows[second] and "(merged)" in rows[second]
    assert all(f"<td>{EDITOR}</td>" in row for row in rows.values())


def test_nobody_but_an_editor_reaches_a_write(desk):
    client, k, source, _ = desk
    claim = _claims(k, source)[0]["id"]
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
    assert {c["status"] for c in _claims(k, source)} == {"candidate"}


def test_api_token_writes_without_a_form(desk):
    client, k, source, tmp = desk
    from kb.web.auth import Users

    token = Users(tmp / "users.yaml").new_token(EDITOR)
    claim = _claims(k, source)[0]["id"]
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
