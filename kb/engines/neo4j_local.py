"""Run a local Neo4j 5.26 Community server without Docker.

The server is the real Neo4j (jars from Maven Central, built into ``neo4j/lib/`` by
``mvn -q -f neo4j/pom.xml package``) started by the small launcher ``kb.Neo4jLauncher``
in its own JVM, bound to 127.0.0.1 only.

One server per Bolt port. Its state file ``$KB_HOME/run/neo4j-<port>.json`` (the pidfile:
pid, data dir, URI) lets :func:`status` and :func:`stop` find it from the port alone.
Data and logs live in the data dir (default ``$KB_HOME/neo4j-<port>``): Neo4j's own logs
in ``<data>/logs/``, the JVM's stdout/stderr in ``<data>/logs/launcher.log``.

Auth is off unless a password is given (user ``neo4j``, at least 8 characters). The
password is handed to the JVM through the environment, not the command line. Functions
that connect take ``password=None`` and fall back to ``$KB_NEO4J_PASSWORD``, then
``$KB_PASSWORD`` / ``$NEO4J_PASSWORD`` (as kb.config does).

Importing this module has no side effects; the ``neo4j`` driver is imported when used.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from kb.engines.base import free_port
from kb.errors import KBError

__all__ = [
    "NEO4J_DIR",
    "Neo4jLocalError",
    "cypher_shell_command",
    "cypher_shell_installed",
    "install",
    "install_cypher_shell",
    "import_full",
    "local_server",
    "state_home",
    "is_installed",
    "start",
    "stop",
    "status",
]

HOST = "127.0.0.1"
LAUNCHER_CLASS = "kb.Neo4jLauncher"
LAUNCHER_JAR = "kb-neo4j-launcher.jar"
PASSWORD_ENV = "KB_NEO4J_PASSWORD"
DEFAULT_HEAP = "512m"

# Neo4j's own distribution passes these (conf/neo4j.conf server.jvm.additional); the
# --add-opens are what Neo4j 5 needs on Java 17/21. No -XX:+AlwaysPreTouch: it would make
# the whole heap resident at start. SerialGC: smallest footprint, fine for 2 cores / 512m.
JVM_FLAGS = (
    "-XX:+UseSerialGC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)


# The Maven project (pom.xml and the launcher's source) ships inside the package; the jars it
# fetches go to a folder of the user's (KB_NEO4J_DIR, else the platform's cache directory), so
# an installed wheel can run `kb neo4j install` as well as a checkout.
MAVEN_PROJECT = Path(__file__).resolve().parent / "neo4j_server"


def _neo4j_dir() -> Path:
    env = os.environ.get("KB_NEO4J_DIR")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("rare-earth-kb", appauthor=False)) / "neo4j-5.26"


NEO4J_DIR: Path = _neo4j_dir()


# Servers this process started, so they are reaped (and not reported as still running by
# Popen's destructor) when stopped from here. Servers started elsewhere are found by pid.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class Neo4jLocalError(KBError):
    """A local Neo4j server could not be installed, started, stopped or reached."""


# --------------------------------------------------------------------------- paths


def _lib_dir() -> Path:
    return NEO4J_DIR / "lib"


#: the folder of the state files when set by :func:`state_home` (this thread's, not the process's)
_STATE_HOME: ContextVar[Path | None] = ContextVar("neo4j_local_state_home", default=None)


@contextmanager
def state_home(home: str | os.PathLike[str]) -> Iterator[None]:
    """Keep the state files (and the default data dir) under ``home`` instead of ``$KB_HOME`` for
    the block, in this thread only: a program starting a server in a background thread while its
    other threads use another KB_HOME (the test harness does) cannot set the environment."""
    token = _STATE_HOME.set(Path(home).expanduser().resolve())
    try:
        yield
    finally:
        _STATE_HOME.reset(token)


def _kb_home() -> Path:
    chosen = _STATE_HOME.get()
    if chosen is not None:
        return chosen
    # Same rule as kb.config.kb_home(), repeated so this module stays standalone.
    env = os.environ.get("KB_HOME")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir

    return Path(user_data_dir("rare-earth-kb", appauthor=False))


def _state_file(port: int) -> Path:
    return _kb_home() / "run" / f"neo4j-{int(port)}.json"


def _default_data_dir(port: int) -> Path:
    return _kb_home() / f"neo4j-{int(port)}"


def _uri(port: int) -> str:
    return f"bolt://{HOST}:{int(port)}"


# --------------------------------------------------------------------------- install


def is_installed() -> bool:
    """Whether ``neo4j/lib/`` holds the launcher and the Neo4j jars."""
    lib = _lib_dir()
    return (lib / LAUNCHER_JAR).is_file() and any(lib.glob("neo4j-5.26.*.jar"))


def _maven_project() -> Path:
    """Copy the shipped Maven project into NEO4J_DIR (the jars land in its ``lib/``)."""
    src = MAVEN_PROJECT / "pom.xml"
    if not src.is_file():
        raise Neo4jLocalError(f"the package is incomplete: no {src}")
    NEO4J_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, NEO4J_DIR / "pom.xml")
    java_dst = NEO4J_DIR / "src" / "main" / "java" / "kb"
    java_dst.mkdir(parents=True, exist_ok=True)
    for f in (MAVEN_PROJECT / "src" / "main" / "java" / "kb").glob("*.java"):
        shutil.copyfile(f, java_dst / f.name)
    return NEO4J_DIR / "pom.xml"


def install(quiet: bool = True, force: bool = False) -> None:
    """Build ``neo4j/lib/`` with Maven unless it is already there (or ``force``).

    Then, unless ``KB_NEO4J_CDS=0``, make a class-data-sharing archive for this Java by one
    short training run of the server: later starts take about 2 s less (best effort: a
    failure there only costs the speed-up).
    """
    java, version = _java()  # fail early and clearly if Java is missing
    if force or not is_installed():
        _mvn_package(_maven_project(), quiet, is_installed)
    archive = _cds_archive(java, version)
    if _cds_enabled() and not archive.is_file() and not archive.with_suffix(".failed").is_file():
        if not quiet:
            print("Creating a class-data archive for faster Neo4j startup (one short training run)...")
        _train_cds(java, version)


def _mvn_package(pom: Path, quiet: bool, done: Any) -> None:
    """``mvn package`` on ``pom``; an error naming Maven's complaint unless ``done()`` after it."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise Neo4jLocalError("Maven (mvn) not found on PATH: install Maven 3.8+ and a JDK 17")
    cmd = [mvn, "-B", "-Dstyle.color=never", "-f", str(pom), "package"]
    if quiet:
        cmd.insert(1, "-q")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT, text=True)
    output = proc.stdout or ""
    if proc.returncode != 0 or not done():
        tail = " | ".join(_mvn_errors(output)[-6:])
        raise Neo4jLocalError(
            f"maven build failed (exit {proc.returncode}): {' '.join(cmd)}" + (f": {tail}" if tail else "")
        )


