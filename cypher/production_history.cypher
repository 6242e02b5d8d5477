// name: production_history
// description: A country's output year by year, each year from the latest edition that reports it (an MCS world table or salient statistics, the Minerals Yearbook, or for the United States before 2010 the historical series Data Series 140), with its share of the world total of that same edition; figure_vintages shows every edition of a year.
// mode: read
// param: iso3: Country - ISO3 code, name or alias of the country (CHN, China)
// param: stage: Stage = 'mining' - mining, separation, refining, metal or magnets
// column: year: int - the year
// column: tonnes: float | None - tonnes of rare-earth oxide equivalent
// column: share: float | None - share of the world total, 0-1
// column: source: str - title of the edition the figure comes from
// column: estimated: bool | None - whether that edition marks the figure as an estimate
// column: tier: str | None - the tier of that edition's source (official, intergovernmental, company, press, other)
// column: second_hand: bool | None - the figure was read on a page quoting the edition, not in a copy of it
MATCH (c:Country)
WHERE c.iso3 = $iso3
MATCH (p:Production {stage: $stage})-[:OF_COUNTRY]->(c)
MATCH (p)-[:SOURCED_FROM]->(s:Source)
WITH p, s ORDER BY p.year, s.date DESC, s.id DESC
WITH p.year AS year, collect({tonnes: p.tonnes, share: p.share, sid: s.id, title: s.title, estimated: p.estimated,
                                     tier: s.tier, second_hand: coalesce(p.second_hand, false)}) AS figures
WITH year, figures[0] AS f
OPTIONAL MATCH (w:Production {year: year, stage: $stage, iso3: 'WLD'})-[:SOURCED_FROM]->(:Source {id: f.sid})
RETURN year, f.tonnes AS tonnes,
       CASE WHEN f.share IS NOT NULL THEN f.share
            WHEN w.tonnes > 0 AND f.tonnes IS NOT NULL THEN round(10000.0 * f.tonnes / w.tonnes) / 10000.0 END AS share,
       f.title AS source, f.estimated AS estimated, f.tier AS tier, f.second_hand AS second_hand
ORDER BY year
