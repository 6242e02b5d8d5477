"""`kb watch`: one polite pass over the publishers' feeds, new articles into the review queue.

    with kb.connect() as k:
        report = watch(k, load_config("feeds.toml"))
        for line in report.lines:
            print(line.text())

One run reads every feed of the config (RSS, Atom, or a sitemap where a publisher has no
feed), fetches the items it has not seen and sends each through `ingest` (mentions and
candidate claims for review). A scheduler (cron, a systemd timer) starts it; it keeps no
process of its own. Politeness: a User-Agent that names the KB and a contact, robots.txt
honoured for every URL (``urllib.robotparser``; its Crawl-delay too), one request at a time
per host with at least ``per_host_seconds`` between them, conditional GET (``ETag`` /
``Last-Modified``) for feeds, timeouts.

What it keeps, under ``KB_HOME/watch/``: ``state.json`` (each feed's validators; each item
URL seen and what became of it; the sha256 of each article text ingested, so the same text
under another URL is not ingested twice), ``pages/`` (each article page as fetched: what
was ingested, or held, can be read again) and ``runs/`` (each run's report as JSON).
Nothing is dropped silently: every item that is not ingested is a line of the report
saying why (robots.txt, HTTP status, not an article, paywall or stub, same text, ...).
A feed whose body cannot be parsed keeps its old validators, so the next run reads it again;
an item that failed is tried again on the next runs (up to ``retries`` times).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import re
import time
import tomllib
import urllib.robotparser
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urldefrag, urljoin, urlsplit

import defusedxml.ElementTree as SafeET
import feedparser
import httpx
import yaml
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kb.config import kb_home
from kb.ingest.errors import IngestError
from kb.ingest.read import read_article

# --------------------------------------------------------------------------- config

DEFAULT_USER_AGENT = "rare-earth-kb-watch/0.2 (kb watch; set user_agent with a contact address in the config)"


class FeedConfig(BaseModel):
    """One feed: where, what it is, who publishes it."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    url: str
    kind: Literal["auto", "rss", "atom", "sitemap"] = "auto"
    publisher: str = Field(min_length=1)
    tier: Literal["official", "intergovernmental", "company", "press", "other"] = "press"
    include: list[str] | None = None  # words (regular expressions) an item's title or summary must contain
    max_items: int | None = Field(default=None, ge=1)

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if urlsplit(v).scheme not in ("http", "https") or not urlsplit(v).netloc:
            raise ValueError(f"{v!r} is not an http(s) URL")
        return v


