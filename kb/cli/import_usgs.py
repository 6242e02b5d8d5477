"""`kb import usgs-mcs FILE...`: USGS Mineral Commodity Summaries data-release files ->
production-, reserves-, statistics-, prices- and import_sources-usgs-mcsYYYY.csv data records and
the sources they cite (sources-usgs-mcs.yaml); `kb load` reads the folder on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kb.cli.common import out, state
from kb.cli.imports import import_app
from kb.loaders import usgs


@import_app.command("usgs-mcs")
def usgs_mcs(
    files: Annotated[list[Path], typer.Argument(help="MCS data-release files (world production tables, salient "
                                                "statistics), Minerals Yearbook or DS140 workbooks, or folders")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the data-record CSVs")] = Path("."),
) -> None:
    """Import the rare-earths world mine production and reserves, U.S. salient statistics, prices and
    import sources of USGS MCS data releases (2022-2026 layouts, with the corrections of a release's
    versionHist.txt), the Minerals Yearbook world mine production table (myb1-YYYY-raree*.xlsx) and
    Data Series 140 (ds140-rare-earths-YYYY.xlsx) as data records citing the file read (usgs-mcs-YYYY,
    usgs-mcs-YYYY-salient, usgs-mcs-YYYY-vX.Y, usgs-myb-YYYY, usgs-ds140-YYYY), and write those Source
    records beside them.

    Example: kb import usgs-mcs data/raw/usgs --out my-data/ && kb load my-data/
    """
    paths: list[Path] = []
    for f in files:
        paths.extend(usgs.release_files(f) if f.is_dir() else [f])
    editions = usgs.import_files(paths)
    written = usgs.write_records(editions, out_dir)
    if not state.quiet:
        for ed in editions:
            out.print(f"{usgs.TITLES[ed.series]} {ed.edition}: {len(ed.production)} production, {len(ed.reserves)} reserves, "
                      f"{len(ed.statistics)} statistics, {len(ed.prices)} prices, "
                      f"{len(ed.import_sources)} import-source records")
        out.print(f"wrote {len(written)} files to {out_dir}")
