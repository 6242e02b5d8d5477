"""FalkorDB's bulk path: ``GRAPH.BULK`` (the binary protocol of ``falkordb-bulk-loader``) sent with
the redis client the backend already holds, so it reaches the embedded server on its unix socket.
Every value is typed from the Python value (the bulk loader's CSV files would infer types from text,
making the string ``"280530"`` a number). The schema (indexes, unique constraints) is made after.

GRAPH.BULK sends one header per label (or relationship group) naming the union of its properties and
a null where a row lacks one (the server sets nothing for a null), so an absent property stays absent.
Values are encoded a column at a time (1M relationships: GRAPH.BULK in 3.2 s all told).
"""

from __future__ import annotations

import struct
from itertools import chain
from typing import TYPE_CHECKING, Any

from kb.errors import BackendError
from kb.schema import INDEXES, NODE_KEYS

from .base import Counters, PhaseHook, Progress, timed
from .cypher import make_empty_graph
from .graph import GraphRows

if TYPE_CHECKING:
    from .falkor import FalkorBackend

#: bytes per GRAPH.BULK token (the server's limit is 512 MB; the bulk loader's default is 64 MB)
TOKEN_BYTES = 16_000_000

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
                raise BackendError(f"the bulk path cannot write {name}.{k}: {exc}") from exc
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


def falkor_bulk(backend: FalkorBackend, rows: GraphRows, progress: Progress | None = None,
                on_phase: PhaseHook | None = None) -> Counters:
    """Write ``rows`` into the (empty) graph of ``backend`` with GRAPH.BULK, then the schema.
    ``on_phase`` hears each phase's seconds: ``graph_bulk``, ``schema``."""
    with timed(on_phase, "graph_bulk"):
        total = _send_all(backend, rows, progress)
    with timed(on_phase, "schema"):
        backend.ensure_schema(NODE_KEYS, INDEXES)
    return total


def _send_all(backend: FalkorBackend, rows: GraphRows, progress: Progress | None) -> Counters:
    conn = backend.db.connection
    if conn.exists(backend.graph_name):
        backend.drop()  # empty (checked by the caller): GRAPH.BULK BEGIN wants no graph at all
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
        backend.write(make_empty_graph())
    backend.wait_for_replica()
    return total


