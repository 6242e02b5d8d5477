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
// column: source: str - title of the first source cited
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
WITH a, countries, organisations, elements, s ORDER BY s.date, s.id
RETURN a.name AS name, a.date AS date, [x IN countries | x.iso3] AS parties, organisations, elements,
       a.tonnes_per_year AS tonnes_per_year, a.status AS status, collect(s.title)[0] AS source
ORDER BY date, name
