"""The one place that builds Cypher text in Python: statements made from the schema (MERGE of
nodes and relationships, indexes and constraints, entity look-ups, counts), each a named function
whose labels, types and keys come from `kb.schema` (never from user input). Everything else — the
canned questions — is Cypher text in ``cypher/``.

    merge_rel("PRODUCES", "Country", "Production")         # for UNWIND $rows AS row ...
    unwind(merge_node("Country"))                           # one statement per batch
"""

from __future__ import annotations

from collections import Counter

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


def node_key(var: str) -> str:
    """The natural key of node ``var`` whatever its label, from the schema's `NODE_KEYS`:
    ``CASE labels(n)[0] WHEN 'Country' THEN n.`iso3` ... ELSE n.`id` END`` (the key most labels
    share is the ELSE branch)."""
    common = Counter(NODE_KEYS.values()).most_common(1)[0][0]
    branches = " ".join(f"WHEN '{label}' THEN {var}.`{key}`" for label, key in sorted(NODE_KEYS.items())
                        if key != common)
    return f"CASE labels({var})[0] {branches} ELSE {var}.`{common}` END"


def caption(var: str) -> str:
    """What to call node ``var`` for people: its name, else its title, else its key."""
    return f"coalesce({var}.name, {var}.title, {node_key(var)})"


def entity_names() -> str:
    """Every entity users find by name (a ``names_lc`` list): label, key, name, aliases, iso2
    (what `kb.queries.resolve.Resolver` reads once)."""
    return ("MATCH (n) WHERE n.names_lc IS NOT NULL "
            f"RETURN labels(n)[0] AS label, {node_key('n')} AS key, "
            f"{caption('n')} AS name, n.aliases AS aliases, n.iso2 AS iso2")


def entity_node(label: str) -> str:
    """One node found by its natural key (``$key``), with its properties (for entity pages)."""
    return f"MATCH {key_pattern('n', label, '$key')} RETURN properties(n) AS props"


def entity_neighbours(label: str) -> str:
    """Every relationship of one node (``$key``): its type, direction, properties and the
    neighbour's label and properties, in a stable order (for entity pages)."""
    return (f"MATCH {key_pattern('n', label, '$key')}-[r]-(m) "
            "RETURN type(r) AS type, startNode(r) = n AS outgoing, properties(r) AS props, "
            "labels(m)[0] AS label, properties(m) AS node "
            f"ORDER BY type, label, {caption('m')} LIMIT $limit")


# --------------------------------------------------------------------------- schema (indexes, constraints)


def _name(text: str) -> str:
    """A label or property name for `Backend.ensure_schema` (the schema's, or a test's own): quoted."""
    if not text or "`" in text:
        raise ValueError(f"cannot quote the name {text!r}")
    return f"`{text}`"


def create_index(label: str, prop: str, name: str | None = None) -> str:
    """An index on ``label``.``prop`` (``name``: Neo4j's, made only if absent; FalkorDB takes none)."""
    head = f"CREATE INDEX {name} IF NOT EXISTS" if name else "CREATE INDEX"
    return f"{head} FOR (n:{_name(label)}) ON (n.{_name(prop)})"


def create_unique(label: str, key: str, name: str) -> str:
    """Neo4j's uniqueness constraint on ``label``.``key``, made only if absent."""
    return f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{_name(label)}) REQUIRE n.{_name(key)} IS UNIQUE"


def list_indexes() -> str:
    """The indexes (``label``, ``properties``), as FalkorDB lists them."""
    return "CALL db.indexes() YIELD label, properties RETURN label, properties"


def list_constraints() -> str:
    """The constraints, as FalkorDB lists them (type, label, properties, ...)."""
    return "CALL db.constraints()"


def await_indexes(seconds: int) -> str:
    """Neo4j: wait until every index is online."""
    return f"CALL db.awaitIndexes({int(seconds)})"


