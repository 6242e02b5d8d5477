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

import math
import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, get_args

from kb.engines import cypher
from kb.errors import KBError
from kb.schema import Stage

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kb.core import KB

Progress = Callable[[str, int, int], None]

#: the stages in the order material flows (kb.schema.Stage)
STAGES: tuple[str, ...] = get_args(Stage)  # the schema's closed set
STAGE_WORDS = {"mining": "mine production", "concentrate": "concentrate", "separation": "separation",
               "separation-light": "light separation", "separation-heavy": "heavy separation",
               "metal": "metal making", "magnet": "magnet making", "end-use": "end use"}
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


def _caption_lines(text: str, width: int) -> int:
    return len(textwrap.wrap(text, width=width))


def _caption(fig: Figure, text: str, width: int = 150) -> None:
    wrapped = "\n".join(textwrap.wrap(text, width=width))
    lines = wrapped.count("\n") + 1
    fig.subplots_adjust(bottom=0.1 + 0.028 * lines)
    fig.text(0.01, 0.012, wrapped, fontsize=7.5, color="#444444", va="bottom", ha="left")


def _dicts(rows: Any) -> list[dict[str, Any]]:
    return rows.to_dicts() if hasattr(rows, "to_dicts") else [dict(r) for r in rows]


# --------------------------------------------------------------------------- what each year's figures cover

#: the USGS importer (loaders/usgs.py) writes the world row of an edition it imported whole with a note
#: starting "World total" and, where the edition publishes one, "'Other countries' N t published"
_WHOLE_TABLE = re.compile(r"^World total\b")
_OTHER = re.compile(r"'Other countries' ([\d,.]+) t published")
#: below this share of world output in the data, an HHI is drawn as a lower bound
COVERAGE_FLOOR = 0.95
_NUDGE = {"concentrate": -0.3, "separation": -0.22, "separation-light": -0.11, "separation-heavy": 0.0,
          "metal": 0.11, "magnet": 0.22, "end-use": 0.3}

_SHORT = {"U.S. Geological Survey": "USGS", "International Energy Agency": "IEA"}


@dataclass
class YearShares:
    """One year's shares of world output, from the edition `top_producers` chooses.

    ``shares`` are the countries the data itemises; ``other`` the "Other countries" figure the
    edition publishes as one (None when the data does not hold the edition's whole table);
    ``missing`` the part of the world total the data does not account for (0 when the whole
    table is in the data: there the remainder is the published "Other countries" and rounding).
    ``coverage`` is the share of world output the itemised countries account for."""

    year: int
    shares: dict[str, float]
    source: str
    estimated: list[str] = field(default_factory=list)
    other: float | None = None
    missing: float = 0.0
    scaled: bool = False  # the rounded world total was below the sum of the countries: scaled to 100%

    @property
    def coverage(self) -> float:
        return min(1.0, sum(self.shares.values()) + (self.other or 0.0))

    @property
    def whole_table(self) -> bool:
        return self.other is not None


def _world_rows(k: KB, stage: str) -> dict[tuple[int, str], dict[str, Any]]:
    return {(r["year"], r["source"]): r for r in k.read(cypher.world_production(), {"stage": stage})}


def source_line(k: KB, titles: Iterable[str]) -> str:
    """``Source: USGS, Mineral Commodity Summaries 2012–2026: Rare Earths (15 editions).``: the
    publishers (short names) and the titles of the publications the figures come from."""
    titles = [t for t in dict.fromkeys(titles) if t]
    pubs = {r["title"]: r["publisher"] for r in k.read(cypher.publishers_of(), {"titles": titles})} if titles else {}
    by_pub: dict[str, list[str]] = {}
    for t in titles:
        by_pub.setdefault(_SHORT.get(pubs.get(t) or "", pubs.get(t) or ""), []).append(t)
    parts = []
    for pub, ts in by_pub.items():
        text = summarise_sources(t[len(pub) + 1:] if pub and t.startswith(pub + " ") else t for t in ts)
        parts.append((f"{pub}, " if pub else "") + text)
    return ("Sources: " if len(titles) > 1 else "Source: ") + ". ".join(parts) + "."


