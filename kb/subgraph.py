"""The part of the graph a canned question touches: the entities its answer (and its
parameters) name, and the relationships among them. Shared by the pictures of
`kb.analysis.viz` (a self-contained HTML file) and of the web desk (`kb.web`).

How the part is chosen: the question is asked, every name, code or alias its rows
(and its parameters) mention is collected, and one parameterised query fetches the
entities with one of those names and the relationships among them. Source nodes
are left out unless ``include_sources=True`` (then the sources those entities cite
come too).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kb.engines import cypher

if TYPE_CHECKING:
    from kb.core import KB

COLORS = {
    "Country": "#4e79a7", "Element": "#f28e2b", "Use": "#edc948", "Technology": "#b07aa1",
    "Commodity": "#9c755f", "Organisation": "#59a14f", "Facility": "#9c9ede", "Dispute": "#e15759",
    "Measure": "#ff9da7", "Agreement": "#17becf", "Event": "#bab0ac", "Source": "#d4d4d4",
}
#: relationship types drawn apart (colour, width, dashes); the rest are grey
EDGE_STYLES: dict[str, tuple[str, float, bool]] = {
    "COMPLAINANT_IN": ("#c0392b", 3.0, False), "RESPONDENT_IN": ("#2c3e50", 3.0, False),
    "THIRD_PARTY_IN": ("#b0b0b0", 1.0, True), "CHALLENGES": ("#e67e22", 2.0, False),
    "IMPOSED": ("#8e44ad", 2.0, False), "PARTY_TO": ("#16a085", 2.0, False), "COVERS": ("#f39c12", 1.2, False),
    "USED_IN": ("#d35400", 1.5, False), "ENABLES": ("#8e6bb0", 1.5, False), "TARGETS": ("#c0392b", 2.0, True),
}
_EDGE_DEFAULT = ("#9a9a9a", 1.0, False)
#: what a found node brings along, so a picture is not a set of isolated dots: a use, the technologies it enables
EXPAND = {"Use": ("ENABLES", "Technology")}
#: properties worth showing when hovering a node, in this order
SHOWN = ("name", "title", "kind", "date", "requested", "status", "start", "end", "year", "tonnes", "rate",
         "sector", "group", "atomic_number", "publisher", "url", "description")
_SKIP = {"names_lc", "_labels"}

Progress = Callable[[str, int, int], None]


@dataclass
class Subgraph:
    """The part of the graph an answer touches."""

    question: str
    params: dict[str, Any]
    rows: list[dict[str, Any]]
    nodes: list[dict[str, Any]] = field(default_factory=list)  # id, label, key, caption, properties
    relationships: list[dict[str, Any]] = field(default_factory=list)  # start, end, type

    @property
    def labels(self) -> list[str]:
        return sorted({n["label"] for n in self.nodes})

    @property
    def subjects(self) -> list[str]:
        """The ids of the nodes the question is about: those whose key is a parameter's value."""
        given = {str(v).casefold() for v in self.params.values() if isinstance(v, (str, int))}
        return [n["id"] for n in self.nodes if str(n["key"]).casefold() in given]


def mentioned(rows: Sequence[Mapping[str, Any]], params: Mapping[str, Any] | None = None) -> list[str]:
    """Every string the rows and parameters hold, in the form names are matched
    (``names_lc``: case-folded, and also without accents)."""
    from kb.loaders.build import normalise

    out: set[str] = set()

    def add(v: Any) -> None:
        if isinstance(v, str):
            if 2 <= len(v) <= 200:
                out.add(v.casefold().strip())
                out.add(normalise(v))
        elif isinstance(v, (list, tuple)):
            for x in v:
                add(x)

    for r in rows:
        for v in r.values():
            add(v)
    for v in (params or {}).values():
        add(v)
    return sorted(out)


def subgraph(k: KB, question: str, params: Mapping[str, Any] | None = None, *, include_sources: bool = False,
             limit: int = 300) -> Subgraph:
    """Ask ``question`` and fetch the entities its answer names and the relationships among them."""
    given = dict(params or {})
    return of_rows(k, question, given, k.ask(question, given).to_dicts(), include_sources=include_sources, limit=limit)


