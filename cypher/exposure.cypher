// name: exposure
// description: What an importer depends on a restricting country for, element by element: the restrictor's share at each stage the element passes through (mining, light or heavy separation, and metal and magnet making where a facility names the element), its share of the importer's imports where trade figures exist, the uses and technologies the element feeds, and the restrictor's export restrictions in force that cover it (those aimed only at other countries left out; those aimed only at the importer's military end users or listed entities kept apart and marked).
// mode: read
// param: importer: Country - ISO3 code, name or alias of the importing country (JPN)
// param: restrictor: Country - ISO3 code, name or alias of the country it may depend on (CHN)
// column: symbol: str - the element
// column: element: str - its name
// column: commodities: list[str] - the commodities it belongs to (ids)
// column: share: float | None - the headline share coming from the restrictor, 0-1: of the importer's imports of those commodities' goods (HS; cerium compounds for Ce only) by value, by tonnes where no value is published; without trade figures, its share at the stage where it holds most (stage)
// column: basis: str - trade (reported by the importer), trade (reconciled), trade (mirror), or the stage's country figures ('separation (country figures)'; 'second-hand' where read on a quoting page)
// column: stage: str | None - the stage the headline share is at (null for a trade share)
// column: year: int | None - the year of those figures (the latest with any)
// column: stage_shares: list[str] - the restrictor's share at each stage the element passes through, 'stage: share (year)', naming the stage of the figures where they do not tell light and heavy separation apart
// column: uses: list[str] - what the element is used for
// column: technologies: list[str] - technologies that depend on it through those uses
// column: measures: list[str] - the restrictor's export restrictions in force (started, no end recorded for it or the measure it is part of) that cover the element and reach the importer: aimed at all destinations or at the importer; a suspension is noted after the name
// column: end_user_measures: list[str] - those aimed only at the importer's military end users or at listed entities, each marked '(military end users)' or '(listed entities)'
// column: source: str | None - title of the source of the share
MATCH (c:Country {iso3: $importer})
MATCH (r:Country {iso3: $restrictor})
// the restrictor's share at each stage with country figures: the latest year with a world total or
// shares, the latest source that year (read once, not per element)
UNWIND ['mining', 'separation', 'separation-light', 'separation-heavy', 'metal', 'magnet'] AS fst
OPTIONAL MATCH (p0:Production {stage: fst})-[:SOURCED_FROM]->(s0:Source)
WHERE (p0.share IS NOT NULL OR p0.iso3 = 'WLD') AND p0.basis IS NULL
WITH c, r, fst, p0, s0 ORDER BY p0.year DESC, s0.date DESC, s0.id DESC
WITH c, r, fst, collect({year: p0.year, sid: s0.id, title: s0.title})[0] AS pick
WITH c, r, fst, pick.year AS fy, pick.sid AS fsid, pick.title AS ftitle
OPTIONAL MATCH (w:Production {stage: fst, year: fy, iso3: 'WLD'})-[:SOURCED_FROM]->(:Source {id: fsid})
WITH c, r, fst, fy, fsid, ftitle, max(w.tonnes) AS wt
OPTIONAL MATCH (rp:Production {stage: fst, year: fy, iso3: r.iso3})-[:SOURCED_FROM]->(:Source {id: fsid})
WITH c, r, fst, fy, ftitle, wt, collect(rp)[0] AS rp
WITH c, r, collect(CASE WHEN rp IS NOT NULL THEN {stage: fst, year: fy, title: ftitle, sh: rp.second_hand,
     share: CASE WHEN rp.share IS NOT NULL THEN rp.share WHEN wt > 0 AND rp.tonnes IS NOT NULL THEN rp.tonnes / wt END} END) AS sfigs
// one pass over the importer's imports: totals by subheading, year, whose figures (tier) and source
OPTIONAL MATCH (c)-[:IMPORTED]->(f:TradeFlow)
OPTIONAL MATCH (f)-[:SOURCED_FROM]->(s:Source)
OPTIONAL MATCH (x:Country)-[:EXPORTED]->(f)
WITH c, r, sfigs, f.hs_code AS hs_code, f.year AS y,
     CASE WHEN f.reporter = c.iso3 THEN 0 WHEN f.reporter IS NULL THEN 1 ELSE 2 END AS t,
     s.date + '|' + s.id AS sk, s.title AS title,
     sum(coalesce(f.value_usd, 0.0)) AS gtv, sum(CASE WHEN x.iso3 = r.iso3 THEN coalesce(f.value_usd, 0.0) ELSE 0.0 END) AS grv,
     sum(coalesce(f.tonnes, 0.0)) AS gtt, sum(CASE WHEN x.iso3 = r.iso3 THEN coalesce(f.tonnes, 0.0) ELSE 0.0 END) AS grt
WITH c, r, sfigs,
     collect({hs: hs_code, y: y, t: t, sk: sk, title: title, tv: gtv, rv: grv, tt: gtt, rt: grt}) AS groups
MATCH (e:Element)
OPTIONAL MATCH (e)-[:PART_OF]->(cm:Commodity)
WITH c, r, sfigs, groups, e, cm ORDER BY cm.id
WITH c, r, sfigs, groups, e, collect(cm.id) AS commodities, collect(cm.hs_codes) AS hs_lists
WITH c, r, sfigs, e, commodities,
     [g IN groups WHERE g.hs IN [h IN reduce(acc = [], x IN hs_lists | acc + x) WHERE h <> '284610' OR e.symbol = 'Ce']] AS gs
