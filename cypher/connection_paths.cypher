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
// The entity is found by its key through each entity label's index (a UNION: a node has no
// common label; largest labels first, see docs/engine-bugs.md on FalkorDB's plan).
CALL {
  MATCH (a:Organisation {id: $source}) RETURN a
  UNION MATCH (a:Agreement {id: $source}) RETURN a
  UNION MATCH (a:Country {iso3: $source}) RETURN a
  UNION MATCH (a:Element {symbol: $source}) RETURN a
  UNION MATCH (a:Technology {id: $source}) RETURN a
  UNION MATCH (a:Use {id: $source}) RETURN a
  UNION MATCH (a:Commodity {id: $source}) RETURN a
  UNION MATCH (a:Facility {id: $source}) RETURN a
  UNION MATCH (a:Dispute {code: $source}) RETURN a
  UNION MATCH (a:Measure {id: $source}) RETURN a
  UNION MATCH (a:Event {id: $source}) RETURN a
}
CALL {
  MATCH (b:Organisation {id: $target}) RETURN b
  UNION MATCH (b:Agreement {id: $target}) RETURN b
  UNION MATCH (b:Country {iso3: $target}) RETURN b
  UNION MATCH (b:Element {symbol: $target}) RETURN b
  UNION MATCH (b:Technology {id: $target}) RETURN b
  UNION MATCH (b:Use {id: $target}) RETURN b
  UNION MATCH (b:Commodity {id: $target}) RETURN b
  UNION MATCH (b:Facility {id: $target}) RETURN b
  UNION MATCH (b:Dispute {code: $target}) RETURN b
  UNION MATCH (b:Measure {id: $target}) RETURN b
  UNION MATCH (b:Event {id: $target}) RETURN b
}
WITH a, b WHERE b <> a
MATCH p = allShortestPaths((a)-[:USED_IN|ENABLES|PART_OF|BASED_IN|SUBSIDIARY_OF|LOCATED_IN|OPERATES|OWNS|YIELDS|COMPLAINANT_IN|RESPONDENT_IN|THIRD_PARTY_IN|CHALLENGES|CONCERNS|IMPOSED|TARGETS|COVERS|PARTY_TO|INVOLVES*..4]-(b))
WHERE length(p) <= $max_hops
WITH p, length(p) AS hops
RETURN DISTINCT [n IN nodes(p) | coalesce(n.name, n.code, n.title)] AS nodes,
       [r IN relationships(p) | type(r)] AS relationships, hops
ORDER BY hops, nodes, relationships
LIMIT 25
