"""How much of the USGS world mine production table each year the bundled data carries.

For each data year, the figures `top_producers` answers with come from the latest USGS country table
that reports the year with a world total: a Mineral Commodity Summaries edition (``usgs-mcs-YYYY``) or
a Minerals Yearbook table (``usgs-myb-YYYY``), the latest by publication date; the historical series
(Data Series 140, records with a ``basis``) is not a country table and is left out. This module
compares, for that table, the countries the data records itemise with the countries the table lists
(read from the published file kept in ``data/raw/usgs/``; unknown for editions without one in the
repository), the coverage (the itemised tonnes over the world total) and how many of the figures were
read on pages quoting the edition rather than in a copy of it (``second_hand``). For a year whose
coverage is thin it names the publications that would fill it.

`docs/coverage.md` is generated from `coverage_markdown` by ``python -m kb.tools.docgen``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.errors import DataError, Problem
from kb.loaders import usgs
from kb.loaders.read import read_csv

__all__ = ["YearCoverage", "coverage_table", "coverage_markdown", "fillers", "THIN"]

_TABLE = re.compile(r"^usgs-(mcs|myb)-(\d{4})$")
#: below this share of the world total itemised, a year is thin
THIN = 0.95
#: Minerals Yearbook volumes whose rare-earths tables were looked for (2014, 2017, 2019) and not found
#: in a stored copy; each volume's world mine production table covers its year and the four before
_YEARBOOKS_SOUGHT = (2014, 2017, 2019)


@dataclass
class YearCoverage:
    """One data year: the table the KB answers with and what it itemises against what it lists."""

    year: int
    edition: str | None = None  # the Source id of the table: usgs-mcs-2022, usgs-myb-2022
    kb_countries: list[str] = field(default_factory=list)  # ISO3 of the itemised country figures
    listed: list[str] | None = None  # ISO3 of the countries the table lists; None: table not read
    world: float | None = None
    itemised_tonnes: float = 0.0
    other: float | None = None  # the published "Other countries" remainder
    second_hand: int = 0  # country and world figures read on a page quoting the edition
    figures: int = 0  # country and world figures of the edition for the year

    @property
    def label(self) -> str:
        """'MCS 2022', 'MYB 2022' (Minerals Yearbook)."""
        m = _TABLE.match(self.edition or "")
        return f"{m.group(1).upper()} {m.group(2)}" if m else "—"

    @property
    def coverage(self) -> float | None:
        return self.itemised_tonnes / self.world if self.world else None

    @property
    def missing(self) -> list[str]:
        """Countries the table lists that the data records do not itemise."""
        return sorted(set(self.listed or []) - set(self.kb_countries))

    @property
    def thin(self) -> bool:
        """Under THIN of the world total itemised, a listed country missing, or the table not read."""
        return self.coverage is None or self.coverage < THIN or bool(self.missing) or self.listed is None


def fillers(year: int) -> list[str]:
    """The publications that would itemise a thin data year: the Minerals Yearbook rare-earths tables
    whose world production table covers it, and the last MCS edition printing it."""
    out = [f"USGS Minerals Yearbook {v}, Rare Earths tables (world mine production by country, {v - 4}–{v})"
           for v in _YEARBOOKS_SOUGHT if v - 4 <= year <= v]
    out.append(f"USGS Mineral Commodity Summaries {year + 2}, Rare Earths chapter (world mine production table)")
    return out


def _source_dates(data_dir: Path) -> dict[str, str]:
    dates: dict[str, str] = {}
    for path in sorted(Path(data_dir).glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for s in (doc.get("sources") or []) if isinstance(doc, dict) else []:
            if isinstance(s, dict) and "id" in s:
                dates[str(s["id"])] = str(s.get("date", ""))
    return dates


def coverage_table(data_dir: Path, years: range) -> list[YearCoverage]:
    """Coverage of the USGS mine production figures in the data folder `data_dir` for each of `years`
    (the data records ``production-*.csv`` citing a ``usgs-mcs-YYYY`` or ``usgs-myb-YYYY`` Source, and
    the published files under ``raw/usgs/``). Raises DataError if a record file does not read."""
    problems: list[Problem] = []
    rows: dict[int, dict[str, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(Path(data_dir).glob("production-*.csv")):
        for rec in read_csv(path, problems):
            d = rec.data
            sources = d.get("sources") or []
            if not sources or not _TABLE.match(sources[0]) or d.get("stage") != "mining" or d.get("basis"):
                continue
            rows[int(d["year"])][sources[0]].append(d)
    if problems:
        raise DataError(problems)
    dates = _source_dates(data_dir)
    raw = Path(data_dir) / "raw" / "usgs"
    released = {ed.source: ed for ed in usgs.import_files(usgs.release_files(raw))} if raw.is_dir() else {}

    def rank(sid: str, by: dict[str, list[dict[str, str]]]) -> tuple[bool, str, str]:
        # as top_producers: a table with a world total first, then the latest publication
        m = _TABLE.match(sid)
        return any(r["iso3"] == "WLD" for r in by[sid]), dates.get(sid) or (m.group(2) if m else ""), sid

    out = []
    for year in years:
        yc = YearCoverage(year)
        by_source = rows.get(year, {})
        if by_source:
            yc.edition = max(by_source, key=lambda s: rank(s, by_source))
            for r in by_source[yc.edition]:
                yc.figures += 1
                yc.second_hand += r.get("second_hand", "false").casefold() == "true"
                tonnes = float(r["tonnes"]) if "tonnes" in r else None
                if r["iso3"] == "WLD":
                    yc.world = tonnes
                else:
                    yc.kb_countries.append(r["iso3"])
                    yc.itemised_tonnes += tonnes or 0.0
            ed = released.get(yc.edition)
            if ed is not None and ed.files.get("world") is not None:
                yc.listed = sorted({iso3 for _name, iso3 in ed.listed.get(year, [])})
                yc.other = ed.other.get(year)
        out.append(yc)
    return out


def coverage_markdown(data_dir: Path, years: range, banner: str) -> str:
    """docs/coverage.md: the coverage table and, for each thin year, what would fill it."""
    table = coverage_table(data_dir, years)
    lines = [banner, "# Coverage of the USGS world mine production figures", "",
             "For each data year, `top_producers` and `supply_concentration` answer from the latest USGS country",
             "table that reports the year with a world total: a *Mineral Commodity Summaries* (MCS) edition or a",
             "*Minerals Yearbook* (MYB) table, the latest by publication date (the Minerals Yearbook 2022 tables,",
             "posted March 2025, answer for 2018–2022). The historical series (Data Series 140: U.S. and world",
             "totals since 1900, the world on the yearbooks' basis) is a vintage in `figure_vintages`, not a",
             "country table. This table compares, for the table chosen, the countries the bundled data itemises",
             "with the countries the table lists, and says how many of its figures for the year (the world total",
             "included) were read on pages quoting the edition (`second_hand`) instead of in a copy of it.",
             "*Coverage* is the itemised tonnes over the world total (world totals are rounded, so it can exceed",
             "100% a little); the published \"Other countries\" remainder is not a country and is not counted.",
             "Where the repository holds no copy of the table (`data/raw/usgs/` has the MCS 2022–2026 data",
             "releases and the Minerals Yearbook 2022 tables; no primary copy of the 2011–2021 rare-earths",
             "chapters or of earlier yearbook tables has been found), the countries it lists are unknown and the",
             "figures are those recorded in `data/production-usgs.csv`.", "",
             "| data year | table | countries in the KB | countries the table lists | not in the KB | coverage "
             "| \"Other countries\" (t) | second-hand figures |",
             "|---|---|---|---|---|---|---|---|"]
    for y in table:
        if y.edition is None:
            lines.append(f"| {y.year} | — | 0 | unknown | — | — | — | — |")
            continue
        listed = "unknown: table not read" if y.listed is None else str(len(y.listed))
        missing = "—" if y.listed is None else (", ".join(y.missing) or "none")
        coverage = "—" if y.coverage is None else f"{100 * y.coverage:.1f}%"
        other = "—" if y.other is None else f"{y.other:,.0f}"
        second = ("none" if y.second_hand == 0 else f"all {y.figures}" if y.second_hand == y.figures
                  else f"{y.second_hand} of {y.figures}")
        lines.append(f"| {y.year} | {y.label} | {len(y.kb_countries)} ({', '.join(sorted(y.kb_countries))}) "
                     f"| {listed} | {missing} | {coverage} | {other} | {second} |")
    thin = [y for y in table if y.thin]
    lines += ["", "## Thin years and what would fill them", "",
              f"A year is thin when the countries itemised cover less than {THIN:.0%} of the world total, the",
              "table lists a country the data lacks, or the table itself was not read (its countries unknown). The Minerals Yearbook 2014, 2017 and 2019 rare-earths tables",
              "were looked for in stored public repositories and not found; any one of them, kept under",
              "`data/raw/usgs/` with a manifest row, is imported by `kb import usgs-mcs` as the 2022 one is.", ""]
    if not thin:
        lines.append("No thin year.")
    for y in thin:
        cov = "no world total" if y.coverage is None else f"{len(y.kb_countries)} countries, {100 * y.coverage:.1f}% itemised"
        lines.append(f"- **{y.year}** ({y.label}, {cov}): " + "; ".join(fillers(y.year)) + ".")
    lines += ["", "Countries are ISO 3166 alpha-3 codes (MMR: Burma). Regenerate with `python -m kb.tools.docgen` after",
              "changing the production records or importing an edition (`kb import usgs-mcs`).", ""]
    return "\n".join(lines)
