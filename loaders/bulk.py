"""The bulk path: validated graph rows written into an EMPTY store by the engine's own importer.

* FalkorDB: ``GRAPH.BULK`` (the binary protocol of ``falkordb-bulk-loader``) sent with the redis
  client the backend already holds, so it reaches the embedded server on its unix socket. Every
  value is typed from the Python value (the bulk loader's CSV files would infer types from text,
  making the string ``"280530"`` a number). The schema (indexes, unique constraints) is made after.
* Neo4j: ``neo4j-admin database import full`` (``org.neo4j.cli.AdminTool``, from the same Maven
  Central jars as the local server) of CSV files written here, into the data directory of the local
  Neo4j (`kb neo4j start`), stopped for the import and started again. A Neo4j elsewhere cannot be
  imported into from here: the load falls back to the MERGE loader and says so.

Every type survives as it is and an absent property stays absent: GRAPH.BULK sends one header per
label (or relationship group) naming the union of its properties, a null where a row lacks one (the
server sets nothing for a null); the Neo4j CSV has an empty field there (no property), and is split
by label or type, then by *signature* (which properties, of which types), only where one property
holds values of several types. Values are encoded a column at a time (1M relationships: GRAPH.BULK
in 3.2 s all told; the Neo4j CSV files in 3 s).
"""

from __future__ import annotations

import struct
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from pathlib import Path
from typing import Any, cast

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

# GRAPH.BULK value encoding (FalkorDB src/bulk_insert/bulk_insert.c): one type byte, then the value.
# A null is skipped by the server (the property is not set), so one header per label or relationship
# group names the union of its properties and a row without one of them sends a null.
_NULL = b"\x00"
_BOOL = {True: b"\x01\x01", False: b"\x01\x00"}
_DOUBLE = struct.Struct("=Bd").pack
_LONG = struct.Struct("=Bq").pack
_IDS = struct.Struct("=QQ").pack
#: entities per GRAPH.BULK token (each token is split again if it passes TOKEN_BYTES)
CHUNK = 50_000


