// name: supply_chain
// description: The paths one element takes from mines to separation, metal and magnets, facility by facility (what feeds what), each step with its stage, country, owners and latest published output or capacity; with an importer, the offtakes, supply contracts, ownership, financing and government agreements that tie it to each step; paths that pass through the marked country (a facility there, an owner or a buyer there) marked; the element's uses last.
// mode: read
// param: symbol: Element - the element (symbol, name or alias)
// param: importer: Country | None = None - ISO3 code, name or alias of an importing country whose ties to each step are listed; null for none
// param: mark: Country = 'CHN' - the country whose part of each path is marked (ISO3 code, name or alias)
// column: path: int | None - the path's number (1, 2, ...): one path is a chain of facilities linked by feeds, from one with no feed into it to one that feeds none further
// column: step: int | None - the step on the path (1 = its start); null on the end-use row, which comes last
// column: stage: str - the facility's stages (kb.schema.Stage; several joined by '+'), or end-use
// column: facility: str | None - the facility's name (end-use row: null)
// column: facility_id: str | None - its id
// column: country: str | None - the ISO3 code of the country it is in
// column: status: str | None - operating, construction, planned, closed, suspended (older records: in words)
// column: owners: list[str] - its owners (share where published) and operator, each with its country
// column: fed_by: str | None - the product that reaches it from the step before
// column: figure: float | None - its latest published output (or, without one, capacity) for this element or with no element named, in unit
// column: unit: str | None - the figure's unit as published (t REO, t NdPr oxide, t NdFeB magnets...)
// column: measure: str | None - output or capacity
// column: year: int | None - the year of the figure (the calendar year the reported period ends in)
// column: second_hand: bool | None - whether the figure was read on a page quoting its publication
// column: buyers: list[str] - who buys the facility's (or its operator's) product under an offtake or supply agreement, with the buyer's country; end-use row: the element's uses
// column: ties: list[str] - with an importer: the agreements (offtake, supply, financing, MoU...) and ownership that tie the importer or its organisations to this step, each 'kind: name'
// column: marked: bool - whether the path passes through the marked country (a facility, an owner or a buyer based there)
MATCH (el:Element {symbol: $symbol})
// the facilities on the element's chain: those that name it (yield or separate it) or name no element
MATCH (f0:Facility)
WITH el, f0, [(f0)-[:YIELDS|SEPARATES]->(xe:Element) | xe.symbol] AS els
WHERE el.symbol IN els OR size(els) = 0
WITH el, collect(f0.id) AS fids, collect(CASE WHEN el.symbol IN els THEN f0.id END) AS named
UNWIND fids AS sid
MATCH (s:Facility {id: sid})
WITH el, fids, named, s, [(pf:Facility)-[:FEEDS]->(:Feed)-[:FEEDS]->(s) WHERE pf.id IN fids | pf.id] AS preds
WITH el, fids, named, s, preds
WHERE size(preds) = 0
MATCH pth = (s)-[:FEEDS*0..12]->(t:Facility)
WITH el, fids, named, pth, [n IN nodes(pth) WHERE n:Facility] AS fs,
     [(t)-[:FEEDS]->(:Feed)-[:FEEDS]->(nf:Facility) WHERE nf.id IN fids | nf.id] AS succ
WHERE all(n IN nodes(pth) WHERE n:Feed OR n.id IN fids)
  AND any(n IN fs WHERE n.id IN named) AND size(succ) = 0
WITH el, pth, fs, [n IN nodes(pth) WHERE n:Feed] AS feeds,
     reduce(k = '', n IN fs | k + '>' + n.name) AS pkey
ORDER BY pkey
WITH el, collect({fs: fs, feeds: feeds}) AS paths
UNWIND range(0, size(paths) - 1) AS pi
WITH el, pi + 1 AS path, paths[pi].fs AS fs, paths[pi].feeds AS feeds
UNWIND range(0, size(fs) - 1) AS si
WITH el, path, size(fs) AS n, si + 1 AS step, fs[si] AS f, CASE WHEN si > 0 THEN feeds[si - 1].product END AS fed_by,
     [x IN fs | x.id] AS path_ids
MATCH (f)-[:LOCATED_IN]->(fc:Country)
WITH el, path, n, step, f, fc, fed_by, path_ids, [(ow0:Organisation)-[:OWNS]->(f) | ow0.id] AS owner_ids,
     [(f)<-[:OPERATES|OWNS]-(ow1:Organisation)-[:BASED_IN]->(oc1:Country) | [ow1.id, oc1.iso3]] AS org_countries
// owners and operator, with their countries
WITH el, path, n, step, f, fc, fed_by, path_ids, org_countries,
     [(ow:Organisation)-[r:OWNS]->(f) | {id: ow.id, name: ow.name + CASE WHEN r.share IS NULL THEN '' ELSE ' ' + toString(toInteger(round(100.0 * r.share))) + '%' END}]
     + [(op:Organisation)-[:OPERATES]->(f) WHERE NOT op.id IN owner_ids | {id: op.id, name: op.name + ' (operator)'}] AS who0,
     [(org:Organisation)-[:OPERATES|OWNS]->(f) | org.id] AS org_ids
WITH el, path, n, step, f, fc, fed_by, path_ids, org_ids,
     [w IN who0 | {name: w.name, iso3: [p IN org_countries WHERE p[0] = w.id | p[1]]}] AS who0
