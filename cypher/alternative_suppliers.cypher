// name: alternative_suppliers
// description: Where an element can be had outside the country to avoid, at one stage: by default the element's first stage that country dominates (three quarters or more of the latest country figures; mining when none). At mining, the countries that mine rare earths, with the importer's agreements with each and their facilities that yield the element; at separation, metal or magnet making, the plants outside that country that handle the element (at separation: that their operator says separate it), operating ones first, each with its latest figure and the importer's agreements.
// mode: read
// param: importer: Country - ISO3 code, name or alias of the importing country (JPN)
// param: symbol: Element - the element needed (symbol, name or alias)
// param: exclude: Country = 'CHN' - ISO3 code, name or alias of the supplier to avoid
// param: stage: Stage | None = None - the stage asked about (separation: the element's light or heavy separation); null for the element's first stage the excluded country dominates
// column: stage: str - the stage answered
// column: country: str - the alternative supplier's country
// column: iso3: str - its ISO3 code
// column: facility: str | None - at separation, metal or magnet making: the plant
// column: status: str | None - the plant's status (operating, construction, planned...)
// column: tonnes: float | None - at mining: the country's mine production, t REO
// column: share: float | None - at mining: its share of world mine production, 0-1
// column: figure: float | None - the plant's latest published output (else capacity), in unit
// column: unit: str | None - that figure's unit as published
// column: year: int | None - the year of the figures
// column: agreements: list[str] - agreements between the importer (or its organisations) and that country (or its organisations)
// column: facilities: list[str] - at mining: that country's facilities known to yield the element; else the plant itself
MATCH (imp:Country {iso3: $importer})
MATCH (el:Element {symbol: $symbol})
// the element's stages, and the excluded country's share at each (the latest country figures)
WITH imp, el, [(el)<-[:YIELDS|SEPARATES]-(ef:Facility) | ef.stages] AS efs,
     CASE WHEN el.group = 'heavy' THEN 'separation-heavy' ELSE 'separation-light' END AS sep
WITH imp, el, sep, ['mining', sep] + [x IN ['metal', 'magnet'] WHERE any(fs IN efs WHERE x IN fs)] AS est
UNWIND ['mining', 'separation', 'separation-light', 'separation-heavy', 'metal', 'magnet'] AS fst
OPTIONAL MATCH (p0:Production {stage: fst})-[:SOURCED_FROM]->(s0:Source)
WHERE p0.share IS NOT NULL OR p0.iso3 = 'WLD'
WITH imp, el, sep, est, fst, p0, s0 ORDER BY p0.year DESC, s0.date DESC, s0.id DESC
WITH imp, el, sep, est, fst, collect({year: p0.year, sid: s0.id})[0] AS pick
WITH imp, el, sep, est, fst, pick.year AS fy, pick.sid AS fsid
OPTIONAL MATCH (w0:Production {stage: fst, year: fy, iso3: 'WLD'})-[:SOURCED_FROM]->(:Source {id: fsid})
WITH imp, el, sep, est, fst, fy, fsid, max(w0.tonnes) AS wt
OPTIONAL MATCH (xp:Production {stage: fst, year: fy, iso3: $exclude})-[:SOURCED_FROM]->(:Source {id: fsid})
WITH imp, el, sep, est, fst, wt, collect(xp)[0] AS xp
WITH imp, el, sep, est,
     collect({stage: fst, share: CASE WHEN xp.share IS NOT NULL THEN xp.share
                                      WHEN wt > 0 AND xp.tonnes IS NOT NULL THEN xp.tonnes / wt END}) AS xs
WITH imp, el, est, CASE WHEN $stage = 'separation' THEN sep ELSE $stage END AS asked,
     [st IN est WHERE coalesce(head([x IN xs WHERE x.stage = st AND x.share IS NOT NULL | x.share]),
                               CASE WHEN st STARTS WITH 'separation'
                                    THEN head([x IN xs WHERE x.stage = 'separation' AND x.share IS NOT NULL | x.share]) END,
                               0.0) >= 0.75] AS dominated
