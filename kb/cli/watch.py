"""`kb watch`: one pass over the feeds of a config file, new articles into the review queue
(see `kb.ingest.watch`). A scheduler runs it: cron or a systemd timer (docs/keeping-current.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kb.analysis.output import Format
from kb.cli.common import FormatOpt, app, err, opened, out, state


@app.command("watch")
def watch_command(
    config: Annotated[Path, typer.Argument(help="the feed config (.toml or .yaml), e.g. docs/feeds.example.toml")],
    feed: Annotated[list[str] | None, typer.Option("--feed", help="only this feed (by name; repeatable)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="fetch and read, write neither the graph nor the state")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="also list items seen before and filtered out")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Read the feeds once: fetch new items politely and ingest each into the review queue.

    RSS, Atom and sitemaps; conditional GET (ETag, Last-Modified), robots.txt, a pause
    between requests to one host and a User-Agent from the config. Items seen before (by
    URL, or the same text under another URL) are skipped. Every item not ingested is a line
    saying why; the run's report is kept under KB_HOME/watch/runs/. Run it from cron or a
    systemd timer; review with `kb review list`.

    Example: kb watch feeds.toml --feed usgs-publications -v
    """
    from kb.ingest.watch import load_config, watch

    cfg = load_config(config)  # a bad config fails before the engine is opened
    with opened() as k:
        report = watch(k, cfg, dry_run=dry_run, feeds=list(feed or []))
    d = report.as_dict()
    if fmt is Format.json:
        out.file.write(json.dumps(d, indent=2, ensure_ascii=False) + "\n")
        return
    quiet_outcomes = set() if verbose else {"seen", "filtered", "not-modified"}
    for line in report.lines:
        if line.outcome not in quiet_outcomes or line.problem:
            (err if line.problem else out).print(line.text(), highlight=False, markup=False, soft_wrap=True)
    if not state.quiet:
        counts = ", ".join(f"{n} {k}" for k, n in d["counts"].items()) or "no items"
        err.print(f"{'dry run: ' if dry_run else ''}{len(report.articles)} articles ingested with {report.claims} "
                  f"candidate claims; {len(report.problems)} problems; {report.requests} requests in "
                  f"{report.seconds:.1f} s ({counts})", highlight=False, markup=False)
