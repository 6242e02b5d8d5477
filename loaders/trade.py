"""Importers for the trade files analysts download: UN Comtrade CSV (Comtrade+ portal export or
API, camelCase header) and CEPII BACI (``t,i,j,k,v,q`` with a ``country_codes_V*.csv``).

Each file becomes one `Source` (kind dataset, tier official, its release, file name and
SHA-256; title, via and licence from a manifest.csv beside a kept copy) and each kept row one
`TradeFlow` citing it. Rows outside the rare-earth HS subheadings (`kb.schema.HsCode`),
breakdown rows, areas that are no country, re-imports and other flow codes are skipped and
counted, not refused. A malformed file is refused whole: every problem, with file, line and the
file's own column name, in one `DataError`; nothing is written.

Layouts: Comtrade+ portal/API CSV (camelCase) and the trimmed API pull
(year,reporter,partner,cmd,flow,value,netwgt,qty,qtyunit), where a declaration given together with
its breakdowns cannot be told apart and is dropped whole (counted); BACI release files
(t,i,j,k,v,q + country codes) and extracts (i,j,cmd,value: ISO3, US$, year in the file name).

Decisions: the 4-digit HS heading 2846 (cerium and other rare-earth compounds together) is kept
apart, skipped and counted, never stored as 284610 or 284690. A reporter's imports from the World
beside the partners it lists become one flow from no country ("partners not itemised": the World
less those listed), so that shares are of its whole imports; `kb.schema` keeps WLD out of the
countries, so that flow has no EXPORTED edge.

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
#: an extract of a release (critical-materials-atlas): exporter and importer ISO3, HS6, value in US$
BACI_EXTRACT = ("i", "j", "cmd", "value")
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
    # a code that names no country (490 Other Asia nes, 899 Areas nes, 97 EU, ...) is an area: kept
    # apart as one, not a missing code
    return c.alpha_3 if c is not None else (f"#{code}" if code else "")


#: the trimmed layout of an API pull some projects commit (year,reporter,partner,cmd,flow,value,netwgt,
#: qty,qtyunit): numeric reporter and partner codes, no breakdown columns; read as the API's own names
COMTRADE_TRIMMED = {"year": "refYear", "reporter": "reporterCode", "partner": "partnerCode", "cmd": "cmdCode",
                    "flow": "flowCode", "value": "primaryValue", "netwgt": "netWgt", "qty": "qty",
                    "qtyunit": "qtyUnitCode"}
#: HS headings published at 4 digits: kept apart (skipped and counted), not stored as a subheading
HS_HEADINGS = {"2805": "280530", "2846": "284610 and 284690"}


@dataclass
class _ComtradeRead:
    """What one Comtrade file gave: its kept flows, years and HS revisions."""

    path: Path
    source_id: str
    flows: list[RawRecord] = field(default_factory=list)
    years: set[int] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    #: (reporter, HS code, year) -> (value US$, kg, line) of the reporter's imports from the World
    worlds: dict[tuple[str, str, int], tuple[float | None, float | None, int]] = field(default_factory=dict)


def _comtrade_layout(path: Path, header: list[str], problems: list[Problem]) -> dict[str, str] | None:
    """The column renaming of the file's layout ({} for the API/portal layout); None when refused."""
    if "Trade Flow Code" in header or "Commodity Code" in header:
        problems.append(Problem(str(path), 1, None, "the legacy comtrade.un.org layout; export the data "
                                "from the Comtrade+ portal or API (camelCase header: refYear, reporterISO, ...)"))
        return None
    rename = COMTRADE_TRIMMED if set(COMTRADE_TRIMMED) <= set(header) else {}
    names = {rename.get(h, h) for h in header}
    missing = [c for c in COMTRADE_REQUIRED if c not in names and not (c.endswith("ISO") and c[:-3] + "Code" in names)]
    if missing:
        problems.append(Problem(str(path), 1, missing[0], f"column missing from the header ({', '.join(missing)})"))
        return None
    return rename


def _comtrade_skip(row: dict[str, str], code: str) -> str | None:
    """Why a row is not a flow of a rare-earth subheading: a reason, "code" for another HS code, or
    None (it may be one)."""
    if row.get("freqCode", "A") not in ("A", ""):
        return "monthly rows"
    if COMTRADE_FLOWS.get(row["flowCode"].upper()) is None:
        return f"flow {row['flowCode'] or '(empty)'}"
    if code in HS_HEADINGS:
        return f"HS heading {code} (4 digits, kept apart: its subheadings are {HS_HEADINGS[code]})"
    if code not in HS_CODES:
        return "code"
    if (row.get("partner2Code", "0") not in ("0", "") or row.get("customsCode", "C00") not in ("C00", "")
            or row.get("motCode", "0") not in ("0", "")):
        return "breakdown rows (partner2, customs or transport)"
    return None