WITH imp, el, coalesce(asked, head(dominated), 'mining') AS st
WITH imp, el, st
WHERE st IN ['mining', 'concentrate']
// the importer's agreements and the countries on their other side, directly or through organisations
// (read once, not once per producer)
// (pattern comprehensions: no aggregation that would carry the lists as grouping keys)
WITH imp, el, st,
     [(imp)-[:PARTY_TO]->(a1:Agreement)<-[:PARTY_TO]-(c1:Country) | [c1.iso3, a1.name]]
     + [(imp)<-[:BASED_IN]-(:Organisation)-[:PARTY_TO]->(a2:Agreement)<-[:PARTY_TO]-(:Organisation)-[:BASED_IN]->(c2:Country)
        | [c2.iso3, a2.name]] AS ties
MATCH (w:Production {stage: 'mining', iso3: 'WLD'})
WITH imp, el, st, ties, max(w.year) AS year
MATCH (w:Production {stage: 'mining', iso3: 'WLD', year: year})-[:SOURCED_FROM]->(s:Source)
WHERE w.basis IS NULL
WITH imp, el, st, ties, year, w, s ORDER BY s.date DESC, s.id DESC LIMIT 1
MATCH (p:Production {stage: 'mining', year: year})-[:SOURCED_FROM]->(s)
MATCH (p)-[:OF_COUNTRY]->(c:Country)
WHERE c.iso3 <> $exclude AND c.iso3 <> imp.iso3
WITH el, st, year, w, p, c, [t IN ties WHERE t[0] = c.iso3 | t[1]] AS deals
UNWIND (CASE WHEN size(deals) = 0 THEN [null] ELSE deals END) AS deal
WITH el, st, year, w, p, c, deal ORDER BY deal
WITH el, st, year, w, p, c, collect(DISTINCT deal) AS deals
OPTIONAL MATCH (c)<-[:LOCATED_IN]-(f:Facility)-[:YIELDS]->(el)
WITH st, year, w, p, c, deals, f ORDER BY f.name
RETURN st AS stage, c.name AS country, c.iso3 AS iso3, null AS facility, null AS status, p.tonnes AS tonnes,
       CASE WHEN w.tonnes > 0 AND p.tonnes IS NOT NULL THEN round(10000.0 * p.tonnes / w.tonnes) / 10000.0 END AS share,
       null AS figure, null AS unit, year, deals AS agreements, collect(DISTINCT f.name) AS facilities
ORDER BY coalesce(tonnes, 0.0) DESC, country
UNION ALL
MATCH (imp:Country {iso3: $importer})
MATCH (el:Element {symbol: $symbol})
// the element's stages, and the excluded country's share at each (the latest country figures)
WITH imp, el, [(el)<-[:YIELDS|SEPARATES]-(ef:Facility) | ef.stages] AS efs,
     CASE WHEN el.group = 'heavy' THEN 'separation-heavy' ELSE 'separation-light' END AS sep
WITH imp, el, sep, ['mining', sep] + [x IN ['metal', 'magnet'] WHERE any(fs IN efs WHERE x IN fs)] AS est
UNWIND ['mining', 'separation', 'separation-light', 'separation-heavy', 'metal', 'magnet'] AS fst
OPTIONAL MATCH (p0:Production {stage: fst})-[:SOURCED_FROM]->(s0:Source)
WHERE p0.share IS NOT NULL OR p0.iso3 = 'WLD'
WITH imp, el, sep, est, fst, p0, s0 ORDER BY p0.year DESC, s0.date DESC, s0.id DESC
WITH imp, el, sep, est, fst, collect({year: p0.year, sid: s0.id})[0] AS pick
WITH imp, el, sep, est, fst, pick.year AS fy, pick.sid AS fsid
OPTIONAL MATCH (w0:Production {stage: fst, year: fy, iso3: 'WLD'})-[:SOURCED_FROM]->(:Source {id: fsid})
WITH imp, el, sep, est, fst, fy, fsid, max(w0.tonnes) AS wt
OPTIONAL MATCH (xp:Production {stage: fst, year: fy, iso3: $exclude})-[:SOURCED_FROM]->(:Source {id: fsid})
WITH imp, el, sep, est, fst, wt, collect(xp)[0] AS xp
WITH imp, el, sep, est,
     collect({stage: fst, share: CASE WHEN xp.share IS NOT NULL THEN xp.share
                                      WHEN wt > 0 AND xp.tonnes IS NOT NULL THEN xp.tonnes / wt END}) AS xs
