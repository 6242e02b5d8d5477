// name: element_uses
// description: What an element is used for, and the end technologies that depend on each use.
// mode: read
// param: symbol: Element - symbol, name or alias, any case
// column: use: str - the use
// column: technologies: list[str] - technologies that depend on that use
MATCH (e:Element)
WHERE e.symbol = $symbol
MATCH (e)-[:USED_IN]->(u:Use)
OPTIONAL MATCH (u)-[:ENABLES]->(t:Technology)
WITH u, t ORDER BY t.name
RETURN u.name AS use, collect(DISTINCT t.name) AS technologies
ORDER BY use
