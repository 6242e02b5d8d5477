"""Charts on the web desk: where a question's answer is a series (production over the years,
shares, concentration, prices, import shares), the page shows it as an SVG drawn here by
matplotlib and put inline in the page.

The SVG keeps its text as text (``svg.fonttype: none``: searchable, selectable, the page's font)
and carries no ``style`` attribute or element: each declaration becomes the SVG presentation
attribute of the same name, so the page's Content-Security-Policy (``style-src 'self'``, no
inline styles) holds. Nothing in it points outside the page (no namespace URLs, no metadata).

    svg = chart_svg(k, "production_history", params, rows)   # None: no chart for this answer
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kb.engines import cypher

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kb.core import KB

Rows = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class Spec:
    kind: str  # "line": y over x, one line per group; "bar": one bar per label
    x: str  # line: the x column; bar: the label column
    y: str
    unit: str
    group: Callable[[Mapping[str, Any]], str] | None = None
    percent: bool = False  # y is a 0-1 share, shown as %


def _group(*cols: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda r: " · ".join(str(r.get(c)) for c in cols if r.get(c) not in (None, ""))


#: the questions whose answer is a series, and how to draw it
CHARTS: dict[str, Spec] = {
    "production_history": Spec("line", "year", "tonnes", "tonnes REO"),
    "prices": Spec("line", "year", "usd_per_kg", "US$ per kg", group=_group("series")),
    "import_reliance": Spec("line", "year", "percent", "net import reliance, %", group=_group("scope", "measure")),
    "top_producers": Spec("bar", "country", "share", "share of world output", percent=True),
    "import_dependence": Spec("bar", "partner", "value_share", "share of imports by value", percent=True),
    "import_sources": Spec("bar", "partner", "share", "share of imports", percent=True,
                           group=_group("material", "period")),
    "supply_concentration": Spec("line", "year", "hhi", "Herfindahl-Hirschman index (0-10,000)"),
}


def caption(name: str) -> str:
    """What a question's chart shows, in a sentence under it."""
    if name == "supply_concentration":
        return ("Every year's answer to supply_concentration for this stage (one question per year); "
                "the year asked is circled. The sources are those of each year's edition.")
    if name == "supply_chain":
        return ("The element's chain as layers: each stage's leading country's share (China in red) and the "
                "facilities outside it; lines are feeds, their width from the upstream facility's figure.")
    return "The rows above, drawn: the figures as the table gives them; their sources are in its source column."


def chart_svg(k: KB, name: str, params: Mapping[str, Any], rows: Rows) -> str | None:
    """The chart of an answer, as inline SVG markup; None where the question has none or the
    answer has nothing to draw."""
    if name == "supply_chain" and rows:  # one element's chain as layers (kb.chainplot)
        from kb.chainplot import chain_figure

        return inline_svg(chain_figure(k, str(params["symbol"]), str(params.get("mark") or "CHN")))
    spec = CHARTS.get(name)
    if spec is None or not rows:
        return None
    if name == "supply_concentration":
        fig = _concentration(k, params, rows)
    elif spec.kind == "line":
        fig = _lines(spec, rows, name)
    else:
        fig = _bars(spec, rows, name)
    return None if fig is None else inline_svg(fig)


# --------------------------------------------------------------------------- figures


def _figure(height: float = 3.6) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, height), dpi=100)
    fig.set_facecolor("white")
    return fig


def _lines(spec: Spec, rows: Rows, title: str) -> Figure | None:
    series: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        x, y = r.get(spec.x), r.get(spec.y)
        if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(y, bool):
            series.setdefault(spec.group(r) if spec.group else spec.y, []).append((float(x), float(y)))
    if not series:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    for label, pts in sorted(series.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3.5, lw=1.6, label=label)
    ax.set_ylabel(spec.unit)
    ax.set_xlabel(spec.x)
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.4g}")
    ax.grid(alpha=0.3)
    if spec.group:
        ax.legend(fontsize=8, frameon=False)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    fig.tight_layout()
    return fig