WITH imp, el, est, CASE WHEN $stage = 'separation' THEN sep ELSE $stage END AS asked,
     [st IN est WHERE coalesce(head([x IN xs WHERE x.stage = st AND x.share IS NOT NULL | x.share]),
                               CASE WHEN st STARTS WITH 'separation'
                                    THEN head([x IN xs WHERE x.stage = 'separation' AND x.share IS NOT NULL | x.share]) END,
                               0.0) >= 0.75] AS dominated
WITH imp, el, coalesce(asked, head(dominated), 'mining') AS st
WITH imp, el, st
WHERE NOT st IN ['mining', 'concentrate']
// the plants at the stage outside the excluded country that handle the element: at separation, those their
// operator says separate it (else, where a plant says nothing of what it separates, those that name it)
MATCH (f:Facility)-[:LOCATED_IN]->(c:Country)
WHERE c.iso3 <> $exclude AND (st IN f.stages OR (st STARTS WITH 'separation' AND 'separation' IN f.stages))
WITH imp, el, st, f, c, [(f)-[:SEPARATES]->(fse:Element) | fse.symbol] AS seps, [(f)-[:YIELDS]->(fye:Element) | fye.symbol] AS ylds
WITH imp, el, st, f, c, seps
WHERE el.symbol IN CASE WHEN st STARTS WITH 'separation' AND size(seps) > 0 THEN seps ELSE ylds END
// the plant's latest figure naming the element or naming none; output before capacity in a year
OPTIONAL MATCH (ff:FacilityFigure)-[:OF_FACILITY]->(f)
WITH imp, el, st, f, c, seps, ff, [(ff)-[:COVERS]->(ffe:Element) | ffe.symbol] AS fels
ORDER BY CASE WHEN ff IS NULL THEN 1 ELSE 0 END, ff.year DESC, CASE ff.measure WHEN 'output' THEN 0 ELSE 1 END, ff.id
WITH imp, el, st, f, c, seps, collect(CASE WHEN size(fels) = 0 OR el.symbol IN fels THEN ff END)[0] AS fig
// the importer's agreements with the plant's country, its operator or owners, or concerning it
WITH imp, st, f, c, seps, fig,
     [(imp)-[:PARTY_TO]->(a1:Agreement)<-[:PARTY_TO]-(c) WHERE c.iso3 <> imp.iso3 | a1.name]
     + [(imp)<-[:BASED_IN]-(:Organisation)-[:PARTY_TO|BUYER_IN|SELLER_IN]->(a3:Agreement)-[:CONCERNS]->(f) | a3.name]
     + [(imp)-[:PARTY_TO]->(a4:Agreement)-[:CONCERNS]->(f) | a4.name] AS deals,
     [(imp)<-[:BASED_IN]-(:Organisation)-[:PARTY_TO|BUYER_IN|SELLER_IN]->(ia:Agreement) | ia.id] AS imp_deals,
     [(f)<-[:OPERATES|OWNS]-(:Organisation)-[:PARTY_TO|BUYER_IN|SELLER_IN]->(fa:Agreement) | [fa.id, fa.name]] AS f_deals
// (agreements of the plant's operator or owners that an organisation of the importer is party to, matched by
// id: a pattern out and back through PARTY_TO would reuse one relationship on FalkorDB)
WITH imp, st, f, c, seps, fig, deals + [x IN f_deals WHERE x[0] IN imp_deals | x[1]] AS deals
UNWIND (CASE WHEN size(deals) = 0 THEN [null] ELSE deals END) AS deal
WITH st, f, c, seps, fig, deal ORDER BY deal
WITH st, f, c, seps, fig, collect(DISTINCT deal) AS deals
RETURN st AS stage, c.name AS country, c.iso3 AS iso3, f.name AS facility, f.status AS status, null AS tonnes,
       null AS share, fig.quantity AS figure, fig.unit AS unit, fig.year AS year, deals AS agreements, [f.name] AS facilities
ORDER BY CASE WHEN coalesce(status, '') STARTS WITH 'operating' THEN 0 ELSE 1 END, CASE WHEN size(seps) > 0 THEN 0 ELSE 1 END,
         coalesce(figure, 0.0) DESC, facility
