"""A layered picture of one element's supply chain: mines -> concentrate -> separation -> metal ->
magnets -> end uses, drawn with matplotlib from two questions, ``supply_chain`` (the facilities, what
feeds what, their latest figures) and ``chokepoints`` (each stage's leading country and its share).

Each stage is a column 0-100%: the leading country's share from the latest country figures (China in
red), the rest grey with the facilities outside it that carry it; lines are feeds, their width from
the upstream facility's latest figure (scaled within the picture: units differ and are printed);
a path through China (a facility, owner or buyer there) is drawn in red. Used by `kb plot chain`
(kb.analysis.plots) and the web desk's picture of a ``supply_chain`` answer (kb.web.charts).

    fig = chain_figure(k, "Dy")
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kb.core import KB

#: the picture's columns, in the order material flows (kb.schema.Stage, light and heavy separation together)
COLUMNS: tuple[str, ...] = ("mining", "concentrate", "separation", "metal", "magnet", "end-use")
WORDS = {"mining": "Mining", "concentrate": "Concentrate", "separation": "Separation", "metal": "Metal & alloy",
         "magnet": "Magnets", "end-use": "End uses"}
RED, GREY, BLUE = "#c0392b", "#d9d9d9", "#4c72b0"


def column_of(stage: str) -> str:
    """The column of a facility's (first) stage: light and heavy separation share one."""
    first = stage.split("+")[0]
    return "separation" if first.startswith("separation") else first


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if v >= 10 else f"{v:,.1f}"


def chain_figure(k: KB, symbol: str, mark: str = "CHN") -> Figure:
    """The layered picture of ``symbol``'s chain (see the module's docstring)."""
    from matplotlib.figure import Figure

    rows = k.ask("supply_chain", {"symbol": symbol, "mark": mark}).to_dicts()
    shares = {column_of(str(r["stage"])): r for r in k.ask("chokepoints", {"symbol": symbol}).to_dicts()}
    steps = [r for r in rows if r.get("path") is not None and r.get("stage")]
    uses: list[str] = next((list(r["buyers"]) for r in rows if r.get("stage") == "end-use"), [])
    facilities = _facilities(steps)
    cols = [c for c in COLUMNS if c == "end-use" or c in shares or any(f["col"] == c for f in facilities.values())]
    fig = Figure(figsize=(max(8.0, 2.3 * len(cols)), 6.8), dpi=110)
    fig.set_facecolor("white")
    ax = fig.add_axes((0.02, 0.17, 0.96, 0.72))
    ax.set_xlim(-0.6, len(cols) - 0.4)
    ax.set_ylim(-0.04, 1.1)
    ax.axis("off")
    box: dict[str, tuple[float, float]] = {}  # facility id -> (x, y centre)
    for cx, c in enumerate(cols):
        ax.text(cx, 1.07, WORDS[c], ha="center", va="bottom", fontsize=10, fontweight="bold")
        if c == "end-use":
            _draw_uses(ax, cx, uses)
            continue
        lead = _draw_leader(ax, cx, shares.get(c))
        mine = [f for f in facilities.values() if f["col"] == c]
        mine.sort(key=lambda f: (f.get("country") == mark, str(f["facility"])))
        box.update(_draw_facilities(ax, cx, 1 - lead, mine, mark))
    _draw_feeds(ax, steps, facilities, box)
    _frame(fig, k.resolver().resolve(symbol, ("Element",)).name)
    return fig


#: a column's width (its x spacing is 1)
_WIDTH = 0.62