def year_range(k: KB, stage: str = "mining", start: int | None = None, end: int | None = None) -> tuple[int, int]:
    """``start``/``end``, or the first and last years the data has ``stage`` figures for."""
    if start is not None and end is not None:
        if start > end:
            raise KBError(f"--from {start} is after --to {end}")
        return start, end
    have = k.read(cypher.production_year_range(), {"stage": stage})
    lo, hi = (have[0]["lo"], have[0]["hi"]) if have and have[0]["lo"] is not None else (start or end, end or start)
    if lo is None or hi is None:
        raise KBError(f"no {stage} production figures (is the KB loaded? `kb load`)")
    first, last = (start if start is not None else lo), (end if end is not None else hi)
    if first > last:
        raise KBError(f"--from {first} is after --to {last}")
    return first, last


def year_shares(k: KB, stage: str, year: int, world: dict[tuple[int, str], dict[str, Any]] | None = None
                ) -> YearShares | None:
    """The shares of one year (None when the data has no figures for it)."""
    rows = _dicts(k.ask("top_producers", {"year": year, "stage": stage, "limit": 1000}))
    if not rows:
        return None
    source = str(rows[0]["source"])
    shares = {r["country"]: float(r["share"]) for r in rows if r.get("share") is not None}
    scaled = False
    w = (world if world is not None else _world_rows(k, stage)).get((year, source))
    if not shares:  # no world total in the edition: shares of the countries it lists
        total = sum(r["tonnes"] or 0.0 for r in rows)
        if not total:
            return None
        shares = {r["country"]: (r["tonnes"] or 0.0) / total for r in rows}
        scaled = True
    other: float | None = None
    note = str((w or {}).get("note") or "")
    if w and w.get("tonnes") and _WHOLE_TABLE.search(note):
        m = _OTHER.search(note)
        other = float(m.group(1).replace(",", "")) / float(w["tonnes"]) if m else 0.0
    total = sum(shares.values()) + (other or 0.0)
    if total > 1.0:  # world totals are rounded; the parts may add to a little more
        shares = {c: s / total for c, s in shares.items()}
        other = other / total if other is not None else None
        scaled, total = True, 1.0
    missing = 0.0 if other is not None else max(0.0, 1.0 - total)
    if other is not None:  # the whole table is in the data: what is left is rounding of the world total
        other = max(other, 1.0 - sum(shares.values()))
    return YearShares(year, shares, source, [r["country"] for r in rows if r.get("estimated")], other, missing, scaled)


def share_table(k: KB, stage: str = "mining", start: int | None = None, end: int | None = None,
                progress: Progress | None = None) -> list[YearShares]:
    """Each year's shares by country between ``start`` and ``end`` (default: every year with figures)."""
    start, end = year_range(k, stage, start, end)
    world = _world_rows(k, stage)
    years = list(range(start, end + 1))
    out: list[YearShares] = []
    for i, year in enumerate(years, start=1):
        ys = year_shares(k, stage, year, world)
        if progress:
            progress(f"top_producers {stage} {year}", i, len(years))
        if ys is not None:
            out.append(ys)
    return out


def _span(start: int, end: int) -> str:
    return f"{start}–{end}" if start != end else str(start)


