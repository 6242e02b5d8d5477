"""The installed package carries what it reads; generated code and docs are current."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
                   check=True)
    return next(out.glob("rare_earth_kb-*.whl"))


def test_wheel_carries_queries_data_and_loaders(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    cypher = [n for n in names if n.startswith("kb/cypher/") and n.endswith(".cypher")]
    assert len(cypher) == len(list((ROOT / "cypher").glob("*.cypher")))
    data = [n for n in names if n.startswith("kb/data/") and n.endswith((".yaml", ".csv"))]
    assert len(data) == len([p for p in (ROOT / "data").iterdir() if p.suffix in (".yaml", ".csv")])
    assert "kb/loaders/build.py" in names and "kb/py.typed" in names


def test_installed_wheel_reads_its_own_files(wheel, tmp_path):
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(target)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import kb.catalog, kb.core, kb.loaders;"
        "assert kb.catalog.cypher_dir().is_relative_to(sys.argv[1]), kb.catalog.cypher_dir();"
        "assert kb.core.bundled_data_dir().is_relative_to(sys.argv[1]);"
        "from kb.loaders import read_all, build;"
        "r, p = read_all([kb.core.bundled_data_dir()]); g = build(r, p);"
        "print(len(kb.catalog.load_catalog()), g.node_count)"
    )
    # run from an empty folder so the source tree is not on the path
    res = subprocess.run([sys.executable, "-I", "-c", code, str(target)], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    n_questions, n_nodes = map(int, res.stdout.split())
    assert n_questions == len(list((ROOT / "cypher").glob("*.cypher")))
    assert n_nodes > 100


def test_generated_query_module_is_current():
    res = subprocess.run([sys.executable, "-m", "kb.codegen", "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_generated_docs_are_current():
    res = subprocess.run([sys.executable, "-m", "kb.docgen", "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_every_command_has_help_with_an_example():
    from typer.testing import CliRunner

    from kb.cli import app

    runner = CliRunner()
    paths = [[c.name or c.callback.__name__] for c in app.registered_commands]
    for g in app.registered_groups:
        paths += [[g.name, c.name or c.callback.__name__] for c in g.typer_instance.registered_commands]
    assert len(paths) >= 8
    for p in paths:
        res = runner.invoke(app, [*p, "--help"])
        assert res.exit_code == 0, p
        assert "Example" in res.output, p
