"""The foundation: connecting, one Cypher text on both engines, plain values, schema."""

from __future__ import annotations

import pytest

import kb
from kb.errors import BackendError, ConfigError, ReadOnlyError


def test_engine_answers_and_reports_version(empty_kb):
    assert empty_kb.engine in ("falkordb", "neo4j")
    major = int(empty_kb.version().split(".")[0])
    assert major == (5 if empty_kb.engine == "neo4j" else 4)
    assert empty_kb.read("RETURN 1 AS one") == [{"one": 1}]


def test_rows_are_plain_python_values(empty_kb):
    empty_kb.write(
        "CREATE (:Probe {s: $s, i: $i, f: $f, b: $b, l: $l, d: $d})",
        {"s": "Nd", "i": 60, "f": 144.242, "b": True, "l": ["a", "b"], "d": "2012-11-16"},
    )
    rows = empty_kb.read("MATCH (p:Probe) RETURN p.s AS s, p.i AS i, p.f AS f, p.b AS b, p.l AS l, p.d AS d, "
                         "{k: p.i} AS m, p AS node")
    assert len(rows) == 1
    r = rows[0]
    assert (r["s"], r["i"], r["b"], r["l"], r["d"], r["m"]) == ("Nd", 60, True, ["a", "b"], "2012-11-16", {"k": 60})
    assert r["f"] == pytest.approx(144.242)
    assert type(r["i"]) is int and type(r["f"]) is float
    assert r["node"]["_labels"] == ["Probe"] and r["node"]["s"] == "Nd"


def test_read_refuses_writes(empty_kb):
    with pytest.raises(ReadOnlyError):
        empty_kb.read("CREATE (:Nope) RETURN 1")
    assert empty_kb.read("MATCH (n:Nope) RETURN count(n) AS n") == [{"n": 0}]


def test_bad_cypher_is_one_clear_error(empty_kb):
    with pytest.raises(BackendError) as exc:
        empty_kb.read("MATCH (n RETURN n")
    assert "\n" not in str(exc.value).strip() or len(str(exc.value)) < 2000


def test_schema_constraints_are_unique(empty_kb):
    from kb.schema import INDEXES, NODE_KEYS

    empty_kb.backend.ensure_schema(NODE_KEYS, INDEXES)
    empty_kb.backend.ensure_schema(NODE_KEYS, INDEXES)  # twice is fine
    empty_kb.write("CREATE (:Element {symbol: 'Nd'})")
    with pytest.raises(BackendError):
        empty_kb.write("CREATE (:Element {symbol: 'Nd'})")
    assert empty_kb.read("MATCH (e:Element) RETURN count(e) AS n") == [{"n": 1}]


def _constraint_labels(k) -> list[str]:  # noqa: ANN001
    if k.engine == "falkordb":
        return sorted(r["label"] for r in k.read("CALL db.constraints()"))
    return sorted(lb for r in k.read("SHOW CONSTRAINTS YIELD labelsOrTypes") for lb in r["labelsOrTypes"])


def test_a_constraint_holds_as_soon_as_it_is_created_on_a_full_graph(empty_kb):
    # FalkorDB builds a constraint in the background: ensure_schema returns once it is operational
    empty_kb.write("UNWIND range(1, 20000) AS i CREATE (:Many {k: i})")
    empty_kb.backend.ensure_schema({"Many": "k"}, [])
    if empty_kb.engine == "falkordb":
        states = {r["status"] for r in empty_kb.read("CALL db.constraints()")}
        assert states == {"OPERATIONAL"}
    else:
        assert {r["state"] for r in empty_kb.read("SHOW INDEXES YIELD state")} == {"ONLINE"}
    with pytest.raises(BackendError, match="Many"):
        empty_kb.write("CREATE (:Many {k: 7})")
    assert empty_kb.read("MATCH (m:Many) RETURN count(m) AS n") == [{"n": 20000}]


def test_a_constraint_the_data_breaks_is_refused_by_name_and_not_left_behind(empty_kb):
    empty_kb.write("UNWIND range(1, 3) AS i CREATE (:Dup {k: i % 2})")
    with pytest.raises(BackendError, match="Dup"):
        empty_kb.backend.ensure_schema({"Dup": "k"}, [])
    assert "Dup" not in _constraint_labels(empty_kb)
    assert empty_kb.read("MATCH (d:Dup) RETURN count(d) AS n") == [{"n": 3}]


def test_batched_writes(empty_kb):
    rows = [{"k": i} for i in range(2500)]
    c = empty_kb.backend.write_batches("UNWIND $rows AS row CREATE (:Batch {k: row.k})", rows, batch_size=1000)
    assert c.nodes_created == 2500
    assert empty_kb.read("MATCH (b:Batch) RETURN count(b) AS n, sum(b.k) AS s") == [{"n": 2500, "s": sum(range(2500))}]


def test_unknown_uri_scheme_is_a_config_error_in_one_line_without_the_password():
    with pytest.raises(ConfigError, match="unknown URI scheme") as exc:
        kb.connect("ftp://someone:sekrit-pass@example")
    message = str(exc.value)
    assert "ftp://someone:***@example" in message  # the URI is quoted, its password masked
    assert "sekrit" not in message and "\n" not in message


def test_unreachable_neo4j_is_one_line_and_masks_password():
    # the password is in the URI, which the message quotes: it must come out masked
    with pytest.raises(BackendError) as exc:
        kb.connect("bolt://neo4j:sekrit-pass@127.0.0.1:1")
    message = str(exc.value)
    assert "127.0.0.1:1" in message  # the message does quote the URI...
    assert "sekrit" not in message  # ...without the password
    assert "\n" not in message.strip(), message  # and is one line
