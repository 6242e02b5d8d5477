// name: exposure
// description: What an importer depends on a restricting country for, element by element: the commodities it belongs to, the share that comes from that country (of the importer's imports of those goods where trade figures exist, of world mine production otherwise), the uses and technologies it feeds, and the country's export restrictions in force that cover it (those aimed only at other countries left out; those aimed only at the importer's military end users or listed entities kept apart and marked).
// mode: read
// param: importer: Country - ISO3 code, name or alias of the importing country (JPN)
// param: restrictor: Country - ISO3 code, name or alias of the country it may depend on (CHN)
// column: symbol: str - the element
// column: element: str - its name
// column: commodities: list[str] - the commodities it belongs to (ids)
// column: share: float | None - share coming from the restrictor, 0-1: of the importer's imports of those commodities' goods (HS; cerium compounds for Ce only) by value, by tonnes where no value is published; of world mine production when the importer has no trade figures
// column: basis: str - trade (reported by the importer), trade (reconciled), trade (mirror) or world mine production
// column: year: int | None - the year of those figures (the latest with any)
// column: uses: list[str] - what the element is used for
// column: technologies: list[str] - technologies that depend on it through those uses
// column: measures: list[str] - the restrictor's export restrictions in force (started, no end recorded for it or the measure it is part of) that cover the element and reach the importer: aimed at all destinations or at the importer; a suspension is noted after the name
// column: end_user_measures: list[str] - those aimed only at the importer's military end users or at listed entities, each marked '(military end users)' or '(listed entities)'
// column: source: str | None - title of the source of the share
MATCH (c:Country {iso3: $importer})
MATCH (r:Country {iso3: $restrictor})
OPTIONAL MATCH (w0:Production {stage: 'mining', iso3: 'WLD'})
WITH c, r, max(w0.year) AS py
OPTIONAL MATCH (w:Production {stage: 'mining', iso3: 'WLD', year: py})-[:SOURCED_FROM]->(ws:Source)
WHERE w.basis IS NULL
WITH c, r, py, w, ws ORDER BY ws.date DESC, ws.id DESC LIMIT 1
OPTIONAL MATCH (rp:Production {stage: 'mining', year: py, iso3: r.iso3})-[:SOURCED_FROM]->(ws)
WITH c, r, py, ws, CASE WHEN w.tonnes > 0 AND rp.tonnes IS NOT NULL THEN rp.tonnes / w.tonnes END AS pshare
// one pass over the importer's imports: totals by subheading, year, whose figures (tier) and source
OPTIONAL MATCH (c)-[:IMPORTED]->(f:TradeFlow)
OPTIONAL MATCH (f)-[:SOURCED_FROM]->(s:Source)
OPTIONAL MATCH (x:Country)-[:EXPORTED]->(f)
WITH c, r, py, ws, pshare, f.hs_code AS hs_code, f.year AS y,
     CASE WHEN f.reporter = c.iso3 THEN 0 WHEN f.reporter IS NULL THEN 1 ELSE 2 END AS t,
     s.date + '|' + s.id AS sk, s.title AS title,
     sum(coalesce(f.value_usd, 0.0)) AS gtv, sum(CASE WHEN x.iso3 = r.iso3 THEN coalesce(f.value_usd, 0.0) ELSE 0.0 END) AS grv,
     sum(coalesce(f.tonnes, 0.0)) AS gtt, sum(CASE WHEN x.iso3 = r.iso3 THEN coalesce(f.tonnes, 0.0) ELSE 0.0 END) AS grt
WITH c, r, py, ws, pshare,
     collect({hs: hs_code, y: y, t: t, sk: sk, title: title, tv: gtv, rv: grv, tt: gtt, rt: grt}) AS groups
MATCH (e:Element)
OPTIONAL MATCH (e)-[:PART_OF]->(cm:Commodity)
WITH c, r, py, ws, pshare, groups, e, cm ORDER BY cm.id
WITH c, r, py, ws, pshare, groups, e, collect(cm.id) AS commodities, collect(cm.hs_codes) AS hs_lists
WITH c, r, py, ws, pshare, e, commodities,
     [g IN groups WHERE g.hs IN [h IN reduce(acc = [], x IN hs_lists | acc + x) WHERE h <> '284610' OR e.symbol = 'Ce']] AS gs
// per element: the latest year with figures, the best tier that year (the importer's own, reconciled,
// mirror), the latest source of those, and the sums of that source's figures
WITH c, r, py, ws, pshare, e, commodities, gs,
     reduce(m = null, g IN gs | CASE WHEN m IS NULL OR g.y > m THEN g.y ELSE m END) AS ty
WITH c, r, py, ws, pshare, e, commodities, ty, [g IN gs WHERE g.y = ty] AS gs
WITH c, r, py, ws, pshare, e, commodities, ty, gs,
     reduce(m = null, g IN gs | CASE WHEN m IS NULL OR g.t < m THEN g.t ELSE m END) AS tb