// (in name order: a pattern comprehension's order is the engine's)
UNWIND (CASE WHEN size(who0) = 0 THEN [null] ELSE who0 END) AS w1
WITH el, path, n, step, f, fc, fed_by, path_ids, org_ids, w1 ORDER BY w1.name
WITH el, path, n, step, f, fc, fed_by, path_ids, org_ids, [x IN collect(w1) WHERE x IS NOT NULL] AS who
// buyers: offtake and supply agreements concerning the facility, or sold by its operator or owner naming no facility
WITH el, path, n, step, f, fc, fed_by, path_ids, who, org_ids,
     [(sa:Agreement)-[:CONCERNS]->(f) WHERE sa.kind IN ['offtake', 'supply'] | sa.id] AS concerning
OPTIONAL MATCH (seller:Organisation)-[:SELLER_IN]->(ag:Agreement)<-[:BUYER_IN]-(buyer:Organisation)
WHERE seller.id IN org_ids AND ag.kind IN ['offtake', 'supply']
OPTIONAL MATCH (buyer)-[:BASED_IN]->(bc:Country)
WITH el, path, n, step, f, fc, fed_by, path_ids, who, org_ids, concerning, ag, buyer, bc,
     [(ag)-[:CONCERNS]->(af:Facility) | af.id] AS agf
ORDER BY ag.date, ag.id
WITH el, path, n, step, f, fc, fed_by, path_ids, who, org_ids,
     collect(DISTINCT CASE WHEN ag IS NOT NULL AND (ag.id IN concerning OR size(agf) = 0)
                  THEN {name: buyer.name, iso3: CASE WHEN bc IS NULL THEN [] ELSE [bc.iso3] END,
                        what: coalesce(ag.product, ag.name)} END) AS bought
// the latest figure naming the element, or naming none; output before capacity in a year
OPTIONAL MATCH (ff:FacilityFigure)-[:OF_FACILITY]->(f)
WITH el, path, n, step, f, fc, fed_by, path_ids, who, org_ids, bought, ff,
     [(ff)-[:COVERS]->(fe:Element) | fe.symbol] AS fels
ORDER BY CASE WHEN ff IS NULL THEN 1 ELSE 0 END, ff.year DESC, CASE ff.measure WHEN 'output' THEN 0 ELSE 1 END, ff.id
WITH el, path, n, step, f, fc, fed_by, path_ids, who, org_ids, bought,
     collect(CASE WHEN size(fels) = 0 OR el.symbol IN fels THEN ff END)[0] AS fig
// the importer's ties to this step: agreements concerning the facility or made by its operator or owners
// with the importer's government or organisations, and owners based in the importer
WITH el, path, n, step, f, fc, fed_by, path_ids, who, bought, fig,
     [(f)<-[:CONCERNS]-(ca:Agreement) | ca.id]
     + [(to1:Organisation)-[:PARTY_TO|SELLER_IN|BUYER_IN]->(oa:Agreement) WHERE to1.id IN org_ids | oa.id] AS cand
OPTIONAL MATCH (ta:Agreement)
WHERE $importer IS NOT NULL AND ta.id IN cand
OPTIONAL MATCH (ta)<-[:PARTY_TO]-(tc:Country {iso3: $importer})
OPTIONAL MATCH (ta)<-[:PARTY_TO|SELLER_IN|BUYER_IN]-(:Organisation)-[:BASED_IN]->(toc:Country {iso3: $importer})
WITH el, path, n, step, f, fc, fed_by, path_ids, who, bought, fig, ta, count(tc) + count(toc) AS hits
ORDER BY ta.date, ta.id
WITH el, path, n, step, f, fc, fed_by, path_ids, who, bought, fig,
     collect(DISTINCT CASE WHEN hits > 0 THEN ta.kind + ': ' + ta.name END) AS deals
WITH el, path, n, step, f, fc, fed_by, path_ids, who, bought, fig,
     deals + [w IN who WHERE $importer IS NOT NULL AND $importer IN w.iso3 | 'ownership: ' + w.name] AS ties,
     fc.iso3 = $mark OR any(w IN who WHERE $mark IN w.iso3) OR any(b IN bought WHERE $mark IN b.iso3) AS here
// a path is marked when any of its steps is
WITH el, path, collect({n: n, step: step, f: f, fc: fc, fed_by: fed_by, who: who, bought: bought, fig: fig, ties: ties,
                        here: here}) AS steps
WITH el, path, steps, any(x IN steps WHERE coalesce(x.here, false)) AS marked
UNWIND steps AS x
WITH el, path, marked, x, x.f AS f, x.fig AS fig
RETURN path, x.step AS step, reduce(s = '', g IN coalesce(f.stages, []) | s + CASE WHEN s = '' THEN '' ELSE '+' END + g) AS stage,
       f.name AS facility, f.id AS facility_id, x.fc.iso3 AS country, f.status AS status,
       [w IN x.who | w.name + CASE WHEN size(w.iso3) > 0 THEN ' [' + w.iso3[0] + ']' ELSE '' END] AS owners,
       x.fed_by AS fed_by, fig.quantity AS figure, fig.unit AS unit, fig.measure AS measure, fig.year AS year,
       fig.second_hand AS second_hand,
       [b IN x.bought | b.name + CASE WHEN size(b.iso3) > 0 THEN ' [' + b.iso3[0] + ']' ELSE '' END + ': ' + b.what] AS buyers,
       x.ties AS ties, marked
ORDER BY path, step
UNION ALL
MATCH (el:Element {symbol: $symbol})
OPTIONAL MATCH (el)-[:USED_IN]->(u:Use)
WITH el, u ORDER BY u.name
WITH el, collect(u.name) AS uses
RETURN null AS path, null AS step, 'end-use' AS stage, null AS facility, null AS facility_id, null AS country,
       null AS status, [] AS owners, null AS fed_by, null AS figure, null AS unit, null AS measure, null AS year,
       null AS second_hand, uses AS buyers, [] AS ties, false AS marked
