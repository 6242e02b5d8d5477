// name: restriction_impact
// description: What if a country stops exporting some rare-earth elements: which importers lose how much (the share of their imports that came from it where trade figures exist; for the world, its share of mine production), which technologies are touched through which uses, which producers outside it could cover with how much mine output, and which agreements touching those elements could help.
// mode: read
// param: restrictor: Country - ISO3 code, name or alias of the country that stops exporting (CHN)
// param: elements: list[Element] - the elements it stops exporting, each by symbol, name or alias (comma-separated on the command line: Dy,Tb)
// param: year: int - the year asked about: trade and mine figures of the latest year up to it, agreements signed by its end and not ended before it
// param: limit: int = 100 - at most this many importers and this many agreements (the rows that grow with the data; a page of each)
// param: offset: int = 0 - how many importers and agreements to skip first (the next page starts at offset + limit)
// column: kind: str - importer (a country, or World for the world's mine supply), technology, producer or agreement
// column: name: str - the importer, technology, producer or agreement
// column: key: str - its ISO3 code, technology id or agreement id
// column: share: float | None - importer: share of its imports of those elements' goods (HS) that came from the restrictor, by value (by tonnes where no value is published); World: the restrictor's share of world mine production; producer: its share of world mine production; 0-1
// column: tonnes: float | None - importer: tonnes it imported from the restrictor (World: the restrictor's mine production, t REO); producer: its mine production, t REO (all rare earths, not the elements alone); agreement: its volume a year, where published
// column: year: int | None - the year of the figures (agreement: the year it was signed)
// column: elements: list[str] - those of the elements asked that the row concerns (producer: those its known facilities yield)
// column: uses: list[str] - technology: the uses through which it depends on the elements
// column: parties: list[str] - agreement: countries party to it, themselves or through their organisations (ISO3)
// column: facilities: list[str] - producer: its facilities known to yield the elements
// column: basis: str | None - importer: whose trade figures (reported by the importer, reconciled or mirror) or world mine supply
// column: source: str | None - title of the source the figures come from (agreement: its first source)

// the world: what share of mine supply the restrictor takes away
MATCH (r:Country {iso3: $restrictor})
MATCH (w0:Production {stage: 'mining', iso3: 'WLD'})
WHERE w0.basis IS NULL
WITH r, coalesce(max(CASE WHEN w0.year <= $year THEN w0.year END), min(w0.year)) AS y
MATCH (w:Production {stage: 'mining', iso3: 'WLD', year: y})-[:SOURCED_FROM]->(s:Source)
WHERE w.basis IS NULL
WITH r, y, w, s ORDER BY s.date DESC, s.id DESC LIMIT 1
OPTIONAL MATCH (p:Production {stage: 'mining', year: y, iso3: r.iso3})-[:SOURCED_FROM]->(s)
RETURN 'importer' AS kind, 'World' AS name, 'WLD' AS key,
       CASE WHEN w.tonnes > 0 AND p.tonnes IS NOT NULL THEN round(10000.0 * p.tonnes / w.tonnes) / 10000.0 END AS share,
       p.tonnes AS tonnes, y AS year, $elements AS elements, [] AS uses, [] AS parties, [] AS facilities,
       'world mine supply' AS basis, s.title AS source

UNION ALL

