// name: sources_for
// description: Where the facts about an entity come from: the sources of its record, of figures about it, and the claims sources make about it.
// mode: read
// param: name: str - name, code or alias of the entity
// column: title: str - the publication
// column: publisher: str - who published it
// column: date: str - when
// column: url: str | None - where to read it
// column: claim: str | None - what it says: the claim's text, or what the source backs ('record', 'production figures', ...)
MATCH (n) WHERE toLower(trim($name)) IN n.names_lc
MATCH (n)-[:SOURCED_FROM]->(s:Source)
RETURN s.title AS title, s.publisher AS publisher, s.date AS date, s.url AS url, 'record' AS claim
UNION
MATCH (n) WHERE toLower(trim($name)) IN n.names_lc
MATCH (f)-[:OF_COUNTRY]->(n)
MATCH (f)-[:SOURCED_FROM]->(s:Source)
RETURN s.title AS title, s.publisher AS publisher, s.date AS date, s.url AS url,
       CASE WHEN f:Reserves THEN 'reserves figures' ELSE 'production figures' END AS claim
UNION
MATCH (n) WHERE toLower(trim($name)) IN n.names_lc
MATCH (s:Source)-[:CLAIMS]->(c:Claim)-[:ABOUT]->(n)
RETURN s.title AS title, s.publisher AS publisher, s.date AS date, s.url AS url, c.text AS claim
