"""Faults, injected for real: servers killed in the middle of a load, a client killed in
the middle of a load, connections dropped in the middle of a statement, and eight
readers racing a load. After each, what was committed is there and a load run again
converges to exactly the graph a clean load gives (the `kb stats` checksum).

Faults injected:

* SIGKILL of the embedded redis-server mid-load (20,000 production rows), reconnect at once, load again;
* SIGKILL of a local Neo4j's JVM mid-load, restart on the same data dir, load again;
* SIGKILL of the Python process running a load; its server must stop on its own (idle timeout);
* a connection cut mid-statement (FalkorDB: CLIENT KILL; Neo4j: a TCP proxy that drops every socket):
  reads are retried, a FalkorDB write is reported in one line and never run twice;
* eight reader threads, each with its own connection, asking a question during a load.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import kb
from kb.bench.generate import synthetic_production as generate
from kb.engines import embedded
from kb.engines.base import free_port
from kb.errors import BackendError
from kb.queries.api import SearchRow
from tests.engines import HANG, Engine, stop_process, summary, wait_finished, wait_running
from tests.engines import process_alive as _alive

pytestmark = pytest.mark.slow  # faults, restarts and second servers: minutes of work

N_LARGE = 20_000  # production rows: a largish load for the embedded engine
N_SMALL = 5_000  # Neo4j loads about ten times slower: its tests use fewer rows


#: what each fault did, shown in the terminal summary
FAULTS: list[str] = summary("faults injected")




def _wait_gone(pids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            raise AssertionError(f"processes {[p for p in pids if _alive(p)]} still alive after {timeout} s")
        time.sleep(0.05)


def _servers_for(home: Path) -> list[int]:
    """Every live redis-server serving ``home``'s socket (there must never be two)."""
    sock = str(embedded.paths(home)["socket"]).encode()
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                if b"redis-server" in (proc / "cmdline").read_bytes() and sock in (proc / "cmdline").read_bytes() \
                        and _alive(int(proc.name)):
                    out.append(int(proc.name))
    return out


def _count(k: kb.KB, label: str) -> int:
    return k.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]


@dataclass
class Dataset:
    folder: Path
    rows: int
    checksum: str  # of a clean load into an empty graph
    stats: dict


@pytest.fixture(scope="module")
def fault_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An embedded KB_HOME of this module's own, so killing its server disturbs no other test."""
    home = tmp_path_factory.mktemp("faults") / "home"
    yield home
    embedded.stop_server(home)


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory, fault_home: Path) -> dict[int, Dataset]:
    """The generated data sets and the checksum a clean load of each gives."""
    out = {}
    for n in (N_LARGE, N_SMALL):
        folder = generate(tmp_path_factory.mktemp(f"gen{n}"), n)
        with kb.connect(home=fault_home, graph=f"clean{n}") as k:
            k.clear()
            k.load([folder])
            stats = k.stats()
        assert stats["nodes"]["Production"] == n
        out[n] = Dataset(folder, n, stats["checksum"], stats)
    return out


# --------------------------------------------------------------------------- embedded server killed


def test_embedded_server_killed_mid_load_converges(fault_home, datasets):
    data = datasets[N_LARGE]
    k = kb.connect(home=fault_home, graph="crash")
    k.clear()
    st = embedded.server_status(fault_home)
    keeper, server = st["keeper"], st["server"]
    seen: list[str] = []

    def kill_while_merging_production() -> None:
        wait_running(Engine("embedded", None, {"home": str(fault_home)}), ":`Production`")  # the MERGE of Production nodes
        os.kill(server, signal.SIGKILL)

    def progress(what: str, done: int, total: int) -> None:
        seen.append(what)
        if len(seen) == 1:  # Country nodes are in: kill the server while Production is being merged
            threading.Thread(target=kill_while_merging_production, daemon=True).start()

    with pytest.raises(BackendError, match="connection lost during a write") as exc:
        k.load([data.folder], progress=progress)
    assert len(str(exc.value).splitlines()) == 1
    k.close()

    # reconnect at once: a new server starts; the dead one's keeper must neither linger nor
    # take the new server's socket away
    with kb.connect(home=fault_home, graph="crash") as k:
        _wait_gone([keeper, server], HANG)
        time.sleep(0.5)
        assert len(_servers_for(fault_home)) == 1
        rels = k.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"]
        assert rels < data.stats["relationship_count"], "the kill was meant to land mid-load"
        assert _count(k, "Country") == data.stats["nodes"]["Country"], "committed before the kill"
        production = _count(k, "Production")
        k.load([data.folder])
        assert k.stats()["checksum"] == data.checksum
    assert embedded.server_status(fault_home)["running"]
    assert len(_servers_for(fault_home)) == 1
    FAULTS.append(f"embedded redis-server SIGKILLed mid-load ({data.rows} rows): after the restart {production} "
                  f"Production nodes and {rels} relationships were there; the reload converged to the clean checksum")


