"""Backends: one interface (`Backend`), two engines (FalkorDB, Neo4j).

`open_backend` reads a URI and returns the right one:

* no URI          -> the embedded FalkorDB server owned by ``KB_HOME``
* ``falkordb://host:port`` -> a FalkorDB server elsewhere; ``?replica=host:port`` sends reads
  (GRAPH.RO_QUERY) to a replica of it, writes to it (each write waits for the replica)
* ``bolt://``, ``neo4j://`` (and ``+s``) -> Neo4j 5 through the official driver
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from kb.config import FALKOR_SCHEMES, NEO4J_SCHEMES, Settings, mask
from kb.errors import BackendError, ConfigError

from .base import Backend, Counters, PhaseHook, Progress, Row
from .graph import GraphRows

__all__ = ["Backend", "Counters", "GraphRows", "PhaseHook", "Progress", "Row", "open_backend"]


def open_backend(settings: Settings) -> Backend:
    scheme = settings.scheme
    if scheme == "embedded":
        from kb.engines import embedded

        from .falkor import FalkorBackend

        db = embedded.open_server(settings.home)
        return FalkorBackend(db, settings.graph, f"embedded FalkorDB in {settings.home}", home=settings.home)
    if scheme in NEO4J_SCHEMES:
        from .neo4j import Neo4jBackend

        return Neo4jBackend(settings.uri or "", settings.user, settings.password, settings.database)
    if scheme in FALKOR_SCHEMES:
        from falkordb import FalkorDB

        from .falkor import FalkorBackend

        u = urlparse(settings.uri)
        try:
            if scheme == "falkordb+unix":  # falkordb+unix:///path/to/falkordb.sock
                if not u.path:
                    raise ConfigError(f"{mask(settings.uri or '')}: name the socket, e.g. falkordb+unix:///tmp/falkordb.sock")
                db = FalkorDB(unix_socket_path=u.path, password=u.password or settings.password)
                db.connection.ping()
            else:
                db = FalkorDB(host=u.hostname or "localhost", port=u.port or 6379,
                              username=u.username, password=u.password or settings.password)
            replica = None
            for where in parse_qs(str(u.query)).get("replica", []):
                r = urlparse(f"//{where}")
                if not r.hostname:
                    raise ConfigError(f"{mask(settings.uri or '')}: name the replica as host:port, e.g. ?replica=10.0.0.2:6379")
                replica = FalkorDB(host=r.hostname, port=r.port or 6379,
                                   username=u.username, password=u.password or settings.password)
                replica.connection.ping()
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"cannot reach FalkorDB at {mask(settings.uri or '')}: {exc}") from exc
        return FalkorBackend(db, settings.graph, mask(settings.uri or ""), replica=replica)
    known = ", ".join(f"{s}://" for s in (*NEO4J_SCHEMES, "falkordb"))
    raise ConfigError(f"unknown URI scheme in {mask(settings.uri or '')!r} (use {known}, or no URI for the embedded engine)")
