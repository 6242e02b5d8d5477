"""`kb console`, `kb plot production|concentration|prices|dependence`, `kb viz`: the analyst's commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from kb.analysis.output import Format
from kb.cli.common import FormatOpt, ParamOpt, app, err, opened, out, progress_bar, state, wrote

# --------------------------------------------------------------------------- console


@app.command("console")
def console(
    write: Annotated[bool, typer.Option("--write", help="allow statements that change the graph (default: read-only)")] = False,
    fmt: FormatOpt = Format.table,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="from stdin: stop at the first failed statement")] = False,
    max_rows: Annotated[int, typer.Option("--max-rows", help="show at most this many rows of an answer, then "
                                          "'N more rows' (0: all; :maxrows changes it)")] = 1000,
    pager: Annotated[bool, typer.Option("--pager/--no-pager", help="page answers taller than the terminal "
                                        "through $PAGER or less (:pager on|off changes it)")] = True,
) -> None:
    """An interactive Cypher console in the manner of cypher-shell, read-only unless --write.

    Statements end with ';' and may span lines; :help lists the commands (:schema,
    :queries, :run NAME key=value, :param name => value, :params, :exit). Tab completes
    labels, relationship types, property keys and question names; history is kept in
    KB_HOME. A statement that would write is refused (and says why) on either engine.
    When stdin is not a terminal, runs the statements it reads and prints their
    results; exits 1 if any failed or was refused.

    Example: kb console      echo 'MATCH (e:Element) RETURN e.symbol LIMIT 3;' | kb console --format csv
    """
    from kb.analysis.console import Session, history_path, interactive, run_script
    from kb.config import Settings

    scripted = not sys.stdin.isatty()
    with opened() as k:
        width = out.width if not scripted else max(out.width, 120)
        session = Session(k, write=write, fmt=fmt, width=width, color=sys.stdout.isatty(), max_rows=max_rows,
                          pager=pager)
        if scripted:
            failed = run_script(session, sys.stdin.read(), sys.stdout, sys.stderr, fail_fast=fail_fast,
                                quiet=state.quiet)
        else:
            mode = "read-write" if write else "read-only (start with --write to change the graph)"
            banner = "" if state.quiet else (
                f"kb console on {k.engine} {k.version()} at {k.backend.location}, {mode}.\n"
                "Statements end with ';'. :help for commands, :exit or Ctrl-D to leave.")
            interactive(session, history_path(Settings.from_env(state.uri).home), banner=banner)
            failed = 0  # a mistake typed at the prompt is not a failure of the session
    if failed:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- charts

plot_app = typer.Typer(help="Charts of production shares, supply concentration, prices, import dependence and one element's supply chain (PNG, SVG or PDF).",
                       no_args_is_help=True)
app.add_typer(plot_app, name="plot")


@plot_app.command("production")
def plot_production(
    out: Annotated[Path, typer.Option("--out", "-o", help="the chart file: .png, .svg or .pdf")],
    stage: Annotated[str, typer.Option("--stage", help="mining, separation, refining, metal or magnets")] = "mining",
    start: Annotated[int | None, typer.Option("--from", help="first year (default: the first with figures)")] = None,
    end: Annotated[int | None, typer.Option("--to", help="last year (default: the last with figures)")] = None,
    top: Annotated[int, typer.Option("--top", help="countries named; the rest are drawn together")] = 6,
) -> None:
    """Each country's share of world output over time, stacked, from `top_producers`.

    The sources of the figures are named in the caption.

    Example: kb plot production --stage mining --from 2010 --to 2024 --out shares.png
    """
    from kb.analysis import plots
    from kb.errors import KBError

    _check_chart_path(out)
    if stage not in plots.STAGES:
        raise KBError(f"unknown stage {stage!r} (use {', '.join(plots.STAGES)})")
    t0 = time.perf_counter()
    with opened() as k, progress_bar("asking top_producers") as progress:
        fig = plots.production_shares(k, stage=stage, start=start, end=end, top=top, progress=progress)
    plots.save(fig, out)
    wrote(out, t0)


@plot_app.command("concentration")
def plot_concentration(
    out: Annotated[Path, typer.Option("--out", "-o", help="the chart file: .png, .svg or .pdf")],
    start: Annotated[int | None, typer.Option("--from", help="first year (default: the first with figures)")] = None,
    end: Annotated[int | None, typer.Option("--to", help="last year (default: the last with figures)")] = None,
) -> None:
    """Supply concentration (Herfindahl-Hirschman index) over time, from `supply_concentration`:
    mining beside the processing stages wherever the data has figures for them.

    Example: kb plot concentration --out hhi.svg
    """
    from kb.analysis import plots

    _check_chart_path(out)
    t0 = time.perf_counter()
    with opened() as k, progress_bar("asking supply_concentration") as progress:
        fig = plots.concentration(k, start=start, end=end, progress=progress)
    plots.save(fig, out)
    wrote(out, t0)


@plot_app.command("prices")
def plot_prices(
    out: Annotated[Path, typer.Option("--out", "-o", help="the chart file: .png, .svg or .pdf")],
    symbol: Annotated[list[str] | None, typer.Option("--symbol", "-s", help="an element (symbol, name or alias); "
                                                     "repeat for several; default: every series")] = None,
    start: Annotated[int | None, typer.Option("--from", help="first year (default: the first with prices)")] = None,
    end: Annotated[int | None, typer.Option("--to", help="last year (default: the last with prices)")] = None,
    log: Annotated[bool, typer.Option("--log", help="logarithmic price axis")] = False,
) -> None:
    """Average rare-earth prices over time (US$/kg) by series, from `prices`: each year from the
    latest edition that publishes it, estimates marked.

    Example: kb plot prices --symbol Dy --symbol Tb --symbol Nd --log --out prices.png
    """
    from kb.analysis import plots

    _check_chart_path(out)
    t0 = time.perf_counter()
    with opened() as k:
        fig = plots.prices(k, symbol or None, start, end, log=log)
    plots.save(fig, out)
    wrote(out, t0)


@plot_app.command("dependence")
def plot_dependence(
    out: Annotated[Path, typer.Option("--out", "-o", help="the chart file: .png, .svg or .pdf")],
    importer: Annotated[str, typer.Option("--importer", help="the importing country: ISO3 code, name or alias")],
    year: Annotated[int, typer.Option("--year", help="the year of the trade figures")],
    hs: Annotated[str | None, typer.Option("--hs", help="one HS subheading (280530, 284610, 284690, 850511); "
                                           "default: all four")] = None,
    top: Annotated[int, typer.Option("--top", help="partners named; the rest are drawn together")] = 12,
) -> None:
    """Where a country's rare-earth imports come from in a year, from `import_dependence`
    (needs trade figures: `kb import comtrade` or `kb import baci`); partners with an export
    restriction in force are marked.

    Example: kb plot dependence --importer JPN --year 2022 --out japan-2022.png
    """
    from kb.analysis import plots

    _check_chart_path(out)
    t0 = time.perf_counter()
    with opened() as k:
        fig = plots.dependence(k, importer, year, hs, top=top)
    plots.save(fig, out)
    wrote(out, t0)


@plot_app.command("chain")
def plot_chain(
    out: Annotated[Path, typer.Option("--out", "-o", help="the chart file: .png, .svg or .pdf")],
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="the element (symbol, name or alias)")],
) -> None:
    """One element's supply chain as layers (mines, concentrate, separation, metal, magnets, end
    uses) from `supply_chain` and `chokepoints`: each stage's leading country's share (China in
    red), the facilities outside it, feeds as lines whose width follows the figures.

    Example: kb plot chain -s Dy --out dy-chain.png
    """
    from kb.analysis import plots

    _check_chart_path(out)
    t0 = time.perf_counter()
    with opened() as k:
        fig = plots.chain(k, symbol)
    plots.save(fig, out)
    wrote(out, t0)


def _check_chart_path(out: Path) -> None:
    from kb.errors import KBError

    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise KBError(f"--out {out}: write charts to a .png, .svg or .pdf file")


# --------------------------------------------------------------------------- graph pictures


@app.command("viz")
def viz(
    name: Annotated[str, typer.Argument(help="question name (see `kb queries`)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="the page to write (.html)")],
    param: ParamOpt = None,
    sources: Annotated[bool, typer.Option("--sources", help="also draw the sources the entities cite")] = False,
    limit: Annotated[int, typer.Option("--limit", help="at most this many nodes")] = 300,
) -> None:
    """Draw the part of the graph a canned question touches as an interactive HTML page
    that works offline (every script inside the file).

    The entities the answer names, and the relationships among them; hover a node for
    its properties. Source nodes are left out unless --sources.

    Example: kb viz agreements -p iso3=JPN --out japan-agreements.html
    """
    from kb.analysis import viz as kviz
    from kb.errors import KBError
    from kb.queries import catalog

    if out.suffix.lower() not in (".html", ".htm"):
        raise KBError(f"--out {out}: write graph pictures to an .html file")
    q = catalog.get(name)
    params = q.parse(param or [])
    q.bind(params)
    t0 = time.perf_counter()
    with opened() as k:
        if state.quiet or not err.is_terminal:
            path = kviz.render(k, name, params, out, include_sources=sources, limit=limit)
        else:
            with err.status(f"drawing {name}"):
                path = kviz.render(k, name, params, out, include_sources=sources, limit=limit)
    wrote(path, t0)