def _estimate_ticks(ax: Any, years: list[int], estimated: set[int]) -> None:
    ticks = years if len(years) <= 16 else years[:: max(1, len(years) // 12)]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{y}e" if y in estimated else str(y) for y in ticks])


def _chart() -> tuple[Figure, Any]:
    """A time-series chart's figure and its one axes (the size the three time-series charts share)."""
    fig = _figure(10.5, 6.4)
    return fig, fig.add_subplot()


def _finish(fig: Figure, ax: Any, title: str, notes: list[str], *, right: float, left: float = 0.08,
            legend: dict[str, Any], reverse: bool = False) -> Figure:
    """Title, legend, margins and the caption of sources and notes below the chart, the same for
    every time-series chart; ``reverse`` lists the legend bottom up (a stack reads top down)."""
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    if reverse:
        handles, labs = ax.get_legend_handles_labels()
        ax.legend(handles[::-1], labs[::-1], **legend)
    else:
        ax.legend(**legend)
    fig.subplots_adjust(left=left, right=right, top=0.92)
    _caption(fig, " ".join(notes), width=165)
    return fig


# --------------------------------------------------------------------------- production shares

_OTHER_LABEL = "Other countries"
_MISSING_LABEL = "Not in the data"


def production_shares(k: KB, stage: str = "mining", start: int | None = None, end: int | None = None, *,
                      top: int = 6, progress: Progress | None = None) -> Figure:
    """Each country's share of world output over time (stacked), the ``top`` largest
    by name; the "Other countries" the source publishes as one figure apart from what
    the data lacks (hatched); years with estimated figures marked "e"."""
    first, last, table = _share_years(k, stage, start, end, progress)
    named, stack = _share_stack(table, top)
    fig, ax = _chart()
    _draw_share_bars(ax, table, named, stack)
    _share_axes(ax, table)
    title = f"Share of world rare-earth {STAGE_WORDS.get(stage, stage)} by country, {_span(first, last)}"
    legend = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False, "fontsize": 8.5}
    return _finish(fig, ax, title, _share_notes(k, table, first, last), left=0.07, right=0.74, legend=legend,
                   reverse=True)


def _share_years(k: KB, stage: str, start: int | None, end: int | None,
                 progress: Progress | None) -> tuple[int, int, list[YearShares]]:
    """The years asked for (or every year with figures) and their shares; an error naming the
    stage and years when the data has none."""
    if stage not in STAGES:
        raise KBError(f"unknown stage {stage!r} (use {', '.join(STAGES)})")
    if start is not None and end is not None and start > end:
        raise KBError(f"--from {start} is after --to {end}")
    try:
        first, last = year_range(k, stage, start, end)
    except KBError:
        raise KBError(f"no {stage} production figures between {start} and {end} "
                      "(is the KB loaded? `kb load`)") from None
    table = share_table(k, stage, first, last, progress)
    if not table:
        raise KBError(f"no {stage} production figures between {first} and {last} (is the KB loaded? `kb load`)")
    return first, last, table


def _share_stack(table: Sequence[YearShares], top: int) -> tuple[list[str], list[list[float]]]:
    """The ``top`` countries by total share (ordered by their last year's share) and the stack of
    percentages a year: one row per named country, then the other countries, then what the data lacks."""
    totals: dict[str, float] = {}
    for t in table:
        for c, s in t.shares.items():
            totals[c] = totals.get(c, 0.0) + s
    final = table[-1].shares
    named = sorted(totals, key=lambda c: (-totals[c], c))[:top]
    named.sort(key=lambda c: (-final.get(c, 0.0), -totals[c], c))
    series = [[100 * t.shares.get(c, 0.0) for t in table] for c in named]
    rest = [100 * (sum(t.shares.values()) - sum(t.shares.get(c, 0.0) for c in named) + (t.other or 0.0))
            for t in table]
    missing = [100 * t.missing for t in table]
    return named, [*series, rest, missing]


def _draw_share_bars(ax: Any, table: Sequence[YearShares], named: list[str], stack: list[list[float]]) -> None:
    """One stacked bar a year (a country the data lacks in a year is not drawn as a fall to zero
    between years), what the data lacks hatched on top and labelled where it is 4% or more."""
    from matplotlib import colormaps

    years = [t.year for t in table]
    palette = list(colormaps["tab10"].colors)  # type: ignore[attr-defined]
    colors = [palette[i % len(palette)] for i in range(len(named))]
    rest, missing = stack[-2], stack[-1]
    labels = [f"{c} ({v[-1]:.0f}% in {years[-1]})" for c, v in zip(named, stack, strict=False)]
    all_labels = [*labels, f"{_OTHER_LABEL} ({rest[-1]:.1f}% in {years[-1]})",
                  f"{_MISSING_LABEL} ({missing[-1]:.0f}% in {years[-1]})"]
    all_colors = [*colors, (0.72, 0.72, 0.72), (1.0, 1.0, 1.0)]
    bottom = [0.0] * len(years)
    for i, (values, label, color) in enumerate(zip(stack, all_labels, all_colors, strict=True)):
        gap = i == len(stack) - 1
        ax.bar(years, values, bottom=bottom, label=label, color=color, width=0.82,
               edgecolor="#b22222" if gap else "white", hatch="////" if gap else None, linewidth=0.0 if gap else 0.4)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    for t, m in zip(table, missing, strict=True):  # say how much is missing where it matters
        if m >= 4:
            ax.text(t.year, 100 - m / 2, f"{m:.0f}%", ha="center", va="center", fontsize=7.5, color="#8b1a1a",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9})


