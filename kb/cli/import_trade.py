"""`kb import comtrade`, `kb import baci`: trade files analysts download, straight into the graph."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kb.analysis.output import Format, render
from kb.cli.common import FormatOpt, opened, out, state
from kb.cli.imports import import_app
from kb.loaders.trade import TradeImport, baci, comtrade


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
    fmt: FormatOpt = Format.table,
) -> None:
    """Import UN Comtrade CSV (refYear, reporterISO, partnerISO, flowCode, cmdCode, primaryValue,
    netWgt, ...): M and X flows of the rare-earth HS subheadings, each citing its file as a Source.

    World totals, other flow codes, other HS codes and breakdown rows are skipped and counted.
    A malformed file is refused whole (file:line:column); importing a file twice changes nothing.

    Example: kb import comtrade TradeData_2_20_2025_10_30_9.csv
    """
    imp = comtrade(files)
    with opened() as k:
        imp.write(k.backend)
    _report(imp, fmt)


@import_app.command("baci")
def import_baci(
    file: Annotated[Path, typer.Argument(help="a BACI trade file (t,i,j,k,v,q), e.g. BACI_HS17_Y2022_V202401b.csv")],
    countries: Annotated[Path, typer.Option("--countries", help="the release's country_codes_V*.csv")],
    fmt: FormatOpt = Format.table,
) -> None:
    """Import a CEPII BACI file: rare-earth HS subheadings, v (thousand US$) stored as US$, q in tonnes
    (NA or empty: absent); exporter and importer codes mapped through the country codes file.

    Example: kb import baci BACI_HS17_Y2022_V202401b.csv --countries country_codes_V202401b.csv
    """
    imp = baci(file, countries=countries)
    with opened() as k:
        imp.write(k.backend)
    _report(imp, fmt)
