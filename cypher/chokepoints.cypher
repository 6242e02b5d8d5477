// name: chokepoints
// description: Where an element's (or a technology's elements') supply is held, stage by stage (mining, light or heavy separation, metal, magnet): the leading country's share and the HHI of the latest country figures up to the year (with the share of the world they cover and the stage the figures are for), and the operating facilities outside the leading country that carry the rest; one such plant or none is a chokepoint.
// mode: read
// param: symbol: Element | None = None - the element (symbol, name or alias); give it or a technology
// param: technology: Technology | None = None - a technology (id, name or alias): the elements it depends on through its uses
// param: year: int | None = None - the latest year of figures to use; null for the latest published
// column: stage: str - the stage (kb.schema.Stage): mining and separation always; metal and magnet where a facility there names the element
// column: figures_stage: str | None - the stage the country figures are for: separation (light and heavy together) where no figure tells them apart
// column: year: int | None - the year of the country figures
// column: leader: str | None - the country with the largest share
// column: leader_share: float | None - its share, 0-1
// column: hhi: float | None - sum of squared percentage shares of the countries with figures, 0-10,000 (a lower bound when coverage is under 0.95)
// column: coverage: float | None - the share of the world the countries with figures cover, 0-1
// column: countries: int - how many countries have a figure
// column: outside: list[str] - operating facilities outside the leader at this stage that handle the element(s), each with its country
// column: outside_countries: list[str] - their countries (ISO3)
// column: planned: list[str] - facilities outside the leader at this stage not (yet) operating: construction, planned, closed
// column: chokepoint: bool - the leader holds at least half, at most one operating plant outside it carries the rest and no more than one other country has a figure
// column: source: str | None - title of the source of the country figures
// column: tier: str | None - its tier
// column: second_hand: bool | None - whether the leader's figure was read on a page quoting its source
OPTIONAL MATCH (el0:Element {symbol: $symbol})
WITH collect(el0.symbol) AS given
OPTIONAL MATCH (te:Element)-[:USED_IN]->(:Use)-[:ENABLES]->(tt:Technology {id: $technology})
WITH given, collect(DISTINCT te.symbol) AS tsyms
WITH given + tsyms AS syms
MATCH (e:Element)
WHERE e.symbol IN syms
WITH collect(e.symbol) AS syms, collect(coalesce(e.group, '')) AS groups,
     collect(CASE WHEN e.group = 'heavy' THEN e.symbol END) AS heavy
WITH syms, groups, heavy
WHERE size(syms) > 0
// the stages: mining, separation of the light and/or heavy group, metal and magnet where a facility names the elements
WITH syms, heavy, ['mining']
     + CASE WHEN 'light' IN groups OR '' IN groups THEN ['separation-light'] ELSE [] END
     + CASE WHEN 'heavy' IN groups THEN ['separation-heavy'] ELSE [] END AS base
WITH syms, heavy, base, [(mf:Facility)-[:YIELDS|SEPARATES]->(me:Element) WHERE me.symbol IN syms | mf.stages] AS fstages
WITH syms, heavy, base + [x IN ['metal', 'magnet'] WHERE any(fs IN fstages WHERE x IN fs)] AS stages
UNWIND range(0, size(stages) - 1) AS si
WITH si, stages[si] AS st,
     CASE stages[si] WHEN 'separation-heavy' THEN heavy
                     WHEN 'separation-light' THEN [x IN syms WHERE NOT x IN heavy] ELSE syms END AS syms,
     CASE WHEN stages[si] STARTS WITH 'separation' THEN [stages[si], 'separation'] ELSE [stages[si]] END AS wanted
