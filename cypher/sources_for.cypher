// name: sources_for
// description: Where the facts about an entity come from: the sources of its record, of figures about it, and the claims sources make about it.
// mode: read
// param: name: Entity - name, code or alias of the entity
// param: limit: int = 100 - how many rows (a page)
// param: offset: int = 0 - how many to skip first (the next page starts at offset + limit)
// column: title: str - the publication
// column: publisher: str - who published it
// column: date: str - when
// column: url: str | None - where to read it
// column: claim: str | None - what it says: the claim's text, or what the source backs ('record', 'production figures', ...)
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
OPTIONAL MATCH (n)-[:SOURCED_FROM]->(s1:Source)
WITH n, collect(DISTINCT {s: s1, claim: 'record'}) AS own
OPTIONAL MATCH (f)-[:OF_COUNTRY]->(n)
OPTIONAL MATCH (f)-[:SOURCED_FROM]->(s2:Source)
WITH n, own, collect(DISTINCT {s: s2, claim: CASE WHEN 'Reserves' IN labels(f) THEN 'reserves figures' ELSE 'production figures' END}) AS figures
OPTIONAL MATCH (s3:Source)-[:CLAIMS]->(c:Claim)-[:ABOUT]->(n)
WITH own, figures, collect(DISTINCT {s: s3, claim: c.text}) AS claims
UNWIND own + figures + claims AS x
WITH x WHERE x.s IS NOT NULL
WITH DISTINCT x.s AS s, x.claim AS claim
RETURN s.title AS title, s.publisher AS publisher, s.date AS date, s.url AS url, claim
ORDER BY date, title, claim, url
SKIP $offset LIMIT $limit