def _share_axes(ax: Any, table: Sequence[YearShares]) -> None:
    """Years (estimated ones marked "e") and a 0-100% share axis."""
    from matplotlib.ticker import PercentFormatter

    years = [t.year for t in table]
    _estimate_ticks(ax, years, {t.year for t in table if t.estimated})
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.set_ylabel("share of world output")
    ax.tick_params(axis="x", labelrotation=45 if len(years) > 8 else 0)
    ax.grid(axis="y", alpha=0.3)


def _share_notes(k: KB, table: Sequence[YearShares], first: int, last: int) -> list[str]:
    """The caption of the shares chart: sources, years without figures, estimates, what is hatched, scaling."""
    years = [t.year for t in table]
    notes = [source_line(k, (t.source for t in table)),
             "Each year from the latest edition that reports it (question top_producers)."]
    gaps = [y for y in range(first, last + 1) if y not in years]
    if gaps:
        notes.append(f"No figures for {_years(gaps)}.")
    if any(t.estimated for t in table):
        notes.append(f"e: the source marks figures of that year as estimates ({_estimated(table)}).")
    short = [t.year for t in table if t.missing >= 0.005]
    if short:
        notes.append(f"Hatched, not in the data: the part of the world total that no country in the data accounts for "
                     f"({_years(short)}: the data holds only some of the edition's countries). Other countries: the "
                     "smaller producers the data itemises and the source's own 'Other countries' figure.")
    scaled = [t.year for t in table if t.scaled]
    if scaled:
        notes.append(f"The countries add to more than the rounded world total (or no total is published) in "
                     f"{_years(scaled)}: shares scaled to 100%.")
    return notes


def _years(ys: Iterable[int]) -> str:
    """2010–2013, 2015, 2019: runs of consecutive years folded."""
    ys = sorted(set(ys))
    runs: list[list[int]] = []
    for y in ys:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(_span(r[0], r[-1]) for r in runs)


def _estimated(table: Sequence[YearShares]) -> str:
    by: dict[tuple[str, ...], list[int]] = {}
    for t in table:
        if t.estimated:
            by.setdefault(tuple(sorted(t.estimated)) if len(t.estimated) <= 2 else ("most countries",), []).append(t.year)
    return "; ".join(f"{_years(ys)}: {', '.join(cs)}" for cs, ys in by.items())


# --------------------------------------------------------------------------- concentration


def concentration_table(k: KB, stages: Iterable[str] | None = None, start: int | None = None,
                        end: int | None = None, progress: Progress | None = None) -> list[dict[str, Any]]:
    """One row per stage and year with figures: the answer of `supply_concentration`, with
    ``coverage`` (the share of world output the countries in the data account for, from
    `top_producers`), ``lower_bound`` (coverage under 95%: the HHI can only be higher) and
    ``estimated`` (countries whose figures the source marks as estimates)."""
    have = k.read(cypher.production_years_by_stage())
    years_of = {r["stage"]: sorted(set(r["years"])) for r in have}
    wanted = [s for s in (stages or STAGES) if s in years_of]
    todo = [(s, y) for s in wanted for y in years_of[s]
            if (start is None or y >= start) and (end is None or y <= end)]
    worlds = {s: _world_rows(k, s) for s in wanted}
    out: list[dict[str, Any]] = []
    for i, (stage, year) in enumerate(todo, start=1):
        rows = _dicts(k.ask("supply_concentration", {"year": year, "stage": stage}))
        ys = year_shares(k, stage, year, worlds[stage])
        if progress:
            progress(f"supply_concentration {stage} {year}", i, len(todo))
        for r in rows:
            if r.get("hhi") is not None:
                coverage = ys.coverage if ys is not None else None
                out.append({"stage": stage, "year": year, **r, "coverage": coverage,
                            "lower_bound": coverage is not None and coverage < COVERAGE_FLOOR,
                            "estimated": ys.estimated if ys is not None else []})
    return out


