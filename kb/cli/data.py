"""`kb load`, `kb stats`, `kb doctor`, `kb schema`: putting data in and checking what is there."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from kb.analysis.output import Format, render
from kb.cli.common import FormatOpt, app, opened, out, progress_bar, state
from kb.errors import KBError


@app.command()
def load(
    paths: Annotated[list[Path] | None, typer.Argument(help="data files or folders; none = the bundled KB")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate only, write nothing")] = False,
    with_bundled: Annotated[bool, typer.Option(
        "--with-bundled", help="load the paths together with the bundled data (e.g. a `kb review accept` folder)")] = False,
    bulk: Annotated[bool, typer.Option(
        "--bulk", help="into an EMPTY store only, with the engine's importer (GRAPH.BULK; neo4j-admin import on a local Neo4j)")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Load data files into the graph: validate everything, then merge in batches.

    All-or-nothing: one bad record anywhere and nothing is written; every problem is
    listed with file, line and field. Loading twice changes nothing.

    Example: kb load            (the bundled KB)   kb load my-data/ --dry-run
             kb load reviewed/ --with-bundled      kb load --bulk   (empty store only)
    """
    with opened() as k, progress_bar("loading") as progress:
        report = k.load(paths, dry_run=dry_run, with_bundled=with_bundled, bulk=bulk,
                        progress=progress if fmt is Format.table else None)
    d = report.as_dict()
    if report.note:
        print(f"note: {report.note}", file=sys.stderr)
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
        tiers = ", ".join(f"{t} {v:.1%}" for t, v in s["figure_tier_share"].items())
        out.print(f"figures {s['figures']} by source tier: {tiers or '-'}; second-hand {s['second_hand_figures']}")
        counts = ", ".join(f"{t} {v}" for t, v in s["figures_by_tier"].items())
        out.print(f"figures by tier: {counts or '-'}")
        thin = s["thin_years"]
        out.print("thin mine-production years (see docs/coverage.md for what would fill them): "
                  + ("; ".join(f"{y}: {why}" for y, why in thin.items()) or "none"))


@app.command()
def doctor(fmt: FormatOpt = Format.table) -> None:
    """Which backend the settings reach, its version, whether the KB is loaded, and what
    is wrong if not. Never prints a password.

    Example: KB_URI=bolt://localhost:7687 kb doctor
    """
    import kb
    from kb.config import Settings
    from kb.engines import cypher

    settings = Settings.from_env(state.uri)
    report: dict[str, Any] = {"backend": settings.describe(), "python": sys.version.split()[0], "kb": kb.__version__}
    problems: list[str] = []
    try:
        with kb.connect(state.uri) as k:
            report["engine"] = k.engine
            report["version"] = k.version()
            counts = k.read(cypher.count_nodes())[0]["n"]
            report["nodes"] = counts
            if counts:
                s = k.read(cypher.count_label("Element"))[0]["n"]
                p = k.read(cypher.count_label("Production"))[0]["n"]
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


class SchemaFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("schema")
def schema(
    fmt: Annotated[SchemaFormat, typer.Option("--format", "-f", help="text: the layout neo4j-graphrag and LangChain "
                                              "put in an LLM prompt; json: the same as data")] = SchemaFormat.text,
) -> None:
    """The graph's labels, properties with their types, and relationship types with their endpoints, from kb.schema (no database, no APOC).

    Example: kb schema --format text > schema.txt
    """
    from kb.schema import graph_schema, schema_text

    if fmt is SchemaFormat.json:
        g = graph_schema()
        g["relationships"] = [{"start": a, "type": t, "end": b} for a, t, b in g["relationships"]]
        out.file.write(json.dumps(g, indent=2) + "\n")
    else:
        out.file.write(schema_text())
