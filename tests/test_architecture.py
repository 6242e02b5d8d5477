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
