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
// The entity is found by its key through each entity label's index (a UNION: a node has no
// common label; largest labels first, see docs/engine-bugs.md on FalkorDB's plan).
CALL {
  MATCH (n:Organisation {id: $name}) RETURN n
  UNION MATCH (n:Agreement {id: $name}) RETURN n
  UNION MATCH (n:Country {iso3: $name}) RETURN n
  UNION MATCH (n:Element {symbol: $name}) RETURN n
  UNION MATCH (n:Technology {id: $name}) RETURN n
  UNION MATCH (n:Use {id: $name}) RETURN n
  UNION MATCH (n:Commodity {id: $name}) RETURN n
  UNION MATCH (n:Facility {id: $name}) RETURN n
  UNION MATCH (n:Dispute {code: $name}) RETURN n
  UNION MATCH (n:Measure {id: $name}) RETURN n
  UNION MATCH (n:Event {id: $name}) RETURN n
}
WITH n  // FalkorDB 4.16 forgets that n is bound when a MATCH follows CALL {} directly
MATCH (n)<-[:MENTIONS]-(s:Source)
WITH collect(DISTINCT n) AS targets, collect(DISTINCT s) AS sources
UNWIND sources AS s
MATCH (s)-[m:MENTIONS]->(o)
WHERE NOT o IN targets
RETURN coalesce(o.name, o.title, o.code) AS name, labels(o)[0] AS label,
       count(DISTINCT s) AS articles, sum(m.count) AS mentions
ORDER BY articles DESC, mentions DESC, name, label
SKIP $offset LIMIT $limit