def concentration(k: KB, *, stages: Iterable[str] | None = None, start: int | None = None,
                  end: int | None = None, progress: Progress | None = None) -> Figure:
    """The Herfindahl-Hirschman index of supply over time, mining beside the processing
    stages (separation, refining, metal, magnets) wherever the data has figures for them.
    Where the countries in the data cover under 95% of world output the HHI is a lower
    bound (hollow marker, arrow up); years with estimated figures are marked "e"."""
    if start is not None or end is not None:
        start, end = year_range(k, "mining", start, end)
    rows = concentration_table(k, stages, start, end, progress)
    if not rows:
        raise KBError("no production figures to measure concentration with (is the KB loaded? `kb load`)")
    fig, ax = _chart()
    _hhi_bands(ax)
    any_bound = False
    for stage in STAGES:
        pts = sorted((r for r in rows if r["stage"] == stage), key=lambda r: r["year"])
        if pts:
            any_bound = _draw_stage_hhi(ax, stage, pts) or any_bound
    if any_bound:
        ax.plot([], [], ls="none", marker="o", mfc="white", mec="#444444", mew=1.5,
                label=f"lower bound: the countries in the data cover under {COVERAGE_FLOOR:.0%} of world output")
    years = [r["year"] for r in rows]
    lo, hi = (start, end) if start is not None and end is not None else (min(years), max(years))
    span = list(range(lo, hi + 1))
    estimated = {r["year"] for r in rows if r["estimated"] and r["stage"] == "mining"}
    _hhi_axes(ax, span, estimated)
    title = f"How concentrated rare-earth supply is, by stage, {_span(lo, hi)}"
    legend = {"loc": "lower right", "frameon": True, "framealpha": 0.9, "edgecolor": "#dddddd", "fontsize": 8.5}
    return _finish(fig, ax, title, _concentration_notes(k, rows, span, estimated), right=0.97, legend=legend)


#: each stage's colour and marker in the concentration chart
_STAGE_STYLE = {"mining": ("#1f77b4", "o"), "concentrate": ("#17becf", "v"), "separation": ("#ff7f0e", "s"),
                "separation-light": ("#2ca02c", "D"), "separation-heavy": ("#d62728", "X"),
                "metal": ("#9467bd", "^"), "magnet": ("#8c564b", "P"), "end-use": ("#7f7f7f", "*")}


def _hhi_bands(ax: Any) -> None:
    """The "highly concentrated" band above 2,500 and the one-supplier line at 10,000."""
    ax.axhspan(2500, 10000, color="#d62728", alpha=0.06, lw=0)
    ax.axhline(2500, color="#d62728", lw=0.8, ls="--", alpha=0.7)
    ax.text(0.005, 2500, " highly concentrated (HHI > 2,500)", transform=ax.get_yaxis_transform(),
            va="bottom", ha="left", fontsize=8, color="#a61c1c")
    ax.axhline(10000, color="#888888", lw=0.6, ls=":")
    ax.text(0.995, 10000, "one supplier (10,000) ", transform=ax.get_yaxis_transform(),
            va="bottom", ha="right", fontsize=8, color="#555555")


def _draw_stage_hhi(ax: Any, stage: str, pts: list[dict[str, Any]]) -> bool:
    """One stage's HHI line (``pts`` by year), lower bounds hollow with an arrow up, mining's
    leader named at its first and last years; whether any point is a lower bound."""
    color, marker = _STAGE_STYLE[stage]
    dx = _NUDGE.get(stage, 0.0)  # processing stages share few years: keep their markers apart
    xs, ys = [p["year"] + dx for p in pts], [p["hhi"] for p in pts]
    last = pts[-1]
    label = STAGE_WORDS[stage].capitalize()
    if stage != "mining":  # a few points: say who leads in the legend, not beside crowded markers
        label += f" (HHI {last['hhi']:,.0f}; {last['top_country']} {100 * last['top_share']:.0f}% in {last['year']})"
    size = 5 if len(xs) > 1 else 9
    ax.plot(xs, ys, color=color, lw=2 if stage == "mining" else 1.5, label=label, marker=marker, ms=size,
            markevery=[i for i, p in enumerate(pts) if not p["lower_bound"]])
    bound = [p for p in pts if p["lower_bound"]]
    if bound:
        ax.plot([p["year"] + dx for p in bound], [p["hhi"] for p in bound], ls="none", marker=marker, ms=size + 1,
                mfc="white", mec=color, mew=1.5)
        for p in bound:
            ax.annotate("", xy=(p["year"] + dx, p["hhi"] + 650), xytext=(p["year"] + dx, p["hhi"] + 120),
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.0})
    if stage == "mining":
        for p, off in [(pts[0], (-4, 10)), (pts[-1], (6, -14))] if len(pts) > 1 else [(pts[0], (6, -14))]:
            ax.annotate(f"{p['top_country']} {100 * p['top_share']:.0f}%", (p["year"], p["hhi"]),
                        textcoords="offset points", xytext=off, fontsize=8, color=color)
    return bool(bound)


