"""The query catalogue: headers are checked, parameters are typed before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.errors import QueryError
from kb.queries import catalog
from kb.queries.catalog import CatalogError, load_catalog

GOOD = """// name: {name}
// description: A probe.
// mode: read
// param: x: int - a number
// column: y: int - the number
RETURN $x AS y
"""


def write(folder: Path, fname: str, text: str) -> None:
    (folder / fname).write_text(text)


EXPECTED_QUESTIONS = {
    "element_profile", "top_producers", "supply_concentration", "production_history", "element_uses",
    "technology_exposure", "disputes", "dispute_timeline", "agreements", "alternative_suppliers",
    "export_restrictions", "connection_paths", "timeline", "sources_for", "search",
    "articles_mentioning", "co_mentions", "import_dependence", "figure_vintages", "exposure",
    "restriction_impact", "prices", "import_reliance", "import_sources", "china_quotas", "supply_chain",
    "chokepoints",
}


def test_bundled_catalogue_has_exactly_the_expected_questions():
    # a question added or lost must be added or removed here too (and in the docs)
    assert set(catalog.catalog()) == EXPECTED_QUESTIONS


def test_two_files_with_one_name_are_named(tmp_path):
    write(tmp_path, "a.cypher", GOOD.format(name="probe"))
    write(tmp_path, "b.cypher", GOOD.format(name="probe"))
    with pytest.raises(CatalogError, match=r"a\.cypher and .*b\.cypher"):
        load_catalog(tmp_path)


def test_declared_parameters_must_match_the_query(tmp_path):
    write(tmp_path, "a.cypher", GOOD.format(name="probe").replace("RETURN $x AS y", "RETURN $x + $z AS y"))
    with pytest.raises(CatalogError, match=r"a\.cypher:6: probe: uses undeclared \$z"):
        load_catalog(tmp_path)
    write(tmp_path, "a.cypher", GOOD.format(name="probe").replace("RETURN $x AS y", "RETURN 1 AS y"))
    with pytest.raises(CatalogError, match="declares unused x"):
        load_catalog(tmp_path)


def test_parameters_in_strings_and_comments_do_not_count(tmp_path):
    write(tmp_path, "a.cypher", GOOD.format(name="probe").replace("RETURN $x AS y", "RETURN $x AS y, '$nope' AS s // $nada"))
    assert list(load_catalog(tmp_path)) == ["probe"]


def test_bad_header_names_the_line(tmp_path):
    write(tmp_path, "a.cypher", GOOD.format(name="probe").replace("x: int", "x: integer"))
    with pytest.raises(CatalogError, match=r"a\.cypher:4: unknown type"):
        load_catalog(tmp_path)


def test_bind_checks_types_before_sending():
    q = catalog.get("top_producers")
    assert q.bind({"year": 2011}) == {"year": 2011, "stage": "mining", "limit": 10}
    with pytest.raises(QueryError, match="missing parameter year"):
        q.bind({})
    with pytest.raises(QueryError, match="unknown parameter yeer"):
        q.bind({"year": 2011, "yeer": 1})
    with pytest.raises(QueryError, match="year must be int"):
        q.bind({"year": "2011"})
    with pytest.raises(QueryError, match="did you mean top_producers"):
        catalog.get("top_producer")


def test_entity_lookups_cover_every_entity_label_by_its_key():
    """The `Entity` questions find their node by a UNION of one key lookup per entity label (no
    common label exists): a label added to the schema must be added to each of those lookups."""
    import re

    from kb.schema import ENTITY_LABELS, NODE_KEYS

    checked = 0
    for q in catalog.catalog().values():
        for p in q.params:
            if p.entity != "Entity" or p.many:
                continue
            found = set(re.findall(r"MATCH \(\w+:(\w+) \{(\w+): \$" + p.name + r"\}\)", q.cypher))
            assert found == {(label, NODE_KEYS[label]) for label in ENTITY_LABELS}, (q.name, p.name)
            checked += 1
    assert checked >= 4
