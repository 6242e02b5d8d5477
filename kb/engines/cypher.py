"""The one place that builds Cypher text in Python: statements made from the schema (MERGE of
nodes and relationships, indexes and constraints, entity look-ups, counts), each a named function
whose labels, types and keys come from `kb.schema` (never from user input). Everything else — the
canned questions — is Cypher text in ``cypher/``.

    merge_rel("PRODUCES", "Country", "Production")         # for UNWIND $rows AS row ...
    unwind(merge_node("Country"))                           # one statement per batch
"""

from __future__ import annotations

from kb.schema import NODE_KEYS, REL_TYPES


def _label(label: str) -> str:
    if label not in NODE_KEYS:
        raise ValueError(f"label {label!r} is not in the schema")
    return label


def _rtype(rtype: str) -> str:
    if rtype not in REL_TYPES:
        raise ValueError(f"relationship type {rtype!r} is not in the schema")
    return rtype


def key_pattern(var: str, label: str, key_expr: str) -> str:
    """``(var:`Label` {`key`: key_expr})`` for a node found by its natural key."""
    return f"({var}:`{_label(label)}` {{`{NODE_KEYS[label]}`: {key_expr}}})"


def merge_node(label: str, key_expr: str = "row.key", props_expr: str = "row.props",
               on_create: bool = False) -> str:
    """MERGE a node on its natural key and set its properties (with ``on_create``: only when
    the MERGE creates it, so a node some other load wrote keeps its properties)."""
    return f"MERGE {key_pattern('n', label, key_expr)} {'ON CREATE ' if on_create else ''}SET n += {props_expr}"


def merge_rel(rtype: str, a_label: str, b_label: str, a_expr: str = "row.a", b_expr: str = "row.b",
              props_expr: str = "row.props") -> str:
    """MATCH both ends by their natural keys, MERGE the relationship, set its properties."""
    return (f"MATCH {key_pattern('a', a_label, a_expr)} MATCH {key_pattern('b', b_label, b_expr)} "
            f"MERGE (a)-[r:`{_rtype(rtype)}`]->(b) SET r += {props_expr}")


def unwind(statement: str, rows: str = "rows") -> str:
    """The statement once per element of the ``$rows`` list parameter (one round trip a batch)."""
    return f"UNWIND ${rows} AS row {statement}"


def entity_node(label: str) -> str:
    """One node found by its natural key (``$key``), with its properties (for entity pages)."""
    return f"MATCH {key_pattern('n', label, '$key')} RETURN properties(n) AS props"


def entity_neighbours(label: str) -> str:
    """Every relationship of one node (``$key``): its type, direction, properties and the
    neighbour's label and properties, in a stable order (for entity pages)."""
    return (f"MATCH {key_pattern('n', label, '$key')}-[r]-(m) "
            "RETURN type(r) AS type, startNode(r) = n AS outgoing, properties(r) AS props, "
            "labels(m)[0] AS label, properties(m) AS node "
            "ORDER BY type, label, coalesce(m.name, m.title, m.id, m.iso3, m.symbol, m.code) LIMIT $limit")


# --------------------------------------------------------------------------- store upkeep


def any_node() -> str:
    """One node if there is any (whether the store is empty)."""
    return "MATCH (n) RETURN 1 AS one LIMIT 1"


def make_empty_graph() -> str:
    """A write that leaves an empty graph behind (FalkorDB creates a graph on its first write)."""
    return "CREATE (n:_KbInit) DELETE n"


def delete_some_relationships(limit: int) -> str:
    """Delete up to ``limit`` relationships; returns how many (``n``)."""
    return f"MATCH ()-[r]->() WITH r LIMIT {int(limit)} DELETE r RETURN count(*) AS n"


def delete_some_nodes(limit: int) -> str:
    """Delete up to ``limit`` nodes with their relationships; returns how many (``n``)."""
    return f"MATCH (n) WITH n LIMIT {int(limit)} DETACH DELETE n RETURN count(*) AS n"


# --- desk (desk helper): the statements of the web desk's pages and its review

#: the sources an entity page cites (``$ids``), with their tier
DESK_SOURCES = ("MATCH (s:Source) WHERE s.id IN $ids "
                "RETURN s.id AS id, s.title AS title, s.publisher AS publisher, s.date AS date, "
                "s.url AS url, s.tier AS tier ORDER BY s.id")