# --------------------------------------------------------------------------- Neo4j killed


@dataclass
class LocalNeo4j:
    """A Neo4j of the tests' own (auth on), for killing and for looking at what it exposes."""

    port: int
    http_port: int
    data_dir: Path
    home: Path
    password: str
    uri: str = ""

    def _env(self) -> contextlib.AbstractContextManager[None]:
        from kb.engines import neo4j_local

        return neo4j_local.state_home(self.home)  # where neo4j_local keeps its state file

    def start(self) -> str:
        from kb.engines import neo4j_local

        with self._env():
            self.uri = neo4j_local.start(port=self.port, http_port=self.http_port, data_dir=self.data_dir,
                                         password=self.password, timeout=180)
        return self.uri

    def pid(self) -> int:
        from kb.engines import neo4j_local

        with self._env():
            return int(neo4j_local.status(self.port, password=self.password)["pid"])

    def stop(self) -> None:
        from kb.engines import neo4j_local

        with self._env():
            neo4j_local.stop(port=self.port)

    def connect(self) -> kb.KB:
        return kb.connect(self.uri, user="neo4j", password=self.password)




_SHARED: dict[str, LocalNeo4j] = {}


@pytest.fixture(scope="session")
def local_neo4j() -> Iterator[LocalNeo4j]:
    """A separate local Neo4j (Java + Maven), with a password, started for these tests;
    one for the session, also when tests/test_secrets.py asks for it."""
    import shutil

    from kb.engines import neo4j_local

    if "server" in _SHARED:
        yield _SHARED["server"]
        return
    if not shutil.which("java"):
        if os.environ.get("CI") == "true":
            pytest.fail("no Java: cannot start a local Neo4j under CI=true")
        pytest.skip("no Java: cannot start a local Neo4j")
    tmp = Path(tempfile.mkdtemp(prefix="kb-faults-neo4j-"))
    server = LocalNeo4j(free_port(), free_port(), tmp / "data", tmp / "home", "kb-pw-" + secrets.token_hex(8))
    try:
        neo4j_local.install(quiet=True)
        server.start()
    except Exception as exc:  # noqa: BLE001
        if os.environ.get("CI") == "true":
            pytest.fail(f"could not start a local Neo4j: {exc}")
        pytest.skip(f"could not start a local Neo4j: {exc}")
    _SHARED["server"] = server
    yield server
    _SHARED.pop("server", None)
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def test_neo4j_killed_mid_load_converges(local_neo4j, datasets):
    data = datasets[N_SMALL]  # the checksum of a clean load on FalkorDB: equal graphs, equal checksums
    with local_neo4j.connect() as k:
        k.clear()
    pid = local_neo4j.pid()
    seen: list[str] = []
    at_kill: list[int] = []
    restarted = threading.Event()

    def kill_and_restart() -> None:
        at_kill.append(len(seen))
        os.kill(pid, signal.SIGKILL)
        _wait_gone([pid], HANG)
        try:
            local_neo4j.start()  # the same port and data directory
        finally:
            restarted.set()

    def kill_and_restart_while_merging_production() -> None:
        wait_running(Engine("neo4j", local_neo4j.uri, {"user": "neo4j", "password": local_neo4j.password}),
                     ":`Production`")
        kill_and_restart()

    killer = threading.Thread(target=kill_and_restart_while_merging_production, daemon=True)

    def progress(what: str, done: int, total: int) -> None:
        seen.append(what)
        if len(seen) == 1:
            killer.start()

    k = local_neo4j.connect()
    try:
        k.load([data.folder], progress=progress)
        outcome = "the driver retried through the restart and the load finished"
    except BackendError as exc:
        outcome = f"the load failed: {exc}"
        assert len(str(exc).splitlines()) == 1
    finally:
        restarted.wait(240)
        k.close()
    assert at_kill and at_kill[0] < 4, f"the kill was meant to land mid-load ({outcome}; steps {seen})"
    assert local_neo4j.pid() != pid
    with local_neo4j.connect() as k:
        production = _count(k, "Production")
        k.load([data.folder])
        assert k.stats()["checksum"] == data.checksum, outcome
    FAULTS.append(f"Neo4j JVM SIGKILLed mid-load ({data.rows} rows) after step {at_kill[0]} of the load, restarted on "
                  f"its data dir: {outcome}; {production} Production nodes after the restart; the reload converged")


# --------------------------------------------------------------------------- client killed


