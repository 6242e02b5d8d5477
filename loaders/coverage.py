"""How much of the USGS world mine production table each year the bundled data carries.

For each data year, the figures `top_producers` answers with come from the latest USGS Mineral
Commodity Summaries edition that reports the year (one with a world total first). This module
compares, for that edition, the countries the data records itemise with the countries the edition's
table lists (read from the data release kept in ``data/raw/usgs/``; unknown for editions without one
in the repository), the coverage (the itemised tonnes over the world total) and how many of the
figures were read on pages quoting the edition rather than in a copy of it (``second_hand``).

`docs/coverage.md` is generated from `coverage_table` by ``python -m kb.tools.docgen``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import DataError, Problem
from kb.loaders import usgs
from kb.loaders.read import read_csv

__all__ = ["YearCoverage", "coverage_table"]

_EDITION = re.compile(r"^usgs-mcs-(\d{4})$")


@dataclass
class YearCoverage:
    """One data year: the edition the KB answers with and what it itemises against what it lists."""

    year: int
    edition: int | None = None
    kb_countries: list[str] = field(default_factory=list)  # ISO3 of the itemised country figures
    listed: list[str] | None = None  # ISO3 of the countries the edition lists; None: table not read
    world: float | None = None
    itemised_tonnes: float = 0.0
    other: float | None = None  # the published "Other countries" remainder
    second_hand: int = 0  # country and world figures read on a page quoting the edition
    figures: int = 0  # country and world figures of the edition for the year

    @property
    def coverage(self) -> float | None:
        return self.itemised_tonnes / self.world if self.world else None

    @property
    def missing(self) -> list[str]:
        """Countries the edition lists that the data records do not itemise."""
        return sorted(set(self.listed or []) - set(self.kb_countries))


def coverage_table(data_dir: Path, years: range) -> list[YearCoverage]:
    """Coverage of the USGS mine production figures in the data folder `data_dir` for each of `years`
    (the data records ``production-*.csv`` citing a ``usgs-mcs-YYYY`` Source, and the data releases
    under ``raw/usgs/``). Raises DataError if a record file does not read."""
    problems: list[Problem] = []
    # year -> edition -> rows
    rows: dict[int, dict[int, list[dict[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(Path(data_dir).glob("production-*.csv")):
        for rec in read_csv(path, problems):
            d = rec.data
            sources = d.get("sources") or []
            m = _EDITION.match(sources[0]) if sources else None
            if m is None or d.get("stage") != "mining":
                continue
            rows[int(d["year"])][int(m.group(1))].append(d)
    if problems:
        raise DataError(problems)
    raw = Path(data_dir) / "raw" / "usgs"
    released = {ed.edition: ed for ed in usgs.import_files(usgs.world_files(raw))} if raw.is_dir() else {}
    out = []
    for year in years:
        yc = YearCoverage(year)
        by_edition = rows.get(year, {})
        if by_edition:
            # as top_producers: an edition with a world total first, then the latest
            yc.edition = max(by_edition, key=lambda e: (any(r["iso3"] == "WLD" for r in by_edition[e]), e))
            for r in by_edition[yc.edition]:
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
