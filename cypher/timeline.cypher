// name: timeline
// description: Events between two years, optionally only those involving a country, in date order.
// mode: read
// param: start_year: int - first year
// param: end_year: int - last year
// param: iso3: Country | None = None - ISO3 code, name or alias of a country; null for all
// param: limit: int = 100 - how many events (a page)
// param: offset: int = 0 - how many to skip first (the next page starts at offset + limit)
// column: date: str - ISO date
// column: event: str - what happened
// column: kind: str - kind of event
// column: countries: list[str] - countries involved (ISO3)
MATCH (e:Event)
WHERE e.year >= $start_year AND e.year <= $end_year  // an integer: FalkorDB drops string range filters through an index (FalkorDB#2239)
  AND ($iso3 IS NULL OR (e)-[:INVOLVES]->(:Country {iso3: $iso3}))
WITH e ORDER BY e.date, e.name, e.id SKIP $offset LIMIT $limit  // the page first, then its countries
OPTIONAL MATCH (e)-[:INVOLVES]->(c:Country)
WITH e, c ORDER BY c.iso3
WITH e, collect(c) AS countries
RETURN e.date AS date, e.name AS event, e.kind AS kind, [x IN countries | x.iso3] AS countries
ORDER BY date, event