CHILD = textwrap.dedent("""
    import sys, kb
    k = kb.connect(home=sys.argv[1], graph="child")
    k.load([sys.argv[2]], progress=lambda what, done, total: print(what, done, total, flush=True))
    print("finished", flush=True)
""")


def test_killed_client_mid_load_loses_nothing_committed_and_leaves_no_server(tmp_path, datasets):
    data = datasets[N_SMALL]
    home = tmp_path / "home"
    env = {**os.environ, "KB_IDLE_TIMEOUT": "1"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(home), str(data.folder)],
                             stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    try:
        first = child.stdout.readline().split()
        assert first and first[0] == "Country", first  # the Country nodes are committed
        time.sleep(0.1)
        child.send_signal(signal.SIGKILL)
        child.wait(HANG)
    finally:
        stop_process(child)
    assert "finished" not in child.stdout.read()
    st = embedded.server_status(home)
    pids = [st["keeper"], st["server"]]
    _wait_gone(pids, HANG)  # after the idle timeout (1 s); only a real hang fails
    assert not _servers_for(home), "an orphan server is left"
    try:
        with kb.connect(home=home, graph="child") as k:
            assert _count(k, "Country") == int(first[1])  # committed before the kill: still there
            production = _count(k, "Production")
            k.load([data.folder])
            assert k.stats()["checksum"] == data.checksum
        FAULTS.append(f"loading Python process SIGKILLed: its server stopped on its own; {first[1]} Country and "
                      f"{production} Production nodes committed before the kill survived; the reload converged")
    finally:
        embedded.stop_server(home)


# --------------------------------------------------------------------------- connection lost mid-statement

# the variable names mark each statement, so the test sees it running on the server before cutting
LONG_READ = "UNWIND range(1, $n) AS lost_read_i WITH lost_read_i WHERE lost_read_i % 7 = 0 RETURN count(lost_read_i) AS n"
LONG_WRITE = ("UNWIND range(1, 20000) AS i CREATE (:Lost {i: i}) WITH count(*) AS c "
              "UNWIND range(1, $n) AS lost_write_j WITH c, lost_write_j WHERE lost_write_j % 7 = 0 "
              "RETURN c, count(lost_write_j) AS n")


def _unread(sock: socket.socket) -> int:
    """Bytes written to a unix socket that its peer has not read yet (SIOCOUTQ)."""
    import fcntl
    import struct
    import termios

    try:
        return int(struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0])
    except OSError:
        return 0


class DroppingProxy:
    """A TCP proxy in front of a server (Neo4j's Bolt port, the embedded FalkorDB's unix
    socket) that can cut every connection at once, whatever is running on it."""

    def __init__(self, target: int | Path):
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        self.dropped = 0
        self.markers: dict[bytes, threading.Event] = {}
        self.ups: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if isinstance(self.target, Path):
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.connect(str(self.target))
            else:
                upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.socks += [client, upstream]
                self.ups.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def sent(self, marker: str) -> threading.Event:
        """Set once bytes containing ``marker`` went upstream."""
        with self.lock:
            return self.markers.setdefault(marker.encode(), threading.Event())

    def upstreams(self) -> list[socket.socket]:
        with self.lock:
            return list(self.ups)

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        tail = b""
        try:
            while data := a.recv(65536):
                b.sendall(data)
                seen, tail = tail + data, (tail + data)[-64:]
                with self.lock:
                    for m, ev in self.markers.items():
                        if b in self.ups and m in seen:
                            ev.set()
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def drop_when_running(self, engine: Engine, marker: str) -> threading.Thread:
        """In a thread: cut every connection once the server runs a statement containing ``marker``
        (Neo4j: SHOW TRANSACTIONS lists it; FalkorDB: GRAPH.INFO lists a running read, but a write
        holds the server until it is done, so there: once the server has read the whole statement
        from the proxy's socket)."""
        def cut() -> None:
            if isinstance(self.target, Path) and "write" in marker:
                assert self.sent(marker).wait(HANG), f"{marker} never went through the proxy"
                deadline = time.monotonic() + HANG
                while any(_unread(s) for s in self.upstreams()):
                    assert time.monotonic() < deadline, "the server never read the statement"
                    time.sleep(0.01)
            else:
                wait_running(engine, marker)
            self.drop_all()

        t = threading.Thread(target=cut, daemon=True)
        t.start()
        return t

    def drop_all(self) -> None:
        with self.lock:
            for s in self.socks:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.dropped += len(self.socks) // 2
            self.socks.clear()
            self.ups.clear()

    def close(self) -> None:
        self.server.close()
        self.drop_all()


