"""The bulk path: validated graph rows written into an EMPTY store by the engine's own importer.

* FalkorDB: ``GRAPH.BULK`` (the binary protocol of ``falkordb-bulk-loader``) sent with the redis
  client the backend already holds, so it reaches the embedded server on its unix socket. Every
  value is typed from the Python value (the bulk loader's CSV files would infer types from text,
  making the string ``"280530"`` a number). The schema (indexes, unique constraints) is made after.
* Neo4j: ``neo4j-admin database import full`` (``org.neo4j.cli.AdminTool``, from the same Maven
  Central jars as the local server) of CSV files written here, into the data directory of the local
  Neo4j (`kb neo4j start`), stopped for the import and started again. A Neo4j elsewhere cannot be
  imported into from here: the load falls back to the MERGE loader and says so.

Rows of one label (or one relationship group) are split by their *signature* (which properties,
of which types) so that no value is written as null and every type survives as it is.
"""

from __future__ import annotations

import struct
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kb.engines import Backend, Counters
from kb.errors import BackendError, KBError
from kb.schema import INDEXES, NODE_KEYS

from .build import GraphRows

Progress = Callable[[str, int, int], None]
Signature = tuple[tuple[str, str], ...]

#: bytes per GRAPH.BULK token (the server's limit is 512 MB; the bulk loader's default is 64 MB)
TOKEN_BYTES = 16_000_000


class NotEmptyError(KBError):
    """A bulk load was asked of a store that already holds nodes."""


def _type(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "long"
    if isinstance(v, float):
        return "double"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)) and v:
        inner = {_type(x) for x in v}
        if len(inner) == 1 and not next(iter(inner)).endswith("[]"):
            return f"{inner.pop()}[]"
    raise BackendError(f"the bulk path cannot write a {type(v).__name__} value {v!r:.60}")


def _signature(props: dict[str, Any]) -> Signature:
    return tuple(sorted((k, _type(v)) for k, v in props.items()))


def _groups(items: Iterable[tuple[Any, dict[str, Any]]]) -> dict[Signature, list[tuple[Any, dict[str, Any]]]]:
    out: dict[Signature, list[tuple[Any, dict[str, Any]]]] = defaultdict(list)
    for key, props in items:
        out[_signature(props)].append((key, props))
    return out


def ensure_empty(backend: Backend) -> None:
    n = backend.read("MATCH (n) RETURN n LIMIT 1")
    if n:
        raise NotEmptyError(
            f"refused: a bulk load needs an empty store and {backend.location} holds nodes "
            "(run `kb load` without --bulk to merge, or `kb clear` first)")


# --------------------------------------------------------------------------- FalkorDB: GRAPH.BULK

