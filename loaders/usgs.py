"""USGS Mineral Commodity Summaries (MCS) data releases -> production and reserves records.

Reads the world mine production (and reserves) tables of the rare-earths chapter as USGS
publishes them in its data releases (`data/raw/usgs/`), one layout per edition:

* 2022, 2023, 2024: ``mcsYYYY-raree_world.csv`` (one small CSV for the chapter);
* 2025: ``MCS2025_World_Data.csv`` (all commodities, wide);
* 2026: ``MCS2026_Commodities_Data.csv`` (all commodities, long, Windows-1252).

Each figure is kept as the edition gives it, citing that edition's Source (``usgs-mcs-YYYY``):
``estimated`` is what the edition marks (an ``est`` column name; a note "Estimated in 2021
also."; a cell note starting "Estimated."), ``0``/``—``/an empty production cell of a country
the table lists is a zero, ``NA`` and ``W`` stay absent, a lower bound (``>90000000``) is
recorded as the bound with a note. The world total (iso3 WLD) is kept; the "Other countries"
remainder has no country to hang on, so its published figure goes in the note of the world row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pycountry

from kb.errors import KBError, Problem

__all__ = ["ImportedEdition", "UsgsImportError", "import_files", "world_files", "write_records",
           "PRODUCTION_COLUMNS", "RESERVES_COLUMNS"]

PRODUCTION_COLUMNS = ["iso3", "year", "stage", "tonnes", "estimated", "revised", "sources", "note"]
RESERVES_COLUMNS = ["iso3", "year", "tonnes", "estimated", "sources", "note"]

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
    """The records one edition gives: rows of data/production-*.csv and data/reserves-*.csv."""

    edition: int
    origin: str = "the MCS data release"
    production: list[dict[str, str]] = field(default_factory=list)
    reserves: list[dict[str, str]] = field(default_factory=list)

    @property
    def source(self) -> str:
        return f"usgs-mcs-{self.edition}"


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
        if value is None:
            return
        if iso3 is None:
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
    for line, row in rows:
        if all_commodities and commodity_col is not None and row[commodity_col].strip().casefold() != "rare earths":
            continue
        if len(row) < len(header):
            raise UsgsImportError(Problem(str(path), line, None, f"{len(row)} cells where the header has {len(header)}"))

        def cell(i: int, line: int = line, row: list[str] = row) -> _Cell:
            return _Cell(str(path), line, header[i], row[i])

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


_LONG_HEADER = ["MCS chapter", "Section", "Commodity", "Country", "Statistics", "Statistics_detail",
                "Unit", "Year", "Value", "Notes"]


def _read_long(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> ImportedEdition:
    """2026: one row per figure; the estimate is marked in the Notes cell."""
    ix = {h: header.index(h) for h in _LONG_HEADER}
    table = _Table(_edition_of(path, None))
    seen = False
    for line, row in rows:
        if len(row) < len(header):
            raise UsgsImportError(Problem(str(path), line, None, f"{len(row)} cells where the header has {len(header)}"))
        if row[ix["MCS chapter"]].strip() != "RARE EARTHS" or \
                row[ix["Section"]].strip() != "World Mine Production and Reserves":
            continue
        seen = True

        def cell(name: str, line: int = line, row: list[str] = row) -> _Cell:
            return _Cell(str(path), line, name, row[ix[name]])

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


def read_file(path: Path) -> ImportedEdition:
    """One data-release file -> the edition's records. Raises UsgsImportError naming file:line: field."""
    path = Path(path)
    try:
        header, rows = _rows(path)
    except OSError as exc:
        raise UsgsImportError(Problem(str(path), None, None, f"cannot read: {exc.strerror}")) from None
    if all(h in header for h in _LONG_HEADER):
        return _read_long(path, header, rows)
    if any(_PROD_COL.match(h) for h in header):
        return _read_world_wide(path, header, rows)
    raise UsgsImportError(Problem(str(path), 1, "header",
                                  "not a USGS MCS world production table (no Prod_t_YYYY or MCS chapter column)"))


def world_files(folder: Path) -> list[Path]:
    """The world production files of a data-release folder (data/raw/usgs), one per edition."""
    out = []
    for p in sorted(Path(folder).rglob("*.csv")):
        if "salient" in p.name.lower():
            continue
        header, _ = _rows(p)
        if any(_PROD_COL.match(h) for h in header) or all(h in header for h in _LONG_HEADER):
            out.append(p)
    return out


def import_files(paths: Iterable[Path]) -> list[ImportedEdition]:
    """Read each file; one edition per file, editions in order, each one once."""
    editions: dict[int, tuple[Path, ImportedEdition]] = {}
    paths = list(paths)
    if not paths:
        raise UsgsImportError(Problem("(arguments)", None, None, "no USGS MCS world production file given or found"))
    for p in paths:
        ed = read_file(Path(p))
        if ed.edition in editions:
            raise UsgsImportError(Problem(str(p), None, None,
                                          f"edition MCS{ed.edition} already read from {editions[ed.edition][0]}"))
        ed.origin = Path(p).name
        editions[ed.edition] = (Path(p), ed)
    return [editions[k][1] for k in sorted(editions)]


def _csv_text(header_comment: str, columns: list[str], rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    buf.write(header_comment)
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def write_records(editions: Iterable[ImportedEdition], folder: Path) -> list[Path]:
    """Write production-usgs-mcsYYYY.csv and reserves-usgs-mcsYYYY.csv into folder (the data-record
    format of data/production-usgs.csv); returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for ed in editions:
        comment = (f"# Generated by `kb import usgs-mcs` from {ed.origin} (USGS Mineral Commodity Summaries "
                   f"{ed.edition}, rare earths, t REO equivalent). Do not edit: re-run the importer.\n")
        p = folder / f"production-usgs-mcs{ed.edition}.csv"
        p.write_text(_csv_text(comment, PRODUCTION_COLUMNS, ed.production), encoding="utf-8")
        written.append(p)
        if ed.reserves:
            p = folder / f"reserves-usgs-mcs{ed.edition}.csv"
            p.write_text(_csv_text(comment, RESERVES_COLUMNS, ed.reserves), encoding="utf-8")
            written.append(p)
    return written
