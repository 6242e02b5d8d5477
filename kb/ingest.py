"""Documents as sources: read news articles (plain text or HTML), record each as a
``Source`` and link it to the entities of the graph it mentions.

    with kb.connect() as k:
        k.load()
        report = ingest(k, ["2012-11-17-japan-india.txt"], publisher="The Straits Times")

The pipeline, per article: read (HTML → text lines) → drop boilerplate lines (ad-blocker
and browser notices, cookie banners, navigation words) → take the first title-like line
as the title and a short date line as the date → match the graph's own names and aliases
(plus demonyms and common forms) with one Aho-Corasick automaton per letter case → link
agreements whose parties are mentioned next to a word like *memorandum* → turn quantities
in sentences that mention an entity into candidate claims → write.

What is written, all by MERGE on natural keys (ingesting again changes nothing):

* ``(:Source {id: 'article-<date>-<slug>', kind: 'news', origin: 'ingest', text, sha256, ...})``;
* ``(:Source)-[:MENTIONS {count, offsets, forms, sources}]->(entity)``; ``offsets`` are
  character offsets into the Source's ``text`` and ``forms`` the text found at each;
* ``(:Source)-[:SUGGESTS]->(:CandidateClaim {status: 'candidate', text, quantity, unit, ...})``,
  the claim ``SOURCED_FROM`` the Source and ``ABOUT`` the entities of its sentence. Candidate
  claims are for review; they never change curated figures.

How names are matched (deliberately, so short names do not fire on ordinary words):

* Element, Commodity, Use and Technology names are common nouns: matched ignoring case and
  accents. So are multi-word names of anything ("Toyota Tsusho", "European Union").
* A one-word name of a Country, Organisation, Facility, Dispute, Measure, Agreement or Event
  ("Japan", "Lynas", "Commission") is a proper noun: matched with its capital (or in
  capitals, "TOKYO:"), not as a lower-case word.
* An acronym ("WTO", "REE", "DoD", "US") must appear in capitals and is never matched in a
  line written all in capitals, where case says nothing ("LET US KNOW").
* Forms with fewer than three letters (element symbols "Nd", "Y"; ISO codes "IN", "IT") and
  numbers (stock tickers) are never matched, except the few in `EXTRA_FORMS` ("US", "EU",
  "UK"). The names come from each entity node's ``name``/``title`` and ``aliases`` (its
  ``names_lc`` also holds keys and ISO2 codes, which are not names people write). A form
  naming two entities is dropped (`Lexicon.ambiguous`).
* Matches are whole words; the longest wins where they overlap ("Indian Rare Earths" is
  IREL, not India; "Indian Ocean" is nothing).
"""

from __future__ import annotations

import bisect
import hashlib
import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import ahocorasick

from kb.backends import Counters
from kb.errors import KBError
from kb.schema import INDEXES, NODE_KEYS, REL_TYPES, check_date

__all__ = ["IngestError", "IngestReport", "Article", "Lexicon", "Mention", "ingest", "read_article",
           "find_mentions", "load_lexicon", "EXTRA_FORMS"]


class IngestError(KBError):
    """An article cannot be read or recorded (no such file, no date, a curated id)."""


# --------------------------------------------------------------------------- reading

SUFFIXES = {".txt": "text", ".text": "text", ".md": "text", ".html": "html", ".htm": "html"}

#: phrases that only notices, banners and page furniture use
_NOTICE = re.compile(
    r"\b(?:ad ?-?blocke?r?s?|turn off (?:your )?ad|disable (?:your )?ad|online ads|whitelist (?:us|our)|"
    r"latest version of|upgrade (?:your|to the latest)|update your browser|your browser|reading experience|"
    r"enable javascript|javascript is|cookies?\b|subscribe|sign up|sign in|log in|newsletter|"
    r"dear reader|alert sign|advertisement|sponsored content|click here|share this|follow us|"
    r"all rights reserved|copyright ©|©|terms of (?:use|service)|privacy policy|related (?:articles|stories)|"
    r"recommended for you|read more|skip to (?:main )?content)",
    re.IGNORECASE,
)
#: a line that is only one of these is navigation, not content
_FURNITURE = {
    "advertisement", "share", "tweet", "print", "email", "menu", "home", "search", "comments", "top",
    "back to top", "facebook", "twitter", "linkedin", "whatsapp", "subscribe", "sponsored", "related",
    "more", "close", "next", "previous", "login", "log in", "sign in",
}
_NOTICE_MAX_WORDS = 40

