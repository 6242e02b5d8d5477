"""USGS rare-earths publications -> production, reserves and statistics records.

Reads, as USGS publishes them (byte copies in `data/raw/usgs/`, with a manifest):

* the Mineral Commodity Summaries (MCS) data releases, one layout per edition: 2022, 2023, 2024
  ``mcsYYYY-raree_world.csv``; 2025 ``MCS2025_World_Data.csv`` (all commodities, wide); 2026
  ``MCS2026_Commodities_Data.csv`` (all commodities, long, Windows-1252); and the salient statistics
  (``mcsYYYY-raree_salient.csv``, 2022-2025; sections of the 2026 file);
* the release's revision history (``versionHist.txt`` beside the 2026 file): each figure of the
  rare-earths world table it corrects becomes a record citing that version (``usgs-mcs-2026-v1.3``,
  dated the reposting), the release's own figure staying as the version 1.0 vintage;
* the Minerals Yearbook tables (``myb1-YYYY-raree*.xlsx``): the world mine production table by
  country, with its footnotes (China's official quota, REO content of exports) and its e/r marks;
* Data Series 140 (``ds140-rare-earths-YYYY.xlsx``): U.S. and world production since 1900, kept as
  a vintage of its own (``basis`` "historical series": the questions that pick one country table
  leave it out).

One layout detector (`_layout`, on the header only) and one row reader (`_records`) serve every CSV.
Each figure is kept as the edition gives it, citing that edition's Source (``usgs-mcs-YYYY``,
``usgs-myb-YYYY``, ``usgs-ds140-YYYY``): ``estimated`` is what the edition marks, ``0``/``—``/``--``
or an empty production cell of a listed country is a zero, ``NA`` and ``W`` stay absent, a lower bound
(``>90000000``) is recorded as the bound with a note. The world total (iso3 WLD) is kept; the "Other
countries" remainder has no country to hang on, so its published figure goes in the note of the world
row. U.S. mine production of the salient statistics becomes a Production figure for the years the
edition's world table does not give, so the latest edition reporting a year answers.

The salient statistics also become `Statistic` records (U.S. production, imports, exports, apparent
consumption, employment, net import reliance: ``text`` as published, "E", ">95" and "XX" included,
``value`` where there is a number), `Price` records ($/kg per series) and `ImportSource` records
(share per partner and period).

Each file read becomes a `Source`: tier official, its file name and SHA-256, and from the
``manifest.csv`` of the folder it sits in its URL or DOI, date and where the copy was read.
`write_records` writes them, with the ISO 3166 and periodictable sources the records need, to
``sources-usgs-mcs.yaml`` beside the record CSVs, so the output folder loads on its own.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

from kb.errors import KBError, Problem

__all__ = ["ImportedEdition", "UsgsImportError", "import_files", "release_files", "world_files",
           "write_records", "PRODUCTION_COLUMNS", "RESERVES_COLUMNS", "STATISTICS_COLUMNS", "PRICES_COLUMNS",
           "IMPORT_SOURCES_COLUMNS", "SOURCES_FILE", "TITLES", "read_workbook",
           "apply_version_history"]

PRODUCTION_COLUMNS = ["iso3", "year", "stage", "tonnes", "estimated", "revised", "sources", "note"]
#: the historical series (DS140) adds its basis
PRODUCTION_BASIS_COLUMNS = PRODUCTION_COLUMNS[:-1] + ["basis", "note"]
RESERVES_COLUMNS = ["iso3", "year", "tonnes", "estimated", "sources", "note"]
STATISTICS_COLUMNS = ["iso3", "year", "scope", "measure", "value", "text", "unit", "lower_bound", "estimated",
                      "sources", "note"]
PRICES_COLUMNS = ["series", "elements", "year", "usd_per_kg", "grade", "estimated", "sources", "note"]
IMPORT_SOURCES_COLUMNS = ["importer", "partner", "partner_name", "material", "elements", "share", "period",
                          "from_year", "to_year", "sources", "note"]
#: the Source records the written records cite
SOURCES_FILE = "sources-usgs-mcs.yaml"

#: country names as USGS writes them -> ISO 3166 alpha-3 (anything else goes through pycountry)
_NAMES = {
    "united states": "USA", "burma": "MMR", "russia": "RUS", "vietnam": "VNM", "tanzania": "TZA",
    "world total": "WLD", "world total (rounded)": "WLD",
}
_OTHER = "other countries"
_MISSING = {"NA", "W", "XX", "--"}


class UsgsImportError(KBError):
    """A file is not what the importer knows; the message names file:line: field."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


@dataclass
class ImportedEdition:
    """The records one edition gives: rows of data/production-*.csv, reserves-*.csv, statistics-*.csv,
    prices-*.csv and import_sources-*.csv, and the files they were read from (kind -> path)."""

    edition: int
    origin: str = "the MCS data release"
    production: list[dict[str, str]] = field(default_factory=list)
    reserves: list[dict[str, str]] = field(default_factory=list)
    statistics: list[dict[str, str]] = field(default_factory=list)
    prices: list[dict[str, str]] = field(default_factory=list)
    import_sources: list[dict[str, str]] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    #: data year -> (name as published, ISO3) of every country row of the world production table,
    #: whatever its cell holds (a figure, a zero, NA): what the edition lists
    listed: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    #: data year -> the published "Other countries" remainder, t
    other: dict[int, float] = field(default_factory=dict)
    #: "mcs" (Mineral Commodity Summaries), "myb" (Minerals Yearbook tables), "ds140" (Data Series 140)
    series: str = "mcs"
    #: the Source records of the corrections a release's revision history states (MCS 2026 v1.1, v1.3)
    versions: list[dict[str, object]] = field(default_factory=list)
    #: for a workbook: what its Source record says (title, date, notes)
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return f"usgs-{self.series}-{self.edition}"

    @property
    def stem(self) -> str:
        """The name the record files take: usgs-mcs2026, usgs-myb2022, usgs-ds140-2020."""
        return f"usgs-{self.series}{'-' if self.series == 'ds140' else ''}{self.edition}"


# ------------------------------------------------------------------------- cells


@dataclass(frozen=True)
class _Cell:
    file: str
    line: int
    field: str
    text: str

    def fail(self, message: str) -> UsgsImportError:
        return UsgsImportError(Problem(self.file, self.line, self.field, message))