# --------------------------------------------------------------------------- cypher-shell

CYPHER_SHELL_MAIN = "org.neo4j.shell.Main"


def _cypher_shell_dir() -> Path:
    return NEO4J_DIR / "cypher-shell"


def cypher_shell_installed() -> bool:
    """Whether ``cypher-shell/lib/`` holds cypher-shell's jars."""
    return any((_cypher_shell_dir() / "lib").glob("cypher-shell-5.26.*.jar"))


def install_cypher_shell(quiet: bool = True, force: bool = False) -> Path:
    """Neo4j's cypher-shell 5.26 from Maven Central into ``KB_NEO4J_DIR/cypher-shell`` (its own
    class path, beside the server's), with a ``bin/cypher-shell`` script; returns the script."""
    _java()  # fail early and clearly if Java is missing
    home = _cypher_shell_dir()
    if force or not cypher_shell_installed():
        src = MAVEN_PROJECT / "cypher-shell" / "pom.xml"
        if not src.is_file():
            raise Neo4jLocalError(f"the package is incomplete: no {src}")
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, home / "pom.xml")
        _mvn_package(home / "pom.xml", quiet, cypher_shell_installed)
    script = home / "bin" / "cypher-shell"
    script.parent.mkdir(parents=True, exist_ok=True)
    import shlex

    text = "#!/bin/sh\nexec " + " ".join(shlex.quote(a) for a in cypher_shell_command()) + ' "$@"\n'
    if not script.is_file() or script.read_text() != text:
        script.write_text(text)
        script.chmod(0o755)
    return script


