"""FalkorDB: the embedded default (a server owned by KB_HOME) or one elsewhere."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from falkordb import Edge, FalkorDB, Node
from falkordb import Path as GraphPath

from kb.errors import BackendError, ReadOnlyError

from . import cypher
from .base import SCALARS, Backend, Counters, PhaseHook, Progress, Row, plain

if TYPE_CHECKING:
    from .graph import GraphRows

# plan operations that change the graph (GRAPH.EXPLAIN names them)
_WRITE_OPS = ("Create", "Merge", "Delete", "Update", "Set", "Remove", "Load CSV", "Call Subquery")


def _check_values(query: str, params: Mapping[str, Any]) -> None:
    """Refuse values the FalkorDB client cannot send faithfully (see `_statement`, which applies
    the rules: one walker of the values)."""
    _statement(query, params)


def _text_ok(text: str) -> bool:
    """No NUL character (the server reads the statement as a C string) and valid UTF-8."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad_text(text: str, where: str) -> BackendError:
    if "\x00" in text:
        return BackendError(f"FalkorDB cannot take text containing a NUL character (\\x00) in {where}")
    return BackendError(f"text in {where} is not valid Unicode (a lone surrogate)")


def _literal(v: Any, where: str) -> str:
    """``v`` as a Cypher literal for the ``CYPHER name=value`` header, refusing what FalkorDB cannot
    take faithfully: an integer beyond 64 bits (silently clamped), NaN and infinities, other types
    (they would not parse), a map key it cannot quote. NUL characters and lone surrogates are looked
    for once in the whole statement, by `_statement`. The one walker of the values: the falkordb
    client's serializer and a separate check walked every value twice in Python, a quarter of a
    million-row load's time."""
    t = type(v)
    if t is str:
        text: str = v.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + text + '"'
    if t is dict:
        return "{" + ",".join([_key(k, where) + _literal(x, where) for k, x in v.items()]) + "}"
    if t is list or t is tuple:
        return "[" + ",".join([_literal(x, where) for x in v]) + "]"
    if t is int:
        if not -(2**63) <= v < 2**63:
            raise BackendError(f"FalkorDB cannot take integer {v} in {where}: it does not fit in 64 bits")
        return str(v)
    if t is float:
        if not math.isfinite(v):
            raise BackendError(f"FalkorDB cannot take {v} in {where}: only finite numbers")
        return repr(v)
    if t is bool:
        return "true" if v else "false"
    if v is None:
        return "null"
    # subclasses (an IntEnum, a str subclass, a Mapping): as their base type
    for base in (bool, str, int, float):
        if isinstance(v, base):
            return _literal(base(v), where)
    if isinstance(v, Mapping):
        return _literal(dict(v), where)
    if isinstance(v, (list, tuple)):
        return _literal(list(v), where)
    raise BackendError(f"FalkorDB cannot take a {type(v).__name__} in {where}")


_KEYS: dict[str, str] = {}


def _key(k: Any, where: str) -> str:
    text = _KEYS.get(k) if type(k) is str else None
    if text is None:
        name = str(k)
        if not name or "`" in name:
            raise BackendError(f"FalkorDB cannot take the map key {name!r} in {where}")
        text = f"`{name}`:"
        if type(k) is str and len(_KEYS) < 10_000:
            _KEYS[k] = text
    return text


def _statement(query: str, params: Mapping[str, Any]) -> str:
    """``query`` with its parameters in a ``CYPHER`` header, every value checked (a bad one is
    named: the statement or its parameter)."""
    literals = {name: _literal(value, f"parameter ${name}") for name, value in params.items()}
    head = " ".join(f"{name}={text}" for name, text in literals.items())
    text = f"CYPHER {head} {query}" if head else query
    if not _text_ok(text):
        if not _text_ok(query):
            raise _bad_text(query, "the statement")
        for name, lit in literals.items():
            if not _text_ok(lit):
                raise _bad_text(lit, f"parameter ${name}")
        raise BackendError("FalkorDB cannot take the text of this statement")
    return text


