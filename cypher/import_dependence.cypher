// name: import_dependence
// description: Who a country depends on for its rare-earth imports in a year: each partner's share by value and by tonnes, the HHI of its sources and the share from partners with an export restriction in force. The answer says which HS codes and years the importer's trade figures cover; where they do not cover the year (and code) asked, it falls back to world mine production that year, marked in basis.
// mode: read
// param: importer: Country - ISO3 code, name or alias of the importing country (JPN)
// param: year: int - the year of the trade figures
// param: hs: str | None = None - HS subheading (280530, 284610, 284690 or 850511); null for all four together
// column: partner: str - the exporting country (the producing country in the fallback); 'Partners not itemised (world total less those listed)' (iso3 WLD) where the importer declares a world total above the partners it lists
// column: iso3: str - its ISO3 code
// column: value_usd: float | None - imports from it, current US$ (null in the fallback)
// column: value_share: float | None - its share of the importer's imports by value, 0-1 (null in the fallback)
// column: tonnes: float | None - imports from it in tonnes, where the source publishes a weight; in the fallback its mine production (t REO)
// column: tonnes_share: float | None - its share of the tonnes published, 0-1; in the fallback its share of world mine production
// column: restricted: bool - the partner had a quota, ban, export control or licence in force that year (not aimed only at others)
// column: hhi: float - Herfindahl-Hirschman index of the sources by value (by tonnes in the fallback), 0-10,000; partners not itemised left out
// column: restricted_share: float | None - share from restricting partners by value (by tonnes in the fallback), 0-1
// column: basis: str - whose figures: reported by the importer, reconciled (BACI), mirror (the exporters' declarations), or 'world mine production (no trade figures for this year and code)'
// column: year: int - the year of the figures: the year asked for trade, the latest mine-production year up to it in the fallback
// column: coverage: str - the HS codes and years the importer's trade figures cover in the KB (e.g. 'HS 850511: 2022, 2024'), or that there are none
// column: source: str - title of the one source the figures come from
// column: tier: str | None - the tier of that source
MATCH (c:Country {iso3: $importer})
// what the importer's trade figures cover, any source: codes and their years
OPTIONAL MATCH (c)-[:IMPORTED]->(f0:TradeFlow)
WITH c, f0.hs_code AS h, f0.year AS y
ORDER BY h, y
WITH c, h, collect(DISTINCT y) AS ys
ORDER BY h
WITH c, collect(CASE WHEN h IS NOT NULL
                     THEN 'HS ' + h + ': ' + reduce(t = '', x IN ys | t + CASE WHEN t = '' THEN '' ELSE ', ' END + toString(x))
                END) AS cov
WITH c, CASE WHEN size(cov) = 0 THEN 'no trade figures for ' + c.name
             ELSE reduce(t = '', x IN cov | t + CASE WHEN t = '' THEN '' ELSE '; ' END + x) END AS coverage
// the one source the answer comes from: the importer's own declarations, else reconciled, else mirror; the latest
OPTIONAL MATCH (c)-[:IMPORTED]->(f1:TradeFlow {year: $year})-[:SOURCED_FROM]->(s1:Source)
WHERE $hs IS NULL OR f1.hs_code = $hs
WITH DISTINCT c, coverage, s1 AS s,
     CASE WHEN f1 IS NULL THEN 3 WHEN f1.reporter = c.iso3 THEN 0 WHEN f1.reporter IS NULL THEN 1 ELSE 2 END AS basis
ORDER BY basis, s.date DESC, s.id DESC
LIMIT 1
OPTIONAL MATCH (c)-[:IMPORTED]->(f:TradeFlow {year: $year})-[:SOURCED_FROM]->(s)
WHERE s IS NOT NULL AND ($hs IS NULL OR f.hs_code = $hs)
  AND CASE WHEN f.reporter = c.iso3 THEN 0 WHEN f.reporter IS NULL THEN 1 ELSE 2 END = basis
// a flow from no country is the importer's imports from the World less the partners it lists (WLD)
OPTIONAL MATCH (p:Country)-[:EXPORTED]->(f)
WITH c, coverage, s, basis, CASE WHEN f IS NULL THEN null ELSE coalesce(p.iso3, 'WLD') END AS piso,
     sum(coalesce(f.value_usd, 0.0)) AS value, count(f.value_usd) AS n_value,
     sum(coalesce(f.tonnes, 0.0)) AS tonnes, count(f.tonnes) AS n_tonnes
WITH c, coverage, s, basis,
     collect(CASE WHEN piso IS NOT NULL THEN {iso3: piso, value: CASE WHEN n_value > 0 THEN value END,
                                              tonnes: CASE WHEN n_tonnes > 0 THEN tonnes END} END) AS trade