def _number(cell: _Cell, *, zero_if_empty: bool = False) -> tuple[float | None, bool]:
    """(value, is_lower_bound); None = not available. Raises on anything else."""
    t = cell.text.strip()
    if t in ("", "—", "-"):
        if t == "" and not zero_if_empty:
            return None, False
        return 0.0, False
    if t in _MISSING:
        return None, False
    bound = t.startswith(">")
    digits = t.lstrip(">").strip().replace(",", "")
    if not re.fullmatch(r"\d+(\.\d+)?", digits):
        raise cell.fail(f"not a number: {t!r}")
    return float(digits), bound


def _fmt(x: float) -> str:
    return str(int(x)) if x == int(x) else repr(x)


def _iso3(cell: _Cell) -> str | None:
    """ISO3 of a country cell; None for the "Other countries" remainder."""
    name = " ".join(cell.text.split()).casefold()
    if name == _OTHER:
        return None
    if name in _NAMES:
        return _NAMES[name]
    try:
        return str(pycountry.countries.lookup(name).alpha_3)
    except LookupError:
        raise cell.fail(f"unknown country {cell.text.strip()!r}") from None


def _note(*parts: str | None) -> str:
    return "; ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


@dataclass(frozen=True)
class _Row:
    """One data row of a CSV file: its cells, and each cell named by file, line and column."""

    file: str
    line: int
    header: list[str]
    cells: list[str]

    def cell(self, i: int) -> _Cell:
        return _Cell(self.file, self.line, self.header[i], self.cells[i])

    def text(self, i: int) -> str:
        return self.cells[i].strip()


