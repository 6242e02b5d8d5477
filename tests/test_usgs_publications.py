"""The USGS publications beyond the MCS data releases and the official Chinese quotas: the Minerals
Yearbook 2022 tables (Table 8), Data Series 140, U.S. production from the MCS salient statistics, the
MCS 2026 corrections of its revision history, China's quotas, and no figure resting on a forum,
podcast, tour operator, stock-promotion or company page. Records are regenerated from the raw files
(tests/test_usgs_import.py checks the bundled files byte for byte); the answers run on both engines."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kb.loaders import usgs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RAW = DATA / "raw" / "usgs"
MYB = RAW / "myb2022" / "myb1-2022-raree-ert.xlsx"
DS140 = RAW / "ds140" / "ds140-rare-earths-2020.xlsx"


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(
        ln for ln in path.read_text(encoding="utf-8").splitlines(keepends=True) if not ln.startswith("#")))))


def _t8() -> dict[str, list[object]]:
    """Table 8 as the sheet holds it, read with pandas (not the importer): first cell -> the row."""
    pd = pytest.importorskip("pandas")
    sheet = pd.read_excel(MYB, sheet_name="T8", header=None, keep_default_na=False)
    return {str(r[0]): list(r) for r in sheet.itertuples(index=False) if isinstance(r[0], str)}


# ----------------------------------------------------------------- Minerals Yearbook 2022, Table 8


def test_table8_is_read_with_its_footnotes_and_marks():
    ed = usgs.read_workbook(MYB)
    got = {(r["iso3"], int(r["year"])): r for r in ed.production}
    t8 = _t8()
    # China: the official quota (footnote 3); 2022 marked e beside the value
    assert got["CHN", 2022]["tonnes"] == str(t8["China3"][10]) == "210000"
    assert got["CHN", 2022]["estimated"] == "true" and got["CHN", 2021]["estimated"] == "false"
    assert "Official production quota" in got["CHN", 2021]["note"]
    # Thailand and Vietnam: REO content of exports (footnote 5); the whole row estimated (e on the name)
    for iso3 in ("THA", "VNM"):
        assert all(got[iso3, y]["note"] == "Rare-earth oxide content of exports" for y in range(2018, 2023))
        assert all(got[iso3, y]["estimated"] == "true" for y in range(2018, 2023))
    # revised marks, zero for '--', the U.S. footnote 6 beside 2021 and 2022 only
    assert got["MDG", 2021]["revised"] == "true" and got["MDG", 2022]["revised"] == "false"
    assert got["WLD", 2021]["revised"] == "true" and got["WLD", 2021]["tonnes"] == "290000"
    assert got["BDI", 2022]["tonnes"] == "0" and t8["Burundi"][10] == "--"
    assert "Excludes monazite" in got["USA", 2022]["note"] and "Excludes monazite" not in got["USA", 2020]["note"]
    assert got["USA", 2018]["tonnes"] == "14000" and got["USA", 2018]["estimated"] == "true"
    # every country row of the sheet, five years each, plus the total
    countries = [k for k in t8 if isinstance(t8[k][2], (int, float)) and k != "Total" and not k.startswith("Country")]
    assert len(countries) == 12
    assert len(ed.production) == 13 * 5 and {r["year"] for r in ed.production} == {str(y) for y in range(2018, 2023)}
    assert ed.source == "usgs-myb-2022"


def test_a_workbook_without_the_table_is_refused_naming_the_file(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active["A1"] = "TABLE 1"
    p = tmp_path / "myb1-2019-raree.xlsx"
    wb.save(p)
    with pytest.raises(usgs.UsgsImportError, match=r"myb1-2019-raree\.xlsx: no sheet titled"):
        usgs.read_file(p)
    bad = tmp_path / "myb1-2019-raree-broken.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(usgs.UsgsImportError, match=r"broken\.xlsx: not a readable workbook"):
        usgs.read_file(bad)


@pytest.mark.parametrize("year", range(2018, 2023))
def test_top_producers_itemise_every_country_table8_lists(loaded_kb, year):
    listed = {iso3 for _name, iso3 in usgs.read_workbook(MYB).listed[year]}
    rows = loaded_kb.queries.top_producers(year=year, limit=100)
    assert {r.iso3 for r in rows} == listed and len(listed) == 12
    assert {r.source for r in rows} == {"Minerals Yearbook 2022: Rare Earths, tables (advance release), T8"}
    assert 0.99 <= rows[0].coverage <= 1.01 and rows[0].iso3 == "CHN"
    conc = loaded_kb.queries.supply_concentration(year=year)[0]
    assert conc.countries == 12 and conc.lower_bound is False


def test_figure_vintages_show_the_yearbook_and_the_historical_series_beside_the_mcs(loaded_kb):
    china = {r.source: r for r in loaded_kb.queries.figure_vintages(iso3="China", year=2020)}
    myb = china["Minerals Yearbook 2022: Rare Earths, tables (advance release), T8"]
    assert myb.tonnes == 140000 and "Official production quota" in myb.note and myb.date == "2025-03-19"
    assert china["Mineral Commodity Summaries 2022: Rare Earths"].tonnes == 140000
    world = loaded_kb.queries.figure_vintages(iso3="WLD", year=2010)
    assert [(r.edition, r.tonnes, r.basis) for r in world] == [("2012", 133000, None), ("2020", 101000, "historical series")]
    assert "official quota" in world[1].note and world[1].date == "2023-09-27"


# ----------------------------------------------------------------- Data Series 140, U.S. production


def test_ds140_gives_us_and_world_production_since_1900():
    pd = pytest.importorskip("pandas")
    sheet = pd.read_excel(DS140, header=4, keep_default_na=False)
    sheet = sheet[pd.to_numeric(sheet["Year"], errors="coerce").notna()]
    ed = usgs.read_workbook(DS140)
    got = {(r["iso3"], int(r["year"])): float(r["tonnes"]) for r in ed.production}
    for _, r in sheet.iterrows():
        for col, iso3 in (("Production", "USA"), ("World production", "WLD")):
            if isinstance(r[col], (int, float)):
                assert got[iso3, int(r["Year"])] == r[col]
            else:
                assert (iso3, int(r["Year"])) not in got  # NA, W stay absent
    assert min(y for _, y in got) == 1900 and max(y for _, y in got) == 2020
    assert {r["basis"] for r in ed.production} == {"historical series"}


def test_production_history_gives_us_2018_from_the_latest_edition(loaded_kb):
    rows = {r.year: r for r in loaded_kb.queries.production_history(iso3="USA")}
    assert rows[2018].tonnes == 14000 and rows[2018].source.startswith("Minerals Yearbook 2022")
    assert rows[1900].tonnes == 227 and "Data Series 140" in rows[1900].source
    assert rows[1900].share == pytest.approx(round(227 / 1040, 4))
    # the forum's 18,000 t is gone: no edition gives it
    assert 18000 not in {r.tonnes for r in loaded_kb.queries.figure_vintages(iso3="USA", year=2018)}
    # the salient statistics' U.S. figures are production figures of their edition
    salient = {int(r["year"]): float(r["value"]) for r in _rows(DATA / "statistics-usgs-mcs2023.csv")
               if r["measure"] == "production, mineral concentrates"}
    vint = {r.source: r.tonnes for r in loaded_kb.queries.figure_vintages(iso3="USA", year=2018)}
    assert vint["Mineral Commodity Summaries 2023: Rare Earths, salient statistics"] == salient[2018] == 14000


def test_the_historical_series_is_not_a_country_table(loaded_kb):
    # DS140 is the latest source with a 2015 world total, but top_producers answers from the MCS table
    rows = loaded_kb.queries.top_producers(year=2015)
    assert {r.source for r in rows} == {"Mineral Commodity Summaries 2017: Rare Earths"}
    assert loaded_kb.queries.top_producers(year=1950) == []


# ----------------------------------------------------------------- MCS 2026 corrections


def test_the_2026_corrections_are_the_figures_shown_and_the_release_a_vintage(loaded_kb):
    rows = loaded_kb.queries.figure_vintages(iso3="Brazil", year=2025, measure="reserves")
    assert [(r.edition, r.date, r.tonnes) for r in rows] == [
        ("2026 (version 1.0)", "2026-02-06", 21_000_000), ("2026 (version 1.3)", "2026-05-27", 11_000_000)]
    world = loaded_kb.queries.figure_vintages(iso3="world", year=2025, measure="reserves")
    assert [(r.edition, r.tonnes) for r in world] == [("2026 (version 1.0)", 85_000_000), ("2026 (version 1.3)", 75_000_000)]
    assert "lower bound" in world[1].note and "revision history" in world[1].note


def test_the_corrected_figures_are_what_the_current_chapter_prints():
    pypdf = pytest.importorskip("pypdf")
    text = " ".join(pypdf.PdfReader(str(RAW / "mcs2026" / "mcs2026-rare-earths.pdf")).pages[1].extract_text().split())
    assert "World total (rounded) 380,000 390,000 >75,000,000" in text and "21,000,000" not in text
    got = {r["iso3"]: r for r in _rows(DATA / "reserves-usgs-mcs2026.csv") if r["sources"] == "usgs-mcs-2026-v1.3"}
    assert set(got) == {"BRA", "WLD"} and got["WLD"]["tonnes"] == "75000000" and got["BRA"]["tonnes"] == "11000000"
    china = next(r for r in _rows(DATA / "production-usgs-mcs2026.csv") if (r["iso3"], r["year"]) == ("CHN", "2024"))
    assert china["tonnes"] == "270000" and "version 1.1 (2026-03-05) removed footnote 14" in china["note"]


def test_a_history_that_does_not_match_the_release_is_refused(tmp_path):
    folder = tmp_path / "mcs2026"
    folder.mkdir()
    (folder / "MCS2026_Commodities_Data.csv").write_bytes((RAW / "mcs2026" / "MCS2026_Commodities_Data.csv").read_bytes())
    hist = (RAW / "mcs2026" / "versionHist.txt").read_text(encoding="utf-8")
    (folder / "versionHist.txt").write_text(hist.replace('from "21,000,000"', 'from "22,000,000"'), encoding="utf-8")
    with pytest.raises(usgs.UsgsImportError, match=r"versionHist\.txt:\d+: reserves: Brazil: the history says '22,000,000'"):
        usgs.import_files([folder / "MCS2026_Commodities_Data.csv"])
    (folder / "versionHist.txt").write_text(hist, encoding="utf-8")
    (ed,) = usgs.import_files([folder / "MCS2026_Commodities_Data.csv"])
    assert [v["id"] for v in ed.versions] == ["usgs-mcs-2026-v1.3"]  # v1.1 moved a footnote only


# ----------------------------------------------------------------- China's quotas


def test_china_quotas_answer_year_by_year(loaded_kb):
    rows = loaded_kb.queries.china_quotas(stage="separation")
    totals = sorted((r.year, r.tonnes) for r in rows if r.batch is None)  # a year may have two (superseded)
    data = sorted((int(r["year"]), float(r["tonnes"])) for r in _rows(DATA / "quotas-china.csv")
                  if r["stage"] == "separation" and r["batch"] == "")
    assert totals == data and {(2019, 127000), (2023, 243850), (2024, 254000)} <= set(totals)
    batches = sorted((r.batch or 99, r.tonnes) for r in rows if r.year == 2023)
    assert batches == [(1, 115000), (3, 13850), (99, 230000), (99, 243850)]
    assert all(r.tier == "official" and r.second_hand for r in rows)
    mining = loaded_kb.queries.china_quotas(stage="mining", from_year=2021, to_year=2021)
    assert [(r.batch, r.tonnes) for r in mining] == [(1, 84000), (None, 168000)]
    # every quota source says where it was read
    via = loaded_kb.read("MATCH (:Quota)-[:SOURCED_FROM]->(s:Source) RETURN DISTINCT s.via AS via")
    assert via and all(v["via"] for v in via)


# ----------------------------------------------------------------- no figure on a page that is not a publication

BANNED = ("stocktalkreview.com", "sufficientvelocity.com", "castbox.fm", "isikotours.co.za", "cnretec.com",
          "investingnews.com", "cecorp.ca", "indexmundi.com", "wayenind.com", "starfeu.com", "globalreesventure.com",
          # stock promotion, investor newsletters and trading sites (issue 22)
          "bestgrowthstock.com", "streetwisereports.com", "seekingalpha.com", "rareearthexchanges.com",
          "earths-book.com", "favstocks.com", "stocktitan.net", "greenstocknews.com", "invezz.com",
          "thebull.com.au", "sharecafe.com.au", "marketscreener.com", "quantisnow",
          "nasdaq.com/articles/mp-materials-stock-soars",  # a stock article; Nasdaq's Reuters copies are fine
          # forums, marketing pages and personal travel blogs
          "democraticunderground", "osencmagnet.com", "shanghaimetalcorporation.wordpress.com",
          "chinatrack.typepad.com")


def test_no_bundled_figure_or_source_names_a_forum_podcast_tour_or_stock_page():
    # every data file that declares or cites sources (data/raw/ holds published files as published)
    paths = [*DATA.glob("*.csv"), *DATA.glob("*.yaml")]
    assert {"organisations.yaml", "agreements.yaml", "supply-chain.yaml", "measures.yaml"} <= {p.name for p in paths}
    for path in paths:
        text = path.read_text(encoding="utf-8").casefold()
        assert not [b for b in BANNED if b in text], path.name


@pytest.mark.slow
def test_stats_report_tiers_and_the_thin_years(loaded_kb):
    st = loaded_kb.stats()
    assert set(st["thin_years"]) == set(range(2010, 2018))
    assert "usgs-mcs-2019" in st["thin_years"][2017]
    assert st["figures_by_tier"]["official"] == round(st["figure_tier_share"]["official"] * st["figures"])
