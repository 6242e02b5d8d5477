// name: figure_vintages
// description: One country-year's figure in every edition that gives it, oldest edition first: how a figure was estimated, then revised or corrected (a release's corrected version is an edition of its own, with its version and date), and the USGS Minerals Yearbook and historical series (Data Series 140, world totals with China at its official quota) beside the Mineral Commodity Summaries.
// mode: read
// param: iso3: str - ISO3 code, name or alias of the country (CHN, China; WLD for the world total)
// param: year: int - the year of the figure
// param: stage: Stage = 'mining' - mining, separation, refining, metal or magnets
// param: measure: str = 'production' - production, or reserves (then stage is not used)
// column: source: str - title of the edition
// column: edition: str | None - the edition as the source names it, with its version where the release was corrected
// column: date: str - publication date of the edition (of the version)
// column: tonnes: float | None - tonnes of rare-earth oxide equivalent (null where only a share is published)
// column: share: float | None - share of the world as published, 0-1
// column: estimated: bool | None - whether that edition marks the figure as an estimate
// column: basis: str | None - how the figure was compiled when it is not a country table's ('historical series')
// column: note: str | None - the record's note (footnotes, how it was read, corrections)
// column: tier: str | None - the tier of the edition's source
// column: second_hand: bool | None - the figure was read on a page quoting the edition, not in a copy of it
CALL {
  OPTIONAL MATCH (c:Country)
  WHERE toLower(trim($iso3)) IN c.names_lc
  WITH collect(c.iso3) AS found
  // the world total (WLD) has no Country node: match the figure's own iso3
  WITH CASE WHEN size(found) > 0 THEN found[0]
            WHEN toLower(trim($iso3)) IN ['world', 'world total'] THEN 'WLD'
            ELSE toUpper(trim($iso3)) END AS code
  MATCH (p:Production {year: $year, stage: $stage, iso3: code})-[:SOURCED_FROM]->(s:Source)
  WHERE toLower($measure) = 'production'
  RETURN s, p.tonnes AS tonnes, p.share AS share, p.estimated AS estimated, p.basis AS basis, p.note AS note,
         p.second_hand AS second_hand
  UNION
  OPTIONAL MATCH (c:Country)
  WHERE toLower(trim($iso3)) IN c.names_lc
  WITH collect(c.iso3) AS found
  WITH CASE WHEN size(found) > 0 THEN found[0]
            WHEN toLower(trim($iso3)) IN ['world', 'world total'] THEN 'WLD'
            ELSE toUpper(trim($iso3)) END AS code
  MATCH (p:Reserves {year: $year, iso3: code})-[:SOURCED_FROM]->(s:Source)
  WHERE toLower($measure) = 'reserves'
  RETURN s, p.tonnes AS tonnes, null AS share, p.estimated AS estimated, null AS basis, p.note AS note,
         p.second_hand AS second_hand
}
RETURN s.title AS source, s.edition AS edition, s.date AS date, tonnes, share, estimated, basis, note,
       s.tier AS tier, coalesce(second_hand, false) AS second_hand
ORDER BY date, s.id