def _comtrade_figures(path: Path, line: int, row: dict[str, str],
                      problems: list[Problem]) -> tuple[float | None, float | None] | None:
    """(value US$, kg) of a row; None when it has neither (a problem when the value cell is empty)."""
    value = _number(row["primaryValue"], path, line, "primaryValue", problems)
    kg = _number(row["netWgt"], path, line, "netWgt", problems)
    if kg is None and (row.get("qtyUnitAbbr", "").lower() == "kg" or row.get("qtyUnitCode") == "8"):
        kg = _number(row.get("qty", ""), path, line, "qty", problems)
    if value is None and not kg:
        if row["primaryValue"] in MISSING:
            problems.append(Problem(str(path), line, "primaryValue", "neither a value nor a net weight"))
        return None
    return value, kg


def _comtrade_row(read: _ComtradeRead, line: int, row: dict[str, str], imp: TradeImport,
                  problems: list[Problem]) -> None:
    """One row: skipped and counted, refused (a problem), or kept as a flow."""
    path = read.path
    code = row["cmdCode"].zfill(6) if row["cmdCode"].isdigit() and len(row["cmdCode"]) == 5 else row["cmdCode"]
    why = _comtrade_skip(row, code)
    if why == "code":
        imp.skipped_codes[code or "(empty)"] += 1
        return
    if why is not None:
        imp.skipped[why] += 1
        return
    reporter, partner = _comtrade_iso(row, "reporter"), _comtrade_iso(row, "partner")
    if not reporter or not partner:
        side = "reporterISO" if not reporter else "partnerISO"
        problems.append(Problem(str(path), line, side, f"no {side[:-3]} code"))
        return
    if partner in WORLD:
        imp.skipped["world totals (partner W00)"] += 1
        figures = _comtrade_figures(path, line, row, problems) if row["refYear"].isdigit() else None
        if figures is not None and COMTRADE_FLOWS[row["flowCode"].upper()] == "import":
            read.worlds[(reporter, code, int(row["refYear"]))] = (*figures, line)
        return
    if partner == reporter:
        imp.skipped["re-imports and re-exports (the partner is the reporter)"] += 1
        return
    if not _is_country(partner) or not _is_country(reporter):
        imp.skipped["areas that are not countries"] += 1
        return
    if not row["refYear"].isdigit():
        problems.append(Problem(str(path), line, "refYear", f"not a year: {row['refYear']!r}"))
        return
    figures = _comtrade_figures(path, line, row, problems)
    if figures is None:
        return
    value, kg = figures
    flow = COMTRADE_FLOWS[row["flowCode"].upper()]
    read.years.add(int(row["refYear"]))
    if row.get("classificationCode"):
        read.classes.add(row["classificationCode"])
    exporter, importer = (partner, reporter) if flow == "import" else (reporter, partner)
    estimated = row.get("isNetWgtEstimated", "").lower() == "true" or row.get("isQtyEstimated", "").lower() == "true"
    read.flows.append(_flow(path, line, {
        "exporter": exporter, "importer": importer, "hs_code": code, "year": int(row["refYear"]),
        "value_usd": value,
        # a weight of 0 kg next to a value is a missing weight, not a figure
        "tonnes": kg / 1000.0 if kg else None, "reporter": reporter, "flow": flow, "partner": partner,
        "classification": row.get("classificationCode") or None, "estimated": estimated,
        "sources": [read.source_id],
    }, {"exporter": "partnerISO", "hs_code": "cmdCode"}))


def _drop_unsplit_breakdowns(read: _ComtradeRead, imp: TradeImport) -> None:
    """Without breakdown columns, a reporter-partner pair given twice is a total beside its breakdowns
    (by customs procedure, transport, second partner) that cannot be told apart: every flow of that
    reporter's declaration (year, HS code, flow) is dropped and counted, not summed."""
    def declaration(r: RawRecord) -> tuple[Any, ...]:
        return r.data["reporter"], r.data["flow"], r.data["hs_code"], r.data["year"]

    pairs = Counter((*declaration(r), r.data["partner"]) for r in read.flows)
    unsplit = {k[:4] for k, n in pairs.items() if n > 1}
    if unsplit:
        kept = [r for r in read.flows if declaration(r) not in unsplit]
        imp.skipped["declarations given with their breakdowns and no breakdown columns"] += len(read.flows) - len(kept)
        read.flows = kept


