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
    written = usgs.write_records(usgs.import_files(files), tmp_path)
    bundled = sorted(p.name for p in DATA.glob("*-usgs-mcs20*.csv"))
    assert sorted(p.name for p in written) == bundled
    for p in written:
        assert p.read_bytes() == (DATA / p.name).read_bytes(), p.name


def test_the_hand_typed_files_no_longer_hold_the_imported_editions():
    for name in ("production-usgs.csv", "reserves-usgs.csv"):
        sources = {r["sources"] for r in _rows(DATA / name)}
        assert not sources & {f"usgs-mcs-{y}" for y in range(2022, 2027)}
        assert "usgs-mcs-2021" in sources or name.startswith("reserves")  # older editions are kept


def test_the_release_sources_are_official_and_say_where_the_copy_was_read():
    import yaml

    srcs = {s["id"]: s for s in yaml.safe_load((DATA / "sources-usgs.yaml").read_text())["sources"]}
    for y in range(2022, 2027):
        assert srcs[f"usgs-mcs-{y}"]["tier"] == "official"
        assert srcs[f"usgs-mcs-{y}"]["via"].startswith("data release copy read from ")


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
               + "RARE EARTHS,Salient Statistics\u2014United States,Rare Earths,United States,"
                 "Net import reliance,x,percent,2025,>95,Estimated.,Yes,\n"
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


def test_the_cli_writes_files_that_kb_load_accepts(tmp_path):
    env = {**os.environ, "KB_HOME": str(tmp_path / "home")}
    out = tmp_path / "records"
    res = subprocess.run([sys.executable, "-m", "kb", "import", "usgs-mcs", str(RAW / "mcs2023"), "--out", str(out)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["production-usgs-mcs2023.csv", "reserves-usgs-mcs2023.csv"]
    # the records cite sources of the bundled KB: check them together
    res = subprocess.run([sys.executable, "-m", "kb", "load", "--dry-run", str(DATA / "sources-base.yaml"),
                          str(DATA / "sources-usgs.yaml"), str(out)],
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
    # MCS 2022 estimated 2021 at 43,000 t (Prod_t_Est_2021); MCS 2023 gives 42,000 t, no longer an estimate
    assert [(r.edition, r.tonnes, r.estimated) for r in rows] == [("2022", 43000, True), ("2023", 42000, False)]
    world = loaded_kb.queries.figure_vintages(iso3="world", year=2024)
    assert [(r.edition, r.tonnes) for r in world] == [("2025", 390000), ("2026", 380000)]
    assert loaded_kb.queries.figure_vintages(iso3="USA", year=1901) == []
