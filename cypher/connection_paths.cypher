// name: connection_paths
// description: How two named entities are connected through the graph (sources left out), shortest paths first.
// mode: read
// param: source: Entity - name, code or alias of the first entity (Japan, Nd, DS433)
// param: target: Entity - name, code or alias of the second entity
// param: max_hops: int = 4 - longest path to consider (at most 4: longer paths join almost everything)
// column: nodes: list[str] - the names along the path
// column: relationships: list[str] - the relationship types along the path
// column: hops: int - its length
MATCH (a) WHERE coalesce(a.iso3, a.symbol, a.code, a.id) = $source AND a.names_lc IS NOT NULL
MATCH (b) WHERE coalesce(b.iso3, b.symbol, b.code, b.id) = $target AND b.names_lc IS NOT NULL AND b <> a
MATCH p = (a)-[:USED_IN|ENABLES|PART_OF|BASED_IN|SUBSIDIARY_OF|LOCATED_IN|OPERATES|OWNS|YIELDS|COMPLAINANT_IN|RESPONDENT_IN|THIRD_PARTY_IN|CHALLENGES|CONCERNS|IMPOSED|TARGETS|COVERS|PARTY_TO|INVOLVES*1..4]-(b)
WHERE length(p) <= $max_hops
WITH p, length(p) AS hops
RETURN DISTINCT [n IN nodes(p) | coalesce(n.name, n.code, n.title)] AS nodes,
       [r IN relationships(p) | type(r)] AS relationships, hops
ORDER BY hops, nodes, relationships
LIMIT 25