// the country figures: the most specific stage first, then the latest year, then the latest source
OPTIONAL MATCH (p0:Production)-[:SOURCED_FROM]->(s0:Source)
WHERE p0.stage IN wanted AND ($year IS NULL OR p0.year <= $year) AND (p0.share IS NOT NULL OR p0.iso3 = 'WLD')
WITH syms, si, st, wanted, p0, s0
ORDER BY CASE WHEN p0 IS NULL THEN 9 WHEN p0.stage = st THEN 0 ELSE 1 END, p0.year DESC, s0.date DESC, s0.id DESC
WITH syms, si, st, collect({stage: p0.stage, year: p0.year, sid: s0.id, title: s0.title, tier: s0.tier})[0] AS pick
WITH syms, si, st, pick.stage AS pst, pick.year AS py, pick.sid AS psid, pick.title AS title, pick.tier AS tier
OPTIONAL MATCH (w:Production {stage: pst, year: py, iso3: 'WLD'})-[:SOURCED_FROM]->(:Source {id: psid})
WITH syms, si, st, pst, py, psid, title, tier, max(w.tonnes) AS world
OPTIONAL MATCH (p:Production {stage: pst, year: py})-[:SOURCED_FROM]->(:Source {id: psid})
WITH syms, si, st, pst, py, title, tier, p,
     CASE WHEN p.iso3 = 'WLD' THEN null WHEN p.share IS NOT NULL THEN p.share
          WHEN world > 0 AND p.tonnes IS NOT NULL THEN p.tonnes / world END AS share
ORDER BY share DESC, p.iso3
WITH syms, si, st, pst, py, title, tier,
     [x IN collect({iso3: p.iso3, share: share, sh: p.second_hand}) WHERE x.share IS NOT NULL] AS shares
WITH syms, si, st, pst, py, title, tier, shares, shares[0] AS top
// the facilities at this stage outside the leader that handle the elements: those the operator says
// separate them (at separation), else those that name them
OPTIONAL MATCH (f:Facility)-[:LOCATED_IN]->(fc:Country)
WHERE st IN f.stages OR (st STARTS WITH 'separation' AND 'separation' IN f.stages)
WITH syms, si, st, pst, py, title, tier, shares, top, f, fc,
     [(f)-[:SEPARATES]->(fse:Element) | fse.symbol] AS seps, [(f)-[:YIELDS]->(fye:Element) | fye.symbol] AS ylds
WITH syms, si, st, pst, py, title, tier, shares, top, f, fc,
     f IS NOT NULL AND (top IS NULL OR fc.iso3 <> top.iso3)
     AND any(x IN syms WHERE x IN CASE WHEN st STARTS WITH 'separation' AND size(seps) > 0 THEN seps ELSE ylds END) AS counts
ORDER BY f.name
WITH si, st, pst, py, title, tier, shares, top,
     collect(CASE WHEN counts AND f.status STARTS WITH 'operating' THEN f.name + ' [' + fc.iso3 + ']' END) AS outside,
     collect(CASE WHEN counts AND f.status STARTS WITH 'operating' THEN fc.iso3 END) AS oc,
     collect(CASE WHEN counts AND NOT coalesce(f.status, '') STARTS WITH 'operating'
                  THEN f.name + ' [' + fc.iso3 + '] (' + coalesce(f.status, 'status unknown') + ')' END) AS planned
WITH si, st, pst, py, title, tier, shares, top, outside, oc, planned,
     reduce(t = 0.0, x IN shares | t + x.share) AS coverage
OPTIONAL MATCH (lc:Country {iso3: top.iso3})
WITH si, st, pst, py, title, tier, shares, top, outside, oc, planned, coverage, lc
UNWIND (CASE WHEN size(oc) = 0 THEN [null] ELSE oc END) AS o
WITH si, st, pst, py, title, tier, shares, top, outside, planned, coverage, lc, o ORDER BY o
WITH si, st, pst, py, title, tier, shares, top, outside, planned, coverage, lc, collect(DISTINCT o) AS outside_countries
RETURN st AS stage, pst AS figures_stage, py AS year, lc.name AS leader,
       CASE WHEN top IS NOT NULL THEN round(10000.0 * top.share) / 10000.0 END AS leader_share,
       CASE WHEN size(shares) > 0 THEN round(100.0 * reduce(h = 0.0, x IN shares | h + (100.0 * x.share) * (100.0 * x.share))) / 100.0 END AS hhi,
       CASE WHEN size(shares) > 0 THEN round(10000.0 * coverage) / 10000.0 END AS coverage, size(shares) AS countries,
       outside, outside_countries, planned,
       top IS NOT NULL AND top.share >= 0.5
       AND size(outside_countries + [x IN shares WHERE x.iso3 <> top.iso3 AND x.share > 0 AND NOT x.iso3 IN outside_countries | x.iso3]) <= 1
       AND size(outside) <= 1 AS chokepoint,
       title AS source, tier, top.sh AS second_hand
ORDER BY si
