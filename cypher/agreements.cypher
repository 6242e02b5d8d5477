// name: agreements
// description: Agreements to diversify rare-earth supply, optionally only those a country is party to (itself or through its organisations), in date order, a page at a time.
// mode: read
// param: iso3: Country | None = None - ISO3 code, name or alias of a country; null for all
// param: limit: int = 100 - how many agreements (a page)
// param: offset: int = 0 - how many to skip first (the next page starts at offset + limit)
// column: name: str - the agreement
// column: date: str - date signed or announced
// column: parties: list[str] - countries party to it (ISO3)
// column: organisations: list[str] - organisations party to it
// column: elements: list[str] - elements it covers (symbols)
// column: tonnes_per_year: float | None - volume a year, where published
// column: status: str | None - where it stands
// column: source: str - title of the first source cited
// The country's agreements are found from the country (nothing when $iso3 is null), then the
// page is chosen (filter, order, SKIP/LIMIT on the agreements alone), so the collects below run
// for one page, not for every agreement. (A pattern predicate per agreement instead cost FalkorDB
// ~250 ms at 900 agreements even with $iso3 null: it evaluates the OR's pattern first.)
OPTIONAL MATCH (:Country {iso3: $iso3})-[:PARTY_TO]->(a1:Agreement)
WITH collect(DISTINCT a1.id) AS own
OPTIONAL MATCH (:Country {iso3: $iso3})<-[:BASED_IN]-(:Organisation)-[:PARTY_TO]->(a2:Agreement)
WITH own, collect(DISTINCT a2.id) AS via_organisations
MATCH (a:Agreement)
WHERE $iso3 IS NULL OR a.id IN own OR a.id IN via_organisations
WITH a ORDER BY a.date, a.name, a.id SKIP $offset LIMIT $limit
OPTIONAL MATCH (c:Country)-[:PARTY_TO]->(a)
WITH a, c ORDER BY c.iso3
WITH a, collect(c.iso3) AS parties
OPTIONAL MATCH (o:Organisation)-[:PARTY_TO]->(a)
WITH a, parties, o ORDER BY o.name
WITH a, parties, collect(DISTINCT o.name) AS organisations
OPTIONAL MATCH (a)-[:COVERS]->(e:Element)
WITH a, parties, organisations, e ORDER BY e.atomic_number
WITH a, parties, organisations, collect(DISTINCT e.symbol) AS elements
OPTIONAL MATCH (a)-[:SOURCED_FROM]->(s:Source)
WITH a, parties, organisations, elements, s ORDER BY s.date, s.id
RETURN a.name AS name, a.date AS date, parties, organisations, elements,
       a.tonnes_per_year AS tonnes_per_year, a.status AS status, collect(s.title)[0] AS source
ORDER BY date, name
