// name: co_mentions
// description: What ingested articles mention together with an entity, and how often: in how many articles and how many times.
// mode: read
// param: name: Entity - the entity's name, code or alias (case-insensitive)
// param: limit: int = 100 - how many rows (a page)
// param: offset: int = 0 - how many to skip first (the next page starts at offset + limit)
// column: name: str - an entity mentioned in the same articles
// column: label: str - what kind of entity it is
// column: articles: int - how many of the entity's articles mention it
// column: mentions: int - how many times those articles mention it
MATCH (n) WHERE coalesce(n.iso3, n.symbol, n.code, n.id) = $name AND n.names_lc IS NOT NULL
MATCH (n)<-[:MENTIONS]-(s:Source)
WITH collect(DISTINCT n) AS targets, collect(DISTINCT s) AS sources
UNWIND sources AS s
MATCH (s)-[m:MENTIONS]->(o)
WHERE NOT o IN targets
RETURN coalesce(o.name, o.title, o.code) AS name, labels(o)[0] AS label,
       count(DISTINCT s) AS articles, sum(m.count) AS mentions
ORDER BY articles DESC, mentions DESC, name, label
SKIP $offset LIMIT $limit