def cypher_shell_command() -> list[str]:
    """The command that runs the installed cypher-shell (add its arguments)."""
    if not cypher_shell_installed():
        raise Neo4jLocalError("cypher-shell is not installed: run `kb neo4j install --cypher-shell`")
    java, _version = _java()
    return [java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", str(_cypher_shell_dir() / "lib" / "*"),
            CYPHER_SHELL_MAIN]


_MVN_BOILERPLATE = ("To see the full stack trace", "Re-run Maven", "For more information", "[Help 1]")


def _mvn_errors(output: str) -> list[str]:
    """Maven's output lines worth showing: no colour codes, blanks or its standard advice."""
    lines = (re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in output.splitlines())
    kept = [
        ln for ln in lines if ln.removeprefix("[ERROR]").strip() and not ln[7:].strip().startswith(_MVN_BOILERPLATE)
    ]
    return [ln for ln in kept if "ERROR" in ln] or kept


# --------------------------------------------------------------------------- class-data sharing


def _cds_enabled() -> bool:
    return os.environ.get("KB_NEO4J_CDS", "1").strip().lower() not in ("0", "false", "no", "off")


def _cds_dir() -> Path:
    # Not in lib/: the JVM checks the class path it archived against the one it runs with.
    return NEO4J_DIR / "target"


def _cds_archive(java: str, version: str) -> Path:
    """Archive path keyed on the JVM and the jars: the JVM refuses an archive made from others."""
    h = hashlib.sha1(f"{os.path.realpath(java)}\n{version}".encode())
    for jar in sorted(_lib_dir().glob("*.jar")):
        st = jar.stat()
        h.update(f"\n{jar.name} {st.st_size} {st.st_mtime_ns}".encode())
    return _cds_dir() / f"cds-{h.hexdigest()[:12]}.jsa"




def _train_cds(java: str, version: str) -> bool:
    """Run the server once with -XX:ArchiveClassesAtExit; keep the archive if it exited cleanly."""
    target = _cds_archive(java, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in [*target.parent.glob("cds-*.jsa"), *target.parent.glob("cds-*.failed")]:
        stale.unlink(missing_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    with tempfile.TemporaryDirectory(prefix="kb-neo4j-cds-") as d:
        port = free_port()
        log_path = Path(d) / "launcher.log"
        cmd = _launch_cmd(java, DEFAULT_HEAP, port, free_port(), Path(d) / "home", [f"-XX:ArchiveClassesAtExit={tmp}"])
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=d,
                env=env,
                start_new_session=True,
            )
        try:
            _wait_ready(proc, _uri(port), None, 180, log_path)
            for query in (
                "CREATE (n:T {x: 1}) RETURN n.x",
                "MATCH (n:T) WHERE n.x = 1 DETACH DELETE n",
                "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition",
            ):
                _query_once(_uri(port), None, query)
        except Exception:  # noqa: BLE001 - best effort
            pass
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)  # the archive is written during exit
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    if proc.returncode == 0 and tmp.is_file() and tmp.stat().st_size > 0:
        tmp.replace(target)
        return True
    tmp.unlink(missing_ok=True)
    target.with_suffix(".failed").touch()  # don't pay for a failing training run on every install()
    return False


