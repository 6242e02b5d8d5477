"""Counts and an order-independent checksum of the whole graph.

The checksum hashes every node's labels and properties and every relationship's
type, endpoints (by label and natural key) and properties, then combines the
hashes so order does not matter: equal graphs give equal checksums on either engine.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kb.engines import Backend, cypher
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
    nodes = backend.read(cypher.every_node())
    rels = backend.read(cypher.every_relationship())
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
    counts = {t: sum(1 for v in best.values() if v == i) for i, t in enumerate((*TIER_ORDER, "none"))}
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
        "figures_by_tier": {t: v for t, v in counts.items() if v},
        "thin_years": thin_years(rels),
        "second_hand_figures": second_hand,
        "checksum": f"{total:032x}",
    }


#: a mine-production year is thin when its country table itemises under this share of the world total
THIN_SHARE = 0.95


def thin_years(rels: list[dict[str, Any]]) -> dict[int, str]:
    """Mine-production years the questions answer thinly, from the SOURCED_FROM rows already read:
    per year, the table `top_producers` picks (a world total first, then the latest source; the
    historical series, with a ``basis``, left out) and why it is thin - under 95% of the world total
    itemised, or fewer than three countries. docs/coverage.md says which publication would fill each."""
    by_year: dict[int, dict[str, dict[str, Any]]] = {}
    for r in rels:
        if r["type"] != "SOURCED_FROM" or "Production" not in r["al"]:
            continue
        p, s = r["ap"], r["bp"]
        if p.get("stage") != "mining" or p.get("basis") is not None:
            continue
        entry = by_year.setdefault(int(p["year"]), {}).setdefault(
            s["id"], {"date": s.get("date") or "", "world": None, "countries": {}})
        if p.get("iso3") == "WLD":
            entry["world"] = p.get("tonnes")
        else:
            entry["countries"][p.get("iso3")] = p.get("tonnes") or 0.0
    out: dict[int, str] = {}
    for year, tables in sorted(by_year.items()):
        sid = max(tables, key=lambda k: (tables[k]["world"] is not None, tables[k]["date"], k))
        t = tables[sid]
        n = len(t["countries"])
        if not t["world"]:
            out[year] = f"{n} countries, no world total ({sid})"
            continue
        share = sum(t["countries"].values()) / t["world"]
        if share < THIN_SHARE or n < 3:
            out[year] = f"{n} countries, {share:.1%} of the world total ({sid})"
    return out
