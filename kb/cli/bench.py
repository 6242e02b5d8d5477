"""`kb bench`: the benchmark suite (see `kb.bench.run` and docs/benchmarks.md)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kb.cli.common import app, err, fail, out, state


class EngineChoice(StrEnum):
    embedded = "embedded"
    neo4j = "neo4j"
    both = "both"


class BenchFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("bench")
def bench_command(
    scale: Annotated[int, typer.Option("--scale", "-s", min=100, help="relationships the generator adds to the bundled KB")] = 10_000,
    engine: Annotated[EngineChoice, typer.Option("--engine", "-e", help="which engines to measure")] = EngineChoice.both,
    fmt: Annotated[BenchFormat, typer.Option("--format", "-f", help="table (markdown) for people, json for machines")] = BenchFormat.table,
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="also write the report to this file")] = None,
    repeat: Annotated[int, typer.Option(min=1, help="repetitions of each load measurement (median and spread)")] = 3,
    calls: Annotated[int, typer.Option(min=1, help="timed calls per canned question (for p50/p95)")] = 20,
    naive_scale: Annotated[int, typer.Option(min=100, help="generated relationships in the loader-vs-naive comparison (capped at --scale)")] = 10_000,
    cold: Annotated[int, typer.Option(min=0, help="cold-start repetitions (0 skips it)")] = 5,
    web: Annotated[str | None, typer.Option("--web", help="instead: drive a running desk at this URL (kb serve) with concurrent clients")] = None,
    clients: Annotated[str, typer.Option(help="with --web: levels of concurrent clients, comma-separated")] = "1,20,50",
    requests: Annotated[int, typer.Option(min=1, help="with --web: requests per level")] = 2000,
    pid: Annotated[int | None, typer.Option(help="with --web: the desk's process id, to sample its RSS (and its workers')")] = None,
    token: Annotated[str | None, typer.Option(help="with --web: an API token, for a private desk")] = None,
) -> None:
    """Benchmark loading and questions on the embedded FalkorDB and/or Neo4j.

    Generates a realistic scaled KB (countries, companies, bilateral trade flows, production,
    agreements) as data files, loads it through the loaders, and measures: the loader against a
    naive one-query-per-row loop (and LOAD CSV on Neo4j), the bundled KB's load, every canned
    question's p50/p95 on the bundled and the scaled graph, and cold start. Neo4j: --uri/KB_URI
    (an empty database: it is emptied) or else a local Neo4j 5.26 started and stopped for the run.
    The embedded engine runs in a temporary KB_HOME; nothing of yours is touched.

    Example: kb bench --scale 100000 --engine both --format json --out bench.json
    """
    if web:
        _web_bench(web, clients, requests, pid, token, fmt, out_file)
        return
    from kb.bench.run import render_markdown, run_bench  # installed beside kb (pyproject packages)

    engines = ("embedded", "neo4j") if engine is EngineChoice.both else (engine.value,)

    def log(msg: str) -> None:
        if not state.quiet:
            err.print(msg, markup=False, highlight=False, soft_wrap=True)

    try:
        report = run_bench(scale, engines, uri=state.uri, repeat=repeat, min_calls=calls,
                           naive_scale=naive_scale, cold_repeat=cold, log=log)
    except RuntimeError as exc:
        raise fail(str(exc)) from None
    text = json.dumps(report, indent=2, ensure_ascii=False) if fmt is BenchFormat.json else render_markdown(report)
    out.file.write(text + "\n")
    if out_file:
        out_file.write_text(text + "\n", encoding="utf-8")


def _web_bench(url: str, clients: str, requests: int, pid: int | None, token: str | None, fmt: BenchFormat,
               out_file: Path | None) -> None:
    """`kb bench --web URL`: see `kb.bench.web`."""
    from kb.bench.web import render_markdown, run_web_bench

    try:
        levels = [int(c) for c in clients.split(",") if c.strip()]
    except ValueError:
        raise fail(f"--clients {clients!r}: write numbers, comma-separated (1,20,50)") from None
    if not levels or min(levels) < 1:
        raise fail(f"--clients {clients!r}: each level needs at least one client")
    import httpx

    try:
        httpx.get(url.rstrip("/") + "/", timeout=10, headers={"authorization": f"Bearer {token}"} if token else {})
    except httpx.HTTPError as exc:
        raise fail(f"--web {url}: no desk answers there ({exc}); start one with `kb serve`") from None

    def log(msg: str) -> None:
        if not state.quiet:
            err.print(msg, markup=False, highlight=False, soft_wrap=True)

    report = run_web_bench(url.rstrip("/"), levels, requests, pid=pid, token=token, log=log)
    text = json.dumps(report, indent=2, ensure_ascii=False) if fmt is BenchFormat.json else render_markdown(report)
    out.file.write(text + "\n")
    if out_file:
        out_file.write_text(text + "\n", encoding="utf-8")
