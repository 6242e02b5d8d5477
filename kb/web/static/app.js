// The desk's only script: sortable tables, entity suggestions as you type, clean permalinks.
// It talks to this server only (the page's Content-Security-Policy allows nothing else).
"use strict";

function sortTable(table, col, th) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const asc = th.getAttribute("aria-sort") !== "ascending";
  const numeric = rows.every(r => { const v = r.cells[col].dataset.sort; return v === "" || !isNaN(parseFloat(v)); });
  rows.sort((a, b) => {
    let x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
    if (x === "" && y !== "") return 1;            // empty cells last, either way
    if (y === "" && x !== "") return -1;
    let c = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
    return asc ? c : -c;
  });
  table.querySelectorAll("th").forEach(h => h.removeAttribute("aria-sort"));
  th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  rows.forEach(r => body.appendChild(r));
}

function initTables() {
  document.querySelectorAll("table.sortable").forEach(table => {
    table.querySelectorAll("thead th").forEach((th, i) => {
      const b = th.querySelector("button") || th;
      b.addEventListener("click", () => sortTable(table, i, th));
    });
  });
}

function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

async function suggest(input) {
  const q = input.value.trim();
  const kind = input.dataset.suggest || "Entity";
  const list = input.dataset.suggestList ? document.getElementById(input.dataset.suggestList)
             : document.getElementById(input.getAttribute("list"));
  if (!list) return;
  if (!q) { list.replaceChildren(); return; }
  const r = await fetch(`/api/entities?kind=${encodeURIComponent(kind)}&q=${encodeURIComponent(q)}`);
  if (!r.ok) return;
  const found = await r.json();
  if (input.value.trim() !== q) return;          // the user typed on: a newer answer is coming
  list.replaceChildren(...found.map(e => {
    if (list.tagName === "DATALIST") {
      const o = document.createElement("option");
      o.value = e.key; o.label = `${e.name} (${e.label})`;
      return o;
    }
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = e.url; a.textContent = e.name;
    const span = document.createElement("span");
    span.className = "label"; span.textContent = ` ${e.label} ${e.key}`;
    li.append(a, span);
    return li;
  }));
}

function initSuggest() {
  document.querySelectorAll("input[data-suggest]").forEach(input => {
    input.addEventListener("input", debounce(() => suggest(input), 150));
  });
}

function initForms() {
  // leave empty fields out of the address: they mean "the default", and the permalink stays short
  document.querySelectorAll("form.question").forEach(form => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("input, select").forEach(el => { if (el.name && el.value === "") el.disabled = true; });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => { initTables(); initSuggest(); initForms(); });
