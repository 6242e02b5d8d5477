"""A question asked of a knowledge base into which nothing was loaded says so — where the KB is and
`kb load` — instead of "no country 'Japan'" or "0 rows"; the check is in the library's path
(`KB.ask`, `KB.parameters`), so the CLI, the desk and MCP all give it."""

from __future__ import annotations

import pytest

from kb.errors import EmptyKBError
from tests.engines import run_kb


@pytest.mark.slow
def test_a_question_on_an_empty_kb_names_the_kb_and_kb_load(empty_kb):
    where = empty_kb.settings.describe()
    with pytest.raises(EmptyKBError) as answer:  # an empty answer
        empty_kb.ask("top_producers", {"year": 2024})
    assert where in str(answer.value) and "`kb load`" in str(answer.value)
    with pytest.raises(EmptyKBError) as unresolved:  # a name that cannot resolve
        empty_kb.ask("alternative_suppliers", {"importer": "Japan", "symbol": "Dy"})
    assert where in str(unresolved.value)
    empty_kb.load()  # loaded: the same questions answer (no stale "empty" from before)
    assert empty_kb.ask("top_producers", {"year": 2024})
    assert empty_kb.ask("alternative_suppliers", {"importer": "Japan", "symbol": "Dy"}) is not None


def test_a_loaded_kb_still_says_no_country_and_0_rows(loaded_kb):
    from kb.queries.resolve import UnknownEntity

    with pytest.raises(UnknownEntity):
        loaded_kb.ask("alternative_suppliers", {"importer": "Atlantis", "symbol": "Dy"})
    assert len(loaded_kb.ask("top_producers", {"year": 1850})) == 0


@pytest.mark.slow
def test_the_cli_prints_one_line(empty_kb, engine):
    for args in (["query", "alternative_suppliers", "-p", "importer=Japan", "-p", "symbol=Dy"],
                 ["query", "top_producers", "-p", "year=2024"]):
        res = run_kb(engine, *args, check=False)
        lines = [x for x in res.stderr.splitlines() if x.strip()]
        assert res.returncode != 0
        assert len(lines) == 1 and "is empty" in lines[0] and "kb load" in lines[0], res.stderr
