"""`kb ingest`: read news articles into the graph as sources (see `kb.ingest`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kb.analysis.output import Format
from kb.cli.common import FormatOpt, app, err, opened, out, state


@app.command("ingest")
def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="article files (.txt, .html) or folders of them")],
    title: Annotated[str | None, typer.Option(help="the title, when the text does not give it (one article only)")] = None,
    date: Annotated[str | None, typer.Option(help="publication date YYYY-MM-DD, when the text does not give it")] = None,
    publisher: Annotated[str | None, typer.Option(help="who published the articles")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="read and match only, write nothing")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Ingest news articles: record each as a Source and link it to the entities it mentions.

    Strips boilerplate (ad-blocker and browser notices, scripts, navigation), takes
    title and date from the text unless given, links the graph's entities by their
    names, aliases and demonyms (with a count and character offsets), and keeps
    quantities next to them as candidate claims for review. Ingesting an article
    again changes nothing.

    Example: kb ingest ../shared/sources/2012-11-17-japan-india-rare-earth-cooperation.txt --publisher "The Straits Times"
    """
    from kb.analysis.output import render
    from kb.ingest import article_paths, ingest

    article_paths(paths)  # a missing file fails before the engine is opened
    with opened() as k:
        report = ingest(k, paths, title=title, date=date, publisher=publisher, dry_run=dry_run)
    d = report.as_dict()
    if fmt is Format.json:
        out.file.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
        return
    rows = [{
        "id": a["id"], "date": a["date"], "title": a["title"], "publisher": a["publisher"],
        "entities": a["entities"], "mentions": a["mention_count"], "claims": a["claims"],
        "top": [f"{key.split(':', 1)[1]} ({n})" for key, n in list(a["mentions"].items())[:6]],
    } for a in d["articles"]]
    render(rows, fmt, out)
    if not state.quiet:
        verb = "read (dry run, nothing written)" if dry_run else "ingested"
        err.print(f"{verb} {len(rows)} article{'s' if len(rows) != 1 else ''}: created {d['created']['nodes']} "
                  f"nodes and {d['created']['relationships']} relationships, removed "
                  f"{d['deleted']['relationships']} stale relationships in {d['seconds']:.2f} s", highlight=False)
