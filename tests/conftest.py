"""Fixtures: every integration test body runs once per engine (embedded FalkorDB, Neo4j).

    def test_something(loaded_kb):      # the bundled KB, on each engine
    def test_other(empty_kb):           # an empty graph this test owns

See tests/engines.py for how each engine is found or started. Every test gets a KB_HOME of its own
(``tmp_path / "kbhome"``) and a short embedded idle timeout, set for the test, not the process;
``processes`` starts subprocesses that are terminated (then killed) when the test ends, and
``tests.engines.summary`` adds a section to the terminal summary.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engines import ENGINE_SET, ENGINES, SUMMARIES, Engine, stop_process

ROOT = Path(__file__).resolve().parent.parent

# docker-compose.yml refuses to start without a password the user chose
os.environ.setdefault("KB_NEO4J_PASSWORD", "test-" + secrets.token_hex(8))


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    for name in ENGINES:
        e = ENGINE_SET.get(name)
        if e.skip_reason:
            lines.append(f"engine {name}: not available ({e.skip_reason})")
            continue
        try:
            k = e.connect()
            lines.append(f"engine {name}: {k.engine} {k.version()} at {k.backend.location}")
        except Exception as exc:  # noqa: BLE001
            lines.append(f"engine {name}: cannot connect ({exc})")
    return lines


def _content_order(item: pytest.Item) -> int:
    """0: reads the bundled KB; 1: sets up its own content or needs none; 2: empties the store."""
    names = getattr(item, "fixturenames", ())
    return 0 if {"loaded_kb", "both_loaded"} & set(names) else 2 if "empty_kb" in names else 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests reading the bundled KB first, those emptying the store last (a stable sort:
    within a group, modules and their tests keep their order). Every test gets the content it asks
    for whatever ran before, so the order changes only how often the bundled KB is loaded: once
    per engine instead of once per module that empties the store (a Neo4j load took 7-20 s on a
    busy machine)."""
    items.sort(key=_content_order)


def pytest_unconfigure(config: pytest.Config) -> None:
    ENGINE_SET.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, lines in SUMMARIES.items():
        shown = lines()
        if shown:
            terminalreporter.write_sep("-", title)
            for line in shown:
                terminalreporter.write_line(f"  {line}")


@pytest.fixture(autouse=True)
def _kb_home_per_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KB_HOME of the test's own, so no test reads or starts a server in another's (or the user's)."""
    monkeypatch.setenv("KB_HOME", str(tmp_path / "kbhome"))
    if "KB_IDLE_TIMEOUT" not in os.environ:
        monkeypatch.setenv("KB_IDLE_TIMEOUT", "2")  # servers the test leaves behind go soon


class Processes:
    """Subprocesses a test starts; each is terminated, then killed if it lingers, when the test ends."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[Any]] = []

    def start(self, args: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        proc = subprocess.Popen(args, **kwargs)
        self.started.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[Any], timeout: float = 30) -> None:
        stop_process(proc, timeout)


@pytest.fixture
def processes() -> Iterator[Processes]:
    procs = Processes()
    yield procs
    for proc in procs.started:
        stop_process(proc)


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(ROOT / "docker-compose.yml")


def engine_named(request: pytest.FixtureRequest, name: str) -> Engine:
    """The engine ``name``, started if need be; skips the test (fails under CI=true) when unavailable."""
    e = ENGINE_SET.get(name)
    if e.skip_reason == "docker":
        services = request.getfixturevalue("docker_services")
        port = services.port_for("neo4j", 7687)
        e = Engine("neo4j", f"bolt://127.0.0.1:{port}",
                   {"user": "neo4j", "password": os.environ["KB_NEO4J_PASSWORD"]})

        services.wait_until_responsive(check=e.try_connect, timeout=120, pause=1)
        ENGINE_SET.replace(e)
    if e.skip_reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} engine unavailable under CI=true: {e.skip_reason}")
        pytest.skip(e.skip_reason)
    return e


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """Each engine in turn (the test decides what content it needs); KB_HOME is the engine's for
    the test (the embedded server's home, or where the local Neo4j's state file is)."""
    e = engine_named(request, request.param)
    if e.home:
        monkeypatch.setenv("KB_HOME", e.home)
    return e


@pytest.fixture
def empty_kb(engine: Engine):  # noqa: ANN201
    """An empty knowledge base this test owns, on each engine."""
    k = engine.empty()
    yield k
    engine.content = "unknown"


@pytest.fixture
def loaded_kb(engine: Engine):  # noqa: ANN201
    """The bundled KB, on each engine. Tests using it must not write."""
    return engine.loaded()


@pytest.fixture(scope="session")
def both_loaded(request: pytest.FixtureRequest) -> dict[str, Engine]:
    """Both engines with the bundled KB, for tests that compare them."""
    return {name: engine_named(request, name) for name in ENGINES}


@pytest.fixture
def data_dir() -> Path:
    from kb.core import bundled_data_dir

    return bundled_data_dir()
