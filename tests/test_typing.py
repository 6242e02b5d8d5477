"""The public API is typed for real: mypy, run on a user's script outside the repository
(so it sees the package as the README's editable install or a wheel provides it),
accepts correct calls and rejects each kind of wrong one on its own line."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import textwrap
import typing

import pytest


def mypy(tmp_path, code: str) -> subprocess.CompletedProcess:
    f = tmp_path / "use_kb.py"
    f.write_text(textwrap.dedent(code).lstrip())
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(f)],
                          capture_output=True, text=True, cwd=tmp_path)


@pytest.mark.slow
def test_correct_calls_type_check(tmp_path):
    res = mypy(tmp_path, """
        import kb
        from kb.queries.api import TopProducersRow
        from kb.rows import Rows

        def use(k: kb.KB) -> float:
            rows: Rows[TopProducersRow] = k.queries.top_producers(year=2011, stage="mining", limit=3)
            total: float = sum(r.tonnes or 0.0 for r in rows)
            uses: list[str] = k.queries.element_profile(symbol="Nd")[0].uses
            asked = k.ask("top_producers", {"year": 2011}, TopProducersRow)
            share: float | None = asked[0].share
            return total + len(uses) + (share or 0.0)
    """)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "import-not-found" not in res.stdout


WRONG = """
    import kb

    def use(k: kb.KB) -> None:
        k.queries.top_producer(year=2011)
        k.queries.top_producers(yeer=2011)
        k.queries.top_producers(year="2024")
        name: int = k.queries.top_producers(year=2011)[0].country
        k.queries.top_producers(year=2011, stage="foo")
"""


@pytest.mark.slow
def test_each_wrong_call_is_rejected(tmp_path):
    res = mypy(tmp_path, WRONG)
    assert res.returncode == 1, res.stdout
    lines = {int(m) for m in re.findall(r"use_kb\.py:(\d+): error", res.stdout)}
    # misspelt question, misspelt parameter, wrong parameter type, wrong column type, value outside a closed set
    assert {4, 5, 6, 7, 8} <= lines, res.stdout


def test_signatures_carry_real_types():
    from kb.queries import Queries
    from kb.schema import Stage

    sig = inspect.signature(Queries.top_producers)
    assert sig.parameters["year"].annotation is int
    assert sig.parameters["limit"].annotation is int
    assert sig.parameters["stage"].annotation == Stage
    assert typing.get_args(sig.parameters["stage"].annotation) == typing.get_args(Stage)
    assert sig.parameters["year"].kind is inspect.Parameter.KEYWORD_ONLY


def test_kb_queries_is_the_package_not_a_hidden_connection():
    import kb

    assert kb.queries.Queries.__name__ == "Queries"
    assert not hasattr(kb.queries, "top_producers")
