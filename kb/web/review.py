"""The review desk without HTTP: the queue of candidate claims, one claim with its article text
marked where it was read, and the three decisions — accept (through `kb.ingest.review.accept`,
the same validation and files as ``kb review accept``, then loaded at once), reject with a reason,
or merge into an existing record — each recorded with who and when."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.engines.cypher import desk_add_source, desk_audit, desk_claim, desk_merged, desk_records, desk_reviewed
from kb.ingest.review import KINDS, ReviewError, accept, candidates, reject
from kb.schema import NODE_KEYS
from kb.web.service import entity_key, entity_name, entity_url

if TYPE_CHECKING:
    from kb.core import KB

#: fields the review sets itself, not the editor
OWN_FIELDS = ("sources", "reviewed_by", "reviewed_at")
#: how many characters of the article are shown around the claim's sentence
CONTEXT = 600


@dataclass
class Decision:
    claim: str
    status: str
    record: str | None = None  # kind:key
    files: tuple[Path, ...] = ()


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def queue(k: KB) -> list[dict[str, Any]]:
    """The candidate claims waiting for review, by article."""
    return candidates(k, "candidate")


def fields(kind: str) -> list[dict[str, Any]]:
    """The fields of a record kind an editor fills in: name, whether required, whether a list."""
    import typing

    model = KINDS[kind]
    out = []
    for name, f in model.model_fields.items():
        if name in OWN_FIELDS:
            continue
        ann = f.annotation
        choices = [a for a in typing.get_args(ann) if isinstance(a, str)] if typing.get_origin(ann) is typing.Literal else []
        out.append({"name": name, "required": f.is_required(), "list": typing.get_origin(ann) is list,
                    "choices": choices})
    return out


def _slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")


def suggested(claim: dict[str, Any], source: dict[str, Any], about: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """A first guess at each kind's fields from the claim: what the editor corrects."""
    countries = [str(entity_key("Country", a["props"])) for a in about if a["label"] == "Country"]
    elements = [str(entity_key("Element", a["props"])) for a in about if a["label"] == "Element"]
    date = str(claim.get("article_date") or source.get("date") or "")
    title = str(source.get("title") or claim.get("text") or "")[:120]
    base = _slug(f"{date} {title}")
    return {
        "measure": {"id": base, "name": title, "imposed_by": countries[0] if countries else "",
                    "targets": ",".join(countries[1:]), "elements": ",".join(elements), "start": date,
                    "kind": "other"},
        "event": {"id": base, "name": title, "date": date, "kind": "announcement",
                  "countries": ",".join(countries), "elements": ",".join(elements)},
        "agreement": {"id": base, "name": title, "date": date, "kind": "agreement",
                      "parties": ",".join(countries), "elements": ",".join(elements)},
    }


def marked(text: str, claim: dict[str, Any]) -> list[dict[str, Any]]:
    """The article text around the claim in pieces: plain, the sentence, the match (the template
    escapes each piece: an article's HTML is shown as text)."""
    sentence = " ".join(str(claim.get("text") or "").split())
    match = str(claim.get("match") or "")
    offset = int(claim.get("offset") or 0)
    # the sentence in the article: its words may be spread over lines, so match it loosely
    start, end = offset, offset + len(match)
    if sentence:
        pattern = r"\s+".join(re.escape(w) for w in sentence.split())
        found = re.search(pattern, text[max(0, offset - 2000):])
        if found:
            start, end = max(0, offset - 2000) + found.start(), max(0, offset - 2000) + found.end()
    lo, hi = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    inner = text[start:end]
    at = inner.find(match, max(0, offset - start)) if match else -1
    if at < 0 and match:
        at = inner.find(match)
    pieces = [{"text": ("…" if lo else "") + text[lo:start], "kind": "plain"}]
    if at >= 0 and match:
        pieces += [{"text": inner[:at], "kind": "sentence"}, {"text": match, "kind": "match"},
                   {"text": inner[at + len(match):], "kind": "sentence"}]
    else:
        pieces.append({"text": inner, "kind": "sentence"})
    pieces.append({"text": text[end:hi] + ("…" if hi < len(text) else ""), "kind": "plain"})
    return [p for p in pieces if p["text"]]


