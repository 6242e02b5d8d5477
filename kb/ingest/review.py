"""Reviewing candidate claims: what ingested articles suggest becomes a curated record only
when a person accepts it, and then only as a validated data file.

    with kb.connect() as k:
        for c in candidates(k):
            print(c["id"], c["text"])
        accept(k, "article-2026-01-06-...m245", "measure", ["id=...", "name=...", ...], Path("reviewed/"))
        reject(k, "article-2026-01-06-...q12")

`accept` writes two YAML files into a folder: the record (``measures``, ``events`` or
``agreements``, validated by the same pydantic model as the bundled data, citing the
article's Source) and the article's Source record, so that ``kb load FOLDER`` (or
``kb load DATA FOLDER``) takes it beside the bundled data. Nothing is written unless the
record, and the folder together with the bundled data, pass the loader's validation. The
candidate claim is then marked ``accepted`` (or ``rejected``); re-ingesting the article
keeps that mark.
"""

from __future__ import annotations

import re
import tempfile
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from kb.core import bundled_data_dir
from kb.engines import cypher as cq
from kb.errors import DataError
from kb.ingest.errors import IngestError
from kb.schema import Agreement, Event, Measure, Record, Source

#: what a candidate claim may become
KINDS: dict[str, type[Record]] = {"measure": Measure, "event": Event, "agreement": Agreement}
STATUSES = ("candidate", "accepted", "rejected")


class ReviewError(IngestError):
    """A candidate claim cannot be accepted or rejected as asked (unknown id, bad field)."""


@dataclass
class Accepted:
    claim: str
    kind: str
    record_id: str
    record_file: Path
    source_file: Path


def candidates(kb: Any, status: str | None = "candidate") -> list[dict[str, Any]]:
    """Candidate claims with the sentence they came from and their article, oldest article first.
    ``status`` None lists all."""
    if status is not None and status not in STATUSES:
        raise ReviewError(f"status {status!r} is not one of {', '.join(STATUSES)}")
    rows = kb.read(cq.ingest_candidates(), {"status": status})
    return [dict(r) for r in rows]


def _claim(kb: Any, claim_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    rows = kb.read(cq.ingest_candidate(), {"id": claim_id})
    if not rows:
        raise ReviewError(f"no candidate claim {claim_id!r} (see `kb review list`)")
    return dict(rows[0]["c"]), dict(rows[0]["s"])


def _is_list(model: type[Record], name: str) -> bool:
    ann = model.model_fields[name].annotation
    return typing.get_origin(ann) is list


def parse_sets(kind: str, sets: list[str]) -> dict[str, Any]:
    """``field=value`` pairs into a record dict; list fields take comma-separated values.
    Raises `ReviewError` naming the field for a malformed pair or a field the kind lacks."""
    if kind not in KINDS:
        raise ReviewError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    model = KINDS[kind]
    allowed = [f for f in model.model_fields if f != "sources"]
    out: dict[str, Any] = {}
    for item in sets:
        name, eq, value = item.partition("=")
        name = name.strip()
        if not eq or not name:
            raise ReviewError(f"--set {item!r}: expected field=value")
        if name not in allowed:
            raise ReviewError(f"--set {name}: a {kind} has no field {name!r} (fields: {', '.join(allowed)})")
        if name in out:
            raise ReviewError(f"--set {name}: given twice")
        out[name] = [v.strip() for v in value.split(",") if v.strip()] if _is_list(model, name) else value.strip()
    return out


def _one_line(given: set[str], exc: ValidationError) -> str:
    """The first error, one line, naming the field: a value given wrongly before a field left out."""
    e = sorted(exc.errors(), key=lambda e: (not e["loc"] or e["loc"][0] not in given))[0]
    field = ".".join(str(p) for p in e["loc"]) or "record"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"--set {field}: {e['msg']}{more}"


def _source_record(source: dict[str, Any]) -> dict[str, Any]:
    rec = {"id": source["id"], "title": source.get("title"), "publisher": source.get("publisher"),
           "date": source.get("date"), "url": source.get("url"), "kind": source.get("kind") or "news",
           "notes": f"Ingested article (kb ingest, sha256 {source['sha256']})" if source.get("sha256") else None}
    try:
        return Source(**{k: v for k, v in rec.items() if v is not None}).model_dump(exclude_none=True)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise ReviewError(f"the article's Source {source['id']!r} is not a valid record: "
                          f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}") from None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")


def _dump(section: str, record: dict[str, Any], comment: str) -> str:
    return f"# {comment}\n" + yaml.safe_dump({section: [record]}, sort_keys=False, allow_unicode=True, width=100)


def accept(kb: Any, claim_id: str, kind: str, sets: list[str], out: Path, *, data: Path | None = None) -> Accepted:
    """Make a candidate claim a record of ``kind`` from ``--set`` values, citing its article,
    and write it (and the article's Source record) into the folder ``out``. Validated twice
    before anything is written: by the record's pydantic model, then by the loader over the
    bundled data (or ``data``), the folder's earlier records and the new files."""
    fields = parse_sets(kind, sets)
    claim, source = _claim(kb, claim_id)
    if claim.get("status") == "accepted":
        raise ReviewError(f"{claim_id} was already accepted as {claim.get('record')}")
    model = KINDS[kind]
    fields["sources"] = [source["id"]]
    try:
        rec = model(**fields)
    except ValidationError as exc:
        raise ReviewError(_one_line(set(fields), exc)) from None
    dumped = rec.model_dump(exclude_none=True, exclude_defaults=True)
    record = {"id": rec.key(), **{k: v for k, v in dumped.items() if k != "sources"},
              "sources": rec.sources}
    section = model.__section__
    src = _source_record(source)

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReviewError(f"--out {out} is not a folder")
    record_file = out / f"{section}-{_slug(rec.key())}.yaml"
    source_file = out / f"sources-{_slug(src['id'])}.yaml"
    if record_file.exists():
        raise ReviewError(f"{record_file} exists: a {kind} {rec.key()!r} was accepted before")
    texts = {record_file.name: _dump(section, record, f"accepted from candidate claim {claim_id}: "
                                     f"{' '.join(str(claim.get('text', '')).split())[:200]}"),
             source_file.name: _dump("sources", src, "the ingested article the record above cites")}

    from kb.loaders import build, read_all  # the loader's own checks: references, duplicate ids

    with tempfile.TemporaryDirectory(prefix="kb-review-") as tmp:
        t = Path(tmp)
        if out.is_dir():
            for f in out.glob("*.yaml"):
                if f.name not in texts:
                    (t / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        for name, text in texts.items():
            (t / name).write_text(text, encoding="utf-8")
        raw, problems = read_all([data or bundled_data_dir(), t])
        try:
            build(raw, problems)
        except DataError as exc:
            first = exc.problems[0]
            raise ReviewError(f"--set {first.field}: {first.message}" if first.field else first.message) from None

    out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out / name).write_text(text, encoding="utf-8")
    kb.write(cq.ingest_mark_accepted(),
             {"id": claim_id, "record": f"{kind}:{rec.key()}", "file": str(record_file)})
    return Accepted(claim_id, kind, rec.key(), record_file, source_file)


def reject(kb: Any, claim_id: str, reason: str | None = None) -> str:
    """Mark a candidate claim rejected (kept, so re-ingesting the article does not bring it back)."""
    claim, _ = _claim(kb, claim_id)
    if claim.get("status") == "accepted":
        raise ReviewError(f"{claim_id} was accepted as {claim.get('record')}; remove that record instead")
    kb.write(cq.ingest_mark_rejected(),
             {"id": claim_id, "reason": reason})
    return claim_id
