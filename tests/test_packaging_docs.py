"""The installed package carries what it reads; generated code and docs are current."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.models import CommandInfo

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import shutil

    out = tmp_path_factory.mktemp("wheel")
    # build from a clean copy (links kept): a stale build/ folder in the tree must not leak in
    src = tmp_path_factory.mktemp("src") / "repo"
    patterns = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                                      ".mypy_cache", ".ruff_cache", ".pytest_cache", ".kb-home", ".kbhome")
    base = tmp_path_factory.getbasetemp().resolve()

    def ignore(folder: str, names: list[str]) -> set[str]:
        # a TMPDIR inside the tree (the copy's own destination) is not copied into itself
        return set(patterns(folder, names)) | {n for n in names if base.is_relative_to(Path(folder, n).resolve())}

    shutil.copytree(ROOT, src, symlinks=True, ignore=ignore)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(src)],
                   check=True)
    return next(out.glob("rare_earth_kb-*.whl"))


@pytest.mark.slow
def test_wheel_carries_queries_data_and_loaders(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    cypher = [n for n in names if n.startswith("kb/cypher/") and n.endswith(".cypher")]
    assert len(cypher) == len(list((ROOT / "cypher").glob("*.cypher")))
    data = [n for n in names if n.startswith("kb/data/") and n.count("/") == 2 and n.endswith((".yaml", ".csv"))]
    assert len(data) == len([p for p in (ROOT / "data").iterdir() if p.suffix in (".yaml", ".csv")])
    assert "kb/loaders/build.py" in names and "kb/py.typed" in names
    assert "kb/engines/neo4j_server/pom.xml" in names
    assert {"kb/web/templates/question.html", "kb/web/static/app.js", "kb/web/static/app.css"} <= set(names)
    assert not any(n.startswith(("bench/", "loaders/", "cypher/", "neo4j/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_reads_its_own_files(wheel, tmp_path):
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(target)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import kb.queries.catalog as catalog, kb.core, kb.loaders;"
        "assert catalog.cypher_dir().is_relative_to(sys.argv[1]), catalog.cypher_dir();"
        "assert kb.core.bundled_data_dir().is_relative_to(sys.argv[1]);"
        "from kb.loaders import read_all, build;"
        "r, p = read_all([kb.core.bundled_data_dir()]); g = build(r, p);"
        "print(len(catalog.load_catalog()), g.node_count)"
    )
    # run from an empty folder so the source tree is not on the path
    res = subprocess.run([sys.executable, "-I", "-c", code, str(target)], cwd=tmp_path, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    n_questions, n_nodes = map(int, res.stdout.split())
    assert n_questions == len(list((ROOT / "cypher").glob("*.cypher")))
    assert n_nodes > 100


def test_generated_query_module_is_current():
    res = subprocess.run([sys.executable, "-m", "kb.tools.codegen", "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.slow
def test_generated_docs_are_current():
    res = subprocess.run([sys.executable, "-m", "kb.tools.docgen", "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def _command_name(c: CommandInfo) -> str:
    """What a typer command is called on the command line's first word (its name, else its function's)."""
    if c.name:
        return c.name
    assert c.callback is not None, c
    return c.callback.__name__


@pytest.mark.slow
def test_every_command_has_help_with_an_example():
    from typer.testing import CliRunner

    from kb.cli.main import app

    runner = CliRunner()
    paths = [[_command_name(c)] for c in app.registered_commands]
    for g in app.registered_groups:
        assert g.name is not None and g.typer_instance is not None, g
        paths += [[g.name, _command_name(c)] for c in g.typer_instance.registered_commands]
    assert len(paths) >= 8
    for p in paths:
        res = runner.invoke(app, [*p, "--help"])
        assert res.exit_code == 0, p
        assert "Example" in res.output, p


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_loads_answers_and_installs_neo4j(wheel, tmp_path):
    """The built wheel alone (dependencies borrowed from the test venv, never the source tree):
    `kb load`, `kb query`, `kb neo4j install`, and no second import names."""
    import site
    import venv

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    new_site = Path(subprocess.run([str(py), "-c", "import site; print(site.getsitepackages()[0])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    # the test venv's packages, without its .pth files (so the editable source tree stays out)
    (new_site / "borrowed.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(new_site)
    env = {"PATH": f"{env_dir / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path),
           "KB_HOME": str(tmp_path / "home"), "KB_NEO4J_DIR": str(tmp_path / "neo4j"), "KB_NEO4J_CDS": "0",
           "KB_IDLE_TIMEOUT": "1"}
    import os

    env["PATH"] = env["PATH"] + ":" + os.environ.get("PATH", "")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(py), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)

    where = run("-c", "import kb; print(kb.__file__)")
    assert where.returncode == 0 and where.stdout.strip().startswith(str(new_site)), where.stdout + where.stderr
    assert run("-m", "kb", "-q", "load").returncode == 0
    answer = run("-m", "kb", "query", "top_producers", "-p", "year=2024", "--format", "json")
    assert answer.returncode == 0, answer.stderr
    assert '"iso3": "CHN"' in answer.stdout
    for name in ("loaders", "bench", "cypher", "data"):
        assert run("-c", f"import {name}").returncode != 0, name
    if os.environ.get("CI") == "true" or (Path.home() / ".m2").is_dir():
        inst = run("-m", "kb", "neo4j", "install")
        assert inst.returncode == 0, inst.stdout + inst.stderr
        assert any((tmp_path / "neo4j" / "lib").glob("neo4j-5.26.*.jar"))
