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
// column: source: str - title of the most authoritative source cited: the best tier (official, intergovernmental, company, press, other), then the one dated closest to the agreement
// column: tier: str | None - the tier of that source
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
// dates are ISO YYYY[-MM[-DD]]: compare them as approximate day numbers (no date() on FalkorDB)
WITH a, parties, organisations, elements, s,
     CASE s.tier WHEN 'official' THEN 0 WHEN 'intergovernmental' THEN 1 WHEN 'company' THEN 2
                 WHEN 'press' THEN 3 WHEN 'other' THEN 4 ELSE 5 END AS rank,
     [d IN [a.date, s.date] | toInteger(substring(d, 0, 4)) * 372
        + 31 * CASE WHEN size(d) >= 7 THEN toInteger(substring(d, 5, 2)) ELSE 1 END
        + CASE WHEN size(d) >= 10 THEN toInteger(substring(d, 8, 2)) ELSE 1 END] AS days
WITH a, parties, organisations, elements, s, rank, abs(days[0] - days[1]) AS distance
ORDER BY rank, distance, s.date, s.id
WITH a, parties, organisations, elements, collect({title: s.title, tier: s.tier}) AS ranked
RETURN a.name AS name, a.date AS date, parties, organisations, elements,
       a.tonnes_per_year AS tonnes_per_year, a.status AS status, ranked[0].title AS source,
       ranked[0].tier AS tier
ORDER BY date, name
