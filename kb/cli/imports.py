"""`kb import ...`: published files (USGS data releases, trade data) turned into data records by
the importers of `kb.loaders`. Each importer adds its subcommand to `import_app`."""

from __future__ import annotations

import typer

from kb.cli.common import app

import_app = typer.Typer(help="Import published data files (USGS MCS data releases, UN Comtrade, CEPII BACI).",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")