_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_MONTH_RE = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), ("y", "m", "d")),
    (re.compile(_MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", re.I), ("M", "d", "y")),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH_RE + r",?\s+(\d{4})\b", re.I), ("d", "M", "y")),
]
_DATE_LINE_MAX_WORDS = 12


def parse_date(text: str) -> str | None:
    """The first date written in ``text`` as ISO ``YYYY-MM-DD``, or None."""
    for pattern, order in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            parts = dict(zip(order, m.groups(), strict=True))
            month = int(parts["m"]) if "m" in parts else _month(parts["M"])
            iso = f"{int(parts['y']):04d}-{month:02d}-{int(parts['d']):02d}"
            try:
                return check_date(iso)
            except ValueError:
                continue
    return None


def _month(name: str) -> int:
    name = name.lower().rstrip(".")
    return next(n for full, n in _MONTHS.items() if full.startswith(name[:3]))


def _is_boilerplate(line: str) -> bool:
    words = line.split()
    bare = re.sub(r"[^\w ]+", "", line).strip().lower()
    if bare in _FURNITURE:
        return True
    return len(words) <= _NOTICE_MAX_WORDS and _NOTICE.search(line) is not None


#: words a dateline may carry besides the date ("Published: Saturday, 17 Nov 2012, 10:32 AM GMT")
_DATELINE_WORDS = {"published", "updated", "posted", "date", "first", "last", "modified", "on", "at", "am", "pm",
                   "gmt", "utc", "est", "edt", "cet", "jst", "ist", "hrs", "monday", "tuesday", "wednesday",
                   "thursday", "friday", "saturday", "sunday", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "st",
                   "nd", "rd", "th"}


def _is_date_line(line: str) -> bool:
    """A short line that is a date and little else: at most two other words, each
    capitalised (a place or an agency: "TOKYO", "AFP"), so "On 5 May 2013, Japan signed" is content."""
    if len(line.split()) > _DATE_LINE_MAX_WORDS or parse_date(line) is None:
        return False
    rest = line
    for pattern, _ in _DATE_PATTERNS:
        rest = pattern.sub(" ", rest)
    others = [w for w in re.findall(r"[^\W\d_]+", rest) if w.lower() not in _DATELINE_WORDS]
    return len(others) <= 2 and all(w[0].isupper() for w in others)


def _is_title_like(line: str) -> bool:
    words = line.split()
    return (2 <= len(words) <= 25 and len(line) <= 200 and not line.rstrip().endswith((".", ",", ";", ":"))
            and not _is_date_line(line) and not re.match(r"(?i)by\s", line))


class _HTMLText(HTMLParser):
    """Text lines of an HTML page without scripts, styles, navigation and page furniture,
    and what its head says (title, date, publisher, canonical URL)."""

    SKIP = {"script", "style", "noscript", "nav", "footer", "aside", "form", "iframe", "svg", "button",
            "template", "select", "head"}
    VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr", "col", "area", "base", "embed"}
    BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
             "article", "main", "blockquote", "pre", "dd", "dt", "figcaption", "figure", "header", "table",
             "hr", "time"}
    #: class / id words of page furniture
    FURNITURE = {"cookie", "cookies", "ad", "ads", "advert", "advertisement", "banner", "subscribe", "newsletter",
                 "share", "social", "related", "comments", "comment", "promo", "paywall", "sidebar", "breadcrumb",
                 "breadcrumbs", "menu", "nav", "navbar", "popup", "modal", "sponsored", "outbrain", "taboola"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.meta: dict[str, str] = {}
        self._buf: list[str] = []
        self._skip: list[list[Any]] = []  # [tag, nesting]
        self._in: list[str] = []  # open article/main/header tags
        self._capture: str | None = None  # "title" or "h1"
        self._captured: list[str] = []

    def _skipping(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if tag in self.SKIP:
            return True
        if tag == "header" and not ({"article", "main"} & set(self._in)):
            return True
        words = set(re.split(r"[\s_-]+", f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()))
        return bool(words & self.FURNITURE) or attrs.get("aria-hidden") == "true" or attrs.get("role") in (
            "navigation", "banner", "complementary", "contentinfo")

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: v for k, v in attrs_list}
        if tag == "meta":
            key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
            if attrs.get("content"):
                self.meta.setdefault(key, attrs["content"] or "")
        elif tag == "link" and (attrs.get("rel") or "").lower() == "canonical" and attrs.get("href"):
            self.meta.setdefault("canonical", attrs["href"] or "")
        elif tag == "time" and attrs.get("datetime"):
            self.meta.setdefault("time", attrs["datetime"] or "")
        if tag == "title" and not self._skip:
            self._capture, self._captured = "title", []
            return
        if self._skip:
            if tag == self._skip[-1][0]:
                self._skip[-1][1] += 1
            elif tag not in self.VOID and tag in self.SKIP:
                self._skip.append([tag, 1])
            return
        if tag not in self.VOID and self._skipping(tag, attrs):
            self._flush()
            self._skip.append([tag, 1])
            return
        if tag in ("article", "main", "header"):
            self._in.append(tag)
        if tag in self.BLOCK:
            self._flush()
        if tag == "h1" and "h1" not in self.meta:
            self._capture, self._captured = "h1", []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._capture == "title":
            self.meta.setdefault("title", " ".join("".join(self._captured).split()))
            self._capture = None
            return
        if self._skip:
            if tag == self._skip[-1][0]:
                self._skip[-1][1] -= 1
                if not self._skip[-1][1]:
                    self._skip.pop()
            return
        if tag in ("article", "main", "header") and tag in self._in:
            self._in.remove(tag)
        if tag == "h1" and self._capture == "h1":
            self.meta.setdefault("h1", " ".join("".join(self._captured).split()))
            self._capture = None
        if tag in self.BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._capture == "title":
            self._captured.append(data)
            return
        if self._skip:
            return
        if self._capture == "h1":
            self._captured.append(data)
        self._buf.append(data)

    def _flush(self) -> None:
        line = " ".join("".join(self._buf).split())
        if line:
            self.lines.append(line)
        self._buf = []

    def close(self) -> None:
        super().close()
        self._flush()


@dataclass
class Article:
    """One article as read: metadata and the cleaned text that mention offsets point into."""

    file: str
    title: str
    date: str
    publisher: str
    text: str
    url: str | None = None
    boilerplate: list[str] = field(default_factory=list)
    blocks: list[tuple[int, int]] = field(default_factory=list)  # paragraph spans in text
    body_start: int = 0  # where content after the title starts

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def id(self) -> str:
        words = [w for w in re.sub(r"[^a-z0-9]+", " ", re.sub(r"'s\b", "", _fold(self.title, False)[0])).split()
                 if w not in _SLUG_STOP][:8]
        slug = "-".join(words)[:60].strip("-") or self.sha256[:12]
        return f"article-{self.date}-{slug}"


_SLUG_STOP = {"a", "an", "the", "to", "of", "on", "in", "and", "for", "with", "at", "by", "as", "is"}


def read_article(path: str | Path, *, title: str | None = None, date: str | None = None,
                 publisher: str | None = None) -> Article:
    """Read one .txt or .html article: strip boilerplate, find title and date.

    Options win over what the text says. Raises `IngestError` when the file cannot be
    read or no date is found and none is given."""
    p = Path(path)
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise IngestError(f"{p}: not an article (reads {', '.join(sorted(SUFFIXES))})")
    try:
        raw = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise IngestError(f"{p}: cannot read ({exc.strerror or exc})") from None
    meta: dict[str, str] = {}
    if kind == "html":
        parser = _HTMLText()
        parser.feed(raw)
        parser.close()
        lines, meta = parser.lines, parser.meta
        blocks_of_lines = [[line] for line in lines]
    else:
        blocks_of_lines, block = [], []
        for line in raw.splitlines():
            if line.strip():
                block.append(line.strip())
            elif block:
                blocks_of_lines.append(block)
                block = []
        if block:
            blocks_of_lines.append(block)

    removed: list[str] = []
    kept: list[list[str]] = []
    for blk in blocks_of_lines:
        good: list[str] = []
        for line in blk:
            (removed if _is_boilerplate(line) else good).append(line)
        if good:
            kept.append(good)

    # the title and the date line: among the first lines of content
    flat = [(i, j, line) for i, blk in enumerate(kept) for j, line in enumerate(blk)][:12]
    date_at = next(((i, j) for i, j, line in flat if _is_date_line(line)), None)
    found_date = parse_date(kept[date_at[0]][date_at[1]]) if date_at else None
    # the title opens the article: one of its first three lines (a kicker or byline may come first)
    title_at = next(((i, j) for i, j, line in [f for f in flat if (f[0], f[1]) != date_at][:3]
                     if _is_title_like(line)), None)
    if kind == "html" and meta.get("h1"):
        title_at = next(((i, j) for i, j, line in flat if line == meta["h1"]), title_at)
    found_title = kept[title_at[0]][title_at[1]] if title_at else None
    meta_date = next((parse_date(meta[k]) for k in ("article:published_time", "datepublished", "date", "pubdate",
                                                   "publish-date", "dc.date", "time") if k in meta and parse_date(meta[k])),
                     None)

    chosen_title = title or found_title or meta.get("og:title") or meta.get("title")
    if not chosen_title:
        raise IngestError(f"{p}: no title found; pass --title")
    chosen_date = date or meta_date or found_date
    if not chosen_date:
        raise IngestError(f"{p}: no date found in the text; pass --date YYYY-MM-DD")
    try:
        check_date(chosen_date)
    except ValueError as exc:
        raise IngestError(f"{p}: {exc}") from None
    chosen_publisher = publisher or meta.get("og:site_name") or meta.get("publisher") or "unknown"

    # text: the title line first, then the content blocks; the date line is metadata
    out_blocks: list[str] = []
    if title_at:
        out_blocks.append(found_title or "")
    for i, blk in enumerate(kept):
        lines = [line for j, line in enumerate(blk) if (i, j) not in (date_at, title_at)]
        if lines:
            out_blocks.append("\n".join(lines))
    text, spans, pos = "", [], 0
    for b in out_blocks:
        if text:
            text += "\n\n"
            pos += 2
        spans.append((pos, pos + len(b)))
        text += b
        pos += len(b)
    return Article(file=p.name, title=" ".join(chosen_title.split()), date=chosen_date,
                   publisher=chosen_publisher, text=text,
                   url=meta.get("canonical") or meta.get("og:url"), boilerplate=removed, blocks=spans,
                   body_start=spans[1][0] if title_at and len(spans) > 1 else 0)


def article_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named, and the articles inside folders named (sorted); `IngestError` for what is missing."""
    out: list[Path] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        elif p.is_file():
            out.append(p)
        else:
            raise IngestError(f"{p}: no such file or folder")
    if not out:
        raise IngestError("no articles found (reads .txt, .html)")
    return out


# --------------------------------------------------------------------------- names

#: demonyms, capitals and short forms for countries, in case the data does not list them
#: (data/countries.yaml gives most as aliases). These may be two letters long ("US", "EU").
EXTRA_FORMS: dict[str, list[str]] = {
    "JPN": ["Japanese", "Tokyo"],
    "IND": ["Indian", "New Delhi"],
    "CHN": ["Chinese", "Beijing", "PRC", "People's Republic of China"],
    "USA": ["US", "U.S.", "USA", "U.S.A.", "United States", "American"],
    "EUU": ["EU", "E.U.", "European Union", "the European Union"],
    "GBR": ["UK", "U.K.", "British", "Britain"],
    "AUS": ["Australian", "Canberra"],
    "CAN": ["Canadian", "Ottawa"],
    "KOR": ["South Korea", "South Korean", "Seoul"],
    "RUS": ["Russian", "Moscow"],
    "VNM": ["Vietnamese", "Hanoi", "Viet Nam"],
    "MYS": ["Malaysian", "Kuala Lumpur"],
    "MMR": ["Burma", "Burmese"],
    "BRA": ["Brazilian", "Brasilia"],
    "KAZ": ["Kazakh", "Kazakhstani", "Astana"],
    "DEU": ["German"],
    "FRA": ["French"],
    "ZAF": ["South African", "Pretoria"],
    "TWN": ["Taiwanese", "Taipei", "Chinese Taipei"],
    "THA": ["Thai", "Bangkok"],
    "IDN": ["Indonesian", "Jakarta"],
    "MDG": ["Malagasy"],
    "TZA": ["Tanzanian"],
    "NGA": ["Nigerian"],
    "GRL": ["Greenlandic"],
    "NOR": ["Norwegian", "Oslo"],
    "TUR": ["Turkish", "Ankara", "Türkiye"],
}
#: phrases that contain a name but do not mention its entity; as the longest match they
#: hide the shorter one ("Indian Ocean" is not India)
BLOCKED_FORMS = ["Indian Ocean", "South China Sea", "East China Sea", "Latin America", "Latin American",
                 "Native American", "New Mexico", "American Samoa", "Washington State", "Washington state",
                 "Chinese medicine", "China clay"]

#: labels whose one-word names are proper nouns (matched with their capital)
PROPER_LABELS = {"Country", "Organisation", "Facility", "Dispute", "Measure", "Agreement", "Event"}

_DASHES = dict.fromkeys(map(ord, "-‐‑‒–—―−"), " ")
_QUOTES = dict.fromkeys(map(ord, "’‘`´"), "'")
_CJK = 0x2E80


def _fold(text: str, keep_case: bool) -> tuple[str, list[int]]:
    """Fold text for matching (accents off, dashes to spaces, one space per run, case
    folded unless ``keep_case``) and map each folded character to its original offset."""
    out: list[str] = []
    where: list[int] = []
    space = False
    for i, ch in enumerate(text.translate(_DASHES).translate(_QUOTES)):
        if ch.isspace():
            if not space:
                out.append(" ")
                where.append(i)
            space = True
            continue
        space = False
        d = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        for c in d if keep_case else d.casefold():
            out.append(c)
            where.append(i)
    return "".join(out), where


def _wordish(c: str) -> bool:
    return c.isalnum() and ord(c) < _CJK


@dataclass(frozen=True)
class Form:
    """A way of writing an entity's name, and how strictly it is matched."""

    entity: tuple[str, str] | None  # (label, key); None blocks
    mode: str  # "ci" case-insensitive, "proper" with its capital, "acronym" in capitals outside all-caps lines


def classify(form: str, label: str, curated: bool = False) -> str | None:
    """How ``form`` of an entity with ``label`` is matched, or None if never. ``curated``
    forms (`EXTRA_FORMS`) may be two letters long."""
    letters = [c for c in form if c.isalpha()]
    if len(letters) < (2 if curated else 3):
        return None
    tokens = form.split()
    if any(sum(c.isupper() for c in t) >= 2 for t in tokens):
        return "acronym"
    if len(tokens) == 1 and label in PROPER_LABELS and form[0].isupper():
        return "proper"
    return "ci"


@dataclass
class Lexicon:
    """The graph's names as two automata (case-folded, case-kept) and the entities they name."""

    names: dict[tuple[str, str], str]  # entity -> display name
    ci: ahocorasick.Automaton
    cs: ahocorasick.Automaton
    agreements: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {date, countries, organisations}
    ambiguous: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    form_count: int = 0

    @classmethod
    def build(cls, entities: Sequence[dict[str, Any]], agreements: dict[str, dict[str, Any]] | None = None) -> Lexicon:
        """``entities``: rows with ``label``, ``key``, ``name``, ``forms`` (names and aliases as written)."""
        table: dict[tuple[str, str], set[tuple[tuple[str, str] | None, str]]] = defaultdict(set)
        names: dict[tuple[str, str], str] = {}

        def add(text: str, entity: tuple[str, str] | None, mode: str) -> None:
            folded = _fold(text, keep_case=mode != "ci")[0].strip()
            if folded:
                table[("ci" if mode == "ci" else "cs", folded)].add((entity, mode))

        for e in entities:
            ent = (e["label"], e["key"])
            names[ent] = e["name"]
            curated = list(EXTRA_FORMS.get(e["key"], [])) if e["label"] == "Country" else []
            for text, is_curated in [(f, False) for f in e["forms"] if f] + [(f, True) for f in curated]:
                mode = classify(text, e["label"], curated=is_curated)
                if mode is None:
                    continue
                add(text, ent, mode)
                letters = sum(c.isalpha() for c in text)
                if mode == "proper" and letters >= 4:
                    add(text.upper(), ent, "proper")  # "TOKYO:" datelines, capitalised headlines
        for text in BLOCKED_FORMS:
            add(text, None, "ci")

        ci, cs = ahocorasick.Automaton(), ahocorasick.Automaton()
        ambiguous: dict[str, list[tuple[str, str]]] = {}
        count = 0
        for (space, folded), targets in table.items():
            named = {t[0] for t in targets if t[0] is not None}
            blocked = any(t[0] is None for t in targets)
            if len(named) > 1 and not blocked:
                ambiguous[folded] = sorted(named)
                continue
            target: tuple[str, str] | None = None if blocked else named.pop()
            mode = "acronym" if any(m == "acronym" for _, m in targets) else min(m for _, m in targets)
            (ci if space == "ci" else cs).add_word(folded, (len(folded), Form(target, mode)))
            count += 1
        for a in (ci, cs):
            if len(a):
                a.make_automaton()
        return cls(names, ci, cs, agreements or {}, ambiguous, count)


def load_lexicon(kb: Any) -> Lexicon:
    """The names of every entity in the graph (one query) and the parties of agreements."""
    rows = kb.read(
        # properties(n).x: a key no node has yet is no warning on Neo4j
        "MATCH (n) WHERE n.names_lc IS NOT NULL WITH n, properties(n) AS p "
        "RETURN labels(n)[0] AS label, p.iso3 AS iso3, p.symbol AS symbol, p.code AS code, p.id AS id, "
        "p.name AS name, p.title AS title, p.aliases AS aliases"
    )
    entities = []
    for r in rows:
        label = r["label"]
        if label not in NODE_KEYS:
            continue
        key = r[NODE_KEYS[label]]
        forms = [r["name"], r["title"], *(r["aliases"] or [])]
        if label == "Dispute":
            forms.append(r["code"])  # "DS431" is how the press names a dispute
        entities.append({"label": label, "key": key, "name": r["name"] or r["title"] or key, "forms": forms})
    parties = kb.read(
        "MATCH (a:Agreement) OPTIONAL MATCH (c:Country)-[:PARTY_TO]->(a) "
        "WITH a, collect(c.iso3) AS countries OPTIONAL MATCH (o:Organisation)-[:PARTY_TO]->(a) "
        "RETURN a.id AS id, a.date AS date, countries, collect(o.id) AS organisations"
    )
    agreements = {r["id"]: {"date": r["date"], "countries": set(r["countries"]),
                            "organisations": set(r["organisations"])} for r in parties}
    return Lexicon.build(entities, agreements)


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    entity: tuple[str, str]
    form: str  # the text at [start:end]
    via: str = "name"  # "name", or "parties" for an agreement found by its parties


def _caps_lines(text: str) -> tuple[list[int], list[bool]]:
    starts, caps, pos = [], [], 0
    for line in text.split("\n"):
        letters = [c for c in line if c.isalpha()]
        starts.append(pos)
        caps.append(len(letters) >= 6 and sum(c.isupper() for c in letters) >= 0.9 * len(letters))
        pos += len(line) + 1
    return starts, caps


def find_mentions(text: str, lexicon: Lexicon) -> list[Mention]:
    """Whole-word mentions of the lexicon's entities in ``text``, longest first where they
    overlap, ordered by position."""
    line_starts, line_caps = _caps_lines(text)
    found: list[tuple[int, int, Form]] = []
    for automaton, keep_case in ((lexicon.ci, False), (lexicon.cs, True)):
        if not len(automaton):
            continue
        folded, where = _fold(text, keep_case)
        for end, (length, form) in automaton.iter(folded):
            start = end - length + 1
            if start > 0 and _wordish(folded[start]) and _wordish(folded[start - 1]):
                continue
            if end + 1 < len(folded) and _wordish(folded[end]) and _wordish(folded[end + 1]):
                continue
            o_start, o_end = where[start], where[end] + 1
            if form.mode == "acronym" and line_caps[bisect.bisect_right(line_starts, o_start) - 1]:
                continue
            found.append((o_start, o_end, form))
    taken = bytearray(len(text))
    out: list[Mention] = []
    for start, end, form in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if any(taken[start:end]):
            continue
        taken[start:end] = b"\x01" * (end - start)
        if form.entity is not None:
            out.append(Mention(start, end, form.entity, text[start:end]))
    return sorted(out, key=lambda m: m.start)


_AGREEMENT_WORD = re.compile(
    r"\b(?:memorand(?:um|a)|MoUs?|MOUs?|agreements?|deals?|accords?|pacts?|treat(?:y|ies)|partnerships?|"
    r"joint ventures?)\b", re.IGNORECASE)
_DEAL_VERB = re.compile(r"\b(?:to|must|will|can|could|should|would|cannot|not)\s+$", re.IGNORECASE)


def agreement_mentions(article: Article, mentions: list[Mention], lexicon: Lexicon) -> list[Mention]:
    """An agreement is mentioned where a paragraph names its parties (its countries when it
    has two or more, else all its parties) next to a word like memorandum, agreement or deal.
    Only agreements made by the article's date count, and of those the latest."""
    out: list[Mention] = []
    for b_start, b_end in article.blocks:
        words = [w for w in _AGREEMENT_WORD.finditer(article.text, b_start, b_end)
                 if not (w.group(0).lower() == "deal" and _DEAL_VERB.search(article.text, b_start, w.start()))
                 and not any(m.start < w.end() and w.start() < m.end for m in mentions)]  # inside a name
        if not words:
            continue
        named = {m.entity for m in mentions if b_start <= m.start < b_end}
        countries = {k for label, k in named if label == "Country"}
        orgs = {k for label, k in named if label == "Organisation"}
        fits = []
        for aid, a in lexicon.agreements.items():
            date = a.get("date") or ""
            if date and not (date <= article.date or date.startswith(article.date)):
                continue
            need_c, need_o = (a["countries"], set()) if len(a["countries"]) >= 2 else (a["countries"], a["organisations"])
            if len(need_c) + len(need_o) >= 2 and need_c <= countries and need_o <= orgs:
                fits.append((date, aid))
        if fits:
            latest = max(d for d, _ in fits)
            for _, aid in sorted(f for f in fits if f[0] == latest):
                out += [Mention(w.start(), w.end(), ("Agreement", aid), w.group(0), "parties") for w in words]
    return out


# --------------------------------------------------------------------------- quantities

_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_MULT = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mn": 1e6, "bn": 1e9, "m": 1e6,
         "kt": 1e3, "mt": 1e6}