def test_a_lost_connection_is_retried_for_reads_and_reported_for_writes(engine, empty_kb):
    n = 8_000_000 if engine.name == "embedded" else 30_000_000  # seconds of work on each: time to see it run
    if engine.name == "embedded":
        proxy = DroppingProxy(embedded.paths(Path(engine.options["home"]))["socket"])
        k = kb.connect(f"falkordb://127.0.0.1:{proxy.port}", graph=engine.options["graph"])
    else:
        proxy = DroppingProxy(int(engine.uri.rsplit(":", 1)[1]))
        k = kb.connect(f"bolt://127.0.0.1:{proxy.port}", **engine.options)
    try:
        # a read is safe to run again: it is retried and answers in full
        cutter = proxy.drop_when_running(engine, "lost_read_i")
        assert k.read(LONG_READ, {"n": n}) == [{"n": n // 7}]
        cutter.join(HANG)
        assert proxy.dropped > 0, "the cut was meant to land mid-read"

        dropped = proxy.dropped
        cutter = proxy.drop_when_running(engine, "lost_write_j")
        try:
            rows = k.write(LONG_WRITE, {"n": n})
            # Neo4j: the managed transaction was rolled back with the connection and run again
            assert engine.name == "neo4j" and rows == [{"c": 20000, "n": n // 7}]
        except BackendError as exc:
            # FalkorDB: not retried (it may have been applied), said in one clear line
            assert engine.name == "embedded", exc
            assert "connection lost during a write (it may or may not have been applied)" in str(exc)
            assert len(str(exc).splitlines()) == 1
        cutter.join(HANG)
        assert proxy.dropped > dropped, "the cut was meant to land mid-write"
        wait_finished(engine, "lost_write_j")
        with kb.connect(engine.uri, **engine.options) as direct:
            lost = _count(direct, "Lost")
        if engine.name == "neo4j":
            assert lost == 20000  # rolled back with the connection, run again: applied once
            outcome = "was retried (managed transaction) and applied once"
        else:
            # FalkorDB finishes a write it has started and drops one whose client left before a
            # thread took it: all or nothing, and never twice (it is not retried)
            assert lost in (0, 20000), lost
            outcome = "was reported in one line, not retried, " + ("applied once" if lost else "not applied")
        FAULTS.append(f"{engine.name}: {proxy.dropped} connections cut mid-statement; the read was retried and "
                      f"answered in full; the write {outcome}")
    finally:
        k.close()
        proxy.close()


# --------------------------------------------------------------------------- readers during a load


def test_eight_readers_during_a_load_see_before_or_after(engine, empty_kb, datasets, tmp_path):
    data = datasets[N_SMALL]
    new = tmp_path / "new"
    new.mkdir()
    for f in data.folder.iterdir():
        (new / f.name).write_bytes(f.read_bytes())
    # written after the Production nodes (labels load in order), in one statement: atomic
    techs = [{"id": f"zyx-{i}", "name": f"Zyxquartz {i:02d}", "sources": ["synthetic"]} for i in range(30)]
    import yaml

    (new / "technologies.yaml").write_text(yaml.safe_dump({"technologies": techs}))
    empty_kb.load([data.folder / "sources.yaml"])

    def answer(k: kb.KB) -> tuple:
        return tuple((r.name, r.key) for r in k.ask("search", {"text": "zyxquartz", "limit": 100}, SearchRow))

    before = answer(empty_kb)
    after_expected = tuple(sorted((t["name"], t["id"]) for t in techs))
    assert before == ()
    stop = threading.Event()
    loading = threading.Event()
    answers: list[tuple[bool, tuple]] = []
    errors: list[BaseException] = []
    ready = threading.Barrier(9, timeout=120)

    def reader() -> None:
        try:
            with kb.connect(engine.uri, **engine.options) as k:
                answers.append((loading.is_set(), answer(k)))
                ready.wait()
                while not stop.is_set():
                    answers.append((loading.is_set(), answer(k)))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            with contextlib.suppress(threading.BrokenBarrierError):
                ready.abort()

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    ready.wait()
    loading.set()
    try:
        empty_kb.load([new])
    finally:
        loading.clear()
        time.sleep(0.3)
        stop.set()
        for t in threads:
            t.join(60)
    assert not errors, errors[:3]
    during = [a for busy, a in answers if busy]
    assert during, "no reader ran during the load"
    assert {a for _, a in answers} <= {before, after_expected}
    assert answer(empty_kb) == after_expected
    seen = {"before" if a == before else "after" for a in during}
    FAULTS.append(f"{engine.name}: 8 readers asked {len(answers)} times ({len(during)} during the load, seeing "
                  f"{' and '.join(sorted(seen))}): no errors, every answer the state before or after")
