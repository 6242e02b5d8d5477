"""Charts of the canned questions, as matplotlib figures (no GUI, no pyplot state).

    >>> from kb.analysis import plots
    >>> fig = plots.production_shares(k, stage="mining", start=2010, end=2024)
    >>> fig.savefig("shares.png")       # or .svg / .pdf; in a notebook the figure shows itself
    >>> plots.concentration(k).savefig("hhi.svg")

The numbers come only from the canned questions (`top_producers`,
`supply_concentration`) through `KB.ask`; the publications they cite are named in
each figure's caption.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, get_args

from kb.errors import KBError
from kb.schema import Stage

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kb.core import KB

Progress = Callable[[str, int, int], None]

#: the stages in the order material flows (kb.schema.Stage)
STAGES: tuple[str, ...] = get_args(Stage)  # the schema's closed set
STAGE_WORDS = {"mining": "mine production", "separation": "separation", "refining": "refining",
               "metal": "metal making", "magnets": "magnet making"}
_REST = "Others, not itemised"
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def summarise_sources(titles: Iterable[str]) -> str:
    """Name the sources compactly: editions of one series that differ only in their
    year become one entry ("Mineral Commodity Summaries 2012–2025: Rare Earths (13 editions)")."""
    groups: dict[str, list[int]] = {}
    order: list[str] = []
    for t in dict.fromkeys(t for t in titles if t):
        years = _YEAR.findall(t)
        key = _YEAR.sub("{}", t.replace("{", "(").replace("}", ")")) if len(years) == 1 else t
        if key not in groups:
            order.append(key)
            groups[key] = []
        if len(years) == 1:
            groups[key].append(int(years[0]))
    parts = []
    for key in order:
        ys = sorted(set(groups[key]))
        if not ys:
            parts.append(key)
        elif len(ys) == 1:
            parts.append(key.format(ys[0]))
        else:
            parts.append(key.format(f"{ys[0]}–{ys[-1]}") + f" ({len(ys)} editions)")
    return "; ".join(parts)


def _figure(width: float = 10.0, height: float = 6.2) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    fig.set_facecolor("white")
    return fig


def _caption(fig: Figure, text: str, width: int = 150) -> None:
    wrapped = "\n".join(textwrap.wrap(text, width=width))
    lines = wrapped.count("\n") + 1
    fig.subplots_adjust(bottom=0.1 + 0.028 * lines)
    fig.text(0.01, 0.012, wrapped, fontsize=7.5, color="#444444", va="bottom", ha="left")


def _dicts(rows: Any) -> list[dict[str, Any]]:
    return rows.to_dicts() if hasattr(rows, "to_dicts") else [dict(r) for r in rows]


# --------------------------------------------------------------------------- production shares


def share_table(k: KB, stage: str = "mining", start: int = 2010, end: int = 2024,
                progress: Progress | None = None) -> tuple[dict[int, dict[str, float]], list[str], list[int]]:
    """Each year's shares by country, from `top_producers`: ({year: {country: share}},
    source titles, years whose shares had to be taken from the listed countries' total)."""
    years = list(range(start, end + 1))
    data: dict[int, dict[str, float]] = {}
    sources: list[str] = []
    fallback: list[int] = []
    for i, year in enumerate(years, start=1):
        rows = _dicts(k.ask("top_producers", {"year": year, "stage": stage, "limit": 100}))
        if progress:
            progress(f"top_producers {stage} {year}", i, len(years))
        if not rows:
            continue
        shares = {r["country"]: float(r["share"]) for r in rows if r.get("share") is not None}
        if not shares:  # the edition gives no world total: shares of the countries it lists
            total = sum(r["tonnes"] or 0.0 for r in rows)
            if not total:
                continue
            shares = {r["country"]: (r["tonnes"] or 0.0) / total for r in rows}
            fallback.append(year)
        data[year] = shares
        sources.extend(r["source"] for r in rows if r.get("source"))
    return data, sources, fallback


