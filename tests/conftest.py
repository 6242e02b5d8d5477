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
    return [f"engines: {', '.join(ENGINES)} (each started when the session needs it; see the summary)"]


#: fixtures that hand a test the bundled KB (tests using them must not write)
LOADED = {"loaded_kb", "both_loaded", "loaded_neo4j", "loaded_embedded"}


def _engine_rank(item: pytest.Item) -> int:
    """0: no engine of the session; 1: the embedded one; 2: Neo4j (alone or beside the other)."""
    names = set(getattr(item, "fixturenames", ()))
    params = getattr(getattr(item, "callspec", None), "params", {})
    if params.get("engine") == "neo4j" or {"both_loaded", "loaded_neo4j"} & names:
        return 2
    return 1 if params.get("engine") == "embedded" or "loaded_embedded" in names else 0


def _content_order(item: pytest.Item) -> int:
    """0: reads the bundled KB; 1: sets up its own content or needs none; 2: the desk's content
    (see ``desk_kb``); 3: empties the store."""
    names = set(getattr(item, "fixturenames", ()))
    return 0 if LOADED & names else 2 if "desk_kb" in names else 3 if "empty_kb" in names else 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the tests needing no engine first, then those on the embedded engine, then those on
    Neo4j, which starts (and loads the bundled KB) in the background meanwhile; on each engine,
    the tests reading the bundled KB first and those emptying the store last. A stable sort:
    within a group, modules and their tests keep their order. Every test gets the content it asks
    for whatever ran before, so the order changes only how often a content is loaded (once per
    engine instead of once per module) and how long the tests wait for the JVM."""
    items.sort(key=lambda item: (_engine_rank(item), _content_order(item)))
    if any(_engine_rank(item) == 2 for item in items):
        ENGINE_SET.prestart("neo4j")


def pytest_unconfigure(config: pytest.Config) -> None:
    ENGINE_SET.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    used = ENGINE_SET.describe()
    if used:
        terminalreporter.write_sep("-", "engines")
        for line in used:
            terminalreporter.write_line(f"  {line}")
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
        home = str(ENGINE_SET.neo4j_home)
        e = Engine("neo4j", f"bolt://127.0.0.1:{port}",
                   {"home": home, "user": "neo4j", "password": os.environ["KB_NEO4J_PASSWORD"]}, home=home)

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


@pytest.fixture
def desk_kb(engine: Engine):  # noqa: ANN201
    """The bundled KB without its trade flows (no desk test reads them), shared by the desk tests
    on each engine: each sends its own article (``tests.desk.arrive`` with the test's ``tag``) and
    reads and decides only that article's claims, so what one writes no other reads."""
    from tests.desk import load_without_trade

    return engine.holding("desk", load_without_trade)


@pytest.fixture(scope="session")
def both_loaded(request: pytest.FixtureRequest) -> dict[str, Engine]:
    """Both engines with the bundled KB, for tests that compare them."""
    return {name: engine_named(request, name) for name in ENGINES}


@pytest.fixture
def data_dir() -> Path:
    from kb.core import bundled_data_dir

    return bundled_data_dir()
