"""Issue 14: the KB up to 2026 (China's January 2026 dual-use ban on Japan, the 2025
suspension) and the review path from an ingested article to a loaded record, on both engines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from kb.ingest import ingest
from kb.ingest.review import ReviewError, accept, candidates, reject
from kb.schema import Measure
from tests.engines import run_kb

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "tests" / "fixtures" / "articles" / "2026-01-06-china-dual-use-japan.txt"
PUBLISHER = "Jiji Press (via nippon.com)"
BAN = "Ban on exports of all dual-use items to Japanese military end users and uses (MOFCOM Announcement No. 1 of 2026)"
ACCEPT = ["id=china-dual-use-ban-japan-jiji-2026", "name=China's ban on dual-use exports to Japan, as Jiji reported it",
          "kind=ban", "imposed_by=CHN", "targets=JPN", "target_scope=military-end-users", "start=2026-01-06"]




# --------------------------------------------------------------------------- schema, no engine


def test_measure_suspension_and_scope_are_validated():
    base: dict[str, Any] = {"id": "m", "name": "m", "kind": "ban", "imposed_by": "CHN", "sources": ["s"]}
    ok = Measure(**base, target_scope="countries", targets=["JPN"], suspended_from="2025-11-07",
                 suspended_until="2026-11-10")
    assert ok.suspended_until == "2026-11-10"
    for bad in ({"suspended_from": "2026-11-10", "suspended_until": "2025-11-07"},
                {"suspended_until": "2026-11-10"}, {"suspended_from": "2026-02-30"},
                {"target_scope": "everyone"}, {"target_scope": "countries"}):
        with pytest.raises(ValidationError):
            Measure.model_validate({**base, **bad})


# --------------------------------------------------------------------------- the 2026 questions


def test_export_restrictions_2026_answer_about_the_january_ban_on_japan(loaded_kb):
    rows = {r.measure: r for r in loaded_kb.queries.export_restrictions(iso3="CHN", year=2026)}
    ban = rows[BAN]
    assert (ban.kind, ban.target_scope, ban.targets, ban.start) == ("ban", "military-end-users", ["JPN"], "2026-01-06")
    assert ban.elements == []  # the announcement names no goods: elements are not COVERS
    assert ban.suspended_from is None and ban.end is None
    assert any(r.target_scope == "listed-entities" and r.targets == ["USA"] for r in rows.values())
    # the October 2025 controls: suspended 7 Nov 2025 until 10 Nov 2026 (Announcement No. 70), not ended
    suspended = [r for r in rows.values() if r.suspended_from]
    assert len(suspended) == 5
    assert {(r.suspended_from, r.suspended_until, r.end) for r in suspended} == {("2025-11-07", "2026-11-10", None)}
    assert rows["Export controls on seven medium and heavy rare earths (MOFCOM/GAC Announcement No. 18 of 2025)"
                ].suspended_from is None
    # sourced: the ban cites MOFCOM's announcement (official, read second-hand) and the press
    cited = loaded_kb.read("MATCH (m:Measure {name: $n})-[:SOURCED_FROM]->(s:Source) "
                           "RETURN s.id AS id, properties(s).tier AS tier, properties(s).via AS via", {"n": BAN})
    by_id = {r["id"]: r for r in cited}
    assert by_id["mofcom-2026-01"]["tier"] == "official" and by_id["mofcom-2026-01"]["via"]
    assert {r["tier"] for r in cited} == {"official", "press"}
    # the suspension is cited on each suspended measure
    for r in suspended:
        ids = {x["id"] for x in loaded_kb.read(
            "MATCH (m:Measure {name: $n})-[:SOURCED_FROM]->(s:Source) RETURN s.id AS id", {"n": r.measure})}
        assert "chemradar-2025-11-07-no70" in ids


def test_timeline_2026_has_the_ban_and_the_protest_all_sourced(loaded_kb):
    rows = loaded_kb.queries.timeline(start_year=2026, end_year=2026)
    assert rows and all(r.date.startswith("2026") for r in rows)
    first = [r for r in rows if r.date == "2026-01-06"]
    assert len(first) == 1 and "Announcement No. 1 of 2026" in first[0].event and first[0].countries == ["CHN", "JPN"]
    assert any(r.date == "2026-01-07" and r.kind == "diplomatic" for r in rows)
    unsourced = loaded_kb.read("MATCH (e:Event) WHERE e.date STARTS WITH '2026' AND NOT (e)-[:SOURCED_FROM]->(:Source) "
                               "RETURN e.id AS id")
    assert unsourced == []
    japan = loaded_kb.queries.timeline(start_year=2026, end_year=2026, iso3="Japan")
    assert len(japan) < len(rows) and all("JPN" in r.countries for r in japan)


# --------------------------------------------------------------------------- review: article -> record -> graph


def _ban_claim(k) -> dict:
    rows = [c for c in candidates(k) if c["cue"] == "measure" and "immediate ban" in c["text"]]
    assert len(rows) == 1, candidates(k)
    return rows[0]


@pytest.mark.slow
def test_an_accepted_article_claim_loads_and_answers_export_restrictions(empty_kb, tmp_path):
    k = empty_kb
    k.load()
    ingest(k, [ARTICLE], publisher=PUBLISHER)
    claim = _ban_claim(k)
    assert claim["text"].startswith("Beijing, Jan. 6 (Jiji Press)--The Chinese Commerce Ministry")
    assert {"CHN", "JPN"} <= set(claim["about"]) and claim["date"] == "2026-01-06"
    out = tmp_path / "reviewed"

    # nothing is written that did not pass validation; the error names the field
    for sets, field in ((["kind=embargo", *ACCEPT[:2]], "kind"), ([*ACCEPT, "colour=red"], "colour"),
                        ([*ACCEPT[:-1], "start=2026-13-01"], "start"), ([*ACCEPT[:4], "targets=JPN,ZZZ"], "targets")):
        with pytest.raises(ReviewError, match=rf"^--set {field}:") as exc:
            accept(k, claim["id"], "measure", sets, out)
        assert "\n" not in str(exc.value)
        assert not out.exists()
    with pytest.raises(ReviewError):
        accept(k, "no-such-claim", "measure", ACCEPT, out)

    done = accept(k, claim["id"], "measure", ACCEPT, out)
    record = yaml.safe_load(done.record_file.read_text())["measures"][0]
    source = yaml.safe_load(done.source_file.read_text())["sources"][0]
    assert record["sources"] == [claim["source"]] == [source["id"]]
    assert (source["date"], source["publisher"], source["kind"]) == ("2026-01-06", PUBLISHER, "news")
    assert [c["status"] for c in candidates(k, None) if c["id"] == claim["id"]] == ["accepted"]
    with pytest.raises(ReviewError, match="already accepted"):
        accept(k, claim["id"], "measure", ACCEPT, out)

    before = {r.measure for r in k.queries.export_restrictions(iso3="CHN", year=2026)}
    k.load([out], with_bundled=True)
    rows = {r.measure: r for r in k.queries.export_restrictions(iso3="CHN", year=2026)}
    new = rows[record["name"]]
    assert record["name"] not in before
    assert (new.target_scope, new.targets, new.start) == ("military-end-users", ["JPN"], "2026-01-06")
    cited = k.read("MATCH (m:Measure {id: $id})-[:SOURCED_FROM]->(s:Source) RETURN s.id AS id, s.text AS text",
                   {"id": record["id"]})
    assert [r["id"] for r in cited] == [claim["source"]] and "immediate ban" in cited[0]["text"]

    # a rejected claim stays rejected when the article is ingested again
    other = next(c for c in candidates(k) if c["id"] != claim["id"])
    reject(k, other["id"])
    ingest(k, [ARTICLE], publisher=PUBLISHER)
    status = {c["id"]: c["status"] for c in candidates(k, None)}
    assert status[other["id"]] == "rejected" and status[claim["id"]] == "accepted"


@pytest.mark.slow
def test_review_cli_lists_accepts_and_fails_in_one_line(engine, tmp_path):
    k = engine.empty()
    k.load()
    run_kb(engine, "ingest", str(ARTICLE), "--publisher", PUBLISHER)
    listed = run_kb(engine, "review", "list", "-f", "csv").stdout
    assert "immediate ban" in listed and "candidate" in listed
    claim = _ban_claim(k)["id"]
    out = tmp_path / "folder"
    bad = run_kb(engine, "review", "accept", claim, "--kind", "measure", "--set", "kind=embargo", "--out", str(out),
                 check=False)
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0 and "kind" in bad.stderr
    assert "Traceback" not in bad.stderr and not out.exists()
    args = [a for s in ACCEPT for a in ("--set", s)]
    run_kb(engine, "review", "accept", claim, "--kind", "measure", *args, "--out", str(out))
    assert len(list(out.glob("*.yaml"))) == 2
    run_kb(engine, "load", str(out), "--with-bundled")
    rows = run_kb(engine, "query", "export_restrictions", "-p", "iso3=CHN", "-p", "year=2026", "-f", "csv").stdout
    assert "as Jiji reported it" in rows
