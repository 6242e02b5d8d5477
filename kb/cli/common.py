"""What every `kb` command shares: the Typer app, the global options, the consoles,
opening the KB, one-line failures, progress bars. Command modules import this; it
imports no command module and nothing of the CLI imports back into the library."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from kb.analysis.output import Format

if TYPE_CHECKING:
    from kb.core import KB

app = typer.Typer(
    help="Rare Earth KB: a sourced graph of rare-earth elements, producers, disputes and agreements.\n\n"
    "Example: kb load && kb query top_producers -p year=2011",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

out = Console()
if not out.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
    out = Console(width=200)
err = Console(stderr=True)


class State:
    uri: str | None = None
    quiet: bool = False


state = State()

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table or markdown for people; json or csv for machines")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE; lists comma-separated")]


@app.callback()
def main_options(
    uri: Annotated[str | None, typer.Option("--uri", envvar="KB_URI", help="bolt://..., neo4j://..., falkordb://host:port; none = embedded FalkorDB")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress or summaries")] = False,
) -> None:
    state.uri = uri
    state.quiet = quiet


@contextmanager
def opened() -> Iterator[KB]:
    import kb

    with kb.connect(state.uri) as k:
        yield k


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """A transient progress bar on stderr (nothing under --quiet or when stderr is not a terminal)."""
    if state.quiet or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield progress


def wrote(path: Path, t0: float) -> None:
    if not state.quiet:
        size = path.stat().st_size
        out.print(f"wrote {path} ({size / 1024:,.0f} KiB) in {time.perf_counter() - t0:.1f} s", highlight=False)