def _bin(v: Any) -> bytes:
    if isinstance(v, bool):
        return struct.pack("=B?", 1, v)
    if isinstance(v, float):
        return struct.pack("=Bd", 2, v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        if b"\x00" in b:
            raise BackendError("FalkorDB cannot take text containing a NUL character (\\x00)")
        return struct.pack(f"=B{len(b) + 1}s", 3, b)
    if isinstance(v, int):
        return struct.pack("=Bq", 4, v)
    if isinstance(v, (list, tuple)):
        return struct.pack("=Bq", 5, len(v)) + b"".join(_bin(x) for x in v)
    raise BackendError(f"the bulk path cannot write a {type(v).__name__} value")


def _header(name: str, sig: Signature) -> bytes:
    parts = [name.encode() + b"\x00", struct.pack("=I", len(sig))]
    parts += [k.encode() + b"\x00" for k, _ in sig]
    return b"".join(parts)


def falkor_bulk(backend: Any, rows: GraphRows, progress: Progress | None = None) -> Counters:
    """Write ``rows`` into the (empty) graph of a `FalkorBackend` with GRAPH.BULK, then the schema."""
    conn = backend.db.connection
    if conn.exists(backend.graph_name):
        backend.delete_graph()  # empty (checked by the caller): GRAPH.BULK BEGIN wants no graph at all
    ids: dict[tuple[str, str], int] = {}
    total = Counters()
    first = [True]
    steps, done = rows.node_count + rows.rel_count, 0

    def send(head: bytes, entities: list[bytes], is_node: bool) -> None:
        args: list[Any] = [len(entities) if is_node else 0, 0 if is_node else len(entities),
                           1 if is_node else 0, 0 if is_node else 1, head + b"".join(entities)]
        if first[0]:
            args.insert(0, "BEGIN")
            first[0] = False
        conn.execute_command("GRAPH.BULK", backend.graph_name, *args)

    def flush_groups(name: str, groups: dict[Signature, list[tuple[Any, dict[str, Any]]]], is_node: bool) -> int:
        count = 0
        for sig, members in groups.items():
            head = _header(name, sig)
            names = [k for k, _ in sig]
            batch: list[bytes] = []
            size = len(head)
            for key, props in members:
                body = b"".join(_bin(props[k]) for k in names)
                if is_node:
                    ids[(name, key)] = len(ids)
                else:
                    body = struct.pack("=QQ", *key) + body
                if batch and size + len(body) > TOKEN_BYTES:
                    send(head, batch, is_node)
                    batch, size = [], len(head)
                batch.append(body)
                size += len(body)
                total.properties_set += len(names)
            if batch:
                send(head, batch, is_node)
            count += len(members)
        return count

    for label in sorted(rows.nodes):
        n = flush_groups(label, _groups(rows.nodes[label].items()), True)
        total.nodes_created += n
        done += n
        if progress:
            progress(label, done, steps)
    for (rtype, a, b) in sorted(rows.rels):
        try:
            edges = [((ids[(a, ka)], ids[(b, kb_)]), p) for (ka, kb_), p in rows.rels[(rtype, a, b)].items()]
        except KeyError as exc:
            raise BackendError(f"a {rtype} relationship names a {exc.args[0][0]} {exc.args[0][1]!r} that is not among the nodes") from None
        n = flush_groups(rtype, _groups(edges), False)
        total.relationships_created += n
        done += n
        if progress:
            progress(rtype, done, steps)
    if first[0]:  # nothing at all to write: leave an empty graph as a MERGE load would
        backend.write("CREATE (n:_KbInit) DELETE n")
    backend._wait_for_replica()
    backend.ensure_schema(NODE_KEYS, INDEXES)
    return total


# --------------------------------------------------------------------------- Neo4j: neo4j-admin import

_ARRAY_DELIMITER = "\x1f"


def _csv_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        if _ARRAY_DELIMITER in v:
            raise BackendError("the Neo4j bulk path cannot write text containing the character U+001F")
        return '"' + v.replace('"', '""') + '"'
    return '"' + _ARRAY_DELIMITER.join(
        (str(x).lower() if isinstance(x, bool) else repr(x) if not isinstance(x, str) else x).replace('"', '""')
        for x in v) + '"'


def write_neo4j_csv(rows: GraphRows, folder: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """CSV files with neo4j-admin import headers, one per (label or relationship group, signature)."""
    nodes: list[tuple[str, Path]] = []
    rels: list[tuple[str, Path]] = []
    i = 0
    for label in sorted(rows.nodes):
        for sig, members in _groups(rows.nodes[label].items()).items():
            i += 1
            f = folder / f"n{i}_{label}.csv"
            with open(f, "w", encoding="utf-8", newline="") as out:
                out.write(",".join([f":ID({label})", *(f"{k}:{t}" for k, t in sig)]) + "\n")
                for key, props in members:
                    out.write(",".join([_csv_value(key), *(_csv_value(props[k]) for k, _ in sig)]) + "\n")
            nodes.append((label, f))
    for (rtype, a, b) in sorted(rows.rels):
        for sig, members in _groups(rows.rels[(rtype, a, b)].items()).items():
            i += 1
            f = folder / f"r{i}_{rtype}.csv"
            with open(f, "w", encoding="utf-8", newline="") as out:
                out.write(",".join([f":START_ID({a})", f":END_ID({b})", *(f"{k}:{t}" for k, t in sig)]) + "\n")
                for (ka, kb_), props in members:
                    out.write(",".join([_csv_value(ka), _csv_value(kb_), *(_csv_value(props[k]) for k, _ in sig)]) + "\n")
            rels.append((rtype, f))
    return nodes, rels


def neo4j_bulk(backend: Any, rows: GraphRows, password: str | None = None) -> Counters:
    """neo4j-admin import of ``rows`` into the local Neo4j behind ``backend``, then the schema."""
    from kb.engines import neo4j_local

    with tempfile.TemporaryDirectory(prefix="kb-bulk-") as tmp:
        nodes, rels = write_neo4j_csv(rows, Path(tmp))
        try:
            neo4j_local.import_full(backend.uri, nodes, rels, password=password, database=backend.database or "neo4j")
        except neo4j_local.Neo4jLocalError as exc:
            raise BackendError(str(exc)) from None
        finally:
            backend.reconnect()
    backend.ensure_schema(NODE_KEYS, INDEXES)
    return Counters(nodes_created=rows.node_count, relationships_created=rows.rel_count,
                    properties_set=sum(len(p) for v in rows.nodes.values() for p in v.values())
                    + sum(len(p) for v in rows.rels.values() for p in v.values()))


def bulk_fallback_reason(backend: Backend) -> str | None:
    """Why this backend has no bulk path (the load then merges), or None when it has one."""
    if backend.engine == "falkordb":
        return None
    from kb.engines import neo4j_local

    if neo4j_local.local_server(getattr(backend, "uri", "")) is None:
        return (f"no bulk import into {backend.location}: neo4j-admin import needs the data directory of a "
                "stopped server, which only a local Neo4j started by `kb neo4j start` gives; loaded with MERGE instead")
    return None


def write_bulk(backend: Backend, rows: GraphRows, progress: Progress | None = None,
               password: str | None = None) -> Counters:
    """Write ``rows`` into an empty store with the engine's importer (`NotEmptyError` otherwise)."""
    ensure_empty(backend)
    if backend.engine == "falkordb":
        return falkor_bulk(backend, rows, progress)
    return neo4j_bulk(backend, rows, password)
