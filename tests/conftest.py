"""Fixtures: every integration test body runs once per engine (embedded FalkorDB, Neo4j).

    def test_something(loaded_kb):      # the bundled KB, on each engine
    def test_other(empty_kb):           # an empty graph this test owns

See tests/engines.py for how each engine is found or started.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from tests.engines import ENGINE_SET, ENGINES, Engine

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("KB_IDLE_TIMEOUT", "2")
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


def pytest_unconfigure(config: pytest.Config) -> None:
    ENGINE_SET.close()


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(ROOT / "docker-compose.yml")


def _engine(request: pytest.FixtureRequest, name: str) -> Engine:
    e = ENGINE_SET.get(name)
    if e.skip_reason == "docker":
        services = request.getfixturevalue("docker_services")
        port = services.port_for("neo4j", 7687)
        e = Engine("neo4j", f"bolt://127.0.0.1:{port}",
                   {"user": "neo4j", "password": os.environ["KB_NEO4J_PASSWORD"]})

        def ready() -> bool:
            try:
                e.connect()
                return True
            except Exception:  # noqa: BLE001
                e._kb = None
                return False

        services.wait_until_responsive(check=ready, timeout=120, pause=1)
        ENGINE_SET._engines["neo4j"] = e
    if e.skip_reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} engine unavailable under CI=true: {e.skip_reason}")
        pytest.skip(e.skip_reason)
    return e


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn (the test decides what content it needs)."""
    return _engine(request, request.param)


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
    return {name: _engine(request, name) for name in ENGINES}


@pytest.fixture
def data_dir() -> Path:
    from kb.core import bundled_data_dir

    return bundled_data_dir()
