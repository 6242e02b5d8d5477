"""Importers for the trade files analysts download: UN Comtrade CSV (Comtrade+ portal export or
API, camelCase header) and CEPII BACI (``t,i,j,k,v,q`` with a ``country_codes_V*.csv``).

Each file becomes one `Source` (kind dataset, tier official, its release, file name and
SHA-256) and each kept row one `TradeFlow` citing it. Rows outside the rare-earth HS
subheadings (`kb.schema.HsCode`), world totals, breakdown rows and other flow codes are
skipped and counted, not refused. A malformed file is refused whole: every problem, with
file, line and the file's own column name, in one `DataError`; nothing is written.

    imp = comtrade([Path("TradeData_....csv")])      # read + validate, nothing written
    imp.write(backend)                                # MERGE into the graph (idempotent)

The id of a Source is the start of its file's SHA-256, so importing the same file again
changes nothing; Country nodes already in the graph keep their properties.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, get_args

import pycountry

from kb.engines import Backend, Counters
from kb.errors import DataError, Problem
from kb.schema import EXTRA_ACTORS, HsCode

from .build import ISO_SOURCE, GraphRows, build
from .read import RawRecord, read_yaml
from .write import write_rows

#: the HS subheadings imported; other codes are skipped and counted
HS_CODES: frozenset[str] = frozenset(get_args(HsCode))

COMTRADE_REQUIRED = ("refYear", "reporterISO", "partnerISO", "flowCode", "cmdCode", "primaryValue", "netWgt")
COMTRADE_FLOWS = {"M": "import", "X": "export"}
#: UN Comtrade reporter/partner codes that differ from ISO 3166 numeric (used when the ISO cell is empty)
COMTRADE_NUMERIC = {"251": "FRA", "579": "NOR", "699": "IND", "757": "CHE", "842": "USA", "0": "W00"}
WORLD = {"W00", "WLD"}
BACI_COLUMNS = ("t", "i", "j", "k", "v", "q")
MISSING = {"", "NA", "N/A", "NaN", "nan"}


@dataclass
class TradeImport:
    """What an importer read: the records (sources and flows), the graph rows they make, and
    what it skipped (reason -> rows; HS code -> rows)."""

    files: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    records: list[RawRecord] = field(default_factory=list)
    rows: GraphRows = field(default_factory=GraphRows)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_codes: Counter[str] = field(default_factory=Counter)
    counters: Counters = field(default_factory=Counters)

    @property
    def flows(self) -> int:
        return sum(1 for r in self.records if r.section == "trade_flows")

    def write(self, backend: Backend) -> Counters:
        """Merge into the graph: flows and their sources; countries only where missing."""
        self.counters = write_rows(backend, self.rows, keep_existing=frozenset({"Country", "Source"}))
        return self.counters

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": len(self.files), "sources": self.sources, "flows": self.flows,
            "skipped": dict(sorted(self.skipped.items())), "skipped_codes": dict(sorted(self.skipped_codes.items())),
            "created": {"nodes": self.counters.nodes_created, "relationships": self.counters.relationships_created},
        }


# --------------------------------------------------------------------------- shared


def _text(path: Path, problems: list[Problem], fallback: str | None = None) -> tuple[str, str] | None:
    """(text, sha256 of the bytes); ``.gz`` files are decompressed, a BOM is dropped."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(str(path), None, None, f"cannot read: {exc.strerror or exc}"))
        return None
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            problems.append(Problem(str(path), None, None, f"not a gzip file ({exc})"))
            return None
    try:
        return data.decode("utf-8-sig"), digest
    except UnicodeDecodeError as exc:
        if fallback:
            return data.decode(fallback, errors="replace"), digest
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(str(path), line, None, f"not UTF-8 text ({exc.reason})"))
        return None


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return "\t" if "\t" in first and "," not in first else ","