def of_rows(k: KB, question: str, params: Mapping[str, Any], rows: list[dict[str, Any]], *,
            include_sources: bool = False, limit: int = 300) -> Subgraph:
    """The part of the graph an answer already at hand (``rows``) touches."""
    given = dict(params)
    names = mentioned(rows, given)
    found = k.read(cypher.subgraph(), {"names": names, "sources": include_sources, "limit": limit}) if names else []
    pairs = [[lab, *EXPAND[lab]] for lab in sorted({r["label"] for r in found}) if lab in EXPAND]
    if pairs:
        more = [r["name"] for r in k.read(cypher.expand_names(), {"pairs": pairs, "names": names}) if r["name"]]
        if more:
            names = sorted(set(names) | set(mentioned([{"n": more}])))
            found = k.read(cypher.subgraph(), {"names": names, "sources": include_sources, "limit": limit})
    g = Subgraph(question, given, rows)
    ids: set[str] = set()
    for r in found:
        nid = f"{r['label']}|{r['key']}"
        ids.add(nid)
        props = {k_: v for k_, v in r["node"].items() if k_ not in _SKIP}
        g.nodes.append({"id": nid, "label": r["label"], "key": r["key"], "caption": caption(r["label"], r["key"], props),
                        "properties": props})
    for r in found:
        start = f"{r['label']}|{r['key']}"
        for rel in r["out"]:
            end = f"{rel['label']}|{rel['key']}"
            if end in ids:
                g.relationships.append({"start": start, "end": end, "type": rel["type"]})
    g.nodes.sort(key=lambda n: (n["label"], n["key"]))
    g.relationships.sort(key=lambda e: (e["start"], e["type"], e["end"]))
    return g


def caption(label: str, key: str, props: Mapping[str, Any]) -> str:
    if label in ("Dispute", "Element"):
        text = str(key) if label == "Dispute" else f"{props.get('name') or key} ({key})"
    else:
        text = str(props.get("name") or props.get("title") or key)
    return text if len(text) <= 30 else text[:28].rstrip() + "…"


def tooltip(n: Mapping[str, Any]) -> str:
    p = n["properties"]
    lines = [f"{n['label']} {n['key']}"]
    for k_ in SHOWN:
        v = p.get(k_)
        if v not in (None, "", []):
            text = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
            lines.append(f"{k_}: {text if len(text) <= 160 else text[:157] + '...'}")
    if p.get("aliases"):
        lines.append("aliases: " + ", ".join(map(str, p["aliases"][:8])))
    return "\n".join(lines)



#: vis-network options for every picture of a subgraph
VIS_OPTIONS: dict[str, Any] = {
    "nodes": {"shape": "dot", "font": {"size": 14, "face": "sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff"},
              "borderWidth": 1},
    "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "color": {"color": "#9a9a9a", "highlight": "#333333"},
              "font": {"size": 12, "color": "#444444", "align": "middle", "strokeWidth": 3}, "smooth": {"type": "dynamic"},
              "width": 1},
    "physics": {"solver": "forceAtlas2Based",
                "forceAtlas2Based": {"gravitationalConstant": -120, "springLength": 170, "springConstant": 0.04,
                                     "avoidOverlap": 1.0},
                "stabilization": {"enabled": True, "iterations": 1000, "fit": True}},
    "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False, "keyboard": True},
    "layout": {"randomSeed": 7},
}


def vis_data(g: Subgraph) -> dict[str, list[dict[str, Any]]]:
    """``g`` as vis-network's nodes and edges (caption, colour, hover text, size by degree)."""
    degree: dict[str, int] = {}
    for e in g.relationships:
        degree[e["start"]] = degree.get(e["start"], 0) + 1
        degree[e["end"]] = degree.get(e["end"], 0) + 1
    nodes = [{"id": n["id"], "label": n["caption"], "title": tooltip(n), "color": COLORS.get(n["label"], "#97c2fc"),
              "size": 12 + 3 * min(degree.get(n["id"], 0), 8), "group": n["label"]} for n in g.nodes]
    labelled = len(g.relationships) <= 40  # beyond that the labels hide the picture; hover shows the type
    edges = []
    for e in g.relationships:
        color, width, dashes = EDGE_STYLES.get(e["type"], _EDGE_DEFAULT)
        edges.append({"from": e["start"], "to": e["end"], "title": e["type"], "color": color, "width": width,
                      "dashes": dashes, **({"label": e["type"]} if labelled else {})})
    return {"nodes": nodes, "edges": edges}
