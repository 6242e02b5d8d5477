"""The analyst commands of `kb`: ``console``, ``plot production|concentration`` and ``viz``.

`register(app)` adds them to the main Typer app (kb/cli.py calls it). They use the
main app's ``--uri`` / ``--quiet`` through `kb.cli.state`, looked up when a command
runs, so this module can be imported before kb.cli has finished loading.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from kb.output import Format

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table for people; json or csv for machines")]


def _cli() -> Any:
    import kb.cli

    return kb.cli


@contextmanager
def _progress(description: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """A transient progress bar on stderr (nothing under --quiet)."""
    cli = _cli()
    if cli.state.quiet or not cli.err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=cli.err, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield progress


def _wrote(path: Path, t0: float) -> None:
    cli = _cli()
    if not cli.state.quiet:
        size = path.stat().st_size
        cli.out.print(f"wrote {path} ({size / 1024:,.0f} KiB) in {time.perf_counter() - t0:.1f} s", highlight=False)


# --------------------------------------------------------------------------- console


def console(
    write: Annotated[bool, typer.Option("--write", help="allow statements that change the graph (default: read-only)")] = False,
    fmt: FormatOpt = Format.table,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="from stdin: stop at the first failed statement")] = False,
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
    from kb.config import Settings
    from kb.console import Session, history_path, interactive, run_script

    cli = _cli()
    scripted = not sys.stdin.isatty()
    with cli.opened() as k:
        width = cli.out.width if not scripted else max(cli.out.width, 120)
        session = Session(k, write=write, fmt=fmt, width=width, color=sys.stdout.isatty())
        if scripted:
            failed = run_script(session, sys.stdin.read(), sys.stdout, sys.stderr, fail_fast=fail_fast,
                                quiet=cli.state.quiet)
        else:
            mode = "read-write" if write else "read-only (start with --write to change the graph)"
            banner = "" if cli.state.quiet else (
                f"kb console on {k.engine} {k.version()} at {k.backend.location}, {mode}.\n"
                "Statements end with ';'. :help for commands, :exit or Ctrl-D to leave.")
            interactive(session, history_path(Settings.from_env(cli.state.uri).home), banner=banner)
            failed = 0  # a mistake typed at the prompt is not a failure of the session
    if failed:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- charts

plot_app = typer.Typer(help="Charts of production shares and supply concentration (PNG, SVG or PDF).",
                       no_args_is_help=True)


@plot_app.command("production")
def plot_production(
    out: Annotated[Path, typer.Option("--out", "-o", help="the chart file: .png, .svg or .pdf")],
    stage: Annotated[str, typer.Option("--stage", help="mining, separation, refining, metal or magnets")] = "mining",
    start: Annotated[int, typer.Option("--from", help="first year")] = 2010,
    end: Annotated[int, typer.Option("--to", help="last year")] = 2024,
    top: Annotated[int, typer.Option("--top", help="countries named; the rest are drawn together")] = 6,
) -> None:
    """Each country's share of world output over time, stacked, from `top_producers`.

    The sources of the figures are named in the caption.

    Example: kb plot production --stage mining --from 2010 --to 2024 --out shares.png
    """
    from kb import plots
    from kb.errors import KBError

    _check_chart_path(out)
    if stage not in plots.STAGES:
        raise KBError(f"unknown stage {stage!r} (use {', '.join(plots.STAGES)})")
    t0 = time.perf_counter()
    cli = _cli()
    with cli.opened() as k, _progress("asking top_producers") as progress:
        fig = plots.production_shares(k, stage=stage, start=start, end=end, top=top, progress=progress)
    plots.save(fig, out)
    _wrote(out, t0)


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
    from kb import plots

    _check_chart_path(out)
    t0 = time.perf_counter()
    cli = _cli()
    with cli.opened() as k, _progress("asking supply_concentration") as progress:
        fig = plots.concentration(k, start=start, end=end, progress=progress)
    plots.save(fig, out)
    _wrote(out, t0)


def _check_chart_path(out: Path) -> None:
    from kb.errors import KBError

    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise KBError(f"--out {out}: write charts to a .png, .svg or .pdf file")


# --------------------------------------------------------------------------- graph pictures


def viz(
    name: Annotated[str, typer.Argument(help="question name (see `kb queries`)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="the page to write (.html)")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE; lists comma-separated")] = None,
    sources: Annotated[bool, typer.Option("--sources", help="also draw the sources the entities cite")] = False,
    limit: Annotated[int, typer.Option("--limit", help="at most this many nodes")] = 300,
) -> None:
    """Draw the part of the graph a canned question touches as an interactive HTML page
    that works offline (every script inside the file).

    The entities the answer names, and the relationships among them; hover a node for
    its properties. Source nodes are left out unless --sources.

    Example: kb viz agreements -p iso3=JPN --out japan-agreements.html
    """
    from kb import catalog
    from kb import viz as kviz
    from kb.errors import KBError

    cli = _cli()
    if out.suffix.lower() not in (".html", ".htm"):
        raise KBError(f"--out {out}: write graph pictures to an .html file")
    q = catalog.get(name)
    params = cli._convert(q, param or [])
    q.bind(params)
    t0 = time.perf_counter()
    with cli.opened() as k:
        if cli.state.quiet or not cli.err.is_terminal:
            path = kviz.render(k, name, params, out, include_sources=sources, limit=limit)
        else:
            with cli.err.status(f"drawing {name}"):
                path = kviz.render(k, name, params, out, include_sources=sources, limit=limit)
    _wrote(path, t0)


# --------------------------------------------------------------------------- registration


def register(app: typer.Typer) -> None:
    """Add ``console``, ``plot`` (production, concentration) and ``viz`` to ``app``; twice is harmless."""
    have = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    if "console" not in have:
        app.command("console")(console)
    if "plot" not in have:
        app.add_typer(plot_app, name="plot")
    if "viz" not in have:
        app.command("viz")(viz)


def main() -> None:
    """``python -m kb.cli_console ...``: the `kb` command with these commands registered."""
    import kb.cli

    register(kb.cli.app)
    kb.cli.main()


if __name__ == "__main__":
    main()
