"""`kb queries`, `kb query`: the canned questions."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from kb.analysis.output import Format, briefing, render
from kb.cli.common import FormatOpt, ParamOpt, app, err, opened, out, state


@app.command("queries")
def list_queries(fmt: FormatOpt = Format.table) -> None:
    """Every canned question with its description and parameters.

    Example: kb queries --format json
    """
    from kb.queries.catalog import catalog

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
    param: ParamOpt = None,
    fmt: FormatOpt = Format.table,
    cypher_shell: Annotated[bool, typer.Option(
        "--cypher-shell", help="print a cypher-shell script instead: the .cypher file with its parameters "
                               "(names resolved to keys) on a :param line")] = False,
) -> None:
    """Run one canned question. Values are converted to the declared types.

    Example: kb query top_producers -p year=2011 -p limit=5 --format json
    """
    from kb.queries import catalog

    q = catalog.get(name)
    params = q.parse(param or [])
    q.bind(params)  # check before connecting
    if cypher_shell:
        with opened() as k:
            out.file.write(catalog.shell_script(q, k.parameters(name, params)))
        return
    t0 = time.perf_counter()
    with opened() as k:
        rows = k.ask(name, params)
        report = briefing(name, rows.to_dicts(), k.parameters(name, params)) if fmt is Format.markdown else None
    ms = (time.perf_counter() - t0) * 1000
    if report is not None:  # restriction_impact, exposure: a summary, then a section per kind
        out.file.write(report.markdown())
    else:
        render(rows.to_dicts(), fmt, out, columns=rows.columns or [c.name for c in q.columns])
    for note in rows.notes:  # on stderr, so JSON and CSV on stdout stay clean
        err.print(f"[yellow]note:[/yellow] {note}", highlight=False, soft_wrap=True)
    if fmt is Format.table and not state.quiet:
        err.print(f"[dim]{ms:.0f} ms[/dim]")