def neo4j_version() -> str:
    """Neo4j's version (``v``)."""
    return "CALL dbms.components() YIELD versions RETURN versions[0] AS v"


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


def count_nodes() -> str:
    """How many nodes (``n``)."""
    return "MATCH (n) RETURN count(n) AS n"


def count_label(label: str) -> str:
    """How many nodes of one label of the schema (``n``)."""
    return f"MATCH (n:`{_label(label)}`) RETURN count(n) AS n"


def every_node() -> str:
    """Every node: its labels and properties (``labels``, ``props``), for the graph's statistics."""
    return "MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"


def every_relationship() -> str:
    """Every relationship with its two ends (``type``, ``al``, ``ap``, ``bl``, ``bp``, ``props``)."""
    return ("MATCH (a)-[r]->(b) RETURN type(r) AS type, labels(a) AS al, properties(a) AS ap, "
            "labels(b) AS bl, properties(b) AS bp, properties(r) AS props")


def production_years() -> str:
    """The years with production figures of one ``$stage`` in an edition's table (``y``); the
    historical series (DS140, ``basis`` set) left out."""
    return "MATCH (p:Production {stage: $stage}) WHERE p.basis IS NULL RETURN DISTINCT p.year AS y"


def count_relationships() -> str:
    """How many relationships (``n``)."""
    return "MATCH ()-[r]->() RETURN count(r) AS n"


def year_range(label: str) -> str:
    """The first and last ``year`` of the nodes of ``label`` (``lo``, ``hi``)."""
    return f"MATCH (n:`{_label(label)}`) RETURN min(n.year) AS lo, max(n.year) AS hi"


# --------------------------------------------------------------------------- LOAD CSV (the benchmark's comparison)

#: a CSV field (text) as the value of a neo4j-admin type (`kb.engines.neo4j_bulk.typed_csv_files`)
_FROM_TEXT = {"long": "toInteger({})", "double": "toFloat({})", "boolean": "toBoolean({})", "string": "{}"}
#: the list separator of the typed CSV files
LIST_SEPARATOR = "\u001f"


def _csv_value(column: str, kind: str) -> str:
    ref = f"row.`{column}`"
    if kind.endswith("[]"):
        return f"[x IN split({ref}, '{LIST_SEPARATOR}') | {_FROM_TEXT[kind[:-2]].format('x')}]"
    return _FROM_TEXT[kind].format(ref)


def _load_csv(url: str, kinds: dict[str, str], batch: int, merge: str) -> str:
    props = "{" + ", ".join(f"`{c}`: {_csv_value(c, k)}" for c, k in sorted(kinds.items())) + "}"
    source = url.replace("\\", "\\\\").replace("'", "\\'")
    return (f"LOAD CSV WITH HEADERS FROM '{source}' AS row "
            f"CALL {{ WITH row {merge.replace('$PROPS', props)} }} IN TRANSACTIONS OF {int(batch)} ROWS")


def load_csv_merge_node(label: str, url: str, kinds: dict[str, str], batch: int) -> str:
    """LOAD CSV of a typed CSV file (key column ``_key``, properties of ``kinds``) merging nodes of
    ``label``, ``batch`` rows a transaction (run it with `Backend.write_autocommit`)."""
    return _load_csv(url, kinds, batch, merge_node(label, "row._key", "$PROPS"))


def load_csv_merge_rel(rtype: str, a_label: str, b_label: str, url: str, kinds: dict[str, str], batch: int) -> str:
    """LOAD CSV of a typed CSV file (end keys ``_a``, ``_b``) merging relationships, as `load_csv_merge_node`."""
    return _load_csv(url, kinds, batch, merge_rel(rtype, a_label, b_label, "row._a", "row._b", "$PROPS"))


# --------------------------------------------------------------------------- pictures (kb.subgraph)