# --------------------------------------------------------------------------- java


def _java() -> tuple[str, str]:
    """The java binary (JAVA_HOME first, then PATH) and its ``-version`` text; Java 17+ or an error."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    java = str(candidate) if candidate and candidate.is_file() else shutil.which("java")
    if not java:
        raise Neo4jLocalError("Java not found (need JDK/JRE 17 or 21 on PATH or in JAVA_HOME)")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError) as e:
        raise Neo4jLocalError(f"cannot run {java}: {e}") from e
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if m:
        major = int(m.group(1)) if m.group(1) != "1" else int(m.group(2) or 0)
        if major < 17:
            raise Neo4jLocalError(f"Java {major} at {java} is too old: Neo4j 5.26 needs Java 17 or 21")
    return java, out.strip()


def _launch_cmd(java: str, heap: str, port: int, http_port: int, data: Path, extra: list[str]) -> list[str]:
    return [
        java,
        f"-Xms{min(_mb(heap), 128)}m",
        f"-Xmx{_mb(heap)}m",
        *JVM_FLAGS,
        *extra,
        "-cp",
        str(_lib_dir() / "*"),
        LAUNCHER_CLASS,
        "--port",
        str(port),
        "--http-port",
        str(http_port),
        "--data",
        str(data),
    ]


# --------------------------------------------------------------------------- process state


def _read_state(port: int) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(_state_file(port).read_text())
        return state
    except (OSError, ValueError):
        return None


def _write_state(port: int, state: dict[str, Any]) -> None:
    path = _state_file(port)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1))
    tmp.replace(path)


def _remove_state(port: int) -> None:
    with suppress(FileNotFoundError):
        _state_file(port).unlink()


def _is_ours(pid: int) -> bool:
    """Alive, and (where /proc exists) really our launcher rather than a recycled pid."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.parent.exists():
        try:
            return LAUNCHER_CLASS.encode() in cmdline.read_bytes()
        except OSError:
            return False
    return True


def _is_zombie_or_gone(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return not _is_ours(pid)


def _running_pid(port: int) -> tuple[int | None, dict[str, Any] | None]:
    state = _read_state(port)
    for child_pid, proc in list(_CHILDREN.items()):  # reap ours that died or were stopped from elsewhere
        if proc.poll() is not None:
            del _CHILDREN[child_pid]
    pid = int(state.get("pid") or 0) if state else 0
    if pid and _is_ours(pid) and not _is_zombie_or_gone(pid):
        return pid, state
    child = _CHILDREN.pop(pid, None)
    if child is not None:  # ours and dead or dying: collect its exit status
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=10)
    return None, state


@contextmanager
def _port_lock(port: int) -> Iterator[None]:
    """Serialise start/stop of one port between processes (POSIX flock)."""
    path = _kb_home() / "run" / f"neo4j-{int(port)}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX)
        except ImportError:  # not POSIX: no locking
            pass
        yield


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, int(port)))
        except OSError:
            return False
    return True


def _log_tail(path: Path, lines: int = 8) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:] if line.strip())


# --------------------------------------------------------------------------- driver


def _env_password(password: str | None) -> str | None:
    if password:
        return password
    for name in (PASSWORD_ENV, "KB_PASSWORD", "NEO4J_PASSWORD"):
        if os.environ.get(name):
            return os.environ[name]
    return None


def _auth(password: str | None) -> tuple[str, str] | None:
    return ("neo4j", password) if password else None


def _query_once(uri: str, password: str | None, query: str, timeout: float = 5.0) -> list[dict[str, Any]]:
    from neo4j import GraphDatabase

    # A plain auto-commit run: execute_query would retry (and log) for 30s on a refused connection.
    with (
        GraphDatabase.driver(
            uri,
            auth=_auth(password),
            connection_timeout=timeout,
            connection_acquisition_timeout=timeout,
            max_connection_pool_size=1,
        ) as driver,
        driver.session() as session,
    ):
        return session.run(query).data()