// the fallback: world mine production, the latest year up to the one asked, from the latest edition giving it
OPTIONAL MATCH (w0:Production {stage: 'mining', iso3: 'WLD'})
WHERE w0.year <= $year
WITH c, coverage, s, basis, trade, max(w0.year) AS py
OPTIONAL MATCH (w:Production {stage: 'mining', iso3: 'WLD', year: py})-[:SOURCED_FROM]->(ws:Source)
WITH c, coverage, s, basis, trade, py, w, ws
ORDER BY ws.date DESC, ws.id DESC
LIMIT 1
OPTIONAL MATCH (pp:Production {stage: 'mining', year: py})-[:SOURCED_FROM]->(ws)
WHERE size(trade) = 0 AND pp.iso3 <> 'WLD' AND pp.tonnes IS NOT NULL
WITH c, coverage, s, basis, trade, py, ws, w.tonnes AS world,
     collect(CASE WHEN pp IS NOT NULL THEN {iso3: pp.iso3, value: null, tonnes: pp.tonnes} END) AS mine
WITH c, coverage, py, world,
     CASE WHEN size(trade) > 0 THEN s ELSE ws END AS s,
     CASE WHEN size(trade) > 0 THEN basis ELSE 3 END AS basis,
     CASE WHEN size(trade) > 0 THEN trade ELSE mine END AS partners
UNWIND partners AS r
OPTIONAL MATCH (p:Country {iso3: r.iso3})
OPTIONAL MATCH (p)-[:IMPOSED]->(m:Measure)
WHERE m.kind IN ['quota', 'ban', 'export-control', 'licence']
  AND (m.year = $year
       OR (m.year IS NULL AND m.start IS NOT NULL AND m.start <= toString($year) + '-12-31'
           AND (m.end IS NULL OR m.end >= toString($year))))
OPTIONAL MATCH (m)-[:TARGETS]->(t:Country)
WITH c, coverage, py, world, s, basis, p, r, m, collect(t.iso3) AS targets
WITH c, coverage, py, world, s, basis, p, r,
     sum(CASE WHEN m IS NOT NULL AND (size(targets) = 0 OR c.iso3 IN targets) THEN 1 ELSE 0 END) > 0 AS restricted
WITH coverage, py, world, s, basis,
     collect({iso3: r.iso3, restricted: restricted, value: r.value, tonnes: r.tonnes,
              name: CASE WHEN r.iso3 = 'WLD' THEN 'Partners not itemised (world total less those listed)'
                         ELSE p.name END}) AS rows
// totals: the sums of the partners; in the fallback the world total (it includes countries not itemised)
WITH coverage, py, s, basis, rows,
     reduce(t = 0.0, r IN rows | t + coalesce(r.value, 0.0)) AS total_value,
     CASE WHEN basis = 3 AND world > 0 THEN world
          ELSE reduce(t = 0.0, r IN rows | t + coalesce(r.tonnes, 0.0)) END AS total_tonnes
// HHI and the restricted share by value; by tonnes where no value is published (the fallback)
WITH coverage, py, s, basis, rows, total_value, total_tonnes,
     [r IN rows | CASE WHEN total_value > 0 THEN coalesce(r.value, 0.0) / total_value
                       WHEN total_tonnes > 0 THEN coalesce(r.tonnes, 0.0) / total_tonnes ELSE 0.0 END] AS shares
WITH coverage, py, s, basis, rows, total_value, total_tonnes,
     // the partners not itemised are many, not one: left out of the HHI (a lower bound then)
     reduce(h = 0.0, i IN range(0, size(rows) - 1) | h + CASE WHEN rows[i].iso3 = 'WLD' THEN 0.0
                                                             ELSE 10000.0 * shares[i] * shares[i] END) AS hhi,
     reduce(t = 0.0, i IN range(0, size(rows) - 1) | t + CASE WHEN rows[i].restricted THEN shares[i] ELSE 0.0 END)
       AS restricted_share
UNWIND rows AS r
RETURN r.name AS partner, r.iso3 AS iso3, r.value AS value_usd,
       CASE WHEN total_value > 0 AND r.value IS NOT NULL THEN r.value / total_value END AS value_share,
       r.tonnes AS tonnes,
       CASE WHEN total_tonnes > 0 AND r.tonnes IS NOT NULL THEN r.tonnes / total_tonnes END AS tonnes_share,
       r.restricted AS restricted, round(100.0 * hhi) / 100.0 AS hhi,
       CASE WHEN total_value > 0 OR total_tonnes > 0 THEN restricted_share END AS restricted_share,
       CASE basis WHEN 0 THEN 'reported by the importer' WHEN 1 THEN 'reconciled' WHEN 2 THEN 'mirror'
                  ELSE 'world mine production (no trade figures for this year and code)' END AS basis,
       CASE WHEN basis = 3 THEN py ELSE $year END AS year, coverage, s.title AS source, s.tier AS tier
ORDER BY coalesce(value_share, tonnes_share) DESC, partner
