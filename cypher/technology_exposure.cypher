// name: technology_exposure
// description: Which elements a technology depends on, through which uses, how concentrated their mining is in the latest year with a world total, and which export controls cover them; riskiest first.
// mode: read
// param: technology: Technology - technology id, name or alias (ev-traction-motors, wind turbines)
// column: symbol: str - the element
// column: element: str - its name
// column: use: str - the use through which the technology depends on it
// column: top_producer: str | None - the largest mining country in the latest year with a world total
// column: top_share: float | None - that country's share, 0-1
// column: controls: list[str] - export controls that cover the element
MATCH (w:Production {stage: 'mining', iso3: 'WLD'})
WITH max(w.year) AS latest
MATCH (w:Production {stage: 'mining', iso3: 'WLD', year: latest})-[:SOURCED_FROM]->(s:Source)
WHERE w.basis IS NULL
WITH latest, w, s ORDER BY s.date DESC, s.id DESC LIMIT 1
MATCH (p:Production {stage: 'mining', year: latest})-[:SOURCED_FROM]->(s)
MATCH (p)-[:OF_COUNTRY]->(c:Country)
WITH w, c, p ORDER BY p.tonnes DESC LIMIT 1
WITH c.name AS top_producer, round(10000.0 * p.tonnes / w.tonnes) / 10000.0 AS top_share
MATCH (t:Technology)
WHERE t.id = $technology
MATCH (e:Element)-[:USED_IN]->(u:Use)-[:ENABLES]->(t)
OPTIONAL MATCH (m:Measure {kind: 'export-control'})-[:COVERS]->(e)
WITH e, u, top_producer, top_share, m ORDER BY m.name
WITH e, u, top_producer, top_share, collect(DISTINCT m.name) AS controls
RETURN e.symbol AS symbol, e.name AS element, u.name AS use, top_producer, top_share, controls
ORDER BY size(controls) DESC, CASE WHEN e.group = 'heavy' THEN 0 ELSE 1 END, symbol, use