def desk_claim() -> str:
    """One candidate claim (``$id``) with its article (text included) and the entities it is about."""
    return ("MATCH (c:CandidateClaim {id: $id})-[:SOURCED_FROM]->(s:Source) "
            "OPTIONAL MATCH (c)-[:ABOUT]->(e) "
            "WITH c, s, e ORDER BY labels(e)[0], coalesce(e.name, e.title) "
            "RETURN properties(c) AS claim, properties(s) AS source, "
            "[x IN collect(CASE WHEN e IS NULL THEN NULL ELSE {label: labels(e)[0], props: properties(e)} END) "
            "WHERE x IS NOT NULL] AS about")


def desk_reviewed() -> str:
    """Who reviewed a candidate claim (``$id``) and when: set beside the status the review gave it."""
    return ("MATCH (c:CandidateClaim {id: $id}) SET c.reviewed_by = $by, c.reviewed_at = $at, "
            "c.merged_into = $merged RETURN c.status AS status")


def desk_audit() -> str:
    """Every reviewed candidate claim (accepted or rejected), newest first."""
    return ("MATCH (c:CandidateClaim)-[:SOURCED_FROM]->(s:Source) WHERE c.status IN ['accepted', 'rejected'] "
            "RETURN c.id AS id, c.status AS status, properties(c).record AS record, properties(c).reason AS reason, "
            "properties(c).reviewed_by AS reviewed_by, properties(c).reviewed_at AS reviewed_at, "
            "properties(c).merged_into AS merged_into, c.text AS text, s.id AS source, s.title AS title "
            "ORDER BY coalesce(properties(c).reviewed_at, '') DESC, c.id")


def desk_records(label: str) -> str:
    """Records of one reviewable kind (measures, events, agreements) a claim may be merged into."""
    return (f"MATCH (n:`{_label(label)}`) RETURN n.`{NODE_KEYS[label]}` AS key, "
            "coalesce(n.name, n.title) AS name ORDER BY key")


def desk_add_source(label: str) -> str:
    """Add a Source (``$source``) to an existing record (``$key``): a claim merged into it."""
    return (f"MATCH {key_pattern('n', label, '$key')} MATCH (s:Source {{id: $source}}) "
            "MERGE (n)-[:SOURCED_FROM]->(s) RETURN n.`" + NODE_KEYS[label] + "` AS key")


def desk_merged() -> str:
    """A candidate claim (``$id``) merged into an existing record (``$record``, kind:key)."""
    return "MATCH (c:CandidateClaim {id: $id}) SET c.status = 'accepted', c.record = $record RETURN c.id AS id"


def count_nodes() -> str:
    """How many nodes the graph holds (``kb serve`` says so when it starts)."""
    return "MATCH (n) RETURN count(n) AS n"


# --- ingest (news helper)
# The statements of `kb.ingest` (articles, their mentions and candidate claims, review): named
# functions, so the ingest modules hold no Cypher text. Values always reach them as parameters.

def _key_expr(var: str) -> str:
    """An entity's ``"Label|key"`` in Cypher (its natural key, whatever its label)."""
    keys = [*sorted(set(NODE_KEYS.values()) - {"id"}), "id"]
    return f"labels({var})[0] + '|' + toString(coalesce({', '.join(f'{var}.{k}' for k in keys)}))"


def ingest_merge_source() -> str:
    """MERGE an ingested article's ``Source`` on its id and set its properties (``$rows`` of ``{key, props}``)."""
    return unwind(f"MERGE {key_pattern('s', 'Source', 'row.key')} SET s += row.props")


def ingest_merge_candidates() -> str:
    """MERGE candidate claims on their id; a new one is a ``candidate``, a reviewed one keeps its status."""
    return unwind(f"MERGE {key_pattern('c', 'CandidateClaim', 'row.key')} "
                  "ON CREATE SET c.status = 'candidate' SET c += row.props")


def ingest_rel(rtype: str, a_label: str, b_label: str) -> str:
    """MERGE one relationship per ``$rows`` element ``{a, b, props}`` (ends by natural key)."""
    return unwind(merge_rel(rtype, a_label, b_label))


def ingest_drop_stale_mentions() -> str:
    """Delete the MENTIONS of Source ``$id`` whose entity (``"Label|key"``) is not in ``$keep``."""
    return f"MATCH (:Source {{id: $id}})-[r:MENTIONS]->(e) WHERE NOT (({_key_expr('e')}) IN $keep) DELETE r"


def ingest_drop_stale_candidates() -> str:
    """Delete the unreviewed candidate claims of Source ``$id`` whose id is not in ``$keep``."""
    return ("MATCH (:Source {id: $id})-[:SUGGESTS]->(c:CandidateClaim) WHERE c.status = 'candidate' "
            "AND NOT (c.id IN $keep) DETACH DELETE c")


