// name: articles_mentioning
// description: Ingested articles that mention every one of the given entities (names, codes or aliases), newest first.
// mode: read
// param: names: list[str] - the entities, each by name, code or alias (case-insensitive); all must be mentioned
// param: limit: int = 100 - how many rows (a page)
// param: offset: int = 0 - how many to skip first (the next page starts at offset + limit)
// column: title: str - the article's title
// column: date: str - when it was published
// column: publisher: str - who published it ('unknown' when neither the text nor the ingest said)
// column: mentions: list[str] - every entity the article mentions, most often mentioned first
WITH [x IN $names | toLower(trim(x))] AS wanted
MATCH (first) WHERE wanted[0] IN first.names_lc
MATCH (first)<-[:MENTIONS]-(s:Source)
WITH DISTINCT wanted, s
MATCH (s)-[m:MENTIONS]->(e)
WITH wanted, s, m, e
ORDER BY m.count DESC, coalesce(e.name, e.title, e.code)
WITH wanted, s, collect(coalesce(e.name, e.title, e.code)) AS mentions, collect(e.names_lc) AS names
WITH s, mentions, all(w IN wanted WHERE any(n IN names WHERE w IN n)) AS mentions_all
WHERE mentions_all
RETURN s.title AS title, s.date AS date, s.publisher AS publisher, mentions
ORDER BY date DESC, title, publisher
SKIP $offset LIMIT $limit
