"""`kb watch` (issue 25) against a local HTTP server (127.0.0.1, a thread in the test) serving
recorded feeds and pages in the publishers' formats: RSS 2.0, Atom, a news sitemap, a page
behind a paywall, a moved URL (301), a malformed feed, robots.txt disallowing a path, a PDF,
the same article under a second URL. Every item is a line of the report; the second run gets
HTTP 304 for each feed and fetches nothing new. The articles land in the review queue on both
engines (entity linking uses the graph)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kb.ingest import IngestError
from kb.ingest.review import candidates
from kb.ingest.watch import WatchConfig, load_config, parse_feed, parse_sitemap, watch

FEEDS = Path(__file__).resolve().parent / "fixtures" / "feeds"
UA = "rare-earth-kb-watch/test (+mailto:kb-team@example.org)"
LAST_MODIFIED = "Fri, 16 May 2025 06:12:09 GMT"


class Site:
    """The recorded publishers, on one local server: routes, ETags, a request log."""

    def __init__(self) -> None:
        self.log: list[dict[str, Any]] = []
        self.routes: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                site.log.append({"path": self.path, "at": time.monotonic(), "ua": self.headers.get("User-Agent"),
                                 "inm": self.headers.get("If-None-Match"), "ims": self.headers.get("If-Modified-Since")})
                status, ctype, body, extra = site.routes.get(self.path, (404, "text/plain", b"not found", {}))
                etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
                if status == 200 and extra.get("conditional") and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if extra.get("conditional"):
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                for k, v in extra.items():
                    if k != "conditional":
                        self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, path: str, file: str | None = None, ctype: str = "text/html; charset=UTF-8", status: int = 200,
            body: bytes | None = None, **extra: str) -> None:
        if body is None:
            assert file is not None, f"{path}: serve a file or a body"
            body = (FEEDS / file).read_bytes().replace(b"HOST", self.base.encode())
        self.routes[path] = (status, ctype, body, extra)

    def __enter__(self) -> Site:
        p = "pages/"
        self.add("/robots.txt", "robots.txt", "text/plain")
        self.add("/feed/", "trade-press.rss", "application/rss+xml; charset=UTF-8", conditional="1")
        self.add("/presscorner/feed.atom", "agency.atom", "application/atom+xml", conditional="1")
        self.add("/sitemap-news.xml", "ministry-sitemap.xml", "application/xml", conditional="1")
        self.add("/wire/feed.rss", "broken.rss", "application/rss+xml", conditional="1")
        self.add("/lynas-produces-worlds-first-dysprosium-outside-of-china/", p + "lynas-dysprosium.html")
        self.add("/old/lynas-separates-heavy-rare-earths/", status=301, body=b"",
                 Location="/2025/05/16/lynas-separates-heavy-rare-earths/")
        self.add("/2025/05/16/lynas-separates-heavy-rare-earths/", p + "lynas-separates-heavy.html")
        self.add("/premium/lynas-a25mil-capex/", p + "paywall.html")
        self.add("/private/rare-earths-editorial-note/", p + "lynas-dysprosium.html")
        self.add("/wp-content/uploads/lynas-quarterly-rare-earths.pdf", p + "quarterly.pdf", "application/pdf")
        self.add("/presscorner/detail/iluka-eneabba-loan", p + "iluka-eneabba-loan.html")
        self.add("/presscorner/detail/lynas-dysprosium-copy", p + "lynas-dysprosium.html")
        self.add("/article/china-expands-export-controls-rare-earths.html", p + "china-export-controls.html")
        self.add("/article/mp-materials-pentagon-deal.html", p + "mp-materials-pentagon.html")
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self, since: int = 0) -> list[str]:
        return [r["path"] for r in self.log[since:]]


def config(base: str, per_host: float = 0.0) -> WatchConfig:
    return WatchConfig.model_validate({
        "user_agent": UA, "per_host_seconds": per_host, "timeout_seconds": 10, "min_words": 40,
        "include": ["rare earth", "dysprosium", "lynas", "iluka", "export control"],
        "feed": [
            {"name": "trade-press", "url": f"{base}/feed/", "publisher": "Australian Mining", "kind": "rss"},
            {"name": "press-corner", "url": f"{base}/presscorner/feed.atom", "publisher": "Kallanish"},
            {"name": "ministry", "url": f"{base}/sitemap-news.xml", "publisher": "vbw", "kind": "sitemap",
             "include": ["."]},
            {"name": "wire", "url": f"{base}/wire/feed.rss", "publisher": "Wire"},
        ]})


def outcomes(report: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in report.lines:
        out.setdefault(line.outcome, []).append(line.url.split("/", 3)[-1])
    return out


# --------------------------------------------------------------------------- no engine


def _wrong(parsed: tuple[Any, Any, str | None]) -> str:
    """What a feed or sitemap parser says is wrong with its input (it must say something)."""
    assert parsed[2] is not None, parsed
    return parsed[2]


def test_feed_parsers_read_the_publishers_formats():
    rss, warn, wrong = parse_feed((FEEDS / "trade-press.rss").read_bytes())
    assert wrong is None and warn is None and len(rss) == 6
    assert (rss[0].title, rss[0].date) == ("Lynas produces world\u2019s first dysprosium outside of China", "2025-05-16")
    atom, _, wrong = parse_feed((FEEDS / "agency.atom").read_bytes())
    assert wrong is None and [i.date for i in atom] == ["2024-12-20", "2025-05-16"]
    items, nested, wrong = parse_sitemap((FEEDS / "ministry-sitemap.xml").read_bytes())
    assert wrong is None and nested == [] and [(i.title, i.date) for i in items] == [
        ("China expands export controls on rare earths", "2025-10-24"), (None, "2025-07-10")]
    assert _wrong(parse_feed((FEEDS / "broken.rss").read_bytes())).startswith("malformed feed")
    assert _wrong(parse_sitemap(b"<html><body>hi</body></html>")) == "not a sitemap (its root element is <html>)"
    assert "not a readable sitemap" in _wrong(parse_sitemap(b"<urlset><url>"))


def test_a_bad_config_names_the_file_and_the_field(tmp_path):
    good = tmp_path / "feeds.toml"
    good.write_text('user_agent = "kb (+mailto:a@b.c)"\n[[feed]]\nname = "usgs"\nurl = "https://pubs.usgs.gov/"\n'
                    'publisher = "USGS"\ntier = "official"\n')
    assert load_config(good).feeds[0].tier == "official"
    cases = {
        '[[feed]]\nname = "x"\nurl = "ftp://x"\npublisher = "X"\n': r"feeds.toml: feed\[1\].url: .*not an http",
        '[[feed]]\nname = "x"\nurl = "https://x.org/"\n': r"feed\[1\].publisher: Field required",
        '[[feed]]\nname = "x"\nurl = "https://x.org/"\npublisher = "X"\nkind = "json"\n': r"feed\[1\].kind",
        'per_host_seconds = -1\n[[feed]]\nname = "x"\nurl = "https://x.org/"\npublisher = "X"\n': "per_host_seconds",
        "[[feed]\n": "not valid TOML",
        'colour = 1\n[[feed]]\nname = "x"\nurl = "https://x.org/"\npublisher = "X"\n': "colour: Extra inputs",
    }
    for text, pattern in cases.items():
        bad = tmp_path / "feeds.toml"
        bad.write_text(text)
        with pytest.raises(IngestError, match=pattern):
            load_config(bad)
    y = tmp_path / "feeds.yaml"
    y.write_text("feeds:\n  - {name: a, url: 'https://a.org/', publisher: A}\n  - {name: a, url: 'https://b.org/', publisher: B}\n")
    with pytest.raises(IngestError, match="two feeds are named 'a'"):
        load_config(y)


def test_the_shipped_example_config_is_valid():
    cfg = load_config(Path(__file__).resolve().parent.parent / "docs" / "feeds.example.toml")
    kinds = {f.kind for f in cfg.feeds}
    assert {"rss", "atom", "sitemap"} <= kinds and len(cfg.feeds) >= 8
    assert "@" in cfg.user_agent or "http" in cfg.user_agent


def test_cli_watch_has_help_and_fails_in_one_line(tmp_path):
    from typer.testing import CliRunner

    from kb.cli.main import app

    res = CliRunner().invoke(app, ["watch", "--help"])
    assert res.exit_code == 0 and "Example" in res.output
    bad = tmp_path / "feeds.toml"
    bad.write_text("[[feed]]\nname = 'x'\n")
    env = {**os.environ, "KB_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-m", "kb", "watch", str(bad)], capture_output=True, text=True, env=env,
                          timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("error:") and "feed[1].url: Field required" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# --------------------------------------------------------------------------- both engines


def _dry_run_writes_nothing(k: Any, cfg: WatchConfig, state: Path) -> None:
    """A dry run reads everything and writes neither the graph nor the state."""
    checksum = k.stats()["checksum"]
    dry = watch(k, cfg, state_dir=state, dry_run=True)
    assert len([line for line in dry.lines if line.outcome == "ingested"]) == 5 and dry.articles
    assert k.stats()["checksum"] == checksum and not (state / "state.json").exists()


def _first_run_outcomes(first: Any) -> None:
    """Each item is one clear line; nothing is lost."""
    got = outcomes(first)
    lines = "\n".join(line.text() for line in first.lines)
    assert sorted(got["ingested"]) == sorted([
        "lynas-produces-worlds-first-dysprosium-outside-of-china/",
        "2025/05/16/lynas-separates-heavy-rare-earths/",
        "presscorner/detail/iluka-eneabba-loan",
        "article/china-expands-export-controls-rare-earths.html",
        "article/mp-materials-pentagon-deal.html"]), lines
    assert got["moved"] == ["old/lynas-separates-heavy-rare-earths/"]
    assert got["held-paywall"] == ["premium/lynas-a25mil-capex/"]
    assert got["robots"] == ["private/rare-earths-editorial-note/"]
    assert got["filtered"] == ["gold-price-record/"]
    assert got["not-article"] == ["wp-content/uploads/lynas-quarterly-rare-earths.pdf"]
    assert got["duplicate"] == ["presscorner/detail/lynas-dysprosium-copy"]
    assert got["malformed"] == ["wire/feed.rss"]
    assert {line.outcome for line in first.problems} == {"held-paywall", "robots", "not-article", "malformed"}
    held = next(line for line in first.lines if line.outcome == "held-paywall")
    assert "a paywall notice ('This article is for')" in held.detail and "kb ingest" in held.detail
    assert sum(len(v) for v in got.values()) == len(first.lines) == 12  # 10 items, 1 move, 1 bad feed


def _polite(site: Site) -> None:
    """Our User-Agent everywhere, robots.txt read once, the disallowed page never asked for, at least
    per_host_seconds between two requests to the host."""
    assert {r["ua"] for r in site.log} == {UA}
    assert site.paths().count("/robots.txt") == 1
    assert "/private/rare-earths-editorial-note/" not in site.paths()
    starts = [r["at"] for r in site.log]
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 0.05


def _review_queue(k: Any, site: Site, first: Any) -> None:
    """The articles, their candidate claims, linked to the graph's entities."""
    sources = {r["id"]: r for r in k.read(
        "MATCH (s:Source) WHERE s.origin = 'ingest' RETURN s.id AS id, s.url AS url, s.publisher AS publisher, "
        "s.date AS date")}
    assert sorted(sources) == sorted(first.articles) and len(sources) == 5
    moved = next(s for s in sources.values() if "lynas-separates" in s["url"])
    assert moved["url"] == f"{site.base}/2025/05/16/lynas-separates-heavy-rare-earths/"  # where it was read
    iluka = next(s for s in sources.values() if "iluka" in s["url"])
    assert (iluka["publisher"], iluka["date"]) == ("Kallanish", "2024-12-20")  # the date from the Atom entry
    queue = candidates(k)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for c in queue:
        by_source.setdefault(c["source"], []).append(c)
    assert set(by_source) <= set(sources) and len(by_source) >= 4
    assert first.claims == len(queue)
    vbw = next(s for s in sources if "china-expands" in s)
    assert any(c["quantity"] == 0.1 and c["unit"] == "%" and "CHN" in c["about"] for c in by_source[vbw])
    linked = k.read("MATCH (s:Source {id: $id})-[:MENTIONS]->(e:Facility) RETURN collect(e.id) AS f",
                    {"id": iluka["id"]})[0]["f"]
    assert "eneabba-refinery" in linked