_CURRENCY = {"us$": "USD", "$": "USD", "usd": "USD", "dollars": "USD", "us dollars": "USD", "a$": "AUD",
             "aud": "AUD", "c$": "CAD", "€": "EUR", "eur": "EUR", "euros": "EUR", "euro": "EUR", "£": "GBP",
             "pounds": "GBP", "¥": "JPY", "yen": "JPY", "jpy": "JPY", "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY",
             "cny": "CNY", "rupees": "INR", "inr": "INR", "rs": "INR", "rs.": "INR"}
_QUANTITIES = [
    ("t", re.compile(_NUM + r"\s*(?P<mult>thousand|million|billion)?\s*(?:metric\s+)?(?P<unit>tonnes?|tons?|kt|Mt|t)\b")),
    ("%", re.compile(_NUM + r"\s*(?:%|per\s?cent\b|percent\b)", re.I)),
    ("money", re.compile(r"(?P<cur>US\$|A\$|C\$|\$|€|£|¥|USD|EUR|JPY|INR|CNY|RMB|AUD|Rs\.?)\s?" + _NUM
                         + r"(?:\s*(?P<mult>thousand|million|billion|trillion|mn|bn|m)\b)?")),
    ("money", re.compile(_NUM + r"\s*(?P<mult>thousand|million|billion|trillion)?\s*"
                         r"(?P<cur>US dollars|dollars|yen|yuan|renminbi|euros?|rupees|pounds)\b", re.I)),
    ("year", re.compile(r"(?<![\d,.$])\b(?P<num>19[5-9]\d|20[0-4]\d)\b(?!,\d)")),
]
_QUALIFIER = re.compile(r"(more than|over|about|around|nearly|almost|up to|at least|some|roughly|"
                        r"approximately|less than|under|just|as much as)\s*$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“(])")