def _records(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> Iterable[_Row]:
    """The rows of a file, each checked to have a cell for every column of the header."""
    for line, cells in rows:
        if len(cells) < len(header):
            raise UsgsImportError(Problem(str(path), line, None, f"{len(cells)} cells where the header has {len(header)}"))
        yield _Row(str(path), line, header, cells)


# ------------------------------------------------------------------------- reading


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # the 2026 release
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsgsImportError(Problem(str(path), line, None, "neither UTF-8 nor Windows-1252 text")) from None


def _rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        rows = []
        for row in reader:
            if any(c.strip() for c in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise UsgsImportError(Problem(str(path), reader.line_num, None, f"malformed CSV: {exc}")) from None
    while header and header[-1] == "":
        header.pop()
    return header, rows


_PROD_COL = re.compile(r"^prod_(?:t_)?(est_)?\s*(\d{4})$", re.IGNORECASE)


def _edition_of(path: Path, text: str | None) -> int:
    m = re.fullmatch(r"MCS(\d{4})", (text or "").strip(), re.IGNORECASE) or re.search(
        r"mcs(\d{4})", path.name, re.IGNORECASE)
    if not m:
        raise UsgsImportError(Problem(str(path), 2, "Source", "edition not found (expected MCSYYYY)"))
    return int(m.group(1))


class _Table:
    """Accumulates one edition's rows, with the world and "Other countries" notes."""

    def __init__(self, edition: int):
        self.out = ImportedEdition(edition)
        self.other_prod: dict[int, str] = {}
        self.other_res: str | None = None
        self.na_reserves: list[str] = []

    def production(self, iso3: str | None, year: int, value: float | None, estimated: bool,
                   note: str, name: str) -> None:
        if iso3 not in (None, "WLD"):
            self.out.listed.setdefault(year, []).append((name, iso3))
        if value is None:
            return
        if iso3 is None:
            self.out.other[year] = value
            self.other_prod[year] = f"'Other countries' {value:,.0f} t published in this edition"
            return
        self.out.production.append({
            "iso3": iso3, "year": str(year), "stage": "mining", "tonnes": _fmt(value),
            "estimated": "true" if estimated else "false", "revised": "false",
            "sources": self.out.source, "note": note})

    def reserves(self, iso3: str | None, year: int, value: float | None, bound: bool, text: str,
                 note: str, name: str) -> None:
        if value is None:
            if iso3 not in (None, "WLD"):
                self.na_reserves.append(name)
            return
        if iso3 is None:
            self.other_res = f"'Other countries' {value:,.0f} t published in this edition"
            return
        if bound:
            note = _note(f"published as '{text}' (lower bound), recorded as the bound", note)
        self.out.reserves.append({
            "iso3": iso3, "year": str(year), "tonnes": _fmt(value), "estimated": "false",
            "sources": self.out.source, "note": note})

    def finish(self) -> ImportedEdition:
        for row in self.out.production:
            if row["iso3"] == "WLD" and int(row["year"]) in self.other_prod:
                row["note"] = _note(row["note"], self.other_prod[int(row["year"])] + ", not recorded as a figure")
        for row in self.out.reserves:
            if row["iso3"] == "WLD":
                extra = []
                if self.other_res:
                    extra.append(self.other_res + ", not recorded as a figure")
                if self.na_reserves:
                    extra.append("reserves NA (not recorded): " + ", ".join(self.na_reserves))
                row["note"] = _note(row["note"], *extra)
        return self.out


def _read_world_wide(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> ImportedEdition:
    """2022-2025: one row per country, production years as columns."""
    cols = {h.casefold(): i for i, h in enumerate(header)}
    src_col = cols.get("source")
    country_col = cols.get("country")
    if src_col is None or country_col is None:
        raise UsgsImportError(Problem(str(path), 1, "header", "no Source/Country column"))
    prod_cols = [(i, h, int(m.group(2)), bool(m.group(1))) for i, h in enumerate(header)
                 if (m := _PROD_COL.match(h))]
    if not prod_cols:
        raise UsgsImportError(Problem(str(path), 1, "header", "no production columns (Prod_t_YYYY)"))
    commodity_col = cols.get("commodity")
    notes_col = cols.get("prod_notes")
    res_col = cols.get("reserves_t", next((i for h, i in cols.items() if h.startswith("reserves_")), None))
    res_notes_col = cols.get("reserves_notes", cols.get("reserve_notes"))
    res_m = re.search(r"(\d{4})$", header[res_col]) if res_col is not None else None
    all_commodities = commodity_col is not None
    table: _Table | None = None
    for r in _records(path, header, rows):
        if all_commodities and commodity_col is not None and r.text(commodity_col).casefold() != "rare earths":
            continue
        row, cell = r.cells, r.cell
        edition = _edition_of(path, row[src_col])
        if table is None:
            table = _Table(edition)
        elif edition != table.out.edition:
            raise cell(src_col).fail(f"edition MCS{edition} in a file of MCS{table.out.edition}")
        name = " ".join(row[country_col].split())
        iso3 = _iso3(cell(country_col))
        prod_note = row[notes_col].strip() if notes_col is not None else ""
        also = {int(y) for y in re.findall(r"Estimated in (\d{4}) also", prod_note)}
        note = prod_note
        for y in also:
            note = note.replace(f"Estimated in {y} also.", "").strip()
        world_note = "World total (rounded)" if iso3 == "WLD" else ""
        # an empty production cell of a listed country is the 2025 file's zero (earlier files wrote 0)
        zero_if_empty = all_commodities and iso3 is not None and iso3 != "WLD"
        for i, _h, year, est in prod_cols:
            value, _ = _number(cell(i), zero_if_empty=zero_if_empty)
            table.production(iso3, year, value, est or year in also, _note(world_note, note), name)
        if res_col is not None:
            rc = cell(res_col)
            rnote = row[res_notes_col].strip() if res_notes_col is not None else ""
            if rc.text.strip() == "" and rnote == "NA":  # 2025: NA sits in the notes column
                rc, rnote = _Cell(rc.file, rc.line, rc.field, "NA"), ""
            value, bound = _number(rc)
            year = int(res_m.group(1)) if res_m else edition - 1
            table.reserves(iso3, year, value, bound, rc.text.strip(), _note(world_note, rnote), name)
    if table is None:
        raise UsgsImportError(Problem(str(path), 1, None, "no rare-earths rows"))
    return table.finish()


# ------------------------------------------------------------------------- salient statistics

#: wide salient columns (the name without its unit suffix: _t, _pct, _num, _m, _) -> (measure, unit)
_WIDE_MEASURES = {
    "usprod_concentrate": ("production, mineral concentrates", "t REO"),
    "usprod_compounds-metals": ("production, compounds and metals", "t REO"),
    "imports_compounds": ("imports, compounds", "t REO"),
    "imports_alloys": ("imports, ferrocerium and alloys", "t REO"),
    "imports_metals": ("imports, rare-earth metals and alloys", "t REO"),
    "exports_ores-compounds": ("exports, ores and compounds", "t REO"),
    "exports_alloys": ("exports, ferrocerium and alloys", "t REO"),
    "exports_metals": ("exports, rare-earth metals and alloys", "t REO"),
    "consump_compounds-metals": ("apparent consumption, compounds and metals", "t REO"),
    "employment": ("employment, mine and mill", "persons"),
    "nir_compounds-metals": ("net import reliance, compounds and metals", "percent"),
    "nir_concentrate": ("net import reliance, mineral concentrates", "percent"),
}

#: long-layout Statistics_detail -> measure (the 2026 file)
_LONG_MEASURES = {
    "production: mineral concentrates": "production, mineral concentrates",
    "production: compounds and metals": "production, compounds and metals",
    "imports: compounds": "imports, compounds",
    "imports: metals: ferrocerium, alloys": "imports, ferrocerium and alloys",
    "imports: metals: rare-earth metals and alloys": "imports, rare-earth metals and alloys",
    "imports, compounds and metals": "imports, compounds and metals",
    "exports: ores and compounds": "exports, ores and compounds",
    "exports: metals: ferrocerium, alloys": "exports, ferrocerium and alloys",
    "exports: metals: rare-earth metals and alloys": "exports, rare-earth metals and alloys",
    "consumption, apparent, compounds and metals": "apparent consumption, compounds and metals",
    "employment, mine and mill, annual average, number": "employment, mine and mill",
    "net import reliance as a percentage of apparent consumption: compounds and metals":
        "net import reliance, compounds and metals",
    "net import reliance as a percentage of apparent consumption: mineral concentrates":
        "net import reliance, mineral concentrates",
    "net import reliance as a percentage of apparent consumption, compounds and metals":
        "net import reliance, compounds and metals",
}
_LONG_UNITS = {"metric tons": "t REO", "percent": "percent", "number": "persons"}
_SCOPES = {"RARE EARTHS": "rare earths", "RARE EARTHS (Heavy)": "heavy rare earths"}

#: price series that are not one element's oxide: name as published (casefolded) -> (series, elements)
_SERIES = {
    "mischmetal": ("mischmetal", ["Ce", "La"]),
    "neodymium-praseodymium (ndpr) oxide": ("NdPr oxide", ["Nd", "Pr"]),
}


def _element_symbol(name: str) -> str | None:
    import periodictable

    el = getattr(periodictable, name.strip().lower(), None)
    return str(el.symbol) if el is not None and hasattr(el, "symbol") else None


def _series(cell: _Cell, published: str) -> tuple[str, list[str], str]:
    """(series, element symbols, grade) of a published price name, e.g. 'Neodymium oxide, 99.5% minimum'."""
    name, _, grade = published.partition(",")
    key = name.strip().casefold()
    if key in _SERIES:
        series, elements = _SERIES[key]
        return series, list(elements), grade.strip()
    m = re.fullmatch(r"([a-z]+) oxide", key)
    symbol = _element_symbol(m.group(1)) if m else None
    if symbol is None:
        raise cell.fail(f"unknown price series {published!r}")
    return f"{m.group(1)} oxide" if m else key, [symbol], grade.strip()


def _oxide_column(cell: _Cell, formula: str) -> tuple[str, list[str]]:
    """Price_CeO2_dkg -> ('cerium oxide', ['Ce']); Price_Mischmetal_dkg -> ('mischmetal', ['Ce', 'La'])."""
    if formula.casefold() in _SERIES:
        series, elements = _SERIES[formula.casefold()]
        return series, list(elements)
    m = re.fullmatch(r"([A-Z][a-z]?)\d*O\d*", formula)
    import periodictable

    el = getattr(periodictable, m.group(1), None) if m else None
    if el is None or not hasattr(el, "number"):
        raise cell.fail(f"unknown price column {cell.field!r}")
    return f"{el.name.lower()} oxide", [str(el.symbol)]


def _cell_value(cell: _Cell) -> tuple[float | None, bool, str]:
    """(value, is_lower_bound, text as published) of a salient cell: 'E', 'XX', 'NA' have no value."""
    t = cell.text.strip()
    if t in ("E", "XX", "NA", "W"):
        return None, False, t
    value, bound = _number(cell)
    if value is None:
        raise cell.fail("empty cell")
    return value, bound, t


def _stat_row(iso3: str, year: int, scope: str, measure: str, value: float | None, bound: bool, text: str,
              unit: str, estimated: bool | None, source: str, note: str) -> dict[str, str]:
    return {"iso3": iso3, "year": str(year), "scope": scope, "measure": measure,
            "value": "" if value is None else _fmt(value), "text": text, "unit": unit,
            "lower_bound": "true" if bound else "false",
            "estimated": "" if estimated is None else ("true" if estimated else "false"),
            "sources": source, "note": note}


def _price_row(series: str, elements: list[str], year: int, value: float, grade: str,
               estimated: bool | None, source: str, note: str) -> dict[str, str]:
    return {"series": series, "elements": ";".join(elements), "year": str(year), "usd_per_kg": _fmt(value),
            "grade": grade, "estimated": "" if estimated is None else ("true" if estimated else "false"),
            "sources": source, "note": note}


_SALIENT_ID = ("datasource", "commodity", "year")


def _read_salient_wide(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> ImportedEdition:
    """2022-2025 ``mcsYYYY-raree_salient.csv``: one row per year, one column per series (unit in the
    column name's suffix). The files mark no estimates: ``estimated`` stays null."""
    cols = {h.casefold(): i for i, h in enumerate(header)}
    if any(c not in cols for c in _SALIENT_ID):
        raise UsgsImportError(Problem(str(path), 1, "header", "no DataSource/Commodity/Year column"))
    edition: int | None = None
    out: ImportedEdition | None = None
    for r in _records(path, header, rows):
        row, cell = r.cells, r.cell
        ed = _edition_of(path, row[cols["datasource"]])
        if out is None:
            edition, out = ed, ImportedEdition(ed)
        elif ed != edition:
            raise cell(cols["datasource"]).fail(f"edition MCS{ed} in a file of MCS{edition}")
        year_text = row[cols["year"]].strip()
        if not re.fullmatch(r"\d{4}", year_text):
            raise cell(cols["year"]).fail(f"not a year: {year_text!r}")
        year = int(year_text)
        source = f"{out.source}-salient"
        for i, h in enumerate(header):
            if h.casefold() in _SALIENT_ID or h == "":
                continue
            stem = h.rsplit("_", 1)[0] if "_" in h else h
            c = cell(i)
            if stem.casefold().startswith("price_"):
                series, elements = _oxide_column(c, stem.split("_", 1)[1])
                value, _bound, _text = _cell_value(c)
                if value is not None:
                    out.prices.append(_price_row(series, elements, year, value, "", None, source, ""))
                continue
            if stem.casefold() not in _WIDE_MEASURES:
                raise c.fail(f"unknown salient column {h!r}")
            measure, unit = _WIDE_MEASURES[stem.casefold()]
            value, bound, text = _cell_value(c)
            note = {"E": "net exporter", "XX": "not applicable"}.get(text, "")
            out.statistics.append(_stat_row("USA", year, "rare earths", measure, value, bound, text, unit, None,
                                            source, note))
    if out is None:
        raise UsgsImportError(Problem(str(path), 1, None, "no salient-statistics rows"))
    return out


_PERIOD = re.compile(r"^(\d{4})\s*[\u2013-]\s*(\d{2}|\d{4})$")


def _read_long_salient(out: ImportedEdition, r: _Row, ix: dict[str, int]) -> None:
    """One row of the 2026 Salient Statistics—United States or Import Sources sections."""
    row = r.cells

    def cell(name: str) -> _Cell:
        return r.cell(ix[name])

    scope = _SCOPES[row[ix["MCS chapter"]].strip()]
    section = row[ix["Section"]].strip()
    detail = " ".join(row[ix["Statistics_detail"]].split())
    notes = [n.strip() for n in row[ix["Notes"]].split(" -- ") if n.strip()]
    estimated = bool(notes) and notes[0] == "Estimated."
    rest = [n for n in notes if n != "Estimated."]
    year_text = row[ix["Year"]].strip()
    if section == "Import Sources":
        m = _PERIOD.match(year_text)
        if not m:
            raise cell("Year").fail(f"not a period: {year_text!r}")
        start = int(m.group(1))
        end = int(m.group(2)) if len(m.group(2)) == 4 else start // 100 * 100 + int(m.group(2))
        value, _bound, text = _cell_value(cell("Value"))
        if value is None or row[ix["Unit"]].strip() != "percent":
            raise cell("Value").fail(f"not a share in percent: {text!r}")
        commodity = row[ix["Commodity"]].strip()
        symbol = _element_symbol(commodity) if commodity.casefold() not in ("rare earths", "rare earths (heavy)") else None
        partner_name = " ".join(row[ix["Country"]].split())
        partner = _iso3(cell("Country"))
        out.import_sources.append({
            "importer": "USA", "partner": partner or "", "partner_name": partner_name, "material": detail,
            "elements": symbol or "", "share": _fmt(round(value / 100, 6)), "period": year_text,
            "from_year": str(start), "to_year": str(end), "sources": out.source, "note": _note(*rest)})
        return
    if not re.fullmatch(r"\d{4}", year_text):
        raise cell("Year").fail(f"not a year: {year_text!r}")
    year = int(year_text)
    stat = row[ix["Statistics"]].strip()
    if stat == "Price":
        published = detail.split(":", 1)[1] if ":" in detail else detail
        series, elements, grade = _series(cell("Statistics_detail"), published.strip())
        value, _bound, text = _cell_value(cell("Value"))
        if value is None:
            return
        out.prices.append(_price_row(series, elements, year, value, grade, estimated, out.source, _note(*rest)))
        return
    measure = _LONG_MEASURES.get(detail.casefold())
    if measure is None:
        raise cell("Statistics_detail").fail(f"unknown salient statistic {detail!r}")
    unit = _LONG_UNITS.get(row[ix["Unit"]].strip())
    if unit is None:
        raise cell("Unit").fail(f"unknown unit {row[ix['Unit']].strip()!r}")
    value, bound, text = _cell_value(cell("Value"))
    if text == "E":
        rest.insert(0, "net exporter")
    out.statistics.append(_stat_row("USA", year, scope, measure, value, bound, text, unit, estimated,
                                    out.source, _note(*rest)))


_LONG_HEADER = ["MCS chapter", "Section", "Commodity", "Country", "Statistics", "Statistics_detail",
                "Unit", "Year", "Value", "Notes"]


def _read_long(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> ImportedEdition:
    """2026: one row per figure; the estimate is marked in the Notes cell."""
    ix = {h: header.index(h) for h in _LONG_HEADER}
    table = _Table(_edition_of(path, None))
    seen = False
    for r in _records(path, header, rows):
        row = r.cells
        chapter, section = r.text(ix["MCS chapter"]), r.text(ix["Section"])
        if chapter in _SCOPES and (section.startswith("Salient Statistics") or section == "Import Sources"):
            _read_long_salient(table.out, r, ix)
            continue
        if chapter != "RARE EARTHS" or section != "World Mine Production and Reserves":
            continue
        seen = True

        def cell(name: str, r: _Row = r) -> _Cell:
            return r.cell(ix[name])

        unit = row[ix["Unit"]].strip()
        if unit != "metric tons":
            raise cell("Unit").fail(f"unit {unit!r}, expected 'metric tons'")
        year_text = row[ix["Year"]].strip()
        if not re.fullmatch(r"\d{4}", year_text):
            raise cell("Year").fail(f"not a year: {year_text!r}")
        year = int(year_text)
        name = " ".join(row[ix["Country"]].split())
        iso3 = _iso3(cell("Country"))
        notes = [n.strip() for n in row[ix["Notes"]].split(" -- ")]
        estimated = bool(notes) and notes[0] == "Estimated."
        rest = [n for n in notes if n not in ("Estimated.", "Reported.",
                "See Appendix C for resource and reserve definitions and information concerning data sources.")]
        if notes and notes[0] == "Reported.":
            rest.insert(0, "Reported")
        detail = row[ix["Statistics_detail"]].strip()
        world_note = "World total (rounded)" if iso3 == "WLD" and detail.endswith("rounded") else ""
        stat = row[ix["Statistics"]].strip()
        value_cell = cell("Value")
        if stat == "Production":
            value, _ = _number(value_cell)
            table.production(iso3, year, value, estimated, _note(world_note, *rest), name)
        elif stat == "Reserves":
            value, bound = _number(value_cell)
            table.reserves(iso3, year, value, bound, value_cell.text.strip(), _note(world_note, *rest), name)
        else:
            raise cell("Statistics").fail(f"unknown statistic {stat!r}")
    if not seen:
        raise UsgsImportError(Problem(str(path), 1, None, "no RARE EARTHS world production rows"))
    return table.finish()


def _is_salient(header: list[str]) -> bool:
    low = {h.casefold() for h in header}
    return all(c in low for c in _SALIENT_ID) and any(h.casefold().startswith(("usprod_", "nir_")) for h in header)


def _layout(header: list[str]) -> str | None:
    """The one layout detector: 'long' (2026, all commodities), 'salient' (2022-2025 salient
    statistics), 'world' (2022-2025 world production tables), or None for any other CSV."""
    if all(h in header for h in _LONG_HEADER):
        return "long"
    if _is_salient(header):
        return "salient"
    if any(_PROD_COL.match(h) for h in header):
        return "world"
    return None


def _header(path: Path) -> list[str]:
    """The first row of a CSV file (the rest is not parsed)."""
    first = next(csv.reader(io.StringIO(_decode(path), newline="")), [])
    header = [h.strip() for h in first]
    while header and header[-1] == "":
        header.pop()
    return header


_READERS = {"long": ("world", "salient"), "salient": ("salient",), "world": ("world",)}


def read_file(path: Path) -> ImportedEdition:
    """One data-release file -> the edition's records. Raises UsgsImportError naming file:line: field.
    A Minerals Yearbook or Data Series 140 workbook (.xlsx) goes to `read_workbook`."""
    path = Path(path)
    if path.suffix.casefold() == ".xlsx":
        return read_workbook(path)
    try:
        header, rows = _rows(path)
    except OSError as exc:
        raise UsgsImportError(Problem(str(path), None, None, f"cannot read: {exc.strerror}")) from None
    layout = _layout(header)
    if layout is None:
        raise UsgsImportError(Problem(str(path), 1, "header", "not a USGS MCS world production or salient "
                                      "statistics table (no Prod_t_YYYY, USprod_ or MCS chapter column)"))
    reader = {"long": _read_long, "salient": _read_salient_wide, "world": _read_world_wide}[layout]
    ed = reader(path, header, rows)
    for kind in _READERS[layout]:
        ed.files[kind] = path
    ed.origin = path.name
    return ed


def _kind(p: Path) -> str | None:
    if p.suffix.casefold() == ".xlsx":
        return "workbook"
    return _layout(_header(p)) if p.suffix.casefold() == ".csv" else None


def world_files(folder: Path) -> list[Path]:
    """The MCS world production files of a data-release folder (data/raw/usgs), one per edition."""
    return [p for p in sorted(Path(folder).rglob("*.csv")) if _kind(p) in ("world", "long")]


def release_files(folder: Path) -> list[Path]:
    """Every file of a data-release folder the importer reads: MCS world tables and salient
    statistics, Minerals Yearbook and Data Series 140 workbooks."""
    return [p for p in sorted(Path(folder).rglob("*")) if p.is_file() and _kind(p) is not None]


def import_files(paths: Iterable[Path]) -> list[ImportedEdition]:
    """Read each file and merge them by edition (a world table and a salient file each at most
    once per edition); then, per MCS edition, the U.S. production years the salient statistics give
    beyond the world table, and the corrections the release's revision history states. Editions in
    order (MCS first, then yearbooks, then the historical series)."""
    editions: dict[tuple[str, int], ImportedEdition] = {}
    paths = list(paths)
    if not paths:
        raise UsgsImportError(Problem("(arguments)", None, None, "no USGS MCS data-release file given or found"))
    for p in paths:
        ed = read_file(Path(p))
        have = editions.get((ed.series, ed.edition))
        if have is None:
            editions[ed.series, ed.edition] = ed
            continue
        for kind in ed.files:
            if kind in have.files:
                raise UsgsImportError(Problem(str(p), None, None,
                                              f"edition MCS{ed.edition} {kind} statistics already read from {have.files[kind]}"))
        have.files.update(ed.files)
        have.listed.update(ed.listed)
        have.other.update(ed.other)
        for name in ("production", "reserves", "statistics", "prices", "import_sources"):
            getattr(have, name).extend(getattr(ed, name))
        if ed.production:
            have.origin = ed.origin
    order = {"mcs": 0, "myb": 1, "ds140": 2}
    out = [editions[k] for k in sorted(editions, key=lambda k: (order[k[0]], k[1]))]
    for ed in out:
        if ed.series == "mcs":
            _salient_production(ed)
            if ed.files.get("world") is not None and (ed.files["world"].parent / _HISTORY).is_file():
                apply_version_history(ed, ed.files["world"].parent / _HISTORY)
                ed.meta["history"] = _HISTORY
    return out


def _salient_production(ed: ImportedEdition) -> None:
    """U.S. mine production (mineral concentrates) of the edition's salient statistics as Production
    figures, for the years its world table does not give (the salient table goes back five years),
    so that the latest edition reporting a year answers (US 2018: 14,000 t in MCS 2023)."""
    have = {r["year"] for r in ed.production if r["iso3"] == "USA"}
    for s in ed.statistics:
        if (s["iso3"], s["scope"], s["measure"]) != ("USA", "rare earths", "production, mineral concentrates"):
            continue
        if s["value"] == "" or s["year"] in have:
            continue
        have.add(s["year"])
        ed.production.append({
            "iso3": "USA", "year": s["year"], "stage": "mining", "tonnes": s["value"],
            "estimated": "true" if s["estimated"] == "true" else "false", "revised": "false",
            "sources": s["sources"],
            "note": _note("U.S. production of mineral concentrates in the edition's Salient Statistics—United States",
                          "the file marks no estimates" if s["estimated"] == "" else "", s["note"])})


# ------------------------------------------------------------------------- revision history

_HISTORY = "versionHist.txt"
#: the pages of the rare-earths chapter's world table in each edition's volume (MCS 2026: p. 153)
_TABLE_PAGES = {2026: {"153"}}
_VERSION = re.compile(r"^Revised and reposted (\w+ \d{1,2}, \d{4}), as version (\d+\.\d+)", re.MULTILINE)
_CHANGE = re.compile(r'the value of (reserves|mine production) for ([A-Z][\w ]*?) was changed from "([^"]+)" to "([^"]+)"')
_TOTAL = re.compile(r'the total was revised (?:down|up) from "([^"]+)" to "([^"]+)"')
_FOOTNOTE = re.compile(r"footnote (\d+) was removed from ([A-Z][\w ]*?)'s (\d{4}) mine production")


def apply_version_history(ed: ImportedEdition, path: Path) -> None:
    """Apply what a release's revision history (``versionHist.txt``) states for the rare-earths world
    table: each changed figure becomes a record citing that version (``usgs-mcs-YYYY-vX.Y``, dated the
    reposting), the data release's figure stays as the earlier vintage with a note. A stated old value
    that is not the release's figure is an error naming the file and line."""
    import datetime as dt

    text = _decode(path)
    marks = list(_VERSION.finditer(text))
    pages = "|".join(sorted(_TABLE_PAGES.get(ed.edition, set()))) or "(?!)"
    para = re.compile(rf"On p\. (?:{pages}),[^\n]*(?:\n(?!\s*\n)[^\n]*)*")
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        version = m.group(2)
        date = dt.datetime.strptime(m.group(1), "%B %d, %Y").date().isoformat()
        ours = list(para.finditer(text, m.end(), end))
        if not ours:
            continue
        sid = f"{ed.source}-v{version}"
        changed = 0
        for pm in ours:
            line = text.count("\n", 0, pm.start()) + 1
            par = " ".join(pm.group(0).split())
            for fn in _FOOTNOTE.finditer(par):  # a footnote moved: the figure stays, its note says so
                iso3 = _iso3(_Cell(str(path), line, "country", fn.group(2)))
                for row in ed.production:
                    if (row["iso3"], row["year"], row["sources"]) == (iso3, fn.group(3), ed.source):
                        row["note"] = _note(row["note"], f"version {version} ({date}) removed footnote "
                                                         f"{fn.group(1)} from this figure; the value did not change")
            for c in _CHANGE.finditer(par):
                what, country, old, new = c.groups()
                changed += _correct(ed, path, line, what, country, old, new, sid, version, date)
                total = _TOTAL.search(par, c.end())
                if total:
                    changed += _correct(ed, path, line, what, "World total", total.group(1), total.group(2), sid,
                                        version, date)
        if changed:  # a version that only moved a footnote (MCS 2026 v1.1) changes no figure
            ed.versions.append({"id": sid, "version": version, "date": date, "file": path, "changed": changed,
                                "text": " ".join(" ".join(pm.group(0).split()) for pm in ours)})


def _correct(ed: ImportedEdition, path: Path, line: int, what: str, country: str, old: str, new: str,
             sid: str, version: str, date: str) -> int:
    iso3 = _iso3(_Cell(str(path), line, "country", country))
    rows = ed.reserves if what == "reserves" else ed.production
    latest = max((int(r["year"]) for r in rows), default=0)
    found = [r for r in rows if r["iso3"] == iso3 and int(r["year"]) == latest and r["sources"] == ed.source]
    old_value, old_bound = _number(_Cell(str(path), line, what, old))
    new_value, new_bound = _number(_Cell(str(path), line, what, new))
    if not found or old_value is None or float(found[0]["tonnes"]) != old_value:
        raise UsgsImportError(Problem(str(path), line, what, f"{country}: the history says {old!r}, the release "
                                      f"gives {found[0]['tonnes'] if found else 'no figure'}"))
    if new_value is None:
        raise UsgsImportError(Problem(str(path), line, what, f"{country}: not a number: {new!r}"))
    row = found[0]
    fixed = dict(row)
    fixed["tonnes"], fixed["sources"] = _fmt(new_value), sid
    fixed["note"] = _note(f"published as '{new}' (lower bound), recorded as the bound" if new_bound else "",
                          f"corrected in version {version} ({date}) from '{old}', as the release's revision history states",
                          "World total (rounded)" if iso3 == "WLD" else "")
    row["note"] = _note(row["note"], f"version 1.0 figure; version {version} ({date}) corrected it to '{new}'")
    rows.append(fixed)
    return 1


# ------------------------------------------------------------------------- workbooks (Minerals Yearbook, DS140)


def _rich(value: object) -> tuple[str, list[str]]:
    """(plain text, superscript markers) of a workbook cell; openpyxl gives superscripts as text blocks."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock

    if isinstance(value, CellRichText):
        plain: list[str] = []
        marks: list[str] = []
        for part in value:
            if isinstance(part, TextBlock) and part.font is not None and part.font.vertAlign == "superscript":
                marks.extend(m.strip() for m in part.text.split(",") if m.strip())
            else:
                plain.append(str(part.text if isinstance(part, TextBlock) else part))
        return "".join(plain).strip(), marks
    return ("" if value is None else str(value)).strip(), []


def read_workbook(path: Path) -> ImportedEdition:
    """A USGS workbook: the Minerals Yearbook rare-earths tables (``myb1-YYYY-raree*.xlsx``: the world
    mine production table) or Data Series 140 (``ds140-rare-earths-YYYY.xlsx``)."""
    import warnings
    import zipfile

    import openpyxl

    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # print-area definitions openpyxl cannot keep
            wb = openpyxl.load_workbook(path, rich_text=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise UsgsImportError(Problem(str(path), None, None, f"not a readable workbook: {exc}")) from None
    name = path.name.casefold()
    if name.startswith("ds140"):
        ed = _read_ds140(path, wb)
    elif name.startswith("myb1"):
        ed = _read_myb(path, wb)
    else:
        raise UsgsImportError(Problem(str(path), None, None, "not a USGS Minerals Yearbook (myb1-YYYY-*.xlsx) or "
                                      "Data Series 140 (ds140-*.xlsx) workbook"))
    ed.files["world"] = path
    ed.origin = path.name
    return ed


_MYB_TITLE = re.compile(r"WORLD MINE PRODUCTION, BY COUNTRY", re.IGNORECASE)


def _read_myb(path: Path, wb: object) -> ImportedEdition:
    """The yearbook's world mine production table: one row per country, a value column and a marker
    column per year; superscripts on a country name apply to its whole row (e = estimated, digits =
    footnotes), markers beside a value to that value (e, r = revised, digits); ``--`` is zero."""
    m = re.search(r"myb1-(\d{4})", path.name)
    if m is None:
        raise UsgsImportError(Problem(str(path), None, None, "edition not found in the file name (myb1-YYYY-...)"))
    sheet = next((ws for ws in wb.worksheets  # type: ignore[attr-defined]
                  if any(_MYB_TITLE.search(_rich(c.value)[0]) for row in ws.iter_rows(max_row=4) for c in row)), None)
    if sheet is None:
        raise UsgsImportError(Problem(str(path), None, None, "no sheet titled '... WORLD MINE PRODUCTION, BY COUNTRY ...'"))
    where = f"{path}[{sheet.title}]"
    rows = list(sheet.iter_rows())
    head = next((i for i, r in enumerate(rows) if _rich(r[0].value)[0].casefold().startswith("country")), None)
    if head is None:
        raise UsgsImportError(Problem(where, None, None, "no 'Country or locality' header row"))
    years = [(j, int(c.value)) for j, c in enumerate(rows[head]) if isinstance(c.value, int) and 1900 < c.value < 2100]
    if not years:
        raise UsgsImportError(Problem(where, head + 1, None, "no year columns in the header row"))
    footnotes: dict[str, str] = {}
    for r in rows:
        text = _rich(r[0].value)[0]
        fm = re.match(r"^(\d{1,2})(\D.*)$", text)
        if fm and len(text) > 20:
            footnotes[fm.group(1)] = fm.group(2).strip()
    ed = ImportedEdition(int(m.group(1)), series="myb")
    title = " ".join(_rich(c.value)[0] for r in rows[:head] for c in r[:1] if c.value)
    ed.meta = {"table": sheet.title, "title": title}
    world_notes = [f"{k}. {v}" for k, v in sorted(footnotes.items()) if k in ("1", "2")]
    for i in range(head + 1, len(rows)):
        r = rows[i]
        name, marks = _rich(r[0].value)
        if not name or not any(isinstance(r[j].value, (int, float)) or str(r[j].value).strip() == "--" for j, _ in years):
            continue
        line = i + 1
        iso3 = "WLD" if name.casefold() == "total" else _iso3(_Cell(where, line, "A", name))
        if iso3 is None:
            continue
        row_est = "e" in marks
        row_notes = [footnotes[k] for k in marks if k in footnotes]
        for j, year in years:
            cell = _Cell(where, line, r[j].coordinate, str(r[j].value if r[j].value is not None else ""))
            value, _ = _number(cell) if cell.text.strip() != "--" else (0.0, False)
            marker = str(r[j + 1].value or "").strip() if j + 1 < len(r) else ""
            cell_marks = [x.strip() for x in marker.split(",") if x.strip()]
            if iso3 != "WLD":
                ed.listed.setdefault(year, []).append((name, iso3))
            if value is None:
                continue
            notes = row_notes + [footnotes[k] for k in cell_marks if k in footnotes]
            if iso3 == "WLD":
                notes = [f"World total (the Total row of table {sheet.title.lstrip('T')})", *world_notes]
            ed.production.append({
                "iso3": iso3, "year": str(year), "stage": "mining", "tonnes": _fmt(value),
                "estimated": "true" if row_est or "e" in cell_marks else "false",
                "revised": "true" if "r" in cell_marks else "false",
                "sources": ed.source, "note": _note(*notes)})
    if not ed.production:
        raise UsgsImportError(Problem(where, None, None, "no country rows with figures"))
    return ed


def _read_ds140(path: Path, wb: object) -> ImportedEdition:
    """Data Series 140, rare earths: U.S. production and world production by year since 1900 (t REO).
    Kept as its own vintage (source usgs-ds140-YYYY, basis 'historical series'): its world totals are
    compiled from the yearbooks (China at its official quota), not the MCS estimates."""
    m = re.search(r"(\d{4})", path.name)
    ws = wb.worksheets[0]  # type: ignore[attr-defined]
    where = f"{path}[{ws.title}]"
    rows = list(ws.iter_rows(values_only=True))
    head = next((i for i, r in enumerate(rows) if r and str(r[0]).strip() == "Year"), None)
    if head is None or m is None:
        raise UsgsImportError(Problem(where, None, None, "no 'Year' header row (or no year in the file name)"))
    cols = {str(h).strip(): j for j, h in enumerate(rows[head]) if h is not None}
    if "Production" not in cols or "World production" not in cols:
        raise UsgsImportError(Problem(where, head + 1, None, "no 'Production' and 'World production' columns"))
    modified = next((str(r[0]) for r in rows[:head] if r and str(r[0]).startswith("Last modification")), "")
    ed = ImportedEdition(int(m.group(1)), series="ds140")
    ed.meta = {"modified": modified}
    for i in range(head + 1, len(rows)):
        r = rows[i]
        if not isinstance(r[0], int):
            continue
        for col, iso3, note in (
                ("Production", "USA", "Contained REO equivalent in U.S.-produced bastnaesite and monazite concentrates"),
                ("World production", "WLD", "World REO-equivalent content of ores produced, compiled from the "
                                            "Minerals Yearbooks (China at its official quota), not the MCS estimate")):
            cell = _Cell(where, i + 1, col, str(r[cols[col]]) if r[cols[col]] is not None else "")
            value, _ = _number(cell)
            if value is None:
                continue
            ed.production.append({
                "iso3": iso3, "year": str(r[0]), "stage": "mining", "tonnes": _fmt(value), "estimated": "false",
                "revised": "false", "sources": ed.source, "basis": "historical series", "note": note})
    return ed


# ------------------------------------------------------------------------- sources


def _manifest_row(path: Path) -> dict[str, str] | None:
    """The row of the nearest manifest.csv above the file that names it (data/raw/usgs/manifest.csv)."""
    path = path.resolve()
    for folder in path.parents:
        manifest = folder / "manifest.csv"
        if manifest.is_file():
            rel = path.relative_to(folder).as_posix()
            with manifest.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    if row.get("file") == rel:
                        return row
            return None
    return None


def source_records(ed: ImportedEdition) -> list[dict[str, object]]:
    """The Source records the edition's records cite, one per file read (and one per corrected version)."""
    out: list[dict[str, object]] = []
    seen: set[Path] = set()
    for kind in ("world", "salient"):
        path = ed.files.get(kind)
        if path is None or path in seen:
            continue
        seen.add(path)
        row = _manifest_row(path) or {}
        if ed.series == "mcs":
            both = ed.files.get("world") == ed.files.get("salient")
            sid = ed.source if kind == "world" else f"{ed.source}-salient"
            title = f"Mineral Commodity Summaries {ed.edition}: Rare Earths"
            if not both and kind == "salient":
                title += ", salient statistics"
            what = {"world": "world mine production and reserves", "salient": "salient statistics"}[kind]
            if both:
                what = "world mine production and reserves, salient statistics and import sources"
            edition = f"{ed.edition} (version 1.0)" if ed.versions else str(ed.edition)
            how = "`kb import usgs-mcs` from the data-release file"
        elif ed.series == "myb":
            sid, what = ed.source, f"table {ed.meta.get('table', '').lstrip('T')}, world mine production by country"
            title = f"Minerals Yearbook {ed.edition}: Rare Earths, tables (advance release), {ed.meta.get('table', '')}"
            edition, how = str(ed.edition), "`kb import usgs-mcs` from the workbook"
        else:
            sid, what = ed.source, "U.S. production and world production, by year"
            title = "Rare Earths Statistics, Historical Statistics for Mineral and Material Commodities (Data Series 140)"
            edition, how = str(ed.edition), "`kb import usgs-mcs` from the workbook"
        notes = f"Imported by {how} {path.name} ({what})"
        if row.get("doi_or_url"):
            notes += f", {row['doi_or_url']}"
        notes += "."
        if ed.meta.get("modified"):
            notes += f" {ed.meta['modified']}."
        if row.get("notes"):
            notes += " Copy: " + row["notes"]
        rec: dict[str, object] = {"id": sid, "title": title, "publisher": "U.S. Geological Survey",
                                  "date": row.get("date") or str(ed.edition), "kind": "dataset", "tier": "official",
                                  "edition": edition}
        if row.get("doi_or_url"):
            rec["url"] = row["doi_or_url"]
        if row.get("via"):
            rec["via"] = "data release copy read from " + row["via"]
        rec |= {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "notes": notes}
        out.append(rec)
    for v in ed.versions:
        path = Path(str(v["file"]))
        row = _manifest_row(path) or {}
        rec = {"id": v["id"], "title": f"Mineral Commodity Summaries {ed.edition}: Rare Earths, version {v['version']}",
               "publisher": "U.S. Geological Survey", "date": v["date"], "kind": "report", "tier": "official",
               "edition": f"{ed.edition} (version {v['version']})"}
        if row.get("doi_or_url"):
            rec["url"] = row["doi_or_url"]
        if row.get("via"):
            rec["via"] = "revision history copy read from " + row["via"]
        rec |= {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "notes": f"The release's revision history ({path.name}) for version {v['version']}, applied by "
                         f"`kb import usgs-mcs` to the data release's v1.0 figures ({v['changed']} figures changed): "
                         f"{v['text']}"}
        out.append(rec)
    return out


def _bundled_sources(*ids: str) -> list[dict[str, object]]:
    """Copies of the bundled Source records (ISO 3166, periodictable) that imported records need."""
    from importlib import resources

    import yaml

    path = Path(str(resources.files("kb.data"))) / "sources-base.yaml"
    found = {s["id"]: s for s in yaml.safe_load(path.read_text(encoding="utf-8"))["sources"]}
    return [found[i] for i in ids]


def _csv_text(header_comment: str, columns: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    buf.write(header_comment)
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


TITLES = {"mcs": "Mineral Commodity Summaries", "myb": "Minerals Yearbook", "ds140": "Data Series 140"}


def write_records(editions: Iterable[ImportedEdition], folder: Path) -> list[Path]:
    """Write production-, reserves-, statistics-, prices- and import_sources-usgs-mcsYYYY.csv (the
    data-record format of data/) and sources-usgs-mcs.yaml (the Source records they cite) into
    folder; returns the files written. The folder loads on its own (`kb load FOLDER`)."""
    import yaml

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    sources: list[dict[str, object]] = []
    for ed in editions:
        for name, columns, rows, what, kind in (
                ("production", PRODUCTION_BASIS_COLUMNS if ed.series == "ds140" else PRODUCTION_COLUMNS,
                 ed.production, "t REO equivalent", "world"),
                ("reserves", RESERVES_COLUMNS, ed.reserves, "t REO equivalent", "world"),
                ("statistics", STATISTICS_COLUMNS, ed.statistics, "salient statistics of the United States", "salient"),
                ("prices", PRICES_COLUMNS, ed.prices, "average prices in US$/kg", "salient"),
                ("import_sources", IMPORT_SOURCES_COLUMNS, ed.import_sources, "U.S. import sources", "salient")):
            if not rows:
                continue
            kinds = ("world", "salient") if name == "production" else (kind,)
            names = sorted({ed.files[k].name for k in kinds if k in ed.files})
            if ed.meta.get("history") and name in ("production", "reserves"):
                names.append(_HISTORY)
            comment = (f"# Generated by `kb import usgs-mcs` from {', '.join(names)} (USGS {TITLES[ed.series]} "
                       f"{ed.edition}, rare earths, {what}). Do not edit: re-run the importer.\n")
            p = folder / f"{name}-{ed.stem}.csv"
            p.write_text(_csv_text(comment, columns, rows), encoding="utf-8")
            written.append(p)
        sources.extend(source_records(ed))
    sources.extend(_bundled_sources("iso-3166", "periodictable"))
    p = folder / SOURCES_FILE
    p.write_text("# Generated by `kb import usgs-mcs`: the sources the imported records cite (copies of the\n"
                 "# bundled iso-3166 and periodictable included, so this folder loads on its own).\n"
                 + yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True, width=100000),
                 encoding="utf-8")
    written.append(p)
    return written
