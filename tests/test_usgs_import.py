"""The USGS MCS importer (kb.loaders.usgs, `kb import usgs-mcs`): the bundled records of
editions 2022-2026 are exactly what it makes of the published files in data/raw/usgs, each
layout's quirks on small inline files, one-line errors, and the loaded figures on both engines."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.loaders import usgs

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RAW = DATA / "raw" / "usgs"


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(
        ln for ln in path.read_text(encoding="utf-8").splitlines(keepends=True) if not ln.startswith("#")))))


def _by(ed: usgs.ImportedEdition) -> dict[tuple[str, int], dict[str, str]]:
    return {(r["iso3"], int(r["year"])): r for r in ed.production}


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8-sig") -> Path:
    p = tmp_path / name
    p.write_bytes(text.replace("\n", "\r\n").encode(encoding))
    return p


# ----------------------------------------------------------------- the bundled data


def test_the_bundled_records_are_what_the_importer_makes_of_the_raw_files(tmp_path):
    files = usgs.world_files(RAW)
    assert [p.parent.name for p in files] == ["mcs2022", "mcs2023", "mcs2024", "mcs2025", "mcs2026"]
    written = usgs.write_records(usgs.import_files(usgs.release_files(RAW)), tmp_path)
    bundled = sorted(p.name for pattern in ("*-usgs-mcs20*.csv", "*-usgs-myb20*.csv", "*-usgs-ds140-*.csv")
                     for p in DATA.glob(pattern)) + [usgs.SOURCES_FILE]
    assert "production-usgs-myb2022.csv" in bundled and "production-usgs-ds140-2020.csv" in bundled
    assert sorted(p.name for p in written) == sorted(bundled)
    assert {p.name.split("-")[0] for p in written} >= {"production", "reserves", "statistics", "prices",
                                                       "import_sources", "sources"}
    for p in written:
        assert p.read_bytes() == (DATA / p.name).read_bytes(), p.name


def test_the_hand_typed_files_no_longer_hold_the_imported_editions():
    for name in ("production-usgs.csv", "reserves-usgs.csv"):
        sources = {r["sources"] for r in _rows(DATA / name)}
        assert not sources & {f"usgs-mcs-{y}" for y in range(2022, 2027)}
        assert "usgs-mcs-2021" in sources or name.startswith("reserves")  # older editions are kept


def test_the_release_sources_are_official_and_say_where_the_copy_was_read():
    import yaml

    srcs = {s["id"]: s for s in yaml.safe_load((DATA / usgs.SOURCES_FILE).read_text())["sources"]}
    manifest = {r["file"]: r for r in csv.DictReader(io.StringIO((RAW / "manifest.csv").read_text()))}
    ids = ([f"usgs-mcs-{y}" for y in range(2022, 2027)] + [f"usgs-mcs-{y}-salient" for y in range(2022, 2026)]
           + ["usgs-myb-2022", "usgs-ds140-2020"])
    for i in ids:
        assert srcs[i]["tier"] == "official" and srcs[i]["kind"] == "dataset"
        assert srcs[i]["via"].startswith("data release copy read from ")
        assert srcs[i]["date"] == next(r["date"] for f, r in manifest.items() if f.endswith("/" + srcs[i]["file"]))
        row = next(r for f, r in manifest.items() if f.endswith("/" + srcs[i]["file"]))
        assert srcs[i]["sha256"] == row["sha256"] and srcs[i]["url"] == row["doi_or_url"]


# ----------------------------------------------------------------- quirks, one layout each


def test_2022_layout_estimate_in_the_column_name_and_the_other_countries_remainder(tmp_path):
    p = _write(tmp_path, "mcs2022-raree_world.csv",
               "Source,Country,Type,Prod_t_2020,Prod_t_Est_2021\n"
               'MCS2022,China,"Mine production, REO ",140000,168000\n'
               'MCS2022,Burma,"Mine production, REO ",31000,W\n'
               'MCS2022,Other countries,"Mine production, REO ",100,300\n'
               'MCS2022,World total (rounded),"Mine production, REO ",240000,280000\n')
    ed = usgs.read_file(p)
    got = _by(ed)
    assert ed.edition == 2022 and ed.reserves == []
    assert got["CHN", 2020]["estimated"] == "false" and got["CHN", 2021]["estimated"] == "true"
    assert ("MMR", 2021) not in got and got["MMR", 2020]["tonnes"] == "31000"  # W stays absent
    assert {k[0] for k in got} == {"CHN", "MMR", "WLD"}  # no record for 'Other countries'
    assert "'Other countries' 300 t" in got["WLD", 2021]["note"]
    assert all(r["sources"] == "usgs-mcs-2022" for r in ed.production)


def test_2023_layout_estimated_also_note_and_na_reserves(tmp_path):
    p = _write(tmp_path, "mcs2023-raree_world.csv",
               "Source,Country,Type,Prod_t_2021,Prod_t_est_2022,Prod_notes,Reserves_t,Reserves_notes\n"
               'MCS2023,Burma,"x",35000,12000,Estimated in 2021 also.,NA,\n'
               'MCS2023,United States,"x",42000,43000,,2300000,\n'
               'MCS2023,World total (rounded),"x",290000,300000,,130000000,\n')
    ed = usgs.read_file(p)
    got = _by(ed)
    assert got["MMR", 2021]["estimated"] == "true" and got["USA", 2021]["estimated"] == "false"
    assert "Estimated in" not in got["MMR", 2021]["note"]
    assert {(r["iso3"], r["year"]) for r in ed.reserves} == {("USA", "2022"), ("WLD", "2022")}
    assert "Burma" in next(r for r in ed.reserves if r["iso3"] == "WLD")["note"]


def test_2025_layout_all_commodities_blank_zero_na_in_the_notes_and_a_lower_bound(tmp_path):
    p = _write(tmp_path, "MCS2025_World_Data.csv",
               "SOURCE,COMMODITY,COUNTRY,TYPE,UNIT_MEAS,PROD_2023,PROD_EST_ 2024,PROD_NOTES,CAP_2023,"
               "CAP_EST_ 2024,CAP_NOTES,RESERVES_2024,RESERVE_NOTES\n"
               "MCS2025,Zinc,Canada,Mine production,thousand metric tons,200,W,,,,,5000,\n"
               "MCS2025,Rare earths,Canada ,x,metric tons,,,,,,,830000,\n"
               "MCS2025,Rare earths,Burma,x,metric tons,43000,31000,,,,,,NA\n"
               "MCS2025,Rare earths,Other Countries,x,metric tons,1440,1100,,,,,,NA\n"
               "MCS2025,Rare earths,World total (rounded),x,metric tons,376000,390000,,,,,>90000000,\n")
    ed = usgs.read_file(p)
    got = _by(ed)
    assert got["CAN", 2023]["tonnes"] == "0" and got["CAN", 2024]["tonnes"] == "0"  # blank = zero here
    assert got["MMR", 2023]["estimated"] == "false" and got["MMR", 2024]["estimated"] == "true"
    assert len(ed.production) == 6  # the zinc row is not rare earths
    res = {r["iso3"]: r for r in ed.reserves}
    assert set(res) == {"CAN", "WLD"} and res["CAN"]["year"] == "2024" and res["CAN"]["tonnes"] == "830000"
    assert res["WLD"]["tonnes"] == "90000000" and "lower bound" in res["WLD"]["note"]
    assert "Burma" in res["WLD"]["note"] and "'Other countries' 1,100 t" in got["WLD", 2024]["note"]


LONG = ("MCS chapter,Section,Commodity,Country,Statistics,Statistics_detail,Unit,Year,Value,Notes,"
        "Is critical mineral 2025,Other notes\n")


def test_2026_layout_cp1252_dash_zero_separators_and_the_estimate_in_the_note(tmp_path):
    w = "RARE EARTHS,World Mine Production and Reserves,Rare Earths,"
    p = _write(tmp_path, "MCS2026_Commodities_Data.csv", LONG
               + "RARE EARTHS,Salient Statistics\u2014United States,Rare Earths,United States,Net import reliance,"
                 "Net import reliance as a percentage of apparent consumption: Compounds and metals,percent,2025,"
                 ">95,Estimated. -- Defined as imports \u2013 exports.,Yes,\n"
               + w + 'China,Production,Mine production,metric tons,2024,"270,000",Estimated. -- Quota.,Yes,x\n'
               + w + 'United States,Production,Mine production,metric tons,2024,"45,500",Reported.,Yes,x\n'
               + w + "Canada,Production,Mine production,metric tons,2024,\u2014,,Yes,x\n"
               + w + "Burma,Reserves,Reserves,metric tons,2025,NA,See Appendix C.,Yes,x\n"
               + w + 'World total,Reserves,Reserves: rounded,metric tons,2025,">85,000,000",,Yes,x\n',
               encoding="cp1252")
    ed = usgs.read_file(p)
    got = _by(ed)
    assert ed.edition == 2026
    assert got["CHN", 2024] == {**got["CHN", 2024], "tonnes": "270000", "estimated": "true", "note": "Quota"}
    assert got["USA", 2024]["estimated"] == "false" and got["CAN", 2024]["tonnes"] == "0"
    assert [(r["iso3"], r["tonnes"]) for r in ed.reserves] == [("WLD", "85000000")]
    assert [(r["measure"], r["text"], r["value"], r["lower_bound"], r["estimated"]) for r in ed.statistics] == [
        ("net import reliance, compounds and metals", ">95", "95", "true", "true")]


@pytest.mark.parametrize(("text", "where"), [  # \x81 is written as that byte: neither UTF-8 nor cp1252
    ("Source,Country,Type,Prod_t_2020\nMCS2022,China,x,12x\n", ":2: Prod_t_2020: not a number"),
    ("Source,Country,Type,Prod_t_2020\nMCS2022,Atlantis,x,12\n", ":2: Country: unknown country"),
    ("Source,Country,Type,Tonnes\nMCS2022,China,x,12\n", ":1: header: not a USGS MCS world production"),
    ("Source,Country,Type,Prod_t_2020\nMCS2022,China,x,1\nMCS2022,Chin\x81a,x,2\n", ":3: neither UTF-8 nor"),
])
def test_malformed_input_names_file_line_and_field(tmp_path, text, where):
    p = _write(tmp_path, "mcs2022-raree_world.csv", text, "latin-1" if "\x81" in text else "utf-8-sig")
    with pytest.raises(usgs.UsgsImportError) as exc:
        usgs.read_file(p)
    assert str(exc.value) == str(exc.value).splitlines()[0] and where in str(exc.value)
    res = subprocess.run([sys.executable, "-m", "kb", "import", "usgs-mcs", str(p), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and where in res.stderr


@pytest.mark.slow
def test_the_cli_writes_files_that_kb_load_accepts(tmp_path):
    env = {**os.environ, "KB_HOME": str(tmp_path / "home")}
    out = tmp_path / "records"
    res = subprocess.run([sys.executable, "-m", "kb", "import", "usgs-mcs", str(RAW / "mcs2023"), "--out", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "prices-usgs-mcs2023.csv", "production-usgs-mcs2023.csv", "reserves-usgs-mcs2023.csv",
        "sources-usgs-mcs.yaml", "statistics-usgs-mcs2023.csv"]
    # the folder loads on its own: it holds the Source records it cites
    res = subprocess.run([sys.executable, "-m", "kb", "load", "--dry-run", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    # and beside the bundled sources: the same Source written twice (iso-3166 here) is one Source
    res = subprocess.run([sys.executable, "-m", "kb", "load", "--dry-run", str(DATA / "sources-base.yaml"), str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr


# ----------------------------------------------------------------- in the graph, both engines

#: the countries the release itemises (not 'Other countries', not the world total), read in the files
LISTED = {"USA", "AUS", "BRA", "MMR", "CAN", "CHN", "GRL", "IND", "MDG", "MYS", "NGA", "RUS", "ZAF", "TZA",
          "THA", "VNM"}


@pytest.mark.parametrize(("year", "edition", "china"), [(2023, 2025, 255000), (2024, 2026, 270000)])
def test_top_producers_itemise_the_countries_the_release_lists(loaded_kb, year, edition, china):
    rows = loaded_kb.queries.top_producers(year=year, limit=100)
    assert {r.source for r in rows} == {f"Mineral Commodity Summaries {edition}: Rare Earths"}
    assert {r.iso3 for r in rows} == LISTED
    got = {r.iso3: r.tonnes for r in rows}
    assert got["CHN"] == china
    imported = {(r["iso3"]): float(r["tonnes"]) for r in _rows(DATA / f"production-usgs-mcs{edition}.csv")
                if int(r["year"]) == year and r["iso3"] != "WLD"}
    assert got == pytest.approx(imported)


def test_figure_vintages_shows_one_country_year_across_editions(loaded_kb):
    rows = loaded_kb.queries.figure_vintages(iso3="United States", year=2021)
    # MCS 2022 estimated 2021 at 43,000 t (Prod_t_Est_2021); MCS 2023 gives 42,000 t, no longer an estimate;
    # the later editions' salient statistics, the yearbook (bastnaesite only) and MCS 2026 give 42,400 t
    assert [(r.edition, r.tonnes, r.estimated) for r in rows] == [
        ("2022", 43000, True), ("2023", 42000, False), ("2024", 42000, False), ("2025", 42400, False),
        ("2022", 42400, False), ("2026 (version 1.0)", 42400, True)]
    assert [r.date for r in rows] == sorted(r.date for r in rows) and rows[4].source.startswith("Minerals Yearbook")
    world = loaded_kb.queries.figure_vintages(iso3="world", year=2024)
    assert [(r.edition, r.tonnes) for r in world] == [("2025", 390000), ("2026 (version 1.0)", 380000)]
    assert loaded_kb.queries.figure_vintages(iso3="USA", year=1899) == []  # DS140 starts in 1900


# ----------------------------------------------------------------- salient statistics


def test_wide_salient_layout_keeps_e_bounds_xx_and_separators_as_published(tmp_path):
    p = _write(tmp_path, "mcs2024-raree_salient.csv",
               "DataSource,Commodity,Year,USprod_Concentrate_t,Consump_Compounds-Metals_t,Price_Nd2O3_dkg,"
               "Price_Mischmetal_dkg,Employment_m,NIR_Compounds-Metals_t,NIR_Concentrate_t\n"
               'MCS2024,Rare Earths,2021,42000,"7,900",98,6,293,>95,E\n'
               "MCS2024,Rare Earths,2017,0,9300,50,6,24,100,XX\n")
    ed = usgs.read_file(p)
    stats = {(r["year"], r["measure"]): r for r in ed.statistics}
    assert stats["2021", "apparent consumption, compounds and metals"]["value"] == "7900"
    assert stats["2021", "apparent consumption, compounds and metals"]["text"] == "7,900"
    nir = stats["2021", "net import reliance, compounds and metals"]
    assert (nir["text"], nir["value"], nir["lower_bound"], nir["unit"]) == (">95", "95", "true", "percent")
    e = stats["2021", "net import reliance, mineral concentrates"]
    assert (e["text"], e["value"], e["note"]) == ("E", "", "net exporter")
    assert stats["2017", "net import reliance, mineral concentrates"]["text"] == "XX"
    assert stats["2017", "production, mineral concentrates"]["value"] == "0"
    assert {r["estimated"] for r in ed.statistics + ed.prices} == {""}  # the file marks no estimates
    assert {(r["series"], r["elements"], r["year"], r["usd_per_kg"]) for r in ed.prices} == {
        ("neodymium oxide", "Nd", "2021", "98"), ("mischmetal", "Ce;La", "2021", "6"),
        ("neodymium oxide", "Nd", "2017", "50"), ("mischmetal", "Ce;La", "2017", "6")}
    assert {r["sources"] for r in ed.statistics} == {"usgs-mcs-2024-salient"}


def test_an_unknown_salient_column_is_refused_with_file_line_and_column(tmp_path):
    p = _write(tmp_path, "mcs2024-raree_salient.csv",
               "DataSource,Commodity,Year,USprod_Concentrate_t,Stocks_t\nMCS2024,Rare Earths,2021,42000,5\n")
    with pytest.raises(usgs.UsgsImportError, match=r":2: Stocks_t: unknown salient column"):
        usgs.read_file(p)


def _raw_salient(edition: int) -> dict[str, list[str]]:
    name = {2025: "mcs2025-rareee_salient.csv"}.get(edition, f"mcs{edition}-raree_salient.csv")
    text = (RAW / f"mcs{edition}" / name).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return {h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}


def test_prices_answer_from_the_raw_files(loaded_kb):
    raw = _raw_salient(2025)  # MCS 2025 is the latest edition giving Dy and Tb oxide in the light chapter
    rows = loaded_kb.queries.prices(symbol="dysprosium", from_year=2020, to_year=2020)
    assert [(r.series, r.year, r.usd_per_kg) for r in rows] == [
        ("dysprosium oxide", 2020, float(raw["Price_Dy2O3_dkg"][raw["Year"].index("2020")]))]
    assert rows[0].tier == "official" and rows[0].estimated is None
    # 2021-2025 come from the 2026 file, which marks 2025 as an estimate
    nd = {(r.series, r.year): r for r in loaded_kb.queries.prices(symbol="Nd", from_year=2021)}
    assert {s for s, _ in nd} == {"neodymium oxide", "NdPr oxide"}
    assert nd["neodymium oxide", 2024].usd_per_kg == 56 and nd["NdPr oxide", 2025].estimated is True
    assert nd["NdPr oxide", 2024].elements == ["Nd", "Pr"]
    every = loaded_kb.queries.prices()
    assert {r.series for r in every} >= {"cerium oxide", "dysprosium oxide", "europium oxide", "lanthanum oxide",
                                         "neodymium oxide", "terbium oxide", "mischmetal", "NdPr oxide"}
    assert len(every) == len({(r.series, r.year) for r in every})  # one row per series and year


def test_import_reliance_keeps_e_and_lower_bounds(loaded_kb):
    rows = loaded_kb.queries.import_reliance(iso3="United States")
    got = {(r.year, r.scope, r.measure): r for r in rows}
    assert got[2021, "rare earths", "compounds and metals"].text == ">95"
    assert got[2021, "rare earths", "compounds and metals"].lower_bound is True
    assert got[2023, "rare earths", "compounds and metals"].text == ">90"  # MCS 2026 revised >95 to >90
    assert got[2024, "rare earths", "mineral concentrates"].text == "E"
    assert got[2024, "rare earths", "mineral concentrates"].percent is None
    assert got[2025, "rare earths", "compounds and metals"].percent == 67
    raw = _raw_salient(2022)
    assert got[2017, "rare earths", "mineral concentrates"].text == raw["NIR_Concentrate_t"][0] == "XX"
    assert loaded_kb.queries.import_reliance(iso3="JPN") == []


def _pdf_text() -> str:
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(RAW / "mcs2026" / "mcs2026-rare-earths.pdf"))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_import_sources_are_what_the_2026_chapter_prints(loaded_kb):
    text = _pdf_text()
    assert ("Import Sources (2021–24): Rare-earth compounds and metals: China,8 71%; Malaysia, 13%; Japan, 5%; "
            "Estonia, 5%; and other, 6%.") in text
    rows = loaded_kb.queries.import_sources(iso3="USA")
    main = [(r.partner, r.partner_iso3, r.share, r.period) for r in rows
            if r.material == "Rare-earth compounds and metals"]
    assert main == [("China", "CHN", 0.71, "2021–24"), ("Malaysia", "MYS", 0.13, "2021–24"),
                    ("Estonia", "EST", 0.05, "2021–24"), ("Japan", "JPN", 0.05, "2021–24"),
                    ("Other countries", None, 0.06, "2021–24")]
    assert "Includes Hong Kong" in rows[0].note and rows[0].tier == "official"
    assert {r.material for r in rows} >= {"Terbium compounds and metals", "Lutetium compounds and metals"}
    assert loaded_kb.queries.import_sources(iso3="JPN") == []


# ----------------------------------------------------------------- coverage and tiers


def test_coverage_and_lower_bound_follow_the_world_total(loaded_kb):
    top = loaded_kb.queries.top_producers(year=2012, limit=100)
    world = {int(r["year"]): float(r["tonnes"]) for r in _rows(DATA / "production-usgs.csv")
             if r["iso3"] == "WLD" and r["sources"] == "usgs-mcs-2014"}
    assert top[0].coverage == pytest.approx(round(sum(r.tonnes for r in top) / world[2012], 4))
    conc = loaded_kb.queries.supply_concentration(year=2012)[0]
    assert conc.coverage == top[0].coverage and conc.coverage < 0.95 and conc.lower_bound is True
    full = loaded_kb.queries.supply_concentration(year=2024)[0]
    assert full.coverage >= 0.95 and full.lower_bound is False and full.tier == "official"


def test_second_hand_figures_are_shown_as_such(loaded_kb):
    rows = loaded_kb.queries.figure_vintages(iso3="CHN", year=2014)
    by = {r.edition: r for r in rows}
    assert by["2016"].second_hand is True and by["2016"].tonnes == 105000  # a third-party parse of the chapter
    usa = {r.edition: r for r in loaded_kb.queries.figure_vintages(iso3="USA", year=2018)}
    assert usa["2019"].second_hand is False  # read in a copy of the chapter
    assert all(r.tier == "official" for r in rows)


def test_a_figure_resting_only_on_press_is_refused_unless_second_hand(empty_kb, tmp_path):
    from kb.errors import DataError

    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - {id: blog, title: A blog, publisher: Blog, date: '2020', kind: web, tier: other}\n"
        "  - {id: paper, title: A paper, publisher: Times, date: '2020', kind: news, tier: press}\n")
    (tmp_path / "production-x.csv").write_text("iso3,year,stage,tonnes,sources\nCHN,2019,mining,1,blog;paper\n")
    with pytest.raises(DataError, match=r"production-x\.csv:2: sources: a Production figure whose only sources "
                                        r"are of tier other/press"):
        empty_kb.load([DATA / "sources-base.yaml", tmp_path])
    (tmp_path / "production-x.csv").write_text(
        "iso3,year,stage,tonnes,second_hand,sources\nCHN,2019,mining,1,true,blog;paper\n")
    empty_kb.load([DATA / "sources-base.yaml", tmp_path])
    assert empty_kb.read("MATCH (p:Production) RETURN p.second_hand AS s") == [{"s": True}]


@pytest.mark.slow
def test_every_bundled_source_has_a_tier_and_stats_report_the_tiers(loaded_kb):
    import yaml

    for f in DATA.glob("*.yaml"):
        for s in (yaml.safe_load(f.read_text()) or {}).get("sources") or []:
            assert s.get("tier") in ("official", "intergovernmental", "company", "press", "other"), (f.name, s["id"])
    st = loaded_kb.stats()
    assert st["sourced_share"] == 1.0
    assert sum(st["figure_tier_share"].values()) == pytest.approx(1.0, abs=1e-5)  # shares are rounded to 6 places
    flagged = sum(r.get("second_hand", "false") == "true" for f in DATA.glob("*.csv") for r in _rows(f))
    flagged += sum(bool(r.get("second_hand")) for f in DATA.glob("*.yaml")  # facility figures (supply chain)
                   for r in (yaml.safe_load(f.read_text()) or {}).get("facility_figures") or [])
    assert st["figure_tier_share"]["official"] > 0.9 and st["second_hand_figures"] == flagged
    assert sum(st["figures_by_tier"].values()) == st["figures"]


def test_the_2012_article_is_one_source_and_agreements_show_the_best_source(loaded_kb):
    n = loaded_kb.read("MATCH (s:Source) WHERE s.title = 'Japan, India to cooperate on rare earth production' "
                       "RETURN s.id AS id, s.url AS url")
    assert n == [{"id": "article-2012-11-17-japan-india", "url": "http://www.straitstimes.com/st/print/607587"}]
    mou = next(r for r in loaded_kb.queries.agreements(iso3="IND") if r.date == "2012-11-16")
    # all its sources are press; the closest to 16 Nov 2012 (Bloomberg, the same day), not the April article
    assert mou.tier == "press" and mou.source == "Japan Signs Deal With India on Rare Earth Production, Supply"
    # its sources of November 2012 name no element: none is recorded (the April preliminary deal's La, Ce, Nd are not its)
    assert mou.elements == []


def test_the_2023_technology_ban_covers_the_extraction_and_separation_of_all_rare_earths(loaded_kb):
    ban = next(r for r in loaded_kb.queries.export_restrictions(iso3="CHN", year=2024)
               if r.measure.startswith("Ban on export of rare-earth extraction"))
    assert ban.kind == "ban" and ban.start == "2023-12-21" and ban.elements == []  # rare earths as a whole
    # restriction_impact reaches it through the commodity for any rare earth, heavy ones included
    rows = loaded_kb.read("MATCH (m:Measure {id: 'china-ree-technology-export-ban-2023'})-[:COVERS]->(x) "
                          "RETURN labels(x)[0] AS label, coalesce(x.symbol, x.id) AS key ORDER BY label, key")
    assert [r["label"] for r in rows if r["label"] == "Element"] == []
    assert {"label": "Commodity", "key": "rare-earths"} in rows
