// name: agreements
// description: Agreements to diversify rare-earth supply, optionally only those a country is party to (itself or through its organisations).
// mode: read
// param: iso3: Country | None = None - ISO3 code, name or alias of a country; null for all
// column: name: str - the agreement
// column: date: str - date signed or announced
// column: parties: list[str] - countries party to it (ISO3)
// column: organisations: list[str] - organisations party to it
// column: elements: list[str] - elements it covers (symbols)
// column: tonnes_per_year: float | None - volume a year, where published
// column: status: str | None - where it stands
// column: source: str - title of the most authoritative source cited: the best tier (official, intergovernmental, company, press, other), then the one dated closest to the agreement
// column: tier: str | None - the tier of that source
MATCH (a:Agreement)
OPTIONAL MATCH (c:Country)-[:PARTY_TO]->(a)
WITH a, c ORDER BY c.iso3
WITH a, collect(c) AS countries
OPTIONAL MATCH (o:Organisation)-[:PARTY_TO]->(a)
OPTIONAL MATCH (o)-[:BASED_IN]->(oc:Country)
WITH a, countries, o, oc ORDER BY o.name
WITH a, countries, collect(DISTINCT o.name) AS organisations, collect(DISTINCT oc) AS org_countries
WHERE $iso3 IS NULL
   OR any(x IN countries WHERE x.iso3 = $iso3)
   OR any(x IN org_countries WHERE x.iso3 = $iso3)
OPTIONAL MATCH (a)-[:COVERS]->(e:Element)
WITH a, countries, organisations, e ORDER BY e.atomic_number
WITH a, countries, organisations, collect(DISTINCT e.symbol) AS elements
OPTIONAL MATCH (a)-[:SOURCED_FROM]->(s:Source)
// dates are ISO YYYY[-MM[-DD]]: compare them as approximate day numbers (no date() on FalkorDB)
WITH a, countries, organisations, elements, s,
     CASE s.tier WHEN 'official' THEN 0 WHEN 'intergovernmental' THEN 1 WHEN 'company' THEN 2
                 WHEN 'press' THEN 3 WHEN 'other' THEN 4 ELSE 5 END AS rank,
     [d IN [a.date, s.date] | toInteger(substring(d, 0, 4)) * 372
        + 31 * CASE WHEN size(d) >= 7 THEN toInteger(substring(d, 5, 2)) ELSE 1 END
        + CASE WHEN size(d) >= 10 THEN toInteger(substring(d, 8, 2)) ELSE 1 END] AS days
WITH a, countries, organisations, elements, s, rank, abs(days[0] - days[1]) AS distance
ORDER BY rank, distance, s.date, s.id
WITH a, countries, organisations, elements, collect({title: s.title, tier: s.tier}) AS ranked
RETURN a.name AS name, a.date AS date, [x IN countries | x.iso3] AS parties, organisations, elements,
       a.tonnes_per_year AS tonnes_per_year, a.status AS status, ranked[0].title AS source,
       ranked[0].tier AS tier
ORDER BY date, name