def claim_view(k: KB, claim_id: str) -> dict[str, Any]:
    """One candidate claim for the review page: the claim, its article (marked), the entities it
    links and a suggested record of each kind."""
    rows = k.read(desk_claim(), {"id": claim_id})
    if not rows:
        raise ReviewError(f"no candidate claim {claim_id!r}")
    claim, source, about = dict(rows[0]["claim"]), dict(rows[0]["source"]), list(rows[0]["about"])
    linked = [{"label": a["label"], "key": entity_key(a["label"], a["props"]),
               "name": entity_name(a["label"], a["props"]),
               "url": entity_url(a["label"], entity_key(a["label"], a["props"]))} for a in about]
    return {"claim": claim, "source": {k: v for k, v in source.items() if k != "text"},
            "pieces": marked(str(source.get("text") or ""), claim), "about": linked,
            "suggested": suggested(claim, source, about),
            "kinds": {kind: fields(kind) for kind in KINDS}}


def accept_claim(k: KB, claim_id: str, kind: str, values: dict[str, str], out: Path, *, by: str,
                 data: Path | None = None) -> Decision:
    """Accept a claim as a record of ``kind`` (the same validation and files as ``kb review
    accept``, with ``reviewed_by`` and ``reviewed_at``), then load the folder beside the bundled
    data so the questions show it at once."""
    from filelock import FileLock

    if kind not in KINDS:
        raise ReviewError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    at = now()
    sets = [f"{name}={value}" for name, value in values.items() if name not in OWN_FIELDS and str(value).strip()]
    sets += [f"reviewed_by={by}", f"reviewed_at={at}"]
    out.mkdir(parents=True, exist_ok=True)
    with FileLock(str(out / ".review.lock"), timeout=120):  # one accept at a time per folder
        done = accept(k, claim_id, kind, sets, out, data=data)
        k.load([data, out] if data else [out], with_bundled=data is None)
        k.write(desk_reviewed(), {"id": claim_id, "by": by, "at": at, "merged": None})
    return Decision(claim_id, "accepted", f"{kind}:{done.record_id}", (done.record_file, done.source_file))


def reject_claim(k: KB, claim_id: str, reason: str, *, by: str) -> Decision:
    if not reason.strip():
        raise ReviewError("say why the claim is rejected (the reason is kept in the audit)")
    reject(k, claim_id, reason.strip())
    k.write(desk_reviewed(), {"id": claim_id, "by": by, "at": now(), "merged": None})
    k.bump_version()
    return Decision(claim_id, "rejected")


def records(k: KB, kind: str) -> list[dict[str, Any]]:
    """Existing records of a kind a claim may be merged into."""
    if kind not in KINDS:
        raise ReviewError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    return [dict(r) for r in k.read(desk_records(KINDS[kind].__label__))]


def merge_claim(k: KB, claim_id: str, kind: str, key: str, *, by: str) -> Decision:
    """Merge a claim into an existing record: the record cites the claim's article too."""
    if kind not in KINDS:
        raise ReviewError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    label = KINDS[kind].__label__
    rows = k.read(desk_claim(), {"id": claim_id})
    if not rows:
        raise ReviewError(f"no candidate claim {claim_id!r}")
    if rows[0]["claim"].get("status") == "accepted":
        raise ReviewError(f"{claim_id} was already accepted as {rows[0]['claim'].get('record')}")
    done = k.write(desk_add_source(label), {"key": key, "source": rows[0]["source"]["id"]})
    if not done:
        raise ReviewError(f"no {label} with {NODE_KEYS[label]} {key!r} to merge into")
    record = f"{kind}:{key}"
    k.write(desk_merged(), {"id": claim_id, "record": record})
    k.write(desk_reviewed(), {"id": claim_id, "by": by, "at": now(), "merged": record})
    k.bump_version()
    return Decision(claim_id, "accepted", record)


def audit(k: KB) -> list[dict[str, Any]]:
    """Every accepted and rejected candidate claim: by whom, when, what it became or why not."""
    return [dict(r) for r in k.read(desk_audit())]
