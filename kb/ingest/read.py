"""Reading an article: HTML or text -> lines without boilerplate, a title and a date."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from kb.ingest.errors import IngestError
from kb.ingest.lexicon import _fold
from kb.schema import check_date

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
                 publisher: str | None = None, url: str | None = None, fallback_title: str | None = None,
                 fallback_date: str | None = None) -> Article:
    """Read one .txt or .html article: strip boilerplate, find title and date.

    Options win over what the text says; the ``fallback_*`` values (a feed's title and date
    for the item) only fill what the text does not say; ``url`` is where the article was
    read, used when the page names no canonical URL. Raises `IngestError` when the file
    cannot be read or no date is found and none is given."""
    p = Path(path)
    blocks_of_lines, meta = _blocks(p)
    removed: list[str] = []
    kept: list[list[str]] = []
    for blk in blocks_of_lines:
        good: list[str] = []
        for line in blk:
            (removed if _is_boilerplate(line) else good).append(line)
        if good:
            kept.append(good)
    title_at, date_at = _title_and_date_lines(kept, meta)
    found_title = kept[title_at[0]][title_at[1]] if title_at else None
    found_date = parse_date(kept[date_at[0]][date_at[1]]) if date_at else None
    meta_date = next((parse_date(meta[k]) for k in ("article:published_time", "datepublished", "date", "pubdate",
                                                   "publish-date", "dc.date", "time") if k in meta and parse_date(meta[k])),
                     None)

    chosen_title = title or found_title or meta.get("og:title") or meta.get("title") or fallback_title
    if not chosen_title:
        raise IngestError(f"{p}: no title found; pass --title")
    chosen_date = date or meta_date or found_date or fallback_date
    if not chosen_date:
        raise IngestError(f"{p}: no date found in the text; pass --date YYYY-MM-DD")
    try:
        check_date(chosen_date)
    except ValueError as exc:
        raise IngestError(f"{p}: {exc}") from None
    chosen_publisher = publisher or meta.get("og:site_name") or meta.get("publisher") or "unknown"
    text, spans = _article_text(kept, title_at, date_at)
    return Article(file=p.name, title=" ".join(chosen_title.split()), date=chosen_date,
                   publisher=chosen_publisher, text=text,
                   url=meta.get("canonical") or meta.get("og:url") or url, boilerplate=removed, blocks=spans,
                   body_start=spans[1][0] if title_at and len(spans) > 1 else 0)


def _blocks(p: Path) -> tuple[list[list[str]], dict[str, str]]:
    """The file's paragraphs as lists of lines (an HTML page: one block per text line) and the
    page's metadata (none for text); `IngestError` for a file that is no article or cannot be read."""
    kind = SUFFIXES.get(p.suffix.lower())
    if kind is None:
        raise IngestError(f"{p}: not an article (reads {', '.join(sorted(SUFFIXES))})")
    try:
        raw = p.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise IngestError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if kind == "html":
        parser = _HTMLText()
        parser.feed(raw)
        parser.close()
        return [[line] for line in parser.lines], parser.meta
    blocks_of_lines: list[list[str]] = []
    block: list[str] = []
    for line in raw.splitlines():
        if line.strip():
            block.append(line.strip())
        elif block:
            blocks_of_lines.append(block)
            block = []
    if block:
        blocks_of_lines.append(block)
    return blocks_of_lines, {}


_LineAt = tuple[int, int]  # (block, line in the block)


def _title_and_date_lines(kept: list[list[str]], meta: dict[str, str]) -> tuple[_LineAt | None, _LineAt | None]:
    """Where the title line and the date line are, among the first lines of content: the date the
    first line that reads as one, the title one of the first three other lines (a kicker or byline
    may come first), or the line that is the page's <h1>."""
    flat = [(i, j, line) for i, blk in enumerate(kept) for j, line in enumerate(blk)][:12]
    date_at = next(((i, j) for i, j, line in flat if _is_date_line(line)), None)
    title_at = next(((i, j) for i, j, line in [f for f in flat if (f[0], f[1]) != date_at][:3]
                     if _is_title_like(line)), None)
    if meta.get("h1"):
        title_at = next(((i, j) for i, j, line in flat if line == meta["h1"]), title_at)
    return title_at, date_at


def _article_text(kept: list[list[str]], title_at: _LineAt | None,
                  date_at: _LineAt | None) -> tuple[str, list[tuple[int, int]]]:
    """The article's text, the title line first and then the content blocks (the date line is
    metadata), and each block's span in it."""
    out_blocks: list[str] = []
    if title_at:
        out_blocks.append(kept[title_at[0]][title_at[1]])
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
    return text, spans


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


