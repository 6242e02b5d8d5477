"""A realistic scale generator: grows the bundled KB the way real data grows.

``generate(folder, rels)`` writes DATA FILES (the same CSV/YAML formats as ``data/``) that,
loaded together with the bundled KB (``kb.load([bundled_data_dir(), folder])``), add about
``rels`` relationships through the same loaders and the same validation:

* every ISO 3166 country (real alpha-3 codes from pycountry) — hundreds of them;
* thousands of companies (``organisations``), each BASED_IN a country, some SUBSIDIARY_OF another;
* bilateral trade flows (``trade_flows``: exporter -> importer, HS 280530 / 284610 / 284690 /
  850511, year, value in USD, tonnes), the bulk of the growth, as customs data is;
* production series (``production``: country x year x stage, per statistical edition, with
  world totals), as USGS-like editions that revise earlier years;
* agreements between countries and companies covering elements.

Draws are skewed the way trade is (a few large exporters and importers, a long tail), and
seeded, so a scale always gives the same files. Synthetic sources are ids starting with
``bench-``; they are marked as synthetic in their title and publisher.

    python -m bench.generate 100000 /tmp/kb-100k      # writes the files, prints the counts
"""

from __future__ import annotations

import csv
import itertools
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import pycountry
import yaml

from kb.schema import Stage

GENERATED_SOURCE_PREFIX = "bench-"

#: HS 6-digit subheadings and the Commodity (bundled commodities.yaml) each belongs to
HS_CODES: dict[str, str] = {
    "280530": "rare-earths",   # rare-earth metals, scandium and yttrium
    "284610": "rare-earths",   # compounds of cerium
    "284690": "rare-earths",   # other rare-earth compounds
    "850511": "ndfeb-magnets",  # permanent magnets of metal
}
REE = ("La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Sc", "Y")
STAGES: tuple[str, ...] = get_args(Stage)  # the schema's closed set
#: how often each stage has a production series (mining most); every stage of the schema has a weight
STAGE_WEIGHTS: tuple[int, ...] = tuple({"mining": 8, "separation": 3, "separation-light": 3, "separation-heavy": 2,
                                        "metal": 2, "magnet": 2}.get(s, 1) for s in STAGES)
AGREEMENT_KINDS = ("mou", "agreement", "framework", "offtake", "investment", "loan", "joint-venture")
TRADE_YEARS = range(2000, 2025)
EDITIONS = range(1990, 2026)  # statistical editions; each reports the five years before it
#: share of the relationships each kind of record brings, and relationships per record
MIX = {"trade_flows": (0.70, 4.0), "production": (0.15, 2.0), "organisations": (0.08, 2.3), "agreements": (0.07, 8.0)}
# countries weighted like real rare-earth trade: the big players first, then the rest (Zipf)
LEADERS = ("CHN", "USA", "JPN", "DEU", "KOR", "MYS", "AUS", "VNM", "IND", "NLD", "FRA", "MMR", "THA", "RUS", "BRA",
           "GBR", "ITA", "CAN", "EST", "AUT")


@dataclass
class Generated:
    """What `generate` wrote: the folder, files and records per section."""

    folder: Path
    target_rels: int
    records: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    def as_dict(self) -> dict[str, object]:
        return {"folder": str(self.folder), "target_rels": self.target_rels, "records": dict(self.records),
                "files": [f.name for f in self.files]}


def countries() -> list[str]:
    """Every ISO 3166 alpha-3 code, the leaders first (so Zipf weights favour them)."""
    codes = sorted(c.alpha_3 for c in pycountry.countries)
    rest = [c for c in codes if c not in LEADERS]
    random.Random(3166).shuffle(rest)
    return [*LEADERS, *rest]


def _zipf(n: int, s: float = 1.1) -> list[float]:
    return [1.0 / (i + 1) ** s for i in range(n)]


def _write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        fh.write("# Synthetic data written by `kb bench` (bench/generate.py): not facts.\n")
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _cell(v: object) -> object:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ";".join(str(x) for x in v)
    return "" if v is None else v


