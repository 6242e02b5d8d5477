"""The backend interface: the one thing loaders and queries talk to.

Both engines run the same Cypher text. What differs — how constraints are made,
how values come back, how a read is kept a read — lives in each backend class.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.errors import BackendError, NotEmptyError

from . import cypher

if TYPE_CHECKING:
    from .graph import GraphRows

Row = dict[str, Any]
#: told of a load's progress: (label or type just written, rows done, rows in all)
Progress = Callable[[str, int, int], None]
#: told of each phase of a bulk write as it ends: (phase name, seconds); the benchmark times
#: the loader's own phases through it
PhaseHook = Callable[[str, float], None]


@contextlib.contextmanager
def timed(on_phase: PhaseHook | None, name: str) -> Iterator[None]:
    """Tell ``on_phase`` how long the ``with`` block took, as phase ``name`` (when it ends normally)."""
    t0 = time.perf_counter()
    yield
    if on_phase is not None:
        on_phase(name, time.perf_counter() - t0)


@dataclass
class Counters:
    """What a write changed, as both engines report it."""

    nodes_created: int = 0
    nodes_deleted: int = 0
    relationships_created: int = 0
    relationships_deleted: int = 0
    properties_set: int = 0
    labels_added: int = 0

    def __iadd__(self, other: Counters) -> Counters:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        return self

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: value types that need no conversion (most values of an answer: checked first, by exact type)
SCALARS = (str, int, float, bool)


def plain(value: Any) -> Any:
    """Convert engine values to plain Python: dates become ISO strings."""
    if value is None or type(value) in SCALARS:
        return value
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class Backend(ABC):
    """A graph engine holding one knowledge base (one graph / one database)."""

    #: short engine name: "falkordb" or "neo4j"
    engine: str
    #: where it is, for people (never holds a password)
    location: str

    @abstractmethod
    def version(self) -> str:
        """The engine's version string."""

    @abstractmethod
    def read(self, query: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> list[Row]:
        """Run a statement that only reads; refuse it if it would write. ``timeout``: seconds
        the engine lets it run before stopping it (a `BackendError`)."""

    def read_capped(self, query: str, params: Mapping[str, Any] | None = None, *, cap: int,
                    timeout: float | None = None) -> tuple[list[Row], bool]:
        """As `read`, keeping at most ``cap`` rows: (rows, whether more were left unread). Engines
        that stream stop reading at the cap (desk helper: the Cypher box and MCP ``cypher_read``)."""
        rows = self.read(query, params, timeout=timeout)
        return rows[:cap], len(rows) > cap

    @abstractmethod
    def write(self, query: str, params: Mapping[str, Any] | None = None) -> tuple[list[Row], Counters]:
        """Run a statement that may write, in one transaction."""

    def notices(self, query: str, params: Mapping[str, Any] | None = None) -> list[str]:
        """What the engine has to say about a statement (an unknown label, a deprecated
        feature), one line each; engines that say nothing return []."""
        return []

    def write_batches(
        self, query: str, rows: Sequence[Mapping[str, Any]], batch_size: int = 2000, **params: Any
    ) -> Counters:
        """Run ``query`` once per batch of ``rows`` passed as ``$rows`` (``UNWIND $rows AS row``)."""
        total = Counters()
        for start in range(0, len(rows), batch_size):
            _, c = self.write(query, {**params, "rows": list(rows[start : start + batch_size])})
            total += c
        return total

    @abstractmethod
    def ensure_schema(self, keys: Mapping[str, str], indexes: Iterable[tuple[str, str]]) -> None:
        """Create a uniqueness constraint per (label, key) and the extra indexes, if absent."""

    @abstractmethod
    def explain_is_read(self, query: str, params: Mapping[str, Any] | None = None) -> bool:
        """Whether the engine plans ``query`` as read-only (without running it)."""

    @abstractmethod
    def profile(self, query: str, params: Mapping[str, Any] | None = None) -> list[str]:
        """Run a read and return the engine's profile of it, one line per plan operator."""

    def clear(self) -> None:
        """Delete every node and relationship of this knowledge base (schema stays),
        in bounded transactions so a large graph does not need one huge one."""
        # relationships first, then the nodes: a DETACH DELETE of 20,000 nodes that include a
        # few high-degree ones (a country with 100,000 trade flows) took one transaction past
        # Neo4j's 1.2 GiB transaction memory on a 1M-relationship graph
        for statement in (cypher.delete_some_relationships(50_000), cypher.delete_some_nodes(20_000)):
            while True:
                rows, _ = self.write(statement)
                if not rows or not rows[0]["n"]:
                    break

    def drop(self) -> None:
        """Empty the store the fastest way the engine has (FalkorDB deletes the whole graph, schema
        included; elsewhere `clear`). `ensure_schema` makes the schema again."""
        self.clear()

    def is_empty(self) -> bool:
        """Whether the store holds no node at all (one cheap read)."""
        return not self.read(cypher.any_node())

    def ensure_empty(self) -> None:
        """Raise `NotEmptyError` unless the store holds no node (a bulk write needs an empty one)."""
        if not self.is_empty():
            raise NotEmptyError(
                f"refused: a bulk load needs an empty store and {self.location} holds nodes "
                "(run `kb load` without --bulk to merge, or `kb clear` first)")

    # -- what only some engines can do: each says so, or does nothing, where it cannot

    def bulk_unavailable(self) -> str | None:
        """Why `bulk_write` cannot be used here (a load then merges), or None when it can."""
        return f"no bulk import into {self.location}: this engine has no bulk path; loaded with MERGE instead"

    def bulk_write(self, rows: GraphRows, progress: Progress | None = None,
                   on_phase: PhaseHook | None = None) -> Counters:
        """Write ``rows`` into this EMPTY store with the engine's own importer, then the schema
        (`NotEmptyError` when it holds nodes; `BackendError` naming `bulk_unavailable`'s reason
        where there is no bulk path). ``on_phase`` hears each phase's seconds."""
        raise BackendError(self.bulk_unavailable() or "no bulk path")

    def reconnect(self) -> None:  # noqa: B027 - a no-op where connections need no renewal
        """Open new connections (after the server was restarted under this client)."""

    def wait_for_replica(self) -> None:  # noqa: B027 - a no-op without a replica
        """Return once a replica that serves the reads has every write made so far (no replica: at once)."""

    def write_autocommit(self, query: str, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement that manages its own transactions (``CALL {} IN TRANSACTIONS``): where the
        engine knows no such thing, as `write`."""
        self.write(query, params)

    def load_csv_dir(self) -> Path | None:
        """The folder on this machine that the engine's ``LOAD CSV`` reads ``file:///`` URLs from,
        when it is known (a local server), else None."""
        return None

    def load_csv_files(self, rows: GraphRows, folder: Path, batch: int,
                       absolute: bool = True) -> list[tuple[str, str]]:
        """Write ``rows`` as CSV files into ``folder`` (the engine's `load_csv_dir`) and return
        (file name, LOAD CSV statement) pairs in load order, for the benchmark's comparison
        (``absolute``: ``file:///`` URLs by full path, else relative to the import folder).
        `BackendError` where the engine's LOAD CSV is not measured."""
        raise BackendError(f"no LOAD CSV comparison for {self.location}")

    def server_pid(self) -> int | None:
        """The process id of the engine's server when it runs on this machine (else None)."""
        return None

    @abstractmethod
    def close(self) -> None:
        """Release connections (and, for the embedded engine, this client's hold on the server)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (for local servers and tests)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])