def _second_run_is_conditional(k: Any, site: Site, cfg: WatchConfig, state: Path) -> None:
    """A conditional GET for each feed, 304, nothing new fetched."""
    before, checksum = len(site.log), k.stats()["checksum"]
    second = watch(k, cfg, state_dir=state)
    again = outcomes(second)
    assert sorted(again["not-modified"]) == ["feed/", "presscorner/feed.atom", "sitemap-news.xml"]
    assert again["malformed"] == ["wire/feed.rss"]  # still broken: read again, still a line
    assert "ingested" not in again and second.articles == []
    asked = site.paths(before)
    assert sorted(asked) == sorted(["/robots.txt", "/feed/", "/presscorner/feed.atom", "/sitemap-news.xml",
                                    "/wire/feed.rss"])
    conditional = [r for r in site.log[before:] if r["path"] in ("/feed/", "/sitemap-news.xml")]
    assert all(r["inm"] and r["ims"] == LAST_MODIFIED for r in conditional)
    assert k.stats()["checksum"] == checksum


def _changed_feed_fetches_only_new_items(k: Any, site: Site, cfg: WatchConfig, state: Path) -> None:
    """A feed that changes is read again, but items seen before are not fetched again."""
    site.add("/feed/", "trade-press.rss", "application/rss+xml", conditional="1",
             body=(FEEDS / "trade-press.rss").read_bytes().replace(b"HOST", site.base.encode()) + b"\n")
    before = len(site.log)
    third = outcomes(watch(k, cfg, state_dir=state, feeds=["trade-press"]))
    assert set(site.paths(before)) == {"/robots.txt", "/feed/"}
    assert len(third["seen"]) == 5 and third["filtered"] == ["gold-price-record/"]


