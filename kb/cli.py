"""The `kb` command: a thin layer over the library. Each command opens the KB,
calls one or two library functions and formats the result.

Errors a user can fix (`KBError`) print as one line on stderr and exit 1.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from kb.errors import DataError, KBError
from kb.output import Format, render

app = typer.Typer(
    help="Rare Earth KB: a sourced graph of rare-earth elements, producers, disputes and agreements.\n\n"
    "Example: kb load && kb query top_producers -p year=2011",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
neo4j_app = typer.Typer(help="A local Neo4j 5.26 server from Maven Central (no Docker needed).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")

out = Console()
if not out.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
    out = Console(width=200)
err = Console(stderr=True)


class State:
    uri: str | None = None
    quiet: bool = False


state = State()

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table for people; json or csv for machines")]


@app.callback()
def main_options(
    uri: Annotated[str | None, typer.Option("--uri", envvar="KB_URI", help="bolt://..., neo4j://..., falkordb://host:port; none = embedded FalkorDB")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress or summaries")] = False,
) -> None:
    state.uri = uri
    state.quiet = quiet


@contextmanager
def opened() -> Any:
    import kb

    with kb.connect(state.uri) as k:
        yield k


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


# --------------------------------------------------------------------------- load, stats, doctor


@app.command()
def load(
    paths: Annotated[list[Path] | None, typer.Argument(help="data files or folders; none = the bundled KB")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate only, write nothing")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Load data files into the graph: validate everything, then merge in batches.

    All-or-nothing: one bad record anywhere and nothing is written; every problem is
    listed with file, line and field. Loading twice changes nothing.

    Example: kb load            (the bundled KB)   kb load my-data/ --dry-run
    """
    with opened() as k:
        if state.quiet or fmt is not Format.table:
            report = k.load(paths, dry_run=dry_run)
        else:
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                          TimeElapsedColumn(), console=err, transient=True) as bar:
                task = bar.add_task("loading", total=None)

                def progress(what: str, done: int, total: int) -> None:
                    bar.update(task, description=f"merging {what}", completed=done, total=total)

                report = k.load(paths, dry_run=dry_run, progress=progress)
    d = report.as_dict()
    if fmt is Format.table:
        if not state.quiet:
            verb = "checked" if dry_run else "loaded"
            out.print(
                f"{verb} {d['records']} records from {d['files']} files: {d['nodes']} nodes, "
                f"{d['relationships']} relationships; created {d['created']['nodes']} nodes and "
                f"{d['created']['relationships']} relationships, set {d['properties_set']} properties "
                f"in {d['seconds']:.2f} s"
            )
    else:
        render([d], fmt, out)


@app.command()
def stats(fmt: FormatOpt = Format.table) -> None:
    """Counts by label and relationship type, the share of facts that cite a source,
    and a checksum that is equal for equal graphs on either engine.

    Example: kb stats --format json
    """
    with opened() as k:
        s = k.stats()
    if fmt is Format.json:
        out.file.write(json.dumps(s, indent=2) + "\n")
        return
    rows = [{"kind": "node", "name": n, "count": c} for n, c in s["nodes"].items()]
    rows += [{"kind": "relationship", "name": n, "count": c} for n, c in s["relationships"].items()]
    render(rows, fmt, out)
    if fmt is Format.table:
        out.print(f"sourced_share {s['sourced_share']}   checksum {s['checksum']}")


@app.command()
def doctor(fmt: FormatOpt = Format.table) -> None:
    """Which backend the settings reach, its version, whether the KB is loaded, and what
    is wrong if not. Never prints a password.

    Example: KB_URI=bolt://localhost:7687 kb doctor
    """
    import kb
    from kb.config import Settings

    settings = Settings.from_env(state.uri)
    report: dict[str, Any] = {"backend": settings.describe(), "python": sys.version.split()[0], "kb": kb.__version__}
    problems: list[str] = []
    try:
        with kb.connect(state.uri) as k:
            report["engine"] = k.engine
            report["version"] = k.version()
            counts = k.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
            report["nodes"] = counts
            if counts:
                s = k.read("MATCH (e:Element) RETURN count(e) AS e")[0]["e"]
                p = k.read("MATCH (p:Production) RETURN count(p) AS p")[0]["p"]
                report["elements"], report["production_figures"] = s, p
                if s != 17:
                    problems.append(f"{s} elements where 17 are expected: run `kb load`")
            else:
                problems.append("the KB is empty: run `kb load`")
    except KBError as exc:
        from kb.config import mask

        problems.append(mask(str(exc)))
    from urllib.parse import urlsplit

    in_uri = bool(settings.uri and "@" in settings.uri and urlsplit(settings.uri).password)
    report["password"] = "set" if settings.password or in_uri else "not set"  # never the password itself
    report["ok"] = not problems
    report["problems"] = problems
    if fmt is Format.table:
        for k_, v in report.items():
            if k_ != "problems":
                out.print(f"[bold]{k_:>20}[/bold]  {v}")
        for p_ in problems:
            out.print(f"[yellow]{'problem':>20}[/yellow]  {p_}")
    else:
        render([report], fmt, out)
    if problems:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- canned questions


def _convert(q: Any, raw: list[str]) -> dict[str, Any]:
    from kb.errors import QueryError

    types = {p.name: p for p in q.params}
    params: dict[str, Any] = {}
    for item in raw:
        if "=" not in item:
            raise QueryError(f"-p {item!r}: write parameters as KEY=VALUE")
        key, value = item.split("=", 1)
        key = key.strip()
        if key not in types:
            raise QueryError(f"{q.name}: unknown parameter {key!r} (takes: {', '.join(types) or 'none'})")
        p = types[key]
        params[key] = _parse_value(q.name, p, value)
    return params