def _hhi_axes(ax: Any, span: list[int], estimated: set[int]) -> None:
    """The years of ``span`` (estimated ones marked "e") and the 0-10,000 HHI axis."""
    ax.set_xlim(span[0] - 0.7, span[-1] + 1.3)
    _estimate_ticks(ax, span, estimated)
    ax.tick_params(axis="x", labelrotation=45 if len(span) > 8 else 0)
    ax.set_ylim(0, 10500)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_ylabel("Herfindahl-Hirschman index (0-10,000)")
    ax.grid(axis="y", alpha=0.3)


def _concentration_notes(k: KB, rows: list[dict[str, Any]], span: list[int], estimated: set[int]) -> list[str]:
    """The caption of the concentration chart: sources, what HHI is, lower bounds, estimates, gaps."""
    notes = [source_line(k, (r["source"] for r in rows)),
             "HHI = sum of squared percentage shares of world output (question supply_concentration); "
             "the largest producer and its share are named for the first and last years."]
    bounds = [r for r in rows if r["lower_bound"]]
    if bounds:
        notes.append("Hollow markers with an arrow: the countries in the data account for under 95% of the "
                     "world total (" + ", ".join(f"{r['year']} {math.floor(100 * r['coverage'])}%" for r in bounds
                                                 if r["stage"] == "mining")
                     + "), so the HHI is a lower bound; the dips there are partly missing data.")
    if estimated:
        notes.append("e: the source marks mine production figures of that year as estimates.")
    gaps = [y for y in span if y not in {r["year"] for r in rows}]
    if gaps:
        notes.append(f"No figures for {_years(gaps)}.")
    if [s for s in STAGES if any(r["stage"] == s for r in rows)] == ["mining"]:
        notes.append("The data holds no processing-stage figures.")
    return notes


# --------------------------------------------------------------------------- prices


def price_table(k: KB, symbols: Sequence[str] | None = None, start: int | None = None,
                end: int | None = None) -> list[dict[str, Any]]:
    """The answer of `prices` (one row per series and year, from the latest edition that
    publishes it) for each of ``symbols`` (any name of an element; none: every series)."""
    if start is not None and end is not None and start > end:
        raise KBError(f"--from {start} is after --to {end}")
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    wanted: list[str | None] = list(symbols) if symbols else [None]
    for sym in wanted:
        for r in _dicts(k.ask("prices", {"symbol": sym, "from_year": start, "to_year": end})):
            rows[(r["series"], r["year"])] = r
    return [rows[key] for key in sorted(rows)]


def prices(k: KB, symbols: Sequence[str] | None = None, start: int | None = None, end: int | None = None, *,
           log: bool = False) -> Figure:
    """Average rare-earth prices over time (US$/kg), one line per series (oxides, NdPr oxide,
    mischmetal) from the question `prices`: each year from the latest edition that publishes it.
    Estimated figures are hollow markers with an "e"; where the edition a line's figures come
    from changes, the joining segment is dotted (editions may price a different grade).
    ``log``: a logarithmic price axis (the series span three orders of magnitude)."""
    from matplotlib import colormaps

    rows = price_table(k, symbols, start, end)
    if not rows:
        what = f" for {', '.join(symbols)}" if symbols else ""
        span = f" between {start or '…'} and {end or '…'}" if start is not None or end is not None else ""
        raise KBError(f"no prices{what}{span} (is the KB loaded? `kb load`)")
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["series"], []).append(r)
    # the dearest first: the legend reads top to bottom like the lines at the right end
    order = sorted(by, key=lambda s: (-by[s][-1]["usd_per_kg"], s))
    palette = list(colormaps["tab20"].colors)  # type: ignore[attr-defined]
    fig, ax = _chart()
    for i, series in enumerate(order):
        color = palette[(2 * i) % 20 if i < 10 else (2 * (i - 10) + 1) % 20]
        _draw_price_line(ax, series, sorted(by[series], key=lambda r: r["year"]), color)
    if any(r.get("estimated") for r in rows):
        ax.plot([], [], ls="none", marker="o", ms=6, mfc="white", mec="#444444", mew=1.4,
                label="estimated (year marked e)")
    years = sorted({r["year"] for r in rows})
    lo, hi = years[0], years[-1]
    ax.set_xlim(lo - 0.5, hi + 0.5)
    _estimate_ticks(ax, list(range(lo, hi + 1)), {r["year"] for r in rows if r.get("estimated")})
    _price_axis(ax, log)
    what = "oxide prices" if all(s.endswith("oxide") for s in order) else "prices"
    legend = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False, "fontsize": 8.5}
    return _finish(fig, ax, f"Rare-earth {what}, {_span(lo, hi)}", _price_notes(k, rows), right=0.70, legend=legend)