// importers with trade figures: the restrictor's share of their imports of the elements' goods
// (HS codes of the commodities the elements belong to; cerium compounds only when Ce is asked)
MATCH (r:Country {iso3: $restrictor})
MATCH (e:Element)-[:PART_OF]->(cm:Commodity)
WHERE e.symbol IN $elements
WITH r, collect(DISTINCT cm.hs_codes) AS hs_lists
WITH r, [h IN reduce(acc = [], x IN hs_lists | acc + x) WHERE h <> '284610' OR 'Ce' IN $elements] AS hs
MATCH (r)-[:EXPORTED]->(f0:TradeFlow)<-[:IMPORTED]-(c:Country)
WHERE f0.hs_code IN hs AND f0.year <= $year
WITH r, hs, c, max(f0.year) AS ty
// one pass over the importers' imports of their year, read by year through the index (importers
// grouped by year): totals by whose figures (tier) and source
WITH r, hs, ty, collect(c) AS importers
MATCH (f:TradeFlow {year: ty})
WHERE f.hs_code IN hs
MATCH (c:Country)-[:IMPORTED]->(f)
WHERE c IN importers
OPTIONAL MATCH (x:Country)-[:EXPORTED]->(f)  // none: imports from partners not itemised (World less those listed)
OPTIONAL MATCH (f)-[:SOURCED_FROM]->(s:Source)
WITH r, c, ty, CASE WHEN f.reporter = c.iso3 THEN 0 WHEN f.reporter IS NULL THEN 1 ELSE 2 END AS t,
     s.date + '|' + s.id AS sk, s.title AS title,
     sum(coalesce(f.value_usd, 0.0)) AS gtv, sum(CASE WHEN x.iso3 = r.iso3 THEN coalesce(f.value_usd, 0.0) ELSE 0.0 END) AS grv,
     sum(coalesce(f.tonnes, 0.0)) AS gtt, sum(CASE WHEN x.iso3 = r.iso3 THEN coalesce(f.tonnes, 0.0) ELSE 0.0 END) AS grt,
     count(CASE WHEN x.iso3 = r.iso3 THEN f.tonnes END) AS gnt
WITH r, c, ty, collect({t: t, sk: sk, title: title, tv: gtv, rv: grv, tt: gtt, rt: grt, nt: gnt}) AS gs
// the best tier that year (the importer's own, reconciled, mirror), then the latest source of those
WITH r, c, ty, gs, reduce(m = null, g IN gs | CASE WHEN m IS NULL OR g.t < m THEN g.t ELSE m END) AS tb
WITH r, c, ty, tb, [g IN gs WHERE g.t = tb] AS gs
WITH r, c, ty, tb, gs,
     reduce(m = null, g IN gs | CASE WHEN g.sk IS NOT NULL AND (m IS NULL OR g.sk > m) THEN g.sk ELSE m END) AS top
WITH r, c, ty, tb, [g IN gs WHERE g.sk = top] AS gs
WHERE size(gs) > 0
WITH r, c, ty, tb, gs[0].title AS title,
     reduce(a = 0.0, g IN gs | a + g.tv) AS tv, reduce(a = 0.0, g IN gs | a + g.rv) AS rv,
     reduce(a = 0.0, g IN gs | a + g.tt) AS tt, reduce(a = 0.0, g IN gs | a + g.rt) AS rt,
     reduce(a = 0, g IN gs | a + g.nt) AS nt
RETURN 'importer' AS kind, c.name AS name, c.iso3 AS key,
       CASE WHEN tv > 0 THEN rv / tv WHEN tt > 0 THEN rt / tt END AS share,
       CASE WHEN nt > 0 THEN rt END AS tonnes, ty AS year, $elements AS elements, [] AS uses, [] AS parties,
       [] AS facilities,
       CASE tb WHEN 0 THEN 'reported by the importer' WHEN 1 THEN 'reconciled' ELSE 'mirror' END AS basis,
       title AS source
ORDER BY share DESC, name
SKIP $offset LIMIT $limit

UNION ALL

// technologies that depend on the elements, through which uses
MATCH (e:Element)-[:USED_IN]->(u:Use)-[:ENABLES]->(t:Technology)
WHERE e.symbol IN $elements
WITH t, e, u ORDER BY e.atomic_number, u.name
WITH t, collect(DISTINCT e.symbol) AS els, collect(DISTINCT u.name) AS uses
RETURN 'technology' AS kind, t.name AS name, t.id AS key, null AS share, null AS tonnes, null AS year,
       els AS elements, uses, [] AS parties, [] AS facilities, null AS basis, null AS source
ORDER BY size(els) DESC, name

UNION ALL