WITH c, r, py, ws, pshare, e, commodities, ty, tb, [g IN gs WHERE g.t = tb] AS gs
WITH c, r, py, ws, pshare, e, commodities, ty, tb, gs,
     reduce(m = null, g IN gs | CASE WHEN g.sk IS NOT NULL AND (m IS NULL OR g.sk > m) THEN g.sk ELSE m END) AS top
WITH c, r, py, ws, pshare, e, commodities, ty, tb, [g IN gs WHERE g.sk = top] AS gs
WITH c, r, py, ws, pshare, e, commodities, ty, tb,
     reduce(a = 0.0, g IN gs | a + g.tv) AS tv, reduce(a = 0.0, g IN gs | a + g.rv) AS rv,
     reduce(a = 0.0, g IN gs | a + g.tt) AS tt, reduce(a = 0.0, g IN gs | a + g.rt) AS rt,
     [g IN gs | g.title] AS tsources
WITH c, r, e, commodities,
     CASE WHEN ty IS NULL THEN pshare WHEN tv > 0 THEN rv / tv WHEN tt > 0 THEN rt / tt END AS share,
     CASE WHEN ty IS NULL THEN 'world mine production'
          ELSE 'trade (' + CASE tb WHEN 0 THEN 'reported by the importer' WHEN 1 THEN 'reconciled' ELSE 'mirror' END + ')'
     END AS basis,
     coalesce(ty, py) AS year,
     CASE WHEN ty IS NULL THEN ws.title ELSE tsources[0] END AS source
OPTIONAL MATCH (e)-[:USED_IN]->(u:Use)
WITH c, r, e, commodities, share, basis, year, source, u ORDER BY u.name
WITH c, r, e, commodities, share, basis, year, source, collect(DISTINCT u.name) AS uses
OPTIONAL MATCH (e)-[:USED_IN]->(:Use)-[:ENABLES]->(t:Technology)
WITH c, r, e, commodities, share, basis, year, source, uses, t ORDER BY t.name
WITH c, r, e, commodities, share, basis, year, source, uses, collect(DISTINCT t.name) AS technologies
// the restrictor's export restrictions in force that reach the importer, read once (not per element),
// each with the elements it names and the commodities it covers; a measure covers an element if it
// names it, or names no element and covers a commodity the element belongs to
WITH c, r, collect({symbol: e.symbol, element: e.name, n: e.atomic_number, commodities: commodities, share: share,
                    basis: basis, year: year, source: source, uses: uses, technologies: technologies}) AS rows
OPTIONAL MATCH (r)-[:IMPOSED]->(m:Measure)
WHERE m.kind IN ['quota', 'duty', 'licence', 'ban', 'halt', 'export-control']
  AND m.start IS NOT NULL AND m.end IS NULL
// (pattern comprehensions, not aggregations: FalkorDB hashes the carried rows for every grouped row)
WITH c, rows, m, CASE WHEN m IS NULL THEN null ELSE properties(m) END AS mp,
     [(m)-[:COVERS]->(ce:Element) | ce.symbol] AS named, [(m)-[:COVERS]->(cc:Commodity) | cc.id] AS covered_commodities,
     [(m)-[:PART_OF]->(pm:Measure) | pm.end] AS parent_ends, [(m)-[:TARGETS]->(tc:Country) | tc.iso3] AS targets
// in force: no end recorded for it or the measure it is part of; reaching the importer: aimed at all or at it
WITH rows, mp, named, covered_commodities,
     m IS NOT NULL AND size([x IN parent_ends WHERE x IS NOT NULL]) = 0 AND (size(targets) = 0 OR c.iso3 IN targets) AS reaches
ORDER BY mp.start, mp.name
WITH rows, collect(CASE WHEN reaches THEN {name: mp.name, scope: coalesce(mp.target_scope, ''), sf: mp.suspended_from,
                                           su: mp.suspended_until, named: named, commodities: covered_commodities} END) AS ms
UNWIND rows AS row
WITH row, [x IN ms WHERE (size(x.named) > 0 AND row.symbol IN x.named)
                         OR (size(x.named) = 0 AND any(i IN x.commodities WHERE i IN row.commodities))] AS mine
WITH row,
     [x IN mine WHERE NOT x.scope IN ['military-end-users', 'listed-entities']
        | x.name + CASE WHEN x.sf IS NOT NULL THEN ' (suspended from ' + x.sf + coalesce(' until ' + x.su, '') + ')'
                        ELSE '' END] AS measures,
     [x IN mine WHERE x.scope IN ['military-end-users', 'listed-entities']
        | x.name + CASE x.scope WHEN 'military-end-users' THEN ' (military end users)' ELSE ' (listed entities)' END]
       AS end_user_measures
WHERE coalesce(row.share, 0.0) > 0 OR size(measures) > 0 OR size(end_user_measures) > 0
RETURN row.symbol AS symbol, row.element AS element, row.commodities AS commodities,
       CASE WHEN row.share IS NOT NULL THEN round(10000.0 * row.share) / 10000.0 END AS share, row.basis AS basis,
       row.year AS year, row.uses AS uses, row.technologies AS technologies, measures, end_user_measures,
       row.source AS source
ORDER BY row.n
