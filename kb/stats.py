"""Counts and an order-independent checksum of the whole graph.

The checksum hashes every node's labels and properties and every relationship's
type, endpoints (by label and natural key) and properties, then combines the
hashes so order does not matter: equal graphs give equal checksums on either engine.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kb.engines import Backend
from kb.schema import FIGURE_LABELS, NODE_KEYS

#: tiers from the most to the least authoritative; a figure counts under its best source's tier
TIER_ORDER = ("official", "intergovernmental", "company", "press", "other")

#: labels that are not facts themselves (a Source is what facts cite)
NON_FACT_LABELS = {"Source"}
NON_FACT_RELS = {"SOURCED_FROM", "CLAIMS"}


def _canon(v: Any) -> Any:
    # FalkorDB returns doubles with 15 significant digits, Neo4j with 17
    if isinstance(v, float):
        return float(f"{v:.12g}")
    if isinstance(v, list):
        return [_canon(x) for x in v]
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in sorted(v.items())}
    return v


def _digest(obj: Any) -> int:
    data = json.dumps(_canon(obj), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(data.encode()).digest()[:16], "big")


def _node_id(labels: list[str], props: dict[str, Any]) -> list[Any]:
    for label in sorted(labels):
        if label in NODE_KEYS:
            return [label, props.get(NODE_KEYS[label])]
    return [sorted(labels), _canon(props)]


def _key(labels: list[str], props: dict[str, Any]) -> str:
    return json.dumps(_node_id(labels, props), sort_keys=True, default=str)


def graph_stats(backend: Backend) -> dict[str, Any]:
    nodes = backend.read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
    rels = backend.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, labels(a) AS al, properties(a) AS ap, "
        "labels(b) AS bl, properties(b) AS bp, properties(r) AS props"
    )
    by_label: dict[str, int] = {}
    by_type: dict[str, int] = {}
    total = 0
    facts = cited = 0
    # nodes that cite a source, taken from the SOURCED_FROM relationships already read
    cited_nodes = {_key(r["al"], r["ap"]) for r in rels if r["type"] == "SOURCED_FROM"}
    for n in nodes:
        for label in n["labels"]:
            by_label[label] = by_label.get(label, 0) + 1
        total = (total + _digest(["N", sorted(n["labels"]), n["props"]])) % (1 << 128)
        if not NON_FACT_LABELS & set(n["labels"]):
            facts += 1
            cited += _key(n["labels"], n["props"]) in cited_nodes
    # figures (Production, Reserves, Price, TradeFlow, ...) by the best tier among their sources
    best: dict[str, int] = {}
    for r in rels:
        if r["type"] == "SOURCED_FROM" and FIGURE_LABELS & set(r["al"]):
            tier = r["bp"].get("tier")
            rank = TIER_ORDER.index(tier) if tier in TIER_ORDER else len(TIER_ORDER)
            k = _key(r["al"], r["ap"])
            best[k] = min(best.get(k, rank), rank)
    n_fig = len(best)
    tiers = {t: round(sum(1 for v in best.values() if v == i) / n_fig, 6)
             for i, t in enumerate((*TIER_ORDER, "none"))} if n_fig else {}
    second_hand = sum(1 for n in nodes if FIGURE_LABELS & set(n["labels"]) and n["props"].get("second_hand"))
    for r in rels:
        by_type[r["type"]] = by_type.get(r["type"], 0) + 1
        total = (total + _digest(["R", r["type"], _node_id(r["al"], r["ap"]), _node_id(r["bl"], r["bp"]), r["props"]])) % (1 << 128)
        if r["type"] not in NON_FACT_RELS:
            facts += 1
            cited += bool(r["props"].get("sources"))
    return {
        "nodes": dict(sorted(by_label.items())),
        "relationships": dict(sorted(by_type.items())),
        "node_count": len(nodes),
        "relationship_count": len(rels),
        "sourced_share": round(cited / facts, 6) if facts else None,
        "figures": n_fig,
        "figure_tier_share": {t: v for t, v in tiers.items() if v},
        "second_hand_figures": second_hand,
        "checksum": f"{total:032x}",
    }
