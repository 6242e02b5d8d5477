"""docs/coverage.md (kb.loaders.coverage): for each data year, the countries the bundled USGS
figures itemise against the countries the edition's table lists, coverage and second-hand counts.
No engine: the table is computed from the data files and the raw data releases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.loaders.coverage import coverage_table
from kb.tools import docgen

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def test_the_released_years_itemise_every_country_the_edition_lists():
    table = {y.year: y for y in coverage_table(DATA, range(2020, 2026))}
    for year, edition in {2020: 2022, 2021: 2023, 2022: 2024, 2023: 2025, 2024: 2026, 2025: 2026}.items():
        y = table[year]
        assert y.edition == edition
        assert y.listed and sorted(y.kb_countries) == y.listed and y.missing == []
        assert 0.95 <= (y.coverage or 0) <= 1.05
        assert y.second_hand == 0
    assert "MMR" in table[2020].kb_countries and table[2023].other == 1440


def test_years_without_a_stored_table_say_unknown_and_count_second_hand_figures():
    y = {c.year: c for c in coverage_table(DATA, range(2010, 2020))}
    assert all(c.listed is None for c in y.values())
    assert y[2018].edition == 2020 and y[2018].second_hand == y[2018].figures
    assert y[2014].second_hand == y[2014].figures - 1  # the U.S. figure was read in a copy of the chapter


def test_a_country_the_release_lists_but_the_records_lack_is_named(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA / "raw" / "usgs", data / "raw" / "usgs")
    src = (DATA / "production-usgs-mcs2023.csv").read_text(encoding="utf-8")
    kept = [ln for ln in src.splitlines(keepends=True) if not ln.startswith("MMR,2021,")]
    assert len(kept) == len(src.splitlines()) - 1
    (data / "production-usgs-mcs2023.csv").write_text("".join(kept), encoding="utf-8")
    (y,) = coverage_table(data, range(2021, 2022))
    assert y.edition == 2023 and y.missing == ["MMR"] and y.coverage == pytest.approx(
        (y.itemised_tonnes) / 290000) and y.coverage < 0.9


def test_the_doc_is_generated_from_the_data():
    text = docgen.coverage_md()
    assert (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8") == text
    assert "| 2020 | MCS 2022 | 15 (" in text and "| 2018 | MCS 2020 | 9 (" in text and "unknown: table not read" in text