def _not_itemised(read: _ComtradeRead, imp: TradeImport) -> None:
    """A reporter's imports from the World beside the partners it itemises: the difference (the
    partners a file leaves out, areas that are no country) becomes one flow from WLD, so that shares
    are of the reporter's whole imports. Only for declarations with a partner kept."""
    for (reporter, code, year), (value, kg, line) in read.worlds.items():
        kept = [r.data for r in read.flows if (r.data["reporter"], r.data["flow"], r.data["hs_code"], r.data["year"])
                == (reporter, "import", code, year)]
        if not kept:
            continue
        values, weights = [d.get("value_usd") for d in kept], [d.get("tonnes") for d in kept]
        rest = value - sum(v for v in values if v is not None) if value is not None and None not in values else None
        rest_t = kg / 1000.0 - sum(t for t in weights if t) if kg and all(weights) else None
        if rest is not None and rest < -0.5:
            imp.skipped["world totals below the sum of their partners"] += 1
            continue
        rest, rest_t = (rest if rest is not None and rest > 0.5 else None), (rest_t if rest_t and rest_t > 1e-6 else None)
        if rest is None and rest_t is None:
            continue
        read.flows.append(_flow(read.path, line, {
            "exporter": "WLD", "importer": reporter, "hs_code": code, "year": year, "value_usd": rest,
            "tonnes": rest_t, "reporter": reporter, "flow": "import", "partner": "WLD",
            "classification": kept[0].get("classification"), "estimated": False, "sources": [read.source_id],
        }, {"exporter": "partnerISO", "hs_code": "cmdCode"}))


def _comtrade_source(read: _ComtradeRead, digest: str) -> RawRecord:
    """The Source record of the file, dated by the portal file name, else by the latest year in it."""
    path = read.path
    m = _PORTAL_NAME.search(path.name)
    date = f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}" if m else (
        str(max(read.years)) if read.years else "1900")  # nothing kept: still a source read
    return _source(path, 1, {
        "id": read.source_id, "title": f"UN Comtrade data extract {path.name}",
        "publisher": "United Nations Statistics Division (UN Comtrade database)", "date": date,
        "url": "https://comtradeplus.un.org/", "kind": "dataset", "tier": "official",
        "edition": ", ".join(sorted(read.classes)) or None, "file": path.name, "sha256": digest,
        "notes": "Imported with `kb import comtrade`. Figures as each reporter declared them (primaryValue: CIF for "
                 "imports, FOB for exports, current US$; netWgt in kg). Date: the download date in the portal file "
                 "name, else the latest year in the file.",
    })


def _comtrade_file(path: Path, imp: TradeImport, problems: list[Problem]) -> None:
    """One file: decode, recognise its layout, read each row, then cite the file as a Source."""
    got = _text(path, problems, fallback="cp1252")  # portal exports are not always UTF-8
    if got is None:
        return
    text, digest = got
    rename = _comtrade_layout(path, _header(text), problems)
    if rename is None:
        return
    read = _ComtradeRead(path, f"comtrade-{digest[:16]}")
    for line, _, cells in _rows(path, text, problems):
        _comtrade_row(read, line, {rename.get(k, k): v for k, v in cells.items()}, imp, problems)
    if rename:
        _drop_unsplit_breakdowns(read, imp)
    _not_itemised(read, imp)
    imp.files.append(str(path))
    imp.sources.append(read.source_id)
    imp.records.append(_comtrade_source(read, digest))
    imp.records.extend(read.flows)


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


@dataclass
class _BaciLayout:
    """How a BACI file is laid out: the release (t,i,j,k,v,q; country numbers, thousand US$) or an
    extract (i,j,cmd,value; ISO3 codes, US$, the year in the file name)."""

    year: str  # column name, or "" when the year is the file's
    hs: str
    value: str
    tonnes: str | None
    scale: float  # to US$
    codes: dict[str, str] | None  # country number -> ISO3; None: the file has ISO3 codes
    file_year: int | None = None


