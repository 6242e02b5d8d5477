// name: supply_concentration
// description: How concentrated supply is in a year and stage: the Herfindahl-Hirschman index and the largest producer's share.
// mode: read
// param: year: int - the year of the figures
// param: stage: Stage = 'mining' - mining, separation, refining, metal or magnets
// column: hhi: float - sum of squared percentage shares, 0-10,000 (above 2,500 is highly concentrated)
// column: top_country: str - the largest producer
// column: top_share: float - its share of the world total, 0-1
// column: countries: int - how many countries the figures name
// column: source: str - title of the edition the figures come from
MATCH (p:Production {year: $year, stage: $stage})-[:SOURCED_FROM]->(s:Source)
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
RETURN round(100.0 * reduce(h = 0.0, x IN shares | h + (100.0 * x.share) * (100.0 * x.share))) / 100.0 AS hhi,
       shares[0].name AS top_country, round(10000.0 * shares[0].share) / 10000.0 AS top_share,
       size(shares) AS countries, s.title AS source
