// name: alternative_suppliers
// description: Countries that mine rare earths other than the one to avoid, in the latest year with figures, with the importer's agreements with each and their facilities that yield the element.
// mode: read
// param: importer: Country - ISO3 code, name or alias of the importing country (JPN)
// param: symbol: Element - the element needed (symbol, name or alias)
// param: exclude: Country = 'CHN' - ISO3 code, name or alias of the supplier to avoid
// column: country: str - the alternative supplier
// column: iso3: str - its ISO3 code
// column: tonnes: float | None - its mine production, t REO
// column: share: float | None - its share of world mine production, 0-1
// column: year: int - the year of the figures
// column: agreements: list[str] - agreements between the importer (or its organisations) and that country (or its organisations)
// column: facilities: list[str] - that country's facilities known to yield the element
MATCH (imp:Country {iso3: $importer})
MATCH (el:Element {symbol: $symbol})
// the importer's agreements and the countries on their other side, directly or through organisations
// (read once, not once per producer)
// (pattern comprehensions: no aggregation that would carry the lists as grouping keys)
WITH imp, el,
     [(imp)-[:PARTY_TO]->(a1:Agreement)<-[:PARTY_TO]-(c1:Country) | [c1.iso3, a1.name]]
     + [(imp)<-[:BASED_IN]-(:Organisation)-[:PARTY_TO]->(a2:Agreement)<-[:PARTY_TO]-(:Organisation)-[:BASED_IN]->(c2:Country)
        | [c2.iso3, a2.name]] AS ties
MATCH (w:Production {stage: 'mining', iso3: 'WLD'})
WITH imp, el, ties, max(w.year) AS year
MATCH (w:Production {stage: 'mining', iso3: 'WLD', year: year})-[:SOURCED_FROM]->(s:Source)
WHERE w.basis IS NULL
WITH imp, el, ties, year, w, s ORDER BY s.date DESC, s.id DESC LIMIT 1
MATCH (p:Production {stage: 'mining', year: year})-[:SOURCED_FROM]->(s)
MATCH (p)-[:OF_COUNTRY]->(c:Country)
WHERE c.iso3 <> $exclude AND c.iso3 <> imp.iso3
WITH el, year, w, p, c, [t IN ties WHERE t[0] = c.iso3 | t[1]] AS deals
UNWIND (CASE WHEN size(deals) = 0 THEN [null] ELSE deals END) AS deal
WITH el, year, w, p, c, deal ORDER BY deal
WITH el, year, w, p, c, collect(DISTINCT deal) AS deals
OPTIONAL MATCH (c)<-[:LOCATED_IN]-(f:Facility)-[:YIELDS]->(el)
WITH year, w, p, c, deals, f ORDER BY f.name
RETURN c.name AS country, c.iso3 AS iso3, p.tonnes AS tonnes,
       CASE WHEN w.tonnes > 0 AND p.tonnes IS NOT NULL THEN round(10000.0 * p.tonnes / w.tonnes) / 10000.0 END AS share,
       year, deals AS agreements, collect(DISTINCT f.name) AS facilities
ORDER BY coalesce(tonnes, 0.0) DESC, country
