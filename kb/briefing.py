"""Answers that read like a briefing, and Markdown tables: shared by the CLI (``--format markdown``,
through `kb.analysis.output`) and the web desk (templates/briefing.html).

``restriction_impact`` and ``exposure`` become a two-line summary, then one section per kind of row with
its own columns. Their JSON stays one list of rows: ``restriction_impact`` rows carry their ``kind``;
``exposure`` has one row per element and its sections are groups of its columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def cell_text(v: Any) -> str:
    """One value as text for a table cell (lists joined, floats rounded for reading)."""
    if v is None:
        return ""
    if isinstance(v, list):
        return ", ".join(cell_text(x) for x in v)
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)



def _md(v: Any) -> str:
    return cell_text(v).replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Rows as a GitHub-flavoured Markdown table (an empty answer: a line saying so)."""
    if not rows:
        return "_(no rows)_\n"
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass
class Briefing:
    """An answer as a report: two summary lines, then sections with their own columns."""

    title: str
    summary: list[str]
    sections: list[Section] = field(default_factory=list)

    def markdown(self) -> str:
        out = [f"# {self.title}", "", *self.summary, ""]
        for s in self.sections:
            out += [f"## {s.title} ({len(s.rows)})", "", markdown_table(s.rows, s.columns)]
        return "\n".join(out)


def _pct(v: Any) -> str:
    return f"{100 * v:.1f}%" if isinstance(v, int | float) else "no figure"


def _country(iso3: str) -> str:
    import pycountry

    c = pycountry.countries.get(alpha_3=iso3) if len(iso3) == 3 else None
    return str(getattr(c, "common_name", None) or getattr(c, "name", iso3)) if c else iso3


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else "nothing"


def _restriction_impact(rows: list[dict[str, Any]], params: dict[str, Any]) -> Briefing:
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(str(r.get("kind")), []).append(r)
    who = _country(str(params.get("restrictor", "")))
    els = list(params.get("elements") or [])
    world = next((r for r in by.get("importer", []) if r.get("key") == "WLD"), None)
    importers = [r for r in by.get("importer", []) if r.get("key") != "WLD" and r.get("share") is not None]
    top = max(importers, key=lambda r: r["share"], default=None)
    producers = by.get("producer", [])
    cover = sum(r.get("tonnes") or 0 for r in producers)
    line1 = (f"If {who} stops exporting {_and(els)} ({params.get('year')}): "
             f"{_pct(world.get('share') if world else None)} of world mine supply goes"
             + (f"; {len(importers)} importers with trade figures lose a share of their imports, most "
                f"{top['name']} ({_pct(top['share'])} of its imports, {top.get('year')})" if top else "") + ".")
    line2 = (f"{len(by.get('technology', []))} technologies depend on them; {len(producers)} producers outside "
             f"{who} mined {cover:,.0f} t REO (all rare earths, {producers[0].get('year') if producers else '-'}); "
             f"{len(by.get('agreement', []))} agreements in place touch them.")
    cols = {
        "importer": ["name", "key", "share", "tonnes", "year", "basis", "source"],
        "technology": ["name", "elements", "uses"],
        "producer": ["name", "key", "share", "tonnes", "year", "elements", "facilities", "source"],
        "agreement": ["name", "year", "elements", "parties", "tonnes", "source"],
    }
    titles = {"importer": "Importers that lose supply", "technology": "Technologies touched",
              "producer": "Producers outside the restrictor", "agreement": "Agreements that could help"}
    sections = [Section(titles[k], cols[k], by[k]) for k in cols if by.get(k)]
    return Briefing(f"Restriction impact: {who}, {_and(els)}", [line1, line2], sections)


def _exposure(rows: list[dict[str, Any]], params: dict[str, Any]) -> Briefing:
    imp, res = _country(str(params.get("importer", ""))), _country(str(params.get("restrictor", "")))
    shared = sorted((r for r in rows if r.get("share") is not None), key=lambda r: -r["share"])
    top = shared[0] if shared else None
    tight = [r["symbol"] for r in shared if top and r["share"] == top["share"]]
    restricted = [r["symbol"] for r in rows if r.get("measures")]
    line1 = (f"{imp} depends on {res} for {len(rows)} elements; most for {_and(tight)}: "
             f"{_pct(top['share'])} at {top.get('stage') or 'imports'} ({top.get('basis')}, {top.get('year')})."
             if top else f"{imp} has no recorded dependence on {res}.")
    line2 = (f"{len(restricted)} of them under {res}'s export restrictions in force that reach {imp}"
             + (f" ({_and(restricted)})" if restricted else "") + ".")
    stages = [{"symbol": r["symbol"], "element": r.get("element"), "share": r.get("share"), "stage": r.get("stage"),
               "basis": r.get("basis"), "year": r.get("year"), "stage_shares": r.get("stage_shares")} for r in rows]
    measures = [{"symbol": r["symbol"], "measures": r.get("measures"), "end_user_measures": r.get("end_user_measures")}
                for r in rows if r.get("measures") or r.get("end_user_measures")]
    uses = [{"symbol": r["symbol"], "uses": r.get("uses"), "technologies": r.get("technologies")} for r in rows]
    return Briefing(f"Exposure of {imp} to {res}", [line1, line2], [
        Section("Shares by stage", ["symbol", "element", "share", "stage", "basis", "year", "stage_shares"], stages),
        Section("Export restrictions in force", ["symbol", "measures", "end_user_measures"], measures),
        Section("Uses and technologies", ["symbol", "uses", "technologies"], uses),
    ])


#: questions whose answers read as a briefing
BRIEFINGS = {"restriction_impact": _restriction_impact, "exposure": _exposure}


def briefing(name: str, rows: list[dict[str, Any]], params: dict[str, Any]) -> Briefing | None:
    """The answer of a question as a briefing (restriction_impact, exposure); None for other questions.
    ``params`` are the parameters as the question took them (keys resolved, e.g. restrictor CHN)."""
    make = BRIEFINGS.get(name)
    return make(rows, params) if make else None
