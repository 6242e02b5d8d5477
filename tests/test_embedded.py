"""The embedded FalkorDB server: owner-only socket, persistence, sharing, no orphans."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import kb
from kb.engines import embedded
from kb.engines.falkor import FalkorBackend
from tests.engines import process_alive as _alive

IDLE = 1.0
#: how long a process may take to go before the test calls it a hang (generous: the machine may be busy)
HANG = 120.0


@pytest.fixture
def home(tmp_path, monkeypatch) -> Iterator[Path]:
    monkeypatch.setenv("KB_IDLE_TIMEOUT", str(IDLE))
    h = tmp_path / "home"
    yield h
    embedded.stop_server(h)


def _pids(home: Path) -> tuple[int, int] | None:
    st = embedded.server_status(home)
    return (st["keeper"], st["server"]) if "server" in st else None


def _running(home: Path) -> tuple[int, int]:
    """The (keeper, server) pids of the server that must be running for ``home``."""
    pids = _pids(home)
    assert pids is not None, f"no embedded server running for {home}"
    return pids



def _wait_gone(pids: tuple[int, ...], timeout: float = HANG) -> None:
    """Return once every process in ``pids`` is gone; fail only after ``timeout`` (a real hang)."""
    deadline = time.monotonic() + timeout
    while any(_alive(p) for p in pids):
        if time.monotonic() > deadline:
            raise AssertionError(f"server processes {pids} still alive after {timeout} s")
        time.sleep(0.05)


@pytest.mark.slow
def test_socket_is_owner_only_and_there_is_no_tcp_port(home):
    with kb.connect(home=home, graph="g") as k:
        k.read("RETURN 1 AS x")
        sock = home / "falkordb.sock"
        assert stat.S_ISSOCK(sock.stat().st_mode)
        assert stat.S_IMODE(sock.stat().st_mode) & 0o077 == 0
        server_pid = _running(home)[1]
        listening = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
        assert f"pid={server_pid}," not in listening


@pytest.mark.slow
def test_data_survives_a_restart(home):
    with kb.connect(home=home, graph="g") as k:
        k.write("CREATE (:Keep {v: 42})")
        pids = _running(home)
    _wait_gone(pids)  # the idle timeout stops the server
    assert not (home / "falkordb.sock").exists()
    with kb.connect(home=home, graph="g") as k:
        assert _pids(home) != pids  # a new server, on the data the old one saved
        assert k.read("MATCH (n:Keep) RETURN n.v AS v") == [{"v": 42}]


CLIENT = textwrap.dedent("""
    import sys, kb
    k = kb.connect(home=sys.argv[1], graph="g")
    k.write("CREATE (:Committed {by: $p})", {"p": sys.argv[2]})
    print("ready", flush=True)
    sys.stdin.read()  # connected until killed (or until the test closes stdin)
""")


def _client(processes, home: Path, tag: str) -> subprocess.Popen:  # noqa: ANN001
    p = processes.start([sys.executable, "-c", CLIENT, str(home), tag], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_clients_leave_no_server_behind_and_lose_nothing(home, processes, sig):
    a = _client(processes, home, "a")
    b = _client(processes, home, "b")  # a second process shares the same server
    pids = _running(home)
    a.send_signal(sig)
    a.wait(HANG)  # a SIGINTed client runs its exit handlers first: it may take a while on a busy machine
    # the server must outlive its idle timeout while b is still connected (longer than IDLE is enough
    # to see it stop wrongly; a busy machine only makes the check stricter)
    time.sleep(IDLE * 2)
    assert all(_alive(p) for p in pids), "the server must stay while another client is connected"
    b.send_signal(sig)
    b.wait(HANG)
    _wait_gone(pids)  # the last client gone: the server stops after its idle timeout
    assert not (home / "falkordb.sock").exists()
    with kb.connect(home=home, graph="g") as k:
        rows = k.read("MATCH (n:Committed) RETURN n.by AS by ORDER BY by")
    assert rows == [{"by": "a"}, {"by": "b"}]


def test_a_killed_keeper_takes_its_server_down(home):
    k = kb.connect(home=home, graph="g")
    keeper, server = _running(home)
    os.kill(keeper, signal.SIGKILL)
    _wait_gone((server,))
    assert isinstance(k.backend, FalkorBackend)
    k.backend.db.connection.close()


@pytest.mark.slow
def test_concurrent_openers_share_one_server(home):
    code = "import sys, kb; k = kb.connect(home=sys.argv[1], graph='g'); from kb.engines import embedded; print(embedded.server_status(__import__('pathlib').Path(sys.argv[1]))['server']); k.close()"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(home)], stdout=subprocess.PIPE, text=True) for _ in range(4)]
    pids = {p.communicate(timeout=HANG)[0].strip() for p in procs}
    assert len(pids) == 1, pids


def test_the_admin_client_sends_shutdown_once(tmp_path):
    """SHUTDOWN always ends the connection, which redis-py's default client takes for a failure and
    retries with backoff (4 s added to every stop). The admin client connects once: counted on a
    socket that accepts and closes each connection (each close follows its count, and the client
    sees the close before it returns, so the count is complete when it does)."""
    import socket
    import threading

    sock = tmp_path / "s.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(sock))
    listener.listen(16)
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            accepted.append(1)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        embedded._redis(sock).shutdown()
    finally:
        listener.close()
    assert len(accepted) == 1
