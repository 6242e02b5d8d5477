// name: import_sources
// description: Where a country's rare-earth imports come from, as its statistics agency publishes it: each partner's share over the period, from the latest edition that lists import sources (USGS MCS "Import Sources").
// mode: read
// param: iso3: Country - ISO3 code, name or alias of the importing country (USA)
// column: material: str - what is imported, as published (rare-earth compounds and metals, terbium compounds and metals, ...)
// column: partner: str - the partner as published ('Other countries' for the remainder)
// column: partner_iso3: str | None - its ISO3 code; null for the remainder
// column: share: float - its share of the imports, 0-1
// column: period: str - the period as published (e.g. 2021–24)
// column: from_year: int - first year of the period
// column: to_year: int - last year of the period
// column: note: str | None - the footnotes (e.g. 'Includes Hong Kong')
// column: source: str - title of the edition
// column: tier: str | None - the tier of that source
MATCH (c:Country {iso3: $iso3})<-[:OF_COUNTRY]-(:ImportSource)-[:SOURCED_FROM]->(s:Source)
WITH DISTINCT c, s ORDER BY s.date DESC, s.id DESC
LIMIT 1
MATCH (c)<-[:OF_COUNTRY]-(x:ImportSource)-[:SOURCED_FROM]->(s)
RETURN x.material AS material, x.partner_name AS partner, x.partner AS partner_iso3, x.share AS share,
       x.period AS period, x.from_year AS from_year, x.to_year AS to_year, x.note AS note, s.title AS source,
       s.tier AS tier
ORDER BY CASE WHEN x.material STARTS WITH 'Rare-earth' THEN 0 ELSE 1 END, material,
         CASE WHEN x.partner IS NULL THEN 1 ELSE 0 END, share DESC, partner