def _failed_item_is_tried_again(k: Any, site: Site, cfg: WatchConfig, state: Path) -> None:
    """An item that failed (HTTP 503) is tried again on the next run, even when its feed answers 304."""
    flaky = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item>'
             b"<title>Rare earths: Iluka's Eneabba refinery loan</title><link>" + site.base.encode()
             + b"/wire/iluka</link><pubDate>Fri, 20 Dec 2024 09:00:00 +0000</pubDate></item></channel></rss>")
    site.add("/wire/ok.rss", body=flaky, ctype="application/rss+xml", conditional="1")
    site.add("/wire/iluka", status=503, body=b"busy")
    cfg2 = cfg.model_copy(update={"feeds": [*cfg.feeds, cfg.feeds[0].model_copy(
        update={"name": "wire-ok", "url": f"{site.base}/wire/ok.rss", "publisher": "Kallanish"})]})
    fourth = outcomes(watch(k, cfg2, state_dir=state, feeds=["wire-ok"]))
    assert fourth["http-error"] == ["wire/iluka"] and "ingested" not in fourth
    site.add("/wire/iluka", "pages/iluka-eneabba-loan.html")
    fifth = outcomes(watch(k, cfg2, state_dir=state, feeds=["wire-ok"]))
    assert fifth["not-modified"] == ["wire/ok.rss"]
    assert fifth["duplicate"] == ["wire/iluka"]  # fetched again; the same text as the press corner's copy


@pytest.mark.slow
def test_two_runs_against_the_recorded_publishers(empty_kb, tmp_path):
    k, state = empty_kb, tmp_path / "watch"
    k.load()
    with Site() as site:
        cfg = config(site.base, per_host=0.05)
        _dry_run_writes_nothing(k, cfg, state)
        site.log.clear()
        first = watch(k, cfg, state_dir=state)
        _first_run_outcomes(first)
        _polite(site)
        _review_queue(k, site, first)
        # the runs after it: each reads the state the one before it left
        _second_run_is_conditional(k, site, cfg, state)
        _changed_feed_fetches_only_new_items(k, site, cfg, state)
        _failed_item_is_tried_again(k, site, cfg, state)
