"""Ingesting news articles: boilerplate, metadata, name matching, the graph it writes
(on both engines), the two questions about articles, and the CLI command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.ingest import IngestError, Lexicon, find_mentions, ingest, read_article

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "tests" / "fixtures" / "articles"
HTML = ARTICLES / "2019-05-21-rare-earth-leverage.html"
CAPS = ARTICLES / "2014-03-27-readers-on-quotas.txt"
# a copy of ../shared/sources/2012-11-17-japan-india-rare-earth-cooperation.txt, as it was given
ARTICLE_2012 = Path(os.environ.get("KB_ARTICLE_2012", ROOT / "tests" / "fixtures" / "sources" / "2012-11-17-japan-india-rare-earth-cooperation.txt"))
needs_2012 = pytest.mark.skipif(not ARTICLE_2012.exists(), reason=f"{ARTICLE_2012} is not here")


def mentions(k, source_id: str) -> dict[str, dict]:
    """``"Label:key" -> {count, offsets, forms, sources}`` of one article."""
    rows = k.read(
        "MATCH (:Source {id: $id})-[m:MENTIONS]->(e) RETURN labels(e)[0] AS label, "
        "coalesce(e.iso3, e.symbol, e.code, e.id) AS key, m.count AS count, m.offsets AS offsets, "
        "m.forms AS forms, m.sources AS sources", {"id": source_id})
    return {f"{r['label']}:{r['key']}": r for r in rows}


def curated(k) -> list[str]:
    """Every node and relationship that is not ingested, as sorted JSON: what ingest must not touch."""
    nodes = k.read("MATCH (n) WHERE NOT 'CandidateClaim' IN labels(n) AND coalesce(properties(n).origin, '') <> 'ingest' "
                   "RETURN labels(n) AS l, properties(n) AS p")
    rels = k.read("MATCH (a)-[r]->(b) WHERE NOT ('CandidateClaim' IN (labels(a) + labels(b))) "
                  "AND coalesce(properties(a).origin, '') <> 'ingest' AND coalesce(properties(b).origin, '') <> 'ingest' "
                  "RETURN type(r) AS t, properties(r) AS p, coalesce(a.iso3, a.symbol, a.code, a.id) AS a, "
                  "coalesce(b.iso3, b.symbol, b.code, b.id) AS b")
    return sorted(json.dumps(x, sort_keys=True, default=str) for x in nodes + rels)


# --------------------------------------------------------------------------- reading, no engine


@needs_2012
def test_the_2012_article_loses_its_notices_and_keeps_title_and_date():
    a = read_article(ARTICLE_2012)
    assert a.title == "Japan, India to cooperate on rare earth production"
    assert a.date == "2012-11-17"
    assert a.id == "article-2012-11-17-japan-india-cooperate-rare-earth-production"
    assert len(a.boilerplate) == 2 and all(line.startswith("Alert Sign") for line in a.boilerplate)
    for gone in ("Adblock", "Alert Sign", "Dear reader", "version of IE", "November 17, 2012"):
        assert gone not in a.text
    assert a.text.startswith("Japan, India to cooperate")
    assert "TOKYO: Japan has signed a memorandum of understanding with India" in a.text
    assert read_article(ARTICLE_2012, title="Given", date="2012-11-16", publisher="AFP").id == "article-2012-11-16-given"


def test_html_is_stripped_of_scripts_navigation_and_furniture():
    a = read_article(HTML)
    assert a.title == "China\u2019s rare earth leverage grows as trade talks stall"  # the <h1>, not <title>
    assert a.date == "2019-05-21" and a.publisher == "Example Mining Weekly"
    assert a.url == "https://mining-weekly.example/2019/05/21/rare-earth-leverage"
    assert "Beijing signalled on Monday" in a.text and "Japanese buyers still remember 2010" in a.text
    for gone in ("dataLayer", "trackRead", "Kazatomprom", "Lynas", "Sojitz", "Malaysia", "Australia",
                 "Toyota Tsusho", "cookies", "Share this", "All rights reserved", "Example Mining Weekly", "21 May 2019"):
        assert gone not in a.text, gone


def test_an_article_without_a_date_needs_one(tmp_path):
    f = tmp_path / "undated.txt"
    f.write_text("Japan and India talk rare earths\n\nThey met in Tokyo.\n")
    with pytest.raises(IngestError, match="no date"):
        read_article(f)
    assert read_article(f, date="2013-01-02").date == "2013-01-02"
    with pytest.raises(IngestError, match="does not exist"):
        read_article(f, date="2013-02-30")
    (tmp_path / "notes.pdf").write_text("x")
    with pytest.raises(IngestError, match="not an article"):
        read_article(tmp_path / "notes.pdf")


# --------------------------------------------------------------------------- matching, no engine

LEXICON = Lexicon.build([
    {"label": "Country", "key": "USA", "name": "United States", "forms": ["United States", "US", "USA"]},
    {"label": "Country", "key": "ITA", "name": "Italy", "forms": ["Italy", "IT"]},
    {"label": "Country", "key": "IND", "name": "India", "forms": ["India", "IN", "Bharat"]},
    {"label": "Country", "key": "JPN", "name": "Japan", "forms": ["Japan", "JP"]},
    {"label": "Element", "key": "Nd", "name": "Neodymium", "forms": ["Neodymium", "Nd"]},
    {"label": "Element", "key": "Y", "name": "Yttrium", "forms": ["Yttrium", "Y"]},
    {"label": "Commodity", "key": "rare-earths", "name": "Rare earths", "forms": ["Rare earths", "rare earth", "REE"]},
    {"label": "Organisation", "key": "irel", "name": "IREL (India) Limited", "forms": ["IREL", "Indian Rare Earths", "8015"]},
    {"label": "Organisation", "key": "neo", "name": "Neo Performance Materials", "forms": ["Neo", "NPM"]},
    {"label": "Organisation", "key": "ec", "name": "European Commission", "forms": ["European Commission", "Brussels"]},
    {"label": "Country", "key": "EUU", "name": "European Union", "forms": ["European Union", "EC", "Brussels"]},
])


def found(text: str) -> list[tuple[str, str]]:
    return [(m.entity[1], m.form) for m in find_mentions(text, LEXICON)]


def test_us_is_a_country_in_capitals_but_not_in_an_all_caps_line():
    assert found("The US and Japan filed a case.") == [("USA", "US"), ("JPN", "Japan")]
    assert found("LET US KNOW WHAT YOU THINK ABOUT JAPAN") == [("JPN", "JAPAN")]
    assert found("let us know; USB sticks; the U.S. and the USA") == [("USA", "U.S."), ("USA", "USA")]


def test_short_codes_symbols_and_numbers_are_not_names():
    assert found("IT departments IN the region; Nd and Dy prices; Y rose; ticker 8015; in it") == []
    assert found("neodymium and NEODYMIUM and Yttrium") == [("Nd", "neodymium"), ("Nd", "NEODYMIUM"), ("Y", "Yttrium")]


def test_demonyms_whole_words_longest_match_and_blocked_forms():
    assert found("Indian Rare Earths sells to an Indian buyer") == [("irel", "Indian Rare Earths"), ("IND", "Indian")]
    assert found("shipping in the Indian Ocean") == []
    assert found("Indiana and Japanese rare-earths") == [("JPN", "Japanese"), ("rare-earths", "rare-earths")]
    assert found("neo-liberal Neo") == [("neo", "Neo")]  # proper nouns keep their capital
    assert found("the EC said") == []  # two letters and not in EXTRA_FORMS
    assert found("Brussels said") == []  # names two entities: ambiguous, dropped
    assert LEXICON.ambiguous["Brussels"] == [("Country", "EUU"), ("Organisation", "ec")]
    assert found("the EU said") == [("EUU", "EU")]  # EXTRA_FORMS


def test_an_agreement_is_mentioned_by_its_parties_next_to_an_agreement_word():
    from kb.ingest import Article, agreement_mentions

    both = {"countries": {"JPN", "IND"}, "organisations": set()}
    lex = Lexicon.build(
        [{"label": "Country", "key": "JPN", "name": "Japan", "forms": ["Japan"]},
         {"label": "Country", "key": "IND", "name": "India", "forms": ["India"]},
         {"label": "Agreement", "key": "mou", "name": "Japan-India rare earth memorandum",
          "forms": ["Japan-India rare earth memorandum"]}],
        {"mou": {"date": "2012-11-16", **both}, "old": {"date": "2008-01-01", **both},
         "later": {"date": "2020-01-01", **both}})

    def agreements(text: str) -> list[tuple[str, str]]:
        art = Article("x.txt", "t", "2013-01-01", "p", text, blocks=[(0, len(text))])
        return [(m.entity[1], m.form) for m in agreement_mentions(art, find_mentions(text, lex), lex)]

    assert agreements("Japan and India signed a memorandum.") == [("mou", "memorandum")]  # the latest by then
    assert agreements("Japan and India must deal with it; their deal holds.") == [("mou", "deal")]
    assert agreements("Japan signed a memorandum. India did not.") == [("mou", "memorandum")]  # one paragraph
    assert agreements("Japan signed a memorandum with Australia.") == []
    assert agreements("Japan and India met.") == []
    assert agreements("The Japan-India rare earth memorandum, Japan and India said.") == []  # named, not counted twice


# --------------------------------------------------------------------------- the graph, both engines

EXPECTED_2012 = {"Country:JPN", "Country:IND", "Country:CHN", "Country:EUU", "Country:USA",
                 "Organisation:toyota-tsusho", "Commodity:rare-earths", "Agreement:japan-india-2012-mou"}


@pytest.mark.slow
@needs_2012
def test_ingesting_the_2012_article(empty_kb):
    k = empty_kb
    k.load()
    before = curated(k)
    report = ingest(k, [ARTICLE_2012])
    (art,) = report.articles
    sid = art.id
    found_ = mentions(k, sid)
    assert set(found_) >= EXPECTED_2012, sorted(found_)

    # every offset points at the text it names, and nothing comes from the notices
    text = k.read("MATCH (s:Source {id: $id}) RETURN s.text AS t, s.kind AS kind, s.title AS title, "
                  "s.date AS date, s.same_as AS same_as", {"id": sid})[0]
    assert (text["kind"], text["title"], text["date"]) == ("news", art.title, "2012-11-17")
    assert "article-2012-11-17-japan-india" in text["same_as"]  # the curated record of this article, named
    for key, m in found_.items():
        assert m["count"] == len(m["offsets"]) == len(m["forms"]) > 0, key
        assert m["sources"] == [sid]
        for off, form in zip(m["offsets"], m["forms"], strict=True):
            assert text["t"][off:off + len(form)] == form, (key, off, form)
        assert not {"IE", "Adblock", "Alert", "Sign"} & set(m["forms"]), key
    assert set(found_["Country:JPN"]["forms"]) == {"Japan", "Japanese", "TOKYO", "Tokyo"}
    assert set(found_["Country:CHN"]["forms"]) == {"China", "Beijing"}
    assert found_["Country:IND"]["count"] == 5 and found_["Country:JPN"]["count"] == 9
    assert found_["Organisation:toyota-tsusho"]["forms"] == ["Toyota Tsusho Corp."]
    assert found_["Agreement:japan-india-2012-mou"]["forms"] == ["memorandum", "memorandum"]
    assert not any(key.startswith("Element:") for key in found_)

    # candidate claims: on the source, for review, curated facts untouched
    claims = {(r["q"], r["u"]): r for r in k.read(
        "MATCH (s:Source {id: $id})-[:SUGGESTS]->(c:CandidateClaim)-[:SOURCED_FROM]->(s) "
        "RETURN c.quantity AS q, c.unit AS u, c.year AS year, c.status AS status, c.qualifier AS qualifier",
        {"id": sid})}
    assert {(4100.0, "t/y"), (97.0, "%"), (10.0, "%")} <= set(claims)
    assert claims[(97.0, "%")]["year"] == 2011  # "last year" in a 2012 article
    assert claims[(10.0, "%")]["qualifier"] == "more than"
    assert {c["status"] for c in claims.values()} == {"candidate"}
    assert curated(k) == before

    # again: nothing changes
    stats = k.stats()
    assert stats["sourced_share"] == 1.0
    again = ingest(k, [ARTICLE_2012])
    assert again.counters.nodes_created == again.counters.relationships_created == 0
    assert again.counters.relationships_deleted == again.counters.nodes_deleted == 0
    assert k.stats()["checksum"] == stats["checksum"]

    # the two questions
    rows = k.queries.articles_mentioning(names=["japan", "INDIA", "Toyota Tsusho", "rare earths"])
    assert [(r.title, r.date, r.publisher) for r in rows] == [(art.title, "2012-11-17", "unknown")]
    assert {"Japan", "India", "China", "European Union"} <= set(rows[0].mentions)
    assert rows[0].mentions[0] == "Japan"  # most mentioned first
    assert len(k.queries.articles_mentioning(names=["Japan", "Lynas"])) == 0
    assert len(k.queries.articles_mentioning(names=[])) == 0
    co = {r.name: r for r in k.queries.co_mentions(name="India")}
    assert "India" not in co
    assert (co["Japan"].label, co["Japan"].articles, co["Japan"].mentions) == ("Country", 1, 9)
    assert co["Toyota Tsusho Corporation"].label == "Organisation"


@pytest.mark.slow
def test_html_and_capitals_fixtures(empty_kb):
    k = empty_kb
    k.load()
    report = ingest(k, sorted(f for f in ARTICLES.iterdir() if f.is_file()))  # not the labelled set below
    ids = {a.file: a.id for a in report.articles}
    html = mentions(k, ids[HTML.name])
    assert {"Country:CHN", "Country:USA", "Country:JPN", "Organisation:mp-materials", "Commodity:rare-earths"} <= set(html)
    for only_in_furniture in ("Organisation:lynas", "Organisation:sojitz", "Country:MYS", "Country:AUS",
                              "Organisation:toyota-tsusho", "Organisation:kazatomprom"):
        assert only_in_furniture not in html
    caps = mentions(k, ids[CAPS.name])
    assert caps["Country:USA"]["forms"] == ["US"] and caps["Country:USA"]["count"] == 1  # not "LET US KNOW"
    assert "CHINA" in caps["Country:CHN"]["forms"]
    assert caps["Element:Nd"]["forms"] == ["neodymium"]  # not the symbol
    assert not {"Element:Dy", "Country:ITA", "Country:IND"} & set(caps)
    money = k.read("MATCH (:Source {id: $id})-[:SUGGESTS]->(c:CandidateClaim {unit: 'USD'}) RETURN c.quantity AS q",
                   {"id": ids[HTML.name]})
    assert [r["q"] for r in money] == [1.5e9]
    assert k.stats()["sourced_share"] == 1.0

    both = k.queries.articles_mentioning(names=["China", "United States"])
    assert [r.date for r in both] == ["2019-05-21", "2014-03-27"]  # newest first
    co = {r.name: r for r in k.queries.co_mentions(name="china")}
    assert co["United States"].articles == 2 and co["United States"].mentions == 3


@pytest.mark.slow
def test_a_changed_article_replaces_what_it_said(empty_kb, tmp_path):
    k = empty_kb
    k.load()
    f = tmp_path / "note.txt"
    f.write_text("Rare earth talks in Tokyo\n\n5 May 2013\n\nJapan and China discussed 5,000 tonnes of rare earths.\n")
    sid = ingest(k, [f]).articles[0].id
    assert {"Country:JPN", "Country:CHN"} <= set(mentions(k, sid))
    f.write_text("Rare earth talks in Tokyo\n\n5 May 2013\n\nJapan discussed rare earths with Australia.\n")
    ingest(k, [f])
    now = set(mentions(k, sid))
    assert "Country:CHN" not in now and {"Country:JPN", "Country:AUS"} <= now
    assert k.read("MATCH (c:CandidateClaim) RETURN count(c) AS n")[0]["n"] == 0
    changed = k.stats()["checksum"]
    k.write("MATCH (s:Source {id: $id}) DETACH DELETE s", {"id": sid})
    ingest(k, [f])
    assert k.stats()["checksum"] == changed  # same as ingesting the new version afresh


@pytest.mark.slow
def test_an_article_may_not_overwrite_a_curated_source(empty_kb, tmp_path):
    k = empty_kb
    k.load()
    f = tmp_path / "clash.txt"
    f.write_text("Japan India\n\nNovember 17, 2012\n\nJapan and India signed.\n")  # id article-2012-11-17-japan-india
    with pytest.raises(IngestError, match="curated Source"):
        ingest(k, [f])
    assert k.read("MATCH (s:Source {id: 'article-2012-11-17-japan-india'}) RETURN properties(s).origin AS o") == [{"o": None}]


# --------------------------------------------------------------------------- CLI

def test_cli_has_help_with_an_example_and_fails_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from kb.cli.main import app

    assert sum(1 for c in app.registered_commands if c.name == "ingest") == 1
    res = CliRunner().invoke(app, ["ingest", "--help"])
    assert res.exit_code == 0 and "Example" in res.output

    env = {**os.environ, "KB_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-m", "kb", "ingest", str(tmp_path / "missing.txt")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error:") and "no such file" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