def _bin(v: Any) -> bytes:
    """One value in GRAPH.BULK's binary form (the general path; columns of one type take a faster one)."""
    if v is None:
        return _NULL
    if isinstance(v, bool):
        return _BOOL[v]
    if isinstance(v, float):
        return _DOUBLE(2, v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        if b"\x00" in b:
            raise BackendError("FalkorDB cannot take text containing a NUL character (\\x00)")
        return b"\x03" + b + b"\x00"
    if isinstance(v, int):
        return _LONG(4, v)
    if isinstance(v, (list, tuple)):
        return _LONG(5, len(v)) + b"".join(map(_bin, v))
    raise BackendError(f"the bulk path cannot write a {type(v).__name__} value {v!r:.60}")


def _column(values: list[Any]) -> list[bytes]:
    """The binary form of one property's values (None: not set), with no Python call per value
    for the common columns (all text, all floats, all integers)."""
    kinds = set(map(type, values))
    if type(None) in kinds and len(kinds) > 1:  # the values that are there, nulls between them
        where = [i for i, v in enumerate(values) if v is not None]
        out = [_NULL] * len(values)
        for i, b in zip(where, _column([values[i] for i in where]), strict=True):
            out[i] = b
        return out
    if kinds == {list}:  # lists of text (sources, aliases): one join per list
        flat = list(chain.from_iterable(values))
        if set(map(type, flat)) == {str}:
            if "\x00" in "".join(flat):
                raise BackendError("FalkorDB cannot take text containing a NUL character (\\x00)")
            return [_LONG(5, len(v)) + b"\x03" + "\x00\x03".join(v).encode("utf-8") + b"\x00" if v else _LONG(5, 0)
                    for v in values]
    if kinds == {str}:
        if "\x00" in "".join(values):
            raise BackendError("FalkorDB cannot take text containing a NUL character (\\x00)")
        return [b"\x03" + s.encode("utf-8") + b"\x00" for s in values]
    if kinds == {float}:
        return [_DOUBLE(2, x) for x in values]
    if kinds == {int}:
        return [_LONG(4, x) for x in values]
    return list(map(_bin, values))


def _encode(name: str, props: list[dict[str, Any]], ids: list[bytes] | None) -> tuple[list[bytes], int]:
    """GRAPH.BULK tokens (header + rows) for one label (``ids`` None) or one relationship group
    (``ids``: the packed source and target of each row), and how many properties they set."""
    cols = sorted(set(chain.from_iterable(props)))
    head = b"".join([name.encode() + b"\x00", struct.pack("=I", len(cols)), *(k.encode() + b"\x00" for k in cols)])
    tokens: list[bytes] = []
    set_count = 0
    for start in range(0, len(props), CHUNK):
        part = props[start:start + CHUNK]
        columns = []
        for k in cols:
            values = [p.get(k) for p in part]
            set_count += len(values) - values.count(None)
            try:
                columns.append(_column(values))
            except (struct.error, UnicodeEncodeError) as exc:
                raise BackendError(f"the bulk path cannot write {name}.{k}: {exc}") from None
        if ids is not None:
            columns.insert(0, ids[start:start + CHUNK])
        rows = list(map(b"".join, zip(*columns, strict=True))) if columns else [b""] * len(part)
        tokens += _split(head, rows)
    return tokens, set_count


def _split(head: bytes, rows: list[bytes]) -> list[bytes]:
    body = b"".join(rows)
    if len(body) + len(head) <= TOKEN_BYTES or len(rows) == 1:
        return [head + body]
    mid = len(rows) // 2
    return _split(head, rows[:mid]) + _split(head, rows[mid:])


def falkor_bulk(backend: Any, rows: GraphRows, progress: Progress | None = None) -> Counters:
    """Write ``rows`` into the (empty) graph of a `FalkorBackend` with GRAPH.BULK, then the schema."""
    conn = backend.db.connection
    if conn.exists(backend.graph_name):
        backend.delete_graph()  # empty (checked by the caller): GRAPH.BULK BEGIN wants no graph at all
    total = Counters()
    first = [True]
    steps, done = rows.node_count + rows.rel_count, 0

    def send(tokens: list[bytes], count: int, is_node: bool) -> None:
        for i, token in enumerate(tokens):
            n = count if i == 0 else 0  # the counts only size the server's allocation
            args: list[Any] = [n if is_node else 0, 0 if is_node else n, 1 if is_node else 0, 0 if is_node else 1, token]
            if first[0]:
                args.insert(0, "BEGIN")
                first[0] = False
            conn.execute_command("GRAPH.BULK", backend.graph_name, *args)

    # node ids are given by the server in creation order, from 0 in an empty graph
    ids: dict[str, dict[str, int]] = {}
    for label in sorted(rows.nodes):
        members = rows.nodes[label]
        ids[label] = dict(zip(members, range(total.nodes_created, total.nodes_created + len(members)), strict=True))
        tokens, props_set = _encode(label, list(members.values()), None)
        send(tokens, len(members), True)
        total.nodes_created += len(members)
        total.properties_set += props_set
        done += len(members)
        if progress:
            progress(label, done, steps)
    for (rtype, a, b) in sorted(rows.rels):
        group = rows.rels[(rtype, a, b)]
        ida, idb = ids.get(a, {}), ids.get(b, {})
        try:
            pairs = [_IDS(ida[ka], idb[kb_]) for ka, kb_ in group]
        except KeyError as exc:
            missing = exc.args[0]
            which = a if missing not in ida else b
            raise BackendError(f"a {rtype} relationship names a {which} {missing!r} that is not among the nodes") from None
        tokens, props_set = _encode(rtype, list(group.values()), pairs)
        send(tokens, len(group), False)
        total.relationships_created += len(group)
        total.properties_set += props_set
        done += len(group)
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


def _csv_fields(values: list[Any], present: list[Any]) -> list[str]:
    """CSV fields of one property's values ("" where absent), with no Python call per value for
    columns of text, numbers or lists of text."""
    kinds = set(map(type, present))
    if kinds == {str}:
        if _ARRAY_DELIMITER in "".join(present):
            raise BackendError("the Neo4j bulk path cannot write text containing the character U+001F")
        return ["" if v is None else '"' + v.replace('"', '""') + '"' for v in values]
    if kinds == {int} or kinds == {float}:
        return ["" if v is None else repr(v) for v in values]
    if kinds == {list} and set(map(type, chain.from_iterable(present))) == {str}:
        if _ARRAY_DELIMITER in "".join(chain.from_iterable(present)):
            raise BackendError("the Neo4j bulk path cannot write text containing the character U+001F")
        return ["" if v is None else '"' + _ARRAY_DELIMITER.join(v).replace('"', '""') + '"' for v in values]
    return ["" if v is None else _csv_value(v) for v in values]


def _kind(present: list[Any]) -> str | None:
    """The neo4j-admin type of a property's values, or None when they are of several types."""
    scalars = set(map(type, present))
    if scalars == {list}:
        inner = set(map(type, chain.from_iterable(present)))
        if len(inner) == 1 and inner <= {str, int, float, bool} and all(present):
            return f"{_type(next(x for v in present for x in v))}[]"
    if len(scalars) == 1 and scalars <= {str, int, float, bool}:
        return _type(present[0])
    kinds = set(map(_type, present))
    return kinds.pop() if len(kinds) == 1 else None


def _write_csv(path: Path, id_head: list[str], ids: list[list[str]],
               props: list[dict[str, Any]] | list[list[dict[str, Any]]]) -> bool:
    """One CSV file: the id columns, then the union of the properties, each typed; False (nothing
    written) when a property has values of several types. ``props``: one dict a row, or blocks
    of them (labels, types: a property absent from a whole block costs no look-up per row)."""
    blocks = cast("list[list[dict[str, Any]]]", props if props and isinstance(props[0], list) else [props])
    keys = [set(chain.from_iterable(block)) for block in blocks]
    head = list(id_head)
    columns = list(ids)
    for k in sorted(set().union(*keys)):
        parts = [[p.get(k) for p in block] if k in ks else None for block, ks in zip(blocks, keys, strict=True)]
        present = [v for part in parts if part is not None for v in part if v is not None]
        if not present:
            continue
        kind = _kind(present)
        if kind is None:
            return False
        head.append(f"{k}:{kind}")
        fields: list[str] = []
        for block, part in zip(blocks, parts, strict=True):
            fields += [""] * len(block) if part is None else _csv_fields(part, [v for v in part if v is not None])
        columns.append(fields)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(head) + "\n")
        out.writelines(",".join(row) + "\n" for row in zip(*columns, strict=True))
    return True