def ingest_drop_stale_about() -> str:
    """Delete ABOUT links of unreviewed candidates of Source ``$id`` not in ``$keep`` (``"claim>Label|key"``)."""
    return (f"MATCH (:Source {{id: $id}})-[:SUGGESTS]->(c:CandidateClaim)-[r:ABOUT]->(e) "
            f"WHERE c.status = 'candidate' AND NOT ((c.id + '>' + {_key_expr('e')}) IN $keep) DELETE r")


def ingest_source_origins() -> str:
    """The origin of each Source whose id is in ``$ids``."""
    return "MATCH (s:Source) WHERE s.id IN $ids RETURN s.id AS id, properties(s).origin AS origin"


def ingest_curated_sources_on() -> str:
    """Curated (not ingested) Sources dated one of ``$dates``: id, title, date."""
    return ("MATCH (s:Source) WHERE s.date IN $dates AND coalesce(properties(s).origin, '') <> 'ingest' "
            "RETURN s.id AS id, s.title AS title, s.date AS date")


def ingest_lexicon_names() -> str:
    """Every named entity: label, keys, name/title and aliases (``properties(n).x``: no warning
    on Neo4j for a key no node has yet)."""
    return ("MATCH (n) WHERE n.names_lc IS NOT NULL WITH n, properties(n) AS p "
            "RETURN labels(n)[0] AS label, p.iso3 AS iso3, p.symbol AS symbol, p.code AS code, p.id AS id, "
            "p.name AS name, p.title AS title, p.aliases AS aliases")


def ingest_agreement_parties() -> str:
    """Each agreement with its date, party countries (iso3) and party organisations (id)."""
    return ("MATCH (a:Agreement) OPTIONAL MATCH (c:Country)-[:PARTY_TO]->(a) "
            "WITH a, collect(c.iso3) AS countries OPTIONAL MATCH (o:Organisation)-[:PARTY_TO]->(a) "
            "RETURN a.id AS id, a.date AS date, countries, collect(o.id) AS organisations")


def ingest_candidates() -> str:
    """Candidate claims (``$status`` or all when null) with their sentence, entities and article."""
    return ("MATCH (c:CandidateClaim)-[:SOURCED_FROM]->(s:Source) "
            "WHERE $status IS NULL OR c.status = $status "
            "OPTIONAL MATCH (c)-[:ABOUT]->(e) "
            "WITH c, s, e ORDER BY coalesce(e.iso3, e.symbol, e.code, e.id) "
            "WITH c, s, collect(coalesce(e.iso3, e.symbol, e.code, e.id)) AS about "
            "RETURN c.id AS id, c.status AS status, properties(c).cue AS cue, properties(c).quantity AS quantity, "
            "properties(c).unit AS unit, c.text AS text, about, s.id AS source, s.date AS date, s.title AS title, "
            "properties(c).record AS record, properties(c).becomes AS becomes, properties(c).subject AS subject, "
            "properties(c).subject_name AS subject_name, properties(c).match AS match, "
            "properties(c).offset AS offset ORDER BY date, source, c.offset")


def ingest_candidate() -> str:
    """One candidate claim (``$id``) and its article: both nodes' properties."""
    return ("MATCH (c:CandidateClaim {id: $id})-[:SOURCED_FROM]->(s:Source) "
            "RETURN properties(c) AS c, properties(s) AS s")


def ingest_mark_accepted() -> str:
    """Mark candidate ``$id`` accepted as ``$record`` written to ``$file``."""
    return "MATCH (c:CandidateClaim {id: $id}) SET c.status = 'accepted', c.record = $record, c.file = $file"


def ingest_mark_rejected() -> str:
    """Mark candidate ``$id`` rejected, with ``$reason``."""
    return "MATCH (c:CandidateClaim {id: $id}) SET c.status = 'rejected', c.reason = $reason"


def ingest_facility_context() -> str:
    """Each facility with its kind, region, operator (id) and country (iso3), and each
    organisation's kind: what lets a claim's subject be "its refinery near Kuantan"."""
    return ("MATCH (f:Facility) OPTIONAL MATCH (o:Organisation)-[:OPERATES]->(f) "
            "OPTIONAL MATCH (f)-[:LOCATED_IN]->(c:Country) "
            "RETURN 'Facility' AS label, f.id AS id, properties(f).kind AS kind, properties(f).region AS region, "
            "collect(DISTINCT o.id) AS operators, collect(DISTINCT c.iso3) AS countries "
            "UNION ALL MATCH (o:Organisation) "
            "RETURN 'Organisation' AS label, o.id AS id, properties(o).kind AS kind, null AS region, "
            "[] AS operators, [] AS countries")
