// The graph picture of an answer: vis-network (served by this server from the pyvis package)
// draws the nodes and relationships the page carries as JSON in #graph-data.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("graph");
  const data = document.getElementById("graph-data");
  if (!el || !data || typeof vis === "undefined") return;
  const g = JSON.parse(data.textContent);
  const nodes = new vis.DataSet(g.nodes);
  const edges = new vis.DataSet(g.edges);
  const network = new vis.Network(el, { nodes, edges }, g.options);
  el.dataset.nodes = String(nodes.length);
  network.once("afterDrawing", () => { el.dataset.drawn = "true"; });
  network.on("doubleClick", params => {  // a node's page, as the table's links
    if (params.nodes.length !== 1) return;
    const id = String(params.nodes[0]), bar = id.indexOf("|");
    const label = id.slice(0, bar), key = id.slice(bar + 1);
    window.location.href = "/e/" + encodeURIComponent(label) + "/" + encodeURIComponent(key);
  });
});