// producers outside the restrictor: mine output in the latest year with a world total, up to the year
MATCH (w0:Production {stage: 'mining', iso3: 'WLD'})
WHERE w0.basis IS NULL
WITH coalesce(max(CASE WHEN w0.year <= $year THEN w0.year END), min(w0.year)) AS y
MATCH (w:Production {stage: 'mining', iso3: 'WLD', year: y})-[:SOURCED_FROM]->(s:Source)
WHERE w.basis IS NULL
WITH y, w, s ORDER BY s.date DESC, s.id DESC LIMIT 1
MATCH (p:Production {stage: 'mining', year: y})-[:SOURCED_FROM]->(s)
MATCH (p)-[:OF_COUNTRY]->(c:Country)
WHERE c.iso3 <> $restrictor AND p.tonnes > 0
OPTIONAL MATCH (c)<-[:LOCATED_IN]-(fa:Facility)-[:YIELDS]->(e:Element)
WHERE e.symbol IN $elements
WITH y, w, s, p, c, fa, e ORDER BY e.atomic_number, fa.name
RETURN 'producer' AS kind, c.name AS name, c.iso3 AS key,
       CASE WHEN w.tonnes > 0 THEN round(10000.0 * p.tonnes / w.tonnes) / 10000.0 END AS share,
       p.tonnes AS tonnes, y AS year, collect(DISTINCT e.symbol) AS elements, [] AS uses, [] AS parties,
       collect(DISTINCT fa.name) AS facilities, null AS basis, s.title AS source
ORDER BY tonnes DESC, name

UNION ALL

// agreements that touch the elements (naming them, or rare earths as a whole when they name no element),
// in place that year, to which the restrictor is no party
// (found from the elements asked, not by reading every agreement)
CALL {
  MATCH (e:Element)<-[:COVERS]-(a:Agreement)
  WHERE e.symbol IN $elements
  RETURN a, e.symbol AS symbol
  UNION
  MATCH (e:Element)-[:PART_OF]->(cm:Commodity)
  WHERE e.symbol IN $elements
  WITH cm, collect(e.symbol) AS symbols
  MATCH (cm)<-[:COVERS]-(a:Agreement)
  OPTIONAL MATCH (a)-[:COVERS]->(named:Element)
  WITH a, symbols, count(named) AS n
  WHERE n = 0
  UNWIND symbols AS symbol
  RETURN a, symbol
}
WITH a, symbol
WHERE a.date <= toString($year) + '-12-31' AND (a.end IS NULL OR a.end >= toString($year))
WITH a, collect(DISTINCT symbol) AS touched
WITH a, [x IN $elements WHERE x IN touched] AS els
WHERE size(els) > 0
OPTIONAL MATCH (c:Country)-[:PARTY_TO]->(a)
WITH a, els, collect(c.iso3) AS direct
OPTIONAL MATCH (o:Organisation)-[:PARTY_TO]->(a), (o)-[:BASED_IN]->(oc:Country)
WITH a, els, direct, collect(oc.iso3) AS through_organisations
WITH a, els, direct + through_organisations AS ps
WHERE NOT $restrictor IN ps
// the page first, then each agreement's parties and source for that page only
WITH a, els, ps ORDER BY toInteger(substring(a.date, 0, 4)), a.name, a.id SKIP $offset LIMIT $limit
UNWIND (CASE WHEN size(ps) = 0 THEN [null] ELSE ps END) AS party
WITH a, els, party ORDER BY party
WITH a, els, collect(DISTINCT party) AS parties
OPTIONAL MATCH (a)-[:SOURCED_FROM]->(src:Source)
WITH a, els, parties, src ORDER BY src.date, src.id
RETURN 'agreement' AS kind, a.name AS name, a.id AS key, null AS share, a.tonnes_per_year AS tonnes,
       toInteger(substring(a.date, 0, 4)) AS year, els AS elements, [] AS uses, parties, [] AS facilities,
       null AS basis, collect(src.title)[0] AS source
ORDER BY year, name, key