def _draw_price_line(ax: Any, series: str, pts: list[dict[str, Any]], color: Any) -> None:
    """One series' prices (``pts`` by year): solid within an edition, dotted across editions,
    estimated figures hollow; its legend entry names the last price."""
    xs, ys = [p["year"] for p in pts], [p["usd_per_kg"] for p in pts]
    last = pts[-1]
    label = f"{series} (${last['usd_per_kg']:,.{2 if last['usd_per_kg'] < 10 else 0}f} in {last['year']})"
    ax.plot([], [], color=color, marker="o", ms=4, lw=1.6, label=label)
    for a, b in zip(pts, pts[1:], strict=False):
        same = a["source"] == b["source"] and b["year"] == a["year"] + 1
        ax.plot([a["year"], b["year"]], [a["usd_per_kg"], b["usd_per_kg"]], color=color, lw=1.6,
                ls="-" if same else ":")
    firm = [(x, y) for x, y, p in zip(xs, ys, pts, strict=True) if not p.get("estimated")]
    est = [(x, y) for x, y, p in zip(xs, ys, pts, strict=True) if p.get("estimated")]
    if firm:
        ax.plot(*zip(*firm, strict=True), ls="none", marker="o", ms=4, color=color)
    if est:
        ax.plot(*zip(*est, strict=True), ls="none", marker="o", ms=6, mfc="white", mec=color, mew=1.4)


def _price_axis(ax: Any, log: bool) -> None:
    """The US$/kg axis, linear from 0 or logarithmic with 1-2-5 ticks."""
    if log:
        from matplotlib.ticker import LogLocator, NullFormatter

        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    else:
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_ylabel("average price, US$ per kg" + (" (log scale)" if log else ""))
    ax.grid(axis="y", alpha=0.3, which="major")


def _price_notes(k: KB, rows: list[dict[str, Any]]) -> list[str]:
    """The caption of the price chart: sources, what the figures are, grades, estimates."""
    grades = {r["series"]: r["grade"] for r in rows if r.get("grade")}
    notes = [source_line(k, (r["source"] for r in rows)),
             "Averages as published, current US$ per kg (question prices); each year from the latest edition "
             "that publishes it. Dotted: the figures on either side come from different editions, which may "
             "state different grades."]
    if grades:
        notes.append("Grades: " + "; ".join(f"{s} {g}" for s, g in sorted(grades.items())) + ".")
    ungraded = sorted({r["year"] for r in rows if not r.get("grade")})
    if ungraded and grades:
        notes.append(f"No grade stated for {_years(ungraded)}.")
    est_years = sorted({int(r["year"]) for r in rows if r.get("estimated")})
    if est_years:
        notes.append(f"e, hollow markers: the edition marks {_years(est_years)} figures as estimates.")
    return notes


# --------------------------------------------------------------------------- import dependence

_NO_TRADE = ("no trade figures for {who} in {year} (import some: `kb import comtrade FILE.csv` "
             "or `kb import baci FILE.csv --countries country_codes.csv`; the KB has {coverage})")
#: the basis `import_dependence` gives when it falls back to world mine production
_FALLBACK = "world mine production"