def production_shares(k: KB, stage: str = "mining", start: int = 2010, end: int = 2024, *, top: int = 6,
                      progress: Progress | None = None) -> Figure:
    """Each country's share of world output over time (stacked), the ``top`` largest
    by name and the rest together, from the canned question `top_producers`."""
    from matplotlib.ticker import PercentFormatter

    if stage not in STAGES:
        raise KBError(f"unknown stage {stage!r} (use {', '.join(STAGES)})")
    if start > end:
        raise KBError(f"--from {start} is after --to {end}")
    data, sources, fallback = share_table(k, stage, start, end, progress)
    if not data:
        raise KBError(f"no {stage} production figures between {start} and {end} (is the KB loaded? `kb load`)")
    years = sorted(data)
    totals: dict[str, float] = {}
    for shares in data.values():
        for c, s in shares.items():
            totals[c] = totals.get(c, 0.0) + s
    last = data[years[-1]]
    named = sorted(totals, key=lambda c: (-totals[c], c))[:top]
    named.sort(key=lambda c: (-last.get(c, 0.0), -totals[c], c))
    series = {c: [100 * data[y].get(c, 0.0) for y in years] for c in named}
    series[_REST] = [max(0.0, 100 - sum(series[c][i] for c in named)) for i in range(len(years))]

    from matplotlib import colormaps

    palette = list(colormaps["tab10"].colors)  # type: ignore[attr-defined]
    colors = [palette[i % len(palette)] for i in range(len(named))] + [(0.78, 0.78, 0.78)]
    labels = [f"{c} ({series[c][-1]:.0f}% in {years[-1]})" for c in named] + [
        f"{_REST} ({series[_REST][-1]:.0f}%)"]

    fig = _figure()
    ax = fig.add_subplot()
    if len(years) >= 3:
        ax.stackplot(years, *series.values(), labels=labels, colors=colors, edgecolor="white", linewidth=0.5)
        ax.set_xlim(years[0], years[-1])
        ax.set_xticks(years if len(years) <= 16 else years[:: max(1, len(years) // 12)])
    else:
        bottom = [0.0] * len(years)
        for (_name, values), label, color in zip(series.items(), labels, colors, strict=True):
            ax.bar(years, values, bottom=bottom, label=label, color=color, edgecolor="white", width=0.6)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(years)
        ax.set_xlim(years[0] - 1.5, years[-1] + 1.5)
    missing = [y for y in range(start, end + 1) if y not in data]
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.set_ylabel("share of world output")
    ax.tick_params(axis="x", labelrotation=45 if len(years) > 8 else 0)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(f"Share of world rare-earth {STAGE_WORDS.get(stage, stage)} by country, "
                 f"{years[0]}–{years[-1]}" if len(years) > 1 else
                 f"Share of world rare-earth {STAGE_WORDS.get(stage, stage)} by country, {years[0]}",
                 loc="left", fontsize=12, fontweight="bold")
    handles, labs = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labs[::-1], loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8.5)
    fig.subplots_adjust(left=0.07, right=0.74, top=0.92)
    notes = [f"Sources: {summarise_sources(sources)}.",
             "Each year from the latest edition that reports it (question top_producers)."]
    if fallback:
        notes.append(f"No world total published for {', '.join(map(str, fallback))}: shares of the countries listed.")
    if missing:
        notes.append(f"No figures for {', '.join(map(str, missing))}.")
    thin = [y for y in years if sum(data[y].values()) < 0.75]
    if thin:
        notes.append(f"In {', '.join(map(str, thin))} the countries in the data account for under 75% of the "
                     "world total the source gives: the grey band there includes producers the data lacks.")
    _caption(fig, " ".join(notes))
    return fig


# --------------------------------------------------------------------------- concentration


def concentration_table(k: KB, stages: Iterable[str] | None = None, start: int | None = None,
                        end: int | None = None, progress: Progress | None = None) -> list[dict[str, Any]]:
    """One row per stage and year with figures: the answer of `supply_concentration`."""
    have = k.read("MATCH (p:Production) RETURN p.stage AS stage, collect(DISTINCT p.year) AS years")
    years_of = {r["stage"]: sorted(set(r["years"])) for r in have}
    wanted = [s for s in (stages or STAGES) if s in years_of]
    todo = [(s, y) for s in wanted for y in years_of[s]
            if (start is None or y >= start) and (end is None or y <= end)]
    out: list[dict[str, Any]] = []
    for i, (stage, year) in enumerate(todo, start=1):
        rows = _dicts(k.ask("supply_concentration", {"year": year, "stage": stage}))
        if progress:
            progress(f"supply_concentration {stage} {year}", i, len(todo))
        for r in rows:
            if r.get("hhi") is not None:
                out.append({"stage": stage, "year": year, **r})
    return out


def concentration(k: KB, *, stages: Iterable[str] | None = None, start: int | None = None,
                  end: int | None = None, progress: Progress | None = None) -> Figure:
    """The Herfindahl-Hirschman index of supply over time, mining beside the processing
    stages (separation, refining, metal, magnets) wherever the data has figures for them."""
    rows = concentration_table(k, stages, start, end, progress)
    if not rows:
        raise KBError("no production figures to measure concentration with (is the KB loaded? `kb load`)")
    fig = _figure()
    ax = fig.add_subplot()
    ax.axhspan(2500, 10000, color="#d62728", alpha=0.06, lw=0)
    ax.axhline(2500, color="#d62728", lw=0.8, ls="--", alpha=0.7)
    ax.text(0.005, 2500, " highly concentrated (HHI > 2,500)", transform=ax.get_yaxis_transform(),
            va="bottom", ha="left", fontsize=8, color="#a61c1c")
    ax.axhline(10000, color="#888888", lw=0.6, ls=":")
    ax.text(0.995, 10000, "one supplier (10,000) ", transform=ax.get_yaxis_transform(),
            va="bottom", ha="right", fontsize=8, color="#555555")
    styles = {"mining": ("#1f77b4", "o"), "separation": ("#ff7f0e", "s"), "refining": ("#2ca02c", "D"),
              "metal": ("#9467bd", "^"), "magnets": ("#8c564b", "P")}
    all_years: list[int] = []
    for stage in STAGES:
        pts = sorted((r for r in rows if r["stage"] == stage), key=lambda r: r["year"])
        if not pts:
            continue
        color, marker = styles[stage]
        xs, ys = [p["year"] for p in pts], [p["hhi"] for p in pts]
        all_years += xs
        last = pts[-1]
        label = STAGE_WORDS[stage].capitalize()
        if stage != "mining":  # a few points: say who leads in the legend, not beside crowded markers
            label += f" (HHI {last['hhi']:,.0f}; {last['top_country']} {100 * last['top_share']:.0f}% in {last['year']})"
        ax.plot(xs, ys, marker=marker, color=color, lw=2 if stage == "mining" else 1.5,
                ms=5 if len(xs) > 1 else 9, label=label)
        if stage == "mining":
            for p in [pts[0], pts[-1]] if len(pts) > 1 else pts:
                ax.annotate(f"{p['top_country']} {100 * p['top_share']:.0f}%", (p["year"], p["hhi"]),
                            textcoords="offset points", xytext=(6, 6), fontsize=8, color=color)
    lo, hi = min(all_years), max(all_years)
    ax.set_xlim(lo - 0.7, hi + 1.3)
    span = list(range(lo, hi + 1))
    ax.set_xticks(span if len(span) <= 16 else span[:: max(1, len(span) // 12)])
    ax.tick_params(axis="x", labelrotation=45 if len(span) > 8 else 0)
    ax.set_ylim(0, 10500)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_ylabel("Herfindahl-Hirschman index (0-10,000)")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("How concentrated rare-earth supply is, by stage", loc="left", fontsize=12, fontweight="bold")
    ax.legend(loc="lower right", frameon=True, framealpha=0.9, edgecolor="#dddddd", fontsize=8.5)
    fig.subplots_adjust(left=0.08, right=0.97, top=0.92)
    stages_seen = [s for s in STAGES if any(r["stage"] == s for r in rows)]
    notes = [f"Sources: {summarise_sources(r['source'] for r in rows)}.",
             "HHI = sum of squared percentage shares of world output (question supply_concentration); "
             "the largest producer and its share are named for the first and last years."]
    if stages_seen == ["mining"]:
        notes.append("The data holds no processing-stage figures.")
    _caption(fig, " ".join(notes))
    return fig


def save(fig: Figure, path: Any) -> None:
    """Write a figure; the format follows the file's suffix (.png, .svg, .pdf)."""
    from pathlib import Path

    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise KBError(f"{p.name}: write charts to a .png, .svg or .pdf file")
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, format=fmt, dpi=150 if fmt == "png" else None)
