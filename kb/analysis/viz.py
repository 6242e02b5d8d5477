"""Pictures of the graph: the part of it a canned question touches, as one
self-contained HTML page (vis-network inlined through pyvis; works offline).

    >>> from kb.analysis import viz
    >>> viz.render(k, "agreements", {"iso3": "JPN"}, "japan-agreements.html")
    >>> g = viz.subgraph(k, "disputes", {"iso3": "JPN"})     # the nodes and relationships only

How the part is chosen: the question is asked, every name, code or alias its rows
(and its parameters) mention is collected, and one parameterised query fetches the
entities with one of those names and the relationships among them. Source nodes
are left out unless ``include_sources=True`` (then the sources those entities cite
come too).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import KBError

if TYPE_CHECKING:
    from kb.core import KB

#: one query for every question: entities named in the answer, (their sources), and the relationships among them
SUBGRAPH_CYPHER = """
MATCH (n) WHERE n.names_lc IS NOT NULL AND any(x IN n.names_lc WHERE x IN $names)
WITH collect(n) AS found
UNWIND found AS f
OPTIONAL MATCH (f)-[:SOURCED_FROM]->(s:Source) WHERE $sources
WITH found, collect(DISTINCT s) AS cited
WITH found + cited AS ns
UNWIND ns AS a
OPTIONAL MATCH (a)-[r]->(b) WHERE b IN ns
WITH a, collect(CASE WHEN r IS NULL THEN NULL
                ELSE {type: type(r), label: labels(b)[0], key: coalesce(b.id, b.symbol, b.iso3, b.code)} END) AS out
RETURN a AS node, labels(a)[0] AS label, coalesce(a.id, a.symbol, a.iso3, a.code) AS key, out
LIMIT $limit
"""

COLORS = {
    "Country": "#4e79a7", "Element": "#f28e2b", "Use": "#edc948", "Technology": "#b07aa1",
    "Commodity": "#9c755f", "Organisation": "#59a14f", "Facility": "#76b7b2", "Dispute": "#e15759",
    "Measure": "#ff9da7", "Agreement": "#8cd17d", "Event": "#bab0ac", "Source": "#d4d4d4",
}
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
    answer = k.ask(question, given)
    rows = answer.to_dicts()
    names = mentioned(rows, given)
    found = k.read(SUBGRAPH_CYPHER, {"names": names, "sources": include_sources, "limit": limit}) if names else []
    g = Subgraph(question, given, rows)
    ids: set[str] = set()
    for r in found:
        nid = f"{r['label']}|{r['key']}"
        ids.add(nid)
        props = {k_: v for k_, v in r["node"].items() if k_ not in _SKIP}
        g.nodes.append({"id": nid, "label": r["label"], "key": r["key"], "caption": _caption(r["label"], r["key"], props),
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


def _caption(label: str, key: str, props: Mapping[str, Any]) -> str:
    if label in ("Dispute", "Element"):
        text = str(key) if label == "Dispute" else f"{props.get('name') or key} ({key})"
    else:
        text = str(props.get("name") or props.get("title") or key)
    return text if len(text) <= 38 else text[:36].rstrip() + "…"


def _tooltip(n: Mapping[str, Any]) -> str:
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


# --------------------------------------------------------------------------- the page

_OPTIONS = {
    "nodes": {"shape": "dot", "font": {"size": 14, "face": "sans-serif", "strokeWidth": 3, "strokeColor": "#ffffff"},
              "borderWidth": 1},
    "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.5}}, "color": {"color": "#9a9a9a", "highlight": "#333333"},
              "font": {"size": 9, "color": "#666666", "align": "middle", "strokeWidth": 2}, "smooth": {"type": "dynamic"},
              "width": 1},
    "physics": {"solver": "forceAtlas2Based",
                "forceAtlas2Based": {"gravitationalConstant": -60, "springLength": 120, "springConstant": 0.06,
                                     "avoidOverlap": 0.4},
                "stabilization": {"enabled": True, "iterations": 400, "fit": True}},
    "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False, "keyboard": True},
}

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']https?://""", re.I)