_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def _baci_layout(path: Path, header: list[str], countries: Path | None, year: int | None,
                 problems: list[Problem]) -> _BaciLayout | None:
    if set(BACI_COLUMNS) <= set(header):
        if countries is None:
            problems.append(Problem(str(path), 1, None, "a BACI release file (t,i,j,k,v,q) needs its country codes file"))
            return None
        return _BaciLayout("t", "k", "v", "q", 1000.0, baci_countries(countries, problems))
    if set(BACI_EXTRACT) <= set(header):
        m = _YEAR_IN_NAME.search(path.name)
        if year is None and m is None:
            problems.append(Problem(str(path), 1, None, "a BACI extract (i,j,cmd,value) has no year column: "
                                    "give --year or a file name with the year"))
            return None
        return _BaciLayout("", "cmd", "value", None, 1.0, None, year if year is not None else int(m.group(1)) if m else None)
    missing = [c for c in BACI_COLUMNS if c not in header]
    problems.append(Problem(str(path), 1, missing[0], "column missing from the header (t,i,j,k,v,q, or i,j,cmd,value "
                            "for an extract)"))
    return None


def _baci_side(row: dict[str, str], col: str, lay: _BaciLayout, path: Path, line: int, countries: Path | None,
               problems: list[Problem]) -> str:
    if lay.codes is None:
        iso3 = row[col].upper()
        if not re.fullmatch(r"[A-Z0-9]{3}", iso3):
            problems.append(Problem(str(path), line, col, f"not a three-letter code: {row[col]!r}"))
            return ""
        return iso3
    key = str(int(row[col])) if row[col].isdigit() else row[col]
    if key not in lay.codes:
        problems.append(Problem(str(path), line, col, f"country code {row[col]!r} is not in {Path(str(countries)).name}"))
    return lay.codes.get(key, "")


def _baci_row(path: Path, line: int, row: dict[str, str], lay: _BaciLayout, countries: Path | None,
              imp: TradeImport, problems: list[Problem]) -> dict[str, Any] | None:
    """One row as flow data; None when skipped (counted) or refused (a problem)."""
    k = row[lay.hs]
    if k.isdigit() and len(k) < 6:
        k = k.zfill(6)  # older releases wrote k as an integer: 10121 is 010121
    if k not in HS_CODES:
        imp.skipped_codes[k or "(empty)"] += 1
        return None
    year = lay.file_year
    if lay.year:
        if not row[lay.year].isdigit():
            problems.append(Problem(str(path), line, lay.year, f"not a year: {row[lay.year]!r}"))
            return None
        year = int(row[lay.year])
    exporter, importer = (_baci_side(row, c, lay, path, line, countries, problems) for c in ("i", "j"))
    value = _number(row[lay.value], path, line, lay.value, problems)
    tonnes = _number(row[lay.tonnes], path, line, lay.tonnes, problems) if lay.tonnes else None
    if row[lay.value] in MISSING and (lay.tonnes is None or row[lay.tonnes] in MISSING):
        problems.append(Problem(str(path), line, lay.value, "neither a value nor a quantity"))
    if not exporter or not importer or (value is None and tonnes is None):
        return None
    if not _is_country(exporter) or not _is_country(importer):
        imp.skipped["areas that are not countries"] += 1
        return None
    return {"exporter": exporter, "importer": importer, "hs_code": k, "year": year,
            "value_usd": value * lay.scale if value is not None else None, "tonnes": tonnes}


def _manifest_row(path: Path) -> dict[str, str]:
    """The row of the nearest manifest.csv above the file that names it with the file's SHA-256
    (data/raw/trade/manifest.csv); {} when none does."""
    path = path.resolve()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    for folder in path.parents:
        manifest = folder / "manifest.csv"
        if manifest.is_file():
            rel = path.relative_to(folder).as_posix()
            with manifest.open(encoding="utf-8", newline="") as fh:
                return next((r for r in csv.DictReader(fh) if r.get("file") == rel and r.get("sha256") == digest), {})
    return {}


def _baci_source(path: Path, digest: str, source_id: str, years: set[int], countries: Path | None) -> RawRecord:
    """The file's Source: its release from the file name (or the manifest beside the copy kept)."""
    m = _BACI_NAME.search(path.name)
    if m:
        date, edition = f"{m.group(3)}-{m.group(4)}", f"{m.group(1).upper()} V{m.group(3)}{m.group(4)}{m.group(5)}"
    else:
        date, edition = (str(max(years)) if years else "1900"), None
    row = _manifest_row(path)
    how = f"countries: {Path(countries).name}" if countries else "an extract with ISO3 codes and US$ values"
    notes = (f"Imported with `kb import baci` ({how}). Reconciled bilateral flows: v thousand current US$ (stored as "
             "US$), q metric tons (NA or empty, or no q column: absent). Date: the release version in the file name, "
             "else the latest year in the file.")
    if row:
        notes += f" Copy: {row['notes']} Licence: {row['licence']}."
    return _source(path, 1, {
        "id": source_id,
        "title": row.get("title") or f"CEPII BACI {edition + ' ' if edition else ''}{path.name}".strip(),
        "publisher": row.get("publisher") or "CEPII (Centre d'etudes prospectives et d'informations internationales)",
        "date": row.get("date") or date,
        "url": row.get("doi_or_url") or "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
        "kind": "dataset", "tier": "official", "edition": edition, "file": path.name, "sha256": digest,
        "via": row.get("via") or None, "notes": notes,
    })


