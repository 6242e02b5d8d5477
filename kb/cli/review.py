"""`kb review ...`: candidate claims from ingested articles, accepted into data files or rejected
(see `kb.ingest.review`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kb.analysis.output import Format
from kb.cli.common import FormatOpt, app, err, opened, out, state

review_app = typer.Typer(help="Review the candidate claims of ingested articles: list, accept into a data file, reject.",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")


@review_app.command("list")
def list_command(
    status: Annotated[str, typer.Option(help="candidate, accepted, rejected or all")] = "candidate",
    fmt: FormatOpt = Format.table,
) -> None:
    """Candidate claims with the sentence each came from and its article.

    Example: kb review list --status all -f json
    """
    from kb.analysis.output import render
    from kb.ingest.review import candidates

    with opened() as k:
        rows = candidates(k, None if status == "all" else status)
    if fmt is Format.json:
        out.file.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    render([{"id": r["id"], "status": r["status"],
             "what": r["cue"] or (f"{r['quantity']:g} {r['unit']}" if r["quantity"] is not None else ""),
             "becomes": r.get("becomes") or "", "subject": (r.get("subject") or "").split(":", 1)[-1],
             "about": r["about"], "sentence": r["text"], "article": r["source"]} for r in rows], fmt, out)


@review_app.command("accept")
def accept_command(
    claim: Annotated[str, typer.Argument(help="the candidate claim's id (from `kb review list`)")],
    kind: Annotated[str, typer.Option("--kind", help="measure, event or agreement")],
    out_dir: Annotated[Path, typer.Option("--out", help="the folder to write the record and its Source into")],
    sets: Annotated[list[str] | None, typer.Option("--set", help="field=value; lists comma-separated (repeatable)")] = None,
) -> None:
    """Accept a candidate claim as a measure, event or agreement: write it (citing the article)
    and the article's Source record into a folder that `kb load` takes beside the bundled data.
    Nothing is written unless the record validates.

    Example: kb review accept ID --kind measure --set id=x --set name="..." --set kind=ban
    --set imposed_by=CHN --set targets=JPN --set start=2026-01-06 --out reviewed/
    """
    from kb.ingest.review import accept

    with opened() as k:
        done = accept(k, claim, kind, list(sets or []), out_dir)
    if not state.quiet:
        err.print(f"accepted {claim} as {done.kind} {done.record_id}: wrote {done.record_file} and "
                  f"{done.source_file}; load with `kb load {out_dir}`", highlight=False)


@review_app.command("reject")
def reject_command(
    claim: Annotated[str, typer.Argument(help="the candidate claim's id")],
    reason: Annotated[str | None, typer.Option(help="why, kept on the claim")] = None,
) -> None:
    """Mark a candidate claim rejected; re-ingesting its article does not bring it back.

    Example: kb review reject ID --reason "the reporter's speculation, not the ministry's wording"
    """
    from kb.ingest.review import reject

    with opened() as k:
        reject(k, claim, reason)
    if not state.quiet:
        err.print(f"rejected {claim}", highlight=False)