def page(g: Subgraph, *, title: str | None = None, description: str = "", engine: str = "") -> str:
    """The HTML of a picture of ``g``: one file, every script and style inside it."""
    from pyvis.network import Network

    net = Network(height="78vh", width="100%", directed=True, cdn_resources="in_line", notebook=False, bgcolor="#ffffff")
    degree: dict[str, int] = {}
    for e in g.relationships:
        degree[e["start"]] = degree.get(e["start"], 0) + 1
        degree[e["end"]] = degree.get(e["end"], 0) + 1
    for n in g.nodes:
        color = COLORS.get(n["label"], "#97c2fc")
        net.add_node(n["id"], label=n["caption"], title=_tooltip(n), color=color,
                     size=12 + 3 * min(degree.get(n["id"], 0), 8))
    labelled = len(g.relationships) <= 40  # beyond that the labels hide the picture; hover shows the type
    for e in g.relationships:
        net.add_edge(e["start"], e["end"], title=e["type"], **({"label": e["type"]} if labelled else {}))
    net.set_options(json.dumps(_OPTIONS))
    body = net.generate_html(notebook=False)
    # pyvis' template links Bootstrap from a CDN whatever the mode; the page does not need it
    body = re.sub(r"<link\b[^>]*bootstrap[^>]*>", "", body, flags=re.S | re.I)
    body = re.sub(r"<script\b[^>]*bootstrap[^>]*>\s*</script>", "", body, flags=re.S | re.I)
    body = re.sub(r"<center>\s*<h1>\s*</h1>\s*</center>", "", body)
    body = re.sub(r"<!--\s*<link[^>]*node_modules.*?-->", "", body, flags=re.S)
    if _EXTERNAL.search(body):
        raise KBError("the graph page would load something from the network; refusing to write it")
    params = ", ".join(f"{k_}={v!r}" for k_, v in g.params.items())
    heading = title or f"{g.question}({params})"
    legend = "".join(
        f'<span class="kb-key"><span class="kb-dot" style="background:{COLORS.get(lab, "#97c2fc")}"></span>'
        f"{html.escape(lab)} {sum(1 for n in g.nodes if n['label'] == lab)}</span>" for lab in g.labels)
    types: dict[str, int] = {}
    for e in g.relationships:
        types[e["type"]] = types.get(e["type"], 0) + 1
    rel_line = " &middot; ".join(f"{html.escape(t)} {n}" for t, n in sorted(types.items()))
    cited = sorted({str(r["source"]) for r in g.rows if r.get("source")})
    sources = ("<p class='kb-src'><b>The answer cites:</b> " + "; ".join(html.escape(s) for s in cited[:12])
               + (f" and {len(cited) - 12} more" if len(cited) > 12 else "") + "</p>") if cited else ""
    header = f"""
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 16px; color: #222; }}
  .kb-head h1 {{ font-size: 20px; margin: 12px 0 2px; font-family: ui-monospace, monospace; }}
  .kb-head p {{ margin: 4px 0; font-size: 13px; color: #444; }}
  .kb-key {{ display: inline-block; margin-right: 14px; font-size: 13px; }}
  .kb-dot {{ display: inline-block; width: 11px; height: 11px; border-radius: 50%; margin-right: 5px;
            vertical-align: -1px; border: 1px solid #888; }}
  .kb-src {{ font-size: 12px !important; color: #666 !important; }}
  #mynetwork {{ border: 1px solid #ddd !important; }}
  div.vis-tooltip {{ white-space: pre-line; font-size: 12px; max-width: 420px; }}
</style>
<div class="kb-head">
  <h1>{html.escape(heading)}</h1>
  <p>{html.escape(description)}</p>
  <p>{len(g.rows)} answer row{'s' if len(g.rows) != 1 else ''} &middot; {len(g.nodes)} nodes &middot;
     {len(g.relationships)} relationships{(' &middot; ' + html.escape(engine)) if engine else ''}
     &middot; drag to move, scroll to zoom, hover for properties</p>
  <p>{legend}</p>
  <p class="kb-src">{rel_line}</p>
  {sources}
</div>
"""
    body = body.replace("<body>", "<body>" + header, 1)
    return body.replace("<html>", '<!DOCTYPE html>\n<html lang="en">', 1).replace(
        "<head>", f"<head>\n<title>{html.escape(heading)} - Rare Earth KB</title>", 1)


def render(k: KB, question: str, params: Mapping[str, Any] | None = None, out_path: str | Path = "graph.html", *,
           include_sources: bool = False, limit: int = 300, title: str | None = None) -> Path:
    """Draw the part of the graph ``question`` touches into ``out_path`` (one offline HTML file)."""
    from kb.queries import catalog

    q = catalog.get(question)
    out = Path(out_path)
    if out.suffix.lower() not in (".html", ".htm"):
        raise KBError(f"{out.name}: write graph pictures to an .html file")
    g = subgraph(k, question, params, include_sources=include_sources, limit=limit)
    if not g.nodes:
        raise KBError(f"the answer to {question} names no entity in the graph: nothing to draw"
                      + ("" if g.rows else " (it has no rows; is the KB loaded?)"))
    text = page(g, title=title, description=q.description, engine=f"{k.engine} {k.version()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
