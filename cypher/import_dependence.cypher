// name: import_dependence
// description: Who a country depends on for its rare-earth imports in a year: each partner's share by value and by tonnes, the HHI of its sources and the share from partners with an export restriction in force.
// mode: read
// param: importer: Country - ISO3 code, name or alias of the importing country (JPN)
// param: year: int - the year of the trade figures
// param: hs: str | None = None - HS subheading (280530, 284610, 284690 or 850511); null for all four together
// column: partner: str - the exporting country
// column: iso3: str - its ISO3 code
// column: value_usd: float | None - imports from it, current US$
// column: value_share: float | None - its share of the importer's imports by value, 0-1
// column: tonnes: float | None - imports from it in tonnes, where the source publishes a weight
// column: tonnes_share: float | None - its share of the tonnes published, 0-1
// column: restricted: bool - the partner had a quota, ban, export control or licence in force that year (not aimed only at others)
// column: hhi: float - Herfindahl-Hirschman index of the importer's sources by value, 0-10,000
// column: restricted_share: float | None - share of the imports by value from restricting partners, 0-1
// column: basis: str - whose figures: reported by the importer, reconciled (BACI) or mirror (the exporters' declarations)
// column: source: str - title of the one source the figures come from
// column: tier: str | None - the tier of that source
MATCH (c:Country {iso3: $importer})
MATCH (c)-[:IMPORTED]->(f:TradeFlow {year: $year})-[:SOURCED_FROM]->(s:Source)
WHERE $hs IS NULL OR f.hs_code = $hs
WITH DISTINCT c, s, CASE WHEN f.reporter = c.iso3 THEN 0 WHEN f.reporter IS NULL THEN 1 ELSE 2 END AS basis
ORDER BY basis, s.date DESC, s.id DESC
LIMIT 1
MATCH (c)-[:IMPORTED]->(f:TradeFlow {year: $year})-[:SOURCED_FROM]->(s)
WHERE ($hs IS NULL OR f.hs_code = $hs)
  AND CASE WHEN f.reporter = c.iso3 THEN 0 WHEN f.reporter IS NULL THEN 1 ELSE 2 END = basis
MATCH (p:Country)-[:EXPORTED]->(f)
WITH c, s, basis, p, sum(coalesce(f.value_usd, 0.0)) AS value, count(f.value_usd) AS n_value,
     sum(coalesce(f.tonnes, 0.0)) AS tonnes, count(f.tonnes) AS n_tonnes
OPTIONAL MATCH (p)-[:IMPOSED]->(m:Measure)
WHERE m.kind IN ['quota', 'ban', 'export-control', 'licence']
  AND (m.year = $year
       OR (m.year IS NULL AND m.start IS NOT NULL AND m.start <= toString($year) + '-12-31'
           AND (m.end IS NULL OR m.end >= toString($year))))
OPTIONAL MATCH (m)-[:TARGETS]->(t:Country)
WITH c, s, basis, p, value, n_value, tonnes, n_tonnes, m, collect(t.iso3) AS targets
WITH c, s, basis, p, value, n_value, tonnes, n_tonnes,
     sum(CASE WHEN m IS NOT NULL AND (size(targets) = 0 OR c.iso3 IN targets) THEN 1 ELSE 0 END) > 0 AS restricted
WITH s, basis, collect({iso3: p.iso3, name: p.name, restricted: restricted,
                        value: CASE WHEN n_value > 0 THEN value END,
                        tonnes: CASE WHEN n_tonnes > 0 THEN tonnes END}) AS rows
WITH s, basis, rows,
     reduce(t = 0.0, r IN rows | t + coalesce(r.value, 0.0)) AS total_value,
     reduce(t = 0.0, r IN rows | t + coalesce(r.tonnes, 0.0)) AS total_tonnes
WITH s, basis, rows, total_value, total_tonnes,
     reduce(h = 0.0, r IN rows | h + CASE WHEN total_value > 0
         THEN (100.0 * coalesce(r.value, 0.0) / total_value) * (100.0 * coalesce(r.value, 0.0) / total_value)
         ELSE 0.0 END) AS hhi,
     reduce(t = 0.0, r IN rows | t + CASE WHEN r.restricted THEN coalesce(r.value, 0.0) ELSE 0.0 END) AS restricted_value
UNWIND rows AS r
RETURN r.name AS partner, r.iso3 AS iso3, r.value AS value_usd,
       CASE WHEN total_value > 0 AND r.value IS NOT NULL THEN r.value / total_value END AS value_share,
       r.tonnes AS tonnes,
       CASE WHEN total_tonnes > 0 AND r.tonnes IS NOT NULL THEN r.tonnes / total_tonnes END AS tonnes_share,
       r.restricted AS restricted, round(100.0 * hhi) / 100.0 AS hhi,
       CASE WHEN total_value > 0 THEN restricted_value / total_value END AS restricted_share,
       CASE basis WHEN 0 THEN 'reported by the importer' WHEN 1 THEN 'reconciled' ELSE 'mirror' END AS basis,
       s.title AS source, s.tier AS tier
ORDER BY value_share DESC, partner
