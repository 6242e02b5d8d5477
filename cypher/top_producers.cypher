// name: top_producers
// description: The largest producers of rare earths in a year and stage, with their share of the world total and the share of the world total the listed countries cover, from the latest country table that reports that year with a world total (for 2018-2022 the Minerals Yearbook 2022, whose China figure is the official quota; otherwise the latest Mineral Commodity Summaries). The historical series (Data Series 140: U.S. and world only) is left out: it is a vintage in figure_vintages.
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
// column: coverage: float | None - share of the world total that the countries the edition itemises cover (all of them, not only the rows shown), 0-1; can exceed 1 a little as world totals are rounded; null without a world total or shares
// column: tier: str | None - the tier of the source (official, intergovernmental, company, press, other)
// column: second_hand: bool | None - the figure was read on a page quoting the edition, not in a copy of it
MATCH (p:Production {year: $year, stage: $stage})-[:SOURCED_FROM]->(s:Source)
// a historical series (DS140: U.S. and world only) is a vintage, not a country table
WHERE p.basis IS NULL
WITH s, max(CASE WHEN p.iso3 = 'WLD' THEN 1 ELSE 0 END) AS has_world
ORDER BY has_world DESC, s.date DESC, s.id DESC
LIMIT 1
OPTIONAL MATCH (w:Production {year: $year, stage: $stage, iso3: 'WLD'})-[:SOURCED_FROM]->(s)
WITH s, w
MATCH (p:Production {year: $year, stage: $stage})-[:SOURCED_FROM]->(s)
MATCH (p)-[:OF_COUNTRY]->(c:Country)
WITH s, w, collect({country: c.name, iso3: c.iso3, tonnes: p.tonnes, pshare: p.share, estimated: p.estimated,
                    second_hand: p.second_hand}) AS rows
WITH s, w, rows, CASE
    WHEN w.tonnes > 0 THEN reduce(t = 0.0, r IN rows | t + coalesce(r.tonnes, 0.0)) / w.tonnes
    WHEN any(r IN rows WHERE r.pshare IS NOT NULL) THEN reduce(t = 0.0, r IN rows | t + coalesce(r.pshare, 0.0))
  END AS coverage
UNWIND rows AS r
WITH s, r, coverage, CASE
    WHEN r.pshare IS NOT NULL THEN r.pshare
    WHEN w.tonnes > 0 AND r.tonnes IS NOT NULL THEN round(10000.0 * r.tonnes / w.tonnes) / 10000.0
  END AS share
RETURN r.country AS country, r.iso3 AS iso3, r.tonnes AS tonnes, share, s.title AS source,
       r.estimated AS estimated, round(10000.0 * coverage) / 10000.0 AS coverage, s.tier AS tier,
       coalesce(r.second_hand, false) AS second_hand
ORDER BY coalesce(r.tonnes, 0.0) DESC, coalesce(share, 0.0) DESC, country
LIMIT $limit