def _quoted(texts: Iterable[str]) -> list[str]:
    return ['"' + t.replace('"', '""') + '"' for t in texts]


def write_neo4j_csv(rows: GraphRows, folder: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, Path]]]:
    """CSV files with neo4j-admin import headers: one for the nodes and one for the relationships
    (neo4j-admin pays about 0.1 s for each file it opens, twice), more only where a property has
    values of several types. Node ids are ``Label:key`` in one id space. A name of "" in the
    lists: the file names its labels or types itself."""
    nodes: list[tuple[str, Path]] = []
    rels: list[tuple[str, Path]] = []
    i = 0

    def files(name: str, id_head: list[str], ids: list[list[str]], props: list[dict[str, Any]], out: list[tuple[str, Path]]) -> None:
        nonlocal i
        i += 1
        f = folder / f"{'r' if ':END_ID' in id_head else 'n'}{i}_{name}.csv"
        if _write_csv(f, id_head, ids, props):
            out.append((name, f))
            return
        by_sig: dict[Signature, list[int]] = defaultdict(list)
        for n, p in enumerate(props):
            by_sig[_signature(p)].append(n)
        for members in by_sig.values():
            i += 1
            f = folder / f"{'r' if ':END_ID' in id_head else 'n'}{i}_{name}.csv"
            _write_csv(f, id_head, [[c[n] for n in members] for c in ids], [props[n] for n in members])
            out.append((name, f))

    # first one file for all nodes (a :LABEL column) and one for all relationships (:TYPE); a
    # property with values of several types splits them by label or type, then by signature
    labels = sorted(rows.nodes)
    everything = [list(rows.nodes[label].values()) for label in labels]
    i += 1
    f = folder / f"n{i}_nodes.csv"
    if _write_csv(f, [":ID", ":LABEL"], [_quoted(f"{label}:{k}" for label in labels for k in rows.nodes[label]),
                                        [label for label in labels for _ in rows.nodes[label]]], everything):
        nodes.append(("", f))
    else:
        for label in labels:
            members = rows.nodes[label]
            files(label, [":ID"], [_quoted(f"{label}:{k}" for k in members)], list(members.values()), nodes)
    by_type: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rtype, a, b in sorted(rows.rels):
        by_type[rtype].append((a, b))
    columns: dict[str, tuple[list[str], list[str], list[dict[str, Any]]]] = {}
    for rtype, ends in by_type.items():
        starts: list[str] = []
        stops: list[str] = []
        props: list[dict[str, Any]] = []
        for a, b in ends:
            group = rows.rels[(rtype, a, b)]
            starts += _quoted(f"{a}:{ka}" for ka, _ in group)
            stops += _quoted(f"{b}:{kb_}" for _, kb_ in group)
            props += group.values()
        columns[rtype] = (starts, stops, props)
    i += 1
    f = folder / f"r{i}_relationships.csv"
    if columns and _write_csv(f, [":START_ID", ":END_ID", ":TYPE"],
                              [[x for c in columns.values() for x in c[0]], [x for c in columns.values() for x in c[1]],
                               [t for t, c in columns.items() for _ in c[0]]], [c[2] for c in columns.values()]):
        rels.append(("", f))
    else:
        for rtype, (starts, stops, props) in columns.items():
            files(rtype, [":START_ID", ":END_ID"], [starts, stops], props, rels)
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
