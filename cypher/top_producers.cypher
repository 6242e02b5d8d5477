// name: top_producers
// description: The largest producers of rare earths in a year and stage, with their share of the world total, from the latest edition that reports that year.
// mode: read
// param: year: int - the year of the figures
// param: stage: Stage = 'mining' - mining, separation, refining, metal or magnets
// param: limit: int = 10 - how many countries
// column: country: str - country name
// column: iso3: str - ISO 3166 alpha-3 code
// column: tonnes: float | None - tonnes of rare-earth oxide equivalent (null where only a share is published)
// column: share: float | None - share of the world total for that year and stage, 0-1
// column: source: str - title of the edition the figure comes from
// column: estimated: bool | None - whether the source marks the figure as an estimate
MATCH (p:Production {year: $year, stage: $stage})-[:SOURCED_FROM]->(s:Source)
WITH s, max(CASE WHEN p.iso3 = 'WLD' THEN 1 ELSE 0 END) AS has_world
ORDER BY has_world DESC, s.date DESC, s.id DESC
LIMIT 1
OPTIONAL MATCH (w:Production {year: $year, stage: $stage, iso3: 'WLD'})-[:SOURCED_FROM]->(s)
WITH s, w
MATCH (p:Production {year: $year, stage: $stage})-[:SOURCED_FROM]->(s)
MATCH (p)-[:OF_COUNTRY]->(c:Country)
WITH c, p, s, CASE
    WHEN p.share IS NOT NULL THEN p.share
    WHEN w.tonnes > 0 AND p.tonnes IS NOT NULL THEN round(10000.0 * p.tonnes / w.tonnes) / 10000.0
  END AS share
RETURN c.name AS country, c.iso3 AS iso3, p.tonnes AS tonnes, share, s.title AS source,
       p.estimated AS estimated
ORDER BY coalesce(p.tonnes, 0.0) DESC, coalesce(share, 0.0) DESC, country
LIMIT $limit
