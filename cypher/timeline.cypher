// name: timeline
// description: Events between two years, optionally only those involving a country, in date order.
// mode: read
// param: start_year: int - first year
// param: end_year: int - last year
// param: iso3: Country | None = None - ISO3 code, name or alias of a country; null for all
// column: date: str - ISO date
// column: event: str - what happened
// column: kind: str - kind of event
// column: countries: list[str] - countries involved (ISO3)
MATCH (e:Event)
WHERE e.year >= $start_year AND e.year <= $end_year  // an integer: FalkorDB drops string range filters through an index (FalkorDB#2239)
OPTIONAL MATCH (e)-[:INVOLVES]->(c:Country)
WITH e, c ORDER BY c.iso3
WITH e, collect(c) AS countries
WHERE $iso3 IS NULL OR any(x IN countries WHERE x.iso3 = $iso3)
RETURN e.date AS date, e.name AS event, e.kind AS kind, [x IN countries | x.iso3] AS countries
ORDER BY date, event