class WatchConfig(BaseModel):
    """The config file: politeness settings and the feeds."""

    model_config = ConfigDict(extra="forbid")
    user_agent: str = DEFAULT_USER_AGENT
    per_host_seconds: float = Field(default=5.0, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_items: int = Field(default=20, ge=1)
    min_words: int = Field(default=120, ge=0)  # fewer words of body text: a paywall stub or teaser
    retries: int = Field(default=3, ge=1)
    include: list[str] | None = None
    feeds: list[FeedConfig] = Field(alias="feed", min_length=1)

    @field_validator("user_agent")
    @classmethod
    def _ua(cls, v: str) -> str:
        if not v.strip() or "\n" in v:
            raise ValueError("a User-Agent is one line that names the KB and a contact")
        return v


def load_config(path: str | Path) -> WatchConfig:
    """Read a TOML (``.toml``) or YAML (``.yaml``/``.yml``) feed config; `IngestError` naming
    the file and the field for what is wrong."""
    p = Path(path)
    try:
        raw_text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise IngestError(f"{p}: cannot read the feed config ({exc.strerror or exc})") from None
    try:
        if p.suffix.lower() == ".toml":
            raw: Any = tomllib.loads(raw_text)
        elif p.suffix.lower() in (".yaml", ".yml"):
            raw = yaml.safe_load(raw_text)
        else:
            raise IngestError(f"{p}: a feed config is .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise IngestError(f"{p}: not valid {p.suffix.lstrip('.').upper()}: {' '.join(str(exc).split())}") from None
    if not isinstance(raw, dict):
        raise IngestError(f"{p}: expected settings and a list of [[feed]] tables")
    if "feeds" in raw and "feed" not in raw:  # YAML reads better as `feeds:`
        raw["feed"] = raw.pop("feeds")
    try:
        cfg = WatchConfig.model_validate(raw)
    except ValidationError as exc:
        e = exc.errors()[0]
        loc = ".".join(str(x) for x in e["loc"]).replace("feed.", "feed[", 1)
        if loc.startswith("feed["):
            head, _, rest = loc[5:].partition(".")
            loc = f"feed[{int(head) + 1 if head.isdigit() else head}]" + (f".{rest}" if rest else "")
        raise IngestError(f"{p}: {loc}: {e['msg']}") from None
    names = [f.name for f in cfg.feeds]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise IngestError(f"{p}: two feeds are named {dupes[0]!r}")
    for f in cfg.feeds:
        for word in (f.include or []) + (cfg.include or []):
            try:
                re.compile(word)
            except re.error as exc:
                raise IngestError(f"{p}: feed {f.name!r}: include {word!r} is not a regular expression ({exc})") from None
    return cfg


# --------------------------------------------------------------------------- state


def watch_dir() -> Path:
    return kb_home() / "watch"


class WatchState:
    """What earlier runs saw: feed validators, item URLs, text hashes (JSON, written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data: dict[str, Any] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise IngestError(f"{path}: the watch state cannot be read ({exc}); move it aside to start afresh") from None
        self.feeds: dict[str, dict[str, str]] = data.get("feeds", {})
        self.items: dict[str, dict[str, Any]] = data.get("items", {})
        self.hashes: dict[str, str] = data.get("hashes", {})

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"feeds": self.feeds, "items": self.items, "hashes": self.hashes},
                                  indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


# --------------------------------------------------------------------------- report


@dataclass
class WatchLine:
    feed: str
    url: str
    outcome: str
    detail: str = ""
    problem: bool = False

    def text(self) -> str:
        mark = "PROBLEM " if self.problem else ""
        return f"{mark}{self.outcome:<13} {self.feed}: {self.url}" + (f" — {self.detail}" if self.detail else "")


@dataclass
class WatchReport:
    lines: list[WatchLine] = field(default_factory=list)
    requests: int = 0
    articles: list[str] = field(default_factory=list)  # Source ids ingested
    claims: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    started: str = ""

    def add(self, feed: str, url: str, outcome: str, detail: str = "", problem: bool = False) -> None:
        self.lines.append(WatchLine(feed, url, outcome, detail, problem))

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(line.outcome for line in self.lines).items()))

    @property
    def problems(self) -> list[WatchLine]:
        return [line for line in self.lines if line.problem]

    def as_dict(self) -> dict[str, Any]:
        return {"started": self.started, "seconds": round(self.seconds, 3), "dry_run": self.dry_run,
                "requests": self.requests, "counts": self.counts, "articles": self.articles, "claims": self.claims,
                "problems": len(self.problems), "lines": [line.__dict__ for line in self.lines]}


# --------------------------------------------------------------------------- polite fetching


class FetchError(Exception):
    """A request that could not be made (network, timeout, too many redirects)."""


@dataclass
class Fetched:
    url: str  # where the content came from, after redirects
    status: int
    headers: httpx.Headers
    content: bytes
    moves: list[tuple[int, str, str]]  # (status, from, to)


class Fetcher:
    """GET with a User-Agent, robots.txt, a minimum interval per host and redirects followed
    one hop at a time (each hop asks robots.txt and waits its turn)."""

    MAX_HOPS = 5

    def __init__(self, cfg: WatchConfig, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        self.client = httpx.Client(headers={"User-Agent": cfg.user_agent}, timeout=cfg.timeout_seconds,
                                   follow_redirects=False)
        self.robots: dict[str, urllib.robotparser.RobotFileParser | str] = {}  # str: why the host is skipped
        self.last: dict[str, float] = {}
        self.requests = 0
        self._sleep, self._clock = sleep, clock

    def close(self) -> None:
        self.client.close()

    def _origin(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def _interval(self, origin: str) -> float:
        rp = self.robots.get(origin)
        delay = rp.crawl_delay(self.cfg.user_agent) if isinstance(rp, urllib.robotparser.RobotFileParser) else None
        return max(self.cfg.per_host_seconds, float(delay or 0))

    def _raw(self, url: str, headers: dict[str, str] | None = None) -> httpx.Response:
        origin = self._origin(url)
        if origin in self.last:
            wait = self.last[origin] + self._interval(origin) - self._clock()
            if wait > 0:
                self._sleep(wait)
        try:
            self.requests += 1
            return self.client.get(url, headers=headers or {})
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
        finally:
            self.last[origin] = self._clock()

    def allowed(self, url: str) -> tuple[bool, str]:
        """Whether robots.txt lets our User-Agent fetch ``url`` (fetched once per host and run),
        and why not. RFC 9309: 4xx but 401/403 allows everything; 401/403, 5xx or no answer skips the host."""
        origin = self._origin(url)
        if origin not in self.robots:
            robots_url = origin + "/robots.txt"
            try:
                r = self._raw(robots_url)
            except FetchError as exc:
                self.robots[origin] = f"{robots_url} could not be read ({exc}); the host is skipped this run"
            else:
                parser = urllib.robotparser.RobotFileParser(robots_url)
                if r.status_code in (401, 403):
                    self.robots[origin] = f"{robots_url} answers HTTP {r.status_code}: the host is closed to robots"
                elif r.status_code >= 500:
                    self.robots[origin] = f"{robots_url} answers HTTP {r.status_code}; the host is skipped this run"
                else:
                    parser.parse(r.text.splitlines() if r.status_code == 200 else [])
                    self.robots[origin] = parser
        rp = self.robots[origin]
        if isinstance(rp, str):
            return False, rp
        if not rp.can_fetch(self.cfg.user_agent, url):
            return False, f"robots.txt of {origin} disallows this path for our User-Agent"
        return True, ""

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        """GET following redirects hop by hop; a hop robots.txt disallows is a `FetchError`."""
        moves: list[tuple[int, str, str]] = []
        for _ in range(self.MAX_HOPS + 1):
            r = self._raw(url, headers)
            if r.status_code in (301, 302, 303, 307, 308) and r.headers.get("location"):
                target = urldefrag(urljoin(url, r.headers["location"]))[0]
                moves.append((r.status_code, url, target))
                ok, why = self.allowed(target)
                if not ok:
                    raise FetchError(f"redirected to {target}, which {why.split(' ', 1)[1] if why else 'is closed'}")
                url = target
                continue
            return Fetched(url, r.status_code, r.headers, r.content, moves)
        raise FetchError(f"more than {self.MAX_HOPS} redirects")


# --------------------------------------------------------------------------- feeds


@dataclass
class Item:
    url: str
    title: str | None = None
    date: str | None = None  # YYYY-MM-DD
    summary: str = ""


_SITEMAP_NS = re.compile(r"^\{[^}]*\}")


def _iso_day(value: str | None) -> str | None:
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value or "")
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


def parse_sitemap(content: bytes) -> tuple[list[Item], list[str], str | None]:
    """A sitemap's page URLs (with ``lastmod`` or Google News ``publication_date`` and
    ``title``), the nested sitemaps of a sitemap index, or what is wrong with it."""
    try:
        root = SafeET.fromstring(content)
    except Exception as exc:  # noqa: BLE001  (defusedxml raises ParseError or its own refusals)
        return [], [], f"not a readable sitemap ({type(exc).__name__}: {exc})"
    tag = _SITEMAP_NS.sub("", root.tag)
    if tag not in ("urlset", "sitemapindex"):
        return [], [], f"not a sitemap (its root element is <{tag}>)"
    items, nested = [], []
    for entry in root:
        fields: dict[str, str] = {}
        for el in entry.iter():
            name = _SITEMAP_NS.sub("", el.tag)
            if el.text and el.text.strip() and name not in fields:
                fields[name] = el.text.strip()
        if not fields.get("loc"):
            continue
        if tag == "sitemapindex":
            nested.append(fields["loc"])
        else:
            items.append(Item(fields["loc"], fields.get("title"),
                              _iso_day(fields.get("publication_date") or fields.get("lastmod"))))
    return items, nested, None


def parse_feed(content: bytes) -> tuple[list[Item], str | None, str | None]:
    """RSS or Atom items, a warning (a feed read despite an error), or what is wrong."""
    parsed = feedparser.parse(content)
    items = []
    for e in parsed.entries:
        link = e.get("link") or next((lk.get("href") for lk in e.get("links", []) if lk.get("href")), None)
        if not link:
            continue
        when = e.get("published_parsed") or e.get("updated_parsed")
        date = datetime.fromtimestamp(calendar.timegm(when), UTC).strftime("%Y-%m-%d") if when else None
        summary = re.sub(r"<[^>]+>", " ", e.get("summary", "") or "")
        items.append(Item(link, " ".join((e.get("title") or "").split()) or None, date, " ".join(summary.split())))
    if parsed.get("bozo"):
        why = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
        if not items:
            return [], None, f"malformed feed ({' '.join(why.split())})"
        return items, f"feed read despite an error ({' '.join(why.split())})", None
    if not items and not parsed.get("version"):
        return [], None, "not an RSS or Atom feed"
    return items, None, None


def _is_sitemap(kind: str, fetched: Fetched) -> bool:
    if kind in ("rss", "atom"):
        return False
    if kind == "sitemap":
        return True
    head = fetched.content[:600].decode("utf-8", "replace")
    return re.search(r"<(?:\w+:)?(?:urlset|sitemapindex)\b", head) is not None


# --------------------------------------------------------------------------- the run

_PAYWALL = re.compile(r"\b(?:subscribe to (?:read|continue)|subscribers only|for subscribers|to continue reading|"
                      r"already a subscriber|this article is for|premium content|sign in to read|paywall)\b", re.I)
_ARTICLE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


def _page_file(home: Path, url: str, content_type: str) -> Path:
    digest = hashlib.sha256(url.encode()).hexdigest()[:20]
    suffix = ".txt" if content_type.startswith("text/plain") else ".html"
    return home / "pages" / urlsplit(url).netloc.replace(":", "_") / f"{digest}{suffix}"


def watch(kb: Any, cfg: WatchConfig, *, dry_run: bool = False, feeds: list[str] | None = None,
          fetcher: Fetcher | None = None, state_dir: Path | None = None) -> WatchReport:
    """One pass over the feeds (``feeds`` names a subset): new items fetched and ingested.
    The state is saved after every item, so an interrupted run loses nothing; ``dry_run``
    fetches and reads but writes neither the graph nor the state. ``state_dir`` (default
    ``KB_HOME/watch``) holds the state, the pages and the run reports."""
    from kb.ingest.write import ingest  # the one pipeline, as `kb ingest` runs it

    t0 = time.perf_counter()
    report = WatchReport(dry_run=dry_run, started=datetime.now(UTC).isoformat(timespec="seconds"))
    chosen = cfg.feeds
    if feeds:
        unknown = sorted(set(feeds) - {f.name for f in cfg.feeds})
        if unknown:
            raise IngestError(f"--feed {unknown[0]!r} is not in the config (feeds: {', '.join(f.name for f in cfg.feeds)})")
        chosen = [f for f in cfg.feeds if f.name in feeds]
    home = state_dir or watch_dir()
    home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(home / "watch.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise IngestError(f"another kb watch is running (lock {home / 'watch.lock'})") from None
    own = fetcher is None
    fetch = fetcher or Fetcher(cfg)
    try:
        state = WatchState(home / "state.json")
        for feed in chosen:
            _one_feed(kb, cfg, feed, state, fetch, report, dry_run, ingest, home)
        report.requests = fetch.requests
        report.seconds = time.perf_counter() - t0
        if not dry_run:
            runs = home / "runs"
            runs.mkdir(exist_ok=True)
            (runs / f"{report.started.replace(':', '')}.json").write_text(
                json.dumps(report.as_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    finally:
        if own:
            fetch.close()
        lock.release()
    return report


def _one_feed(kb: Any, cfg: WatchConfig, feed: FeedConfig, state: WatchState, fetch: Fetcher,
              report: WatchReport, dry_run: bool, ingest: Callable[..., Any], home: Path) -> None:
    """Read one feed (and the sitemaps it nests, two levels deep) and deal with each item it lists,
    and with the items of this feed that failed before; its validators are kept only at the end."""
    name = feed.name
    items, new_validators = _list_items(feed, state, fetch, report)
    # items that failed on an earlier run are tried again even when the feed answers 304 or dropped them
    listed = {urldefrag(i.url)[0] for i in items}
    items += [Item(u, s.get("title"), s.get("date")) for u, s in sorted(state.items.items())
              if s.get("feed") == name and s.get("status") == "failed" and s.get("attempts", 0) < cfg.retries
              and u not in listed]
    words = [*(feed.include or []), *(cfg.include or [])] if feed.include is not None or cfg.include else []
    pattern = re.compile("|".join(f"(?:{w})" for w in words), re.I) if words else None
    limit = feed.max_items or cfg.max_items
    taken = 0
    for item in items:
        url = urldefrag(item.url)[0]
        seen = state.items.get(url)
        if seen and (seen.get("status") != "failed" or seen.get("attempts", 0) >= cfg.retries):
            report.add(name, url, "seen", f"{seen.get('status')} on {seen.get('at', '?')[:10]}")
            continue
        if pattern and not pattern.search(f"{item.title or ''} {item.summary} {url}"):
            report.add(name, url, "filtered", "title and summary name none of the include words")
            continue
        if taken >= limit:
            report.add(name, url, "deferred", f"over this feed's {limit} items a run; taken next run")
            continue
        taken += 1
        _one_item(kb, cfg, feed, item, url, state, fetch, report, dry_run, ingest, home)
        if not dry_run:
            state.save()
    if not dry_run:
        state.feeds.update(new_validators)  # only after every item was dealt with: an interrupted run reads it again
        state.save()


def _list_items(feed: FeedConfig, state: WatchState, fetch: Fetcher,
                report: WatchReport) -> tuple[list[Item], dict[str, dict[str, str]]]:
    """The items a feed lists (following nested sitemaps two levels deep) and the validators of
    each listing read whole (to be kept once its items are dealt with)."""
    listing_urls, items = [feed.url], []
    new_validators: dict[str, dict[str, str]] = {}
    depth = 0
    while listing_urls and depth < 2:
        nested: list[str] = []
        for url in listing_urls:
            listing = _read_listing(feed, url, state, fetch, report)
            if listing is None:
                continue
            found, more, validators = listing
            nested += more
            items += found
            new_validators[url] = validators
        listing_urls, depth = nested, depth + 1
    return items, new_validators


def _read_listing(feed: FeedConfig, url: str, state: WatchState, fetch: Fetcher,
                  report: WatchReport) -> tuple[list[Item], list[str], dict[str, str]] | None:
    """One feed or sitemap by conditional GET: its items, the sitemaps it nests and its validators;
    None (with a line of the report saying why) when there is nothing to take from it this run."""
    name = feed.name
    ok, why = fetch.allowed(url)
    if not ok:
        report.add(name, url, "robots", why + "; the feed is not read", problem=True)
        return None
    old = state.feeds.get(url, {})
    headers = {k: v for k, v in (("If-None-Match", old.get("etag")),
                                 ("If-Modified-Since", old.get("last_modified"))) if v}
    try:
        got = fetch.get(url, headers)
    except FetchError as exc:
        report.add(name, url, "network-error", f"{exc}; tried again next run", problem=True)
        return None
    for status, a, b in got.moves:
        report.add(name, a, "moved", f"HTTP {status} to {b}"
                   + ("; update the config" if status in (301, 308) and a == feed.url else ""))
    if got.status == 304:
        report.add(name, url, "not-modified", "HTTP 304 to a conditional GET: nothing new")
        return None
    if got.status != 200:
        report.add(name, got.url, "http-error", f"HTTP {got.status}; tried again next run", problem=True)
        return None
    validators = {k: v for k, v in (("etag", got.headers.get("etag")),
                                    ("last_modified", got.headers.get("last-modified"))) if v}
    more: list[str] = []
    if _is_sitemap(feed.kind, got):
        found, more, wrong = parse_sitemap(got.content)
    else:
        found, warning, wrong = parse_feed(got.content)
        if warning:
            report.add(name, got.url, "feed-warning", warning)
    if wrong:
        report.add(name, got.url, "malformed", f"{wrong}; nothing taken from it, read again next run", problem=True)
        return None
    return found, more, validators


@dataclass
class _Marks:
    """Writes what became of one item into the watch state (nothing on a dry run); a failed item
    keeps its attempts, title and date so that the next run can try it again."""

    state: WatchState
    feed: str
    item: Item
    url: str
    dry_run: bool
    now: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def __call__(self, status: str, u: str | None = None, **extra: Any) -> None:
        if self.dry_run:
            return
        u = self.url if u is None else u
        attempts = self.state.items.get(u, {}).get("attempts", 0) + (1 if status == "failed" else 0)
        failed = {"attempts": attempts, "title": self.item.title, "date": self.item.date} if status == "failed" else {}
        self.state.items[u] = {"status": status, "at": self.now, "feed": self.feed, **extra, **failed}


def _one_item(kb: Any, cfg: WatchConfig, feed: FeedConfig, item: Item, url: str, state: WatchState,
              fetch: Fetcher, report: WatchReport, dry_run: bool, ingest: Callable[..., Any], home: Path) -> None:
    """Fetch one item, keep its page, read it and send it through ``ingest`` unless it is held
    (paywall or stub) or the same text was ingested before; every outcome a line of the report."""
    name = feed.name
    mark = _Marks(state, name, item, url, dry_run)
    fetched = _fetch_article(name, url, state, fetch, report, mark)
    if fetched is None:
        return
    got, ctype = fetched
    final = got.url
    page = _keep_page(home, final, ctype, got.content, dry_run)
    try:
        article = read_article(page, publisher=feed.publisher, url=final, fallback_title=item.title,
                               fallback_date=item.date)
    except IngestError as exc:
        report.add(name, final, "unreadable", str(exc).replace(str(page), "the page"), problem=True)
        mark("failed", reason=str(exc), page=str(page))
        return
    if _held(cfg, name, final, got.content, article.text[article.body_start:], page, report, mark):
        return
    twin = state.hashes.get(article.sha256)
    if twin and twin != final:
        report.add(name, final, "duplicate", f"same text as {twin}, ingested before")
        mark("duplicate", same_as=twin, sha256=article.sha256)
        return
    try:
        done = ingest(kb, [page], publisher=feed.publisher, dry_run=dry_run, url=final, fallback_title=item.title,
                      fallback_date=item.date)
    except IngestError as exc:
        report.add(name, final, "rejected", str(exc).replace(str(page), "the page"), problem=True)
        mark("failed", reason=str(exc), page=str(page))
        return
    art = done.articles[0]
    report.articles.append(art.id)
    report.claims += art.claims
    report.add(name, final, "ingested", f"{art.id}: {len(art.mentions)} entities, {art.claims} candidate claims"
               + (" (dry run, nothing written)" if dry_run else ""))
    mark("ingested", u=final, source=art.id, sha256=article.sha256, page=str(page))
    if final != url:
        mark("moved", moved_to=final)
    state.hashes[article.sha256] = final  # in memory only on a dry run (the state is not saved)


def _fetch_article(name: str, url: str, state: WatchState, fetch: Fetcher, report: WatchReport,
                   mark: _Marks) -> tuple[Fetched, str] | None:
    """The item's page and its content type; None (reported and marked) when robots.txt forbids
    it, the fetch fails, it moved to a page ingested before or it is not an article."""
    ok, why = fetch.allowed(url)
    if not ok:
        report.add(name, url, "robots", why + "; not fetched", problem=True)
        mark("robots")
        return None
    try:
        got = fetch.get(url)
    except FetchError as exc:
        report.add(name, url, "network-error", f"{exc}; tried again next run", problem=True)
        mark("failed", reason=str(exc))
        return None
    final = got.url
    for status, a, b in got.moves:
        report.add(name, a, "moved", f"HTTP {status} to {b}")
    if got.status != 200:
        report.add(name, final, "http-error", f"HTTP {got.status}; tried again next run", problem=True)
        mark("failed", reason=f"HTTP {got.status}")
        return None
    if final != url and final in state.items and state.items[final].get("status") == "ingested":
        report.add(name, url, "seen", f"moved to {final}, ingested before")
        mark("moved", moved_to=final)
        return None
    ctype = got.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in _ARTICLE_TYPES:
        report.add(name, final, "not-article", f"{ctype or 'no content type'}: kb watch reads HTML and text pages; "
                   "the file is listed here to be read by hand", problem=True)
        mark("not-article", content_type=ctype)
        return None
    return got, ctype


def _keep_page(home: Path, final: str, ctype: str, content: bytes, dry_run: bool) -> Path:
    """Write the page as fetched under ``pages/`` (on a dry run under ``dry-run/``, kept apart)."""
    page = _page_file(home, final, ctype)
    if dry_run:
        page = home / "dry-run" / page.name
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_bytes(content)
    return page


def _held(cfg: WatchConfig, name: str, final: str, content: bytes, body: str, page: Path,
          report: WatchReport, mark: _Marks) -> bool:
    """Whether the article is held as a paywall or a stub (too few words, or few words and a
    paywall notice in the page); held, it is reported and marked, its page kept to read by hand."""
    n_words = len(body.split())
    raw_text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]+>", " ", content.decode("utf-8", "replace"), flags=re.S | re.I)
    if n_words < cfg.min_words or (_PAYWALL.search(raw_text) and n_words < 3 * cfg.min_words):
        cue = _PAYWALL.search(raw_text)
        report.add(name, final, "held-paywall",
                   f"only {n_words} words of text" + (f" and a paywall notice ({cue.group(0)!r})" if cue else "")
                   + f"; not ingested — read the full text and `kb ingest` it (page kept at {page})", problem=True)
        mark("held", page=str(page), words=n_words)
        return True
    return False