def dependence_table(k: KB, importer: str, year: int, hs: str | None = None) -> list[dict[str, Any]]:
    """The answer of `import_dependence` from trade: the importer's sources in ``year``, largest
    first; an error saying what the KB covers where the question falls back to mine production."""
    rows = _dicts(k.ask("import_dependence", {"importer": importer, "year": year, "hs": hs}))
    if not rows or str(rows[0]["basis"]).startswith(_FALLBACK):
        coverage = rows[0]["coverage"] if rows else "no trade figures for it"
        raise KBError(_NO_TRADE.format(who=importer, year=f"{year}{f' (HS {hs})' if hs else ''}", coverage=coverage))
    return rows


def dependence(k: KB, importer: str, year: int, hs: str | None = None, *, top: int = 12) -> Figure:
    """Where an importer's rare-earth imports come from in ``year`` (question
    `import_dependence`, after a trade import): each partner's share by value, largest first,
    partners with an export restriction in force that year marked (red, hatched)."""
    rows = dependence_table(k, importer, year, hs)
    rows = [r for r in rows if r.get("value_share") is not None] or rows
    shown = rows[:top]
    rest = rows[top:]
    names = [f"{r['partner']} ({r['iso3']})" for r in shown]
    shares = [100 * (r.get("value_share") or 0.0) for r in shown]
    if rest:
        names.append(f"{len(rest)} other partners")
        shares.append(100 * sum(r.get("value_share") or 0.0 for r in rest))
    restricted = [bool(r["restricted"]) for r in shown] + ([False] if rest else [])
    height = max(4.6, 2.6 + 0.42 * len(names))
    fig = _figure(10.0, height)
    ax = fig.add_subplot()
    ypos = list(range(len(names)))[::-1]
    for y, share, bad in zip(ypos, shares, restricted, strict=True):
        ax.barh(y, share, color="#c0392b" if bad else "#4c72b0", hatch="///" if bad else None,
                edgecolor="white", height=0.7)
        ax.text(share + 0.8, y, f"{share:.1f}%" + ("  export restriction in force" if bad else ""),
                va="center", fontsize=8.5, color="#8b1a1a" if bad else "#333333")
    ax.set_yticks(ypos)
    ax.set_yticklabels(names)
    ax.set_xlim(0, 118)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0f}%" if v <= 100 else "")
    ax.set_xlabel("share of imports by value")
    ax.grid(axis="x", alpha=0.3)
    first = rows[0]
    who = k.resolver().resolve(importer, ("Country",)).name  # `import_dependence` resolved it already
    what = f"HS {hs}" if hs else "HS 280530, 284610, 284690 and 850511"
    fig.text(0.01, 1 - 0.12 / height, f"Where {who}'s rare-earth imports came from, {year}", fontsize=12,
             fontweight="bold", va="top", ha="left")
    fig.text(0.01, 1 - 0.42 / height, f"{what}, by value. HHI of its sources {first['hhi']:,.0f}; "
             f"{100 * (first.get('restricted_share') or 0.0):.0f}% from partners with an export restriction in force.",
             fontsize=9, color="#444444", va="top", ha="left")
    notes = [source_line(k, (r["source"] for r in rows)),
             f"Figures {first['basis']} (question import_dependence); shares of the imports by value that the "
             "source itemises by partner. Red, hatched: the partner had a quota, ban, export control or "
             "licence requirement in force that year."]
    _caption(fig, " ".join(notes), width=150)
    lines = _caption_lines(" ".join(notes), 150)
    fig.subplots_adjust(left=0.22, right=0.97, top=1 - 0.75 / height, bottom=(0.62 + 0.15 * lines) / height)
    return fig


def chain(k: KB, symbol: str) -> Figure:
    """One element's chain as layers, mines to end uses, China's part in red (kb.chainplot)."""
    from kb.chainplot import chain_figure

    return chain_figure(k, symbol)


def save(fig: Figure, path: Any) -> None:
    """Write a figure; the format follows the file's suffix (.png, .svg, .pdf)."""
    from pathlib import Path

    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("png", "svg", "pdf"):
        raise KBError(f"{p.name}: write charts to a .png, .svg or .pdf file")
    p.parent.mkdir(parents=True, exist_ok=True)
    import matplotlib

    # SVG keeps its text as <text> (selectable, editable), not outlines; PDF embeds TrueType fonts
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        fig.savefig(p, format=fmt, dpi=150 if fmt == "png" else None)
