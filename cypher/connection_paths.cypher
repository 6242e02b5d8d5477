// name: connection_paths
// description: How two named entities are connected through the graph (sources left out): the shortest paths between them.
// mode: read
// param: source: Entity - name, code or alias of the first entity (Japan, Nd, DS433)
// param: target: Entity - name, code or alias of the second entity
// param: max_hops: int = 4 - longest path to consider (at most 4)
// column: nodes: list[str] - the names along the path
// column: relationships: list[str] - the relationship types along the path
// column: hops: int - its length
// Every shortest path (allShortestPaths: a breadth-first search from both ends, not an
// enumeration of every path), in both directions. FalkorDB runs it once both ends are bound
// (the WITH) and only for allShortestPaths, not shortestPath, when undirected.
MATCH (a) WHERE coalesce(a.iso3, a.symbol, a.code, a.id) = $source AND a.names_lc IS NOT NULL
MATCH (b) WHERE coalesce(b.iso3, b.symbol, b.code, b.id) = $target AND b.names_lc IS NOT NULL AND b <> a
WITH a, b
MATCH p = allShortestPaths((a)-[:USED_IN|ENABLES|PART_OF|BASED_IN|SUBSIDIARY_OF|LOCATED_IN|OPERATES|OWNS|YIELDS|COMPLAINANT_IN|RESPONDENT_IN|THIRD_PARTY_IN|CHALLENGES|CONCERNS|IMPOSED|TARGETS|COVERS|PARTY_TO|INVOLVES*..4]-(b))
WHERE length(p) <= $max_hops
WITH p, length(p) AS hops
RETURN DISTINCT [n IN nodes(p) | coalesce(n.name, n.code, n.title)] AS nodes,
       [r IN relationships(p) | type(r)] AS relationships, hops
ORDER BY hops, nodes, relationships
LIMIT 25
