"""`kb import comtrade`, `kb import baci`: trade files analysts download, straight into the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kb.analysis.output import Format, render
from kb.cli.common import FormatOpt, opened, out, state
from kb.cli.imports import import_app
from kb.loaders.trade import TradeImport, baci, comtrade, merged, write_records


def _report(imp: TradeImport, fmt: Format) -> None:
    d = imp.as_dict()
    if fmt is not Format.table:
        render([d], fmt, out)
        return
    if state.quiet:
        return
    # one line per count, so scripts can grep them
    out.print(f"imported {d['flows']} flows from {d['files']} file(s) (sources {', '.join(d['sources'])})", soft_wrap=True)
    out.print(f"created {d['created']['nodes']} nodes and {d['created']['relationships']} relationships", soft_wrap=True)
    for why, n in sorted(imp.skipped.items()):
        out.print(f"skipped {n} rows: {why}", soft_wrap=True)
    for code, n in sorted(imp.skipped_codes.items()):
        out.print(f"skipped {n} rows: HS code {code} (not a rare-earth subheading)", soft_wrap=True)


@import_app.command("comtrade")
def import_comtrade(
    files: Annotated[list[Path], typer.Argument(help="UN Comtrade CSV files (Comtrade+ portal export or API)")],
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="write data records (trade_flows-*.csv, sources-trade.yaml) here instead of the graph")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import UN Comtrade CSV (refYear, reporterISO, partnerISO, flowCode, cmdCode, primaryValue,
    netWgt, ...): M and X flows of the rare-earth HS subheadings, each citing its file as a Source.

    World totals, other flow codes, other HS codes and breakdown rows are skipped and counted.
    HS headings given at 4 digits (2846: cerium and other rare-earth compounds together) are kept
    apart: skipped and counted, never stored as a subheading. The layout of a trimmed API pull
    (year,reporter,partner,cmd,flow,value,netwgt,qty,qtyunit) is read too; a declaration it gives
    together with its breakdowns (no columns to tell them apart) is skipped and counted.
    A malformed file is refused whole (file:line:column); importing a file twice changes nothing.

    Example: kb import comtrade TradeData_2_20_2025_10_30_9.csv
    """
    imp = comtrade(files)
    _finish(imp, out_dir, "kb import comtrade", fmt)


@import_app.command("baci")
def import_baci(
    files: Annotated[list[Path], typer.Argument(
        help="BACI trade files (t,i,j,k,v,q), e.g. BACI_HS17_Y2022_V202401b.csv, or extracts (i,j,cmd,value)")],
    countries: Annotated[Path | None, typer.Option(
        "--countries", help="the release's country_codes_V*.csv (release files only)")] = None,
    year: Annotated[int | None, typer.Option("--year", help="the year of an extract without one in its name")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="write data records (trade_flows-*.csv, sources-trade.yaml) here instead of the graph")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Import CEPII BACI files: rare-earth HS subheadings, v (thousand US$) stored as US$, q in tonnes
    (NA or empty: absent); exporter and importer codes mapped through the country codes file. An
    extract (i,j,cmd,value: ISO3 codes, US$, no tonnes) takes its year from its name or --year; a
    manifest.csv beside a kept copy (file, sha256, title, via, licence) describes its Source.

    Example: kb import baci BACI_HS17_Y2022_V202401b.csv --countries country_codes_V202401b.csv
    Example: kb import baci data/raw/trade/baci_2022.csv data/raw/trade/baci_2024.csv --out data/
    """
    imp = merged([baci(f, countries=countries, year=year) for f in files])
    _finish(imp, out_dir, "kb import baci", fmt)


def _finish(imp: TradeImport, out_dir: Path | None, command: str, fmt: Format) -> None:
    if out_dir is not None:
        written = write_records([imp], out_dir, command)
        if not state.quiet and fmt is Format.table:
            out.print(f"wrote {len(written)} files to {out_dir}", soft_wrap=True)
    else:
        with opened() as k:
            imp.write(k.backend)
    _report(imp, fmt)