_PER_YEAR_BEFORE = re.compile(r"\b(?:annual(?:ly)?|yearly)\b[\w ]{0,25}$", re.I)
_PER_YEAR_AFTER = re.compile(r"\s*(?:a year|per year|per annum|a yr|/ ?yr?|/ ?year)\b", re.I)
_RELATIVE_YEAR = {"last year": -1, "this year": 0, "next year": 1}


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return out


def candidate_claims(article: Article, source_id: str, mentions: list[Mention]) -> list[dict[str, Any]]:
    """Quantities (tonnes, percentages, money, years) in sentences that mention an entity,
    as candidate claims: rows ``{key, props, about}``."""
    rows = []
    for b_start, b_end in article.blocks:
        if b_end <= article.body_start:
            continue  # the title line
        for s_start, s_end in _sentences(article.text, b_start, b_end):
            about = sorted({m.entity for m in mentions if s_start <= m.start < s_end})
            if not about:
                continue
            sentence = article.text[s_start:s_end]
            taken: list[tuple[int, int]] = []
            years = [int(m.group("num")) for m in _QUANTITIES[-1][1].finditer(sentence)]
            year = years[0] if len(set(years)) == 1 else None
            for phrase, delta in _RELATIVE_YEAR.items():
                if year is None and phrase in sentence.lower():
                    year = int(article.date[:4]) + delta
            for kind, pattern in _QUANTITIES:
                for m in pattern.finditer(sentence):
                    if any(m.start() < e and s < m.end() for s, e in taken):
                        continue
                    taken.append((m.start(), m.end()))
                    value = float(m.group("num").replace(",", ""))
                    mult = (m.groupdict().get("mult") or (m.groupdict().get("unit") or "")).lower()
                    value *= _MULT.get(mult, 1.0) if kind != "year" else 1.0
                    unit = {"t": "t", "%": "%", "year": "year"}.get(kind) or _CURRENCY.get(m.group("cur").lower(), m.group("cur"))
                    if kind == "t" and (_PER_YEAR_BEFORE.search(sentence[: m.start()])
                                        or _PER_YEAR_AFTER.match(sentence, m.end())):
                        unit = "t/y"
                    q = _QUALIFIER.search(sentence[: m.start()])
                    offset = s_start + m.start()
                    props = {
                        "text": " ".join(sentence.split()), "quantity": value, "unit": unit,
                        "match": m.group(0), "offset": offset, "year": int(value) if kind == "year" else year,
                        "qualifier": q.group(1).lower() if q else None, "article_date": article.date,
                    }
                    rows.append({"key": f"{source_id}.q{offset}", "props": {k: v for k, v in props.items() if v is not None},
                                 "about": about})
    return rows


