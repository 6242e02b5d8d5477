"""The generated query API is typed: mypy accepts correct calls and rejects wrong ones."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def mypy(tmp_path, code: str) -> subprocess.CompletedProcess:
    f = tmp_path / "use_kb.py"
    f.write_text(textwrap.dedent(code))
    return subprocess.run([sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=silent", str(f)],
                          capture_output=True, text=True)


def test_correct_calls_type_check(tmp_path):
    res = mypy(tmp_path, """
        import kb.queries
        from kb.core import KB

        def use(k: KB) -> float:
            rows = kb.queries.top_producers(year=2011, limit=3, kb=k)
            total: float = sum(r.tonnes or 0.0 for r in rows)
            uses: list[str] = k.queries.element_profile(symbol="Nd")[0].uses
            return total + len(uses)
    """)
    assert res.returncode == 0, res.stdout


def test_wrong_calls_are_caught(tmp_path):
    res = mypy(tmp_path, """
        import kb.queries
        kb.queries.top_producers(year="2011")
        kb.queries.top_producers(yeer=2011)
        name: int = kb.queries.top_producers(year=2011)[0].country
    """)
    assert res.returncode == 1
    assert res.stdout.count("error:") >= 3, res.stdout
