"""docs/coverage.md (kb.loaders.coverage): for each data year, the countries the bundled USGS
figures itemise against the countries the chosen table lists, coverage, second-hand counts, and for
each thin year the publications that would fill it. No engine: the table is computed from the data
files and the raw published files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.loaders.coverage import coverage_table, fillers
from kb.tools import docgen

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def test_the_released_years_itemise_every_country_the_table_lists():
    table = {y.year: y for y in coverage_table(DATA, range(2018, 2026))}
    expected = {2018: "usgs-myb-2022", 2019: "usgs-myb-2022", 2020: "usgs-myb-2022", 2021: "usgs-myb-2022",
                2022: "usgs-myb-2022", 2023: "usgs-mcs-2025", 2024: "usgs-mcs-2026", 2025: "usgs-mcs-2026"}
    for year, edition in expected.items():
        y = table[year]
        assert y.edition == edition, year
        assert y.listed and sorted(y.kb_countries) == y.listed and y.missing == [], year
        assert 0.95 <= (y.coverage or 0) <= 1.05, year
        assert y.second_hand == 0 and not y.thin
    assert len(table[2018].listed or []) == 12 and table[2018].label == "MYB 2022"
    assert "MMR" in table[2020].kb_countries and table[2023].other == 1440


def test_years_without_a_stored_table_are_thin_and_name_what_would_fill_them():
    y = {c.year: c for c in coverage_table(DATA, range(2010, 2018))}
    assert all(c.listed is None and c.thin for c in y.values())
    assert y[2014].second_hand == y[2014].figures - 1  # the U.S. figure was read in a copy of the chapter
    assert y[2017].edition == "usgs-mcs-2019" and (y[2017].coverage or 1) < 0.8
    assert fillers(2012)[0].startswith("USGS Minerals Yearbook 2014") and "2010–2014" in fillers(2012)[0]
    assert [f.split(",")[0] for f in fillers(2016)] == [
        "USGS Minerals Yearbook 2017", "USGS Minerals Yearbook 2019", "USGS Mineral Commodity Summaries 2018"]


def test_a_country_the_release_lists_but_the_records_lack_is_named(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "usgs", data / "raw" / "usgs")
    src = (DATA / "production-usgs-mcs2023.csv").read_text(encoding="utf-8")
    kept = [ln for ln in src.splitlines(keepends=True) if not ln.startswith("MMR,2021,")]
    assert len(kept) == len(src.splitlines()) - 1
    (data / "production-usgs-mcs2023.csv").write_text("".join(kept), encoding="utf-8")
    (y,) = coverage_table(data, range(2021, 2022))
    assert y.coverage is not None
    assert y.edition == "usgs-mcs-2023" and y.missing == ["MMR"] and y.coverage == pytest.approx(
        (y.itemised_tonnes) / 290000) and y.coverage < 0.9 and y.thin


def test_the_doc_is_generated_from_the_data():
    text = docgen.coverage_md()
    assert (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8") == text
    assert "| 2018 | MYB 2022 | 12 (" in text and "| 2024 | MCS 2026 | 16 (" in text
    assert "unknown: table not read" in text
    thin = text.split("## Thin years", 1)[1]
    assert [ln[4:8] for ln in thin.splitlines() if ln.startswith("- **")] == [str(y) for y in range(2010, 2018)]