# --------------------------------------------------------------------------- writing


@dataclass
class ArticleReport:
    id: str
    file: str
    title: str
    date: str
    publisher: str
    chars: int
    boilerplate_lines: int
    mentions: dict[str, int]  # "Label:key" -> count
    claims: int

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "entities": len(self.mentions), "mention_count": sum(self.mentions.values())}


@dataclass
class IngestReport:
    """What an ingest read and what it changed."""

    articles: list[ArticleReport] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    seconds: float = 0.0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": [a.as_dict() for a in self.articles],
            "created": {"nodes": self.counters.nodes_created, "relationships": self.counters.relationships_created},
            "deleted": {"nodes": self.counters.nodes_deleted, "relationships": self.counters.relationships_deleted},
            "seconds": round(self.seconds, 3), "dry_run": self.dry_run,
        }


def _checked(label: str | None = None, rtype: str | None = None) -> None:
    if label is not None and label not in NODE_KEYS:
        raise ValueError(f"label {label!r} is not in the schema")
    if rtype is not None and rtype not in REL_TYPES:
        raise ValueError(f"relationship type {rtype!r} is not in the schema")


def _rel(rtype: str, a: str, b: str) -> str:
    _checked(a, rtype)
    _checked(b)
    return (f"UNWIND $rows AS row MATCH (a:`{a}` {{`{NODE_KEYS[a]}`: row.a}}) MATCH (b:`{b}` {{`{NODE_KEYS[b]}`: row.b}}) "
            f"MERGE (a)-[r:`{rtype}`]->(b) SET r += row.props")