def _value(v: Any) -> Any:
    if v is None or type(v) in SCALARS:  # most values: nothing to convert (a large answer has 100,000s)
        return v
    if isinstance(v, Node):
        return {"_labels": sorted(v.labels or []), **{k: _value(x) for k, x in v.properties.items()}}
    if isinstance(v, Edge):
        return {"_type": v.relation, **{k: _value(x) for k, x in v.properties.items()}}
    if isinstance(v, GraphPath):
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

    def __init__(self, db: FalkorDB, graph: str, location: str, on_close: Callable[[], None] | None = None,
                 replica: FalkorDB | None = None, home: Path | None = None):
        self.db = db
        #: the embedded server's KB_HOME (None: a server elsewhere)
        self.home = home
        self.graph_name = graph
        self.graph = db.select_graph(graph)
        # a replica of ``db`` (``?replica=host:port``): reads go there as GRAPH.RO_QUERY, writes
        # to the primary, each write waits until the replica has it (read-your-writes)
        self.replica = replica
        self.read_graph = replica.select_graph(graph) if replica is not None else self.graph
        self.location = f"{location} (graph {graph})"
        self._on_close = on_close

    def wait_for_replica(self) -> None:
        if self.replica is None:
            return
        acked = self.db.connection.execute_command("WAIT", 1, 10_000)
        if int(acked) < 1:
            raise BackendError("FalkorDB: the write reached the primary but no replica acknowledged it within 10 s")

    def _query(self, query: str, params: Mapping[str, Any] | None, read_only: bool,
               timeout: float | None = None, text: str | None = None) -> Any:
        """Run ``query`` with ``params`` (or ``text``: the statement with its parameters already
        in its header, from `_statement`)."""
        import redis

        params = dict(params or {})
        if text is None:
            text = _statement(query, params)
        lowered = query.lower()
        if read_only and "load" in lowered and "csv" in lowered and "Load CSV" in self._plan(query, params):
            # LOAD CSV reads files and URLs from the server: not for read-only statements
            raise ReadOnlyError("refused: LOAD CSV is not allowed in a read-only statement")
        for attempt in (1, 2):
            try:
                return self._send(text, read_only, timeout)
            except redis.exceptions.ResponseError as exc:
                msg = str(exc)
                if "read-only" in msg or "RO_QUERY" in msg:
                    raise ReadOnlyError("refused: the statement would write (FalkorDB read-only query)") from exc
                if timeout is not None and "timed out" in msg.lower():
                    raise BackendError(f"FalkorDB: the statement ran longer than its time limit of {timeout:g} s") from exc
                raise BackendError(f"FalkorDB: {msg}") from exc
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                if read_only and attempt == 1:
                    continue  # a read is safe to run again; the client reconnects
                what = "a read (tried twice)" if read_only else "a write (it may or may not have been applied)"
                raise BackendError(f"FalkorDB connection lost during {what}: {exc}") from exc
        raise AssertionError("unreachable")

    def _send(self, text: str, read_only: bool, timeout: float | None = None) -> Any:
        import redis

        if not read_only:
            res = self.graph.query(text)
            self.wait_for_replica()
            return res
        ms = max(1, int(timeout * 1000)) if timeout is not None else None
        try:
            return self.read_graph.ro_query(text, timeout=ms)
        except redis.exceptions.ResponseError as exc:
            if "empty key" not in str(exc):
                raise
            # the graph does not exist yet: make it (empty) so reads see an empty graph
            self.graph.query(cypher.make_empty_graph())
            self.wait_for_replica()
            return self.read_graph.ro_query(text, timeout=ms)

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

    def _plan(self, query: str, params: Mapping[str, Any] | None = None) -> str:
        try:
            return str(self.graph.explain(query, dict(params or {})))
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"FalkorDB: {exc}") from exc

    def explain_is_read(self, query: str, params: Mapping[str, Any] | None = None) -> bool:
        _check_values(query, dict(params or {}))
        text = self._plan(query, params)
        return not any(op in text for op in _WRITE_OPS)

    def profile(self, query: str, params: Mapping[str, Any] | None = None) -> list[str]:
        _check_values(query, dict(params or {}))
        try:  # GRAPH.PROFILE runs the statement: only reads get here
            if not self.explain_is_read(query, params):
                raise ReadOnlyError("refused: only reads are profiled")
            res = self.graph.profile(query, dict(params or {}))
        except ReadOnlyError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"FalkorDB: {exc}") from exc
        lines = getattr(res, "plan", None)  # the server's text, with records and time per operator
        return [str(x) for x in (lines if isinstance(lines, list) else str(res).splitlines())]

    def read(self, query: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> list[Row]:
        return self._rows(self._query(query, params, read_only=True, timeout=timeout))

    def read_capped(self, query: str, params: Mapping[str, Any] | None = None, *, cap: int,
                    timeout: float | None = None) -> tuple[list[Row], bool]:
        """FalkorDB sends an answer in one reply: the cap goes into the statement (a ``LIMIT``
        after it, in a ``CALL {}``), so no more than ``cap + 1`` rows are made, sent or read.
        ``RETURN *`` there orders columns by name: they are put back in the order the statement's
        last RETURN names them. A statement that cannot be wrapped is read whole, then cut."""
        try:
            rows = self.read(f"CALL {{ {query} }} RETURN * LIMIT {int(cap) + 1}", params, timeout=timeout)
        except BackendError as exc:
            if "time limit" in str(exc):
                raise
            return super().read_capped(query, params, cap=cap, timeout=timeout)
        if rows:
            clause = re.split(r"(?i)\bRETURN\b", query)[-1]

            def at(column: str) -> int:
                m = re.search(r"(?<![\w.`])`?" + re.escape(column) + r"`?(?![\w.`])", clause)
                return m.start() if m else len(clause)

            order = sorted(rows[0], key=at)
            rows = [{c: r[c] for c in order} for r in rows]
        return rows[:cap], len(rows) > cap

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> tuple[list[Row], Counters]:
        res = self._query(query, params, read_only=False)
        return self._rows(res), _counters(res)

    def write_batches(
        self, query: str, rows: Sequence[Mapping[str, Any]], batch_size: int = 2000, **params: Any
    ) -> Counters:
        """As `Backend.write_batches`, with the next batch's statement text made (in a thread)
        while the server runs this one: on a load, the client's work hides behind the server's."""
        from concurrent.futures import ThreadPoolExecutor

        def text(start: int) -> str:
            return _statement(query, {**params, "rows": list(rows[start:start + batch_size])})

        total = Counters()
        starts = list(range(0, len(rows), batch_size))
        if not starts:
            return total
        with ThreadPoolExecutor(1, thread_name_prefix="kb-batch") as pool:
            pending = pool.submit(text, starts[0])
            for following in [*starts[1:], None]:
                statement = pending.result()
                if following is not None:
                    pending = pool.submit(text, following)
                total += _counters(self._query(query, None, read_only=False, text=statement))
        return total

    def ensure_schema(self, keys: Mapping[str, str], indexes: Iterable[tuple[str, str]]) -> None:
        existing = {(r["label"], p) for r in self._indexes() for p in r["properties"]}
        for label, prop in [*keys.items(), *indexes]:
            if (label, prop) not in existing:
                self.write(cypher.create_index(label, prop))
        constraints = {(r[1], tuple(r[2])) for r in self.graph.query(cypher.list_constraints()).result_set}
        for label, key in keys.items():
            if (label, (key,)) not in constraints:
                try:
                    self.db.connection.execute_command(
                        "GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE", label, "PROPERTIES", 1, key
                    )
                except Exception as exc:  # noqa: BLE001
                    raise BackendError(f"FalkorDB: cannot create constraint on {label}.{key}: {exc}") from exc
        self._await_constraints()

    def _await_constraints(self, timeout: float = 120.0) -> None:
        """FalkorDB builds a new constraint in the background ("UNDER CONSTRUCTION"): wait until
        every one is OPERATIONAL, so a load that follows is guarded; a FAILED one is an error."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            rows = self.graph.query(cypher.list_constraints()).result_set
            failed = [r for r in rows if r[4] == "FAILED"]
            for r in failed:  # dropped, so the next attempt after fixing the data starts afresh
                self.db.connection.execute_command("GRAPH.CONSTRAINT", "DROP", self.graph_name, r[0], r[3],
                                                   r[1], "PROPERTIES", len(r[2]), *r[2])
            if failed:
                names = ", ".join(f"{r[1]}.{','.join(r[2])}" for r in failed)
                raise BackendError(f"FalkorDB: cannot enforce the {failed[0][0].lower()} constraint on {names}: "
                                   "the graph holds values that break it (dropped again; fix the data and load)")
            if all(r[4] == "OPERATIONAL" for r in rows):
                return
            if time.monotonic() > deadline:
                raise BackendError(f"FalkorDB: constraints not operational after {timeout:.0f} s")
            time.sleep(0.01)

    def _indexes(self) -> list[Row]:
        try:
            return self.read(cypher.list_indexes())
        except BackendError:
            return []  # the graph does not exist yet

    def drop(self) -> None:
        """Drop the whole graph, schema included (fast, whatever its size)."""
        import contextlib

        import redis

        with contextlib.suppress(redis.exceptions.ResponseError):  # never created
            self.graph.delete()
        self.wait_for_replica()

    def bulk_unavailable(self) -> str | None:
        return None  # GRAPH.BULK reaches any FalkorDB server this client reaches

    def bulk_write(self, rows: GraphRows, progress: Progress | None = None,
                   on_phase: PhaseHook | None = None) -> Counters:
        from .falkor_bulk import falkor_bulk

        self.ensure_empty()
        return falkor_bulk(self, rows, progress, on_phase)

    def reconnect(self) -> None:
        """Drop the pooled connections; the next statement opens new ones."""
        self.db.connection.connection_pool.disconnect()
        if self.replica is not None:
            self.replica.connection.connection_pool.disconnect()

    def server_pid(self) -> int | None:
        if self.home is None:
            return None
        from . import embedded

        pid = embedded.server_status(self.home).get("server")
        return int(pid) if pid else None

    def close(self) -> None:
        try:
            self.db.connection.close()
            if self.replica is not None:
                self.replica.connection.close()
        finally:
            if self._on_close:
                self._on_close()
