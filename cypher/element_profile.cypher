// name: element_profile
// description: One rare-earth element: its identity, light/heavy group (USGS, with the EU's beside it), uses and sources.
// mode: read
// param: symbol: Element - symbol, name or alias, any case (Nd, neodymium)
// column: symbol: str - chemical symbol
// column: name: str - element name
// column: atomic_number: int - atomic number
// column: group: str | None - light or heavy in the USGS classification; null where USGS puts it in neither
// column: group_eu: str | None - light or heavy in the European Commission's classification
// column: uses: list[str] - what the element is used for
// column: sources: list[str] - titles of the publications the element's facts come from
MATCH (e:Element)
WHERE e.symbol = $symbol
OPTIONAL MATCH (e)-[:USED_IN]->(u:Use)
WITH e, u ORDER BY u.name
WITH e, collect(DISTINCT u.name) AS uses
OPTIONAL MATCH (e)-[:SOURCED_FROM]->(s:Source)
WITH e, uses, s ORDER BY s.title
RETURN e.symbol AS symbol, e.name AS name, e.atomic_number AS atomic_number,
       e.group AS group, e.group_eu AS group_eu, uses, collect(DISTINCT s.title) AS sources