# --------------------------------------------------------------------------- API


def start(
    port: int = 7687,
    http_port: int = 7474,
    data_dir: str | os.PathLike[str] | None = None,
    password: str | None = None,
    timeout: float = 120,
    heap: str = DEFAULT_HEAP,
    jvm_options: Sequence[str] = (),
) -> str:
    """Start (or find running) Neo4j on 127.0.0.1:``port``; return its ``bolt://`` URI.

    ``http_port`` <= 0 disables HTTP (and the Browser at ``http://127.0.0.1:<http_port>/browser/``).
    ``jvm_options`` are added to the JVM's command line (the test harness gives its short-lived
    server ``-XX:TieredStopAtLevel=1``: see ``tests/engines.py``).
    Returns once a real ``RETURN 1`` has succeeded through the driver.
    """
    port = int(port)
    http_port = int(http_port)
    if password is not None and len(password) < 8:
        raise Neo4jLocalError("Neo4j passwords must be at least 8 characters")
    with _port_lock(port):
        pid, state = _running_pid(port)
        if pid:
            return str(state.get("uri") or _uri(port)) if state else _uri(port)
        if state:
            _remove_state(port)  # stale: process is gone
        java, version = _ready_to_launch(port, http_port)
        data = (Path(data_dir).expanduser() if data_dir else _default_data_dir(port)).resolve()
        proc, log_path, log_offset = _launch(java, version, port, http_port, data, heap, password, jvm_options)
        _CHILDREN[proc.pid] = proc
        uri = _uri(port)
        _write_state(
            port,
            {
                "pid": proc.pid,
                "port": port,
                "http_port": http_port,
                "uri": uri,
                "data_dir": str(data),
                "log": str(log_path),
                "auth": bool(password),
                "heap": heap,
                "started_at": time.time(),
            },
        )
        try:
            _wait_ready(proc, uri, password, timeout, log_path, log_offset)
        except BaseException:
            _terminate(proc.pid, 30)
            _remove_state(port)
            raise
        return uri


def _ready_to_launch(port: int, http_port: int) -> tuple[str, str]:
    """The Java to run and its `-version` text, once the jars are installed and the ports are free;
    `Neo4jLocalError` saying what is missing or busy otherwise."""
    if not is_installed():
        raise Neo4jLocalError(f"Neo4j jars missing in {_lib_dir()}: run `kb neo4j install`")
    java, version = _java()
    if not _port_free(port):
        raise Neo4jLocalError(f"port {HOST}:{port} is busy (another Neo4j or another program)")
    if http_port > 0 and not _port_free(http_port):
        raise Neo4jLocalError(f"HTTP port {HOST}:{http_port} is busy (pick another http_port, or 0 to disable)")
    return java, version


def _launch(java: str, version: str, port: int, http_port: int, data: Path, heap: str,
            password: str | None, jvm_options: Sequence[str] = ()) -> tuple[subprocess.Popen[bytes], Path, int]:
    """Start the server process in its own session, its output appended to ``data/logs/launcher.log``
    (the initial password passed through the environment only); the process, the log and where
    this start's lines begin in it."""
    (data / "logs").mkdir(parents=True, exist_ok=True)
    log_path = data / "logs" / "launcher.log"
    cds = _cds_archive(java, version)
    extra = [f"-XX:SharedArchiveFile={cds}"] if _cds_enabled() and cds.is_file() else []
    cmd = _launch_cmd(java, heap, port, http_port, data, [*extra, *jvm_options])
    env = dict(os.environ)
    env.pop(PASSWORD_ENV, None)
    if password:
        env[PASSWORD_ENV] = password
    with open(log_path, "ab") as log:
        log.write(f"\n--- kb.engines.neo4j_local start {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        log.flush()
        log_offset = log.tell()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(data),
            env=env,
            start_new_session=True,
            close_fds=True,
        )
    return proc, log_path, log_offset