def _bars(spec: Spec, rows: Rows, title: str) -> Figure | None:
    bars = [((spec.group(r) + ": " if spec.group else "") + str(r.get(spec.x)), float(r[spec.y]))
            for r in rows if isinstance(r.get(spec.y), int | float) and not isinstance(r.get(spec.y), bool)]
    if not bars:
        return None
    bars = bars[:25]
    scale = 100.0 if spec.percent else 1.0
    fig = _figure(height=max(2.2, 0.5 + 0.28 * len(bars)))
    ax = fig.add_subplot()
    labels = [b[0] for b in bars][::-1]
    values = [b[1] * scale for b in bars][::-1]
    ax.barh(range(len(bars)), values, color="#4e79a7", height=0.7)
    ax.set_yticks(range(len(bars)), labels, fontsize=8)
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.1f}%" if spec.percent else f" {v:,.0f}", va="center", fontsize=7.5, color="#333333")
    ax.set_xlabel(spec.unit + (", %" if spec.percent else ""))
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlim(0, max(values) * 1.15 if max(values) > 0 else 1)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    fig.tight_layout()
    return fig


def _concentration(k: KB, params: Mapping[str, Any], rows: Rows) -> Figure | None:
    """The HHI of every year with figures for the stage asked, the year asked marked: one
    question per year (supply_concentration), as `kb plot concentration` does."""
    stage = str(params.get("stage") or "mining")
    years = sorted({r["y"] for r in k.read(cypher.production_years(), {"stage": stage}) if isinstance(r["y"], int)})
    pts: list[tuple[int, float]] = []
    for y in years:
        got = k.ask("supply_concentration", {"year": y, "stage": stage}).to_dicts()
        if got and got[0].get("hhi") is not None:
            pts.append((y, float(got[0]["hhi"])))
    if not pts:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    ax.axhline(2500, color="#d62728", lw=0.8, ls="--")
    ax.text(pts[0][0], 2500, " highly concentrated (2,500)", va="bottom", fontsize=8, color="#a61c1c")
    ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", ms=3.5, lw=1.6, color="#1f77b4", label=stage)
    asked = params.get("year")
    for r in rows:
        if isinstance(asked, int) and r.get("hhi") is not None:
            ax.plot([asked], [float(r["hhi"])], marker="o", ms=9, mfc="none", mec="#d62728", mew=2)
            ax.annotate(f"{asked}: {r['top_country']} {100 * float(r['top_share']):.0f}%", (asked, float(r["hhi"])),
                        textcoords="offset points", xytext=(6, -14), fontsize=8, color="#a61c1c")
    ax.set_ylim(0, 10500)
    ax.set_ylabel("HHI (0-10,000)")
    ax.set_xlabel("year")
    ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.grid(alpha=0.3)
    ax.set_title(f"supply_concentration, {stage}, every year with figures", loc="left", fontsize=11, fontweight="bold")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- SVG for a strict page

_STYLE = re.compile(r'\sstyle="([^"]*)"')
_DROP = (re.compile(r"<\?xml[^>]*\?>\s*"), re.compile(r"<!DOCTYPE[^>]*>\s*", re.S),
         re.compile(r"<metadata>.*?</metadata>\s*", re.S), re.compile(r"<defs>\s*<style[^>]*>.*?</style>\s*</defs>\s*", re.S),
         re.compile(r'\sxmlns(?::\w+)?="[^"]*"'), re.compile(r'\s(?:width|height)="[\d.]+pt"'))


def _attributes(match: re.Match[str]) -> str:
    out = []
    for decl in match.group(1).split(";"):
        if ":" in decl:
            prop, value = (part.strip() for part in decl.split(":", 1))
            out.append(f' {prop}="{html.escape(value, quote=True)}"')
    return "".join(out)


def inline_svg(fig: Figure) -> str:
    """``fig`` as SVG markup to put inside an HTML page (see the module's docstring)."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kb-web", "font.family": "sans-serif"}):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    for pattern in _DROP:
        svg = pattern.sub("", svg)
    svg = _STYLE.sub(_attributes, svg).replace("xlink:href=", "href=")
    # what the dropped <style> element said, for every element: inherited from the root
    return svg.replace("<svg ", '<svg class="chart" role="img" stroke-linejoin="round" stroke-linecap="butt" ', 1).strip()
