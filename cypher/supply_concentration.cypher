// name: supply_concentration
// description: How concentrated supply is in a year and stage: the Herfindahl-Hirschman index and the largest producer's share, with the share of the world total the itemised countries cover (the HHI is a lower bound when that is under 0.95).
// mode: read
// param: year: int - the year of the figures
// param: stage: Stage = 'mining' - mining, separation, refining, metal or magnets
// column: hhi: float - sum of squared percentage shares, 0-10,000 (above 2,500 is highly concentrated)
// column: top_country: str - the largest producer
// column: top_share: float - its share of the world total, 0-1
// column: countries: int - how many countries the figures name
// column: source: str - title of the edition the figures come from
// column: coverage: float | None - share of the world total the countries named cover, 0-1 (world totals are rounded: can exceed 1 a little); null when unknown
// column: lower_bound: bool - the HHI counts only the countries named and is a lower bound: coverage under 0.95 or unknown
// column: tier: str | None - the tier of the source (official, intergovernmental, company, press, other)
MATCH (p:Production {year: $year, stage: $stage})-[:SOURCED_FROM]->(s:Source)
WHERE p.basis IS NULL
WITH s, max(CASE WHEN p.iso3 = 'WLD' THEN 1 ELSE 0 END) AS has_world
ORDER BY has_world DESC, s.date DESC, s.id DESC
LIMIT 1
OPTIONAL MATCH (w:Production {year: $year, stage: $stage, iso3: 'WLD'})-[:SOURCED_FROM]->(s)
WITH s, w
MATCH (p:Production {year: $year, stage: $stage})-[:SOURCED_FROM]->(s)
MATCH (p)-[:OF_COUNTRY]->(c:Country)
WITH s, c, CASE
    WHEN p.share IS NOT NULL THEN p.share
    WHEN w.tonnes > 0 AND p.tonnes IS NOT NULL THEN p.tonnes / w.tonnes
  END AS share
WHERE share IS NOT NULL
WITH s, c, share ORDER BY share DESC, c.name
WITH s, collect({name: c.name, share: share}) AS shares
WITH s, shares, reduce(t = 0.0, x IN shares | t + x.share) AS coverage
RETURN round(100.0 * reduce(h = 0.0, x IN shares | h + (100.0 * x.share) * (100.0 * x.share))) / 100.0 AS hhi,
       shares[0].name AS top_country, round(10000.0 * shares[0].share) / 10000.0 AS top_share,
       size(shares) AS countries, s.title AS source, round(10000.0 * coverage) / 10000.0 AS coverage,
       coverage < 0.95 AS lower_bound, s.tier AS tier