def generate(folder: str | Path, rels: int, seed: int = 42) -> Generated:
    """Write data files adding about ``rels`` relationships to the bundled KB into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out = Generated(folder, rels)
    isos = countries()
    cw = _zipf(len(isos))
    n = {kind: max(1, int(rels * share / per)) for kind, (share, per) in MIX.items()}
    _sources(out)
    orgs = _organisations(out, rng, isos, cw, n["organisations"])
    _production(out, rng, isos, cw, n["production"])
    _agreements(out, rng, isos, orgs, n["agreements"])
    _trade_flows(out, rng, isos, cw, n["trade_flows"])
    return out


def _add(out: Generated, kind: str, path: Path, count: int) -> None:
    out.files.append(path)
    out.records[kind] = count


def _sources(out: Generated) -> None:
    """One trade release a year, one statistical edition a year, one registry."""
    sources = [{"id": f"{GENERATED_SOURCE_PREFIX}trade-{y}", "title": f"Synthetic bilateral trade release {y}",
                "publisher": "Synthetic (kb bench)", "date": f"{y + 1}-06-30", "kind": "dataset",
                "edition": str(y)} for y in TRADE_YEARS]
    sources += [{"id": f"{GENERATED_SOURCE_PREFIX}stats-{e}", "title": f"Synthetic mineral statistics {e}",
                 "publisher": "Synthetic (kb bench)", "date": f"{e}-01-31", "kind": "report",
                 "edition": str(e)} for e in EDITIONS]
    sources.append({"id": f"{GENERATED_SOURCE_PREFIX}registry", "title": "Synthetic company registry",
                    "publisher": "Synthetic (kb bench)", "date": "2025", "kind": "dataset"})
    p = out.folder / "sources-bench.yaml"
    p.write_text("# Synthetic sources written by `kb bench`: not real publications.\n"
                 + yaml.safe_dump({"sources": sources}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    _add(out, "sources", p, len(sources))


def _organisations(out: Generated, rng: random.Random, isos: list[str], cw: list[float], count: int) -> list[list[object]]:
    words = ("Rare", "Earth", "Magnet", "Metals", "Minerals", "Resources", "Mining", "Oxide", "Alloy", "Materials")
    forms = ("Ltd", "Inc", "GmbH", "SA", "Co", "Corp", "AG", "KK", "Pty", "plc")
    orgs: list[list[object]] = []
    for i in range(count):
        iso = rng.choices(isos, cw)[0]
        parent = f"{GENERATED_SOURCE_PREFIX}co-{rng.randrange(i):06d}" if i > 10 and rng.random() < 0.3 else None
        name = f"{rng.choice(words)} {rng.choice(words)} {forms[i % len(forms)]} {i:06d}"
        orgs.append([f"{GENERATED_SOURCE_PREFIX}co-{i:06d}", name, "company", iso, _cell(parent),
                     f"{rng.randrange(1950, 2024)}", f"{GENERATED_SOURCE_PREFIX}registry"])
    _add(out, "organisations", _write_csv(out.folder / "organisations-bench.csv",
                                          ["id", "name", "kind", "country", "parent", "founded", "sources"], orgs),
         len(orgs))
    return orgs


def _production(out: Generated, rng: random.Random, isos: list[str], cw: list[float], target: int) -> None:
    """Editions x years x stages x countries, world totals per group."""
    groups: dict[tuple[int, int, str], dict[str, float]] = {}
    made = 0
    while made < target:
        e = rng.choice(EDITIONS)
        y = e - rng.randrange(1, 6)
        st = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        g = groups.setdefault((e, y, st), {})
        iso = rng.choices(isos, cw)[0]
        if iso in g:
            continue
        g[iso] = round(rng.lognormvariate(7, 2), 1)
        made += 1
    prod: list[list[object]] = []
    for (e, y, st), figs in sorted(groups.items()):
        src = f"{GENERATED_SOURCE_PREFIX}stats-{e}"
        for iso, t in sorted(figs.items()):
            prod.append([iso, y, st, t, _cell(rng.random() < 0.2), _cell(e - y > 1), src])
        prod.append(["WLD", y, st, round(sum(figs.values()) * 1.05, 1), "true", "false", src])
    _add(out, "production", _write_csv(out.folder / "production-bench.csv",
                                       ["iso3", "year", "stage", "tonnes", "estimated", "revised", "sources"], prod),
         len(prod))


def _agreements(out: Generated, rng: random.Random, isos: list[str], orgs: list[list[object]], count: int) -> None:
    """Agreements between countries and companies."""
    agr: list[list[object]] = []
    for i in range(count):
        a, b = rng.sample(isos[:60], 2)
        o1, o2 = rng.sample(range(len(orgs)), 2) if len(orgs) >= 2 else (0, 0)
        els = sorted(rng.sample(REE, 2))
        year = rng.randrange(2005, 2026)
        agr.append([f"{GENERATED_SOURCE_PREFIX}agr-{i:06d}", f"Supply agreement {a}-{b} {i:06d}",
                    rng.choice(AGREEMENT_KINDS), f"{year}-{rng.randrange(1, 13):02d}", _cell([a, b]),
                    _cell(sorted({str(orgs[o1][0]), str(orgs[o2][0])})), _cell(els), "rare-earths",
                    round(rng.lognormvariate(6, 1.5)), f"{GENERATED_SOURCE_PREFIX}registry"])
    _add(out, "agreements", _write_csv(out.folder / "agreements-bench.csv",
                                       ["id", "name", "kind", "date", "parties", "organisations", "elements",
                                        "commodities", "tonnes_per_year", "sources"], agr), len(agr))


def _trade_flows(out: Generated, rng: random.Random, isos: list[str], cw: list[float], target: int) -> None:
    """Bilateral trade flows: skewed exporters and importers, unique per (exp, imp, hs, year)."""
    seen: set[tuple[str, str, str, int]] = set()
    flows: list[list[object]] = []
    hs = list(HS_CODES)
    years = list(TRADE_YEARS)
    while len(flows) < target:
        batch = max(1024, target - len(flows))
        exps = rng.choices(isos, cw, k=batch)
        imps = rng.choices(isos, _zipf(len(isos), 0.8), k=batch)
        for ex, im in zip(exps, imps, strict=True):
            if ex == im:
                continue
            code = rng.choices(hs, (2, 3, 4, 3))[0]
            year = rng.choice(years)
            k = (ex, im, code, year)
            if k in seen:
                continue
            seen.add(k)
            tonnes = round(rng.lognormvariate(4, 2), 2)
            price = {"280530": 40_000, "284610": 4_000, "284690": 12_000, "850511": 60_000}[code]
            flows.append([ex, im, code, year, round(tonnes * price * rng.uniform(0.6, 1.4)), tonnes,
                          HS_CODES[code], f"{GENERATED_SOURCE_PREFIX}trade-{year}"])
            if len(flows) >= target:
                break
    flows.sort(key=lambda r: (r[3], r[0], r[1], r[2]))
    _add(out, "trade_flows", _write_csv(out.folder / "trade_flows-bench.csv",
                                        ["exporter", "importer", "hs_code", "year", "value_usd", "tonnes", "commodity",
                                         "sources"], flows), len(flows))


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("usage: python -m bench.generate RELATIONSHIPS FOLDER", file=sys.stderr)
        return 2
    g = generate(args[1], int(args[0]))
    print(g.as_dict())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def synthetic_production(folder: Path, n: int) -> Path:
    """Synthetic production figures only, for the years 1900-1999 (real ISO3 codes, one source):
    a large, uniform load for the fault tests, apart from the realistic scaled KB of `generate`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources.yaml").write_text(
        "sources:\n"
        "  - {id: synthetic, title: Synthetic production, publisher: Tests, date: '2026-01-01', kind: dataset}\n"
        "  - {id: iso-3166, title: ISO 3166 country codes, publisher: ISO, date: '2020', kind: standard}\n"
    )
    codes = sorted(c.alpha_3 for c in pycountry.countries)
    rows = ["iso3,year,stage,tonnes,sources"]
    combos = itertools.product(codes, STAGES, range(1900, 2000))
    for i, (iso3, stage, year) in enumerate(itertools.islice(combos, n)):
        rows.append(f"{iso3},{year},{stage},{(i * 37) % 10_000 + 0.5},synthetic")
    (folder / "production-synthetic.csv").write_text("\n".join(rows) + "\n")
    return folder
