"""Writing an article: its Source, MENTIONS and candidate claims, by MERGE (again changes nothing); `ingest` runs the stages."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.engines import Counters
from kb.engines import cypher as cq
from kb.ingest.claims import candidate_claims
from kb.ingest.errors import IngestError
from kb.ingest.lexicon import _fold, load_lexicon
from kb.ingest.match import Mention, agreement_mentions, find_mentions
from kb.ingest.read import Article, article_paths, read_article
from kb.schema import INDEXES, NODE_KEYS, REL_TYPES

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
    return cq.ingest_rel(rtype, a, b)


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
        cq.ingest_merge_source(),
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
        cq.ingest_merge_candidates(),
        [{"key": c["key"], "props": c["props"]} for c in claims])
    total += backend.write_batches(_rel("SUGGESTS", "Source", "CandidateClaim"),
                                   [{"a": source_id, "b": c["key"], "props": {"sources": [source_id]}} for c in claims])
    total += backend.write_batches(_rel("SOURCED_FROM", "CandidateClaim", "Source"),
                                   [{"a": c["key"], "b": source_id, "props": {}} for c in claims])
    about: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in claims:
        subject = c["props"].get("subject")
        for label, key in c["about"]:
            role = "subject" if subject == f"{label}:{key}" else "context"
            about[label].append({"a": c["key"], "b": key, "props": {"sources": [source_id], "role": role}})
    for label, rows in sorted(about.items()):
        total += backend.write_batches(_rel("ABOUT", "CandidateClaim", label), rows)

    # what an earlier version of this article said and this one does not
    keep_m = [f"{label}|{key}" for label, key in by_entity]
    keep_c = [c["key"] for c in claims]
    keep_a = [f"{c['key']}>{label}|{key}" for c in claims for label, key in c["about"]]
    for query, params in (
        (cq.ingest_drop_stale_mentions(), {"keep": keep_m}),
        (cq.ingest_drop_stale_candidates(), {"keep": keep_c}),
        (cq.ingest_drop_stale_about(), {"keep": keep_a}),
    ):
        total += backend.write(query, {"id": source_id, **params})[1]
    return total


def ingest(kb: Any, paths: Iterable[str | Path], title: str | None = None, date: str | None = None,
           publisher: str | None = None, *, dry_run: bool = False, url: str | None = None,
           fallback_title: str | None = None, fallback_date: str | None = None) -> IngestReport:
    """Read articles (files, or folders of .txt/.html files), record each as a news
    ``Source`` and link it to the entities it mentions. Every article is read before
    anything is written; ingesting an article again changes nothing.

    ``title`` is only accepted for a single article; ``date`` and ``publisher`` apply to all;
    ``url``, ``fallback_title`` and ``fallback_date`` (what a feed says of its item, used where
    the page does not say it) are for a single article too (`kb watch`).
    Raises `IngestError` for a missing file, an article without a date, or an id that
    belongs to a curated Source."""
    t0 = time.perf_counter()
    files = article_paths(paths)
    if (title or url or fallback_title or fallback_date) and len(files) > 1:
        raise IngestError(f"--title names one article, but {len(files)} were given")
    articles = [read_article(f, title=title, date=date, publisher=publisher, url=url, fallback_title=fallback_title,
                             fallback_date=fallback_date) for f in files]
    ids = [a.id for a in articles]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise IngestError(f"two articles would share the id {dupes[0]} (same title and date)")
    existing = {r["id"]: r["origin"] for r in kb.read(cq.ingest_source_origins(), {"ids": ids})}
    curated = sorted(i for i, origin in existing.items() if origin != "ingest")
    if curated:
        raise IngestError(f"{curated[0]} is a curated Source; an ingested article may not overwrite it")

    # a curated Source for the same publication (same date, same title) is named, not merged
    same_as: dict[str, list[str]] = defaultdict(list)
    for r in kb.read(cq.ingest_curated_sources_on(), {"dates": [a.date for a in articles]}):
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
        claims = candidate_claims(article, sid, [m for m in mentions if m.via == "name"], lexicon)
        if not dry_run:
            report.counters += _write_article(kb.backend, article, sid, mentions, claims, sorted(same_as[sid]))
        counts: dict[str, int] = defaultdict(int)
        for m in mentions:
            counts[f"{m.entity[0]}:{m.entity[1]}"] += 1
        report.articles.append(ArticleReport(
            id=sid, file=article.file, title=article.title, date=article.date, publisher=article.publisher,
            chars=len(article.text), boilerplate_lines=len(article.boilerplate),
            mentions=dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))), claims=len(claims)))
    if not dry_run and articles:
        kb.bump_version()  # the desk's cached answers (articles_mentioning, co_mentions...) are read anew
    report.seconds = time.perf_counter() - t0
    return report