def subgraph() -> str:
    """The entities one of whose names is in ``$names`` (with the sources they cite when ``$sources``),
    each with its outgoing relationships among them (type, label and key of the other end); at most
    ``$limit`` nodes."""
    return f"""
MATCH (n) WHERE n.names_lc IS NOT NULL AND any(x IN n.names_lc WHERE x IN $names)
WITH collect(n) AS found
UNWIND found AS f
OPTIONAL MATCH (f)-[:SOURCED_FROM]->(s:Source) WHERE $sources
WITH found, collect(DISTINCT s) AS cited
WITH found + cited AS ns
UNWIND ns AS a
OPTIONAL MATCH (a)-[r]->(b) WHERE b IN ns
WITH a, collect(CASE WHEN r IS NULL THEN NULL
                ELSE {{type: type(r), label: labels(b)[0], key: {node_key('b')}}} END) AS out
RETURN a AS node, labels(a)[0] AS label, {node_key('a')} AS key, out
LIMIT $limit
"""


def expand_names() -> str:
    """The names of the nodes that entities named in ``$names`` reach by ``$pairs`` ([from label,
    relationship type, to label] each)."""
    return """
UNWIND $pairs AS pair
MATCH (a)-[r]->(b) WHERE pair[0] IN labels(a) AND type(r) = pair[1] AND pair[2] IN labels(b)
  AND a.names_lc IS NOT NULL AND any(x IN a.names_lc WHERE x IN $names)
RETURN DISTINCT b.name AS name
"""


# --------------------------------------------------------------------------- plots (kb.analysis.plots)


def world_production() -> str:
    """The world totals (iso3 WLD) of one ``$stage``, each with the title of its source."""
    return ("MATCH (w:Production {stage: $stage, iso3: 'WLD'})-[:SOURCED_FROM]->(s:Source) "
            "RETURN w.year AS year, w.tonnes AS tonnes, w.note AS note, s.title AS source")


def publishers_of() -> str:
    """The publisher of each source whose title is in ``$titles``."""
    return "MATCH (s:Source) WHERE s.title IN $titles RETURN s.title AS title, s.publisher AS publisher"


def production_year_range() -> str:
    """The first and last year of the production figures of one ``$stage`` (``lo``, ``hi``)."""
    return ("MATCH (p:Production {stage: $stage}) WHERE p.basis IS NULL "  # DS140 is no country table
            "RETURN min(p.year) AS lo, max(p.year) AS hi")


def production_years_by_stage() -> str:
    """The years with country production figures, per stage (``stage``, ``years``)."""
    return ("MATCH (p:Production) WHERE p.iso3 <> 'WLD' AND p.basis IS NULL "
            "RETURN p.stage AS stage, collect(DISTINCT p.year) AS years")


# --------------------------------------------------------------------------- the console (kb.analysis.console)


def label_counts() -> str:
    """Nodes per label (``label``, ``nodes``)."""
    return "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS nodes ORDER BY label"


def relationship_type_counts() -> str:
    """Relationships per type (``type``, ``relationships``)."""
    return "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS relationships ORDER BY type"


def property_keys_by_label() -> str:
    """The property keys in use per label (``label``, ``keys``)."""
    return ("MATCH (n) UNWIND labels(n) AS label UNWIND keys(n) AS key "
            "RETURN label, collect(DISTINCT key) AS keys ORDER BY label")


def db_labels() -> str:
    """The labels the engine knows (``label``)."""
    return "CALL db.labels() YIELD label RETURN label"


def db_relationship_types() -> str:
    """The relationship types the engine knows (``relationshipType``)."""
    return "CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType"


def db_property_keys() -> str:
    """The property keys the engine knows (``propertyKey``)."""
    return "CALL db.propertyKeys() YIELD propertyKey RETURN propertyKey"


def value_of(expression: str) -> str:
    """A Cypher expression's value (``value``), as the console's ``:param name => expression`` asks
    the engine (run as a read, with the parameters it uses)."""
    return f"RETURN {expression} AS value"


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
