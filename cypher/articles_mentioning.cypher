// name: articles_mentioning
// description: Ingested articles that mention every one of the given entities (names, codes or aliases), newest first.
// mode: read
// param: names: list[Entity] - the entities, each by name, code or alias; all must be mentioned
// param: limit: int = 100 - how many rows (a page)
// param: offset: int = 0 - how many to skip first (the next page starts at offset + limit)
// column: title: str - the article's title
// column: date: str - when it was published
// column: publisher: str - who published it ('unknown' when neither the text nor the ingest said)
// column: mentions: list[str] - every entity the article mentions, most often mentioned first
// the articles are found from their MENTIONS (only ingested articles have them), not by reading every node
MATCH (s:Source)
WITH s  // so FalkorDB starts from the sources, not from every node
MATCH (s)-[:MENTIONS]->(e)
WHERE size($names) > 0 AND coalesce(e.iso3, e.symbol, e.code, e.id) IN $names
WITH s, count(DISTINCT e) AS found
WHERE found = size($names)
MATCH (s)-[m:MENTIONS]->(e)
WITH s, m, e
ORDER BY m.count DESC, coalesce(e.name, e.title, e.code)
WITH s, collect(coalesce(e.name, e.title, e.code)) AS mentions
RETURN s.title AS title, s.date AS date, s.publisher AS publisher, mentions
ORDER BY date DESC, title, publisher
SKIP $offset LIMIT $limit