// per element: the latest year with figures, the best tier that year (the importer's own, reconciled,
// mirror), the latest source of those, and the sums of that source's figures
WITH c, r, sfigs, e, commodities, gs,
     reduce(m = null, g IN gs | CASE WHEN m IS NULL OR g.y > m THEN g.y ELSE m END) AS ty
WITH c, r, sfigs, e, commodities, ty, [g IN gs WHERE g.y = ty] AS gs
WITH c, r, sfigs, e, commodities, ty, gs,
     reduce(m = null, g IN gs | CASE WHEN m IS NULL OR g.t < m THEN g.t ELSE m END) AS tb
WITH c, r, sfigs, e, commodities, ty, tb, [g IN gs WHERE g.t = tb] AS gs
WITH c, r, sfigs, e, commodities, ty, tb, gs,
     reduce(m = null, g IN gs | CASE WHEN g.sk IS NOT NULL AND (m IS NULL OR g.sk > m) THEN g.sk ELSE m END) AS top
WITH c, r, sfigs, e, commodities, ty, tb, [g IN gs WHERE g.sk = top] AS gs
WITH c, r, sfigs, e, commodities, ty, tb,
     reduce(a = 0.0, g IN gs | a + g.tv) AS tv, reduce(a = 0.0, g IN gs | a + g.rv) AS rv,
     reduce(a = 0.0, g IN gs | a + g.tt) AS tt, reduce(a = 0.0, g IN gs | a + g.rt) AS rt,
     [g IN gs | g.title] AS tsources
// the stages the element passes through: mining, the separation of its group, metal and magnet making where
// a facility names it; at each the restrictor's share from that stage's figures, or (separation) from figures
// of light and heavy separation together
WITH c, r, sfigs, e, commodities, ty, tb, tv, rv, tt, rt, tsources,
     [(e)<-[:YIELDS|SEPARATES]-(ef:Facility) | ef.stages] AS efs
WITH c, r, sfigs, e, commodities, ty, tb, tv, rv, tt, rt, tsources,
     ['mining', CASE WHEN e.group = 'heavy' THEN 'separation-heavy' ELSE 'separation-light' END]
     + [x IN ['metal', 'magnet'] WHERE any(fs IN efs WHERE x IN fs)] AS est
WITH c, r, e, commodities, ty, tb, tv, rv, tt, rt, tsources,
     [st IN est | {stage: st, fig: coalesce(head([x IN sfigs WHERE x.stage = st AND x.share IS NOT NULL]),
                                           CASE WHEN st STARTS WITH 'separation'
                                                THEN head([x IN sfigs WHERE x.stage = 'separation' AND x.share IS NOT NULL]) END)}] AS efigs
WITH c, r, e, commodities, ty, tb, tv, rv, tt, rt, tsources, [x IN efigs WHERE x.fig IS NOT NULL] AS efigs
WITH c, r, e, commodities, ty, tb, tv, rv, tt, rt, tsources, efigs,
     reduce(m = null, x IN efigs | CASE WHEN m IS NULL OR x.fig.share > m.fig.share THEN x ELSE m END) AS top
WITH c, r, e, commodities, top,
     [x IN efigs | x.stage + ': ' + toString(toInteger(round(1000.0 * x.fig.share)) / 10) + '.'
                   + toString(toInteger(round(1000.0 * x.fig.share)) % 10) + '% (' + toString(x.fig.year)
                   + CASE WHEN x.fig.stage <> x.stage THEN ', figures for ' + x.fig.stage ELSE '' END
                   + CASE WHEN x.fig.sh THEN ', second-hand' ELSE '' END + ')'] AS stage_shares,
     CASE WHEN ty IS NULL THEN top.fig.share WHEN tv > 0 THEN rv / tv WHEN tt > 0 THEN rt / tt END AS share,
     CASE WHEN ty IS NULL THEN coalesce(top.fig.stage + ' (country figures' + CASE WHEN top.fig.sh THEN ', second-hand' ELSE '' END + ')', 'none')
          ELSE 'trade (' + CASE tb WHEN 0 THEN 'reported by the importer' WHEN 1 THEN 'reconciled' ELSE 'mirror' END + ')'
     END AS basis,
     CASE WHEN ty IS NULL THEN top.stage END AS stage,
     coalesce(ty, top.fig.year) AS year,
     CASE WHEN ty IS NULL THEN top.fig.title ELSE tsources[0] END AS source
OPTIONAL MATCH (e)-[:USED_IN]->(u:Use)
WITH c, r, e, commodities, share, basis, stage, stage_shares, year, source, u ORDER BY u.name
WITH c, r, e, commodities, share, basis, stage, stage_shares, year, source, collect(DISTINCT u.name) AS uses
OPTIONAL MATCH (e)-[:USED_IN]->(:Use)-[:ENABLES]->(t:Technology)
WITH c, r, e, commodities, share, basis, stage, stage_shares, year, source, uses, t ORDER BY t.name
WITH c, r, e, commodities, share, basis, stage, stage_shares, year, source, uses, collect(DISTINCT t.name) AS technologies
// the restrictor's export restrictions in force that reach the importer, read once (not per element),
// each with the elements it names and the commodities it covers; a measure covers an element if it
// names it, or names no element and covers a commodity the element belongs to
WITH c, r, collect({symbol: e.symbol, element: e.name, n: e.atomic_number, commodities: commodities, share: share,
                    basis: basis, stage: stage, stage_shares: stage_shares, year: year, source: source, uses: uses, technologies: technologies}) AS rows
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
       row.stage AS stage, row.year AS year, row.stage_shares AS stage_shares, row.uses AS uses, row.technologies AS technologies, measures, end_user_measures,
       row.source AS source
ORDER BY row.n