def _header(text: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    return [h.strip() for h in next(csv.reader([first], delimiter=_delimiter(text)), [])]


def _rows(path: Path, text: str, problems: list[Problem]) -> Iterator[tuple[int, list[str], dict[str, str]]]:
    """(line, header, row by column name); tab-separated when the header has tabs and no commas;
    one extra empty trailing cell (portal exports) is tolerated."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        header = [h.strip() for h in next(reader, [])]
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in row):
                continue
            if len(row) == len(header) + 1 and not row[-1].strip():
                row = row[:-1]
            if len(row) != len(header):
                problems.append(Problem(str(path), start, None, f"{len(row)} cells where the header has {len(header)}"))
                continue
            yield start, header, {h: c.strip() for h, c in zip(header, row, strict=True)}
    except csv.Error as exc:
        problems.append(Problem(str(path), reader.line_num, None, f"malformed CSV: {exc}"))


def _number(value: str, path: Path, line: int, column: str, problems: list[Problem]) -> float | None:
    if value in MISSING:
        return None
    try:
        x = float(value)
    except ValueError:
        problems.append(Problem(str(path), line, column, f"not a number: {value!r}"))
        return None
    if x != x or x in (float("inf"), float("-inf")) or x < 0:
        problems.append(Problem(str(path), line, column, f"not a non-negative number: {value!r}"))
        return None
    return x


def _is_country(iso3: str) -> bool:
    return (iso3 in EXTRA_ACTORS and iso3 not in WORLD) or pycountry.countries.get(alpha_3=iso3) is not None


def _iso_source() -> RawRecord:
    """The bundled ISO 3166 Source record (countries a flow names cite it)."""
    problems: list[Problem] = []
    path = Path(str(resources.files("kb.data"))) / "sources-base.yaml"
    for rec in read_yaml(path, problems):
        if rec.section == "sources" and rec.data.get("id") == ISO_SOURCE:
            return rec
    raise DataError([*problems, Problem(str(path), None, "sources", f"source {ISO_SOURCE!r} not found")])


def _finish(imp: TradeImport, problems: list[Problem]) -> TradeImport:
    if problems:
        raise DataError(problems)
    imp.rows = build([_iso_source(), *imp.records])
    return imp


def _flow(path: Path, line: int, data: dict[str, Any], columns: dict[str, str]) -> RawRecord:
    return RawRecord("trade_flows", {k: v for k, v in data.items() if v is not None}, str(path), line,
                     {k: line for k in columns})


def _source(path: Path, line: int, data: dict[str, Any]) -> RawRecord:
    return RawRecord("sources", {k: v for k, v in data.items() if v is not None}, str(path), line, {})


# --------------------------------------------------------------------------- UN Comtrade

_PORTAL_NAME = re.compile(r"TradeData_(\d{1,2})_(\d{1,2})_(\d{4})_")


def _comtrade_iso(row: dict[str, str], side: str) -> str:
    iso = row.get(f"{side}ISO", "").upper()
    if iso:
        return iso
    code = row.get(f"{side}Code", "")
    if code in COMTRADE_NUMERIC:
        return COMTRADE_NUMERIC[code]
    c = pycountry.countries.get(numeric=code.zfill(3)) if code.isdigit() else None
    return c.alpha_3 if c is not None else ""


def _comtrade_file(path: Path, imp: TradeImport, problems: list[Problem]) -> None:
    got = _text(path, problems, fallback="cp1252")  # portal exports are not always UTF-8
    if got is None:
        return
    text, digest = got
    source_id = f"comtrade-{digest[:16]}"
    flows: list[RawRecord] = []
    years: set[int] = set()
    classes: set[str] = set()
    header = _header(text)
    if "Trade Flow Code" in header or "Commodity Code" in header:
        problems.append(Problem(str(path), 1, None, "the legacy comtrade.un.org layout; export the data "
                                "from the Comtrade+ portal or API (camelCase header: refYear, reporterISO, ...)"))
        return
    missing = [c for c in COMTRADE_REQUIRED if c not in header]
    if missing:
        problems.append(Problem(str(path), 1, missing[0], f"column missing from the header ({', '.join(missing)})"))
        return
    for line, _, row in _rows(path, text, problems):
        if row.get("freqCode", "A") not in ("A", ""):
            imp.skipped["monthly rows"] += 1
            continue
        flow = COMTRADE_FLOWS.get(row["flowCode"].upper())
        if flow is None:
            imp.skipped[f"flow {row['flowCode'] or '(empty)'}"] += 1
            continue
        code = row["cmdCode"]
        if code.isdigit() and len(code) == 5:
            code = code.zfill(6)
        if code not in HS_CODES:
            imp.skipped_codes[code or "(empty)"] += 1
            continue
        if (row.get("partner2Code", "0") not in ("0", "") or row.get("customsCode", "C00") not in ("C00", "")
                or row.get("motCode", "0") not in ("0", "")):
            imp.skipped["breakdown rows (partner2, customs or transport)"] += 1
            continue
        reporter, partner = _comtrade_iso(row, "reporter"), _comtrade_iso(row, "partner")
        if not reporter:
            problems.append(Problem(str(path), line, "reporterISO", "no reporter code"))
            continue
        if partner in WORLD:
            imp.skipped["world totals (partner W00)"] += 1
            continue
        if not partner:
            problems.append(Problem(str(path), line, "partnerISO", "no partner code"))
            continue
        if not _is_country(partner) or not _is_country(reporter):
            imp.skipped["areas that are not countries"] += 1
            continue
        try:
            year = int(row["refYear"])
        except ValueError:
            problems.append(Problem(str(path), line, "refYear", f"not a year: {row['refYear']!r}"))
            continue
        value = _number(row["primaryValue"], path, line, "primaryValue", problems)
        kg = _number(row["netWgt"], path, line, "netWgt", problems)
        if kg is None and row.get("qtyUnitAbbr", "").lower() == "kg":
            kg = _number(row.get("qty", ""), path, line, "qty", problems)
        if value is None and not kg:
            if row["primaryValue"] in MISSING:
                problems.append(Problem(str(path), line, "primaryValue", "neither a value nor a net weight"))
            continue
        years.add(year)
        if row.get("classificationCode"):
            classes.add(row["classificationCode"])
        exporter, importer = (partner, reporter) if flow == "import" else (reporter, partner)
        estimated = row.get("isNetWgtEstimated", "").lower() == "true" or row.get("isQtyEstimated", "").lower() == "true"
        flows.append(_flow(path, line, {
            "exporter": exporter, "importer": importer, "hs_code": code, "year": year, "value_usd": value,
            # a weight of 0 kg next to a value is a missing weight, not a figure
            "tonnes": kg / 1000.0 if kg else None, "reporter": reporter, "flow": flow, "partner": partner,
            "classification": row.get("classificationCode") or None, "estimated": estimated,
            "sources": [source_id],
        }, {"exporter": "partnerISO", "hs_code": "cmdCode"}))
    m = _PORTAL_NAME.search(path.name)
    date = f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}" if m else (str(max(years)) if years else None)
    if date is None:  # nothing kept: the file still is a source read, dated by nothing better
        date = "1900"
    imp.files.append(str(path))
    imp.sources.append(source_id)
    imp.records.append(_source(path, 1, {
        "id": source_id, "title": f"UN Comtrade data extract {path.name}",
        "publisher": "United Nations Statistics Division (UN Comtrade database)", "date": date,
        "url": "https://comtradeplus.un.org/", "kind": "dataset", "tier": "official",
        "edition": ", ".join(sorted(classes)) or None, "file": path.name, "sha256": digest,
        "notes": "Imported with `kb import comtrade`. Figures as each reporter declared them (primaryValue: CIF for "
                 "imports, FOB for exports, current US$; netWgt in kg). Date: the download date in the portal file "
                 "name, else the latest year in the file.",
    }))
    imp.records.extend(flows)


def comtrade(paths: Iterable[Path | str]) -> TradeImport:
    """Read and validate UN Comtrade CSV files (nothing written); `DataError` lists every problem."""
    imp, problems = TradeImport(), list[Problem]()
    for p in paths:
        _comtrade_file(Path(p), imp, problems)
    return _finish(imp, problems)


# --------------------------------------------------------------------------- CEPII BACI

_BACI_NAME = re.compile(r"BACI_(HS\d{2})_Y(\d{4})_V(\d{4})(\d{2})([a-z]?)", re.IGNORECASE)


def baci_countries(path: Path | str, problems: list[Problem] | None = None) -> dict[str, str]:
    """BACI country code -> ISO3 from ``country_codes_V*.csv`` (``country_code, ..., country_iso3``)."""
    path = Path(path)
    own: list[Problem] = [] if problems is None else problems
    out: dict[str, str] = {}
    got = _text(path, own)
    if got is not None:
        for line, header, row in _rows(path, got[0], own):
            if "country_code" not in header or "country_iso3" not in header:
                own.append(Problem(str(path), 1, None, "a BACI country file needs columns country_code and country_iso3"))
                break
            code, iso3 = row["country_code"], row["country_iso3"].upper()
            if not code.isdigit():
                own.append(Problem(str(path), line, "country_code", f"not a number: {code!r}"))
            elif not re.fullmatch(r"[A-Z0-9]{3}", iso3):
                own.append(Problem(str(path), line, "country_iso3", f"not a three-letter code: {iso3!r}"))
            else:
                out[str(int(code))] = iso3
    if problems is None and own:
        raise DataError(own)
    return out


def baci(path: Path | str, countries: Path | str) -> TradeImport:
    """Read and validate one BACI trade file (v thousand US$, q tonnes) with its country codes
    file (nothing written); `DataError` lists every problem."""
    path, imp, problems = Path(path), TradeImport(), list[Problem]()
    codes = baci_countries(countries, problems)
    got = _text(path, problems)
    if got is None or problems:
        raise DataError(problems)
    text, digest = got
    source_id = f"baci-{digest[:16]}"
    m = _BACI_NAME.search(path.name)
    classification = m.group(1).upper() if m else None
    flows: list[RawRecord] = []
    years: set[int] = set()
    missing = [c for c in BACI_COLUMNS if c not in _header(text)]
    if missing:
        problems.append(Problem(str(path), 1, missing[0], "column missing from the header (t,i,j,k,v,q)"))
        raise DataError(problems)
    for line, _, row in _rows(path, text, problems):
        k = row["k"]
        if k.isdigit() and len(k) < 6:
            k = k.zfill(6)  # older releases wrote k as an integer: 10121 is 010121
        if k not in HS_CODES:
            imp.skipped_codes[k or "(empty)"] += 1
            continue
        try:
            year = int(row["t"])
        except ValueError:
            problems.append(Problem(str(path), line, "t", f"not a year: {row['t']!r}"))
            continue
        sides = []
        for col in ("i", "j"):
            key = str(int(row[col])) if row[col].isdigit() else row[col]
            if key not in codes:
                problems.append(Problem(str(path), line, col, f"country code {row[col]!r} is not in {Path(countries).name}"))
            sides.append(codes.get(key, ""))
        value = _number(row["v"], path, line, "v", problems)
        tonnes = _number(row["q"], path, line, "q", problems)
        if row["v"] in MISSING and row["q"] in MISSING:
            problems.append(Problem(str(path), line, "v", "neither a value nor a quantity"))
        exporter, importer = sides
        if not exporter or not importer:
            continue
        if not _is_country(exporter) or not _is_country(importer):
            imp.skipped["areas that are not countries"] += 1
            continue
        years.add(year)
        flows.append(_flow(path, line, {
            "exporter": exporter, "importer": importer, "hs_code": k, "year": year,
            "value_usd": value * 1000.0 if value is not None else None, "tonnes": tonnes,
            "classification": classification, "sources": [source_id],
        }, {"exporter": "i", "importer": "j", "hs_code": "k", "year": "t", "value_usd": "v", "tonnes": "q"}))
    if m:
        date, edition = f"{m.group(3)}-{m.group(4)}", f"{m.group(1).upper()} V{m.group(3)}{m.group(4)}{m.group(5)}"
    else:
        date, edition = (str(max(years)) if years else "1900"), None
    imp.files.append(str(path))
    imp.sources.append(source_id)
    imp.records.append(_source(path, 1, {
        "id": source_id, "title": f"CEPII BACI {edition + ' ' if edition else ''}{path.name}".strip(),
        "publisher": "CEPII (Centre d'etudes prospectives et d'informations internationales)", "date": date,
        "url": "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37", "kind": "dataset",
        "tier": "official", "edition": edition, "file": path.name, "sha256": digest,
        "notes": f"Imported with `kb import baci` (countries: {Path(countries).name}). Reconciled bilateral flows: "
                 "v thousand current US$ (stored as US$), q metric tons (NA or empty: absent). Date: the release "
                 "version in the file name, else the latest year in the file.",
    }))
    imp.records.extend(flows)
    return _finish(imp, problems)
