"""The layout's rules, checked: no import circles anywhere in the package, one import name per
module, and the socket path of ``falkordb+unix://`` is honoured."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _cycles(package: str = "kb") -> list[list[str]]:
    import grimp

    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.find_modules_directly_imported_by(m)):
            if state.get(n) == 1:
                found.append(stack[stack.index(n):] + [n])
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph.modules):
        if m not in state:
            visit(m)
    return found


def test_no_import_circles():
    assert _cycles() == []


def test_the_circle_finder_finds_a_circle(tmp_path, monkeypatch):
    pkg = tmp_path / "circ"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from circ import b\n")
    (pkg / "b.py").write_text("from circ import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cycles("circ") == [["circ.a", "circ.b", "circ.a"]]


@pytest.mark.parametrize("name", ["loaders", "cypher", "data", "bench", "neo4j_server"])
def test_top_level_folders_are_not_second_import_names(name, tmp_path):
    res = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode != 0
    if name in ("loaders", "cypher", "data"):
        assert f"kb.{name}" in res.stderr  # the message names the one import name


def test_falkordb_unix_uri_uses_its_socket(tmp_path):
    import kb
    from kb.errors import BackendError

    missing = tmp_path / "nobody-listens.sock"
    with pytest.raises(BackendError) as exc:
        kb.connect(f"falkordb+unix://{missing}")
    assert str(missing) in str(exc.value) or "No such file" in str(exc.value)


# --------------------------------------------------------------------------- one room per engine
# Only kb/engines/ knows an engine: nothing else branches on an engine's name, reaches into a
# backend's private members (or around the interface with getattr), or imports a concrete backend
# or an engine's client library. Where the line is drawn: *choosing* an engine (kb/config.py reads
# the URI scheme) and *running a local server* (kb/engines/embedded.py, neo4j_local.py, used by the
# `kb neo4j` commands and the benchmark's set-up) are not talking to a graph and stay allowed.

ENGINE_NAMES = {"falkordb", "neo4j"}
CONCRETE = {"kb.engines.falkor", "kb.engines.neo4j", "kb.engines.falkor_bulk", "kb.engines.neo4j_bulk",
            "falkordb", "neo4j", "redis"}
SELECTION = {"kb/config.py"}


def _engine_leaks(path: str, source: str) -> list[str]:
    import ast

    tree = ast.parse(source)
    out: list[str] = []

    def mentions_backend(node: ast.AST) -> bool:
        return any((isinstance(n, ast.Name) and "backend" in n.id.lower())
                   or (isinstance(n, ast.Attribute) and "backend" in n.attr.lower()) for n in ast.walk(node))

    for node in ast.walk(tree):
        where = f"{path}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Compare) and path not in SELECTION:
            for side in [node.left, *node.comparators]:
                consts = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                if any(isinstance(c, ast.Constant) and c.value in ENGINE_NAMES for c in consts):
                    out.append(f"{where}: branches on an engine's name")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if mentions_backend(node.value):
                out.append(f"{where}: reaches into a backend's private member {node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
            if node.args and mentions_backend(node.args[0]):
                out.append(f"{where}: {node.func.id} on a backend (use the Backend interface)")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names])
            hit = sorted(n for n in names if n in CONCRETE or n.split(".")[0] in {"falkordb", "neo4j", "redis"})
            if hit:
                out.append(f"{where}: imports {', '.join(hit)} (a concrete engine)")
    return out


def test_only_kb_engines_knows_an_engine():
    from pathlib import Path

    import kb

    root = Path(kb.__file__).parent
    leaks: list[str] = []
    for f in sorted(root.rglob("*.py")):
        rel = f.relative_to(root.parent).as_posix()
        if rel.startswith("kb/engines/"):
            continue
        leaks += _engine_leaks(rel, f.read_text(encoding="utf-8"))
    assert leaks == []


@pytest.mark.parametrize("code", [
    "if k.engine == 'falkordb': pass",
    "if backend.engine in ('neo4j', 'x'): pass",
    "k.backend._wait_for_replica()",
    "drop = getattr(k.backend, 'delete_graph', None)",
    "from kb.engines.falkor import FalkorBackend",
    "import neo4j",
])
def test_the_engine_leak_finder_finds_each_kind(code):
    assert _engine_leaks("kb/x.py", code)
