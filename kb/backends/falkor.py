"""FalkorDB: the embedded default (a server owned by KB_HOME) or one elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from falkordb import Edge, Node, Path

from kb.errors import BackendError, ReadOnlyError

from .base import Backend, Counters, Row, plain

# plan operations that change the graph (GRAPH.EXPLAIN names them)
_WRITE_OPS = ("Create", "Merge", "Delete", "Update", "Set", "Remove", "Load CSV", "Call Subquery")


def _value(v: Any) -> Any:
    if isinstance(v, Node):
        return {"_labels": sorted(v.labels or []), **{k: _value(x) for k, x in v.properties.items()}}
    if isinstance(v, Edge):
        return {"_type": v.relation, **{k: _value(x) for k, x in v.properties.items()}}
    if isinstance(v, Path):
        return {"nodes": [_value(n) for n in v.nodes()], "relationships": [_value(e) for e in v.edges()]}
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_value(x) for x in v]
    return plain(v)


def _counters(res: Any) -> Counters:
    return Counters(
        nodes_created=int(res.nodes_created),
        nodes_deleted=int(res.nodes_deleted),
        relationships_created=int(res.relationships_created),
        relationships_deleted=int(res.relationships_deleted),
        properties_set=int(res.properties_set),
        labels_added=int(res.labels_added),
    )


class FalkorBackend(Backend):
    engine = "falkordb"

    def __init__(self, db: Any, graph: str, location: str, on_close: Any = None):
        self.db = db
        self.graph_name = graph
        self.graph = db.select_graph(graph)
        self.location = f"{location} (graph {graph})"
        self._on_close = on_close

    def _query(self, query: str, params: Mapping[str, Any] | None, read_only: bool) -> Any:
        import redis

        try:
            if read_only:
                try:
                    return self.graph.ro_query(query, dict(params or {}))
                except redis.exceptions.ResponseError as exc:
                    if "empty key" not in str(exc):
                        raise
                    # the graph does not exist yet: make it (empty) so reads see an empty graph
                    self.graph.query("CREATE (n:_KbInit) DELETE n")
                    return self.graph.ro_query(query, dict(params or {}))
            return self.graph.query(query, dict(params or {}))
        except redis.exceptions.ResponseError as exc:
            msg = str(exc)
            if "read-only" in msg or "RO_QUERY" in msg:
                raise ReadOnlyError("refused: the statement would write (FalkorDB read-only query)") from None
            raise BackendError(f"FalkorDB: {msg}") from None
        except redis.exceptions.ConnectionError as exc:
            raise BackendError(f"FalkorDB connection: {exc}") from None

    @staticmethod
    def _rows(res: Any) -> list[Row]:
        cols = [h[1] if isinstance(h, (list, tuple)) else h for h in res.header]
        cols = [c.decode() if isinstance(c, bytes) else str(c) for c in cols]
        return [dict(zip(cols, (_value(v) for v in row), strict=True)) for row in res.result_set]

    def version(self) -> str:
        for mod in self.db.connection.module_list():
            name = mod.get(b"name", mod.get("name"))
            if name in (b"graph", "graph"):
                v = int(mod.get(b"ver", mod.get("ver", 0)))
                return f"{v // 10000}.{v // 100 % 100}.{v % 100}"
        raise BackendError("FalkorDB module not loaded")

    def explain_is_read(self, query: str, params: Mapping[str, Any] | None = None) -> bool:
        try:
            plan = self.graph.explain(query, dict(params or {}))
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"FalkorDB: {exc}") from None
        text = str(plan)
        return not any(op in text for op in _WRITE_OPS)

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self._rows(self._query(query, params, read_only=True))

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> tuple[list[Row], Counters]:
        res = self._query(query, params, read_only=False)
        return self._rows(res), _counters(res)

    def ensure_schema(self, keys: Mapping[str, str], indexes: Iterable[tuple[str, str]]) -> None:
        existing = {(r["label"], p) for r in self._indexes() for p in r["properties"]}
        for label, prop in [*keys.items(), *indexes]:
            if (label, prop) not in existing:
                self.write(f"CREATE INDEX FOR (n:`{label}`) ON (n.`{prop}`)")
        constraints = {(r[1], tuple(r[2])) for r in self.graph.query("CALL db.constraints()").result_set}
        for label, key in keys.items():
            if (label, (key,)) not in constraints:
                try:
                    self.db.connection.execute_command(
                        "GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE", label, "PROPERTIES", 1, key
                    )
                except Exception as exc:  # noqa: BLE001
                    raise BackendError(f"FalkorDB: cannot create constraint on {label}.{key}: {exc}") from None

    def _indexes(self) -> list[Row]:
        try:
            return self.read("CALL db.indexes() YIELD label, properties RETURN label, properties")
        except BackendError:
            return []  # the graph does not exist yet

    def delete_graph(self) -> None:
        """Drop the whole graph, schema included (tests use one graph each)."""
        import contextlib

        import redis

        with contextlib.suppress(redis.exceptions.ResponseError):  # never created
            self.graph.delete()

    def close(self) -> None:
        try:
            self.db.connection.close()
        finally:
            if self._on_close:
                self._on_close()
