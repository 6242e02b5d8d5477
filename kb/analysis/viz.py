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
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import KBError
from kb.subgraph import (  # noqa: F401  (the picture's data lives one layer down; these names stay importable here)
    _EDGE_DEFAULT,
    COLORS,
    EDGE_STYLES,
    EXPAND,
    SHOWN,
    VIS_OPTIONS,
    Progress,
    Subgraph,
    caption,
    mentioned,
    of_rows,
    subgraph,
    tooltip,
    vis_data,
)

if TYPE_CHECKING:
    from kb.core import KB

# --------------------------------------------------------------------------- the page

_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']https?://""", re.I)


def page(g: Subgraph, *, title: str | None = None, description: str = "", engine: str = "") -> str:
    """The HTML of a picture of ``g``: one file, every script and style inside it."""
    params = ", ".join(f"{k_}={v!r}" for k_, v in g.params.items())
    heading = title or f"{g.question}({params})"
    body = _offline(_network(g).generate_html(notebook=False))
    body = body.replace("<body>", "<body>" + _header(g, heading, description, engine), 1)
    head, sep, tail = body.rpartition("</body>")
    body = head + _keep_legible(g) + sep + tail if sep else body + _keep_legible(g)
    return body.replace("<html>", '<!DOCTYPE html>\n<html lang="en">', 1).replace(
        "<head>", f"<head>\n<title>{html.escape(heading)} - Rare Earth KB</title>", 1)


def _network(g: Subgraph) -> Any:
    """The pyvis network of ``g``: the question's subjects large and ringed, other nodes sized by degree."""
    from pyvis.network import Network

    net = Network(height="78vh", width="100%", directed=True, cdn_resources="in_line", notebook=False, bgcolor="#ffffff")
    degree: dict[str, int] = {}
    for e in g.relationships:
        degree[e["start"]] = degree.get(e["start"], 0) + 1
        degree[e["end"]] = degree.get(e["end"], 0) + 1
    subjects = set(g.subjects)
    for n in g.nodes:
        color = COLORS.get(n["label"], "#97c2fc")
        if n["id"] in subjects:  # the subject of the question: large, ringed, bold
            net.add_node(n["id"], label=n["caption"], title=tooltip(n), size=34, borderWidth=5,
                         color={"background": color, "border": "#111111"},
                         font={"size": 20, "face": "sans-serif", "bold": {"size": 20}, "multi": "md"},
                         shape="dot")
        else:
            net.add_node(n["id"], label=n["caption"], title=tooltip(n), color=color,
                         size=12 + 3 * min(degree.get(n["id"], 0), 8))
    labelled = len(g.relationships) <= 40  # beyond that the labels hide the picture; colour and hover give the type
    for e in g.relationships:
        colour, width, dashes = EDGE_STYLES.get(e["type"], _EDGE_DEFAULT)
        net.add_edge(e["start"], e["end"], title=e["type"], color=colour, width=width, dashes=dashes,
                     **({"label": e["type"].lower().replace("_", " ")} if labelled else {}))
    net.set_options(json.dumps(VIS_OPTIONS))
    return net


def _offline(body: str) -> str:
    """pyvis' page without what it would load from the network (refused if anything is left)."""
    # pyvis' template links Bootstrap from a CDN whatever the mode; the page does not need it
    body = re.sub(r"<link\b[^>]*bootstrap[^>]*>", "", body, flags=re.S | re.I)
    body = re.sub(r"<script\b[^>]*bootstrap[^>]*>\s*</script>", "", body, flags=re.S | re.I)
    body = re.sub(r"<center>\s*<h1>\s*</h1>\s*</center>", "", body)
    body = re.sub(r"<!--\s*<link[^>]*node_modules.*?-->", "", body, flags=re.S)
    if _EXTERNAL.search(body):
        raise KBError("the graph page would load something from the network; refusing to write it")
    return body


def _header(g: Subgraph, heading: str, description: str, engine: str) -> str:
    """The heading, counts, subject, legend and cited sources above the picture."""
    subjects = set(g.subjects)
    legend = "".join(
        f'<span class="kb-key"><span class="kb-dot" style="background:{COLORS.get(lab, "#97c2fc")}"></span>'
        f"{html.escape(lab)} {sum(1 for n in g.nodes if n['label'] == lab)}</span>" for lab in g.labels)
    types: dict[str, int] = {}
    for e in g.relationships:
        types[e["type"]] = types.get(e["type"], 0) + 1
    rel_line = "".join(
        f'<span class="kb-key"><span class="kb-line" style="border-top:{max(2, round(EDGE_STYLES.get(t, _EDGE_DEFAULT)[1]))}px '
        f'{"dashed" if EDGE_STYLES.get(t, _EDGE_DEFAULT)[2] else "solid"} {EDGE_STYLES.get(t, _EDGE_DEFAULT)[0]}"></span>'
        f"{html.escape(t.lower().replace('_', ' '))} {n}</span>" for t, n in sorted(types.items()))
    subject_line = ", ".join(html.escape(n["caption"]) for n in g.nodes if n["id"] in subjects)
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
  .kb-line {{ display: inline-block; width: 26px; height: 0; margin-right: 5px; vertical-align: 3px; }}
  #mynetwork {{ border: 1px solid #ddd !important; }}
  div.vis-tooltip {{ white-space: pre-line; font-size: 12px; max-width: 420px; }}
</style>
<div class="kb-head">
  <h1>{html.escape(heading)}</h1>
  <p>{html.escape(description)}</p>
  <p>{len(g.rows)} answer row{'s' if len(g.rows) != 1 else ''} &middot; {len(g.nodes)} nodes &middot;
     {len(g.relationships)} relationships{(' &middot; ' + html.escape(engine)) if engine else ''}
     &middot; drag to move, scroll to zoom, hover for properties</p>
  {f"<p><b>Subject:</b> {subject_line} (ringed)</p>" if subject_line else ""}
  <p>{legend}</p>
  <p>{rel_line}</p>
  {sources}
</div>
"""
    return header


def _keep_legible(g: Subgraph) -> str:
    # vis-network draws text in graph units, so fitting a large graph shrinks it: keep labels at least
    # 14 px (relationship labels 12 px, the subject's 20 px) on screen at any zoom
    keep_legible = f"""<script>
(function () {{
  var subjects = {json.dumps(sorted(set(g.subjects)))};
  function legible() {{
    var s = network.getScale();
    network.setOptions({{nodes: {{font: {{size: Math.max(14, 14 / s)}}}}, edges: {{font: {{size: Math.max(12, 12 / s)}}}}}});
    network.body.data.nodes.update(subjects.map(function (id) {{
      return {{id: id, font: {{size: Math.max(20, 20 / s), bold: true}}}}; }}));
  }}
  network.once("stabilizationIterationsDone", function () {{ network.fit(); legible(); }});
  network.on("zoom", legible);
}})();
</script>
"""
    return keep_legible


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
    if not g.relationships and len(g.nodes) > 1:
        raise KBError(f"{question} answers with a table, not a graph shape: its {len(g.nodes)} entities have no "
                      f"relationships among them (see `kb query {question}`"
                      + ("; `kb plot production` for a chart)" if question == "top_producers" else ")"))
    text = page(g, title=title, description=q.description, engine=f"{k.engine} {k.version()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