def _facilities(steps: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One box per facility, in the column of its first stage; marked when any of its steps is."""
    facilities: dict[str, dict[str, Any]] = {}
    for r in steps:
        f = facilities.setdefault(r["facility_id"], {**r, "col": column_of(str(r["stage"])), "marked": False})
        f["marked"] = f["marked"] or bool(r.get("marked"))
    return facilities


def _draw_uses(ax: Any, cx: float, uses: list[str]) -> None:
    """The end-use column: up to ten boxes, one per use."""
    from matplotlib.patches import Rectangle

    for i, u in enumerate(uses[:10]):
        y = 0.95 - i * 0.095
        ax.add_patch(Rectangle((cx - _WIDTH / 2, y - 0.04), _WIDTH, 0.08, facecolor="#eef3f8", edgecolor=BLUE))
        ax.text(cx, y, textwrap.shorten(str(u), 30), ha="center", va="center", fontsize=7)


def _draw_leader(ax: Any, cx: float, s: dict[str, Any] | None) -> float:
    """The leading country's part at the top of a column (red for China), with its share and the
    figures it comes from; its share (0 when the column has none)."""
    from matplotlib.patches import Rectangle

    lead = float(s["leader_share"]) if s and s.get("leader_share") is not None else 0.0
    if s is not None and lead:
        ax.add_patch(Rectangle((cx - _WIDTH / 2, 1 - lead), _WIDTH, lead,
                               facecolor=RED if s.get("leader") == "China" else BLUE, alpha=0.85))
        note = f"{s['leader']} {100 * lead:.0f}%\n{s['figures_stage']}, {s['year']}"
        note += "\n(second-hand)" if s.get("second_hand") else ""
        ax.text(cx, 1 - lead / 2, note, ha="center", va="center", fontsize=8, color="white", fontweight="bold")
    return lead


def _draw_facilities(ax: Any, cx: float, rest: float, mine: list[dict[str, Any]],
                     mark: str) -> dict[str, tuple[float, float]]:
    """The grey rest of a column (height ``rest``) with the column's facilities stacked in it,
    those in ``mark`` pink; each facility's box centre by id."""
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((cx - _WIDTH / 2, 0), _WIDTH, rest, facecolor=GREY, alpha=0.5))
    slot = max(rest, 0.3) / max(len(mine), 1)
    box: dict[str, tuple[float, float]] = {}
    for i, f in enumerate(mine):
        y = max(rest, 0.3) - slot * (i + 0.5)
        here = f.get("country") == mark
        ax.add_patch(Rectangle((cx - _WIDTH / 2 + 0.02, y - slot * 0.42), _WIDTH - 0.04, slot * 0.84,
                               facecolor="#f4d6d2" if here else "white", edgecolor=RED if here else "#555555",
                               lw=0.8))
        label = f"[{f.get('country')}] " + textwrap.shorten(str(f["facility"]), 30)
        if f.get("figure") is not None:
            label += f"\n{_fmt(float(f['figure']))} {textwrap.shorten(str(f.get('unit') or ''), 26)} ({f.get('year')})"
        ax.text(cx, y, label, ha="center", va="center", fontsize=6.2)
        box[f["facility_id"]] = (cx, y)
    return box


def _draw_feeds(ax: Any, steps: list[dict[str, Any]], facilities: dict[str, dict[str, Any]],
                box: dict[str, tuple[float, float]]) -> None:
    """The feeds, consecutive steps of each path: width from the upstream facility's figure
    (scaled to the largest in the picture), red dashed where the path is marked."""
    figures = [float(f["figure"]) for f in facilities.values() if f.get("figure") is not None]
    top = max(figures, default=1.0) or 1.0
    by_path: dict[int, list[dict[str, Any]]] = {}
    for r in steps:
        by_path.setdefault(int(r["path"]), []).append(r)
    for path in by_path.values():
        path.sort(key=lambda r: int(r["step"]))
        for a, b in zip(path, path[1:], strict=False):
            if a["facility_id"] in box and b["facility_id"] in box:
                (x0, y0), (x1, y1) = box[a["facility_id"]], box[b["facility_id"]]
                lw = 0.8 + 6.0 * (float(a["figure"]) / top if a.get("figure") is not None else 0.0)
                ax.plot([x0 + _WIDTH / 2, x1 - _WIDTH / 2], [y0, y1], color=RED if a.get("marked") else BLUE,
                        lw=lw, alpha=0.6, ls="--" if a.get("marked") else "-", solid_capstyle="round")


def _frame(fig: Figure, name: str) -> None:
    """The title, the subtitle saying how to read the columns and the caption saying how to read the lines."""
    fig.text(0.01, 0.975, f"{name}: from mines to magnets and end uses", fontsize=13, fontweight="bold", va="top")
    fig.text(0.01, 0.935, "Each column 0-100% of the stage: the leading country's share of the latest country figures "
             "(red: China), grey: the rest, with the facilities outside it the KB knows (questions supply_chain, "
             "chokepoints).", fontsize=8, color="#444444", va="top")
    caption = ("Lines: what feeds what; width from the upstream facility's latest figure, scaled within the picture "
               "(units differ: printed in each box); red dashed: a path through China (a facility, owner or buyer "
               "there). Facilities that name no element are kept on the chain when a neighbour names it. "
               "Sources: the facility figures' publications (kb query supply_chain) and the country figures "
               "named in each column.")
    fig.text(0.01, 0.012, "\n".join(textwrap.wrap(caption, 170)), fontsize=7, color="#444444", va="bottom")