def _mb(size: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([kmgKMG]?)\s*", str(size))
    if not m:
        raise Neo4jLocalError(f"bad heap size {size!r} (use e.g. '512m' or '1g')")
    n, unit = int(m.group(1)), m.group(2).lower()
    return max(64, n // 1024 if unit == "k" else n * 1024 if unit == "g" else n)


def _wait_ready(
    proc: subprocess.Popen[bytes], uri: str, password: str | None, timeout: float, log_path: Path, log_offset: int = 0
) -> None:
    """Wait for the launcher's READY line (printed after any password change), then a real ``RETURN 1``.

    Polling the driver before READY would race the launcher's ALTER USER, and failed logins
    make Neo4j lock the account for a few seconds.
    """
    from neo4j.exceptions import AuthError

    deadline = time.monotonic() + timeout
    ready = False
    last: Exception | None = None
    while time.monotonic() < deadline:
        rc = proc.poll()
        if rc is not None:
            raise Neo4jLocalError(f"Neo4j exited with code {rc} during startup: {_log_tail(log_path)}")
        if not ready:
            ready = f"READY {uri}".encode() in _read_from(log_path, log_offset)
        if ready:
            try:
                if _query_once(uri, password, "RETURN 1 AS ok") == [{"ok": 1}]:
                    return
            except AuthError as e:
                raise Neo4jLocalError(f"Neo4j is up but rejected the password for user neo4j: {e.message}") from e
            except Exception as e:  # noqa: BLE001 - not answering yet: any driver error
                last = e
        time.sleep(0.1)
    what = f"{type(last).__name__}: {str(last).splitlines()[0] if str(last) else ''}" if last else "no READY line"
    raise Neo4jLocalError(f"Neo4j did not answer on {uri} within {timeout:g}s ({what}): {_log_tail(log_path)}")


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read()
    except OSError:
        return b""


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM, wait up to ``timeout`` s, then SIGKILL the process group."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _reap(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)  # start_new_session made pid its group leader
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
    for _ in range(100):
        if _reap(pid):
            return
        time.sleep(0.1)


def _reap(pid: int) -> bool:
    """True once ``pid`` is gone (reaping it if it is our child)."""
    child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return False
        del _CHILDREN[pid]
        return True
    return _is_zombie_or_gone(pid)


def browser_url(port: int = 7687, http_port: int = 7474, auth: bool = False) -> str:
    """The Neo4j Browser's address with connect settings that work for this server: Bolt (not the
    Browser's default neo4j:// scheme), and no login form unless authentication is on."""
    from urllib.parse import urlencode

    dbms = f"bolt://neo4j@{HOST}:{port}" if auth else f"bolt://{HOST}:{port}"
    query = urlencode({"dbms": dbms, "preselectAuthMethod": "BASIC" if auth else "NO_AUTH"}, safe=":/@")
    return f"http://{HOST}:{http_port}/browser/?{query}"


def stop(port: int = 7687, timeout: float = 60) -> bool:
    """Stop the server on ``port`` (SIGTERM, then SIGKILL after ``timeout`` s). True if one was running."""
    port = int(port)
    with _port_lock(port):
        pid, state = _running_pid(port)
        if state is not None:
            if pid:
                _terminate(pid, timeout)
            _remove_state(port)
        return pid is not None


def status(port: int = 7687, password: str | None = None) -> dict[str, Any]:
    """Report on the server on ``port``: running, pid, uri, version, data_dir (plus http_port, log)."""
    port = int(port)
    pid, state = _running_pid(port)
    state = state or {}
    info: dict[str, Any] = {
        "running": pid is not None,
        "pid": pid,
        "uri": (state.get("uri") or _uri(port)) if pid else None,
        "version": None,
        "data_dir": state.get("data_dir") or (str(_default_data_dir(port)) if not state else None),
        "http_port": state.get("http_port") if pid else None,
        "log": state.get("log"),
    }
    if pid:
        pw = _env_password(password) if state.get("auth") else None
        if state.get("auth") and not pw:
            info["error"] = f"auth is on: pass password= or set {PASSWORD_ENV} to read the version"
            return info
        try:
            rows = _query_once(
                info["uri"], pw, "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition"
            )
            for row in rows:
                if row.get("name") == "Neo4j Kernel":
                    info["version"] = (row.get("versions") or [None])[0]
                    info["edition"] = row.get("edition")
        except Exception as e:  # noqa: BLE001 - report, don't raise
            info["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return info


if __name__ == "__main__":  # pragma: no cover - tiny manual CLI: python -m kb.engines.neo4j_local start|stop|status [port]
    action = sys.argv[1] if len(sys.argv) > 1 else "status"
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 7687
    try:
        if action == "install":
            install(quiet=False)
        elif action == "start":
            print(start(p, password=os.environ.get(PASSWORD_ENV)))
        elif action == "stop":
            print("stopped" if stop(p) else "not running")
        else:
            print(json.dumps(status(p), indent=1))
    except Neo4jLocalError as err:
        sys.exit(f"error: {err}")


# --------------------------------------------------------------------------- bulk import

ADMIN_TOOL_MAIN = "org.neo4j.cli.AdminTool"  # neo4j-admin (neo4j-command-line + neo4j-import-tool jars)


def local_server(uri: str) -> dict[str, Any] | None:
    """The state of the local server (started by this module, running) that ``uri`` points at, else None."""
    from urllib.parse import urlsplit

    try:
        u = urlsplit(uri)
        port = u.port or 7687
    except ValueError:
        return None
    if u.hostname not in (HOST, "localhost") or u.scheme not in ("bolt", "neo4j"):
        return None
    pid, state = _running_pid(port)
    return state if pid and state and state.get("data_dir") else None


def import_full(uri: str, nodes: list[tuple[str, Path]], relationships: list[tuple[str, Path]],
                password: str | None = None, database: str = "neo4j", timeout: float = 120) -> str:
    """``neo4j-admin database import full`` of CSV files into the local server behind ``uri``:
    stop it, import into its data directory (replacing ``database``), start it again on the same
    ports and heap. ``nodes``: (label, file); ``relationships``: (type, file) (label or type
    "": the file has a :LABEL or :TYPE column); files carry Neo4j import headers. Returns the tool's output. The database must be one the caller emptied."""
    state = local_server(uri)
    if state is None:
        raise Neo4jLocalError(f"{uri} is not a local Neo4j started by `kb neo4j start`: neo4j-admin import needs its data directory")
    port, home = int(state["port"]), Path(state["data_dir"])
    java, _ = _java()
    cmd = [java, "-Xmx1g", *JVM_FLAGS, "-cp", str(_lib_dir() / "*"), ADMIN_TOOL_MAIN,
           "database", "import", "full", database,  # before --nodes/--relationships: those take several files
           "--overwrite-destination=true", "--multiline-fields=true",
           "--array-delimiter=U+001F", "--id-type=string", "--threads=2",
           f"--report-file={home / 'logs' / 'import.report'}"]
    cmd += [f"--nodes={label}={f}" if label else f"--nodes={f}" for label, f in nodes]
    cmd += [f"--relationships={rtype}={f}" if rtype else f"--relationships={f}" for rtype, f in relationships]
    stop(port)
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    (home / "conf").mkdir(exist_ok=True)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(home), timeout=3600)
    finally:
        start(port=port, http_port=int(state.get("http_port") or 0), data_dir=home, password=password,
              timeout=timeout, heap=str(state.get("heap") or DEFAULT_HEAP))
    if proc.returncode != 0:
        lines = [x.strip() for x in (proc.stderr + proc.stdout).splitlines()
                 if x.strip() and not x.strip().startswith(("at ", "..."))]
        raise Neo4jLocalError(f"neo4j-admin database import failed (exit {proc.returncode}): {lines[0] if lines else 'no output'}")
    return proc.stdout