#: an entity's "Label|key" in Cypher, for the clean-up of what an article no longer says
_KEY_EXPR = "labels(e)[0] + '|' + toString(coalesce({}))".format(
    ", ".join(f"e.{k}" for k in [*sorted(set(NODE_KEYS.values()) - {"id"}), "id"]))


def _title_key(title: str) -> str:
    return " ".join(re.sub(r"[^\w ]+", " ", _fold(title, False)[0]).split())


def _write_article(backend: Any, article: Article, source_id: str, mentions: list[Mention],
                   claims: list[dict[str, Any]], same_as: list[str]) -> Counters:
    total = Counters()
    _checked("Source")
    _checked("CandidateClaim")
    props = {"title": article.title, "date": article.date, "publisher": article.publisher, "kind": "news",
             "origin": "ingest", "text": article.text, "sha256": article.sha256, "url": article.url,
             "same_as": same_as or None}
    total += backend.write_batches(
        "UNWIND $rows AS row MERGE (s:Source {id: row.key}) SET s += row.props",
        [{"key": source_id, "props": {k: v for k, v in props.items() if v is not None}}])

    by_entity: dict[tuple[str, str], list[Mention]] = defaultdict(list)
    for m in mentions:
        by_entity[m.entity].append(m)
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (label, key), ms in sorted(by_entity.items()):
        ms = sorted(ms, key=lambda m: m.start)
        by_label[label].append({"a": source_id, "b": key, "props": {
            "count": len(ms), "offsets": [m.start for m in ms], "forms": [m.form for m in ms],
            "via": sorted({m.via for m in ms}), "sources": [source_id]}})
    for label, rows in sorted(by_label.items()):
        total += backend.write_batches(_rel("MENTIONS", "Source", label), rows)

    total += backend.write_batches(
        "UNWIND $rows AS row MERGE (c:CandidateClaim {id: row.key}) "
        "ON CREATE SET c.status = 'candidate' SET c += row.props",
        [{"key": c["key"], "props": c["props"]} for c in claims])
    total += backend.write_batches(_rel("SUGGESTS", "Source", "CandidateClaim"),
                                   [{"a": source_id, "b": c["key"], "props": {"sources": [source_id]}} for c in claims])
    total += backend.write_batches(_rel("SOURCED_FROM", "CandidateClaim", "Source"),
                                   [{"a": c["key"], "b": source_id, "props": {}} for c in claims])
    about: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in claims:
        for label, key in c["about"]:
            about[label].append({"a": c["key"], "b": key, "props": {"sources": [source_id]}})
    for label, rows in sorted(about.items()):
        total += backend.write_batches(_rel("ABOUT", "CandidateClaim", label), rows)

    # what an earlier version of this article said and this one does not
    keep_m = [f"{label}|{key}" for label, key in by_entity]
    keep_c = [c["key"] for c in claims]
    keep_a = [f"{c['key']}>{label}|{key}" for c in claims for label, key in c["about"]]
    for query, params in (
        (f"MATCH (:Source {{id: $id}})-[r:MENTIONS]->(e) WHERE NOT (({_KEY_EXPR}) IN $keep) DELETE r", {"keep": keep_m}),
        ("MATCH (:Source {id: $id})-[:SUGGESTS]->(c:CandidateClaim) WHERE c.status = 'candidate' "
         "AND NOT (c.id IN $keep) DETACH DELETE c", {"keep": keep_c}),
        (f"MATCH (:Source {{id: $id}})-[:SUGGESTS]->(c:CandidateClaim)-[r:ABOUT]->(e) "
         f"WHERE c.status = 'candidate' AND NOT ((c.id + '>' + {_KEY_EXPR}) IN $keep) DELETE r", {"keep": keep_a}),
    ):
        total += backend.write(query, {"id": source_id, **params})[1]
    return total


