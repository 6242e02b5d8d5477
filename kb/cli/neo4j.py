"""`kb neo4j install|start|stop|status`: a local Neo4j 5.26 from Maven Central, no Docker."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kb.analysis.output import Format, render
from kb.cli.common import FormatOpt, app, err, out, state

neo4j_app = typer.Typer(help="A local Neo4j 5.26 server from Maven Central (no Docker needed).", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")


@neo4j_app.command("install")
def neo4j_install(
    cypher_shell: Annotated[bool, typer.Option("--cypher-shell", help="also Neo4j's cypher-shell 5.26 (its own jars)")] = False,
) -> None:
    """Resolve the Neo4j 5.26 jars from Maven Central into KB_NEO4J_DIR (default: the user cache directory); needs Java 17 and Maven.

    Example: kb neo4j install --cypher-shell
    """
    from kb.engines import neo4j_local

    neo4j_local.install(quiet=state.quiet)
    script = neo4j_local.install_cypher_shell(quiet=state.quiet) if cypher_shell else None
    if not state.quiet:
        out.print("Neo4j jars are in place")
        if script is not None:
            out.print(f"cypher-shell: {script}", highlight=False, soft_wrap=True)


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
    from kb.engines import neo4j_local

    uri = neo4j_local.start(port=port, http_port=http_port, data_dir=data, password=password, heap=heap)
    out.print(uri, highlight=False)
    if http_port > 0 and not state.quiet:  # on stderr: stdout stays the URI alone, for scripts
        err.print(f"Neo4j Browser: {neo4j_local.browser_url(port, http_port, password is not None)}",
                  highlight=False, soft_wrap=True)


@neo4j_app.command("stop")
def neo4j_stop(port: Annotated[int, typer.Option(help="Bolt port")] = 7687) -> None:
    """Stop the local Neo4j started on that port.

    Example: kb neo4j stop --port 7687
    """
    from kb.engines import neo4j_local

    stopped = neo4j_local.stop(port=port)
    if not state.quiet:
        out.print("stopped" if stopped else f"no local Neo4j was running on port {port}")


@neo4j_app.command("status")
def neo4j_status(port: Annotated[int, typer.Option(help="Bolt port")] = 7687, fmt: FormatOpt = Format.table) -> None:
    """Whether the local Neo4j runs, its URI, version and data directory.

    Example: kb neo4j status --format json
    """
    from kb.engines import neo4j_local

    st = neo4j_local.status(port=port)
    render([{k: (str(v) if isinstance(v, Path) else v) for k, v in st.items()}], fmt, out)
    if not st.get("running"):
        raise typer.Exit(1)