def baci(path: Path | str, countries: Path | str | None = None, *, year: int | None = None) -> TradeImport:
    """Read and validate one BACI file (nothing written): a release file (t,i,j,k,v,q: v thousand
    US$, q tonnes) with its country codes file, or an extract (i,j,cmd,value: ISO3 codes, US$; the
    year from ``year`` or the file name). `DataError` lists every problem."""
    path, imp, problems = Path(path), TradeImport(), list[Problem]()
    cpath = Path(countries) if countries is not None else None
    got = _text(path, problems)
    lay = _baci_layout(path, _header(got[0]), cpath, year, problems) if got is not None else None
    if got is None or lay is None or problems:
        raise DataError(problems)
    text, digest = got
    source_id = f"baci-{digest[:16]}"
    m = _BACI_NAME.search(path.name)
    flows, years = [], set()
    for line, _, row in _rows(path, text, problems):
        data = _baci_row(path, line, row, lay, cpath, imp, problems)
        if data is not None:
            years.add(data["year"])
            flows.append(_flow(path, line, {**data, "classification": m.group(1).upper() if m else None,
                                            "sources": [source_id]},
                               {"exporter": "i", "importer": "j", "hs_code": lay.hs, "value_usd": lay.value}))
    imp.files.append(str(path))
    imp.sources.append(source_id)
    imp.records.append(_baci_source(path, digest, source_id, years, cpath))
    imp.records.extend(flows)
    return _finish(imp, problems)


def merged(imports: Iterable[TradeImport]) -> TradeImport:
    """One import of several files read apart (their records, graph rows and counts together)."""
    out = TradeImport()
    for imp in imports:
        out.files += imp.files
        out.sources += imp.sources
        out.records += imp.records
        out.skipped.update(imp.skipped)
        out.skipped_codes.update(imp.skipped_codes)
    return _finish(out, [])


# --------------------------------------------------------------------------- data records

#: columns of the generated trade_flows-*.csv data records (the TradeFlow fields an import sets)
FLOW_COLUMNS = ["exporter", "importer", "hs_code", "year", "value_usd", "tonnes", "reporter", "flow", "partner",
                "classification", "estimated", "sources"]
SOURCES_FILE = "sources-trade.yaml"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.15g}"
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def write_records(imports: Iterable[TradeImport], folder: Path | str, command: str) -> list[Path]:
    """Write each imported file's flows as ``trade_flows-<file stem>.csv`` (the data-record format of
    data/) and the Source records they cite as sources-trade.yaml (with a copy of the bundled
    iso-3166 source, so the folder loads on its own); returns the files written."""
    import yaml

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written, sources = [], [_iso_source().data]
    for imp in imports:
        for rec in imp.records:
            if rec.section == "sources":
                sources.append(rec.data)
        for file in imp.files:
            rows = [r.data for r in imp.records if r.section == "trade_flows" and r.file == file]
            stem = re.sub(r"[^a-z0-9_.-]+", "-", Path(file).name.lower().removesuffix(".gz").removesuffix(".csv"))
            p = folder / f"trade_flows-{stem}.csv"
            buf = io.StringIO()
            buf.write(f"# Generated by `{command}` from {Path(file).name} ({len(rows)} flows). Do not edit: "
                      "re-run the importer.\n")
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(FLOW_COLUMNS)
            w.writerows([_cell(r.get(c)) for c in FLOW_COLUMNS] for r in rows)
            p.write_text(buf.getvalue(), encoding="utf-8")
            written.append(p)
    p = folder / SOURCES_FILE
    p.write_text(f"# Generated by `{command}`: the sources the imported trade flows cite (a copy of the bundled\n"
                 "# iso-3166 included, so this folder loads on its own). Do not edit: re-run the importer.\n"
                 + yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True, width=100000),
                 encoding="utf-8")
    written.append(p)
    return written
