"""Write validated graph rows into a backend: schema first, then batched
``UNWIND $rows AS row MERGE`` on natural keys, nodes before relationships.

Every statement is a MERGE on a natural key, so a load is idempotent and a load
interrupted by a crash converges when it is run again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.engines import Backend, Counters, PhaseHook, Progress
from kb.engines.cypher import merge_node, merge_rel, unwind
from kb.errors import DataError
from kb.schema import INDEXES, NODE_KEYS

from .build import GraphRows, build
from .read import read_all

#: rows per statement; measured in the benchmark (docs/benchmarks.md)
BATCH_SIZE = 2000


@dataclass
class LoadReport:
    """What a load read and what it changed."""

    files: int = 0
    records: int = 0
    nodes: int = 0
    relationships: int = 0
    counters: Counters = field(default_factory=Counters)
    seconds: float = 0.0
    #: "merge" (the loader) or "bulk" (the engine's importer, into an empty store)
    method: str = "merge"
    #: why a bulk load was not one (the engine gave no bulk path and the load merged instead)
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "records": self.records,
            "nodes": self.nodes,
            "relationships": self.relationships,
            "created": {"nodes": self.counters.nodes_created, "relationships": self.counters.relationships_created},
            "properties_set": self.counters.properties_set,
            "seconds": round(self.seconds, 3),
            "method": self.method,
            **({"note": self.note} if self.note else {}),
        }


def node_query(label: str, on_create: bool = False) -> str:
    return unwind(merge_node(label, on_create=on_create))


def rel_query(rtype: str, a_label: str, b_label: str) -> str:
    return unwind(merge_rel(rtype, a_label, b_label))


def write_rows(backend: Backend, rows: GraphRows, progress: Progress | None = None,
               batch_size: int = BATCH_SIZE, keep_existing: frozenset[str] = frozenset()) -> Counters:
    """Merge the rows; nodes of the labels in ``keep_existing`` are created when missing but an
    existing node keeps its properties (an importer adding flows leaves countries as loaded)."""
    backend.ensure_schema(NODE_KEYS, INDEXES)
    total = Counters()
    steps = rows.node_count + rows.rel_count
    done = 0
    for label in sorted(rows.nodes):
        batch = [{"key": k, "props": p} for k, p in rows.nodes[label].items()]
        total += backend.write_batches(node_query(label, label in keep_existing), batch, batch_size)
        done += len(batch)
        if progress:
            progress(label, done, steps)
    for (rtype, a, b) in sorted(rows.rels):
        batch = [{"a": ka, "b": kb_, "props": p} for (ka, kb_), p in rows.rels[(rtype, a, b)].items()]
        total += backend.write_batches(rel_query(rtype, a, b), batch, batch_size)
        done += len(batch)
        if progress:
            progress(rtype, done, steps)
    return total


def load_paths(backend: Backend, paths: Iterable[Path], progress: Progress | None = None,
               dry_run: bool = False, bulk: bool = False, on_phase: PhaseHook | None = None) -> LoadReport:
    """Read, validate and write data files. Raises `DataError` (nothing written)
    listing every problem when any record is wrong. ``bulk``: write with the engine's own importer
    into an empty store (`Backend.bulk_write`; `NotEmptyError` when the store holds nodes); where the
    engine has no bulk path (a Neo4j that is not local) the rows are merged and ``report.note`` says
    why. ``on_phase`` hears the seconds of each phase of a bulk write."""
    t0 = time.perf_counter()
    paths = list(paths)
    raw, problems = read_all(paths)
    if problems and not raw:
        raise DataError(problems)
    rows = build(raw, problems)
    report = LoadReport(
        files=len({r.file for r in raw}), records=len(raw), nodes=rows.node_count, relationships=rows.rel_count
    )
    if bulk:
        backend.ensure_empty()
        report.note = backend.bulk_unavailable()
        report.method = "merge" if report.note else "bulk"
    if not dry_run:
        if report.method == "bulk":
            report.counters = backend.bulk_write(rows, progress, on_phase)
        else:
            report.counters = write_rows(backend, rows, progress)
    report.seconds = time.perf_counter() - t0
    return report
