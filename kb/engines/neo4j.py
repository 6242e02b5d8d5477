"""Neo4j 5 through the official driver: reads routed as reads, writes as writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

import neo4j
from neo4j import exceptions as nx

from kb.config import mask
from kb.errors import BackendError, ConfigError, ReadOnlyError

from . import cypher
from .base import SCALARS, Backend, Counters, PhaseHook, Progress, Row, plain

if TYPE_CHECKING:
    from .graph import GraphRows


def _value(v: Any) -> Any:
    if v is None or type(v) in SCALARS:  # most values: nothing to convert (a large answer has 100,000s)
        return v
    if isinstance(v, neo4j.graph.Node):
        return {"_labels": sorted(v.labels), **{k: _value(x) for k, x in v.items()}}
    if isinstance(v, neo4j.graph.Relationship):
        return {"_type": v.type, **{k: _value(x) for k, x in v.items()}}
    if isinstance(v, neo4j.graph.Path):
        return {"nodes": [_value(n) for n in v.nodes], "relationships": [_value(r) for r in v.relationships]}
    if hasattr(v, "iso_format"):  # neo4j.time types
        return v.iso_format()
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_value(x) for x in v]
    return plain(v)


def _counters(summary: neo4j.ResultSummary) -> Counters:
    c = summary.counters
    return Counters(
        nodes_created=c.nodes_created,
        nodes_deleted=c.nodes_deleted,
        relationships_created=c.relationships_created,
        relationships_deleted=c.relationships_deleted,
        properties_set=c.properties_set,
        labels_added=c.labels_added,
    )


#: plan operators refused in read-only statements although Neo4j plans them as reads
_NOT_READ_OPS = frozenset({"LoadCSV", "TerminateTransactions"})


def _operators(plan: Any) -> set[str]:
    """Every operator name in an EXPLAIN plan (``LoadCSV@neo4j`` -> ``LoadCSV``)."""
    if not isinstance(plan, Mapping):
        return set()
    ops = {str(plan.get("operatorType", "")).split("@")[0]}
    for child in plan.get("children") or []:
        ops |= _operators(child)
    return ops


def _one_line(exc: object) -> str:
    """An error message on one line (the driver's span several)."""
    return " ".join(str(exc).split())


def _rows(records: list[neo4j.Record]) -> list[Row]:
    return [{k: _value(r[k]) for k in r.keys()} for r in records]  # noqa: SIM118  (a Record iterates over values)


class Neo4jBackend(Backend):
    engine = "neo4j"

    def __init__(self, uri: str, user: str | None, password: str | None, database: str | None = None):
        self._known_reads: set[str] = set()
        try:
            u = urlsplit(uri)
            u.port  # noqa: B018 - raises on a bad port
        except ValueError as exc:
            raise ConfigError(mask(f"bad Neo4j URI {uri!r}: {exc}")) from None  # the cause holds the unmasked URI
        if u.username or u.password:  # credentials in the URI: take them out, the driver refuses them
            user, password = unquote(u.username or "") or user, unquote(u.password or "") or password
            uri = urlunsplit((u.scheme, (u.hostname or "") + (f":{u.port}" if u.port else ""), u.path, u.query, u.fragment))
        auth = (user or "neo4j", password) if password else None
        self.uri = uri
        self.location = uri + (f" (database {database})" if database else "")
        self.database = database
        self._auth = auth
        self._open()

    @property
    def password(self) -> str | None:
        return self._auth[1] if self._auth else None

    def reconnect(self) -> None:
        """A new driver (after the server was restarted with a replaced database, e.g. by a bulk
        import: the old driver's bookmarks name transactions the new database never had)."""
        self.driver.close()
        self._open()

    def _open(self) -> None:
        uri, auth = self.uri, self._auth
        try:
            self.driver = neo4j.GraphDatabase.driver(
                uri, auth=auth, connection_timeout=10,
                notifications_min_severity="OFF",  # "unknown label" warnings are noise for an analyst
            )
            self.driver.verify_connectivity()
        except nx.AuthError as exc:
            raise ConfigError(f"Neo4j at {uri} refused the credentials (set KB_USER/KB_PASSWORD): {exc.message}") from exc
        except (nx.ServiceUnavailable, OSError) as exc:
            raise BackendError(f"cannot reach Neo4j at {uri}: {_one_line(exc)}") from exc
        except (ValueError, nx.ConfigurationError) as exc:
            raise ConfigError(mask(f"bad Neo4j URI {uri!r}: {exc}")) from None  # the cause holds the unmasked URI

    def _run(self, query: str, params: Mapping[str, Any] | None, routing: neo4j.RoutingControl,
             timeout: float | None = None, cap: int | None = None) -> tuple[list[Row], Counters, neo4j.ResultSummary]:
        def capped(result: neo4j.Result) -> tuple[list[neo4j.Record], neo4j.ResultSummary, None]:
            return result.fetch(cap or 0), result.consume(), None  # consume(): the rest is discarded unread

        try:
            records, summary, _ = self.driver.execute_query(
                neo4j.Query(query, timeout=timeout) if timeout is not None else query,
                dict(params or {}), routing_=routing, database_=self.database,
                result_transformer_=neo4j.Result.to_eager_result if cap is None else capped,
            )
        except nx.Neo4jError as exc:
            if timeout is not None and "timedout" in (exc.code or "").lower().replace("_", ""):
                raise BackendError(f"Neo4j: the statement ran longer than its time limit of {timeout:g} s") from exc
            raise BackendError(f"Neo4j: {exc.message or exc}") from exc
        except nx.DriverError as exc:
            raise BackendError(f"Neo4j connection: {_one_line(exc)}") from exc
        except UnicodeEncodeError as exc:
            raise BackendError("Neo4j: text in the statement or its parameters is not valid Unicode (a lone surrogate)") from exc
        except (OverflowError, ValueError, TypeError) as exc:  # the driver cannot send a parameter value
            raise BackendError(f"Neo4j cannot take a parameter value: {exc}") from exc
        return _rows(records), _counters(summary), summary

    def version(self) -> str:
        rows, _, _ = self._run(cypher.neo4j_version(), None, neo4j.RoutingControl.READ)
        return str(rows[0]["v"])

    def explain_is_read(self, query: str, params: Mapping[str, Any] | None = None) -> bool:
        _, _, summary = self._run("EXPLAIN " + query, params, neo4j.RoutingControl.READ)
        # planned as a read, and no operator that acts outside the graph: LOAD CSV reads
        # files and URLs from the server, TERMINATE TRANSACTIONS stops other users' work
        return summary.query_type == "r" and not (_operators(summary.plan) & _NOT_READ_OPS)

    def profile(self, query: str, params: Mapping[str, Any] | None = None) -> list[str]:
        if not self.explain_is_read(query, params):
            raise ReadOnlyError("refused: only reads are profiled")
        _, _, summary = self._run("PROFILE " + query, params, neo4j.RoutingControl.READ)
        lines: list[str] = []

        def walk(op: Mapping[str, Any], depth: int) -> None:
            args = op.get("args") or {}
            detail = str(args.get("Details", ""))[:100]
            lines.append(f"{'    ' * depth}{str(op.get('operatorType', '')).split('@')[0]}"
                         f"{' | ' + detail if detail else ''} | Records produced: {op.get('rows', args.get('Rows', '?'))}, "
                         f"db hits: {op.get('dbHits', args.get('DbHits', '?'))}")
            for child in op.get("children") or []:
                walk(child, depth + 1)

        walk(summary.profile or {}, 0)
        return lines

    def read(self, query: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> list[Row]:
        # READ routing alone does not stop a write on a single server: check the plan first.
        # The query type depends on the text alone, not on parameter values, so a text found
        # to be a read is remembered: a canned question costs one round trip, not two.
        if query not in self._known_reads and not self.explain_is_read(query, params):
            raise ReadOnlyError("refused: the statement would write, or act outside the graph "
                                "(Neo4j plans it as a write, LOAD CSV or TERMINATE TRANSACTIONS)")
        if len(self._known_reads) < 1024:
            self._known_reads.add(query)
        rows, _, _ = self._run(query, params, neo4j.RoutingControl.READ, timeout)
        return rows

    def read_capped(self, query: str, params: Mapping[str, Any] | None = None, *, cap: int,
                    timeout: float | None = None) -> tuple[list[Row], bool]:
        """Streams: at most ``cap + 1`` records are fetched, the rest discarded on the server."""
        if query not in self._known_reads and not self.explain_is_read(query, params):
            raise ReadOnlyError("refused: the statement would write, or act outside the graph "
                                "(Neo4j plans it as a write, LOAD CSV or TERMINATE TRANSACTIONS)")
        rows, _, _ = self._run(query, params, neo4j.RoutingControl.READ, timeout, cap=cap + 1)
        return rows[:cap], len(rows) > cap

    def notices(self, query: str, params: Mapping[str, Any] | None = None) -> list[str]:
        """Neo4j's notifications about ``query`` (planning it with EXPLAIN, in a session that asks
        for them: the driver is set to none, as they are noise for the canned questions)."""
        try:
            with self.driver.session(database=self.database, notifications_min_severity="INFORMATION") as s:
                summary = s.run("EXPLAIN " + query, dict(params or {})).consume()
        except (nx.Neo4jError, nx.DriverError, ValueError, TypeError):
            return []  # the statement itself has already answered or failed: nothing to add
        out = []
        for n in summary.gql_status_objects:
            if not n.is_notification:
                continue
            where = f" (line {n.position.line}, column {n.position.column})" if n.position else ""
            severity = str(getattr(n.severity, "value", None) or n.raw_severity or "note").lower()
            out.append(f"{severity}{where}: {' '.join(n.status_description.split())}")
        return list(dict.fromkeys(out))

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> tuple[list[Row], Counters]:
        rows, counters, _ = self._run(query, params, neo4j.RoutingControl.WRITE)
        return rows, counters

    def ensure_schema(self, keys: Mapping[str, str], indexes: Iterable[tuple[str, str]]) -> None:
        for label, key in keys.items():
            self.write(cypher.create_unique(label, key, f"kb_{label.lower()}_{key}"))
        for label, prop in indexes:
            self.write(cypher.create_index(label, prop, f"kb_{label.lower()}_{prop}"))
        self.write(cypher.await_indexes(60))

    def bulk_unavailable(self) -> str | None:
        from . import neo4j_local

        if neo4j_local.local_server(self.uri) is None:
            return (f"no bulk import into {self.location}: neo4j-admin import needs the data directory of a "
                    "stopped server, which only a local Neo4j started by `kb neo4j start` gives; loaded with MERGE instead")
        return None

    def bulk_write(self, rows: GraphRows, progress: Progress | None = None,
                   on_phase: PhaseHook | None = None) -> Counters:
        """neo4j-admin import (the local server is stopped and started again); ``progress`` hears
        nothing (the tool reports no progress this reads)."""
        from .neo4j_bulk import neo4j_bulk

        reason = self.bulk_unavailable()
        if reason:
            raise BackendError(reason)
        self.ensure_empty()
        return neo4j_bulk(self, rows, on_phase)

    def write_autocommit(self, query: str, params: Mapping[str, Any] | None = None) -> None:
        """In an implicit (auto-commit) transaction, as ``CALL {} IN TRANSACTIONS`` needs."""
        try:
            with self.driver.session(database=self.database) as s:
                s.run(query, dict(params or {})).consume()
        except nx.Neo4jError as exc:
            raise BackendError(f"Neo4j: {exc.message or exc}") from exc
        except nx.DriverError as exc:
            raise BackendError(f"Neo4j connection: {_one_line(exc)}") from exc

    def load_csv_dir(self) -> Path | None:
        """<data dir>/import of a local Neo4j started by `kb.engines.neo4j_local` (the launcher leaves
        ``server.directories.import`` at its default, NEO4J_HOME/import)."""
        from . import neo4j_local

        state = neo4j_local.local_server(self.uri)
        return Path(state["data_dir"]) / "import" if state else None

    def load_csv_files(self, rows: GraphRows, folder: Path, batch: int,
                       absolute: bool = True) -> list[tuple[str, str]]:
        from .neo4j_bulk import write_load_csv_files

        return write_load_csv_files(rows, folder, batch, absolute)

    def server_pid(self) -> int | None:
        from . import neo4j_local

        state = neo4j_local.local_server(self.uri)
        pid = state.get("pid") if state else None
        return int(pid) if pid else None

    def close(self) -> None:
        self.driver.close()