def _parse_value(qname: str, p: Any, value: str) -> Any:
    from kb.errors import QueryError

    if p.optional and value.strip().lower() in ("", "null", "none"):
        return None
    base = p.base_type

    def one(v: str, t: str) -> Any:
        v = v.strip()
        try:
            if t == "int":
                return int(v)
            if t == "float":
                return float(v)
            if t == "bool":
                if v.lower() in ("true", "yes", "1"):
                    return True
                if v.lower() in ("false", "no", "0"):
                    return False
                raise ValueError(v)
        except ValueError:
            raise QueryError(f"{qname}: parameter {p.name} must be {p.type}, got {v!r}") from None
        return v

    if base.startswith("list["):
        inner = base[5:-1]
        return [one(x, inner) for x in value.split(",") if x.strip()]
    return one(value, base)


@app.command("queries")
def list_queries(fmt: FormatOpt = Format.table) -> None:
    """Every canned question with its description and parameters.

    Example: kb queries --format json
    """
    from kb.catalog import catalog

    items = [q.as_dict() for q in catalog().values()]
    if fmt is Format.table:
        rows = [{
            "name": i["name"],
            "params": ", ".join(p["name"] + ("" if p["required"] else f"={p['default']!r}") for p in i["params"]),
            "description": i["description"],
        } for i in items]
        render(rows, fmt, out)
    elif fmt is Format.json:
        out.file.write(json.dumps(items, indent=2, default=str) + "\n")
    else:
        render([{"name": i["name"], "description": i["description"],
                 "params": ";".join(p["name"] for p in i["params"])} for i in items], fmt, out)


@app.command("query")
def run_query(
    name: Annotated[str, typer.Argument(help="question name (see `kb queries`)")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE; lists comma-separated")] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Run one canned question. Values are converted to the declared types.

    Example: kb query top_producers -p year=2011 -p limit=5 --format json
    """
    from kb import catalog

    q = catalog.get(name)
    params = _convert(q, param or [])
    q.bind(params)  # check before connecting
    t0 = time.perf_counter()
    with opened() as k:
        rows = k.ask(name, params)
    ms = (time.perf_counter() - t0) * 1000
    render(rows.to_dicts(), fmt, out, columns=rows.columns or [c.name for c in q.columns])
    if fmt is Format.table and not state.quiet:
        err.print(f"[dim]{ms:.0f} ms[/dim]")


# --------------------------------------------------------------------------- local Neo4j


@neo4j_app.command("install")
def neo4j_install() -> None:
    """Resolve the Neo4j 5.26 jars from Maven Central into neo4j/lib (needs Java 17 and Maven).

    Example: kb neo4j install
    """
    from kb import neo4j_local

    neo4j_local.install(quiet=state.quiet)
    if not state.quiet:
        out.print("Neo4j jars are in place")


@neo4j_app.command("start")
def neo4j_start(
    port: Annotated[int, typer.Option(help="Bolt port")] = 7687,
    http_port: Annotated[int, typer.Option(help="HTTP port (Neo4j Browser where available)")] = 7474,
    data: Annotated[Path | None, typer.Option(help="data directory (default: KB_HOME/neo4j-PORT)")] = None,
    password: Annotated[str | None, typer.Option(envvar="KB_NEO4J_PASSWORD", help="turn auth on with this password for user neo4j")] = None,
    heap: Annotated[str, typer.Option(help="JVM heap; 60% of it is the transaction memory limit (2g for ~1M relationships)")] = "512m",
) -> None:
    """Start a local Neo4j on 127.0.0.1, wait until Bolt answers, print its URI.

    Example: kb neo4j start && export KB_URI=bolt://127.0.0.1:7687
    """
    from kb import neo4j_local

    uri = neo4j_local.start(port=port, http_port=http_port, data_dir=data, password=password, heap=heap)
    out.print(uri, highlight=False)


@neo4j_app.command("stop")
def neo4j_stop(port: Annotated[int, typer.Option(help="Bolt port")] = 7687) -> None:
    """Stop the local Neo4j started on that port.

    Example: kb neo4j stop --port 7687
    """
    from kb import neo4j_local

    stopped = neo4j_local.stop(port=port)
    if not state.quiet:
        out.print("stopped" if stopped else f"no local Neo4j was running on port {port}")


@neo4j_app.command("status")
def neo4j_status(port: Annotated[int, typer.Option(help="Bolt port")] = 7687, fmt: FormatOpt = Format.table) -> None:
    """Whether the local Neo4j runs, its URI, version and data directory.

    Example: kb neo4j status --format json
    """
    from kb import neo4j_local

    st = neo4j_local.status(port=port)
    render([{k: (str(v) if isinstance(v, Path) else v) for k, v in st.items()}], fmt, out)
    if not st.get("running"):
        raise typer.Exit(1)


# --------------------------------------------------------------------------- other surfaces

from kb import cli_bench, cli_console, cli_ingest  # noqa: E402  (bench; console, plot, viz; ingest)

cli_console.register(app)
cli_ingest.register(app)
cli_bench.register(app)


# --------------------------------------------------------------------------- entry point


def main() -> None:
    try:
        app()
    except DataError as exc:
        err.print(f"[red]error:[/red] {exc.args[0]}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KBError as exc:
        from kb.config import mask

        err.print(f"[red]error:[/red] {mask(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
