"""A real Neo4j 5.26 server started by kb.engines.neo4j_local, driven with the neo4j driver."""

from __future__ import annotations

import os
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from kb.engines import neo4j_local
from kb.engines.base import free_port

pytestmark = [pytest.mark.neo4j_local, pytest.mark.slow]




def _listeners(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, _, state = line.split()[1:4]
            addr, hexport = local.split(":")
            if state == "0A" and int(hexport, 16) == port:
                found.add(addr)
    return found


LOOPBACK = {
    "0100007F",  # 127.0.0.1
    "0000000000000000FFFF00000100007F",  # ::ffff:127.0.0.1
    "00000000000000000000000001000000",  # ::1
}


@pytest.fixture(scope="module")
def installed() -> None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java")
    if not neo4j_local.is_installed() and shutil.which("mvn") is None:
        pytest.skip("Neo4j jars not built and no Maven to build them")
    neo4j_local.install()


def test_start_query_status_stop(installed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from neo4j import GraphDatabase

    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    port, http_port = free_port(), free_port()
    data = tmp_path / "data"

    t0 = time.monotonic()
    uri = neo4j_local.start(port=port, http_port=http_port, data_dir=data)
    startup = time.monotonic() - t0
    pid = None
    try:
        assert uri == f"bolt://127.0.0.1:{port}"
        assert startup < 120

        with GraphDatabase.driver(uri) as driver:
            assert driver.execute_query("RETURN 1 AS x").records[0]["x"] == 1
            assert driver.execute_query("CREATE (n:T {x: 1}) RETURN n.x AS x").records[0]["x"] == 1

        st = neo4j_local.status(port)
        pid = st["pid"]
        assert st["running"] is True
        assert st["uri"] == uri
        assert st["version"].startswith("5.26"), st
        assert Path(st["data_dir"]) == data.resolve()
        assert (data / "logs" / "neo4j.log").is_file()

        # Already running: the same server, not a second one.
        assert neo4j_local.start(port=port, http_port=http_port, data_dir=data) == uri
        assert neo4j_local.status(port)["pid"] == pid

        if Path("/proc/net/tcp").exists():
            assert _listeners(port) and _listeners(port) <= LOOPBACK, _listeners(port)
            assert _listeners(http_port) and _listeners(http_port) <= LOOPBACK, _listeners(http_port)

        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/browser/", timeout=60) as resp:
            assert resp.status == 200
            assert b"Neo4j Browser" in resp.read()
    finally:
        stopped = neo4j_local.stop(port)

    assert stopped is True
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert neo4j_local.status(port)["running"] is False
    assert neo4j_local.stop(port) is False


def test_errors_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_HOME", str(tmp_path / "home"))
    with pytest.raises(neo4j_local.Neo4jLocalError, match="at least 8"):
        neo4j_local.start(port=free_port(), password="short")
    monkeypatch.setattr(neo4j_local, "NEO4J_DIR", tmp_path / "nowhere")
    with pytest.raises(neo4j_local.Neo4jLocalError, match="kb neo4j install"):
        neo4j_local.start(port=free_port())