def ingest(kb: Any, paths: Iterable[str | Path], title: str | None = None, date: str | None = None,
           publisher: str | None = None, *, dry_run: bool = False) -> IngestReport:
    """Read articles (files, or folders of .txt/.html files), record each as a news
    ``Source`` and link it to the entities it mentions. Every article is read before
    anything is written; ingesting an article again changes nothing.

    ``title`` is only accepted for a single article; ``date`` and ``publisher`` apply to all.
    Raises `IngestError` for a missing file, an article without a date, or an id that
    belongs to a curated Source."""
    t0 = time.perf_counter()
    files = article_paths(paths)
    if title and len(files) > 1:
        raise IngestError(f"--title names one article, but {len(files)} were given")
    articles = [read_article(f, title=title, date=date, publisher=publisher) for f in files]
    ids = [a.id for a in articles]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise IngestError(f"two articles would share the id {dupes[0]} (same title and date)")
    existing = {r["id"]: r["origin"] for r in kb.read(
        "MATCH (s:Source) WHERE s.id IN $ids RETURN s.id AS id, properties(s).origin AS origin", {"ids": ids})}
    curated = sorted(i for i, origin in existing.items() if origin != "ingest")
    if curated:
        raise IngestError(f"{curated[0]} is a curated Source; an ingested article may not overwrite it")

    # a curated Source for the same publication (same date, same title) is named, not merged
    same_as: dict[str, list[str]] = defaultdict(list)
    for r in kb.read("MATCH (s:Source) WHERE s.date IN $dates AND coalesce(properties(s).origin, '') <> 'ingest' "
                     "RETURN s.id AS id, s.title AS title, s.date AS date", {"dates": [a.date for a in articles]}):
        for a in articles:
            if a.date == r["date"] and _title_key(a.title) == _title_key(r["title"] or ""):
                same_as[a.id].append(r["id"])

    lexicon = load_lexicon(kb)
    report = IngestReport(dry_run=dry_run)
    if not dry_run:
        kb.backend.ensure_schema(NODE_KEYS, INDEXES)
    for article in articles:
        sid = article.id
        mentions = find_mentions(article.text, lexicon)
        mentions += agreement_mentions(article, mentions, lexicon)
        claims = candidate_claims(article, sid, [m for m in mentions if m.via == "name"])
        if not dry_run:
            report.counters += _write_article(kb.backend, article, sid, mentions, claims, sorted(same_as[sid]))
        counts: dict[str, int] = defaultdict(int)
        for m in mentions:
            counts[f"{m.entity[0]}:{m.entity[1]}"] += 1
        report.articles.append(ArticleReport(
            id=sid, file=article.file, title=article.title, date=article.date, publisher=article.publisher,
            chars=len(article.text), boilerplate_lines=len(article.boilerplate),
            mentions=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), claims=len(claims)))
    report.seconds = time.perf_counter() - t0
    return report
